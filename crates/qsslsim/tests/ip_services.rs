//! `AT+QIDNSGIP`, `AT+QPING` and `AT+QNTP` end to end: over the pty of the real daemon with
//! `--resolve` mapping names to loopback, a ping of 127.0.0.1 (ICMP where the system allows
//! it, else the TCP probe), an SNTP server on loopback UDP inside the test, and the sandbox
//! refusing other destinations; on the paused clock in process, the DNS faults and an NTP
//! server that never answers. Measured round-trip times are checked for shape only.

mod support;

use std::net::UdpSocket;
use std::time::Duration;

use qsslsim_modem::{Fault, ModemConfig};
use support::inproc::{MemoryNet, Sim};
use support::{Daemon, Port};

/// 2026-08-06 12:40:04 UTC, as the test's NTP server sends it.
const NTP_UNIX: u64 = 1_786_020_004;

fn started(args: &[&str]) -> (Daemon, Port) {
    let d = Daemon::start(args);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    (d, p)
}

/// An SNTP server on loopback that answers `requests` requests with [`NTP_UNIX`]; its port.
fn ntp_server(requests: usize) -> u16 {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    sock.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        for _ in 0..requests {
            let Ok((n, from)) = sock.recv_from(&mut buf) else { return };
            assert_eq!((n, buf[0] & 0x07), (48, 3), "a 48-byte client request");
            let mut answer = [0u8; 48];
            answer[0] = 0x24; // version 4, server
            answer[1] = 2; // stratum
            let secs = (NTP_UNIX + 2_208_988_800) as u32;
            answer[40..44].copy_from_slice(&secs.to_be_bytes());
            sock.send_to(&answer, from).unwrap();
        }
    });
    port
}

/// The next URC line's text (without framing).
fn urc(p: &mut Port) -> String {
    let got = p.read_until(b"\r\n", Duration::from_secs(10));
    assert_eq!(got, b"\r\n", "a URC starts with CR LF");
    let line = p.read_until(b"\r\n", Duration::from_secs(10));
    String::from_utf8(line[..line.len() - 2].to_vec()).unwrap()
}

/// `+QPING: 0,"<ip>",32,<ms>,255` with a number of ms; returns the ms.
#[track_caller]
fn echo_reply(line: &str, ip: &str) -> u32 {
    let prefix = format!("+QPING: 0,\"{ip}\",32,");
    let rest = line.strip_prefix(&prefix).unwrap_or_else(|| panic!("not an echo reply: {line:?}"));
    let ms = rest.strip_suffix(",255").unwrap_or_else(|| panic!("TTL is not 255: {line:?}"));
    ms.parse().unwrap_or_else(|_| panic!("time is not a number: {line:?}"))
}

#[test]
fn dnsgip_names_addresses_and_failures() {
    let (_d, mut p) = started(&[
        "--resolve",
        "peer.test=127.0.0.1",
        "--resolve",
        "two.test=127.0.0.2",
        "--resolve",
        "two.test=::1",
    ]);
    p.transact("AT+QIDNSGIP=1,\"peer.test\"\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QIURC: \"dnsgip\",561\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact("AT+QIDNSGIP=1,\"PEER.test\"\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QIURC: \"dnsgip\",0,1,300\r\n\r\n+QIURC: \"dnsgip\",\"127.0.0.1\"\r\n");
    p.transact("AT+QIDNSGIP=1,\"two.test\"\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QIURC: \"dnsgip\",0,2,300\r\n\r\n+QIURC: \"dnsgip\",\"127.0.0.2\"\r\n\r\n+QIURC: \"dnsgip\",\"::1\"\r\n");
    p.transact("AT+QIDNSGIP=1,\"192.0.2.7\"\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QIURC: \"dnsgip\",0,1,0\r\n\r\n+QIURC: \"dnsgip\",\"192.0.2.7\"\r\n");
    // Not mapped: the sandbox lets no query leave the machine.
    p.transact("AT+QIDNSGIP=1,\"nosuch.invalid\"\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QIURC: \"dnsgip\",565\r\n");
    // No usable DNS server on the context.
    p.transact("AT+QIDNSCFG=1,\"0.0.0.0\",\"0.0.0.0\"\r", "\r\nOK\r\n");
    p.transact("AT+QIDNSGIP=1,\"peer.test\"\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QIURC: \"dnsgip\",565\r\n");
    // The failure reported later is what AT+QIGETERROR explains, as for a failed open.
    p.transact("AT+QIGETERROR\r", "\r\n+QIGETERROR: 565,DNS parse failed\r\n\r\nOK\r\n");
}

#[test]
fn ping_loopback_by_name_and_the_sandbox_loses_the_rest() {
    let (_d, mut p) =
        started(&["--resolve", "peer.test=127.0.0.1", "--route", "192.0.2.5:443=127.0.0.1:443"]);
    p.transact("AT+QPING=1,\"127.0.0.1\"\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QPING: 561\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact("AT+QPING=1,\"peer.test\",4,3\r", "\r\nOK\r\n");
    let times: Vec<u32> = (0..3).map(|_| echo_reply(&urc(&mut p), "127.0.0.1")).collect();
    let (min, max) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
    let avg = times.iter().sum::<u32>() / 3;
    assert_eq!(urc(&mut p), format!("+QPING: 0,3,3,0,{min},{max},{avg}"));
    // A routed address pings its loopback target and reports itself.
    p.transact("AT+QPING=1,\"192.0.2.5\",4,1\r", "\r\nOK\r\n");
    let ms = echo_reply(&urc(&mut p), "192.0.2.5");
    assert_eq!(urc(&mut p), format!("+QPING: 0,1,1,0,{ms},{ms},{ms}"));
    // A destination that is not loopback never leaves the machine: every echo is lost.
    p.transact("AT+QPING=1,\"192.0.2.1\",1,2\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QPING: 569\r\n\r\n+QPING: 569\r\n\r\n+QPING: 0,2,0,2,0,0,0\r\n");
    p.transact("AT+QPING=1,\"nosuch.invalid\"\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QPING: 565\r\n");
}

#[test]
fn ntp_from_a_loopback_server_sets_the_clock() {
    let port = ntp_server(3);
    let route = format!("192.0.2.9:123=127.0.0.1:{port}");
    let (_d, mut p) =
        started(&["--resolve", "ntp.test=127.0.0.1", "--resolve", "pool.test=192.0.2.9", "--route", &route]);
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact("AT+CCLK=\"25/01/01,00:00:00+32\"\r", "\r\nOK\r\n");
    p.transact(&format!("AT+QNTP=1,\"ntp.test\",{port}\r"), "\r\nOK\r\n");
    p.expect(b"\r\n+QNTP: 0,\"2026/08/06,12:40:04+32\"\r\n");
    // Local time (UTC+8); the seconds have run on since.
    p.send(b"AT+CCLK?\r");
    let line = p.read_until(b"OK\r\n", Duration::from_secs(10));
    let text = String::from_utf8(line).unwrap();
    assert!(text.starts_with("\r\n+CCLK: \"26/08/06,20:40:"), "{text:?}");
    // autosettime 0 leaves the clock alone.
    p.transact("AT+CCLK=\"25/01/01,00:00:00+00\"\r", "\r\nOK\r\n");
    p.transact(&format!("AT+QNTP=1,\"127.0.0.1\",{port},0\r"), "\r\nOK\r\n");
    p.expect(b"\r\n+QNTP: 0,\"2026/08/06,12:40:04+00\"\r\n");
    p.send(b"AT+CCLK?\r");
    let text = String::from_utf8(p.read_until(b"OK\r\n", Duration::from_secs(10))).unwrap();
    assert!(text.starts_with("\r\n+CCLK: \"25/01/01,00:00:0"), "{text:?}");
    // A name whose address is routed to the loopback server, on the default port.
    p.transact("AT+QNTP=1,\"pool.test\"\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QNTP: 0,\"2026/08/06,12:40:04+00\"\r\n");
    // Names and sandbox.
    p.transact("AT+QNTP=1,\"nosuch.invalid\"\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QNTP: 565\r\n");
    p.transact("AT+QNTP=1,\"192.0.2.1\"\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QNTP: 569\r\n");
    p.transact("AT+QIGETERROR\r", "\r\n+QIGETERROR: 569,operation timeout\r\n\r\nOK\r\n");
}

// ---- paused clock, in process ----------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn dns_faults_act_on_lookups_pings_and_ntp() {
    let mut sim = Sim::start(ModemConfig::default(), MemoryNet::new(&[]));
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim.transact("AT+QIACT=1\r", "\r\nOK\r\n").await;
    sim.control.fault(Fault::DnsFailure).await;
    sim.transact("AT+QIDNSGIP=1,\"localhost\"\r", "\r\nOK\r\n").await;
    sim.expect(b"\r\n+QIURC: \"dnsgip\",565\r\n").await;
    // Without a fault, localhost resolves.
    sim.transact("AT+QIDNSGIP=1,\"localhost\"\r", "\r\nOK\r\n").await;
    sim.expect(b"\r\n+QIURC: \"dnsgip\",0,1,300\r\n\r\n+QIURC: \"dnsgip\",\"127.0.0.1\"\r\n").await;
    sim.control.fault(Fault::DnsBusy).await;
    sim.transact("AT+QPING=1,\"localhost\"\r", "\r\nOK\r\n").await;
    sim.expect(b"\r\n+QPING: 564\r\n").await;
    sim.control.fault(Fault::DnsFailure).await;
    sim.transact("AT+QNTP=1,\"localhost\"\r", "\r\nOK\r\n").await;
    sim.expect(b"\r\n+QNTP: 565\r\n").await;
}

#[tokio::test(start_paused = true)]
async fn a_silent_ntp_server_is_569_after_the_timeout() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mut sim = Sim::start(ModemConfig::default(), MemoryNet::new(&[]));
    sim.transact("ATE0\r", "ATE0\r\r\nOK\r\n").await;
    sim.transact("AT+QIACT=1\r", "\r\nOK\r\n").await;
    let t0 = tokio::time::Instant::now();
    sim.transact(&format!("AT+QNTP=1,\"localhost\",{port}\r"), "\r\nOK\r\n").await;
    sim.transact("AT+QNTP?\r", &format!("\r\n+QNTP: \"localhost\",{port}\r\n\r\nOK\r\n")).await;
    sim.expect_within(b"\r\n+QNTP: 569\r\n", Duration::from_secs(30)).await;
    assert!(t0.elapsed() >= Duration::from_secs(10), "answered after {:?}", t0.elapsed());
    sim.transact("AT+QNTP?\r", "\r\nOK\r\n").await;
    drop(silent);
}
