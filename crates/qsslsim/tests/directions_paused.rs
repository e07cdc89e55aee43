//! The two directions of a socket are independent, on tokio's paused clock against in-memory
//! TLS servers: a host that reads nothing may stop the daemon reading from the network, but
//! never its writing to the network. Defect 1 of issue 9: `NetEvent::Sent` travelled with the
//! received data that the event loop stopped taking while host output backed up, so the send
//! buffer never drained and a 4 MiB upload stopped after about 65 KB.

mod support;

use std::time::Duration;

use qsslsim_modem::{Fault, ModemConfig};
use support::inproc::{pattern, pattern_at, Behaviour, MemoryNet, Sim};
use tokio::io::AsyncWriteExt;
use tokio::time::timeout;

const BOTH: u16 = 7100;
const UPLOAD: usize = 4 << 20;

async fn transparent(net: &std::sync::Arc<MemoryNet>) -> Sim {
    let mut sim = Sim::start(ModemConfig::default(), net.clone());
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    // RTS/CTS, as host stacks set it: a full send buffer holds the host back instead of
    // losing bytes (policy transparent-flow-control), which is where the upload used to stall.
    sim.transact("AT+IFC=2,2\r", "\r\nOK\r\n").await;
    sim.transact("AT+QIACT=1\r", "\r\nOK\r\n").await;
    sim.transact(&format!("AT+QSSLOPEN=1,0,3,\"127.0.0.1\",{BOTH},2\r"), "\r\nCONNECT\r\n").await;
    sim
}

/// Wait (virtual time) until the server has received `n` bytes; returns how many it has.
async fn server_received(net: &MemoryNet, n: usize, wait: Duration) -> usize {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let got = net.received.lock().unwrap().len();
        if got >= n || tokio::time::Instant::now() >= deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn upload_flows_while_the_host_reads_nothing() {
    let net = MemoryNet::new(&[(BOTH, Behaviour::SourceAndSink)]);
    let mut sim = transparent(&net).await;
    // The server streams a download the host never reads, while the host uploads 4 MiB.
    let payload = pattern(UPLOAD);
    let wrote = timeout(Duration::from_secs(60), sim.host.write_all(&payload)).await;
    let got = server_received(&net, UPLOAD, Duration::from_secs(60)).await;
    assert!(wrote.is_ok(), "the host's writes blocked for good: the server has {got} of {UPLOAD} bytes");
    assert_eq!(got, UPLOAD, "bytes at the server");
    assert!(net.received.lock().unwrap().as_slice() == payload.as_slice(), "upload bytes differ");
}

#[tokio::test(start_paused = true)]
async fn download_held_during_the_upload_arrives_intact_afterwards() {
    let net = MemoryNet::new(&[(BOTH, Behaviour::SourceAndSink)]);
    let mut sim = transparent(&net).await;
    let payload = pattern(UPLOAD);
    timeout(Duration::from_secs(60), sim.host.write_all(&payload)).await.expect("upload blocked").unwrap();
    // Now the host reads: the download continues from its first byte, nothing lost.
    let got = sim.take(1 << 20, Duration::from_secs(60)).await;
    assert_eq!(got.len(), 1 << 20, "download bytes after the upload");
    assert!(got == pattern_at(0, 1 << 20), "download bytes differ");
}

#[tokio::test(start_paused = true)]
async fn upload_and_download_at_once() {
    // The host reads the first 4 MiB of the download while it uploads 4 MiB: whichever
    // direction finishes first, the other must not wait for it.
    let net = MemoryNet::new(&[(BOTH, Behaviour::SourceAndSink)]);
    let sim = transparent(&net).await;
    // Download bytes that came with CONNECT.
    let early = sim.pending;
    let (mut rd, mut wr) = tokio::io::split(sim.host);
    let payload = pattern(UPLOAD);
    let reader = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let mut got = early;
        let have = got.len();
        got.resize(UPLOAD, 0);
        rd.read_exact(&mut got[have..]).await.map(|_| got)
    });
    timeout(Duration::from_secs(60), wr.write_all(&payload)).await.expect("upload blocked").unwrap();
    let got = timeout(Duration::from_secs(60), reader).await.expect("download stalled").unwrap().unwrap();
    let want = pattern_at(0, UPLOAD);
    if let Some(i) = (0..UPLOAD).find(|&i| got[i] != want[i]) {
        let end = (i + 24).min(UPLOAD);
        panic!(
            "download bytes differ from offset {i}: got {}, expected {}",
            support::show(&got[i..end]),
            support::show(&want[i..end])
        );
    }
    assert_eq!(server_received(&net, UPLOAD, Duration::from_secs(60)).await, UPLOAD);
    assert!(net.received.lock().unwrap().as_slice() == payload.as_slice(), "upload bytes differ");
}

#[tokio::test(start_paused = true)]
async fn a_lifted_bandwidth_cap_frees_an_upload_queued_under_it() {
    // 64 KiB queued behind a 500 B/s cap would take over two minutes; once the cap is lifted
    // it must go at once, not after the delay it was queued with.
    let net = MemoryNet::new(&[(BOTH, Behaviour::SourceAndSink)]);
    let mut sim = transparent(&net).await;
    sim.control.fault(Fault::Bandwidth { socket: Some(3), bytes_per_sec: 500 }).await;
    let payload = pattern(64 * 1024);
    sim.send(&payload[..1]).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    sim.send(&payload[1..]).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(net.received.lock().unwrap().len() < payload.len(), "the cap held nothing back");
    sim.control.fault(Fault::Bandwidth { socket: Some(3), bytes_per_sec: 0 }).await;
    let got = server_received(&net, payload.len(), Duration::from_secs(1)).await;
    assert_eq!(got, payload.len(), "bytes at the server within 1 s of lifting the cap");
    assert!(net.received.lock().unwrap().as_slice() == payload.as_slice(), "upload bytes differ");
}
