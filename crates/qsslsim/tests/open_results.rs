//! Every row of the open result-code table provoked for real (docs/policies.md): refused
//! port, unresolvable name, sandbox refusal, unusable DNS, id in use, PDP inactive, handshake
//! failure, negotiate timeout (paused clock), bad parameters; mode 2 answering ERROR; and what
//! the host sees when the server or the PDP context goes.

mod support;

use std::io::Write;
use std::time::Duration;

use qsslsim_modem::ModemConfig;
use support::inproc::{Behaviour, MemoryNet, Sim, GOODBYE_DATA};
use support::{Daemon, Port};
use tokio::time::Instant;

fn started() -> (Daemon, Port) {
    let d = Daemon::start(&["--resolve", "mapped.test=127.0.0.1"]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    (d, p)
}

fn geterror(p: &mut Port, code: u16, text: &str) {
    p.transact("AT+QIGETERROR\r", &format!("\r\n+QIGETERROR: {code},{text}\r\n\r\nOK\r\n"));
}

/// A loopback port with nothing listening.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn pdp_inactive_then_refused_unresolvable_sandbox_and_id_in_use() {
    let (_d, mut p) = started();
    let port = closed_port();
    p.transact(&format!("AT+QSSLOPEN=1,0,0,\"127.0.0.1\",{port},0\r"), "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 0,561\r\n");
    geterror(&mut p, 561, "open PDP context failed");
    p.transact(&format!("AT+QSSLOPEN=1,0,0,\"127.0.0.1\",{port},2\r"), "\r\nERROR\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    // Connection refused.
    p.transact(&format!("AT+QSSLOPEN=1,0,0,\"127.0.0.1\",{port},0\r"), "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 0,566\r\n");
    geterror(&mut p, 566, "socket connect failed");
    // A name nobody mapped: DNS failure without a query leaving the machine.
    p.transact("AT+QSSLOPEN=1,0,0,\"nosuch.invalid\",443,1\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 0,565\r\n");
    geterror(&mut p, 565, "DNS parse failed");
    // An address that is not loopback: refused by the sandbox like a failed connect.
    p.transact("AT+QSSLOPEN=1,0,0,\"192.0.2.77\",443,0\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 0,566\r\n");
    // Mapped name works as far as TCP: refused on a closed port.
    p.transact(&format!("AT+QSSLOPEN=1,0,0,\"mapped.test\",{port},0\r"), "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 0,566\r\n");
    // DNS server unusable on the context: names fail with 565.
    p.transact("AT+QIDNSCFG=1,\"0.0.0.0\",\"0.0.0.0\"\r", "\r\nOK\r\n");
    p.transact(&format!("AT+QSSLOPEN=1,0,0,\"mapped.test\",{port},0\r"), "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 0,565\r\n");
    // Mode 2 failures answer ERROR.
    p.transact(&format!("AT+QSSLOPEN=1,0,0,\"127.0.0.1\",{port},2\r"), "\r\nERROR\r\n");
    geterror(&mut p, 566, "socket connect failed");
}

#[test]
fn id_in_use_and_bad_parameters() {
    let peer = support::Peer::start("echo");
    let (_d, mut p) = started();
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    let port = peer.addr.port();
    p.transact(&format!("AT+QSSLOPEN=1,0,5,\"127.0.0.1\",{port},0\r"), "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 5,0\r\n");
    p.transact(&format!("AT+QSSLOPEN=1,0,5,\"127.0.0.1\",{port},0\r"), "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 5,563\r\n");
    geterror(&mut p, 563, "socket identity has been used");
    p.transact(&format!("AT+QSSLOPEN=1,0,5,\"127.0.0.1\",{port},2\r"), "\r\nERROR\r\n");
    for bad in [
        "AT+QSSLOPEN=0,0,1,\"127.0.0.1\",443,0",
        "AT+QSSLOPEN=16,0,1,\"127.0.0.1\",443,0",
        "AT+QSSLOPEN=1,6,1,\"127.0.0.1\",443,0",
        "AT+QSSLOPEN=1,0,12,\"127.0.0.1\",443,0",
        "AT+QSSLOPEN=1,0,1,\"\",443,0",
        "AT+QSSLOPEN=1,0,1,127.0.0.1,443,0",
        "AT+QSSLOPEN=1,0,1,\"127.0.0.1\",0,0",
        "AT+QSSLOPEN=1,0,1,\"127.0.0.1\",65536,0",
        "AT+QSSLOPEN=1,0,1,\"127.0.0.1\",443,3",
        "AT+QSSLOPEN=1,0,1,\"127.0.0.1\"",
    ] {
        p.transact(&format!("{bad}\r"), "\r\nERROR\r\n");
        geterror(&mut p, 552, "invalid parameters");
    }
    p.transact(
        "AT+QSSLOPEN=?\r",
        "\r\n+QSSLOPEN: (1-15),(0-5),(0-11),<serveraddr>,<server_port>,(0-2)\r\n\r\nOK\r\n",
    );
    // Several connections may share one SSL context.
    p.transact(&format!("AT+QSSLOPEN=1,0,6,\"127.0.0.1\",{port},0\r"), "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 6,0\r\n");
    p.transact("AT+QSSLCLOSE=5\r", "\r\nOK\r\n");
    p.transact("AT+QSSLCLOSE=6,0\r", "\r\nOK\r\n");
    p.transact("AT+QSSLCLOSE=7\r", "\r\nOK\r\n");
    p.transact("AT+QSSLCLOSE=12\r", "\r\nERROR\r\n");
    p.transact("AT+QSSLCLOSE=?\r", "\r\n+QSSLCLOSE: (0-11),(0-65535)\r\n\r\nOK\r\n");
}

#[test]
fn handshake_failures_are_566() {
    // A server that answers the ClientHello with garbage.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let _ = s.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n");
        }
    });
    let (_d, mut p) = started();
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact(&format!("AT+QSSLOPEN=1,0,1,\"127.0.0.1\",{port},0\r"), "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 1,566\r\n");
    // seclevel 1 with no CA configured fails before connecting.
    let peer = support::Peer::start("echo");
    p.transact("AT+QSSLCFG=\"seclevel\",2,1\r", "\r\nOK\r\n");
    p.transact(&format!("AT+QSSLOPEN=1,2,1,\"127.0.0.1\",{},0\r", peer.addr.port()), "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 1,566\r\n");
    // DTLS is not supported: 555.
    p.transact("AT+QSSLCFG=\"dtls\",3,1\r", "\r\nOK\r\n");
    p.transact(&format!("AT+QSSLOPEN=1,3,1,\"127.0.0.1\",{},0\r", peer.addr.port()), "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 1,555\r\n");
    geterror(&mut p, 555, "operation not supported");
}

#[tokio::test(start_paused = true)]
async fn negotiate_timeout_is_569_after_exactly_negotiatetime() {
    let net = MemoryNet::new(&[(9000, Behaviour::Silent)]);
    let mut sim = Sim::start(ModemConfig::default(), net);
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim.transact("AT+QIACT=1\r", "\r\nOK\r\n").await;
    sim.transact("AT+QSSLCFG=\"negotiatetime\",0,10\r", "\r\nOK\r\n").await;
    sim.transact("AT+QSSLOPEN=1,0,2,\"127.0.0.1\",9000,0\r", "\r\nOK\r\n").await;
    let t0 = Instant::now();
    assert!(sim.read_for(Duration::from_millis(9990)).await.is_empty());
    sim.expect(b"\r\n+QSSLOPEN: 2,569\r\n").await;
    let waited = t0.elapsed();
    assert!(waited >= Duration::from_secs(10) && waited < Duration::from_millis(10100), "{waited:?}");
    sim.transact("AT+QSSLSTATE\r", "\r\nOK\r\n").await;
    // Context 1 keeps the default negotiatetime of 300 s; in mode 2 the timeout answers ERROR.
    sim.transact("AT+QSSLOPEN=1,1,2,\"127.0.0.1\",9000,2\r", "").await;
    assert!(sim.read_for(Duration::from_secs(299)).await.is_empty());
    sim.expect(b"\r\nERROR\r\n").await;
    sim.transact("AT+QIGETERROR\r", "\r\n+QIGETERROR: 569,operation timeout\r\n\r\nOK\r\n").await;
}

#[tokio::test(start_paused = true)]
async fn server_close_keeps_data_readable_in_buffer_mode() {
    let net = MemoryNet::new(&[(9001, Behaviour::SendThenClose)]);
    let mut sim = Sim::start(ModemConfig::default(), net);
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim.transact("AT+QIACT=1\r", "\r\nOK\r\n").await;
    sim.transact("AT+QSSLOPEN=1,0,2,\"127.0.0.1\",9001,0\r", "\r\nOK\r\n").await;
    sim.expect(b"\r\n+QSSLOPEN: 2,0\r\n").await;
    sim.expect(b"\r\n+QSSLURC: \"recv\",2\r\n").await;
    sim.expect(b"\r\n+QSSLURC: \"closed\",2\r\n").await;
    sim.transact(
        "AT+QSSLSTATE=2\r",
        "\r\n+QSSLSTATE: 2,\"SSLClient\",\"127.0.0.1\",9001,50000,4,1,2,0,\"uart1\",0\r\n\r\nOK\r\n",
    )
    .await;
    let n = GOODBYE_DATA.len();
    let mut want = format!("\r\n+QSSLRECV: {n}\r\n").into_bytes();
    want.extend_from_slice(GOODBYE_DATA);
    want.extend_from_slice(b"\r\n\r\nOK\r\n");
    sim.send(b"AT+QSSLRECV=2,1500\r").await;
    sim.expect(&want).await;
    // Drained after an abnormal close: ERROR (note 2.2.4, policy recv-after-close).
    sim.transact("AT+QSSLRECV=2,1500\r", "\r\nERROR\r\n").await;
    sim.transact("AT+QSSLSEND=2,1\r", "\r\nERROR\r\n").await;
    sim.transact("AT+QSSLCLOSE=2\r", "\r\nOK\r\n").await;
    sim.transact("AT+QSSLSTATE\r", "\r\nOK\r\n").await;
}

#[tokio::test(start_paused = true)]
async fn server_close_in_push_and_transparent_modes() {
    let net = MemoryNet::new(&[(9001, Behaviour::SendThenClose)]);
    let mut sim = Sim::start(ModemConfig::default(), net);
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim.transact("AT+QIACT=1\r", "\r\nOK\r\n").await;
    sim.transact("AT+QSSLOPEN=1,0,2,\"127.0.0.1\",9001,1\r", "\r\nOK\r\n").await;
    sim.expect(b"\r\n+QSSLOPEN: 2,0\r\n").await;
    let mut push = format!("\r\n+QSSLURC: \"recv\",2,{}\r\n", GOODBYE_DATA.len()).into_bytes();
    push.extend_from_slice(GOODBYE_DATA);
    sim.expect(&push).await;
    sim.expect(b"\r\n+QSSLURC: \"closed\",2\r\n").await;
    sim.transact("AT+QSSLCLOSE=2\r", "\r\nOK\r\n").await;
    sim.transact("AT+QSSLOPEN=1,0,2,\"127.0.0.1\",9001,2\r", "\r\nCONNECT\r\n").await;
    sim.expect(GOODBYE_DATA).await;
    sim.expect(b"\r\nNO CARRIER\r\n").await;
    sim.transact(
        "AT+QSSLSTATE=2\r",
        "\r\n+QSSLSTATE: 2,\"SSLClient\",\"127.0.0.1\",9001,50001,4,1,2,2,\"uart1\",0\r\n\r\nOK\r\n",
    )
    .await;
    sim.transact("AT+QSSLCLOSE=2\r", "\r\nOK\r\n").await;
}

#[tokio::test(start_paused = true)]
async fn qideact_drops_sockets_with_closed_urcs() {
    let net = MemoryNet::new(&[(7000, Behaviour::Echo)]);
    let mut sim = Sim::start(ModemConfig::default(), net);
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim.transact("AT+QIACT=1\r", "\r\nOK\r\n").await;
    for id in [1, 2] {
        sim.transact(&format!("AT+QSSLOPEN=1,0,{id},\"127.0.0.1\",7000,0\r"), "\r\nOK\r\n").await;
        sim.expect(format!("\r\n+QSSLOPEN: {id},0\r\n").as_bytes()).await;
    }
    sim.transact("AT+QIDEACT=1\r", "\r\nOK\r\n").await;
    sim.expect(b"\r\n+QSSLURC: \"closed\",1\r\n").await;
    sim.expect(b"\r\n+QSSLURC: \"closed\",2\r\n").await;
    sim.transact("AT+QSSLSEND=1\r", "\r\nERROR\r\n").await;
    sim.transact("AT+QSSLCLOSE=1\r", "\r\nOK\r\n").await;
    sim.transact("AT+QSSLCLOSE=2\r", "\r\nOK\r\n").await;
    sim.transact("AT+QSSLSTATE\r", "\r\nOK\r\n").await;
}
