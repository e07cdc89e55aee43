//! How much stands between the module and a slow host, on tokio's paused clock: a host that
//! reads 1 KiB every 10 ms (about a 921 600-baud UART) while the server streams faster. A real
//! module holds only a few KB between its network buffer and the UART, so a control answer
//! (`+++` → `OK`, `AT+QSSLCLOSE` → `OK`) reaches such a host within a few tens of ms. Defect 3
//! of issue 9: up to 64 KiB waited in the event loop's queue (and more in the pty), so `+++`
//! took about a second and a push-mode close about 0.7 s.
//!
//! The host pipe here holds 4 KiB, like the bound the daemon keeps on a real pty's buffer.

mod support;

use std::time::Duration;

use qsslsim_modem::{Modem, ModemConfig};
use support::inproc::{Behaviour, MemoryNet, Sim};

const SOURCE: u16 = 7200;
const GUARD: Duration = Duration::from_millis(200);
const PORT_BYTES: usize = 4096;
/// The slow host: 1 KiB every 10 ms.
const CHUNK: usize = 1024;
const EVERY: Duration = Duration::from_millis(10);

async fn started() -> (Sim, std::sync::Arc<MemoryNet>) {
    let net = MemoryNet::new(&[(SOURCE, Behaviour::SourceAndSink)]);
    let cfg = ModemConfig { guard_time: GUARD, ..ModemConfig::default() };
    let modem = Modem::new(cfg, qsslsim::runtime::now(), std::time::SystemTime::now());
    let mut sim = Sim::start_with_port(modem, net.clone(), PORT_BYTES);
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim.transact("AT+QIACT=1\r", "\r\nOK\r\n").await;
    (sim, net)
}

#[tokio::test(start_paused = true)]
async fn escape_answers_a_slow_host_within_guard_plus_100_ms() {
    let (mut sim, _net) = started().await;
    sim.transact(&format!("AT+QSSLOPEN=1,0,3,\"127.0.0.1\",{SOURCE},2\r"), "\r\nCONNECT\r\n").await;
    // Steady state (and well over the guard time of silence from the host).
    let (_, read) = sim.read_paced_until(CHUNK, EVERY, None, Duration::from_secs(1)).await;
    assert!(read > 90_000, "the slow host read only {read} bytes in 1 s");
    sim.send(b"+++").await;
    let (took, read) = sim.read_paced_until(CHUNK, EVERY, Some(b"\r\nOK\r\n"), Duration::from_secs(5)).await;
    let took = took.unwrap_or_else(|| panic!("no OK within 5 s; the host read {read} bytes"));
    assert!(
        took <= GUARD + Duration::from_millis(100),
        "+++ -> OK took {took:?} (guard {GUARD:?}); the host read {read} bytes in between"
    );
}

#[tokio::test(start_paused = true)]
async fn push_mode_close_answers_a_slow_host_within_300_ms() {
    let (mut sim, _net) = started().await;
    sim.transact(&format!("AT+QSSLOPEN=1,0,3,\"127.0.0.1\",{SOURCE},1\r"), "\r\nOK\r\n").await;
    let (_, read) = sim.read_paced_until(CHUNK, EVERY, None, Duration::from_secs(1)).await;
    assert!(read > 90_000, "the slow host read only {read} bytes in 1 s");
    sim.send(b"AT+QSSLCLOSE=3,0\r").await;
    let (took, read) = sim.read_paced_until(CHUNK, EVERY, Some(b"\r\nOK\r\n"), Duration::from_secs(5)).await;
    let took = took.unwrap_or_else(|| panic!("no OK within 5 s; the host read {read} bytes"));
    assert!(
        took <= Duration::from_millis(300),
        "AT+QSSLCLOSE -> OK took {took:?}; the host read {read} bytes in between"
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_host_still_gets_the_whole_stream() {
    // The bound on what waits for the host must not throttle it below its own pace.
    let (mut sim, _net) = started().await;
    sim.transact(&format!("AT+QSSLOPEN=1,0,3,\"127.0.0.1\",{SOURCE},2\r"), "\r\nCONNECT\r\n").await;
    let (_, read) = sim.read_paced_until(CHUNK, EVERY, None, Duration::from_secs(2)).await;
    assert!(read >= 199 * CHUNK, "the slow host read {read} bytes in 2 s at 1 KiB per 10 ms");
}
