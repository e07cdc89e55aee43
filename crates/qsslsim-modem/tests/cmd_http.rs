//! `AT+QHTTPCFG`, `AT+QHTTPURL`, `AT+QHTTPGET`, `AT+QHTTPPOST` and `AT+QHTTPREAD` driven straight
//! into the module: exact replies and reports for synthetic network answers, the requests the
//! module hands the network, data-phase timeouts, busy and stale answers.

mod bench;

use std::time::Duration;

use bench::{Bench, CONNECT, OK};
use qsslsim_modem::http::{HttpEvent, HttpFailure, HttpRequest, Method};
use qsslsim_modem::{NetAction, NetEvent};

/// The one HTTP request among the actions so far; forgets the actions.
#[track_caller]
fn request(b: &mut Bench) -> HttpRequest {
    let mut found: Vec<HttpRequest> = b
        .take_actions()
        .into_iter()
        .filter_map(|a| match a {
            NetAction::Http(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "one HTTP request expected: {found:?}");
    found.pop().unwrap()
}

fn answer(b: &mut Bench, ev: HttpEvent) {
    b.net(NetEvent::Http(ev));
    b.settle();
}

fn set_url(b: &mut Bench, url: &str) {
    b.check(&format!("AT+QHTTPURL={},80", url.len()), CONNECT);
    b.input(url.as_bytes());
    assert_eq!(b.take_text(), OK, "URL accepted");
}

const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";

#[test]
fn cfg_items_set_and_read_back() {
    let mut b = Bench::new();
    b.check(
        "AT+QHTTPCFG?",
        "\r\n+QHTTPCFG: \"contextid\",1\r\n+QHTTPCFG: \"requestheader\",0\r\n+QHTTPCFG: \"responseheader\",0\r\n+QHTTPCFG: \"sslctxid\",1\r\n+QHTTPCFG: \"contenttype\",0\r\n\r\nOK\r\n",
    );
    b.check("AT+QHTTPCFG=\"contextid\",2", OK);
    b.check("AT+QHTTPCFG=\"responseheader\",1", OK);
    b.check("AT+QHTTPCFG=\"sslctxid\",4", OK);
    b.check("AT+QHTTPCFG=\"contenttype\",1", OK);
    b.check("AT+QHTTPCFG=\"contextid\"", "\r\n+QHTTPCFG: \"contextid\",2\r\n\r\nOK\r\n");
    b.check("AT+QHTTPCFG=\"sslctxid\"", "\r\n+QHTTPCFG: \"sslctxid\",4\r\n\r\nOK\r\n");
    b.check("AT+QHTTPCFG=\"responseheader\"", "\r\n+QHTTPCFG: \"responseheader\",1\r\n\r\nOK\r\n");
    b.check("AT+QHTTPCFG=\"contenttype\"", "\r\n+QHTTPCFG: \"contenttype\",1\r\n\r\nOK\r\n");
    for bad in [
        "AT+QHTTPCFG=\"contextid\",0",
        "AT+QHTTPCFG=\"sslctxid\",6",
        "AT+QHTTPCFG=\"responseheader\",2",
        "AT+QHTTPCFG=\"contenttype\",4",
        "AT+QHTTPCFG=\"nosuchitem\",1",
    ] {
        b.check_cme(bad, 730);
    }
    b.check("AT+CMEE=2", OK);
    b.check("AT+QHTTPCFG=\"sslctxid\",9", "\r\n+CME ERROR: Invalid parameter\r\n");
}

#[test]
fn url_is_taken_after_connect_and_read_back() {
    let mut b = Bench::new();
    set_url(&mut b, "http://example.com/data");
    b.check("AT+QHTTPURL?", "\r\n+QHTTPURL: http://example.com/data\r\n\r\nOK\r\n");
    // Not a URL: 711 after the data.
    b.check("AT+QHTTPURL=10,80", CONNECT);
    b.input(b"ftp://x/yz");
    assert_eq!(b.take_text(), "\r\n+CME ERROR: 711\r\n");
    b.check_cme("AT+QHTTPURL=701,80", 730);
}

#[test]
fn url_input_times_out_with_702() {
    let mut b = Bench::new();
    b.check("AT+QHTTPURL=30,5", CONNECT);
    b.input(b"http://exa");
    b.advance(Duration::from_secs(5));
    assert_eq!(b.take_text(), "\r\n+CME ERROR: 702\r\n");
    b.check("AT", OK);
}

#[test]
fn get_reports_the_head_then_read_gives_the_body() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QHTTPCFG=\"sslctxid\",2", OK);
    set_url(&mut b, "https://example.com:8443/a?b=1");
    b.check("AT+QHTTPGET=80", OK);
    let r = request(&mut b);
    assert_eq!(
        (r.method, r.url.host.as_str(), r.url.port, r.url.target.as_str()),
        (Method::Get, "example.com", 8443, "/a?b=1")
    );
    assert!(r.tls.is_some() && r.body.is_empty());
    assert_eq!(r.response_timeout, Duration::from_secs(80));
    // A second request while this one waits: busy.
    b.check_cme("AT+QHTTPGET", 703);
    b.check_cme("AT+QHTTPREAD", 703);
    answer(&mut b, HttpEvent::Head { job: r.job, status: 200, content_length: Some(5), head: HEAD.to_vec() });
    assert_eq!(b.take_text(), "\r\n+QHTTPGET: 0,200,5\r\n");
    answer(&mut b, HttpEvent::Body { job: r.job, data: b"hel".to_vec() });
    answer(&mut b, HttpEvent::Body { job: r.job, data: b"lo".to_vec() });
    answer(&mut b, HttpEvent::End { job: r.job, failure: None });
    b.input(b"AT+QHTTPREAD=80\r");
    b.settle();
    assert_eq!(b.take_text(), "\r\nCONNECT\r\nhello\r\nOK\r\n\r\n+QHTTPREAD: 0\r\n");
    // Read once.
    b.check_cme("AT+QHTTPREAD", 705);
}

#[test]
fn read_streams_a_body_still_arriving_and_includes_the_head_when_asked() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QHTTPCFG=\"responseheader\",1", OK);
    set_url(&mut b, "http://example.com/");
    b.check("AT+QHTTPGET", OK);
    let r = request(&mut b);
    assert!(r.tls.is_none());
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    answer(&mut b, HttpEvent::Head { job: r.job, status: 200, content_length: None, head: head.clone() });
    assert_eq!(b.take_text(), "\r\n+QHTTPGET: 0,200\r\n");
    answer(&mut b, HttpEvent::Body { job: r.job, data: b"ab".to_vec() });
    b.input(b"AT+QHTTPREAD=10\r");
    let mut want = b"\r\nCONNECT\r\n".to_vec();
    want.extend_from_slice(&head);
    want.extend_from_slice(b"ab");
    assert_eq!(b.take_bytes(), want);
    answer(&mut b, HttpEvent::Body { job: r.job, data: b"cd".to_vec() });
    assert_eq!(b.take_text(), "cd");
    answer(&mut b, HttpEvent::End { job: r.job, failure: None });
    assert_eq!(b.take_text(), "\r\nOK\r\n\r\n+QHTTPREAD: 0\r\n");
}

#[test]
fn read_wait_time_ends_with_722() {
    let mut b = Bench::new();
    b.pdp_up();
    set_url(&mut b, "http://example.com/");
    b.check("AT+QHTTPGET", OK);
    let r = request(&mut b);
    answer(&mut b, HttpEvent::Head { job: r.job, status: 200, content_length: Some(5), head: HEAD.to_vec() });
    b.take_text();
    b.input(b"AT+QHTTPREAD=3\r");
    assert_eq!(b.take_text(), CONNECT);
    b.advance(Duration::from_secs(3));
    b.settle();
    assert_eq!(b.take_text(), "\r\nOK\r\n\r\n+QHTTPREAD: 722\r\n");
    // The request is over: late answers are stale.
    answer(&mut b, HttpEvent::Body { job: r.job, data: b"late".to_vec() });
    assert_eq!(b.take_text(), "");
}

#[test]
fn failures_report_their_code_alone() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check_cme("AT+QHTTPGET", 712);
    set_url(&mut b, "http://nosuch.example/");
    b.check("AT+QHTTPGET", OK);
    let r = request(&mut b);
    let failure = Some(HttpFailure { code: 714, cause: "synthetic".into() });
    answer(&mut b, HttpEvent::End { job: r.job, failure });
    assert_eq!(b.take_text(), "\r\n+QHTTPGET: 714\r\n");
    b.check_cme("AT+QHTTPREAD", 705);
    // Context 2 is not active: OK, then 709 (policy http-pdp).
    b.check("AT+QHTTPCFG=\"contextid\",2", OK);
    b.check("AT+QHTTPGET", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QHTTPGET: 709\r\n");
    assert!(b.take_actions().iter().all(|a| !matches!(a, NetAction::Http(_))));
    // The host writing whole requests is not emulated.
    b.check("AT+QHTTPCFG=\"contextid\",1", OK);
    b.check("AT+QHTTPCFG=\"requestheader\",1", OK);
    b.check_cme("AT+QHTTPGET", 701);
}

#[test]
fn post_takes_the_body_then_reports() {
    let mut b = Bench::new();
    b.pdp_up();
    b.check("AT+QHTTPCFG=\"contenttype\",1", OK);
    set_url(&mut b, "http://example.com/post");
    b.check("AT+QHTTPPOST=7,10,30", CONNECT);
    b.input(b"message");
    assert_eq!(b.take_text(), OK);
    let r = request(&mut b);
    assert_eq!(
        (r.method, r.body.as_slice(), r.content_type),
        (Method::Post, &b"message"[..], Some("text/plain"))
    );
    assert_eq!(r.response_timeout, Duration::from_secs(30));
    let head = b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n".to_vec();
    answer(&mut b, HttpEvent::Head { job: r.job, status: 201, content_length: Some(2), head });
    answer(&mut b, HttpEvent::Body { job: r.job, data: b"ok".to_vec() });
    answer(&mut b, HttpEvent::End { job: r.job, failure: None });
    assert_eq!(b.take_text(), "\r\n+QHTTPPOST: 0,201,2\r\n");
    b.input(b"AT+QHTTPREAD\r");
    b.settle();
    assert_eq!(b.take_text(), "\r\nCONNECT\r\nok\r\nOK\r\n\r\n+QHTTPREAD: 0\r\n");
    // A body that does not come: 702, nothing sent.
    b.check("AT+QHTTPPOST=10,2,30", CONNECT);
    b.input(b"abc");
    b.advance(Duration::from_secs(2));
    assert_eq!(b.take_text(), "\r\n+CME ERROR: 702\r\n");
    assert!(b.take_actions().iter().all(|a| !matches!(a, NetAction::Http(_))));
}

#[test]
fn a_context_lost_mid_request_reports_709_and_late_answers_are_stale() {
    let mut b = Bench::new();
    b.pdp_up();
    set_url(&mut b, "http://example.com/");
    b.check("AT+QHTTPGET", OK);
    let r = request(&mut b);
    b.check("AT+QIDEACT=1", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QHTTPGET: 709\r\n");
    answer(&mut b, HttpEvent::Head { job: r.job, status: 200, content_length: Some(5), head: HEAD.to_vec() });
    assert_eq!(b.take_text(), "");
    b.check_cme("AT+QHTTPREAD", 705);
}

#[test]
fn verbose_errors_use_the_http_table_and_test_forms_list_ranges() {
    let mut b = Bench::new();
    b.check("AT+CMEE=2", OK);
    b.check("AT+QHTTPREAD", "\r\n+CME ERROR: HTTP(S) no GET/POST requests\r\n");
    b.check("AT+QHTTPGET", "\r\n+CME ERROR: HTTP(S) empty URL\r\n");
    b.check("AT+QHTTPURL=?", "\r\n+QHTTPURL: (1-700),(1-65535)\r\n\r\nOK\r\n");
    b.check("AT+QHTTPGET=?", "\r\n+QHTTPGET: (1-65535)\r\n\r\nOK\r\n");
    b.check("AT+QHTTPPOST=?", "\r\n+QHTTPPOST: (1-1024000),(1-65535),(1-65535)\r\n\r\nOK\r\n");
    b.check("AT+QHTTPREAD=?", "\r\n+QHTTPREAD: (1-65535)\r\n\r\nOK\r\n");
    b.check(
        "AT+QHTTPCFG=?",
        "\r\n+QHTTPCFG: \"contextid\",(1-15)\r\n+QHTTPCFG: \"requestheader\",(0,1)\r\n+QHTTPCFG: \"responseheader\",(0,1)\r\n+QHTTPCFG: \"sslctxid\",(0-5)\r\n+QHTTPCFG: \"contenttype\",(0-3)\r\n\r\nOK\r\n",
    );
    // The HTTP commands leave AT+QIGETERROR alone.
    b.check("AT+CMEE=1", OK);
    b.clear_error();
    b.check_cme("AT+QHTTPGET=0", 730);
    assert_eq!(b.last_error(), 0);
}
