//! PDP context commands driven straight into the module: `AT+QICSGP`, `AT+QIACT`,
//! `AT+QIDEACT`, `AT+QIDNSCFG`: every form, every refused parameter with the 552 it records,
//! and what they do to sockets (a socket falls with its context) and to opens (DNS usability).

mod bench;

use bench::{described, Bench, ERROR, OK};
use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::Fault;

// ---- AT+QICSGP -----------------------------------------------------------------------------

#[test]
fn qicsgp_test_form() {
    let mut b = Bench::new();
    b.check("AT+QICSGP=?", "\r\n+QICSGP: (1-15),(1-3),<APN>,<username>,<password>,(0-3)\r\n\r\nOK\r\n");
}

#[test]
fn qicsgp_unconfigured_context_reads_ipv4_and_empty_strings() {
    let mut b = Bench::new();
    for ctx in [1, 15] {
        b.check(&format!("AT+QICSGP={ctx}"), "\r\n+QICSGP: 1,\"\",\"\",\"\",0\r\n\r\nOK\r\n");
    }
}

#[test]
fn qicsgp_write_reads_back_per_context() {
    let mut b = Bench::new();
    b.check("AT+QICSGP=1,1,\"UNINET\",\"\",\"\",1", OK);
    assert_eq!(b.last_error(), 0);
    b.check("AT+QICSGP=1", "\r\n+QICSGP: 1,\"UNINET\",\"\",\"\",1\r\n\r\nOK\r\n");
    // Five parameters: authentication defaults to 0; case is kept.
    b.check("AT+QICSGP=15,3,\"Internet\",\"User\",\"Pass\"", OK);
    b.check("AT+QICSGP=15", "\r\n+QICSGP: 3,\"Internet\",\"User\",\"Pass\",0\r\n\r\nOK\r\n");
    b.check("AT+QICSGP=2,2,\"v6\",\"u\",\"p\",3", OK);
    b.check("AT+QICSGP=2", "\r\n+QICSGP: 2,\"v6\",\"u\",\"p\",3\r\n\r\nOK\r\n");
    b.check("AT+QICSGP=1", "\r\n+QICSGP: 1,\"UNINET\",\"\",\"\",1\r\n\r\nOK\r\n");
    // The APN alone (the maker's example AT+QICSGP=1,1,"CMNET"): no credentials, no auth.
    b.check("AT+QICSGP=1,1,\"CMNET\"", OK);
    b.check("AT+QICSGP=1", "\r\n+QICSGP: 1,\"CMNET\",\"\",\"\",0\r\n\r\nOK\r\n");
}

#[test]
fn qicsgp_lengths_at_the_limits_are_accepted() {
    let mut b = Bench::new();
    let apn = "a".repeat(100);
    let cred = "c".repeat(127);
    b.check(&format!("AT+QICSGP=1,1,\"{apn}\",\"{cred}\",\"{cred}\",2"), OK);
    b.check("AT+QICSGP=1", &format!("\r\n+QICSGP: 1,\"{apn}\",\"{cred}\",\"{cred}\",2\r\n\r\nOK\r\n"));
}

#[test]
fn qicsgp_refusals_record_552_and_change_nothing() {
    let mut b = Bench::new();
    b.check("AT+QICSGP=1,1,\"UNINET\",\"\",\"\",1", OK);
    let apn = "a".repeat(101);
    let cred = "c".repeat(128);
    for bad in [
        "AT+QICSGP=0,1,\"x\",\"\",\"\"".to_string(),
        "AT+QICSGP=16,1,\"x\",\"\",\"\"".into(),
        "AT+QICSGP=16".into(),
        "AT+QICSGP=\"1\"".into(),
        "AT+QICSGP=1,0,\"x\",\"\",\"\"".into(),
        "AT+QICSGP=1,4,\"x\",\"\",\"\"".into(),
        "AT+QICSGP=1,1,\"x\",\"\",\"\",4".into(),
        "AT+QICSGP=1,1,\"x\",\"\",\"\",-1".into(),
        "AT+QICSGP=1,\"1\",\"x\",\"\",\"\"".into(),
        "AT+QICSGP=1,1,x,\"\",\"\"".into(),
        "AT+QICSGP=1,1,\"x\",\"\",5".into(),
        format!("AT+QICSGP=1,1,\"{apn}\",\"\",\"\""),
        format!("AT+QICSGP=1,1,\"x\",\"{cred}\",\"\""),
        format!("AT+QICSGP=1,1,\"x\",\"\",\"{cred}\""),
        "AT+QICSGP=1,1".into(),
        "AT+QICSGP=1,1,\"x\",\"\"".into(),
        "AT+QICSGP=1,1,\"x\",\"\",\"\",1,1".into(),
        "AT+QICSGP".into(),
        "AT+QICSGP?".into(),
    ] {
        b.check_code(&bad, 552);
    }
    b.check("AT+QICSGP=1", "\r\n+QICSGP: 1,\"UNINET\",\"\",\"\",1\r\n\r\nOK\r\n");
}

// ---- AT+QIACT ------------------------------------------------------------------------------

#[test]
fn qiact_test_form_and_nothing_active_at_start() {
    let mut b = Bench::new();
    b.check("AT+QIACT=?", "\r\n+QIACT: (1-15)\r\n\r\nOK\r\n");
    b.check("AT+QIACT?", OK);
}

#[test]
fn qiact_lists_active_contexts_in_order_with_their_type() {
    let mut b = Bench::new();
    b.check("AT+QICSGP=3,3,\"x\",\"\",\"\"", OK);
    b.check("AT+QIACT=3", OK);
    assert_eq!(b.last_error(), 0);
    b.check("AT+QIACT=1", OK);
    b.check("AT+QIACT=15", OK);
    b.check(
        "AT+QIACT?",
        "\r\n+QIACT: 1,1,1,\"10.7.157.1\"\r\n+QIACT: 3,1,3,\"10.7.157.3\"\r\n+QIACT: 15,1,1,\"10.7.157.15\"\r\n\r\nOK\r\n",
    );
}

#[test]
fn qiact_on_an_active_context_is_561() {
    let mut b = Bench::new();
    b.check("AT+QIACT=1", OK);
    b.check_code("AT+QIACT=1", 561);
    b.check("AT+QIACT?", "\r\n+QIACT: 1,1,1,\"10.7.157.1\"\r\n\r\nOK\r\n");
}

#[test]
fn qiact_refusals_record_552() {
    let mut b = Bench::new();
    for bad in ["AT+QIACT=0", "AT+QIACT=16", "AT+QIACT=\"1\"", "AT+QIACT=1,1", "AT+QIACT=", "AT+QIACT"] {
        b.check_code(bad, 552);
    }
    b.check("AT+QIACT?", OK);
}

// ---- AT+QIDEACT ----------------------------------------------------------------------------

#[test]
fn qideact_test_form() {
    let mut b = Bench::new();
    b.check("AT+QIDEACT=?", "\r\n+QIDEACT: (1-15)\r\n\r\nOK\r\n");
}

#[test]
fn qideact_deactivates_and_is_ok_for_an_inactive_context() {
    let mut b = Bench::new();
    b.check("AT+QIACT=1", OK);
    b.check("AT+QIACT=3", OK);
    b.check("AT+QIDEACT=3", OK);
    b.check("AT+QIACT?", "\r\n+QIACT: 1,1,1,\"10.7.157.1\"\r\n\r\nOK\r\n");
    b.check_code("AT+QIACT=1", 561);
    b.check("AT+QIDEACT=3", OK);
    assert_eq!(b.last_error(), 0);
    b.check("AT+QIDEACT=1", OK);
    b.check("AT+QIACT?", OK);
    // It can be activated again.
    b.check("AT+QIACT=1", OK);
}

#[test]
fn qideact_refusals_record_552() {
    let mut b = Bench::new();
    for bad in
        ["AT+QIDEACT=0", "AT+QIDEACT=16", "AT+QIDEACT=\"1\"", "AT+QIDEACT=1,1", "AT+QIDEACT", "AT+QIDEACT?"]
    {
        b.check_code(bad, 552);
    }
}

#[test]
fn qideact_closes_connected_sockets_of_that_context_only() {
    let mut b = Bench::new();
    let conn0 = b.connect(0, 0);
    // Socket 5 on context 2.
    b.check("AT+QIACT=2", OK);
    b.check("AT+QSSLOPEN=2,0,5,\"192.0.2.2\",443", OK);
    let conn5 = b.open_request(5).conn;
    assert_eq!(b.open_request(5).pdp, 2);
    b.opened(5, conn5);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QSSLOPEN: 5,0\r\n");
    b.actions.clear();

    b.check("AT+QIDEACT=1", OK);
    assert_eq!(described(&b.take_actions()), [format!("abort 0 #{conn0}")]);
    b.settle();
    // No +QIURC "pdpdeact" for a deactivation the host asked for.
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"closed\",0\r\n"]);
    b.check(
        "AT+QSSLSTATE",
        "\r\n+QSSLSTATE: 0,\"SSLClient\",\"192.0.2.2\",443,50000,4,1,0,0,\"uart1\",0\r\n\
         +QSSLSTATE: 5,\"SSLClient\",\"192.0.2.2\",443,50005,2,2,5,0,\"uart1\",0\r\n\r\nOK\r\n",
    );
}

#[test]
fn qideact_fails_an_open_in_progress_with_570() {
    let mut b = Bench::new();
    let conn = b.begin_open(4, 1);
    b.actions.clear();
    b.check("AT+QIDEACT=1", OK);
    assert_eq!(described(&b.take_actions()), [format!("abort 4 #{conn}")]);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLOPEN: 4,570\r\n"]);
    // The URC carries the open's 570; AT+QIGETERROR reports QIDEACT's own success.
    assert_eq!(b.last_error(), 0);
    b.check("AT+QSSLSTATE=4", OK);
}

#[test]
fn qideact_typed_during_a_transparent_open_runs_after_its_result() {
    let mut b = Bench::new();
    let conn = b.begin_open(0, 2);
    // The port is busy until the open ends: the command waits.
    b.check("AT+QIDEACT=1", "");
    b.open_failed(0, conn, OpenFailure::ConnectFailed);
    assert_eq!(b.take_writes_text(), [ERROR, OK]);
    // QIDEACT's success replaced the open's 566.
    assert_eq!(b.last_error(), 0);
    b.check("AT+QIACT?", OK);
}

#[test]
fn pdp_lost_reports_closed_then_pdpdeact() {
    let mut b = Bench::new();
    let conn = b.connect(1, 0);
    b.inject(Fault::PdpLost { ctx: 1 });
    assert_eq!(described(&b.take_actions()), [format!("abort 1 #{conn}")]);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"closed\",1\r\n", "\r\n+QIURC: \"pdpdeact\",1\r\n"]);
    b.check("AT+QIACT?", OK);
}

#[test]
fn an_open_on_an_inactive_context_is_ok_then_561() {
    let mut b = Bench::new();
    b.check("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,0", OK);
    assert!(b.take_actions().is_empty(), "nothing reaches the network");
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLOPEN: 0,561\r\n"]);
    assert_eq!(b.last_error(), 561);
    b.check("AT+QSSLSTATE", OK);
}

// ---- AT+QIDNSCFG ---------------------------------------------------------------------------

#[test]
fn qidnscfg_test_form_and_defaults() {
    let mut b = Bench::new();
    b.check("AT+QIDNSCFG=?", "\r\n+QIDNSCFG: (1-15),<pridnsaddr>,<secdnsaddr>\r\n\r\nOK\r\n");
    b.check("AT+QIDNSCFG=1", "\r\n+QIDNSCFG: 1,\"10.7.157.254\",\"10.7.157.253\"\r\n\r\nOK\r\n");
    b.check("AT+QIDNSCFG=15", "\r\n+QIDNSCFG: 15,\"10.7.157.254\",\"10.7.157.253\"\r\n\r\nOK\r\n");
}

#[test]
fn qidnscfg_sets_one_or_both_and_an_omitted_one_is_kept() {
    let mut b = Bench::new();
    b.check("AT+QIDNSCFG=1,\"127.0.0.53\"", OK);
    assert_eq!(b.last_error(), 0);
    b.check("AT+QIDNSCFG=1", "\r\n+QIDNSCFG: 1,\"127.0.0.53\",\"10.7.157.253\"\r\n\r\nOK\r\n");
    b.check("AT+QIDNSCFG=1,\"8.8.8.8\",\"2001:db8::1\"", OK);
    b.check("AT+QIDNSCFG=1", "\r\n+QIDNSCFG: 1,\"8.8.8.8\",\"2001:db8::1\"\r\n\r\nOK\r\n");
    b.check("AT+QIDNSCFG=1,,\"1.1.1.1\"", OK);
    b.check("AT+QIDNSCFG=1", "\r\n+QIDNSCFG: 1,\"8.8.8.8\",\"1.1.1.1\"\r\n\r\nOK\r\n");
    // Per context.
    b.check("AT+QIDNSCFG=2", "\r\n+QIDNSCFG: 2,\"10.7.157.254\",\"10.7.157.253\"\r\n\r\nOK\r\n");
}

#[test]
fn qidnscfg_refusals_record_552_and_change_nothing() {
    let mut b = Bench::new();
    for bad in [
        "AT+QIDNSCFG=1,\"not-an-ip\"",
        "AT+QIDNSCFG=1,\"8.8.8.8\",\"8.8.8\"",
        "AT+QIDNSCFG=1,8.8.8.8",
        "AT+QIDNSCFG=0,\"8.8.8.8\"",
        "AT+QIDNSCFG=16",
        "AT+QIDNSCFG=\"1\"",
        "AT+QIDNSCFG=1,\"8.8.8.8\",\"8.8.4.4\",\"1.1.1.1\"",
        "AT+QIDNSCFG",
        "AT+QIDNSCFG?",
    ] {
        b.check_code(bad, 552);
    }
    b.check("AT+QIDNSCFG=1", "\r\n+QIDNSCFG: 1,\"10.7.157.254\",\"10.7.157.253\"\r\n\r\nOK\r\n");
}

#[test]
fn opens_on_a_context_without_a_usable_dns_server_say_so() {
    let mut b = Bench::new();
    b.begin_open(0, 0);
    assert!(b.open_request(0).dns_usable);
    b.check("AT+QIDNSCFG=1,\"0.0.0.0\",\"0.0.0.0\"", OK);
    b.check("AT+QSSLOPEN=1,0,1,\"example.com\",443", OK);
    let req = b.open_request(1);
    assert!(!req.dns_usable);
    assert_eq!((req.host.as_str(), req.port), ("example.com", 443));
    // One usable server is enough.
    b.check("AT+QIDNSCFG=1,,\"::1\"", OK);
    b.check("AT+QSSLOPEN=1,0,2,\"example.com\",443", OK);
    assert!(b.open_request(2).dns_usable);
}
