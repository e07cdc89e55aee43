//! `AT+QIDNSGIP`, `AT+QPING` and `AT+QNTP` driven straight into the module: exact replies and
//! URCs for synthetic network answers, the requests the module hands the network (with armed
//! DNS faults), inactive contexts, busy jobs, stale answers and contexts lost mid-job.

mod bench;

use std::net::IpAddr;
use std::time::Duration;

use bench::{Bench, OK};
use qsslsim_modem::ip_services::{EchoReply, ServiceEvent, ServiceFailure, ServiceKind, ServiceRequest};
use qsslsim_modem::{ErrorCode, Fault, NetAction, NetEvent, OpenFault};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The one service request among the actions so far; forgets the actions.
#[track_caller]
fn request(b: &mut Bench) -> ServiceRequest {
    let mut found: Vec<ServiceRequest> = b
        .take_actions()
        .into_iter()
        .filter_map(|a| match a {
            NetAction::Service(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "one service request expected: {found:?}");
    found.pop().unwrap()
}

fn answer(b: &mut Bench, ev: ServiceEvent) {
    b.net(NetEvent::Service(ev));
    b.settle();
}

fn fail(code: ErrorCode) -> ServiceFailure {
    ServiceFailure { code, cause: "synthetic".into() }
}

fn no_service_requests(b: &mut Bench) {
    assert!(b.take_actions().iter().all(|a| !matches!(a, NetAction::Service(_))));
}

// ---- test forms ----------------------------------------------------------------------------

#[test]
fn test_forms() {
    let mut b = Bench::new();
    b.check("AT+QIDNSGIP=?", "\r\n+QIDNSGIP: (1-15),<hostname>\r\n\r\nOK\r\n");
    b.check("AT+QPING=?", "\r\n+QPING: (1-15),<host>,(1-255),(1-10)\r\n\r\nOK\r\n");
    b.check("AT+QNTP=?", "\r\n+QNTP: (1-15),<server>,(1-65535),(0,1)\r\n\r\nOK\r\n");
}

#[test]
fn bad_parameters_answer_error_552() {
    let mut b = Bench::new();
    b.pdp_up();
    for bad in [
        "AT+QIDNSGIP=1",
        "AT+QIDNSGIP=0,\"a.test\"",
        "AT+QIDNSGIP=1,\"\"",
        "AT+QIDNSGIP=1,5",
        "AT+QIDNSGIP?",
        "AT+QPING=1,\"a.test\",0",
        "AT+QPING=1,\"a.test\",256",
        "AT+QPING=1,\"a.test\",4,0",
        "AT+QPING=1,\"a.test\",4,11",
        "AT+QPING=16,\"a.test\"",
        "AT+QNTP=1,\"a.test\",0",
        "AT+QNTP=1,\"a.test\",123,2",
        "AT+QNTP",
    ] {
        b.check_code(bad, 552);
    }
    let long = format!("AT+QIDNSGIP=1,\"{}\"", "a".repeat(151));
    b.check_code(&long, 552);
    no_service_requests(&mut b);
}

// ---- AT+QIDNSGIP ---------------------------------------------------------------------------

#[test]
fn a_name_resolves_to_every_address_each_its_own_urc() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QIDNSGIP=1,\"peer.test\"", OK);
    let r = request(&mut b);
    assert_eq!(
        (r.pdp, r.host.as_str(), &r.kind, r.fault, r.dns_usable),
        (1, "peer.test", &ServiceKind::Lookup, None, true)
    );
    answer(&mut b, ServiceEvent::Resolved { job: r.job, addrs: vec![ip("127.0.0.1"), ip("::1")] });
    assert_eq!(
        b.take_writes_text(),
        [
            "\r\n+QIURC: \"dnsgip\",0,2,300\r\n",
            "\r\n+QIURC: \"dnsgip\",\"127.0.0.1\"\r\n",
            "\r\n+QIURC: \"dnsgip\",\"::1\"\r\n",
        ]
    );
    assert_eq!(b.last_error(), 0);
}

#[test]
fn an_address_resolves_to_itself_with_ttl_0() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QIDNSGIP=1,\"172.188.83.251\"", OK);
    let r = request(&mut b);
    answer(&mut b, ServiceEvent::Resolved { job: r.job, addrs: vec![ip("172.188.83.251")] });
    assert_eq!(
        b.take_text(),
        "\r\n+QIURC: \"dnsgip\",0,1,0\r\n\r\n+QIURC: \"dnsgip\",\"172.188.83.251\"\r\n"
    );
}

#[test]
fn a_failed_lookup_reports_its_code_alone() {
    let mut b = Bench::new();
    b.pdp_up();
    for code in [ErrorCode::DnsFailed, ErrorCode::DnsBusy] {
        b.check("AT+QIDNSGIP=1,\"nosuch.test\"", OK);
        let r = request(&mut b);
        answer(&mut b, ServiceEvent::Failed { job: r.job, failure: fail(code) });
        assert_eq!(b.take_text(), format!("\r\n+QIURC: \"dnsgip\",{code}\r\n"));
        // Explained by AT+QIGETERROR, as a failed open is.
        assert_eq!(b.last_error(), code.number());
    }
}

#[test]
fn an_inactive_context_answers_ok_then_561() {
    let mut b = Bench::new();
    b.check("AT+QIDNSGIP=1,\"peer.test\"", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIURC: \"dnsgip\",561\r\n");
    assert_eq!(b.last_error(), 561);
    no_service_requests(&mut b);
}

#[test]
fn a_second_lookup_while_one_runs_is_error_564() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QIDNSGIP=1,\"one.test\"", OK);
    let r = request(&mut b);
    b.check_code("AT+QIDNSGIP=1,\"two.test\"", 564);
    no_service_requests(&mut b);
    answer(&mut b, ServiceEvent::Resolved { job: r.job, addrs: vec![ip("127.0.0.1")] });
    b.take_text();
    // Once answered, the next one may run.
    b.check("AT+QIDNSGIP=1,\"two.test\"", OK);
    assert_eq!(request(&mut b).host, "two.test");
}

#[test]
fn dns_faults_go_with_the_request_and_skip_addresses() {
    let mut b = Bench::new();
    b.pdp_up();
    b.inject(Fault::DnsFailure);
    // An address needs no lookup: the fault stays armed.
    b.check("AT+QIDNSGIP=1,\"127.0.0.1\"", OK);
    assert_eq!(request(&mut b).fault, None);
    b.check("AT+QPING=1,\"peer.test\"", OK);
    assert_eq!(request(&mut b).fault, Some(OpenFault::DnsFailure));
    b.inject(Fault::RefuseConnect);
    b.inject(Fault::DnsBusy);
    b.check("AT+QNTP=1,\"time.test\"", OK);
    assert_eq!(request(&mut b).fault, Some(OpenFault::DnsBusy), "the connect fault is not a lookup's");
    // The refuse_connect fault is still there for the next open.
    let conn = b.begin_open(0, 0);
    assert_eq!(b.open_request(0).fault, Some(OpenFault::RefuseConnect));
    let _ = conn;
}

#[test]
fn stale_answers_are_ignored() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QIDNSGIP=1,\"peer.test\"", OK);
    let r = request(&mut b);
    answer(&mut b, ServiceEvent::Resolved { job: r.job + 100, addrs: vec![ip("127.0.0.1")] });
    assert_eq!(b.take_text(), "");
    answer(&mut b, ServiceEvent::Resolved { job: r.job, addrs: vec![ip("127.0.0.1")] });
    answer(&mut b, ServiceEvent::Resolved { job: r.job, addrs: vec![ip("127.0.0.2")] });
    assert_eq!(b.take_text(), "\r\n+QIURC: \"dnsgip\",0,1,300\r\n\r\n+QIURC: \"dnsgip\",\"127.0.0.1\"\r\n");
}

// ---- AT+QPING ------------------------------------------------------------------------------

#[test]
fn ping_reports_each_echo_then_the_summary() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QPING=1,\"peer.test\"", OK);
    let r = request(&mut b);
    assert_eq!(r.kind, ServiceKind::Ping { timeout: Duration::from_secs(4), count: 4 });
    let addr = ip("127.0.0.1");
    for (i, outcome) in [
        Ok(EchoReply { addr, time_ms: 12, ttl: 255 }),
        Err(fail(ErrorCode::Timeout)),
        Ok(EchoReply { addr, time_ms: 30, ttl: 255 }),
        Ok(EchoReply { addr, time_ms: 3, ttl: 255 }),
    ]
    .into_iter()
    .enumerate()
    {
        answer(&mut b, ServiceEvent::Echo { job: r.job, outcome });
        if i == 1 {
            assert_eq!(b.take_text(), "\r\n+QPING: 0,\"127.0.0.1\",32,12,255\r\n\r\n+QPING: 569\r\n");
        }
    }
    assert_eq!(
        b.take_writes_text(),
        [
            "\r\n+QPING: 0,\"127.0.0.1\",32,30,255\r\n",
            "\r\n+QPING: 0,\"127.0.0.1\",32,3,255\r\n",
            "\r\n+QPING: 0,4,3,1,3,30,15\r\n"
        ]
    );
    // Done: another ping may start.
    b.check("AT+QPING=1,\"127.0.0.1\",1,1", OK);
    assert_eq!(request(&mut b).kind, ServiceKind::Ping { timeout: Duration::from_secs(1), count: 1 });
}

#[test]
fn every_echo_lost_gives_zero_times() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QPING=1,\"192.0.2.9\",255,2", OK);
    let r = request(&mut b);
    for _ in 0..2 {
        answer(&mut b, ServiceEvent::Echo { job: r.job, outcome: Err(fail(ErrorCode::Timeout)) });
    }
    assert_eq!(b.take_text(), "\r\n+QPING: 569\r\n\r\n+QPING: 569\r\n\r\n+QPING: 0,2,0,2,0,0,0\r\n");
}

#[test]
fn a_ping_that_fails_as_a_whole_reports_only_its_code() {
    let mut b = Bench::new();
    b.check("AT+QPING=1,\"8.8.8.8\"", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QPING: 561\r\n");
    assert_eq!(b.last_error(), 561);
    b.pdp_up();
    b.check("AT+QPING=1,\"nosuch.test\"", OK);
    let r = request(&mut b);
    b.check_code("AT+QPING=1,\"again.test\"", 568);
    answer(&mut b, ServiceEvent::Failed { job: r.job, failure: fail(ErrorCode::DnsFailed) });
    assert_eq!(b.take_text(), "\r\n+QPING: 565\r\n");
}

#[test]
fn pdp_lost_mid_ping_ends_it_with_561() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QPING=1,\"peer.test\",4,2", OK);
    let r = request(&mut b);
    answer(
        &mut b,
        ServiceEvent::Echo { job: r.job, outcome: Ok(EchoReply { addr: ip("::1"), time_ms: 1, ttl: 255 }) },
    );
    assert_eq!(b.take_text(), "\r\n+QPING: 0,\"::1\",32,1,255\r\n");
    b.inject(Fault::PdpLost { ctx: 1 });
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QPING: 561\r\n\r\n+QIURC: \"pdpdeact\",1\r\n");
    // The echo that comes late is stale.
    answer(
        &mut b,
        ServiceEvent::Echo { job: r.job, outcome: Ok(EchoReply { addr: ip("::1"), time_ms: 1, ttl: 255 }) },
    );
    assert_eq!(b.take_text(), "");
}

#[test]
fn command_error_fault_fails_a_ping() {
    let mut b = Bench::new();
    b.pdp_up();
    b.inject(Fault::CommandError { command: "AT+QPING".into(), code: 550, count: None });
    b.check_code("AT+QPING=1,\"127.0.0.1\"", 550);
    no_service_requests(&mut b);
}

// ---- AT+QNTP -------------------------------------------------------------------------------

/// 2026-08-06 12:40:04 UTC.
fn ntp_time() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_786_020_004).unwrap()
}

#[test]
fn ntp_sets_the_clock_and_reports_utc_with_the_module_zone() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+CCLK=\"25/01/01,08:00:00+32\"", OK);
    b.check("AT+QNTP?", OK);
    b.check("AT+QNTP=1,\"time.test\"", OK);
    let r = request(&mut b);
    assert_eq!(r.kind, ServiceKind::Ntp { port: 123, timeout: Duration::from_secs(10) });
    b.check("AT+QNTP?", "\r\n+QNTP: \"time.test\",123\r\n\r\nOK\r\n");
    b.check_code("AT+QNTP=1,\"other.test\"", 568);
    answer(&mut b, ServiceEvent::Time { job: r.job, utc: ntp_time() });
    assert_eq!(b.take_text(), "\r\n+QNTP: 0,\"2026/08/06,12:40:04+32\"\r\n");
    // The clock shows local time: UTC+8, and the settle's 200 ms have not made a second.
    b.check("AT+CCLK?", "\r\n+CCLK: \"26/08/06,20:40:04+32\"\r\n\r\nOK\r\n");
    b.check("AT+QNTP?", OK);
}

/// TinyGSM's `NTPServerSync()` line as it sends it (its default server, no port or
/// autosettime): `OK` at once, then `+QNTP: 0,"<time>"` within its 10 s wait.
#[test]
fn tinygsm_ntp_line_verbatim() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+CCLK=\"25/01/01,08:00:00+00\"", OK);
    b.check("AT+QNTP=1,\"pool.ntp.org\"", OK);
    let r = request(&mut b);
    assert_eq!(r.host, "pool.ntp.org");
    assert_eq!(r.kind, ServiceKind::Ntp { port: 123, timeout: Duration::from_secs(10) });
    answer(&mut b, ServiceEvent::Time { job: r.job, utc: ntp_time() });
    assert_eq!(b.take_text(), "\r\n+QNTP: 0,\"2026/08/06,12:40:04+00\"\r\n");
}

#[test]
fn ntp_without_autosettime_leaves_the_clock() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+CCLK=\"25/01/01,08:00:00+00\"", OK);
    b.check("AT+QNTP=1,\"time.test\",1123,0", OK);
    let r = request(&mut b);
    assert_eq!(r.kind, ServiceKind::Ntp { port: 1123, timeout: Duration::from_secs(10) });
    answer(&mut b, ServiceEvent::Time { job: r.job, utc: ntp_time() });
    assert_eq!(b.take_text(), "\r\n+QNTP: 0,\"2026/08/06,12:40:04+00\"\r\n");
    b.check("AT+CCLK?", "\r\n+CCLK: \"25/01/01,08:00:00+00\"\r\n\r\nOK\r\n");
}

#[test]
fn ntp_failures_report_their_code_alone() {
    let mut b = Bench::new();
    b.check("AT+QNTP=1,\"time.test\"", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QNTP: 561\r\n");
    b.pdp_up();
    for code in [ErrorCode::Timeout, ErrorCode::DnsFailed] {
        b.check("AT+QNTP=1,\"time.test\"", OK);
        let r = request(&mut b);
        answer(&mut b, ServiceEvent::Failed { job: r.job, failure: fail(code) });
        assert_eq!(b.take_text(), format!("\r\n+QNTP: {code}\r\n"));
    }
    // AT+QIDEACT mid-sync: 561, and no pdpdeact (the host asked).
    b.check("AT+QNTP=1,\"time.test\"", OK);
    request(&mut b);
    b.check("AT+QIDEACT=1", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QNTP: 561\r\n");
}
