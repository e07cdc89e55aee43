//! `AT+QHTTP*` end to end over the pty of the real daemon: a tiny HTTP/1.1 server on loopback
//! inside the test (plain, and over rustls with the test PKI), reached through `--resolve` and
//! `--route` from example names. Checks the request the server saw, and the module's bytes:
//! `CONNECT`/`OK` around the URL and the POST body, `+QHTTPGET`/`+QHTTPPOST` reports, the body
//! of `AT+QHTTPREAD` and its `+QHTTPREAD: 0`, for a Content-Length body and a chunked one.

mod support;
#[path = "support/tls_servers.rs"]
mod tls_servers;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::Duration;

use qsslsim_modem::{Fault, ModemConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use support::inproc::{Behaviour, MemoryNet, Sim};
use support::{Daemon, Port};
use tls_servers::{cert, ufs};

const OK: &str = "\r\nOK\r\n";
const CONNECT: &str = "\r\nCONNECT\r\n";

/// Read one request (head and Content-Length body) from `s`.
fn read_request(s: &mut impl Read) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).unwrap_or(0) == 0 {
            break;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .map_or(0, |n| n.trim().parse::<usize>().unwrap());
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    head + &String::from_utf8_lossy(&body)
}

/// A server answering each connection with `response`; the requests it saw come on the channel.
fn http_server(response: &'static [u8], tls: Option<Arc<rustls::ServerConfig>>) -> (u16, Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut tcp) = stream else { continue };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(20)));
            let req = match &tls {
                None => {
                    let req = read_request(&mut tcp);
                    tcp.write_all(response).unwrap();
                    req
                }
                Some(cfg) => {
                    let conn = rustls::ServerConnection::new(cfg.clone()).unwrap();
                    let mut s = rustls::StreamOwned::new(conn, tcp);
                    let req = read_request(&mut s);
                    s.write_all(response).unwrap();
                    s.conn.send_close_notify();
                    let _ = s.flush();
                    req
                }
            };
            let _ = tx.send(req);
        }
    });
    (port, rx)
}

fn tls_config() -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(cert("server-rsa.pem")).unwrap().map(|c| c.unwrap()).collect();
    let key = PrivateKeyDer::from_pem_file(cert("server-rsa.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    Arc::new(config)
}

fn started(args: &[&str]) -> (Daemon, Port) {
    let d = Daemon::start(args);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", OK);
    (d, p)
}

/// `AT+QHTTPURL`, `CONNECT`, the URL, `OK`.
fn set_url(p: &mut Port, url: &str) {
    p.transact(&format!("AT+QHTTPURL={},80\r", url.len()), CONNECT);
    p.transact(url, OK);
}

/// The next URC's exact bytes.
fn urc(p: &mut Port) -> String {
    let mut got = p.take(2, Duration::from_secs(20));
    got.extend(p.read_until(b"\r\n", Duration::from_secs(20)));
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn get_over_plain_http_through_a_route() {
    let (port, seen) = http_server(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\nhello", None);
    let route = format!("192.0.2.80:80=127.0.0.1:{port}");
    let (_d, mut p) = started(&["--resolve", "example.com=192.0.2.80", "--route", &route]);
    set_url(&mut p, "http://example.com/path?q=1");
    p.transact("AT+QHTTPGET=30\r", OK);
    assert_eq!(urc(&mut p), "\r\n+QHTTPGET: 0,200,5\r\n");
    let req = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        req,
        "GET /path?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nUser-Agent: QUECTEL_MODULE\r\nConnection: close\r\n\r\n"
    );
    p.transact("AT+QHTTPREAD=30\r", "\r\nCONNECT\r\nhello\r\nOK\r\n");
    assert_eq!(urc(&mut p), "\r\n+QHTTPREAD: 0\r\n");
    // With the head (responseheader 1) on a second request.
    p.transact("AT+QHTTPCFG=\"responseheader\",1\r", OK);
    p.transact("AT+QHTTPGET\r", OK);
    assert_eq!(urc(&mut p), "\r\n+QHTTPGET: 0,200,5\r\n");
    p.transact(
        "AT+QHTTPREAD\r",
        "\r\nCONNECT\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\nhello\r\nOK\r\n",
    );
    assert_eq!(urc(&mut p), "\r\n+QHTTPREAD: 0\r\n");
}

#[test]
fn post_over_https_with_a_chunked_answer() {
    let response =
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    let (port, seen) = http_server(response, Some(tls_config()));
    let route = format!("192.0.2.43:443=127.0.0.1:{port}");
    let ca = ufs("ca.pem");
    let (_d, mut p) = started(&["--resolve", "qsslsim.test=192.0.2.43", "--route", &route, "--file", &ca]);
    p.transact("AT+QSSLCFG=\"seclevel\",2,1\r", OK);
    p.transact("AT+QSSLCFG=\"cacert\",2,\"UFS:ca.pem\"\r", OK);
    p.transact("AT+QHTTPCFG=\"sslctxid\",2\r", OK);
    p.transact("AT+QHTTPCFG=\"contenttype\",1\r", OK);
    set_url(&mut p, "https://qsslsim.test/up");
    p.transact("AT+QHTTPPOST=9,10,30\r", CONNECT);
    p.transact("key=value", OK);
    assert_eq!(urc(&mut p), "\r\n+QHTTPPOST: 0,201\r\n");
    let req = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(req.starts_with("POST /up HTTP/1.1\r\nHost: qsslsim.test\r\n"), "{req:?}");
    assert!(req.contains("Content-Type: text/plain\r\nContent-Length: 9\r\n\r\nkey=value"), "{req:?}");
    p.transact("AT+QHTTPREAD=30\r", "\r\nCONNECT\r\nabcde\r\nOK\r\n");
    assert_eq!(urc(&mut p), "\r\n+QHTTPREAD: 0\r\n");
}

#[test]
fn refused_and_unverified_requests_report_716() {
    // Nothing listens where the route leads.
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = free.local_addr().unwrap().port();
    drop(free);
    let route = format!("192.0.2.80:80=127.0.0.1:{dead}");
    let (port, _seen) = http_server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Some(tls_config()));
    let tls_route = format!("192.0.2.43:443=127.0.0.1:{port}");
    let untrusted = ufs("untrusted-ca.pem");
    let (_d, mut p) = started(&[
        "--file",
        &untrusted,
        "--resolve",
        "example.com=192.0.2.80",
        "--resolve",
        "qsslsim.test=192.0.2.43",
        "--route",
        &route,
        "--route",
        &tls_route,
    ]);
    set_url(&mut p, "http://example.com/");
    p.transact("AT+QHTTPGET\r", OK);
    assert_eq!(urc(&mut p), "\r\n+QHTTPGET: 716\r\n");
    // No CA in context 1 with seclevel 1: the context cannot be prepared.
    p.transact("AT+QSSLCFG=\"seclevel\",1,1\r", OK);
    set_url(&mut p, "https://qsslsim.test/");
    p.transact("AT+QHTTPGET\r", OK);
    assert_eq!(urc(&mut p), "\r\n+QHTTPGET: 716\r\n");
    // A CA that did not sign the server's certificate: the real handshake fails.
    p.transact("AT+QSSLCFG=\"cacert\",1,\"UFS:untrusted-ca.pem\"\r", OK);
    p.transact("AT+QHTTPGET\r", OK);
    assert_eq!(urc(&mut p), "\r\n+QHTTPGET: 716\r\n");
    // An unknown name: 714.
    set_url(&mut p, "http://nosuch.example/");
    p.transact("AT+QHTTPGET\r", OK);
    assert_eq!(urc(&mut p), "\r\n+QHTTPGET: 714\r\n");
    drop(TcpStream::connect(("127.0.0.1", port)));
}

// ---- paused clock, in process ----------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_silent_server_is_702_after_rsptime_and_faults_act_on_the_connect() {
    let mut sim = Sim::start(ModemConfig::default(), MemoryNet::new(&[(80, Behaviour::Silent)]));
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim.transact("AT+QIACT=1\r", OK).await;
    let url = "http://192.0.2.1/";
    sim.transact(&format!("AT+QHTTPURL={},80\r", url.len()), CONNECT).await;
    sim.transact(url, OK).await;
    let t0 = tokio::time::Instant::now();
    sim.transact("AT+QHTTPGET=5\r", OK).await;
    // Busy until the head or the timeout.
    sim.transact("AT+QHTTPGET\r", "\r\n+CME ERROR: 703\r\n").await;
    sim.expect_within(b"\r\n+QHTTPGET: 702\r\n", Duration::from_secs(30)).await;
    let waited = t0.elapsed();
    assert!(waited >= Duration::from_secs(5) && waited < Duration::from_secs(6), "answered after {waited:?}");
    sim.control.fault(Fault::RefuseConnect).await;
    sim.transact("AT+QHTTPGET\r", OK).await;
    sim.expect(b"\r\n+QHTTPGET: 716\r\n").await;
}
