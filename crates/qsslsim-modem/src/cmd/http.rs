//! The HTTP(S) commands: `AT+QHTTPCFG` (items and read-back), `AT+QHTTPURL` (the URL in a data
//! phase after `CONNECT`), `AT+QHTTPGET`, `AT+QHTTPPOST` (the body in a data phase) and
//! `AT+QHTTPREAD`. Errors are `+CME ERROR: <7xx>` from the HTTP table in [`crate::http`];
//! outcomes of requests are `+QHTTPGET:`/`+QHTTPPOST:`/`+QHTTPREAD:` reports.

use std::time::Duration;

use qsslsim_at::{Command, Kind, ResultCode};
use qsslsim_tls::OpenRefusal;
use rustls::pki_types::UnixTime;
use tracing::info;

use super::args::wrong_form;
use super::{AtCommand, Family, Refusal};
use crate::files::{DataFor, Upload, UploadEnd};
use crate::http::{
    code, error_text, parse_url, Exchange, HttpRequest, Method, CONTENT_TYPES, DEFAULT_SECS, MAX_URL_LEN,
};
use crate::ids::{count, int_param, opt_int_param, string_param, ParamError, PdpCtxId, SslCtxId};
use crate::modem::{Busy, Flow, Modem, Port};
use crate::net::{NetAction, TlsSetup};
use crate::urc::Urc;

/// Longest POST body one `AT+QHTTPPOST` takes (policy `http-limits`).
pub const MAX_POST_LEN: i64 = 1_024_000;
/// Seconds range of every HTTP timeout parameter.
const SECS_MAX: i64 = 65535;

/// An HTTP error as the host sees it (`+CME ERROR: <7xx>`), with the rule in words.
fn http_error(n: u16, why: impl std::fmt::Display) -> Refusal {
    Refusal::cme(n, format!("{why} ({})", error_text(n).unwrap_or("HTTP error")))
}

/// Parameter problems are the table's "invalid parameter" (policy `http-errors`).
fn bad(e: ParamError) -> Refusal {
    http_error(code::INVALID_PARAMETER, e)
}

fn secs(p: Option<&qsslsim_at::Param>, name: &'static str) -> Result<Duration, Refusal> {
    Ok(Duration::from_secs(opt_int_param(p, name, 1, SECS_MAX, DEFAULT_SECS as i64).map_err(bad)? as u64))
}

/// One `AT+QHTTPCFG` item, as the host names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    ContextId,
    RequestHeader,
    ResponseHeader,
    SslCtxId,
    ContentType,
}

impl Item {
    const ALL: [Item; 5] =
        [Item::ContextId, Item::RequestHeader, Item::ResponseHeader, Item::SslCtxId, Item::ContentType];

    fn name(self) -> &'static str {
        match self {
            Item::ContextId => "contextid",
            Item::RequestHeader => "requestheader",
            Item::ResponseHeader => "responseheader",
            Item::SslCtxId => "sslctxid",
            Item::ContentType => "contenttype",
        }
    }

    /// The value range as the test form prints it.
    fn range(self) -> String {
        match self {
            Item::ContextId => PdpCtxId::test_form(),
            Item::RequestHeader | Item::ResponseHeader => "(0,1)".into(),
            Item::SslCtxId => SslCtxId::test_form(),
            Item::ContentType => format!("(0-{})", CONTENT_TYPES.len() - 1),
        }
    }

    fn value(self, m: &Modem) -> u8 {
        let c = &m.http.cfg;
        match self {
            Item::ContextId => c.context.get(),
            Item::RequestHeader => c.request_header.into(),
            Item::ResponseHeader => c.response_header.into(),
            Item::SslCtxId => c.ssl_ctx.get(),
            Item::ContentType => c.content_type,
        }
    }

    fn line(self, m: &Modem) -> String {
        format!("+QHTTPCFG: \"{}\",{}", self.name(), self.value(m))
    }
}

pub enum Qhttpcfg {
    Test,
    /// `AT+QHTTPCFG?`: every item.
    ReadAll,
    /// `AT+QHTTPCFG="<item>"`: one item's value.
    Read(Item),
    Set(Item, u8),
}

impl AtCommand for Qhttpcfg {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        let p = match &cmd.kind {
            Kind::Test => return Ok(Qhttpcfg::Test),
            Kind::Read => return Ok(Qhttpcfg::ReadAll),
            Kind::Exec => return Err(wrong_form(cmd)),
            Kind::Write(p) => p,
        };
        count(p, 1, 2, "1 or 2").map_err(bad)?;
        let name = string_param(p.first(), "<item>").map_err(bad)?.to_ascii_lowercase();
        let item = Item::ALL.into_iter().find(|i| i.name() == name).ok_or_else(|| {
            http_error(
                code::INVALID_PARAMETER,
                format!("AT+QHTTPCFG item {name:?} is not one the emulator has"),
            )
        })?;
        if p.len() == 1 {
            return Ok(Qhttpcfg::Read(item));
        }
        let value = match item {
            Item::ContextId => PdpCtxId::param(p.get(1)).map_err(bad)?.get(),
            Item::SslCtxId => SslCtxId::param(p.get(1)).map_err(bad)?.get(),
            Item::RequestHeader | Item::ResponseHeader => {
                int_param(p.get(1), "<value>", 0, 1).map_err(bad)? as u8
            }
            Item::ContentType => {
                int_param(p.get(1), "<content_type>", 0, CONTENT_TYPES.len() as i64 - 1).map_err(bad)? as u8
            }
        };
        Ok(Qhttpcfg::Set(item, value))
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qhttpcfg::Test => {
                for item in Item::ALL {
                    m.info(&format!("+QHTTPCFG: \"{}\",{}", item.name(), item.range()));
                }
            }
            Qhttpcfg::ReadAll => {
                for item in Item::ALL {
                    let line = item.line(m);
                    m.info(&line);
                }
            }
            Qhttpcfg::Read(item) => {
                let line = item.line(m);
                m.info(&line);
            }
            Qhttpcfg::Set(item, v) => {
                let c = &mut m.http.cfg;
                match item {
                    Item::ContextId => c.context = PdpCtxId::new(v).expect("checked in parse"),
                    Item::RequestHeader => c.request_header = v == 1,
                    Item::ResponseHeader => c.response_header = v == 1,
                    Item::SslCtxId => c.ssl_ctx = SslCtxId::new(v).expect("checked in parse"),
                    Item::ContentType => c.content_type = v,
                }
                info!(item = item.name(), value = v, "HTTP configuration set");
            }
        }
        Ok(Flow::Done)
    }
}

/// A request is running (no response head or failure yet): 703.
fn refuse_busy(m: &Modem, what: &str) -> Result<(), Refusal> {
    match &m.http.exchange {
        Some(ex) if ex.head.is_none() && ex.end.is_none() => {
            Err(http_error(code::BUSY, format!("{what} while the {} request still waits", ex.method.name())))
        }
        _ => Ok(()),
    }
}

/// Enter the data phase: `CONNECT`, then `len` bytes for `target`, within `timeout` of silence.
fn data_phase(m: &mut Modem, name: &str, len: usize, timeout: Duration, target: DataFor) -> Flow {
    // No `+++` escape and no ACKs: the data ends by length or silence (policy `http-input`).
    let up = Upload::new(name.into(), len, timeout, false, Duration::ZERO, m.now).for_target(target);
    m.intermediate(ResultCode::Connect);
    m.out.finish_write();
    m.port = Port::Upload(Box::new(up));
    Flow::Suspend
}

pub enum Qhttpurl {
    Test,
    Read,
    Set { len: usize, timeout: Duration },
}

impl AtCommand for Qhttpurl {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qhttpurl::Test),
            Kind::Read => Ok(Qhttpurl::Read),
            Kind::Exec => Err(wrong_form(cmd)),
            Kind::Write(p) => {
                count(p, 1, 2, "1 or 2").map_err(bad)?;
                let len = int_param(p.first(), "<URL_length>", 1, MAX_URL_LEN as i64).map_err(bad)? as usize;
                Ok(Qhttpurl::Set { len, timeout: secs(p.get(1), "<timeout>")? })
            }
        }
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qhttpurl::Test => m.info(&format!("+QHTTPURL: (1-{MAX_URL_LEN}),(1-{SECS_MAX})")),
            Qhttpurl::Read => {
                if let Some(url) = m.http.url.clone() {
                    m.info(&format!("+QHTTPURL: {url}"));
                }
            }
            Qhttpurl::Set { len, timeout } => {
                refuse_busy(m, "AT+QHTTPURL")?;
                return Ok(data_phase(m, "HTTP URL", len, timeout, DataFor::HttpUrl));
            }
        }
        Ok(Flow::Done)
    }
}

/// The data phase of `AT+QHTTPURL` or `AT+QHTTPPOST` ended.
pub fn finish_input(m: &mut Modem, up: Upload, end: UploadEnd) {
    let target = up.target();
    let (_, data, _) = up.finish();
    let command = if target == DataFor::HttpUrl { "AT+QHTTPURL" } else { "AT+QHTTPPOST" };
    if end != UploadEnd::Complete {
        let why = format!("only {} bytes came before the input time of silence", data.len());
        return answer(m, command, http_error(code::TIMEOUT, format!("{why} (policy http-timeouts)")));
    }
    match target {
        DataFor::HttpUrl => {
            let url = String::from_utf8_lossy(&data).into_owned();
            match parse_url(&url) {
                Ok(_) => {
                    info!(%url, "HTTP URL set");
                    m.http.url = Some(url);
                    m.final_result(ResultCode::Ok);
                }
                Err(why) => answer(m, command, http_error(code::URL_ERROR, why)),
            }
        }
        DataFor::HttpPost { response_timeout } => {
            m.final_result(ResultCode::Ok);
            start(m, Method::Post, data, response_timeout);
        }
        DataFor::File => {}
    }
}

/// A refusal after a data phase: answered, logged and traced like any other.
fn answer(m: &mut Modem, command: &str, r: Refusal) {
    let result = super::report_refusal(m, format!("{command} (data)"), Family::General, r);
    m.final_result(result);
}

/// What every request checks first: the host writes no whole requests here, and there is a URL.
fn check_request(m: &Modem, what: &str) -> Result<(), Refusal> {
    if m.http.cfg.request_header {
        return Err(http_error(
            code::UNKNOWN,
            format!("{what} with \"requestheader\",1 (the host writing the whole request) is not emulated (policy http-requestheader)"),
        ));
    }
    if m.http.url.is_none() {
        return Err(http_error(code::EMPTY_URL, format!("{what} before AT+QHTTPURL set a URL")));
    }
    refuse_busy(m, what)
}

/// Start a request to the URL set; its outcome is a `+QHTTPGET`/`+QHTTPPOST` report.
fn start(m: &mut Modem, method: Method, body: Vec<u8>, response_timeout: Duration) {
    let url = parse_url(m.http.url.as_deref().unwrap_or_default()).expect("checked when set");
    let cfg = m.http.cfg;
    let job = m.next_conn();
    let fail = |m: &mut Modem, code: u16, cause: String| {
        tracing::warn!(code, %cause, "HTTP request failed before it started");
        m.event(crate::event::Event::Failure { id: None, code, cause });
        m.http.exchange = None;
        m.urc(Urc::HttpResult { method, err: code, status: None, length: None });
    };
    if !m.pdp.is_active(cfg.context) {
        let cause = format!("PDP context {} (\"contextid\") is not active (policy http-pdp)", cfg.context);
        return fail(m, code::NETWORK_DEACTIVATED, cause);
    }
    let tls = if url.https {
        let unix = UnixTime::since_unix_epoch(Duration::from_secs(m.clock.unix_seconds(m.now)));
        let policy = m.cfg.tls;
        let ctx = &mut m.ssl[cfg.ssl_ctx.index()];
        match ctx.tls.prepare(&ctx.settings, &m.files, unix, &url.host, &policy) {
            Ok(p) => Some(TlsSetup {
                client: p.config,
                server_name: p.server_name,
                handshake_timeout: p.handshake_timeout,
            }),
            Err(OpenRefusal::NotSupported(why)) => return fail(m, code::UNKNOWN, why),
            Err(OpenRefusal::Failed(why)) => return fail(m, code::CONNECT_ERROR, why),
        }
    } else {
        None
    };
    let content_type =
        (method == Method::Post).then(|| crate::errors::lookup(CONTENT_TYPES, cfg.content_type)).flatten();
    info!(job, method = method.name(), host = %url.host, port = url.port, "HTTP request started");
    m.http.exchange =
        Some(Exchange { job, method, pdp: cfg.context, head: None, body: Vec::new(), end: None });
    let dns_usable = m.pdp.get(cfg.context).dns_usable();
    let fault = m.faults.take_open_fault(&url.host, url.https);
    m.net(NetAction::Http(HttpRequest {
        job,
        pdp: cfg.context.get(),
        method,
        url,
        dns_usable,
        fault,
        tls,
        content_type,
        body,
        connect_timeout: crate::policy::OPEN_CONNECT_TIMEOUT,
        response_timeout,
    }));
}

pub enum Qhttpget {
    Test,
    Get(Duration),
}

impl AtCommand for Qhttpget {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qhttpget::Test),
            Kind::Exec => Ok(Qhttpget::Get(Duration::from_secs(DEFAULT_SECS))),
            Kind::Read => Err(wrong_form(cmd)),
            Kind::Write(p) => {
                count(p, 1, 1, "1").map_err(bad)?;
                Ok(Qhttpget::Get(secs(p.first(), "<rsptime>")?))
            }
        }
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qhttpget::Test => m.info(&format!("+QHTTPGET: (1-{SECS_MAX})")),
            Qhttpget::Get(rsptime) => {
                check_request(m, "AT+QHTTPGET")?;
                start(m, Method::Get, Vec::new(), rsptime);
            }
        }
        Ok(Flow::Done)
    }
}

pub enum Qhttppost {
    Test,
    Post { len: usize, input: Duration, rsptime: Duration },
}

impl AtCommand for Qhttppost {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qhttppost::Test),
            Kind::Write(p) => {
                count(p, 1, 3, "1 to 3").map_err(bad)?;
                let len = int_param(p.first(), "<data_length>", 1, MAX_POST_LEN).map_err(bad)? as usize;
                let input = secs(p.get(1), "<input_time>")?;
                let rsptime = secs(p.get(2), "<rsptime>")?;
                Ok(Qhttppost::Post { len, input, rsptime })
            }
            _ => Err(wrong_form(cmd)),
        }
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qhttppost::Test => {
                m.info(&format!("+QHTTPPOST: (1-{MAX_POST_LEN}),(1-{SECS_MAX}),(1-{SECS_MAX})"));
                Ok(Flow::Done)
            }
            Qhttppost::Post { len, input, rsptime } => {
                check_request(m, "AT+QHTTPPOST")?;
                Ok(data_phase(
                    m,
                    "HTTP POST body",
                    len,
                    input,
                    DataFor::HttpPost { response_timeout: rsptime },
                ))
            }
        }
    }
}

pub enum Qhttpread {
    Test,
    Read(Duration),
}

impl AtCommand for Qhttpread {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qhttpread::Test),
            Kind::Exec => Ok(Qhttpread::Read(Duration::from_secs(DEFAULT_SECS))),
            Kind::Read => Err(wrong_form(cmd)),
            Kind::Write(p) => {
                count(p, 1, 1, "1").map_err(bad)?;
                Ok(Qhttpread::Read(secs(p.first(), "<wait_time>")?))
            }
        }
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let wait = match self {
            Qhttpread::Test => {
                m.info(&format!("+QHTTPREAD: (1-{SECS_MAX})"));
                return Ok(Flow::Done);
            }
            Qhttpread::Read(wait) => wait,
        };
        refuse_busy(m, "AT+QHTTPREAD")?;
        let Some(ex) = m.http.exchange.as_mut().filter(|e| e.head.is_some()) else {
            return Err(http_error(code::NO_REQUEST, "AT+QHTTPREAD with no response to read"));
        };
        let head = if m.http.cfg.response_header { ex.head.clone().unwrap_or_default() } else { Vec::new() };
        let body = std::mem::take(&mut ex.body);
        let (job, end) = (ex.job, ex.end);
        m.intermediate(ResultCode::Connect);
        m.raw(&head);
        m.raw(&body);
        match end {
            Some(err) => {
                m.http.exchange = None;
                m.urc(Urc::HttpRead { err });
                Ok(Flow::Final(ResultCode::Ok))
            }
            None => {
                // The rest streams as it arrives (see `http::on_event`).
                m.busy = Some(Busy::HttpRead { job, deadline: m.now + wait });
                Ok(Flow::Suspend)
            }
        }
    }
}
