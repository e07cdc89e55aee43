//! The network side of the module's HTTP(S) client (`AT+QHTTPGET`, `AT+QHTTPPOST`): one task
//! per request. It connects through the same [`Connector`] as a socket open (resolver,
//! `--route`, sandbox, armed open faults), runs TLS with the SSL context the module prepared
//! for `https://`, writes one HTTP/1.1 request, parses the response head with `httparse` and
//! streams the body back (by `Content-Length`, chunked, or until the server closes). Failures
//! carry the module's HTTP error codes (701-730).

use std::sync::Arc;
use std::time::Duration;

use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::http::{code, HttpEvent, HttpFailure, HttpRequest, Method};
use qsslsim_modem::{NetEvent, OpenFault};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connector::{Connector, Stream};

/// The `User-Agent` the module sends (policy `http-request-head`).
pub const USER_AGENT: &str = "QUECTEL_MODULE";
/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Most response header lines parsed.
const MAX_HEADERS: usize = 64;
const READ_CHUNK: usize = 16 * 1024;

fn fail(code: u16, cause: impl Into<String>) -> HttpFailure {
    HttpFailure { code, cause: cause.into() }
}

/// Start the request; it reports on `events` and ends by itself (late reports for a request
/// the module dropped are stale there).
pub fn spawn(
    req: HttpRequest,
    connector: Arc<dyn Connector>,
    events: mpsc::Sender<NetEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let job = req.job;
        let send = |ev: HttpEvent| {
            let events = events.clone();
            async move { events.send(NetEvent::Http(ev)).await.is_ok() }
        };
        let until_head = async {
            let mut stream = open(&req, &connector).await?;
            stream
                .write_all(&request_bytes(&req))
                .await
                .map_err(|e| fail(code::WRITE_ERROR, format!("writing the request failed: {e}")))?;
            let _ = stream.flush().await;
            let head = read_head(&mut stream).await?;
            Ok::<_, HttpFailure>((stream, head))
        };
        let (mut stream, head) = match tokio::time::timeout(req.response_timeout, until_head).await {
            Ok(Ok(got)) => got,
            Ok(Err(failure)) => {
                send(HttpEvent::End { job, failure: Some(failure) }).await;
                return;
            }
            Err(_) => {
                let cause = format!(
                    "no response head within <rsptime> ({} s, policy http-timeouts)",
                    req.response_timeout.as_secs()
                );
                send(HttpEvent::End { job, failure: Some(fail(code::TIMEOUT, cause)) }).await;
                return;
            }
        };
        let Head { status, content_length, chunked, bytes, rest } = head;
        let ev = HttpEvent::Head { job, status, content_length, head: bytes };
        if !send(ev).await {
            return;
        }
        let framing = if matches!(status, 204 | 304) {
            Framing::Length(0)
        } else if chunked {
            Framing::Chunked
        } else {
            content_length.map_or(Framing::UntilClose, Framing::Length)
        };
        let failure = read_body(&mut stream, rest, framing, req.response_timeout, |data| {
            send(HttpEvent::Body { job, data })
        })
        .await
        .err();
        send(HttpEvent::End { job, failure }).await;
    })
}

/// Connect (and for `https://`, handshake) as a socket open does, with its armed fault.
async fn open(req: &HttpRequest, connector: &Arc<dyn Connector>) -> Result<Box<dyn Stream>, HttpFailure> {
    match req.fault {
        Some(OpenFault::RefuseConnect) => return Err(fail(code::CONNECT_ERROR, "fault refuse_connect")),
        Some(OpenFault::DnsFailure) => return Err(fail(code::DNS_ERROR, "fault dns_failure")),
        Some(OpenFault::DnsBusy) => return Err(fail(code::DNS_ERROR, "fault dns_busy")),
        Some(OpenFault::ConnectStall) => std::future::pending::<()>().await,
        _ => {}
    }
    let url = &req.url;
    let connect = connector.connect(url.host.clone(), url.port, req.dns_usable);
    let connected = match tokio::time::timeout(req.connect_timeout, connect).await {
        Ok(Ok(c)) => c,
        Ok(Err((OpenFailure::DnsFailed | OpenFailure::DnsBusy, cause))) => {
            return Err(fail(code::DNS_ERROR, cause))
        }
        Ok(Err((_, cause))) => return Err(fail(code::CONNECT_ERROR, cause)),
        Err(_) => {
            let cause = format!(
                "TCP connect got no answer within {} s (policy open-timeout)",
                req.connect_timeout.as_secs()
            );
            return Err(fail(code::CONNECT_ERROR, cause));
        }
    };
    let Some(tls) = &req.tls else { return Ok(connected.stream) };
    match req.fault {
        Some(OpenFault::HandshakeStall) => std::future::pending::<()>().await,
        Some(OpenFault::HandshakeAlert) => {
            return Err(fail(code::CONNECT_ERROR, "fault handshake_alert: the server refused the handshake"))
        }
        _ => {}
    }
    let handshake = super::tls_legacy::handshake(&tls.client, &tls.server_name, connected.stream);
    match tokio::time::timeout(tls.handshake_timeout, handshake).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(cause)) => Err(fail(code::CONNECT_ERROR, format!("TLS handshake failed: {cause}"))),
        Err(_) => Err(fail(
            code::CONNECT_ERROR,
            format!(
                "TLS handshake did not finish within negotiatetime ({} s)",
                tls.handshake_timeout.as_secs()
            ),
        )),
    }
}

/// The request as the module writes it (policy `http-request-head`).
pub fn request_bytes(req: &HttpRequest) -> Vec<u8> {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nAccept: */*\r\nUser-Agent: {USER_AGENT}\r\nConnection: close\r\n",
        req.method.name(),
        req.url.target,
        req.url.authority
    );
    if req.method == Method::Post {
        if let Some(ct) = req.content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(&req.body);
    out
}

/// A parsed response head and the bytes read after it.
struct Head {
    status: u16,
    content_length: Option<u64>,
    chunked: bool,
    bytes: Vec<u8>,
    rest: Vec<u8>,
}

async fn read_more(stream: &mut Box<dyn Stream>, buf: &mut Vec<u8>) -> Result<usize, HttpFailure> {
    let mut chunk = vec![0u8; READ_CHUNK];
    let n = stream.read(&mut chunk).await.map_err(|e| fail(code::READ_ERROR, format!("read failed: {e}")))?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

/// Read until a complete final (non-1xx) response head.
async fn read_head(stream: &mut Box<dyn Stream>) -> Result<Head, HttpFailure> {
    let mut buf = Vec::new();
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(&buf) {
            Ok(httparse::Status::Complete(n)) => {
                let status = resp.code.unwrap_or(0);
                if (100..200).contains(&status) {
                    // An interim response (100 Continue): the final one follows.
                    buf.drain(..n);
                    continue;
                }
                let value = |name: &str| {
                    resp.headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
                };
                let chunked = value("transfer-encoding").is_some_and(|v| v.contains("chunked"));
                let content_length = if chunked {
                    None
                } else {
                    match value("content-length") {
                        Some(v) => Some(v.parse::<u64>().map_err(|_| {
                            fail(code::RESPONSE_FAILED, format!("Content-Length {v:?} is not a number"))
                        })?),
                        None => None,
                    }
                };
                let rest = buf.split_off(n);
                return Ok(Head { status, content_length, chunked, bytes: buf, rest });
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => {
                return Err(fail(code::RESPONSE_FAILED, format!("the response head is malformed: {e}")))
            }
        }
        if buf.len() > MAX_HEAD {
            return Err(fail(
                code::RESPONSE_FAILED,
                format!("the response head is longer than {MAX_HEAD} bytes"),
            ));
        }
        if read_more(stream, &mut buf).await? == 0 {
            return Err(fail(
                code::SOCKET_CLOSED,
                "the server closed the connection before a complete response head",
            ));
        }
    }
}

/// [`read_more`] that fails with 722 after `idle` without bytes.
async fn read_within(
    idle: Duration,
    stream: &mut Box<dyn Stream>,
    buf: &mut Vec<u8>,
) -> Result<usize, HttpFailure> {
    match tokio::time::timeout(idle, read_more(stream, buf)).await {
        Ok(r) => r,
        Err(_) => Err(fail(code::READ_TIMEOUT, format!("no body bytes for {} s", idle.as_secs()))),
    }
}

/// How the body ends.
#[derive(Debug, Clone, Copy)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

/// Read the body, handing each piece to `deliver`; each read may wait up to `idle`.
async fn read_body<F, Fut>(
    stream: &mut Box<dyn Stream>,
    mut buf: Vec<u8>,
    framing: Framing,
    idle: Duration,
    mut deliver: F,
) -> Result<(), HttpFailure>
where
    F: FnMut(Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    match framing {
        Framing::Length(mut left) => loop {
            let take = buf.len().min(left as usize);
            if take > 0 {
                left -= take as u64;
                let data: Vec<u8> = buf.drain(..take).collect();
                if !deliver(data).await {
                    return Ok(());
                }
            }
            buf.clear();
            if left == 0 {
                return Ok(());
            }
            if read_within(idle, stream, &mut buf).await? == 0 {
                return Err(fail(
                    code::SOCKET_CLOSED,
                    format!("the server closed with {left} body bytes missing"),
                ));
            }
        },
        Framing::UntilClose => loop {
            if !buf.is_empty() && !deliver(std::mem::take(&mut buf)).await {
                return Ok(());
            }
            if read_within(idle, stream, &mut buf).await? == 0 {
                return Ok(());
            }
        },
        Framing::Chunked => loop {
            match httparse::parse_chunk_size(&buf) {
                Ok(httparse::Status::Complete((_, 0))) => return Ok(()),
                Ok(httparse::Status::Complete((start, size))) => {
                    let need = start + size as usize + 2;
                    while buf.len() < need {
                        if read_within(idle, stream, &mut buf).await? == 0 {
                            return Err(fail(code::SOCKET_CLOSED, "the server closed inside a chunk"));
                        }
                    }
                    if &buf[need - 2..need] != b"\r\n" {
                        return Err(fail(code::DECODE_ERROR, "a chunk does not end with CRLF"));
                    }
                    let data = buf[start..need - 2].to_vec();
                    buf.drain(..need);
                    if !deliver(data).await {
                        return Ok(());
                    }
                }
                Ok(httparse::Status::Partial) => {
                    if read_within(idle, stream, &mut buf).await? == 0 {
                        return Err(fail(code::SOCKET_CLOSED, "the server closed before the last chunk"));
                    }
                }
                Err(_) => return Err(fail(code::DECODE_ERROR, "a chunk size line is malformed")),
            }
        },
    }
}
