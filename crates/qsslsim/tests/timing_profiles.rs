//! Timing profiles and UART pacing on tokio's paused clock: `--timing realistic` delays the open
//! like a real network, `fast` answers at once with URCs in writes of their own, and `--baud`
//! paces a 64 KB push to its nominal duration.

mod support;

use std::time::Duration;

use qsslsim_modem::{ModemConfig, Timing};
use support::inproc::{pattern, Behaviour, MemoryNet, Sim, BLAST_BYTES};
use tokio::time::Instant;

const ECHO: u16 = 7000;
const BLAST: u16 = 7002;

async fn opened(cfg: ModemConfig, port: u16, mode: u8) -> (Sim, Duration) {
    let net = MemoryNet::new(&[(ECHO, Behaviour::Echo), (BLAST, Behaviour::Blast)]);
    let mut sim = Sim::start(cfg, net);
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim.transact("AT+QIACT=1\r", "\r\nOK\r\n").await;
    sim.transact(&format!("AT+QSSLOPEN=1,0,1,\"127.0.0.1\",{port},{mode}\r"), "\r\nOK\r\n").await;
    let t0 = Instant::now();
    sim.expect(b"\r\n+QSSLOPEN: 1,0\r\n").await;
    let took = t0.elapsed();
    (sim, took)
}

#[tokio::test(start_paused = true)]
async fn realistic_profile_delays_the_open_like_hardware() {
    let cfg = ModemConfig { timing: Timing::realistic(), ..ModemConfig::default() };
    let (_sim, took) = opened(cfg, ECHO, 0).await;
    assert!(took >= Duration::from_secs(2) && took < Duration::from_millis(2200), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn fast_profile_opens_at_once_and_keeps_urcs_apart_from_results() {
    let (mut sim, took) = opened(ModemConfig::default(), ECHO, 0).await;
    // The open URC follows the network: never sooner than the network gap after OK (issue 12),
    // and no later than the gap after that.
    let gap = qsslsim_modem::policy::FAST_NETWORK_URC_GAP;
    assert!(took >= gap && took < gap + Duration::from_millis(10), "{took:?}");
    // SEND OK and the recv URC are separate writes, the URC after the network gap.
    sim.transact("AT+QSSLSEND=1,2\r", "\r\n> ").await;
    sim.send(b"hi").await;
    sim.expect(b"\r\nSEND OK\r\n").await;
    let t0 = Instant::now();
    sim.expect(b"\r\n+QSSLURC: \"recv\",1\r\n").await;
    assert!(t0.elapsed() >= gap, "{:?}", t0.elapsed());
}

/// The `instant` profile keeps only the gap that makes a URC a write of its own.
#[tokio::test(start_paused = true)]
async fn instant_profile_reports_the_open_right_after_the_gap() {
    let cfg = ModemConfig { timing: qsslsim_modem::Timing::instant(), ..ModemConfig::default() };
    let (_sim, took) = opened(cfg, ECHO, 0).await;
    assert!(took < qsslsim_modem::policy::FAST_NETWORK_URC_GAP, "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn baud_paces_a_64k_push_to_its_nominal_duration() {
    let baud = 115_200u32;
    let cfg = ModemConfig { baud: Some(baud), ..ModemConfig::default() };
    let (mut sim, _) = opened(cfg, BLAST, 1).await;
    let t0 = Instant::now();
    // 64 KiB in push URCs of at most 1500 bytes, each with its header.
    let data = pattern(BLAST_BYTES);
    let mut expected = Vec::new();
    for chunk in data.chunks(1500) {
        expected.extend_from_slice(format!("\r\n+QSSLURC: \"recv\",1,{}\r\n", chunk.len()).as_bytes());
        expected.extend_from_slice(chunk);
    }
    sim.expect_within(&expected, Duration::from_secs(60)).await;
    let took = t0.elapsed().as_secs_f64();
    let nominal = expected.len() as f64 * 10.0 / f64::from(baud);
    assert!((took - nominal).abs() <= nominal * 0.10, "took {took:.3} s, nominal {nominal:.3} s");
}
