//! The SSL command family driven straight into the module: `AT+QSSLCFG` (a few items and how
//! they reach the open request), `AT+QSSLOPEN` in its three modes with its refusals,
//! `AT+QSSLSEND` in both forms, `AT+QSSLRECV`, `AT+QSSLSTATE`, `AT+QSSLCLOSE` with its linger
//! and deadline, `AT+QISWTMD`, `ATO`, the `+++` escape on a clock that only moves when told,
//! and DTR under `AT&D0/1/2`. Exact bytes, network actions and `AT+QIGETERROR` codes.

mod bench;

use std::time::Duration;

use bench::{described, sends, Bench, CONNECT, ERROR, NO_CARRIER, OK, PROMPT, SEND_FAIL, SEND_OK, SETTLE};
use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::{Fault, ModemConfig, NetEvent, OpenFault, Timing};

/// The `+QSSLSTATE` line of a connected socket opened by the bench (SSL context 0, PDP 1).
fn state_line(id: u8, state: u8, mode: u8) -> String {
    let local = if state == 1 { 0 } else { 50_000 + u32::from(id) };
    format!("+QSSLSTATE: {id},\"SSLClient\",\"192.0.2.2\",443,{local},{state},1,{id},{mode},\"uart1\",0")
}

fn state_reply(lines: &[String]) -> String {
    if lines.is_empty() {
        return OK.to_string();
    }
    format!("\r\n{}\r\n\r\nOK\r\n", lines.join("\r\n"))
}

// ---- AT+QSSLCFG ----------------------------------------------------------------------------

#[test]
fn qsslcfg_test_form_lists_every_item() {
    let mut b = Bench::new();
    let lines = [
        "\"sslversion\",(0-5),(0-4)",
        "\"seclevel\",(0-5),(0-2)",
        "\"ciphersuite\",(0-5),<cs_id>",
        "\"negotiatetime\",(0-5),(10-300)",
        "\"sni\",(0-5),(0,1)",
        "\"cacert\",(0-5),<cacertpath>",
        "\"cacertex\",(0-5),<cacertexpath>",
        "\"clientcert\",(0-5),<client_cert_path>",
        "\"clientkey\",(0-5),<client_key_path>,<key_pwd>",
        "\"dtls\",(0-5),(0,1)",
        "\"dtlsversion\",(0-5),(0-2)",
        "\"psk\",(0-5),<identity>,<key>",
        "\"ignoremulticertchainverify\",(0-5),(0,1)",
        "\"ignoreinvalidcertsign\",(0-5),(0,1)",
        "\"ignorecertitem\",(0-5),(0-1048575)",
        "\"ignorelocaltime\",(0-5),(0,1)",
        "\"session_cache\",(0-5),(0,1)",
        "\"closetimemode\",(0-5),(0,1)",
        "\"renegotiation\",(0-5),(0,1)",
        "\"alpn\",(0-5),<ALPN_name>",
    ];
    let body: String = lines.iter().map(|l| format!("+QSSLCFG: {l}\r\n")).collect();
    b.check("AT+QSSLCFG=?", &format!("\r\n{body}\r\nOK\r\n"));
}

#[test]
fn qsslcfg_sets_and_reads_per_context() {
    let mut b = Bench::new();
    b.check("AT+QSSLCFG=\"sni\",2", "\r\n+QSSLCFG: \"sni\",2,0\r\n\r\nOK\r\n");
    b.check("AT+QSSLCFG=\"sni\",2,1", OK);
    assert_eq!(b.last_error(), 0);
    b.check("AT+QSSLCFG=\"sni\",2", "\r\n+QSSLCFG: \"sni\",2,1\r\n\r\nOK\r\n");
    b.check("AT+QSSLCFG=\"sni\",3", "\r\n+QSSLCFG: \"sni\",3,0\r\n\r\nOK\r\n");
    b.check("AT+QSSLCFG=\"ciphersuite\",1,0x35", OK);
    b.check("AT+QSSLCFG=\"ciphersuite\",1", "\r\n+QSSLCFG: \"ciphersuite\",1,0X0035\r\n\r\nOK\r\n");
    b.check("AT+QSSLCFG=\"negotiatetime\",5", "\r\n+QSSLCFG: \"negotiatetime\",5,300\r\n\r\nOK\r\n");
    b.check("AT+QSSLCFG=\"ignorelocaltime\",0", "\r\n+QSSLCFG: \"ignorelocaltime\",0,1\r\n\r\nOK\r\n");
}

#[test]
fn qsslcfg_refusals_record_552_and_change_nothing() {
    let mut b = Bench::new();
    for bad in [
        "AT+QSSLCFG=\"sni\",6,1",
        "AT+QSSLCFG=\"sni\",6",
        "AT+QSSLCFG=\"sni\",-1,1",
        "AT+QSSLCFG=\"sni\",\"1\",1",
        "AT+QSSLCFG=\"sni\",1,2",
        "AT+QSSLCFG=\"sni\",1,\"1\"",
        "AT+QSSLCFG=\"sni\",1,1,1",
        "AT+QSSLCFG=\"sni\"",
        "AT+QSSLCFG=sni,1,1",
        "AT+QSSLCFG=\"nosuchitem\",1,1",
        "AT+QSSLCFG=\"negotiatetime\",1,9",
        "AT+QSSLCFG=\"negotiatetime\",1,301",
        "AT+QSSLCFG=\"ciphersuite\",1,0X1234",
        "AT+QSSLCFG",
        "AT+QSSLCFG?",
    ] {
        b.check_code(bad, 552);
    }
    b.check("AT+QSSLCFG=\"sni\",1", "\r\n+QSSLCFG: \"sni\",1,0\r\n\r\nOK\r\n");
    b.check("AT+QSSLCFG=\"negotiatetime\",1", "\r\n+QSSLCFG: \"negotiatetime\",1,300\r\n\r\nOK\r\n");
}

#[test]
fn qsslcfg_settings_reach_the_open_request() {
    let mut b = Bench::new();
    b.check("AT+QSSLCFG=\"sni\",2,1;+QSSLCFG=\"alpn\",2,\"h2\";+QSSLCFG=\"negotiatetime\",2,10", OK);
    b.pdp_up();
    b.check("AT+QSSLOPEN=1,2,0,\"example.com\",8443", OK);
    let req = b.open_request(0);
    assert!(req.tls.as_ref().unwrap().client.sends_sni());
    assert_eq!(req.tls.as_ref().unwrap().client.alpn_protocols(), vec![b"h2".to_vec()]);
    assert_eq!(req.tls.as_ref().unwrap().handshake_timeout, Duration::from_secs(10));
    assert_eq!((req.host.as_str(), req.port, req.pdp), ("example.com", 8443, 1));
    // Context 0 kept the defaults.
    b.check("AT+QSSLOPEN=1,0,1,\"example.com\",8443", OK);
    let req = b.open_request(1);
    assert!(!req.tls.as_ref().unwrap().client.sends_sni());
    assert!(req.tls.as_ref().unwrap().client.alpn_protocols().is_empty());
    assert_eq!(req.tls.as_ref().unwrap().handshake_timeout, Duration::from_secs(300));
}

#[test]
fn seclevel_1_without_a_ca_fails_before_the_network_with_566() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QSSLCFG=\"seclevel\",0,1", OK);
    b.check("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,0", OK);
    assert!(b.take_actions().is_empty());
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLOPEN: 0,566\r\n"]);
    assert_eq!(b.last_error(), 566);
    b.check_code("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,2", 566);
    b.check("AT+QSSLSTATE", OK);
}

#[test]
fn dtls_is_not_supported_555() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QSSLCFG=\"dtls\",3,1", OK);
    b.check("AT+QSSLOPEN=1,3,0,\"192.0.2.2\",443,1", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QSSLOPEN: 0,555\r\n");
    assert_eq!(b.last_error(), 555);
    assert!(b.take_actions().is_empty());
}

// ---- AT+QSSLOPEN ---------------------------------------------------------------------------

#[test]
fn qsslopen_test_form() {
    let mut b = Bench::new();
    b.check(
        "AT+QSSLOPEN=?",
        "\r\n+QSSLOPEN: (1-15),(0-5),(0-11),<serveraddr>,<server_port>,(0-2)\r\n\r\nOK\r\n",
    );
}

#[test]
fn qsslopen_buffer_mode_answers_ok_then_the_urc_in_its_own_write() {
    let mut b = Bench::new();
    b.pdp_up();
    assert_eq!(b.at_writes("AT+QSSLOPEN=1,0,4,\"192.0.2.2\",8010,0"), [OK]);
    assert_eq!(b.last_error(), 0);
    let acts = b.take_actions();
    assert_eq!(described(&acts), ["open 4 #1 192.0.2.2:8010 pdp 1"]);
    b.check(
        "AT+QSSLSTATE=4",
        "\r\n+QSSLSTATE: 4,\"SSLClient\",\"192.0.2.2\",8010,0,1,1,4,0,\"uart1\",0\r\n\r\nOK\r\n",
    );
    b.opened(4, 1);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLOPEN: 4,0\r\n"]);
    b.check(
        "AT+QSSLSTATE=4",
        "\r\n+QSSLSTATE: 4,\"SSLClient\",\"192.0.2.2\",8010,50004,2,1,4,0,\"uart1\",0\r\n\r\nOK\r\n",
    );
}

#[test]
fn qsslopen_default_mode_is_buffer() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443", OK);
    b.opened(0, b.open_request(0).conn);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QSSLOPEN: 0,0\r\n");
    b.check("AT+QSSLSTATE", &state_reply(&[state_line(0, 2, 0)]));
}

#[test]
fn qsslopen_push_mode_answers_ok_then_the_urc() {
    let mut b = Bench::new();
    b.connect(7, 1);
    b.check("AT+QSSLSTATE", &state_reply(&[state_line(7, 2, 1)]));
}

#[test]
fn qsslopen_transparent_mode_answers_connect_only_when_connected() {
    let mut b = Bench::new();
    let conn = b.begin_open(0, 2);
    b.advance(Duration::from_secs(5));
    assert_eq!(b.take_text(), "", "no OK and no URC in mode 2");
    b.opened(0, conn);
    assert_eq!(b.take_writes_text(), [CONNECT]);
    assert_eq!(b.port_mode(), "transparent");
    b.actions.clear();
    b.check("AT+QIGETERROR", "");
    assert_eq!(sends(&b.take_actions(), 0), [b"AT+QIGETERROR\r".to_vec()], "commands are data now");
}

#[test]
fn qsslopen_transparent_failure_answers_error_with_the_code() {
    for (failure, code) in [
        (OpenFailure::ConnectFailed, 566),
        (OpenFailure::HandshakeFailed, 566),
        (OpenFailure::HandshakeTimeout, 569),
        (OpenFailure::DnsFailed, 565),
        (OpenFailure::DnsBusy, 564),
        (OpenFailure::NotSupported, 555),
    ] {
        let mut b = Bench::new();
        let conn = b.begin_open(0, 2);
        b.open_failed(0, conn, failure);
        assert_eq!(b.take_writes_text(), [ERROR], "{failure:?}");
        assert_eq!(b.last_error(), code, "{failure:?}");
        b.check("AT+QSSLSTATE", OK);
        b.settle();
        assert_eq!(b.take_text(), "", "no URC after a mode-2 failure");
    }
}

#[test]
fn qsslopen_buffer_mode_failure_is_a_urc_with_the_code() {
    for (failure, code) in [
        (OpenFailure::ConnectFailed, 566),
        (OpenFailure::HandshakeTimeout, 569),
        (OpenFailure::DnsFailed, 565),
    ] {
        let mut b = Bench::new();
        let conn = b.begin_open(3, 0);
        b.open_failed(3, conn, failure);
        b.settle();
        assert_eq!(b.take_writes_text(), [format!("\r\n+QSSLOPEN: 3,{code}\r\n")]);
        assert_eq!(b.last_error(), code);
        b.check("AT+QSSLSTATE", OK);
    }
}

#[test]
fn qsslopen_on_a_used_id_is_ok_then_563_and_the_connection_is_untouched() {
    let mut b = Bench::new();
    b.connect(0, 0);
    for mode in [0, 1] {
        b.check(&format!("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,{mode}"), OK);
        b.settle();
        assert_eq!(b.take_writes_text(), ["\r\n+QSSLOPEN: 0,563\r\n"]);
        assert_eq!(b.last_error(), 563);
    }
    assert!(b.take_actions().is_empty(), "no open, no abort");
    b.check("AT+QSSLSTATE", &state_reply(&[state_line(0, 2, 0)]));
}

#[test]
fn qsslopen_transparent_on_a_used_id_is_error_563() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.check_code("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,2", 563);
    b.settle();
    assert_eq!(b.take_text(), "");
    // An id still opening is in use too.
    b.begin_open(1, 0);
    b.check_code("AT+QSSLOPEN=1,0,1,\"192.0.2.2\",443,2", 563);
}

#[test]
fn qsslopen_transparent_on_an_inactive_context_is_error_561() {
    let mut b = Bench::new();
    b.check_code("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,2", 561);
    assert!(b.take_actions().is_empty());
}

#[test]
fn qsslopen_bad_parameters_are_error_552_and_reach_no_network() {
    let mut b = Bench::new();
    b.pdp_up();
    let long = format!("\"{}\"", "h".repeat(151));
    for bad in [
        "AT+QSSLOPEN=0,0,0,\"192.0.2.2\",443,0".to_string(),
        "AT+QSSLOPEN=16,0,0,\"192.0.2.2\",443,0".into(),
        "AT+QSSLOPEN=1,6,0,\"192.0.2.2\",443,0".into(),
        "AT+QSSLOPEN=1,0,12,\"192.0.2.2\",443,0".into(),
        "AT+QSSLOPEN=1,0,-1,\"192.0.2.2\",443,0".into(),
        "AT+QSSLOPEN=1,0,0,192.0.2.2,443,0".into(),
        "AT+QSSLOPEN=1,0,0,\"\",443,0".into(),
        format!("AT+QSSLOPEN=1,0,0,{long},443,0"),
        "AT+QSSLOPEN=1,0,0,\"192.0.2.2\",0,0".into(),
        "AT+QSSLOPEN=1,0,0,\"192.0.2.2\",65536,0".into(),
        "AT+QSSLOPEN=1,0,0,\"192.0.2.2\",\"443\",0".into(),
        "AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,3".into(),
        "AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,0,0".into(),
        "AT+QSSLOPEN=1,0,0,\"192.0.2.2\"".into(),
        "AT+QSSLOPEN=\"1\",0,0,\"192.0.2.2\",443".into(),
        "AT+QSSLOPEN".into(),
        "AT+QSSLOPEN?".into(),
    ] {
        b.check_code(&bad, 552);
    }
    b.settle();
    assert_eq!(b.take_text(), "", "no URC for a refused command");
    assert!(b.take_actions().is_empty());
    // The longest address is accepted.
    let longest = format!("{}.{}.{}", "a".repeat(63), "b".repeat(63), "c".repeat(22));
    assert_eq!(longest.len(), 150);
    b.check(&format!("AT+QSSLOPEN=1,0,0,\"{longest}\",443,0"), OK);
    assert_eq!(b.take_actions().len(), 1);
}

#[test]
fn qsslopen_several_sockets_share_one_ssl_context_with_fresh_serials() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QSSLOPEN=1,1,0,\"192.0.2.2\",443;+QSSLOPEN=1,1,11,\"192.0.2.2\",444", OK);
    assert_eq!(
        described(&b.take_actions()),
        ["open 0 #1 192.0.2.2:443 pdp 1", "open 11 #2 192.0.2.2:444 pdp 1"]
    );
}

#[test]
fn qsslopen_shows_the_name_as_typed_until_it_resolves() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QSSLOPEN=1,2,0,\"example.com\",8443,0", OK);
    b.check(
        "AT+QSSLSTATE=0",
        "\r\n+QSSLSTATE: 0,\"SSLClient\",\"example.com\",8443,0,1,1,0,0,\"uart1\",2\r\n\r\nOK\r\n",
    );
    let conn = b.open_request(0).conn;
    b.net(NetEvent::Opened { id: 0, conn, remote: "127.0.0.1:9443".parse().unwrap(), local_port: 40522 });
    b.check(
        "AT+QSSLSTATE=0",
        "\r\n+QSSLSTATE: 0,\"SSLClient\",\"127.0.0.1\",8443,40522,2,1,0,0,\"uart1\",2\r\n\r\nOK\r\n",
    );
}

#[test]
fn an_armed_open_fault_rides_on_the_next_open_only() {
    let mut b = Bench::new();
    b.inject(Fault::RefuseConnect);
    b.begin_open(0, 0);
    assert_eq!(b.open_request(0).fault, Some(OpenFault::RefuseConnect));
    b.begin_open(1, 0);
    assert_eq!(b.open_request(1).fault, None);
}

#[test]
fn input_during_a_transparent_open_waits_for_error() {
    let mut b = Bench::new();
    let conn = b.begin_open(0, 2);
    b.check("AT+CSQ", "");
    b.open_failed(0, conn, OpenFailure::ConnectFailed);
    assert_eq!(b.take_writes_text(), [ERROR, "\r\n+CSQ: 24,99\r\n\r\nOK\r\n"]);
}

#[test]
fn input_during_a_transparent_open_is_data_once_connected() {
    let mut b = Bench::new();
    let conn = b.begin_open(0, 2);
    b.check("AT+CSQ", "");
    b.actions.clear();
    b.opened(0, conn);
    assert_eq!(b.take_writes_text(), [CONNECT]);
    assert_eq!(sends(&b.take_actions(), 0), [b"AT+CSQ\r".to_vec()]);
}

#[test]
fn input_held_during_a_transparent_open_is_bounded() {
    let mut b = Bench::new();
    b.begin_open(0, 2);
    assert!(b.m.wants_input());
    b.input(&[b'h'; 4095]);
    assert!(b.m.wants_input());
    b.input(b"h");
    assert!(!b.m.wants_input(), "4 KiB held: the daemon should stop reading");
}

#[test]
fn realistic_timing_asks_the_network_to_delay_opens_by_2_s() {
    let mut b = Bench::with(ModemConfig { timing: Timing::realistic(), ..Default::default() });
    b.begin_open(0, 0);
    assert_eq!(b.open_request(0).delay, Duration::from_secs(2));
    let mut b = Bench::new();
    b.begin_open(0, 0);
    assert_eq!(b.open_request(0).delay, Duration::ZERO);
}

// ---- AT+QSSLSEND ---------------------------------------------------------------------------

#[test]
fn qsslsend_test_form() {
    let mut b = Bench::new();
    b.check("AT+QSSLSEND=?", "\r\n+QSSLSEND: (0-11),(1-1460)\r\n\r\nOK\r\n");
}

#[test]
fn qsslsend_variable_length_sends_on_ctrl_z() {
    let mut b = Bench::new();
    let conn = b.connect(4, 0);
    assert_eq!(b.at_writes("AT+QSSLSEND=4"), [PROMPT]);
    assert_eq!(b.port_mode(), "send_prompt");
    b.input(b"Test data ");
    assert_eq!(b.take_text(), "");
    assert!(b.take_actions().is_empty());
    b.input(b"from SSL\x1a");
    assert_eq!(b.take_writes_text(), [SEND_OK]);
    assert_eq!(described(&b.take_actions()), [format!("send 4 #{conn} \"Test data from SSL\"")]);
    assert_eq!(b.last_error(), 0);
}

#[test]
fn qsslsend_echoes_typed_data_but_not_the_ctrl_z() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.check("ATE1", OK);
    assert_eq!(b.at_writes("AT+QSSLSEND=0"), ["AT+QSSLSEND=0\r\r\n> "]);
    b.input(b"hel");
    b.input(b"lo\x1a");
    assert_eq!(b.take_writes_text(), ["hel", "lo", SEND_OK]);
    // Fixed length: everything typed is data and echoed.
    b.check("AT+QSSLSEND=0,2", "AT+QSSLSEND=0,2\r\r\n> ");
    b.input(b"\x1a\x1b");
    assert_eq!(b.take_writes_text(), ["\x1a\x1b", SEND_OK]);
}

#[test]
fn qsslsend_fixed_length_is_binary_safe() {
    let mut b = Bench::new();
    let conn = b.connect(4, 0);
    b.check("AT+QSSLSEND=4,5", PROMPT);
    b.input(b"a\x1a\x1bbc");
    assert_eq!(b.take_writes_text(), [SEND_OK]);
    assert_eq!(described(&b.take_actions()), [format!("send 4 #{conn} \"a\\u{{1a}}\\u{{1b}}bc\"")]);
}

#[test]
fn qsslsend_fixed_length_leaves_the_rest_to_command_mode() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.check("AT+QSSLSEND=0,3", PROMPT);
    b.input(b"abcAT+CSQ\r");
    assert_eq!(b.take_writes_text(), [SEND_OK, "\r\n+CSQ: 24,99\r\n\r\nOK\r\n"]);
    assert_eq!(sends(&b.take_actions(), 0), [b"abc".to_vec()]);
}

#[test]
fn qsslsend_lf_with_the_command_is_a_line_ending_and_later_lf_is_data() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.input(b"AT+QSSLSEND=0,2\r\nab");
    assert_eq!(b.take_writes_text(), [PROMPT, SEND_OK]);
    assert_eq!(sends(&b.take_actions(), 0), [b"ab".to_vec()]);
    b.input(b"AT+QSSLSEND=0,2\r");
    b.input(b"\nab");
    assert_eq!(sends(&b.take_actions(), 0), [b"\na".to_vec()]);
}

#[test]
fn qsslsend_esc_cancels_with_ok_and_571() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.check("AT+QSSLSEND=0", PROMPT);
    b.input(b"abc\x1b");
    assert_eq!(b.take_writes_text(), [OK]);
    assert!(b.take_actions().is_empty());
    assert_eq!(b.last_error(), 571);
    assert_eq!(b.port_mode(), "command");
}

#[test]
fn qsslsend_ctrl_z_at_once_sends_nothing_and_answers_send_ok() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.check("AT+QSSLSEND=0", PROMPT);
    b.input(b"\x1a");
    assert_eq!(b.take_text(), SEND_OK);
    assert!(b.take_actions().is_empty());
}

#[test]
fn qsslsend_backspace_at_the_prompt_is_data() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.check("AT+QSSLSEND=0", PROMPT);
    b.input(b"ab\x08c\x1a");
    assert_eq!(sends(&b.take_actions(), 0), [b"ab\x08c".to_vec()]);
}

#[test]
fn qsslsend_1460_bytes_then_ctrl_z_is_sent() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.check("AT+QSSLSEND=0", PROMPT);
    let mut data = vec![b'y'; 1460];
    data.push(0x1a);
    b.input(&data);
    assert_eq!(b.take_text(), SEND_OK);
    assert_eq!(sends(&b.take_actions(), 0), [vec![b'y'; 1460]]);
}

#[test]
fn qsslsend_overflow_is_error_552_and_the_extra_byte_starts_a_command() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.check("AT+QSSLSEND=0", PROMPT);
    let mut data = vec![b'x'; 1460];
    data.extend_from_slice(b"AT+CSQ\r");
    b.input(&data);
    assert_eq!(b.take_writes_text(), [ERROR, "\r\n+CSQ: 24,99\r\n\r\nOK\r\n"]);
    assert!(b.take_actions().is_empty());
    assert_eq!(b.last_error(), 552);
}

#[test]
fn qsslsend_refusals_before_the_prompt() {
    let mut b = Bench::new();
    for bad in [
        "AT+QSSLSEND=12",
        "AT+QSSLSEND=-1",
        "AT+QSSLSEND=\"0\"",
        "AT+QSSLSEND=0,1461",
        "AT+QSSLSEND=0,\"5\"",
        "AT+QSSLSEND=0,5,5",
        "AT+QSSLSEND",
        "AT+QSSLSEND?",
    ] {
        b.check_code(bad, 552);
    }
    // Not connected: idle, opening. (`,0` asks for the send counters: policy send-counters.)
    b.check_code("AT+QSSLSEND=0,0", 567);
    b.check_code("AT+QSSLSEND=0", 567);
    b.check_code("AT+QSSLSEND=0,5", 567);
    b.begin_open(1, 0);
    b.check_code("AT+QSSLSEND=1,5", 567);
    assert_eq!(b.port_mode(), "command");
}

#[test]
fn qsslsend_after_the_server_closed_is_567() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.remote_closed(0, conn);
    b.check_code("AT+QSSLSEND=0,5", 567);
}

#[test]
fn qsslsend_fixed_length_1460_is_accepted() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.check("AT+QSSLSEND=0,1460", PROMPT);
    b.input(&[b'z'; 1460]);
    assert_eq!(b.take_text(), SEND_OK);
}

#[test]
fn qsslsend_when_the_connection_ends_at_the_prompt_is_error_567() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.check("AT+QSSLSEND=0", PROMPT);
    b.input(b"abc");
    b.remote_closed(0, conn);
    b.settle();
    assert_eq!(b.take_text(), "", "the closed URC waits for the prompt to end");
    b.input(b"\x1a");
    b.settle();
    assert_eq!(b.take_writes_text(), [ERROR, "\r\n+QSSLURC: \"closed\",0\r\n"]);
    assert!(sends(&b.take_actions(), 0).is_empty());
    assert_eq!(b.last_error(), 567);
}

#[test]
fn qsslsend_is_send_fail_once_64_kib_are_unsent_and_ok_again_after_sent() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    let chunk = vec![b'q'; 1460];
    // 44 × 1460 = 64240 bytes fit; one more would make 65700 > 65536.
    for i in 0..44 {
        b.check("AT+QSSLSEND=0,1460", PROMPT);
        b.input(&chunk);
        assert_eq!(b.take_text(), SEND_OK, "send {i}");
    }
    b.check("AT+QSSLSEND=0,1460", PROMPT);
    b.input(&chunk);
    assert_eq!(b.take_writes_text(), [SEND_FAIL]);
    assert_eq!(b.last_error(), 0, "SEND FAIL leaves 0");
    assert_eq!(sends(&b.take_actions(), 0).len(), 44);
    // The network writes one chunk: there is room again.
    b.sent(0, conn, 1460);
    b.check("AT+QSSLSEND=0,1460", PROMPT);
    b.input(&chunk);
    assert_eq!(b.take_text(), SEND_OK);
    // A small send still fits beside it: 64240 + 1296 = 65536.
    b.check("AT+QSSLSEND=0,1296", PROMPT);
    b.input(&[b'r'; 1296]);
    assert_eq!(b.take_text(), SEND_OK);
    b.check("AT+QSSLSEND=0,1", PROMPT);
    b.input(b"s");
    assert_eq!(b.take_text(), SEND_FAIL);
}

#[test]
fn send_buffer_full_fault_fails_the_next_sends_of_that_socket() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.connect(1, 0);
    b.inject(Fault::SendBufferFull { socket: Some(0), count: Some(2) });
    b.check("AT+QSSLSEND=1,1", PROMPT);
    b.input(b"x");
    assert_eq!(b.take_text(), SEND_OK, "socket 1 is not affected");
    for want in [SEND_FAIL, SEND_FAIL, SEND_OK] {
        b.check("AT+QSSLSEND=0,1", PROMPT);
        b.input(b"x");
        assert_eq!(b.take_text(), want);
    }
    assert_eq!(sends(&b.take_actions(), 0), [b"x".to_vec()]);
}

#[test]
fn send_buffer_full_fault_without_a_socket_fails_the_next_send_anywhere() {
    let mut b = Bench::new();
    b.connect(5, 0);
    b.inject(Fault::SendBufferFull { socket: None, count: None });
    b.check("AT+QSSLSEND=5", PROMPT);
    b.input(b"x\x1a");
    assert_eq!(b.take_text(), SEND_FAIL);
    b.check("AT+QSSLSEND=5", PROMPT);
    b.input(b"x\x1a");
    assert_eq!(b.take_text(), SEND_OK);
}

#[test]
fn qsslsend_results_under_atv0_keep_their_text() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.check("ATV0", "0\r");
    b.check("AT+QSSLSEND=0,1", PROMPT);
    b.input(b"x");
    assert_eq!(b.take_text(), "SEND OK\r\n");
    b.inject(Fault::SendBufferFull { socket: None, count: None });
    b.check("AT+QSSLSEND=0,1", PROMPT);
    b.input(b"x");
    assert_eq!(b.take_text(), "SEND FAIL\r\n");
}

#[test]
fn a_recv_urc_held_at_the_prompt_follows_send_ok_in_its_own_write() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.check("AT+QSSLSEND=0", PROMPT);
    b.data(0, conn, b"reply");
    b.advance(Duration::from_secs(1));
    assert_eq!(b.take_text(), "", "held while the prompt is open");
    b.input(b"x\x1a");
    b.settle();
    assert_eq!(b.take_writes_text(), [SEND_OK, "\r\n+QSSLURC: \"recv\",0\r\n"]);
}

#[test]

fn a_recv_urc_held_at_the_prompt_comes_noticeably_after_send_ok() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.check("AT+QSSLSEND=0", PROMPT);
    b.data(0, conn, b"reply");
    b.advance(Duration::from_secs(1));
    b.input(b"x\x1a");
    // SPEC §1 (HW): "SEND OK then +QSSLURC: "recv"" arrive in separate writes, noticeably later;
    // naive hosts that read up to SEND OK and drop the rest of the read rely on that gap.
    assert_eq!(b.take_writes_text(), [SEND_OK]);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"recv\",0\r\n"]);
}

// ---- AT+QSSLRECV ---------------------------------------------------------------------------

#[test]
fn qsslrecv_test_form() {
    let mut b = Bench::new();
    b.check("AT+QSSLRECV=?", "\r\n+QSSLRECV: (0-11),(1-1500)\r\n\r\nOK\r\n");
}

#[test]
fn qsslrecv_returns_the_data_raw_then_zero() {
    let mut b = Bench::new();
    let conn = b.connect(4, 0);
    b.data(4, conn, b"Test data from SSL");
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"recv\",4\r\n"]);
    assert_eq!(b.at_writes("AT+QSSLRECV=4,1500"), ["\r\n+QSSLRECV: 18\r\nTest data from SSL\r\n\r\nOK\r\n"]);
    assert_eq!(b.last_error(), 0);
    b.check("AT+QSSLRECV=4,1500", "\r\n+QSSLRECV: 0\r\n\r\nOK\r\n");
}

#[test]
fn qsslrecv_reads_at_most_readlen_and_is_binary_safe() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.data(0, conn, b"ab\r\nOK\r\n\0z");
    b.take_text();
    b.check("AT+QSSLRECV=0,4", "\r\n+QSSLRECV: 4\r\nab\r\n\r\n\r\nOK\r\n");
    b.check("AT+QSSLRECV=0,1", "\r\n+QSSLRECV: 1\r\nO\r\n\r\nOK\r\n");
    b.input(b"AT+QSSLRECV=0,100\r");
    assert_eq!(b.take_bytes(), b"\r\n+QSSLRECV: 5\r\nK\r\n\0z\r\n\r\nOK\r\n");
}

#[test]
fn qsslrecv_returns_at_most_1500_per_read() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.data(0, conn, &[b'w'; 2000]);
    b.take_text();
    let first = b.at("AT+QSSLRECV=0,1500");
    assert_eq!(first, format!("\r\n+QSSLRECV: 1500\r\n{}\r\n\r\nOK\r\n", "w".repeat(1500)));
    let rest = b.at("AT+QSSLRECV=0,1500");
    assert_eq!(rest, format!("\r\n+QSSLRECV: 500\r\n{}\r\n\r\nOK\r\n", "w".repeat(500)));
}

#[test]
fn qsslrecv_refusals() {
    let mut b = Bench::new();
    for bad in [
        "AT+QSSLRECV=12,10",
        "AT+QSSLRECV=0,0",
        "AT+QSSLRECV=0,1501",
        "AT+QSSLRECV=0",
        "AT+QSSLRECV=0,\"10\"",
        "AT+QSSLRECV=0,10,1",
        "AT+QSSLRECV",
        "AT+QSSLRECV?",
    ] {
        b.check_code(bad, 552);
    }
    b.check_code("AT+QSSLRECV=0,10", 567);
    b.begin_open(1, 0);
    b.check_code("AT+QSSLRECV=1,10", 567);
    b.connect(2, 1);
    b.check_code("AT+QSSLRECV=2,10", 572);
}

#[test]
fn qsslrecv_after_a_remote_close_drains_then_is_567() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.data(0, conn, b"last words");
    b.remote_closed(0, conn);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"recv\",0\r\n", "\r\n+QSSLURC: \"closed\",0\r\n"]);
    b.check("AT+QSSLRECV=0,5", "\r\n+QSSLRECV: 5\r\nlast \r\n\r\nOK\r\n");
    b.check("AT+QSSLRECV=0,1500", "\r\n+QSSLRECV: 5\r\nwords\r\n\r\nOK\r\n");
    b.check_code("AT+QSSLRECV=0,1500", 567);
}

// ---- AT+QSSLSTATE --------------------------------------------------------------------------

#[test]
fn qsslstate_forms() {
    let mut b = Bench::new();
    b.check("AT+QSSLSTATE=?", OK);
    b.check("AT+QSSLSTATE", OK);
    b.check("AT+QSSLSTATE=0", OK);
    for bad in ["AT+QSSLSTATE?", "AT+QSSLSTATE=12", "AT+QSSLSTATE=\"0\"", "AT+QSSLSTATE=0,1"] {
        b.check_code(bad, 552);
    }
}

#[test]
fn qsslstate_lists_every_socket_not_idle_in_id_order() {
    let mut b = Bench::new();
    b.connect(7, 1);
    b.connect(2, 0);
    b.begin_open(11, 0);
    let all = state_reply(&[state_line(2, 2, 0), state_line(7, 2, 1), state_line(11, 1, 0)]);
    b.check("AT+QSSLSTATE", &all);
    b.check("AT+QSSLSTATE=7", &state_reply(&[state_line(7, 2, 1)]));
    b.check("AT+QSSLSTATE=3", OK);
}

#[test]
fn qsslstate_shows_the_configured_at_port() {
    let mut b = Bench::with(ModemConfig { at_port: "usbmodem".into(), ..Default::default() });
    b.connect(4, 0);
    b.check(
        "AT+QSSLSTATE",
        "\r\n+QSSLSTATE: 4,\"SSLClient\",\"192.0.2.2\",443,50004,2,1,4,0,\"usbmodem\",0\r\n\r\nOK\r\n",
    );
}

#[test]
fn qsslstate_is_an_ssl_command_whose_success_records_0() {
    let mut b = Bench::new();
    b.check("AT+QSSLRECV=0,0", ERROR);
    b.check("AT+QSSLSTATE", OK);
    assert_eq!(b.last_error(), 0);
}

// ---- AT+QSSLCLOSE --------------------------------------------------------------------------

#[test]
fn qsslclose_test_form() {
    let mut b = Bench::new();
    b.check("AT+QSSLCLOSE=?", "\r\n+QSSLCLOSE: (0-11),(0-65535)\r\n\r\nOK\r\n");
}

#[test]
fn qsslclose_lingers_until_the_network_reports_closed() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.check("AT+QSSLCLOSE=0", "");
    assert_eq!(described(&b.take_actions()), [format!("close 0 #{conn} 10s")]);
    assert_eq!(b.m.next_deadline(), Some(b.now + Duration::from_secs(10)));
    // Input waits while the close lingers.
    b.check("AT+QSSLSTATE", "");
    b.advance(Duration::from_secs(3));
    assert_eq!(b.take_text(), "");
    b.closed(0, conn);
    assert_eq!(b.take_writes_text(), [OK, OK]);
    assert!(b.take_actions().is_empty());
    assert_eq!(b.last_error(), 0);
}

#[test]
fn qsslclose_ends_when_the_peer_answers_with_its_own_close() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.check("AT+QSSLCLOSE=0,5", "");
    b.remote_closed(0, conn);
    assert_eq!(b.take_writes_text(), [OK]);
    b.settle();
    assert_eq!(b.take_text(), "", "no closed URC for a close the host asked for");
    b.check("AT+QSSLSTATE", OK);
}

#[test]
fn qsslclose_answers_at_its_deadline_and_aborts() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.check("AT+QSSLCLOSE=0,3", "");
    assert_eq!(described(&b.take_actions()), [format!("close 0 #{conn} 3s")]);
    b.advance(Duration::from_millis(2999));
    assert_eq!(b.take_text(), "");
    b.advance(Duration::from_millis(1));
    assert_eq!(b.take_writes_text(), [OK]);
    assert_eq!(described(&b.take_actions()), [format!("abort 0 #{conn}")]);
    // The network's late answer is stale.
    b.closed(0, conn);
    b.remote_closed(0, conn);
    b.settle();
    assert_eq!(b.take_text(), "");
    b.check("AT+QSSLSTATE", OK);
}

#[test]
fn qsslclose_timeout_is_in_ms_when_closetimemode_is_1() {
    let mut b = Bench::new();
    b.check("AT+QSSLCFG=\"closetimemode\",0,1", OK);
    let conn = b.connect(0, 0);
    b.check("AT+QSSLCLOSE=0,500", "");
    assert_eq!(described(&b.take_actions()), [format!("close 0 #{conn} 500ms")]);
    b.advance(Duration::from_millis(500));
    assert_eq!(b.take_writes_text(), [OK]);
}

#[test]
fn qsslclose_with_timeout_0_aborts_at_once() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.data(0, conn, b"unread");
    b.take_text();
    b.check("AT+QSSLCLOSE=0,0", OK);
    assert_eq!(described(&b.take_actions()), [format!("abort 0 #{conn}")]);
    b.check("AT+QSSLSTATE", OK);
    // The unread data went with it.
    b.data(0, conn, b"late");
    b.settle();
    assert_eq!(b.take_text(), "");
}

#[test]
fn qsslclose_on_an_idle_socket_is_ok_and_does_nothing() {
    let mut b = Bench::new();
    b.check("AT+QSSLRECV=0,0", ERROR);
    b.check("AT+QSSLCLOSE=0", OK);
    assert!(b.take_actions().is_empty());
    assert_eq!(b.last_error(), 0);
}

#[test]
fn qsslclose_abandons_an_open_in_progress_without_a_urc() {
    let mut b = Bench::new();
    let conn = b.begin_open(0, 0);
    b.actions.clear();
    b.check("AT+QSSLCLOSE=0", OK);
    assert_eq!(described(&b.take_actions()), [format!("abort 0 #{conn}")]);
    b.opened(0, conn);
    b.settle();
    assert_eq!(b.take_text(), "");
    b.check("AT+QSSLSTATE", OK);
}

#[test]
fn qsslclose_after_the_server_closed_releases_at_once() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.remote_closed(0, conn);
    b.settle();
    b.take_text();
    b.check("AT+QSSLCLOSE=0", OK);
    assert_eq!(described(&b.take_actions()), [format!("abort 0 #{conn}")]);
    b.check("AT+QSSLSTATE", OK);
}

#[test]
fn qsslclose_refusals_record_552() {
    let mut b = Bench::new();
    b.connect(0, 0);
    for bad in [
        "AT+QSSLCLOSE=12",
        "AT+QSSLCLOSE=-1",
        "AT+QSSLCLOSE=0,65536",
        "AT+QSSLCLOSE=0,-1",
        "AT+QSSLCLOSE=0,\"1\"",
        "AT+QSSLCLOSE=0,1,1",
        "AT+QSSLCLOSE",
        "AT+QSSLCLOSE?",
    ] {
        b.check_code(bad, 552);
    }
    assert!(b.take_actions().is_empty());
    b.check("AT+QSSLSTATE", &state_reply(&[state_line(0, 2, 0)]));
}

#[test]
fn a_reopen_after_close_gets_a_new_serial_and_old_events_are_stale() {
    let mut b = Bench::new();
    let old = b.connect(0, 0);
    b.check("AT+QSSLCLOSE=0,0", OK);
    let new = b.begin_open(0, 0);
    assert!(new > old);
    b.opened(0, old);
    b.settle();
    assert_eq!(b.take_text(), "", "an Opened for the old serial is stale");
    b.opened(0, new);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QSSLOPEN: 0,0\r\n");
}

#[test]
fn urcs_wait_while_a_close_lingers() {
    let mut b = Bench::new();
    let conn0 = b.connect(0, 0);
    let conn1 = b.connect(1, 0);
    b.check("AT+QSSLCLOSE=0", "");
    b.data(1, conn1, b"x");
    b.advance(Duration::from_secs(1));
    assert_eq!(b.take_text(), "");
    b.closed(0, conn0);
    b.settle();
    assert_eq!(b.take_writes_text(), [OK, "\r\n+QSSLURC: \"recv\",1\r\n"]);
}

// ---- AT+QISWTMD ----------------------------------------------------------------------------

#[test]
fn qiswtmd_test_form() {
    let mut b = Bench::new();
    b.check("AT+QISWTMD=?", "\r\n+QISWTMD: (0-11),(0-2)\r\n\r\nOK\r\n");
}

#[test]
fn qiswtmd_to_push_pushes_what_was_buffered_after_ok() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.data(0, conn, b"hello");
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"recv\",0\r\n"]);
    assert_eq!(b.at_writes("AT+QISWTMD=0,1"), [OK]);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"recv\",0,5\r\nhello"]);
    assert_eq!(b.last_error(), 0);
    b.check("AT+QSSLSTATE", &state_reply(&[state_line(0, 2, 1)]));
    b.data(0, conn, b"more");
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"recv\",0,4\r\nmore"]);
}

#[test]
fn qiswtmd_to_buffer_makes_new_data_wait_for_qsslrecv() {
    let mut b = Bench::new();
    let conn = b.connect(0, 1);
    b.check("AT+QISWTMD=0,0", OK);
    b.check("AT+QSSLSTATE", &state_reply(&[state_line(0, 2, 0)]));
    b.data(0, conn, b"abc");
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"recv\",0\r\n"]);
    b.check("AT+QSSLRECV=0,10", "\r\n+QSSLRECV: 3\r\nabc\r\n\r\nOK\r\n");
}

#[test]
fn qiswtmd_to_transparent_answers_connect_then_the_buffered_data_raw() {
    let mut b = Bench::new();
    let conn = b.connect(3, 0);
    b.data(3, conn, b"waiting");
    b.take_text();
    assert_eq!(b.at_writes("AT+QISWTMD=3,2"), [CONNECT, "waiting"]);
    assert_eq!(b.port_mode(), "transparent");
    b.input(b"up");
    assert_eq!(sends(&b.take_actions(), 3), [b"up".to_vec()]);
}

#[test]
fn qiswtmd_refusals() {
    let mut b = Bench::new();
    b.check_code("AT+QISWTMD=0,1", 567);
    b.begin_open(1, 0);
    b.check_code("AT+QISWTMD=1,1", 567);
    b.connect(2, 0);
    for bad in [
        "AT+QISWTMD=2,3",
        "AT+QISWTMD=2,-1",
        "AT+QISWTMD=12,0",
        "AT+QISWTMD=2",
        "AT+QISWTMD=2,\"1\"",
        "AT+QISWTMD=2,1,1",
        "AT+QISWTMD",
        "AT+QISWTMD?",
    ] {
        b.check_code(bad, 552);
    }
    b.check("AT+QSSLSTATE=2", &state_reply(&[state_line(2, 2, 0)]));
}

#[test]
fn qiswtmd_on_a_connection_the_server_closed_is_567() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.remote_closed(0, conn);
    b.check_code("AT+QISWTMD=0,2", 567);
    assert_eq!(b.port_mode(), "command");
}

// ---- transparent mode, ATO, +++ ------------------------------------------------------------

#[test]
fn transparent_input_is_raw_data_never_echoed_or_parsed() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("ATE1", OK);
    assert_eq!(
        b.at_writes("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,2"),
        ["AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,2\r"]
    );
    let conn = b.open_request(0).conn;
    b.opened(0, conn);
    assert_eq!(b.take_writes_text(), [CONNECT]);
    b.actions.clear();
    b.input(b"AT+CSQ\r");
    assert_eq!(b.take_text(), "");
    assert_eq!(described(&b.take_actions()), [format!("send 0 #{conn} \"AT+CSQ\\r\"")]);
}

#[test]
fn ato_with_no_transparent_connection_is_no_carrier() {
    let mut b = Bench::new();
    b.check("ATO", NO_CARRIER);
    b.check("ATO0", NO_CARRIER);
    b.check("ATO1", ERROR);
    b.connect(0, 0);
    b.check("ATO", NO_CARRIER);
}

#[test]
fn plus_plus_plus_on_a_paused_clock_needs_its_guard_times() {
    let mut b = Bench::new();
    b.connect(0, 2);
    b.advance(Duration::from_secs(1));
    b.input(b"+++");
    assert_eq!(b.m.next_deadline(), Some(b.now + Duration::from_secs(1)));
    // Time does not pass by itself: nothing happens however long the test waits.
    assert_eq!(b.take_text(), "");
    b.advance(Duration::from_millis(999));
    assert_eq!(b.take_text(), "");
    b.advance(Duration::from_millis(1));
    assert_eq!(b.take_writes_text(), [OK]);
    assert_eq!(b.port_mode(), "command");
    assert!(b.take_actions().is_empty(), "the +++ is not sent and the connection stays");
    b.check("AT+QSSLSTATE", &state_reply(&[state_line(0, 2, 0)]));
}

#[test]
fn plus_plus_plus_without_silence_before_is_data() {
    let mut b = Bench::new();
    let conn = b.connect(0, 2);
    b.advance(Duration::from_secs(2));
    b.input(b"x+++");
    b.advance(Duration::from_secs(2));
    assert_eq!(b.take_text(), "");
    assert_eq!(described(&b.take_actions()), [format!("send 0 #{conn} \"x+++\"")]);
    assert_eq!(b.port_mode(), "transparent");
}

#[test]
fn plus_plus_plus_too_soon_after_connect_is_data() {
    let mut b = Bench::new();
    b.connect(0, 2);
    // connect() let SETTLE pass since CONNECT: less than the guard.
    assert!(SETTLE < Duration::from_secs(1));
    b.input(b"+++");
    b.advance(Duration::from_secs(2));
    assert_eq!(b.take_text(), "");
    assert_eq!(sends(&b.take_actions(), 0), [b"+++".to_vec()]);
}

#[test]
fn a_byte_within_the_guard_after_plus_plus_plus_makes_it_data() {
    let mut b = Bench::new();
    b.connect(0, 2);
    b.advance(Duration::from_secs(2));
    b.input(b"+++");
    b.advance(Duration::from_millis(500));
    assert!(b.take_actions().is_empty(), "held while it may still be an escape");
    b.input(b"y");
    assert_eq!(sends(&b.take_actions(), 0), [b"+++y".to_vec()]);
    b.advance(Duration::from_secs(2));
    assert_eq!(b.take_text(), "");
}

#[test]
fn two_plusses_whose_window_closes_are_sent_at_that_moment() {
    let mut b = Bench::new();
    b.connect(0, 2);
    b.advance(Duration::from_secs(2));
    b.input(b"++");
    b.advance(Duration::from_millis(999));
    assert!(b.take_actions().is_empty());
    b.advance(Duration::from_millis(1));
    assert_eq!(sends(&b.take_actions(), 0), [b"++".to_vec()]);
    assert_eq!(b.take_text(), "");
}

#[test]
fn after_plus_plus_plus_data_is_announced_and_ato_returns_with_it() {
    let mut b = Bench::new();
    let conn = b.connect(0, 2);
    b.advance(Duration::from_secs(1));
    b.input(b"+++");
    b.advance(Duration::from_secs(1));
    assert_eq!(b.take_writes_text(), [OK]);
    b.advance(Duration::from_secs(1));
    b.data(0, conn, b"meanwhile");
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"recv\",0\r\n"]);
    assert_eq!(b.at_writes("ATO"), [CONNECT, "meanwhile"]);
    assert_eq!(b.port_mode(), "transparent");
}

#[test]
fn ato_after_the_transparent_connection_ended_is_no_carrier() {
    let mut b = Bench::new();
    let conn = b.connect(0, 2);
    b.remote_closed(0, conn);
    assert_eq!(b.take_writes_text(), [NO_CARRIER]);
    b.check("ATO", NO_CARRIER);
}

// ---- DTR -----------------------------------------------------------------------------------

#[test]
fn dtr_drop_with_at_d1_leaves_transparent_mode_keeping_the_connection() {
    let mut b = Bench::new();
    b.connect(0, 2);
    b.set_dtr(true);
    assert_eq!(b.take_writes_text(), [OK]);
    assert!(b.take_actions().is_empty());
    b.check("AT+QSSLSTATE", &state_reply(&[state_line(0, 2, 0)]));
    b.check("ATO", CONNECT);
}

#[test]
fn dtr_drop_with_at_d0_is_ignored() {
    let mut b = Bench::new();
    b.check("AT&D0", OK);
    let conn = b.connect(0, 2);
    b.set_dtr(true);
    assert_eq!(b.take_text(), "");
    assert_eq!(b.port_mode(), "transparent");
    b.input(b"still data");
    assert_eq!(described(&b.take_actions()), [format!("send 0 #{conn} \"still data\"")]);
}

#[test]
fn dtr_drop_with_at_d2_closes_the_connection_with_no_carrier() {
    let mut b = Bench::new();
    b.check("AT&D2", OK);
    let conn = b.connect(0, 2);
    b.set_dtr(true);
    assert_eq!(b.take_writes_text(), [NO_CARRIER]);
    assert_eq!(described(&b.take_actions()), [format!("abort 0 #{conn}")]);
    b.check("AT+QSSLSTATE", OK);
    b.check("ATO", NO_CARRIER);
}

#[test]
fn only_a_low_to_high_dtr_change_is_a_drop() {
    let mut b = Bench::new();
    b.connect(0, 2);
    b.set_dtr(false);
    assert_eq!(b.take_text(), "");
    b.set_dtr(true);
    assert_eq!(b.take_text(), OK);
    b.check("ATO", CONNECT);
    // Still high: no new transition.
    b.set_dtr(true);
    assert_eq!(b.take_text(), "");
    b.set_dtr(false);
    b.set_dtr(true);
    assert_eq!(b.take_text(), OK);
}

#[test]
fn dtr_drop_in_command_mode_does_nothing() {
    let mut b = Bench::new();
    b.check("AT&D2", OK);
    b.connect(0, 0);
    b.set_dtr(true);
    assert_eq!(b.take_text(), "");
    assert!(b.take_actions().is_empty());
    b.check("AT+QSSLSTATE", &state_reply(&[state_line(0, 2, 0)]));
}
