//! `--demo`'s plain TCP and UDP echo peers: the maker's TCP/IP note example addresses route to
//! them (and the SSL example addresses still to the TLS echo), and the plain TCP flow the
//! banner prints works when typed.

mod support;

use std::net::{IpAddr, SocketAddr};

use clap::Parser;
use qsslsim::cli::Cli;
use qsslsim::daemon::{net_policy, start_demo, DEMO_ADDRESSES, DEMO_PLAIN_ADDRESSES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn dial(policy: &qsslsim::network::NetPolicy, addr: &str) -> SocketAddr {
    let addr: SocketAddr = addr.parse().unwrap();
    policy.destination(&addr.ip().to_string(), addr.port(), true).await.unwrap().dial
}

#[tokio::test]
async fn demo_routes_the_tcpip_note_addresses_to_tcp_and_udp_echoes() {
    let mut args = Cli::parse_from(["qsslsim", "--demo"]).run;
    let peers = start_demo(&mut args).await.unwrap();
    assert!(peers.plain.ip().is_loopback() && peers.tls.ip().is_loopback());
    assert_ne!(peers.plain, peers.tls);
    let policy = net_policy(&args);
    assert_eq!(DEMO_PLAIN_ADDRESSES, ["220.180.239.212:8009", "10.7.89.10:6969"]);
    for from in DEMO_PLAIN_ADDRESSES {
        let to = dial(&policy, from).await;
        assert_eq!(to, peers.plain, "{from}");
        // TCP echo.
        let mut tcp = tokio::net::TcpStream::connect(to).await.unwrap();
        tcp.write_all(b"hello over tcp").await.unwrap();
        let mut back = [0u8; 14];
        tcp.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"hello over tcp");
        // UDP echo on the same address, answering from it.
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        udp.send_to(b"hello over udp", to).await.unwrap();
        let mut buf = [0u8; 64];
        let (n, src) = udp.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], src), (&b"hello over udp"[..], to));
    }
    // The SSL demo routes are unchanged, and the name still leads to them.
    for from in DEMO_ADDRESSES {
        assert_eq!(dial(&policy, from).await, peers.tls, "{from}");
    }
    let named = policy.destination("peer.qsslsim.test", 8010, true).await.unwrap();
    assert_eq!((named.reported.ip(), named.dial), ("192.0.2.2".parse::<IpAddr>().unwrap(), peers.tls));
}

/// `SEND OK` and the echo's `+QIURC: "recv",<id>`. A module prints `SEND OK` long before any
/// reply can cross a real network; the loopback echo can answer before the daemon has
/// reported the send, so either order is accepted here (exactly these bytes, one order or
/// the other).
#[track_caller]
fn send_ok_and_recv(p: &mut support::Port, id: u8) {
    let (ok, urc) = ("\r\nSEND OK\r\n".to_string(), format!("\r\n+QIURC: \"recv\",{id}\r\n"));
    let got = String::from_utf8(p.take(ok.len() + urc.len(), std::time::Duration::from_secs(10))).unwrap();
    assert!(got == format!("{ok}{urc}") || got == format!("{urc}{ok}"), "{got:?}");
}

/// A child process that is killed if the test panics.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `qsslsim --demo`: type the plain TCP flow the banner prints, then the note's transparent-mode
/// and UDP service examples and a UDP client against the same routed addresses, asserting the
/// module's bytes.
#[test]
fn demo_plain_tcp_flow_and_the_notes_examples_work_when_typed() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    let link = std::env::temp_dir().join(format!("qsslsim-{}-demo-tcp.pty", std::process::id()));
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_qsslsim"))
            .args(["--demo", "--link", link.to_str().unwrap(), "--guard-time", "200"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut out = std::io::BufReader::new(child.0.stdout.take().unwrap());
    let (mut in_tcp, mut flow, mut plain) = (false, Vec::new(), None::<SocketAddr>);
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 || line.starts_with("Stop with") {
            break;
        }
        if let Some(rest) = line.strip_prefix("Plain TCP and UDP echo peers on ") {
            plain = rest.split(' ').next().unwrap().parse().ok();
        }
        in_tcp |= line.starts_with("Then plain TCP");
        if let Some(cmd) = line.trim_start().strip_prefix("AT").filter(|_| in_tcp) {
            flow.push(format!("AT{}", cmd.split("  ").next().unwrap().trim()));
        }
    }
    assert_eq!(
        flow,
        [
            "AT+QIACT=1",
            "AT+QIOPEN=1,0,\"TCP\",\"220.180.239.212\",8009,0,0",
            "AT+QISEND=0,5",
            "AT+QIRD=0,1500",
            "AT+QICLOSE=0"
        ]
    );
    plain.expect("the banner names the plain peers' address");
    let mut p = support::Port::open(&link);
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact(&format!("{}\r", flow[1]), "\r\nOK\r\n");
    p.expect(b"\r\n+QIOPEN: 0,0\r\n");
    p.transact("AT+QISEND=0,5\r", "\r\n> ");
    p.send(b"hello");
    send_ok_and_recv(&mut p, 0);
    p.transact("AT+QIRD=0,1500\r", "\r\n+QIRD: 5\r\nhello\r\n\r\nOK\r\n");
    p.transact("AT+QICLOSE=0\r", "\r\nOK\r\n");

    // The note's transparent-mode example, same address.
    p.transact("AT+QIOPEN=1,0,\"TCP\",\"220.180.239.212\",8009,0,2\r", "\r\nCONNECT\r\n");
    p.send(b"through the echo");
    p.expect(b"through the echo");
    std::thread::sleep(Duration::from_millis(300));
    p.send(b"+++");
    p.expect(b"\r\nOK\r\n");
    p.transact("AT+QICLOSE=0\r", "\r\nOK\r\n");

    // The note's UDP service example: its datagram to 10.7.89.10:6969 comes back from there.
    p.transact("AT+QIOPEN=1,2,\"UDP SERVICE\",\"127.0.0.1\",0,3030,0\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QIOPEN: 2,0\r\n");
    p.transact("AT+QISEND=2,10,\"10.7.89.10\",6969\r", "\r\n> ");
    p.send(b"1234567890");
    send_ok_and_recv(&mut p, 2);
    // The sender as the module reports it: the address the host sent to, not where the
    // route led (two demo routes share that peer).
    p.transact("AT+QIRD=2\r", "\r\n+QIRD: 10,\"10.7.89.10\",6969\r\n1234567890\r\n\r\nOK\r\n");
    // And a "UDP" client socket to the TCP example's address reaches the UDP echo too.
    p.transact("AT+QIOPEN=1,3,\"UDP\",\"220.180.239.212\",8009,0,0\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QIOPEN: 3,0\r\n");
    p.transact("AT+QISEND=3,4\r", "\r\n> ");
    p.send(b"ping");
    send_ok_and_recv(&mut p, 3);
    p.transact("AT+QIRD=3,1500\r", "\r\n+QIRD: 4\r\nping\r\n\r\nOK\r\n");
    p.transact("AT+QICLOSE=2\r", "\r\nOK\r\n");
    p.transact("AT+QICLOSE=3\r", "\r\nOK\r\n");
    p.expect_quiet(Duration::from_millis(200));

    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.0.id() as i32), nix::sys::signal::Signal::SIGINT)
        .unwrap();
    assert_eq!(child.0.wait().unwrap().code(), Some(0));
}
