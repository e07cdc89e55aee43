//! `AT+QSSLOPEN` against real TLS servers on 127.0.0.1 (SPEC §3, §4, §9, §12;
//! docs/fidelity.md "TLS"): certificate verification against `openssl s_server` (the hardware
//! matrix, every `ignorecertitem` relaxation, the module clock), client authentication, SNI and
//! ALPN as the server sees them, session resumption, and the TLS versions on offer. Every
//! `+QSSLOPEN` URC is checked byte for byte.

mod support;
#[path = "support/tls_servers.rs"]
mod tls_servers;

use std::time::Duration;

use rustls::{HandshakeKind, ProtocolVersion};
use support::{show, Daemon, Port};
use tls_servers::{have_openssl, ufs, OpensslServer, RustlsServer};

/// Built with the second TLS engine (feature `legacy-tls`): contexts rustls cannot honour
/// offer exactly the module's versions and suites instead of being upgraded.
const LEGACY: bool = cfg!(feature = "legacy-tls");

/// Resolves to 127.0.0.1; every valid test certificate names it (certs/README.md).
const HOST: &str = "qsslsim.test";
const OK: &str = "\r\nOK\r\n";
const E566: &str = "\r\n+QIGETERROR: 566,socket connect failed\r\n\r\nOK\r\n";

/// A daemon with the test PKI's CAs and client credentials as UFS files, echo off and PDP
/// context 1 active.
fn started(extra: &[&str]) -> (Daemon, Port) {
    let files = ["ca.pem", "untrusted-ca.pem", "client.pem", "client.key", "client-enc.key"].map(ufs);
    let mut args = vec!["--resolve", "qsslsim.test=127.0.0.1", "--resolve", "other.test=127.0.0.1"];
    for f in &files {
        args.extend(["--file", f.as_str()]);
    }
    args.extend(extra);
    let d = Daemon::start(&args);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", OK);
    (d, p)
}

/// `AT+QSSLCFG="<item>",<ctx>,<value>` must answer OK.
#[track_caller]
fn cfg(p: &mut Port, item: &str, ctx: u8, value: &str) {
    p.transact(&format!("AT+QSSLCFG=\"{item}\",{ctx},{value}\r"), OK);
}

/// Open `id` on `ctx` in buffer mode; checks `OK` and the exact bytes
/// `\r\n+QSSLOPEN: <id>,<err>\r\n`, and returns `<err>`.
#[track_caller]
fn open(p: &mut Port, ctx: u8, id: u8, host: &str, port: u16) -> u16 {
    let cmd = format!("AT+QSSLOPEN=1,{ctx},{id},\"{host}\",{port},0\r");
    p.transact(&cmd, OK);
    let mut urc = p.take(2, Duration::from_secs(20));
    urc.extend(p.read_until(b"\r\n", Duration::from_secs(20)));
    let text = String::from_utf8_lossy(&urc).into_owned();
    let code = text
        .strip_prefix(&format!("\r\n+QSSLOPEN: {id},"))
        .and_then(|rest| rest.strip_suffix("\r\n"))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok());
    match code {
        Some(code) => {
            // Exactly what the module must write for that code.
            assert_eq!(text, format!("\r\n+QSSLOPEN: {id},{code}\r\n"), "after {}", cmd.trim_end());
            code
        }
        None => {
            panic!("after {}: expected \\r\\n+QSSLOPEN: {id},<err>\\r\\n, got {}", cmd.trim_end(), show(&urc))
        }
    }
}

#[track_caller]
fn close(p: &mut Port, id: u8) {
    p.transact(&format!("AT+QSSLCLOSE={id}\r"), OK);
}

/// Open, compare with `want`, and close again if it opened. Mismatches are collected so a
/// matrix reports every wrong cell at once.
#[track_caller]
fn cell(p: &mut Port, wrong: &mut Vec<String>, label: &str, ctx: u8, host: &str, port: u16, want: u16) {
    let got = open(p, ctx, 0, host, port);
    if got == 0 {
        close(p, 0);
    }
    if got != want {
        wrong.push(format!("{label}: +QSSLOPEN: 0,{got}, expected +QSSLOPEN: 0,{want}"));
    }
}

#[track_caller]
fn assert_cells(wrong: &[String]) {
    assert!(wrong.is_empty(), "{} wrong cell(s):\n  {}", wrong.len(), wrong.join("\n  "));
}

/// One openssl server per certificate kind, answering lines reversed.
struct Servers {
    all: Vec<(&'static str, OpensslServer)>,
}

impl Servers {
    fn start(kinds: &[&'static str]) -> Servers {
        let all = kinds
            .iter()
            .map(|&k| {
                let file = if k == "valid" { "server-ecdsa" } else { k };
                let (c, key) = (format!("{file}.pem"), format!("{file}.key"));
                (k, OpensslServer::start(&["-cert", &c, "-key", &key, "-rev"]))
            })
            .collect();
        Servers { all }
    }

    fn port(&self, kind: &str) -> u16 {
        self.all.iter().find(|(k, _)| *k == kind).map(|(_, s)| s.port).unwrap()
    }
}

const KINDS: [&str; 6] = ["valid", "expired", "wronghost", "selfsigned", "untrusted", "notyetvalid"];

/// seclevel 1 with the test CA, validity checked against the module clock.
fn verifying_context(p: &mut Port, ctx: u8) {
    cfg(p, "seclevel", ctx, "1");
    cfg(p, "cacert", ctx, "\"UFS:ca.pem\"");
    cfg(p, "ignorelocaltime", ctx, "0");
}

#[test]
fn hardware_matrix_seclevel_0_and_1() {
    if !have_openssl("hardware_matrix_seclevel_0_and_1") {
        return;
    }
    let servers = Servers::start(&KINDS[..5]);
    let (_d, mut p) = started(&[]);
    cfg(&mut p, "ignorelocaltime", 0, "0");
    verifying_context(&mut p, 1);
    let mut wrong = Vec::new();
    for (kind, want1) in
        [("valid", 0), ("expired", 566), ("wronghost", 566), ("selfsigned", 566), ("untrusted", 566)]
    {
        let port = servers.port(kind);
        cell(&mut p, &mut wrong, &format!("{kind} seclevel 0"), 0, HOST, port, 0);
        cell(&mut p, &mut wrong, &format!("{kind} seclevel 1"), 1, HOST, port, want1);
    }
    assert_cells(&wrong);
    // The module does not say which check failed: the last error is the connect failure.
    assert_eq!(open(&mut p, 1, 3, HOST, servers.port("expired")), 566);
    p.transact("AT+QIGETERROR\r", E566);
    // A failed open leaves the socket free.
    p.transact("AT+QSSLSTATE\r", OK);
    // In transparent mode a verification failure answers ERROR instead of CONNECT; push mode
    // reports it in the URC like buffer mode.
    p.transact(&format!("AT+QSSLOPEN=1,1,3,\"{HOST}\",{},2\r", servers.port("selfsigned")), "\r\nERROR\r\n");
    p.transact("AT+QIGETERROR\r", E566);
    p.transact(&format!("AT+QSSLOPEN=1,1,3,\"{HOST}\",{},1\r", servers.port("wronghost")), OK);
    p.expect(b"\r\n+QSSLOPEN: 3,566\r\n");
    // The valid server by IP literal and by localhost: both are in its SANs.
    assert_eq!(open(&mut p, 1, 3, "127.0.0.1", servers.port("valid")), 0);
    close(&mut p, 3);
    assert_eq!(open(&mut p, 1, 3, "localhost", servers.port("valid")), 0);
    close(&mut p, 3);
}

#[test]
fn each_ignorecertitem_bit_relaxes_only_its_own_check() {
    if !have_openssl("each_ignorecertitem_bit_relaxes_only_its_own_check") {
        return;
    }
    let servers = Servers::start(&KINDS);
    let (_d, mut p) = started(&[]);
    verifying_context(&mut p, 2);
    let mut wrong = Vec::new();
    // (ignorecertitem, ignorelocaltime, expected code per kind in KINDS order)
    let rounds: [(&str, &str, [u16; 6]); 12] = [
        ("0", "0", [0, 566, 566, 566, 566, 566]),
        // Bit 1 (expired) also covers not yet valid.
        ("1", "0", [0, 0, 566, 566, 566, 0]),
        ("4", "0", [0, 566, 0, 566, 566, 566]),
        // Bit 8: chain not verified; the leaf's own dates and name still are.
        ("8", "0", [0, 566, 566, 0, 0, 566]),
        ("13", "0", [0, 0, 0, 0, 0, 0]),
        ("1048575", "0", [0, 0, 0, 0, 0, 0]),
        // Bit 512 (mbedTLS "future") is read like bit 1.
        ("512", "0", [0, 0, 566, 566, 566, 0]),
        // Bits that concern none of these failures relax nothing here: revoked, other,
        // keyUsage + extendedKeyUsage, bad key algorithm.
        ("2", "0", [0, 566, 566, 566, 566, 566]),
        ("256", "0", [0, 566, 566, 566, 566, 566]),
        ("6144", "0", [0, 566, 566, 566, 566, 566]),
        ("32768", "0", [0, 566, 566, 566, 566, 566]),
        // The factory default ignorelocaltime 1 skips the validity period only.
        ("0", "1", [0, 0, 566, 566, 566, 0]),
    ];
    for (bits, lt, want) in rounds {
        cfg(&mut p, "ignorecertitem", 2, bits);
        cfg(&mut p, "ignorelocaltime", 2, lt);
        for (kind, want) in KINDS.iter().zip(want) {
            let label = format!("{kind} with ignorecertitem {bits}, ignorelocaltime {lt}");
            cell(&mut p, &mut wrong, &label, 2, HOST, servers.port(kind), want);
        }
    }
    assert_cells(&wrong);
}

#[test]
fn module_clock_decides_validity() {
    if !have_openssl("module_clock_decides_validity") {
        return;
    }
    let servers = Servers::start(&["valid", "expired", "notyetvalid"]);
    let (_d, mut p) = started(&[]);
    verifying_context(&mut p, 0);
    let mut wrong = Vec::new();
    // (AT+CCLK value or None for host time, expected code for valid, expired, not yet valid)
    let rounds: [(Option<&str>, [u16; 3]); 7] = [
        (None, [0, 566, 566]),
        (Some("19/06/01,12:00:00+00"), [566, 0, 566]),
        (Some("95/06/01,12:00:00+00"), [566, 566, 0]),
        (Some("49/12/31,23:00:00+00"), [0, 566, 566]),
        // +08 is two hours ahead: 00:30 local is 22:30 UTC the day before, still 2019.
        (Some("20/01/01,00:30:00+08"), [566, 0, 566]),
        // 02:30 local is 00:30 UTC on 2020-01-01, after notAfter.
        (Some("20/01/01,02:30:00+08"), [566, 566, 566]),
        (Some("24/01/01,00:00:30+00"), [0, 566, 566]),
    ];
    for (clock, want) in rounds {
        if let Some(c) = clock {
            p.transact(&format!("AT+CCLK=\"{c}\"\r"), OK);
            // The clock reads back as set (give or take the seconds that passed).
            p.send(b"AT+CCLK?\r");
            let read = String::from_utf8(p.read_until(b"\r\n\r\nOK\r\n", Duration::from_secs(5))).unwrap();
            let want = format!("\r\n+CCLK: \"{}", &c[..15]);
            assert!(
                read.starts_with(&want) && read.ends_with(&format!("{}\"\r\n\r\nOK\r\n", &c[17..])),
                "{read:?}"
            );
        }
        for (kind, want) in ["valid", "expired", "notyetvalid"].into_iter().zip(want) {
            let label = format!("{kind} at module time {}", clock.unwrap_or("(host time)"));
            cell(&mut p, &mut wrong, &label, 0, HOST, servers.port(kind), want);
        }
    }
    // With ignorelocaltime 1 the clock no longer matters.
    p.transact("AT+CCLK=\"19/06/01,12:00:00+00\"\r", OK);
    cfg(&mut p, "ignorelocaltime", 0, "1");
    for kind in ["valid", "expired", "notyetvalid"] {
        cell(
            &mut p,
            &mut wrong,
            &format!("{kind}, ignorelocaltime 1, clock 2019"),
            0,
            HOST,
            servers.port(kind),
            0,
        );
    }
    assert_cells(&wrong);
}

#[test]
fn seclevel_1_without_a_usable_ca_fails_before_connecting() {
    let server = RustlsServer::start("server-rsa.pem", "server-rsa.key", &[]);
    let (_d, mut p) = started(&["--file", &format!("UFS:notacert.pem={}", tls_servers::cert("client.key"))]);
    let port = server.port;
    cfg(&mut p, "seclevel", 1, "1");
    assert_eq!(open(&mut p, 1, 2, HOST, port), 566, "seclevel 1 with no CA at all");
    p.transact("AT+QIGETERROR\r", E566);
    // Even when every check is ignored.
    cfg(&mut p, "ignorecertitem", 1, "1048575");
    assert_eq!(open(&mut p, 1, 2, HOST, port), 566, "seclevel 1, no CA, ignorecertitem 1048575");
    cfg(&mut p, "cacert", 1, "\"UFS:missing.pem\"");
    assert_eq!(open(&mut p, 1, 2, HOST, port), 566, "cacert names a missing file");
    cfg(&mut p, "cacert", 1, "\"UFS:notacert.pem\"");
    assert_eq!(open(&mut p, 1, 2, HOST, port), 566, "cacert holds no certificate");
    // seclevel 2 needs the CA as well.
    cfg(&mut p, "seclevel", 3, "2");
    assert_eq!(open(&mut p, 3, 2, HOST, port), 566, "seclevel 2 with no CA");
    // None of those reached the server.
    server.expect_none(Duration::from_millis(300));
    // The CA makes it work, so the server was usable all along.
    cfg(&mut p, "cacert", 1, "\"UFS:ca.pem\"");
    cfg(&mut p, "ignorecertitem", 1, "0");
    assert_eq!(open(&mut p, 1, 2, HOST, port), 0);
    assert!(server.next().error.is_none());
    close(&mut p, 2);
}

#[test]
fn cacertex_slots_are_trusted_by_every_context() {
    if !have_openssl("cacertex_slots_are_trusted_by_every_context") {
        return;
    }
    // openssl s_server: the module's suites for an ECDSA certificate are all CBC, which
    // rustls does not serve.
    let untrusted = OpensslServer::start(&["-cert", "untrusted.pem", "-key", "untrusted.key", "-rev"]);
    let valid = OpensslServer::start(&["-cert", "server-ecdsa.pem", "-key", "server-ecdsa.key", "-rev"]);
    let (_d, mut p) = started(&[]);
    // Context 2 trusts the test CA through cacert; context 4 has no cacert at all.
    verifying_context(&mut p, 2);
    cfg(&mut p, "seclevel", 4, "1");
    assert_eq!(open(&mut p, 2, 1, HOST, untrusted.port), 566, "untrusted root, only the test CA trusted");
    assert_eq!(open(&mut p, 4, 1, HOST, untrusted.port), 566, "no CA anywhere");
    // One slot, no context id: every context trusts it.
    p.transact("AT+QSSLCFG=\"cacertex\",3,\"UFS:untrusted-ca.pem\"\r", OK);
    for ctx in [2, 4] {
        assert_eq!(open(&mut p, ctx, 1, HOST, untrusted.port), 0, "ctx {ctx} with cacertex 3 = untrusted CA");
        close(&mut p, 1);
    }
    // cacert and cacertex add up: context 2 still trusts the test CA; context 4 does not.
    assert_eq!(open(&mut p, 2, 1, HOST, valid.port), 0, "ctx 2, valid server");
    close(&mut p, 1);
    assert_eq!(open(&mut p, 4, 1, HOST, valid.port), 566, "ctx 4, valid server, only the untrusted CA");
    // Unsetting the slot withdraws the trust.
    p.transact("AT+QSSLCFG=\"cacertex\",3,\"\"\r", OK);
    assert_eq!(open(&mut p, 2, 1, HOST, untrusted.port), 566, "slot unset again");
}

/// openssl s_server that requires a client certificate from the test CA and answers lines
/// reversed.
fn client_auth_server() -> OpensslServer {
    OpensslServer::start(&[
        "-cert",
        "server-ecdsa.pem",
        "-key",
        "server-ecdsa.key",
        "-Verify",
        "1",
        "-CAfile",
        "ca.pem",
        "-rev",
    ])
}

/// What openssl 3 s_server prints when a client presented the test client certificate.
const CLIENT_SEEN: &str = "Peer certificate: O = qsslsim test PKI, CN = qsslsim client";

#[test]
fn client_certificate_with_encrypted_key() {
    if !have_openssl("client_certificate_with_encrypted_key") {
        return;
    }
    let server = client_auth_server();
    let port = server.port;
    let (_d, mut p) = started(&[]);
    for ctx in 0..6 {
        cfg(&mut p, "seclevel", ctx, "2");
        cfg(&mut p, "cacert", ctx, "\"UFS:ca.pem\"");
    }
    // Context 0: certificate and encrypted key with its password.
    cfg(&mut p, "clientcert", 0, "\"UFS:client.pem\"");
    p.transact("AT+QSSLCFG=\"clientkey\",0,\"UFS:client-enc.key\",\"qsslsim\"\r", OK);
    assert_eq!(open(&mut p, 0, 1, HOST, port), 0, "seclevel 2, client.pem + client-enc.key/qsslsim");
    assert!(
        server.wait_count(CLIENT_SEEN, 1, Duration::from_secs(5)),
        "the server never saw the client certificate: {}",
        server.output()
    );
    // Data flows through the server, which answers each line reversed.
    let line = "Test data from SSL\n";
    let reversed: String = line.trim_end().chars().rev().collect::<String>() + "\n";
    p.transact(&format!("AT+QSSLSEND=1,{}\r", line.len()), "\r\n> ");
    p.send(line.as_bytes());
    p.expect(b"\r\nSEND OK\r\n");
    p.expect(b"\r\n+QSSLURC: \"recv\",1\r\n");
    p.transact(
        "AT+QSSLRECV=1,1500\r",
        &format!("\r\n+QSSLRECV: {}\r\n{reversed}\r\n\r\nOK\r\n", reversed.len()),
    );
    p.transact("AT+QSSLRECV=1,1500\r", "\r\n+QSSLRECV: 0\r\n\r\nOK\r\n");
    close(&mut p, 1);

    // Context 1: no client certificate configured; the server refuses the handshake.
    assert_eq!(open(&mut p, 1, 1, HOST, port), 566, "seclevel 2 without clientcert/clientkey");
    p.transact("AT+QIGETERROR\r", E566);
    // Context 2: wrong password.
    cfg(&mut p, "clientcert", 2, "\"UFS:client.pem\"");
    p.transact("AT+QSSLCFG=\"clientkey\",2,\"UFS:client-enc.key\",\"wrong\"\r", OK);
    assert_eq!(open(&mut p, 2, 1, HOST, port), 566, "client-enc.key with a wrong password");
    // Context 3: the encrypted key without any password.
    cfg(&mut p, "clientcert", 3, "\"UFS:client.pem\"");
    cfg(&mut p, "clientkey", 3, "\"UFS:client-enc.key\"");
    assert_eq!(open(&mut p, 3, 1, HOST, port), 566, "client-enc.key without a password");
    // Context 4: the unencrypted key needs no password.
    cfg(&mut p, "clientcert", 4, "\"UFS:client.pem\"");
    cfg(&mut p, "clientkey", 4, "\"UFS:client.key\"");
    assert_eq!(open(&mut p, 4, 1, HOST, port), 0, "client.pem + client.key");
    close(&mut p, 1);
    // Context 5: credentials configured, but seclevel 1 sends no client certificate.
    cfg(&mut p, "clientcert", 5, "\"UFS:client.pem\"");
    cfg(&mut p, "clientkey", 5, "\"UFS:client.key\"");
    cfg(&mut p, "seclevel", 5, "1");
    assert_eq!(
        open(&mut p, 5, 1, HOST, port),
        566,
        "seclevel 1 against a server that requires a client cert"
    );
    // The good context still works after all those failures.
    assert_eq!(open(&mut p, 0, 1, HOST, port), 0, "context 0 again");
    close(&mut p, 1);
    assert!(
        server.wait_count(CLIENT_SEEN, 3, Duration::from_secs(5)),
        "expected three client certificates at the server: {}",
        server.output()
    );

    // A server that asks for a certificate but does not insist: seclevel 2 without
    // credentials goes ahead, and with credentials the certificate is sent.
    let asks = OpensslServer::start(&[
        "-cert",
        "server-ecdsa.pem",
        "-key",
        "server-ecdsa.key",
        "-verify",
        "1",
        "-CAfile",
        "ca.pem",
        "-rev",
    ]);
    assert_eq!(
        open(&mut p, 1, 1, HOST, asks.port),
        0,
        "seclevel 2 without credentials, optional client auth"
    );
    close(&mut p, 1);
    assert!(asks.wait_count("No peer certificate", 1, Duration::from_secs(5)), "{}", asks.output());
    assert_eq!(open(&mut p, 0, 1, HOST, asks.port), 0, "seclevel 2 with credentials, optional client auth");
    close(&mut p, 1);
    assert!(asks.wait_count(CLIENT_SEEN, 1, Duration::from_secs(5)), "{}", asks.output());
}

#[test]
fn ciphersuite_c02f_is_the_only_suite_offered() {
    if !have_openssl("ciphersuite_c02f_is_the_only_suite_offered") {
        return;
    }
    let rsa = OpensslServer::start(&["-cert", "server-rsa.pem", "-key", "server-rsa.key", "-rev"]);
    let ecdsa = OpensslServer::start(&["-cert", "server-ecdsa.pem", "-key", "server-ecdsa.key", "-rev"]);
    let (_d, mut p) = started(&[]);
    cfg(&mut p, "ciphersuite", 1, "0XC02F");
    assert_eq!(open(&mut p, 1, 0, HOST, rsa.port), 0, "0XC02F against an RSA server");
    close(&mut p, 0);
    assert!(
        rsa.wait_count("Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256", 1, Duration::from_secs(5)),
        "{}",
        rsa.output()
    );
    // openssl lists the client's suites: exactly one, besides the renegotiation signal.
    let out = rsa.output();
    let list = out.lines().find_map(|l| l.strip_prefix("Client cipher list: ")).unwrap_or("");
    let suites: Vec<&str> = list.split(':').filter(|s| *s != "TLS_EMPTY_RENEGOTIATION_INFO_SCSV").collect();
    assert_eq!(suites, ["ECDHE-RSA-AES128-GCM-SHA256"], "{out}");
    // An ECDSA server has nothing in common with an ECDHE_RSA suite.
    assert_eq!(open(&mut p, 1, 0, HOST, ecdsa.port), 566, "0XC02F against an ECDSA server");
    // The default 0XFFFF reaches both.
    for server in [&rsa, &ecdsa] {
        assert_eq!(open(&mut p, 0, 0, HOST, server.port), 0, "0XFFFF");
        close(&mut p, 0);
    }
}

/// (label, ctx, host, expected SNI, expected ALPN offer, expected negotiated ALPN)
type SniAlpnCase<'a> = (&'a str, u8, &'a str, Option<&'a str>, Option<&'a [&'a str]>, Option<&'a str>);

#[test]
fn sni_and_alpn_as_the_server_sees_them() {
    let server = RustlsServer::start("server-rsa.pem", "server-rsa.key", &["h2", "http/1.1"]);
    let port = server.port;
    let (_d, mut p) = started(&[]);
    // (label, ctx, host, expected SNI, expected ALPN offer, expected negotiated ALPN)
    cfg(&mut p, "sni", 1, "1");
    cfg(&mut p, "alpn", 2, "\"h2\"");
    cfg(&mut p, "alpn", 3, "\"http/1.1\"");
    p.transact("AT+QSSLCFG=\"sni\",4,1;+QSSLCFG=\"alpn\",4,\"h2\"\r", OK);
    let cases: [SniAlpnCase; 7] = [
        ("factory default sni 0", 0, HOST, None, None, None),
        ("sni 1", 1, HOST, Some(HOST), None, None),
        ("sni 1, localhost", 1, "localhost", Some("localhost"), None, None),
        ("sni 1, IP literal (RFC 6066: no SNI)", 1, "127.0.0.1", None, None, None),
        ("alpn h2", 2, HOST, None, Some(&["h2"]), Some("h2")),
        ("alpn http/1.1", 3, HOST, None, Some(&["http/1.1"]), Some("http/1.1")),
        ("chained sni 1 + alpn h2", 4, HOST, Some(HOST), Some(&["h2"]), Some("h2")),
    ];
    for (label, ctx, host, sni, offer, alpn) in cases {
        assert_eq!(open(&mut p, ctx, 7, host, port), 0, "{label}");
        let seen = server.next();
        assert_eq!(seen.error, None, "{label}");
        assert_eq!(seen.sni.as_deref(), sni, "{label}: SNI at the server");
        let offered: Option<Vec<&str>> =
            seen.alpn_offered.as_ref().map(|v| v.iter().map(String::as_str).collect());
        assert_eq!(offered.as_deref(), offer, "{label}: ALPN offered");
        assert_eq!(seen.alpn.as_deref(), alpn, "{label}: ALPN negotiated");
        close(&mut p, 7);
    }
    // The longest name the module takes (255 bytes) goes out whole.
    let plain = RustlsServer::start("server-rsa.pem", "server-rsa.key", &[]);
    let long = "a".repeat(255);
    cfg(&mut p, "alpn", 5, &format!("\"{long}\""));
    assert_eq!(open(&mut p, 5, 7, HOST, plain.port), 0, "alpn of 255 bytes");
    assert_eq!(plain.next().alpn_offered, Some(vec![long.clone()]), "alpn of 255 bytes at the server");
    close(&mut p, 7);
    // alpn "" again means no extension at all.
    cfg(&mut p, "alpn", 2, "\"\"");
    assert_eq!(open(&mut p, 2, 7, HOST, port), 0);
    assert_eq!(server.next().alpn_offered, None, "alpn \"\" still offered ALPN");
    close(&mut p, 7);
}

#[test]
fn session_cache_resumes_across_opens_of_one_context() {
    let server = RustlsServer::start("server-rsa.pem", "server-rsa.key", &[]);
    let port = server.port;
    let (_d, mut p) = started(&[]);
    cfg(&mut p, "session_cache", 0, "1");
    let kinds = |p: &mut Port, ctx: u8, label: &str| {
        assert_eq!(open(p, ctx, 2, HOST, port), 0, "{label}");
        let seen = server.next();
        close(p, 2);
        assert_eq!(seen.version, Some(ProtocolVersion::TLSv1_2), "{label}: the module speaks TLS 1.2");
        seen.kind
    };
    // Socket 7 holds a connection of context 0 open, so the context (and its session cache)
    // is not released between the opens of socket 2 (note 2.2.5, policy session-cache).
    assert_eq!(open(&mut p, 0, 7, HOST, port), 0);
    assert_eq!(server.next().kind, Some(HandshakeKind::Full), "session_cache 1, first");
    assert_eq!(kinds(&mut p, 0, "session_cache 1, second"), Some(HandshakeKind::Resumed));
    assert_eq!(kinds(&mut p, 0, "session_cache 1, third"), Some(HandshakeKind::Resumed));
    // Without the cache every handshake is full.
    assert_eq!(kinds(&mut p, 1, "session_cache 0, first"), Some(HandshakeKind::Full));
    assert_eq!(kinds(&mut p, 1, "session_cache 0, second"), Some(HandshakeKind::Full));
    // Contexts do not share a cache.
    cfg(&mut p, "session_cache", 3, "1");
    assert_eq!(kinds(&mut p, 3, "another context with session_cache 1"), Some(HandshakeKind::Full));
    // A change to the security settings drops the remembered session.
    cfg(&mut p, "ignorecertitem", 0, "4");
    assert_eq!(kinds(&mut p, 0, "after ignorecertitem changed"), Some(HandshakeKind::Full));
    assert_eq!(kinds(&mut p, 0, "then resumed again"), Some(HandshakeKind::Resumed));
    // Turning the cache off stops resumption.
    cfg(&mut p, "session_cache", 0, "0");
    assert_eq!(kinds(&mut p, 0, "session_cache set back to 0"), Some(HandshakeKind::Full));
    // Once the last connection of the context is closed, the cache is gone with it.
    cfg(&mut p, "session_cache", 0, "1");
    assert_eq!(kinds(&mut p, 0, "cache on again, socket 7 still open"), Some(HandshakeKind::Full));
    close(&mut p, 7);
    assert_eq!(kinds(&mut p, 0, "after the last connection closed"), Some(HandshakeKind::Full));
    assert_eq!(kinds(&mut p, 0, "and again: each close released it"), Some(HandshakeKind::Full));

    // A resumed connection carries data.
    cfg(&mut p, "session_cache", 5, "1");
    assert_eq!(open(&mut p, 5, 7, HOST, port), 0);
    assert_eq!(server.next().kind, Some(HandshakeKind::Full), "ctx 5 first");
    assert_eq!(open(&mut p, 5, 2, HOST, port), 0);
    assert_eq!(server.next().kind, Some(HandshakeKind::Resumed));
    p.transact("AT+QSSLSEND=2,5\r", "\r\n> ");
    p.send(b"hello");
    p.expect(b"\r\nSEND OK\r\n");
    p.expect(b"\r\n+QSSLURC: \"recv\",2\r\n");
    p.transact("AT+QSSLRECV=2,1500\r", "\r\n+QSSLRECV: 5\r\nhello\r\n\r\nOK\r\n");
    close(&mut p, 2);
    close(&mut p, 7);
}

#[test]
fn session_cache_resumes_tls13_with_the_tls13_flag() {
    let server = RustlsServer::start("server-ecdsa.pem", "server-ecdsa.key", &[]);
    let (_d, mut p) = started(&["--tls13"]);
    cfg(&mut p, "session_cache", 0, "1");
    let mut got = Vec::new();
    // Socket 0 stays open so the context keeps its session cache (policy session-cache).
    for id in [0, 1] {
        assert_eq!(open(&mut p, 0, id, HOST, server.port), 0);
        let seen = server.next();
        assert_eq!(seen.version, Some(ProtocolVersion::TLSv1_3));
        // Let the server's tickets arrive before the next open.
        std::thread::sleep(Duration::from_millis(100));
        got.push(seen.kind);
    }
    close(&mut p, 1);
    close(&mut p, 0);
    assert_eq!(got, [Some(HandshakeKind::Full), Some(HandshakeKind::Resumed)]);
}

#[test]
fn tls_versions_on_offer() {
    if !have_openssl("tls_versions_on_offer") {
        return;
    }
    let only13 =
        OpensslServer::start(&["-cert", "server-ecdsa.pem", "-key", "server-ecdsa.key", "-tls1_3", "-rev"]);
    let any = OpensslServer::start(&["-cert", "server-ecdsa.pem", "-key", "server-ecdsa.key", "-rev"]);
    let only12 =
        OpensslServer::start(&["-cert", "server-ecdsa.pem", "-key", "server-ecdsa.key", "-tls1_2", "-rev"]);

    // Like the module: TLS 1.2 only, whatever sslversion says.
    let (_d, mut p) = started(&[]);
    assert_eq!(open(&mut p, 0, 0, HOST, only13.port), 566, "default daemon against a TLS 1.3-only server");
    p.transact("AT+QIGETERROR\r", E566);
    assert_eq!(open(&mut p, 0, 0, HOST, any.port), 0, "default daemon against a TLS 1.2+1.3 server");
    close(&mut p, 0);
    assert!(
        any.wait_count("Protocol version: TLSv1.2", 1, Duration::from_secs(5)),
        "sslversion 4 did not end up with TLS 1.2: {}",
        any.output()
    );
    cfg(&mut p, "sslversion", 1, "1");
    if LEGACY {
        // The second engine offers TLS 1.0 only, which this server refuses (tests/legacy_tls.rs).
        assert_eq!(open(&mut p, 1, 0, HOST, any.port), 566, "sslversion 1 against a TLS 1.2+ server");
    } else {
        // Compat: TLS 1.0 is not in rustls, so the open goes ahead with TLS 1.2.
        assert_eq!(open(&mut p, 1, 0, HOST, any.port), 0, "compat, sslversion 1");
        close(&mut p, 0);
        assert!(any.wait_count("Protocol version: TLSv1.2", 2, Duration::from_secs(5)), "{}", any.output());
    }
    assert_eq!(any.count("Protocol version: TLSv1.3"), 0, "{}", any.output());

    // --tls13: sslversion 4 offers TLS 1.2 and 1.3; sslversion 3 stays TLS 1.2.
    let (_d13, mut q) = started(&["--tls13"]);
    assert_eq!(open(&mut q, 0, 0, HOST, only13.port), 0, "--tls13, sslversion 4, TLS 1.3-only server");
    close(&mut q, 0);
    assert!(only13.wait_count("Protocol version: TLSv1.3", 1, Duration::from_secs(5)), "{}", only13.output());
    assert_eq!(open(&mut q, 0, 0, HOST, only12.port), 0, "--tls13, sslversion 4, TLS 1.2-only server");
    close(&mut q, 0);
    cfg(&mut q, "sslversion", 3, "3");
    assert_eq!(open(&mut q, 3, 0, HOST, only13.port), 566, "--tls13, sslversion 3, TLS 1.3-only server");

    // --strict-tls: a version rustls lacks fails like a refusing server; TLS 1.2 is fine.
    let (_ds, mut s) = started(&["--strict-tls"]);
    for v in ["0", "1", "2"] {
        cfg(&mut s, "sslversion", 1, v);
        assert_eq!(open(&mut s, 1, 0, HOST, any.port), 566, "--strict-tls, sslversion {v}");
        s.transact("AT+QIGETERROR\r", E566);
    }
    cfg(&mut s, "sslversion", 1, "3");
    assert_eq!(open(&mut s, 1, 0, HOST, any.port), 0, "--strict-tls, sslversion 3");
    close(&mut s, 0);
    assert_eq!(open(&mut s, 0, 0, HOST, any.port), 0, "--strict-tls, sslversion 4");
    close(&mut s, 0);
    // Other settings rustls cannot honour: a legacy suite, renegotiation.
    cfg(&mut s, "ciphersuite", 2, "0X0035");
    assert_eq!(open(&mut s, 2, 0, HOST, any.port), 566, "--strict-tls, ciphersuite 0X0035");
    cfg(&mut s, "renegotiation", 3, "1");
    if LEGACY {
        // The second engine renegotiates when asked: nothing to refuse.
        assert_eq!(open(&mut s, 3, 0, HOST, any.port), 0, "--strict-tls, renegotiation 1");
        close(&mut s, 0);
    } else {
        assert_eq!(open(&mut s, 3, 0, HOST, any.port), 566, "--strict-tls, renegotiation 1");
    }
    cfg(&mut p, "ciphersuite", 2, "0X0035");
    if LEGACY {
        // TLS_RSA_WITH_AES_256_CBC_SHA needs an RSA certificate; this server has ECDSA.
        assert_eq!(open(&mut p, 2, 0, HOST, any.port), 566, "ciphersuite 0X0035, ECDSA server");
    } else {
        // The same settings in compat mode connect.
        assert_eq!(open(&mut p, 2, 0, HOST, any.port), 0, "compat, ciphersuite 0X0035");
        close(&mut p, 0);
    }
    cfg(&mut p, "renegotiation", 3, "1");
    assert_eq!(open(&mut p, 3, 0, HOST, any.port), 0, "compat, renegotiation 1");
    close(&mut p, 0);
}

#[test]
fn dtls_and_psk_are_555_before_any_packet() {
    let server = RustlsServer::start("server-rsa.pem", "server-rsa.key", &[]);
    let (_d, mut p) = started(&[]);
    cfg(&mut p, "dtls", 1, "1");
    assert_eq!(open(&mut p, 1, 4, HOST, server.port), 555, "dtls 1");
    p.transact("AT+QIGETERROR\r", "\r\n+QIGETERROR: 555,operation not supported\r\n\r\nOK\r\n");
    p.transact("AT+QSSLCFG=\"psk\",2,\"dev-1\",\"00112233\"\r", OK);
    assert_eq!(open(&mut p, 2, 4, HOST, server.port), 555, "psk with seclevel 0 and no certificates");
    server.expect_none(Duration::from_millis(300));
    // Unset again, the context connects.
    p.transact("AT+QSSLCFG=\"psk\",2,\"\",\"\"\r", OK);
    assert_eq!(open(&mut p, 2, 4, HOST, server.port), 0, "psk unset");
    server.next();
    close(&mut p, 4);
}

#[test]
fn bad_signature_chains_and_multilevel_relaxation() {
    if !have_openssl("bad_signature_chains_and_multilevel_relaxation") {
        return;
    }
    let badsig = OpensslServer::start(&["-cert", "badsig.pem", "-key", "badsig.key", "-rev"]);
    // s_server -cert sends only the first certificate of server-chain.pem; -cert_chain adds
    // the intermediate.
    let chain = OpensslServer::start(&[
        "-cert",
        "server-chain.pem",
        "-key",
        "server-chain.key",
        "-cert_chain",
        "intermediate-ca.pem",
        "-rev",
    ]);
    // The same leaf alone: the intermediate is missing.
    let leaf_only = OpensslServer::start(&["-cert", "server-chain.pem", "-key", "server-chain.key", "-rev"]);
    let untrusted_chain = OpensslServer::start(&[
        "-cert",
        "untrusted.pem",
        "-key",
        "untrusted.key",
        "-cert_chain",
        "untrusted-ca.pem",
        "-rev",
    ]);
    let (_d, mut p) = started(&[]);
    let mut wrong = Vec::new();
    verifying_context(&mut p, 0);
    cell(&mut p, &mut wrong, "badsig", 0, HOST, badsig.port, 566);
    cell(&mut p, &mut wrong, "leaf + intermediate, root trusted", 0, HOST, chain.port, 0);
    cell(&mut p, &mut wrong, "leaf without its intermediate", 0, HOST, leaf_only.port, 566);
    cell(&mut p, &mut wrong, "untrusted leaf + its CA", 0, HOST, untrusted_chain.port, 566);
    // ignoreinvalidcertsign tolerates the forged signature.
    verifying_context(&mut p, 1);
    cfg(&mut p, "ignoreinvalidcertsign", 1, "1");
    cell(&mut p, &mut wrong, "badsig, ignoreinvalidcertsign 1", 1, HOST, badsig.port, 0);
    cell(&mut p, &mut wrong, "untrusted, ignoreinvalidcertsign 1", 1, HOST, untrusted_chain.port, 566);
    // So does ignorecertitem bit 8.
    verifying_context(&mut p, 2);
    cfg(&mut p, "ignorecertitem", 2, "8");
    cell(&mut p, &mut wrong, "badsig, ignorecertitem 8", 2, HOST, badsig.port, 0);
    // ignoremulticertchainverify: the intermediates the server sent become anchors.
    verifying_context(&mut p, 3);
    cfg(&mut p, "ignoremulticertchainverify", 3, "1");
    cell(
        &mut p,
        &mut wrong,
        "untrusted leaf + its CA, ignoremulticertchainverify 1",
        3,
        HOST,
        untrusted_chain.port,
        0,
    );
    cell(&mut p, &mut wrong, "badsig, ignoremulticertchainverify 1", 3, HOST, badsig.port, 566);
    // ... but the leaf's own checks still apply.
    cell(&mut p, &mut wrong, "leaf + intermediate, wrong name", 3, "other.test", chain.port, 566);
    assert_cells(&wrong);
}

/// Everything buffered for `id`, read with `AT+QSSLRECV` until it reports 0 bytes or, once the
/// server has closed and the buffer is drained, `ERROR` (note 2.2.4).
fn recv_all(p: &mut Port, id: u8) -> Vec<u8> {
    let mut all = Vec::new();
    loop {
        p.send(format!("AT+QSSLRECV={id},1500\r").as_bytes());
        p.expect(b"\r\n");
        let head = String::from_utf8(p.read_until(b"\r\n", Duration::from_secs(5))).unwrap();
        if head == "ERROR\r\n" {
            return all;
        }
        let n: usize = head
            .strip_prefix("+QSSLRECV: ")
            .and_then(|r| r.strip_suffix("\r\n"))
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("AT+QSSLRECV={id},1500 answered {head:?}"));
        if n == 0 {
            p.expect(b"\r\nOK\r\n");
            return all;
        }
        all.extend(p.take(n, Duration::from_secs(5)));
        p.expect(b"\r\n\r\nOK\r\n");
    }
}

/// `GET /` from an `openssl s_server -www`, which describes the connection, session
/// included, and closes. Socket `id` stays in state 4 until [`close`].
fn www_page(p: &mut Port, ctx: u8, id: u8, port: u16) -> String {
    assert_eq!(open(p, ctx, id, HOST, port), 0, "ctx {ctx}");
    let get = b"GET / HTTP/1.0\r\n\r\n";
    p.transact(&format!("AT+QSSLSEND={id},{}\r", get.len()), "\r\n> ");
    p.send(get);
    p.expect(b"\r\nSEND OK\r\n");
    p.expect(format!("\r\n+QSSLURC: \"recv\",{id}\r\n").as_bytes());
    p.expect(format!("\r\n+QSSLURC: \"closed\",{id}\r\n").as_bytes());
    let page = String::from_utf8_lossy(&recv_all(p, id)).into_owned();
    assert!(page.starts_with("HTTP/1.0 200 ok\r\n"), "{page}");
    page
}

/// Whether openssl reports the TLS 1.2 session of `page` as new or reused.
fn session_kind(page: &str) -> &'static str {
    if page.contains("\nReused, TLSv1.2,") {
        "Reused"
    } else if page.contains("\nNew, TLSv1.2,") {
        "New"
    } else {
        panic!("no session line for TLS 1.2 in the page: {page}")
    }
}

#[test]
fn session_cache_against_openssl() {
    if !have_openssl("session_cache_against_openssl") {
        return;
    }
    let server = OpensslServer::start(&["-cert", "server-ecdsa.pem", "-key", "server-ecdsa.key", "-www"]);
    let (_d, mut p) = started(&[]);
    // Context 0 verifies the server and caches; context 1 does not cache.
    verifying_context(&mut p, 0);
    cfg(&mut p, "session_cache", 0, "1");
    let mut got = Vec::new();
    // While a connection of context 0 exists (socket 9, state 4), a second one resumes.
    got.push(session_kind(&www_page(&mut p, 0, 9, server.port)));
    got.push(session_kind(&www_page(&mut p, 0, 8, server.port)));
    close(&mut p, 8);
    close(&mut p, 9);
    // The last connection closed: the module released the context's runtime state, the
    // session cache with it (note 2.2.5, policy session-cache).
    got.push(session_kind(&www_page(&mut p, 0, 9, server.port)));
    close(&mut p, 9);
    for id in [9, 8] {
        got.push(session_kind(&www_page(&mut p, 1, id, server.port)));
    }
    close(&mut p, 8);
    close(&mut p, 9);
    assert_eq!(got, ["New", "Reused", "New", "New", "New"], "sessions as openssl saw them");
}
