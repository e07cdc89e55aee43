//! `qsslsim peer --proto tcp|udp` over loopback: TCP echo, sink and source with exact bytes,
//! UDP echo to each sender, the UDP source's burst per datagram, the UDP sink's counts, and
//! the refusals (http over UDP, --tls13 without TLS, a non-loopback address).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use qsslsim::peer::PeerMode;
use qsslsim::peer_plain::{serve_udp, UdpCounts, SOURCE_BURST, SOURCE_DATAGRAM};

/// A `qsslsim peer` child, killed when dropped.
struct PeerProc {
    child: Child,
    addr: SocketAddr,
}

impl Drop for PeerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn peer(proto: &str, mode: &str) -> PeerProc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qsslsim"))
        .args(["peer", "--listen", "127.0.0.1:0", "--proto", proto, "--mode", mode])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn peer");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("LISTENING line");
    let addr = line.strip_prefix("LISTENING ").unwrap_or_else(|| panic!("peer said {line:?}")).trim();
    PeerProc { addr: addr.parse().unwrap(), child }
}

/// What `peer args...` prints and returns when it refuses to start.
fn refused(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qsslsim")).arg("peer").args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The a..z stream every source sends, from its first byte.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + ((i % (16 * 1024)) % 26) as u8).collect()
}

fn tcp(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

fn udp() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

#[test]
fn tcp_echo_returns_every_byte_and_closes_after_the_client() {
    let p = peer("tcp", "echo");
    let mut s = tcp(p.addr);
    let sent: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let writer = {
        let mut w = s.try_clone().unwrap();
        let sent = sent.clone();
        std::thread::spawn(move || {
            w.write_all(&sent).unwrap();
            w.shutdown(Shutdown::Write).unwrap();
        })
    };
    let mut back = Vec::new();
    s.read_to_end(&mut back).unwrap();
    writer.join().unwrap();
    assert_eq!(back.len(), sent.len());
    assert!(back == sent, "echo differs");
}

#[test]
fn tcp_source_streams_the_pattern_from_its_first_byte() {
    let p = peer("tcp", "source");
    let mut s = tcp(p.addr);
    let mut got = vec![0u8; 40_000];
    s.read_exact(&mut got).unwrap();
    assert!(got == pattern(40_000), "first bytes: {:?}", String::from_utf8_lossy(&got[..40]));
}

#[test]
fn tcp_sink_takes_everything_and_answers_nothing() {
    let p = peer("tcp", "sink");
    let mut s = tcp(p.addr);
    s.write_all(&vec![b'x'; 1 << 20]).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    s.read_to_end(&mut back).unwrap();
    assert_eq!(back, b"", "a sink answers nothing, then closes after the client");
}

#[test]
fn tcp_http_answers_plain() {
    let p = peer("tcp", "http");
    let mut s = tcp(p.addr);
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut back = Vec::new();
    s.read_to_end(&mut back).unwrap();
    assert_eq!(
        String::from_utf8(back).unwrap(),
        "HTTP/1.1 200 OK\r\nContent-Length: 19\r\nConnection: close\r\n\r\nhello from qsslsim\n"
    );
}

#[test]
fn udp_echo_answers_each_datagram_to_its_sender() {
    let p = peer("udp", "echo");
    let (a, b) = (udp(), udp());
    let mut buf = [0u8; 2048];
    for (client, data) in
        [(&a, &b"first"[..]), (&b, &[0u8, 0x1a, b'+', b'\r', b'\n', 0xff][..]), (&a, &[b'z'; 1460][..])]
    {
        client.send_to(data, p.addr).unwrap();
        let (n, from) = client.recv_from(&mut buf).unwrap();
        assert_eq!(from, p.addr);
        assert_eq!(&buf[..n], data);
    }
    // An empty datagram comes back empty.
    a.send_to(b"", p.addr).unwrap();
    assert_eq!(a.recv_from(&mut buf).unwrap(), (0, p.addr));
    // Nothing went to the other client.
    b.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    assert!(b.recv_from(&mut buf).is_err(), "the echo went to the wrong sender");
}

#[test]
fn udp_source_answers_each_datagram_with_one_burst() {
    let p = peer("udp", "source");
    let c = udp();
    let mut buf = [0u8; 4096];
    let burst = pattern(SOURCE_BURST * SOURCE_DATAGRAM);
    for _ in 0..2 {
        c.send_to(b"more", p.addr).unwrap();
        let mut got = Vec::new();
        for k in 0..SOURCE_BURST {
            let (n, from) = c.recv_from(&mut buf).unwrap();
            assert_eq!((n, from), (SOURCE_DATAGRAM, p.addr), "datagram {k}");
            got.extend_from_slice(&buf[..n]);
        }
        assert!(got == burst, "the burst is the first 8 KiB of the a..z stream");
    }
    assert_eq!((SOURCE_BURST, SOURCE_DATAGRAM), (8, 1024), "the documented burst");
    c.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    assert!(c.recv_from(&mut buf).is_err(), "one burst per datagram, no more");
}

#[tokio::test]
async fn udp_sink_counts_and_answers_nothing() {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let counts = Arc::new(UdpCounts::default());
    let task = tokio::spawn(serve_udp(socket, PeerMode::Sink, counts.clone()));
    let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for data in [&b"one"[..], &b""[..], &[7u8; 1000][..]] {
        client.send_to(data, addr).await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(10), async {
        while counts.datagrams.load(Ordering::Relaxed) < 3 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the sink counted three datagrams");
    assert_eq!(counts.bytes.load(Ordering::Relaxed), 1003);
    let mut buf = [0u8; 16];
    let quiet = tokio::time::timeout(Duration::from_millis(200), client.recv_from(&mut buf)).await;
    assert!(quiet.is_err(), "a sink answers nothing");
    task.abort();
}

#[test]
fn refusals_exit_2_with_a_reason() {
    let (code, out, err) = refused(&["--proto", "udp", "--mode", "http", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(2));
    assert_eq!(out, "");
    assert!(err.contains("--mode http needs a stream: use --proto tls or --proto tcp"), "{err}");

    let (code, out, err) = refused(&["--proto", "tcp", "--tls13", "--listen", "127.0.0.1:0"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("--tls13 and --keylog apply to --proto tls only"), "{err}");
    let (code, out, err) =
        refused(&["--proto", "udp", "--keylog", "/nonexistent/k", "--listen", "127.0.0.1:0"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("--tls13 and --keylog apply to --proto tls only"), "{err}");

    let (code, out, err) = refused(&["--proto", "udp", "--listen", "192.0.2.1:9"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("is not a loopback address; an open echo or source is a relay"), "{err}");

    let (code, _, err) = refused(&["--proto", "sctp"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("possible values: tls, tcp, udp"), "{err}");
}
