//! Transparent mode on tokio's paused clock against in-memory TLS servers: the `+++` guard
//! times exactly, DTR per AT&D, ATO and AT+QISWTMD back into data mode, mode switches, and a
//! server close while transparent.

mod support;

use std::time::Duration;

use qsslsim_modem::ModemConfig;
use support::inproc::{Behaviour, MemoryNet, Sim};
use tokio::time::{sleep, Instant};

const ECHO: u16 = 7000;
const SINK: u16 = 7001;

async fn connected(mode: u8, port: u16) -> (Sim, std::sync::Arc<MemoryNet>) {
    let net = MemoryNet::new(&[(ECHO, Behaviour::Echo), (SINK, Behaviour::Sink)]);
    let mut sim = Sim::start(ModemConfig::default(), net.clone());
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim.transact("AT+QIACT=1\r", "\r\nOK\r\n").await;
    let open = format!("AT+QSSLOPEN=1,0,3,\"127.0.0.1\",{port},{mode}\r");
    if mode == 2 {
        sim.transact(&open, "\r\nCONNECT\r\n").await;
    } else {
        sim.transact(&open, "\r\nOK\r\n").await;
        sim.expect(b"\r\n+QSSLOPEN: 3,0\r\n").await;
    }
    (sim, net)
}

#[tokio::test(start_paused = true)]
async fn plus_inside_the_guard_is_data_and_reaches_the_server() {
    let (mut sim, net) = connected(2, SINK).await;
    sim.send(b"abc").await;
    sleep(Duration::from_millis(500)).await;
    sim.send(b"+++").await;
    sleep(Duration::from_millis(2000)).await;
    // No OK: it was data.
    assert!(sim.read_for(Duration::from_millis(10)).await.is_empty());
    sim.send(b"xyz").await;
    sleep(Duration::from_millis(100)).await;
    assert_eq!(net.received.lock().unwrap().as_slice(), b"abc+++xyz");
}

#[tokio::test(start_paused = true)]
async fn guarded_plus_leaves_transparent_mode_after_the_trailing_guard() {
    let (mut sim, net) = connected(2, SINK).await;
    sim.send(b"payload").await;
    sleep(Duration::from_millis(1000)).await;
    sim.send(b"+++").await;
    let t0 = Instant::now();
    assert!(sim.read_for(Duration::from_millis(999)).await.is_empty(), "OK came before the trailing guard");
    sim.expect(b"\r\nOK\r\n").await;
    assert!(t0.elapsed() >= Duration::from_secs(1));
    assert_eq!(net.received.lock().unwrap().as_slice(), b"payload");
    // Command mode again; the connection stays, now in buffer mode.
    sim.transact(
        "AT+QSSLSTATE=3\r",
        "\r\n+QSSLSTATE: 3,\"SSLClient\",\"127.0.0.1\",7001,50000,2,1,3,0,\"uart1\",0\r\n\r\nOK\r\n",
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn plusses_typed_one_by_one_within_a_second_also_escape() {
    let (mut sim, _net) = connected(2, ECHO).await;
    sleep(Duration::from_millis(1200)).await;
    for _ in 0..3 {
        sim.send(b"+").await;
        sleep(Duration::from_millis(300)).await;
    }
    sim.expect(b"\r\nOK\r\n").await;
}

#[tokio::test(start_paused = true)]
async fn ato_and_qiswtmd_return_to_transparent_mode() {
    let (mut sim, _net) = connected(2, ECHO).await;
    sim.send(b"one").await;
    sim.expect(b"one").await;
    sleep(Duration::from_millis(1000)).await;
    sim.send(b"+++").await;
    sleep(Duration::from_millis(1000)).await;
    sim.expect(b"\r\nOK\r\n").await;
    sim.transact("ATO\r", "\r\nCONNECT\r\n").await;
    sim.send(b"two").await;
    sim.expect(b"two").await;
    sleep(Duration::from_millis(1000)).await;
    sim.send(b"+++").await;
    sleep(Duration::from_millis(1000)).await;
    sim.expect(b"\r\nOK\r\n").await;
    sim.transact("AT+QISWTMD=3,2\r", "\r\nCONNECT\r\n").await;
    sim.send(b"three").await;
    sim.expect(b"three").await;
}

#[tokio::test(start_paused = true)]
async fn ato_without_a_transparent_connection_is_no_carrier() {
    let (mut sim, _net) = connected(0, ECHO).await;
    sim.transact("ATO\r", "\r\nNO CARRIER\r\n").await;
}

#[tokio::test(start_paused = true)]
async fn data_arriving_in_command_mode_is_buffered_then_delivered_on_return() {
    let (mut sim, _net) = connected(2, ECHO).await;
    sleep(Duration::from_millis(1000)).await;
    sim.send(b"+++").await;
    sleep(Duration::from_millis(1000)).await;
    sim.expect(b"\r\nOK\r\n").await;
    // In buffer mode now: send, and the echo is buffered with a recv URC.
    sim.transact("AT+QSSLSEND=3,5\r", "\r\n> ").await;
    sim.send(b"hello").await;
    sim.expect(b"\r\nSEND OK\r\n").await;
    sim.expect(b"\r\n+QSSLURC: \"recv\",3\r\n").await;
    // Back to transparent: the buffered bytes come right after CONNECT.
    sim.transact("AT+QISWTMD=3,2\r", "\r\nCONNECT\r\nhello").await;
}

#[tokio::test(start_paused = true)]
async fn qiswtmd_switches_buffer_to_push_and_pushes_what_is_buffered() {
    let (mut sim, _net) = connected(0, ECHO).await;
    sim.transact("AT+QSSLSEND=3,4\r", "\r\n> ").await;
    sim.send(b"ping").await;
    sim.expect(b"\r\nSEND OK\r\n").await;
    sim.expect(b"\r\n+QSSLURC: \"recv\",3\r\n").await;
    sim.transact("AT+QISWTMD=3,1\r", "\r\nOK\r\n").await;
    sim.expect(b"\r\n+QSSLURC: \"recv\",3,4\r\nping").await;
    sim.transact("AT+QISWTMD=3,0\r", "\r\nOK\r\n").await;
    sim.transact("AT+QISWTMD=3,3\r", "\r\nERROR\r\n").await;
    sim.transact("AT+QISWTMD=4,0\r", "\r\nERROR\r\n").await;
    sim.transact("AT+QISWTMD=?\r", "\r\n+QISWTMD: (0-11),(0-2)\r\n\r\nOK\r\n").await;
}

#[tokio::test(start_paused = true)]
async fn dtr_per_at_and_d() {
    // AT&D1 (default): DTR low→high leaves data mode, connection kept.
    let (mut sim, _net) = connected(2, ECHO).await;
    sim.control.dtr(false).await;
    sim.control.dtr(true).await;
    sim.expect(b"\r\nOK\r\n").await;
    sim.transact("ATO\r", "\r\nCONNECT\r\n").await;
    sim.send(b"still here").await;
    sim.expect(b"still here").await;
    // AT&D0: ignored.
    sleep(Duration::from_millis(1000)).await;
    sim.send(b"+++").await;
    sleep(Duration::from_millis(1000)).await;
    sim.expect(b"\r\nOK\r\n").await;
    sim.transact("AT&D0\r", "\r\nOK\r\n").await;
    sim.transact("ATO\r", "\r\nCONNECT\r\n").await;
    sim.control.dtr(false).await;
    sim.control.dtr(true).await;
    assert!(sim.read_for(Duration::from_millis(100)).await.is_empty());
    // AT&D2: DTR drop closes the connection.
    sleep(Duration::from_millis(1000)).await;
    sim.send(b"+++").await;
    sleep(Duration::from_millis(1000)).await;
    sim.expect(b"\r\nOK\r\n").await;
    sim.transact("AT&D2\r", "\r\nOK\r\n").await;
    sim.transact("ATO\r", "\r\nCONNECT\r\n").await;
    sim.control.dtr(false).await;
    sim.control.dtr(true).await;
    sim.expect(b"\r\nNO CARRIER\r\n").await;
    sim.transact("AT+QSSLSTATE\r", "\r\nOK\r\n").await;
    sim.transact("ATO\r", "\r\nNO CARRIER\r\n").await;
}
