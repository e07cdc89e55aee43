//! Timing on tokio's paused clock: the AT+QFUPL inactivity timeout and the `+++` guard times
//! in file uploads, exact to the millisecond and costing no wall time.

mod support;

use std::time::Duration;

use qsslsim_modem::ModemConfig;
use support::inproc::{MemoryNet, Sim};
use tokio::time::Instant;

fn xor16(data: &[u8]) -> u16 {
    data.chunks(2)
        .fold(0u16, |acc, pair| acc ^ (u16::from(pair[0]) << 8 | u16::from(*pair.get(1).unwrap_or(&0))))
}

async fn started() -> Sim {
    let mut sim = Sim::start(ModemConfig::default(), MemoryNet::new(&[]));
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim
}

#[tokio::test(start_paused = true)]
async fn qfupl_ends_after_exactly_its_timeout_of_silence() {
    let mut sim = started().await;
    sim.transact("AT+QFUPL=\"t.bin\",100,7\r", "\r\nCONNECT\r\n").await;
    sim.send(b"abc").await;
    let t0 = Instant::now();
    // Nothing before 7 s of silence...
    assert!(sim.read_for(Duration::from_millis(6990)).await.is_empty());
    // ...then the upload ends with what came.
    sim.expect(format!("\r\n+QFUPL: 3,{:x}\r\n\r\nOK\r\n", xor16(b"abc")).as_bytes()).await;
    let waited = t0.elapsed();
    assert!(waited >= Duration::from_secs(7) && waited < Duration::from_millis(7100), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn qfupl_timeout_restarts_with_each_byte() {
    let mut sim = started().await;
    sim.transact("AT+QFUPL=\"t.bin\",100,5\r", "\r\nCONNECT\r\n").await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(4)).await;
        sim.send(b"x").await;
    }
    assert!(sim.read_for(Duration::from_millis(4900)).await.is_empty());
    sim.expect(format!("\r\n+QFUPL: 4,{:x}\r\n\r\nOK\r\n", xor16(b"xxxx")).as_bytes()).await;
}

#[tokio::test(start_paused = true)]
async fn qfupl_plus_escape_respects_guard_times() {
    let mut sim = started().await;
    sim.transact("AT+QFUPL=\"g.bin\",100,60\r", "\r\nCONNECT\r\n").await;
    sim.send(b"data").await;
    // +++ too soon after data: it is data.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.send(b"+++").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(sim.read_for(Duration::from_millis(10)).await.is_empty());
    // Now a guarded +++: OK only after the trailing guard second.
    sim.send(b"+++").await;
    let t0 = Instant::now();
    assert!(sim.read_for(Duration::from_millis(990)).await.is_empty());
    sim.expect(format!("\r\n+QFUPL: 7,{:x}\r\n\r\nOK\r\n", xor16(b"data+++")).as_bytes()).await;
    assert!(t0.elapsed() >= Duration::from_secs(1));
}
