//! The AT port over the network (`--tcp`, `--rfc2217`): the real binary on loopback for the
//! wire formats (exact bytes, RFC 2217 negotiation as pyserial does it, DTR through SET-CONTROL
//! leaving transparent mode, one client at a time, state kept across clients), and the event
//! loop in process on tokio's paused clock for what depends on time and on the pty (RTS
//! holding output under AT+IFC=2,2, the pty set aside while a client has the port).

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use qsslsim::net_port::{FromClient, Line, Session, Via};
use qsslsim::rfc2217::{
    BINARY, COM_PORT, DO, ECHO, IAC, NOTIFY_MODEMSTATE, SB, SE, SERVER, SET_BAUDRATE, SET_CONTROL, SGA, WILL,
    WONT,
};
use qsslsim::runtime::{self, ControlHandle};
use qsslsim_modem::{Modem, ModemConfig};
use support::inproc::MemoryNet;
use support::show;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;

// ---- the real binary ------------------------------------------------------------------------

/// A daemon with network endpoints; its stderr (`-v`) goes to a file.
struct NetDaemon {
    child: Child,
    pty: String,
    tcp: Option<SocketAddr>,
    rfc2217: Option<SocketAddr>,
    log: std::path::PathBuf,
}

impl NetDaemon {
    fn start(args: &[&str]) -> NetDaemon {
        let log = std::env::temp_dir().join(format!(
            "qsslsim-net-port-{}-{:?}.log",
            std::process::id(),
            Instant::now()
        ));
        let mut child = Command::new(env!("CARGO_BIN_EXE_qsslsim"))
            .args(args)
            .arg("-v")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn qsslsim");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let pty =
            line.strip_prefix("READY ").unwrap_or_else(|| panic!("first line {line:?}")).trim().to_string();
        let endpoints = args.iter().filter(|a| **a == "--tcp" || **a == "--rfc2217").count();
        let (mut tcp, mut rfc2217) = (None, None);
        for _ in 0..endpoints {
            line.clear();
            stdout.read_line(&mut line).unwrap();
            match line.trim().split_once(' ') {
                Some(("TCP", addr)) => tcp = Some(addr.parse().unwrap()),
                Some(("RFC2217", addr)) => rfc2217 = Some(addr.parse().unwrap()),
                _ => panic!("endpoint line {line:?}"),
            }
        }
        // Keep the pipe drained (--demo prints its banner).
        std::thread::spawn(move || for _ in stdout.lines() {});
        NetDaemon { child, pty, tcp, rfc2217, log }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for NetDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A TCP client with exact-byte expectations.
struct Client {
    sock: TcpStream,
    pending: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let sock = TcpStream::connect(addr).unwrap();
        sock.set_nodelay(true).unwrap();
        Client { sock, pending: Vec::new() }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.sock.write_all(bytes).unwrap();
    }

    /// Exactly `expected` next, within 10 s.
    #[track_caller]
    fn expect(&mut self, expected: &[u8]) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buf = [0u8; 4096];
        while self.pending.len() < expected.len() && Instant::now() < deadline {
            self.sock.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
            match self.sock.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        let n = expected.len().min(self.pending.len());
        let got: Vec<u8> = self.pending.drain(..n).collect();
        assert_eq!(show(&got), show(expected));
    }

    fn transact(&mut self, send: &str, expected: &str) {
        self.send(send.as_bytes());
        self.expect(expected.as_bytes());
    }

    /// Whether the server closed the connection within `wait` (reading nothing else).
    fn closed_within(&mut self, wait: Duration) -> bool {
        self.sock.set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0u8; 64];
        matches!(self.sock.read(&mut buf), Ok(0) | Err(_)) && {
            // A timeout is an error too: tell them apart.
            self.sock.set_read_timeout(Some(Duration::from_millis(1))).unwrap();
            matches!(self.sock.read(&mut buf), Ok(0))
        }
    }
}

fn sb(command: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vec![IAC, SB, COM_PORT, command];
    qsslsim::rfc2217::escape_into(value, &mut v);
    v.extend_from_slice(&[IAC, SE]);
    v
}

/// The server's greeting, and what pyserial sends on opening, answered.
fn rfc2217_open(addr: SocketAddr) -> Client {
    let mut c = Client::connect(addr);
    c.expect(&[
        IAC, WILL, BINARY, IAC, DO, BINARY, IAC, WILL, SGA, IAC, DO, SGA, IAC, WILL, COM_PORT, IAC, DO,
        COM_PORT,
    ]);
    c.send(&[IAC, DO, ECHO, IAC, WILL, SGA, IAC, DO, SGA, IAC, DO, COM_PORT, IAC, WILL, COM_PORT]);
    c.send(&[IAC, WILL, BINARY, IAC, DO, BINARY]);
    c.expect(&[IAC, WONT, ECHO]);
    c.expect(&sb(NOTIFY_MODEMSTATE + SERVER, &[0x30]));
    c
}

#[test]
fn raw_tcp_carries_at_commands_byte_for_byte() {
    let d = NetDaemon::start(&["--tcp", "127.0.0.1:0"]);
    let mut c = Client::connect(d.tcp.unwrap());
    c.transact("AT\r", "AT\r\r\nOK\r\n");
    c.transact("ATI\r", "ATI\r\r\nQuectel\r\nEG915Q-GL\r\nRevision: EG915QGLR01A01M08\r\n\r\nOK\r\n");
    // 0xFF is an ordinary byte on a raw stream (here inside a line: echoed, then ERROR).
    c.send(b"A\xffT\r");
    c.expect(b"A\xffT\r\r\nERROR\r\n");
    assert!(d.log_text().contains("tcp client 127.0.0.1:"), "{}", d.log_text());
}

#[test]
fn rfc2217_negotiates_like_a_com_port_server_and_echoes_settings() {
    let d = NetDaemon::start(&["--rfc2217", "127.0.0.1:0"]);
    let mut c = rfc2217_open(d.rfc2217.unwrap());
    c.send(&sb(SET_BAUDRATE, &9600u32.to_be_bytes()));
    c.expect(&sb(SET_BAUDRATE + SERVER, &9600u32.to_be_bytes()));
    c.send(&sb(SET_CONTROL, &[8]));
    c.expect(&sb(SET_CONTROL + SERVER, &[8]));
    c.transact("AT\r", "AT\r\r\nOK\r\n");
    // The baud rate is logged beside the module's own AT+IPR.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !d.log_text().contains("baud rate 9600; the module's AT+IPR is 115200") {
        assert!(Instant::now() < deadline, "{}", d.log_text());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn flowcontrol_suspend_holds_output_to_the_client_until_resume() {
    use qsslsim::rfc2217::{FLOWCONTROL_RESUME, FLOWCONTROL_SUSPEND};
    let d = NetDaemon::start(&["--rfc2217", "127.0.0.1:0"]);
    let mut c = rfc2217_open(d.rfc2217.unwrap());
    c.send(&sb(FLOWCONTROL_SUSPEND, &[]));
    c.send(b"AT\r");
    c.sock.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut buf = [0u8; 64];
    assert!(c.sock.read(&mut buf).is_err(), "output while suspended");
    c.send(&sb(FLOWCONTROL_RESUME, &[]));
    c.expect(b"AT\r\r\nOK\r\n");
}

#[test]
fn dtr_off_over_rfc2217_leaves_transparent_mode_with_at_d1_and_iac_is_escaped_both_ways() {
    let d = NetDaemon::start(&["--demo", "--rfc2217", "127.0.0.1:0"]);
    let mut c = rfc2217_open(d.rfc2217.unwrap());
    c.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    c.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    c.transact("AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,2\r", "\r\nCONNECT\r\n");
    // The echo peer returns 0xFF 0x00 0xFF: doubled on the wire each way.
    c.send(&[IAC, IAC, 0, IAC, IAC]);
    c.expect(&[IAC, IAC, 0, IAC, IAC]);
    // pyserial's `.dtr = False`: SET-CONTROL DTR OFF, answered, then the module's OK.
    c.send(&sb(SET_CONTROL, &[9]));
    c.expect(&sb(SET_CONTROL + SERVER, &[9]));
    c.expect(b"\r\nOK\r\n");
    // Command mode; the connection stays, in buffer mode (access mode 0).
    c.transact("AT+QSSLSTATE=4\r", "\r\n+QSSLSTATE: 4,\"SSLClient\",\"192.0.2.2\",8011,");
}

#[test]
fn a_second_client_is_refused_while_one_is_connected_and_admitted_after() {
    let d = NetDaemon::start(&["--tcp", "127.0.0.1:0", "--rfc2217", "127.0.0.1:0"]);
    let mut first = Client::connect(d.tcp.unwrap());
    first.transact("AT\r", "AT\r\r\nOK\r\n");
    for addr in [d.tcp.unwrap(), d.rfc2217.unwrap()] {
        let mut second = Client::connect(addr);
        assert!(second.closed_within(Duration::from_secs(5)), "second client on {addr} not closed");
    }
    assert!(
        d.log_text().contains("the AT port already has a client (tcp client 127.0.0.1:"),
        "{}",
        d.log_text()
    );
    first.transact("AT\r", "AT\r\r\nOK\r\n");
    drop(first);
    // The port is free again (the daemon notices the close first).
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut next = loop {
        let mut c = Client::connect(d.tcp.unwrap());
        if !c.closed_within(Duration::from_millis(200)) {
            break c;
        }
        assert!(Instant::now() < deadline, "no client admitted after the first left");
    };
    next.transact("AT\r", "AT\r\r\nOK\r\n");
}

#[test]
fn the_module_keeps_its_state_across_clients() {
    let d = NetDaemon::start(&["--tcp", "127.0.0.1:0"]);
    let mut c = Client::connect(d.tcp.unwrap());
    c.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    drop(c);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut c = loop {
        let mut c = Client::connect(d.tcp.unwrap());
        if !c.closed_within(Duration::from_millis(200)) {
            break c;
        }
        assert!(Instant::now() < deadline);
    };
    // No echo: ATE0 is still in force.
    c.transact("AT\r", "\r\nOK\r\n");
    drop(c);
    // And on the pty once no client has the port (bytes written to it before the daemon has
    // seen the client leave are dropped, by design: wait for the log line).
    let deadline = Instant::now() + Duration::from_secs(10);
    while d.log_text().matches("the pty is the AT port again").count() < 2 {
        assert!(Instant::now() < deadline, "{}", d.log_text());
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut port = support::Port::open(std::path::Path::new(&d.pty));
    port.transact("AT\r", "\r\nOK\r\n");
}

#[test]
fn a_non_loopback_address_is_refused_without_listen_any() {
    for flag in ["--tcp", "--rfc2217"] {
        let out = Command::new(env!("CARGO_BIN_EXE_qsslsim")).args([flag, "0.0.0.0:0"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("{flag} 0.0.0.0:0: not a loopback address")), "{err}");
        assert!(err.contains("--listen-any"), "{err}");
        assert!(out.stdout.is_empty(), "no READY");
    }
}

// ---- in process, on the paused clock --------------------------------------------------------

/// The event loop with a local pipe (the pty's stand-in) and a way to connect sessions.
struct Loop {
    local: DuplexStream,
    sessions: mpsc::Sender<Session>,
    control: ControlHandle,
}

/// A connected session's far end.
struct Remote {
    tx: mpsc::Sender<FromClient>,
    rx: DuplexStream,
}

impl Loop {
    fn start() -> Loop {
        let modem = Modem::new(ModemConfig::default(), runtime::now(), std::time::SystemTime::now());
        let (local, module_side) = tokio::io::duplex(1 << 16);
        let (tx, rx) = mpsc::channel(16);
        let (sessions, sessions_rx) = mpsc::channel(4);
        let net = MemoryNet::new(&[]);
        let tracer = qsslsim::trace::Tracer::new(None).unwrap();
        tokio::spawn(runtime::run_with_network(modem, module_side, net as Arc<_>, rx, tracer, sessions_rx));
        Loop { local, sessions, control: ControlHandle { tx } }
    }

    async fn connect(&self, via: Via) -> Remote {
        let (session, tx, rx) = Session::pair("test client".into(), via);
        self.sessions.send(session).await.unwrap();
        Remote { tx, rx }
    }
}

impl Remote {
    async fn data(&self, bytes: &[u8]) {
        self.tx.send(FromClient::Data(bytes.to_vec())).await.unwrap();
    }
    async fn line(&self, line: Line) {
        self.tx.send(FromClient::Line(line)).await.unwrap();
    }
}

/// Everything that arrives on `r` within `wait` of (virtual) time.
async fn read_for(r: &mut DuplexStream, wait: Duration) -> Vec<u8> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, r.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    got
}

const SEC: Duration = Duration::from_secs(1);

#[tokio::test(start_paused = true)]
async fn rts_off_holds_the_modules_output_only_with_at_ifc_2() {
    let l = Loop::start();
    let mut c = l.connect(Via::Rfc2217).await;
    c.data(b"ATE0\r").await;
    assert_eq!(show(&read_for(&mut c.rx, SEC).await), show(b"ATE0\r\r\nOK\r\n"));
    // Without RTS/CTS flow control RTS changes nothing.
    c.line(Line::Rts(false)).await;
    c.data(b"AT\r").await;
    assert_eq!(show(&read_for(&mut c.rx, SEC).await), show(b"\r\nOK\r\n"));
    c.line(Line::Rts(true)).await;
    c.data(b"AT+IFC=2,2\r").await;
    assert_eq!(show(&read_for(&mut c.rx, SEC).await), show(b"\r\nOK\r\n"));
    // Now RTS off stops the module: the answer waits until RTS is on again.
    c.line(Line::Rts(false)).await;
    c.data(b"AT+IFC?\r").await;
    assert_eq!(show(&read_for(&mut c.rx, 10 * SEC).await), "");
    c.line(Line::Rts(true)).await;
    assert_eq!(show(&read_for(&mut c.rx, SEC).await), show(b"\r\n+IFC: 2,2\r\n\r\nOK\r\n"));
}

#[tokio::test(start_paused = true)]
async fn the_pty_is_set_aside_while_a_client_has_the_port_and_is_the_port_again_after() {
    let mut l = Loop::start();
    l.local.write_all(b"AT\r").await.unwrap();
    assert_eq!(show(&read_for(&mut l.local, SEC).await), show(b"AT\r\r\nOK\r\n"));
    let mut c = l.connect(Via::Tcp).await;
    // Give the loop the session before the pty speaks.
    c.data(b"ATE0\r").await;
    assert_eq!(show(&read_for(&mut c.rx, SEC).await), show(b"ATE0\r\r\nOK\r\n"));
    // The pty's bytes are dropped; nothing answers there or on the client.
    l.local.write_all(b"ATI\r").await.unwrap();
    assert_eq!(show(&read_for(&mut l.local, SEC).await), "");
    assert_eq!(show(&read_for(&mut c.rx, SEC).await), "");
    // A DTR drop from the client is the port's DTR: harmless in command mode, and the
    // client leaving with DTR off asserts it again.
    c.line(Line::Dtr(false)).await;
    c.data(b"AT\r").await;
    assert_eq!(show(&read_for(&mut c.rx, SEC).await), show(b"\r\nOK\r\n"));
    drop(c);
    tokio::time::sleep(SEC).await;
    // The pty is the AT port again, with the state the client left (ATE0).
    l.local.write_all(b"AT\r").await.unwrap();
    assert_eq!(show(&read_for(&mut l.local, SEC).await), show(b"\r\nOK\r\n"));
    let dtr_high = l.control.inspect(|m| m.settings().dtr_high).await.unwrap();
    assert!(!dtr_high, "DTR asserted again after the client left");
}

#[tokio::test(start_paused = true)]
async fn purge_output_drops_what_the_client_has_not_been_sent() {
    let l = Loop::start();
    let mut c = l.connect(Via::Rfc2217).await;
    c.data(b"AT+IFC=2,2\r").await;
    assert_eq!(show(&read_for(&mut c.rx, SEC).await), show(b"AT+IFC=2,2\r\r\nOK\r\n"));
    c.line(Line::Rts(false)).await;
    c.data(b"AT\r").await;
    tokio::time::sleep(SEC).await;
    c.line(Line::Purge { input: false, output: true }).await;
    c.line(Line::Rts(true)).await;
    assert_eq!(show(&read_for(&mut c.rx, SEC).await), "", "the held answer was purged");
    c.data(b"AT\r").await;
    assert_eq!(show(&read_for(&mut c.rx, SEC).await), show(b"AT\r\r\nOK\r\n"));
}
