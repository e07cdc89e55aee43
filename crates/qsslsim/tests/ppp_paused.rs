//! PPP timing on tokio's paused clock, in process: the module's LCP Configure-Request is
//! resent every 3 s and the call ends with NO CARRIER after ten unanswered; `+++` needs its
//! guard times in PPP mode too, the call survives command mode, `ATO` resumes it with what
//! waited, `ATH` ends it.

mod support;

use std::time::Duration;

use qsslsim_modem::ModemConfig;
use qsslsim_ppp::hdlc::{self, Decoder, Frame, TxOptions};
use qsslsim_ppp::packet::{proto, Packet};
use support::inproc::{MemoryNet, Sim};
use tokio::time::{sleep, Instant};

async fn dialled() -> Sim {
    let mut sim = Sim::start(ModemConfig::default(), MemoryNet::new(&[]));
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim.transact("ATD*99#\r", "\r\nCONNECT\r\n").await;
    sim
}

/// Frames in `bytes`.
fn frames(bytes: &[u8]) -> Vec<Frame> {
    let mut out = Vec::new();
    Decoder::default().push(bytes, |f| out.push(f.expect("intact frame")));
    out
}

#[tokio::test(start_paused = true)]
async fn lcp_is_resent_every_3_s_and_ten_unanswered_end_the_call() {
    let mut sim = dialled().await;
    let t0 = Instant::now();
    let first = frames(&sim.read_for(Duration::from_millis(100)).await);
    assert_eq!(first.len(), 1);
    let req = Packet::parse(&first[0].payload).unwrap();
    assert_eq!(req.code, 1);
    for n in 1..10u64 {
        sleep(t0 + Duration::from_secs(3 * n) - Instant::now() - Duration::from_millis(50)).await;
        assert!(sim.read_for(Duration::from_millis(40)).await.is_empty(), "resend {n} came early");
        let again = frames(&sim.read_for(Duration::from_millis(100)).await);
        assert_eq!(again, first, "resend {n} at {} s is the same request", 3 * n);
    }
    sleep(t0 + Duration::from_secs(30) - Instant::now() - Duration::from_millis(50)).await;
    assert!(sim.read_for(Duration::from_millis(40)).await.is_empty(), "NO CARRIER before 30 s");
    sim.expect_within(b"\r\nNO CARRIER\r\n", Duration::from_millis(100)).await;
    sim.transact("AT+CGACT?\r", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n").await;
}

#[tokio::test(start_paused = true)]
async fn escape_keeps_the_call_and_ato_resumes_it() {
    let mut sim = dialled().await;
    sim.read_for(Duration::from_millis(100)).await;
    // "+++" inside the guard is PPP data, not an escape.
    sim.send(b"+++").await;
    assert!(sim.read_for(Duration::from_millis(1500)).await.is_empty(), "no OK for +++ without the guard");
    sleep(Duration::from_millis(1000)).await;
    sim.send(b"+++").await;
    let t = Instant::now();
    assert!(sim.read_for(Duration::from_millis(990)).await.iter().all(|b| *b != b'O'));
    sim.expect_within(b"\r\nOK\r\n", Duration::from_millis(100)).await;
    assert!(t.elapsed() >= Duration::from_secs(1));
    sim.transact("AT+CGACT?\r", "\r\n+CGACT: 1,1\r\n\r\nOK\r\n").await;
    // Meanwhile the session resent its request: it waits and comes after CONNECT.
    sleep(Duration::from_secs(3)).await;
    sim.send(b"ATO\r").await;
    sim.expect(b"\r\nCONNECT\r\n").await;
    let waiting = frames(&sim.read_for(Duration::from_millis(100)).await);
    assert!(!waiting.is_empty() && waiting.iter().all(|f| f.protocol == proto::LCP));
    // The session is alive: the host's request is acked.
    let host_req = Packet { code: 1, id: 9, data: vec![5, 6, 1, 2, 3, 4] };
    sim.send(&hdlc::encode(proto::LCP, &host_req.to_bytes(), TxOptions::DEFAULT)).await;
    let got = frames(&sim.read_for(Duration::from_millis(100)).await);
    let ack = Packet { code: 2, ..host_req };
    assert!(got.iter().any(|f| f.payload == ack.to_bytes()), "no Configure-Ack: {got:?}");
    // +++ again, then ATH ends the call.
    sleep(Duration::from_millis(1000)).await;
    sim.send(b"+++").await;
    sleep(Duration::from_millis(1000)).await;
    let out = sim.read_for(Duration::from_millis(100)).await;
    assert!(out.ends_with(b"\r\nOK\r\n"), "{}", out.escape_ascii());
    sim.transact("ATH\r", "\r\nOK\r\n").await;
    sim.transact("AT+CGACT?\r", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n").await;
    sim.transact("ATO\r", "\r\nNO CARRIER\r\n").await;
}
