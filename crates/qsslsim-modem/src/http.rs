//! The HTTP(S) client (`AT+QHTTP*`): its configuration (`AT+QHTTPCFG`), the URL, the one
//! request in progress and its response, the HTTP error table (701-730), the request the
//! network layer runs ([`HttpRequest`]) and what it reports back ([`HttpEvent`]). Every
//! request has a serial (from the connection serial counter): answers for a request that
//! ended, or from before a restart, are ignored.

use std::time::{Duration, Instant};

use qsslsim_at::ResultCode;
use tracing::{debug, info, warn};

use crate::event::Event;
use crate::fault::OpenFault;
use crate::ids::{PdpCtxId, SslCtxId};
use crate::modem::{Busy, Modem};
use crate::net::{NetEvent, TlsSetup};
use crate::urc::Urc;

/// The HTTP(S) error codes and their texts (the maker's HTTP(S) manuals): `<err>` of the
/// `+QHTTP...` reports and the `+CME ERROR` codes of the HTTP commands.
pub const HTTP_ERRORS: &[(u16, &str)] = &[
    (701, "HTTP(S) unknown error"),
    (702, "HTTP(S) timeout"),
    (703, "HTTP(S) busy"),
    (704, "HTTP(S) UART busy"),
    (705, "HTTP(S) no GET/POST requests"),
    (706, "HTTP(S) network busy"),
    (707, "HTTP(S) network open failed"),
    (708, "HTTP(S) network no configuration"),
    (709, "HTTP(S) network deactivated"),
    (710, "HTTP(S) network error"),
    (711, "HTTP(S) URL error"),
    (712, "HTTP(S) empty URL"),
    (713, "HTTP(S) IP address error"),
    (714, "HTTP(S) DNS error"),
    (715, "HTTP(S) socket create error"),
    (716, "HTTP(S) socket connect error"),
    (717, "HTTP(S) socket read error"),
    (718, "HTTP(S) socket write error"),
    (719, "HTTP(S) socket closed"),
    (720, "HTTP(S) data encode error"),
    (721, "HTTP(S) data decode error"),
    (722, "HTTP(S) read timeout"),
    (723, "HTTP(S) response failed"),
    (724, "Incoming call busy"),
    (725, "Voice call busy"),
    (726, "Input timeout"),
    (727, "Wait data timeout"),
    (728, "Wait HTTP(S) response timeout"),
    (729, "Memory allocation failed"),
    (730, "Invalid parameter"),
];

/// The HTTP error codes by name (numbers of [`HTTP_ERRORS`]).
pub mod code {
    pub const UNKNOWN: u16 = 701;
    pub const TIMEOUT: u16 = 702;
    pub const BUSY: u16 = 703;
    pub const NO_REQUEST: u16 = 705;
    pub const NETWORK_DEACTIVATED: u16 = 709;
    pub const URL_ERROR: u16 = 711;
    pub const EMPTY_URL: u16 = 712;
    pub const DNS_ERROR: u16 = 714;
    pub const CONNECT_ERROR: u16 = 716;
    pub const READ_ERROR: u16 = 717;
    pub const WRITE_ERROR: u16 = 718;
    pub const SOCKET_CLOSED: u16 = 719;
    pub const DECODE_ERROR: u16 = 721;
    pub const READ_TIMEOUT: u16 = 722;
    pub const RESPONSE_FAILED: u16 = 723;
    pub const INVALID_PARAMETER: u16 = 730;
}

/// The text of HTTP error `n`, if it is one.
pub fn error_text(n: u16) -> Option<&'static str> {
    crate::errors::lookup(HTTP_ERRORS, n)
}

/// `AT+QHTTPCFG="contenttype"` values (0-3) and the media types they send.
pub const CONTENT_TYPES: &[(u8, &str)] = &[
    (0, "application/x-www-form-urlencoded"),
    (1, "text/plain"),
    (2, "application/octet-stream"),
    (3, "multipart/form-data"),
];

/// Longest URL `AT+QHTTPURL` takes.
pub const MAX_URL_LEN: usize = 700;
/// Default `<timeout>` of `AT+QHTTPURL`, `<rsptime>` of GET/POST, `<input_time>` of POST and
/// `<wait_time>` of READ, in seconds.
pub const DEFAULT_SECS: u64 = 60;

/// `AT+QHTTPCFG` items (forgotten on restart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpCfg {
    pub context: PdpCtxId,
    /// The host supplies the whole request (`"requestheader",1`).
    pub request_header: bool,
    /// `AT+QHTTPREAD` outputs the response head before the body (`"responseheader",1`).
    pub response_header: bool,
    pub ssl_ctx: SslCtxId,
    pub content_type: u8,
}

impl Default for HttpCfg {
    fn default() -> Self {
        HttpCfg {
            context: PdpCtxId::new(1).expect("1 is a PDP context"),
            request_header: false,
            response_header: false,
            ssl_ctx: SslCtxId::new(1).expect("1 is an SSL context"),
            content_type: 0,
        }
    }
}

/// GET or POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    /// The name in the command and its report (`GET`: `+QHTTPGET`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A URL split into what the request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub https: bool,
    /// Name or address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// The `Host:` header value (as typed, port included when given).
    pub authority: String,
    /// Path and query, at least `/`.
    pub target: String,
}

/// Split `http[s]://host[:port][/path][?query]`; the reason if it is not such a URL.
pub fn parse_url(url: &str) -> Result<Url, String> {
    let lower = url.to_ascii_lowercase();
    let (https, rest) = if lower.starts_with("https://") {
        (true, &url[8..])
    } else if lower.starts_with("http://") {
        (false, &url[7..])
    } else {
        return Err(format!("{url:?} does not start with http:// or https://"));
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let tail = tail.split('#').next().unwrap_or("");
    let target = if tail.starts_with('/') { tail.to_string() } else { format!("/{tail}") };
    if authority.contains('@') {
        return Err(format!("{url:?} has user information, which the module does not send"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| format!("{url:?} has an unclosed '['"))?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace()) {
        return Err(format!("{url:?} has no valid host"));
    }
    let port = match port {
        None => {
            if https {
                443
            } else {
                80
            }
        }
        Some(p) => {
            p.parse::<u16>().ok().filter(|&p| p != 0).ok_or_else(|| format!("{url:?} has a bad port"))?
        }
    };
    if target.chars().any(|c| c.is_ascii_control() || c == ' ') {
        return Err(format!("{url:?} has spaces or control characters in its path"));
    }
    Ok(Url { https, host: host.to_string(), port, authority: authority.to_string(), target })
}

/// What the network layer is asked to do for one request.
#[derive(Clone)]
pub struct HttpRequest {
    pub job: u64,
    pub pdp: u8,
    pub method: Method,
    pub url: Url,
    /// Whether the PDP context has a usable DNS server.
    pub dns_usable: bool,
    /// An armed open-time fault (refused, DNS, stalls) the request's connect suffers.
    pub fault: Option<OpenFault>,
    /// TLS for `https://`, prepared from the SSL context `"sslctxid"` names.
    pub tls: Option<TlsSetup>,
    /// `Content-Type` of a POST body.
    pub content_type: Option<&'static str>,
    pub body: Vec<u8>,
    pub connect_timeout: Duration,
    /// Until the response head must have arrived (`<rsptime>`), from the start.
    pub response_timeout: Duration,
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("job", &self.job)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("tls", &self.tls.is_some())
            .field("body", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Why a request failed: the HTTP error code the host sees and the precise cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpFailure {
    pub code: u16,
    pub cause: String,
}

/// What the network layer reports for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpEvent {
    /// The response head arrived: its status, `Content-Length` if it has one, and its bytes
    /// (status line to the blank line).
    Head { job: u64, status: u16, content_length: Option<u64>, head: Vec<u8> },
    /// Body bytes (chunked encoding removed).
    Body { job: u64, data: Vec<u8> },
    /// The request ended: the whole body came (`None`) or it failed. Before a head, the
    /// failure is the request's result.
    End { job: u64, failure: Option<HttpFailure> },
}

impl HttpEvent {
    pub fn job(&self) -> u64 {
        match self {
            HttpEvent::Head { job, .. } | HttpEvent::Body { job, .. } | HttpEvent::End { job, .. } => *job,
        }
    }
}

/// The one request in progress or answered.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub job: u64,
    pub method: Method,
    pub pdp: PdpCtxId,
    /// The response head, once it came.
    pub head: Option<Vec<u8>>,
    /// Body bytes not yet read by the host.
    pub body: Vec<u8>,
    /// The request ended: `Some(0)` complete, else the error code.
    pub end: Option<u16>,
}

/// The HTTP client's state.
#[derive(Debug, Clone, Default)]
pub struct Http {
    pub cfg: HttpCfg,
    pub url: Option<String>,
    pub exchange: Option<Exchange>,
}

/// Log, trace and report a failure with HTTP code `code`.
fn failed(m: &mut Modem, code: u16, cause: &str) {
    warn!(code, %cause, "HTTP request failed");
    m.event(Event::Failure { id: None, code, cause: cause.to_string() });
}

/// A network event for the request in progress (stale ones are ignored).
pub fn on_event(m: &mut Modem, ev: NetEvent) {
    let NetEvent::Http(ev) = ev else { return };
    let job = ev.job();
    let is_reading = reading(m, job);
    let Some(ex) = m.http.exchange.as_mut().filter(|e| e.job == job && e.end.is_none()) else {
        debug!(job, "stale HTTP event ignored");
        return;
    };
    let method = ex.method;
    match ev {
        HttpEvent::Head { status, content_length, head, .. } => {
            info!(status, ?content_length, "HTTP response head");
            ex.head = Some(head);
            m.urc(Urc::HttpResult { method, err: 0, status: Some(status), length: content_length });
        }
        HttpEvent::Body { data, .. } => {
            if is_reading {
                m.raw(&data);
            } else {
                ex.body.extend_from_slice(&data);
            }
        }
        HttpEvent::End { failure, .. } => {
            let had_head = ex.head.is_some();
            let err = failure.as_ref().map_or(0, |f| f.code);
            ex.end = Some(err);
            if let Some(f) = &failure {
                failed(m, f.code, &f.cause);
            }
            if !had_head {
                // No response: the request's result is the failure.
                m.http.exchange = None;
                m.urc(Urc::HttpResult { method, err, status: None, length: None });
            } else if is_reading {
                finish_read(m, err);
            }
        }
    }
}

/// Whether `AT+QHTTPREAD` is waiting for request `job`'s body.
fn reading(m: &Modem, job: u64) -> bool {
    matches!(m.busy, Some(Busy::HttpRead { job: j, .. }) if j == job)
}

/// `AT+QHTTPREAD` ends: `OK`, then `+QHTTPREAD: <err>`; the response is consumed.
pub fn finish_read(m: &mut Modem, err: u16) {
    m.busy = None;
    m.http.exchange = None;
    m.final_result(ResultCode::Ok);
    m.urc(Urc::HttpRead { err });
}

/// `AT+QHTTPREAD`'s `<wait_time>` passed with the body unfinished.
pub fn on_time(m: &mut Modem, now: Instant) {
    if let Some(Busy::HttpRead { deadline, .. }) = m.busy {
        if now >= deadline {
            let cause = "AT+QHTTPREAD: no more body within <wait_time> (policy http-timeouts)";
            failed(m, code::READ_TIMEOUT, cause);
            finish_read(m, code::READ_TIMEOUT);
        }
    }
}

/// Context `ctx` went down: a request on it that has no answer yet ends with 709.
pub fn pdp_down(m: &mut Modem, ctx: PdpCtxId) {
    let Some(ex) = m.http.exchange.as_ref().filter(|e| e.pdp == ctx && e.end.is_none()) else { return };
    let job = ex.job;
    let ev = HttpEvent::End {
        job,
        failure: Some(HttpFailure {
            code: code::NETWORK_DEACTIVATED,
            cause: format!("PDP context {ctx} deactivated during the request"),
        }),
    };
    on_event(m, NetEvent::Http(ev));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_port_and_target() {
        let u = parse_url("http://example.com/a/b?x=1").unwrap();
        assert_eq!(
            (u.https, u.host.as_str(), u.port, u.target.as_str()),
            (false, "example.com", 80, "/a/b?x=1")
        );
        let u = parse_url("HTTPS://example.com:8443").unwrap();
        assert_eq!(
            (u.https, u.port, u.target.as_str(), u.authority.as_str()),
            (true, 8443, "/", "example.com:8443")
        );
        let u = parse_url("http://[::1]:81/x").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 81));
        let u = parse_url("http://h?q").unwrap();
        assert_eq!(u.target, "/?q");
        assert!(parse_url("ftp://example.com/").is_err());
        assert!(parse_url("http:///x").is_err());
        assert!(parse_url("http://h:0/").is_err());
        assert!(parse_url("http://u@h/").is_err());
    }

    #[test]
    fn error_table_is_701_to_730_in_order() {
        let codes: Vec<u16> = HTTP_ERRORS.iter().map(|(n, _)| *n).collect();
        assert_eq!(codes, (701..=730).collect::<Vec<_>>());
        assert_eq!(error_text(code::TIMEOUT), Some("HTTP(S) timeout"));
    }
}
