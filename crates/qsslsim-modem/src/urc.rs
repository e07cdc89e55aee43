//! Every unsolicited report the module writes, as one enum with one encoder: the texts live
//! here and nowhere else. Push-mode data frames (`+QSSLURC: "recv",<id>,<len>` followed by the
//! bytes, and the TCP/IP family's `+QIURC: "recv",<id>,<len>[,"<ip>",<port>]`) are encoded here
//! too. The SSL and TCP/IP families report the same events with different texts; the
//! constructors [`Urc::open_result`], [`Urc::recv`] and [`Urc::closed`] pick by the socket's
//! kind.

use std::fmt;

use qsslsim_at::Framing;

use crate::errors::ErrorCode;
use crate::ids::{PdpCtxId, SocketId};
use crate::socket::Service;

/// An unsolicited report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Urc {
    /// `+QSSLOPEN: <id>,<err>`: the result of an open in buffer or push mode.
    SslOpen { id: SocketId, err: ErrorCode },
    /// `+QSSLURC: "recv",<id>`: data waits in a buffer-mode socket.
    SslRecv { id: SocketId },
    /// `+QSSLURC: "closed",<id>`: the connection ended without the host asking.
    SslClosed { id: SocketId },
    /// `+QIOPEN: <id>,<err>`: the result of a TCP/IP open in buffer or push mode.
    IpOpen { id: SocketId, err: ErrorCode },
    /// `+QIURC: "recv",<id>` (or with `,<len>` when `AT+QICFG="recvind",1`): data waits in a
    /// buffer-mode TCP/IP socket.
    IpRecv { id: SocketId, len: Option<usize> },
    /// `+QIURC: "closed",<id>`: a TCP/IP connection ended without the host asking.
    IpClosed { id: SocketId },
    /// `+QIURC: "incoming",<id>,<server>,"<ip>",<port>`: a listener accepted a connection.
    Incoming { id: SocketId, server: SocketId, remote: std::net::SocketAddr },
    /// `+QIURC: "incoming full"`: a listener could not give a connection an id.
    IncomingFull,
    /// `+QIURC: "pdpdeact",<ctx>`: the network deactivated a PDP context.
    PdpDeact { ctx: PdpCtxId },
    /// `RDY`: the module finished starting.
    Ready,
    /// `+CREG: <stat>`, `+CGREG: <stat>` or `+CEREG: <stat>` (report setting 1), with
    /// `,"<tac>","<ci>",<AcT>` (setting 2, while registered): registration changed.
    Registration { kind: RegKind, stat: u8, location: Option<String> },
    /// A fixed line of the boot output or power-down (`+CFUN: 1`, `+CPIN: READY`,
    /// `+QUSIM: 1`, `+QIND: SMS DONE`, `POWERED DOWN`).
    Boot(&'static str),
    /// `+CTZV: <tz>` (`AT+CTZR=1`) or `+CTZE: "<tz>",<dst>,"<time>"` (`AT+CTZR=2`): the
    /// network changed the time zone. The whole text.
    TimeZone(String),
    /// `+CGEV: <event>` (`AT+CGEREP` on): a packet-domain event, e.g. `NW PDN DEACT 1`,
    /// `NW DETACH`.
    Cgev(String),
    /// `+QIURC: "dnsgip",<err>[,<IP_count>,<DNS_ttl>]`: the head of an `AT+QIDNSGIP` answer
    /// (count and lifetime only when err is 0).
    DnsGip { err: ErrorCode, found: Option<(usize, u64)> },
    /// `+QIURC: "dnsgip","<addr>"`: one address of an `AT+QIDNSGIP` answer.
    DnsGipAddr(std::net::IpAddr),
    /// `+QPING: 0,"<ip>",32,<time>,<ttl>` (a reply) or `+QPING: <err>` (an echo lost).
    PingEcho { err: ErrorCode, reply: Option<crate::ip_services::EchoReply> },
    /// `+QPING: 0,<sent>,<rcvd>,<lost>,<min>,<max>,<avg>` (the ping finished) or
    /// `+QPING: <err>` (it failed as a whole).
    PingSummary { err: ErrorCode, stats: Option<PingStats> },
    /// `+QNTP: 0,"<time>"` or `+QNTP: <err>`.
    Ntp { err: ErrorCode, time: Option<String> },
    /// `+QHTTPGET: <err>[,<httprspcode>[,<content_length>]]` (or `+QHTTPPOST: ...`): an HTTP
    /// request's outcome, reported when the response head arrived or the request failed.
    HttpResult { method: crate::http::Method, err: u16, status: Option<u16>, length: Option<u64> },
    /// `+QHTTPREAD: <err>`: the end of an `AT+QHTTPREAD` body.
    HttpRead { err: u16 },
}

/// Bytes in every echo `AT+QPING` reports (every hardware capture shows 32).
pub const PING_BYTES: u32 = 32;

/// The counts and round-trip times (ms) of a finished ping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingStats {
    pub sent: u32,
    pub rcvd: u32,
    pub lost: u32,
    pub min: u32,
    pub max: u32,
    pub avg: u32,
}

/// Which registration report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegKind {
    Creg,
    Cgreg,
    Cereg,
}

impl RegKind {
    pub fn prefix(self) -> &'static str {
        match self {
            RegKind::Creg => "+CREG",
            RegKind::Cgreg => "+CGREG",
            RegKind::Cereg => "+CEREG",
        }
    }
}

impl Urc {
    /// The open result for a socket of kind `service`.
    pub fn open_result(service: Service, id: SocketId, err: ErrorCode) -> Urc {
        if service.is_ssl() {
            Urc::SslOpen { id, err }
        } else {
            Urc::IpOpen { id, err }
        }
    }

    /// Data waits in a buffer-mode socket of kind `service`; `len` is reported by the TCP/IP
    /// family when `recvind` asks for it.
    pub fn recv(service: Service, id: SocketId, len: Option<usize>) -> Urc {
        if service.is_ssl() {
            Urc::SslRecv { id }
        } else {
            Urc::IpRecv { id, len }
        }
    }

    /// The connection of a socket of kind `service` ended without the host asking.
    pub fn closed(service: Service, id: SocketId) -> Urc {
        if service.is_ssl() {
            Urc::SslClosed { id }
        } else {
            Urc::IpClosed { id }
        }
    }

    /// Whether this report follows something the network did (so it cannot come sooner than
    /// a network round trip after the command that caused it).
    pub fn from_network(&self) -> bool {
        !matches!(self, Urc::Ready | Urc::Boot(_))
    }

    /// The socket this report is about, if any.
    pub fn socket(&self) -> Option<SocketId> {
        match self {
            Urc::SslOpen { id, .. }
            | Urc::SslRecv { id }
            | Urc::SslClosed { id }
            | Urc::IpOpen { id, .. }
            | Urc::IpRecv { id, .. }
            | Urc::IpClosed { id }
            | Urc::Incoming { id, .. } => Some(*id),
            Urc::PdpDeact { .. }
            | Urc::IncomingFull
            | Urc::Ready
            | Urc::Registration { .. }
            | Urc::Cgev(_)
            | Urc::Boot(_)
            | Urc::TimeZone(_)
            | Urc::DnsGip { .. }
            | Urc::DnsGipAddr(_)
            | Urc::PingEcho { .. }
            | Urc::PingSummary { .. }
            | Urc::Ntp { .. }
            | Urc::HttpResult { .. }
            | Urc::HttpRead { .. } => None,
        }
    }

    /// The report framed for the port (`<CR><LF>text<CR><LF>`).
    pub fn encode(&self, framing: &Framing) -> Vec<u8> {
        let mut out = Vec::new();
        framing.urc(&self.to_string(), &mut out);
        out
    }
}

impl fmt::Display for Urc {
    /// The report's text without framing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Urc::SslOpen { id, err } => write!(f, "+QSSLOPEN: {id},{err}"),
            Urc::SslRecv { id } => write!(f, "+QSSLURC: \"recv\",{id}"),
            Urc::SslClosed { id } => write!(f, "+QSSLURC: \"closed\",{id}"),
            Urc::IpOpen { id, err } => write!(f, "+QIOPEN: {id},{err}"),
            Urc::IpRecv { id, len: None } => write!(f, "+QIURC: \"recv\",{id}"),
            Urc::IpRecv { id, len: Some(len) } => write!(f, "+QIURC: \"recv\",{id},{len}"),
            Urc::IpClosed { id } => write!(f, "+QIURC: \"closed\",{id}"),
            Urc::Incoming { id, server, remote } => {
                write!(f, "+QIURC: \"incoming\",{id},{server},\"{}\",{}", remote.ip(), remote.port())
            }
            Urc::IncomingFull => f.write_str("+QIURC: \"incoming full\""),
            Urc::PdpDeact { ctx } => write!(f, "+QIURC: \"pdpdeact\",{ctx}"),
            Urc::Ready => f.write_str("RDY"),
            Urc::Boot(text) => f.write_str(text),
            Urc::TimeZone(text) => f.write_str(text),
            Urc::Cgev(event) => write!(f, "+CGEV: {event}"),
            Urc::DnsGip { err, found: Some((count, ttl)) } => {
                write!(f, "+QIURC: \"dnsgip\",{err},{count},{ttl}")
            }
            Urc::DnsGip { err, found: None } => write!(f, "+QIURC: \"dnsgip\",{err}"),
            Urc::DnsGipAddr(addr) => write!(f, "+QIURC: \"dnsgip\",\"{addr}\""),
            Urc::PingEcho { err, reply: Some(r) } => {
                write!(f, "+QPING: {err},\"{}\",{PING_BYTES},{},{}", r.addr, r.time_ms, r.ttl)
            }
            Urc::PingEcho { err, reply: None } | Urc::PingSummary { err, stats: None } => {
                write!(f, "+QPING: {err}")
            }
            Urc::PingSummary { err, stats: Some(s) } => {
                write!(f, "+QPING: {err},{},{},{},{},{},{}", s.sent, s.rcvd, s.lost, s.min, s.max, s.avg)
            }
            Urc::Ntp { err, time: Some(time) } => write!(f, "+QNTP: {err},\"{time}\""),
            Urc::Ntp { err, time: None } => write!(f, "+QNTP: {err}"),
            Urc::HttpResult { method, err, status, length } => {
                write!(f, "+QHTTP{}: {err}", method.name())?;
                if let Some(status) = status {
                    write!(f, ",{status}")?;
                    if let Some(length) = length {
                        write!(f, ",{length}")?;
                    }
                }
                Ok(())
            }
            Urc::HttpRead { err } => write!(f, "+QHTTPREAD: {err}"),
            Urc::Registration { kind, stat, location } => {
                write!(f, "{}: {stat}", kind.prefix())?;
                match location {
                    Some(loc) => write!(f, ",{loc}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// A push-mode data frame: `<CR><LF>` and the header line ([`push_text`]) `<CR><LF>`, then the
/// bytes, with nothing after them.
pub fn push_frame(
    service: Service,
    id: SocketId,
    from: Option<std::net::SocketAddr>,
    data: &[u8],
) -> Vec<u8> {
    let mut out = format!("\r\n{}\r\n", push_text(service, id, from, data.len())).into_bytes();
    out.extend_from_slice(data);
    out
}

/// The header of a push frame: `+QSSLURC: "recv",<id>,<len>` for SSL,
/// `+QIURC: "recv",<id>,<len>` for TCP/IP, and for a `"UDP SERVICE"` the sender appended as
/// `,"<ip>",<port>`.
pub fn push_text(service: Service, id: SocketId, from: Option<std::net::SocketAddr>, len: usize) -> String {
    match (service, from) {
        (Service::Ssl, _) => format!("+QSSLURC: \"recv\",{id},{len}"),
        (Service::UdpService, Some(from)) => {
            format!("+QIURC: \"recv\",{id},{len},\"{}\",{}", from.ip(), from.port())
        }
        _ => format!("+QIURC: \"recv\",{id},{len}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> SocketId {
        SocketId::new(n).unwrap()
    }

    #[test]
    fn texts_are_the_makers() {
        assert_eq!(Urc::SslOpen { id: id(3), err: ErrorCode::Ok }.to_string(), "+QSSLOPEN: 3,0");
        assert_eq!(Urc::SslOpen { id: id(0), err: ErrorCode::DnsFailed }.to_string(), "+QSSLOPEN: 0,565");
        assert_eq!(Urc::SslRecv { id: id(4) }.to_string(), "+QSSLURC: \"recv\",4");
        assert_eq!(Urc::SslClosed { id: id(11) }.to_string(), "+QSSLURC: \"closed\",11");
        let ctx = PdpCtxId::new(1).unwrap();
        assert_eq!(Urc::PdpDeact { ctx }.to_string(), "+QIURC: \"pdpdeact\",1");
        assert_eq!(Urc::Ready.encode(&Framing::default()), b"\r\nRDY\r\n");
        let reg = Urc::Registration {
            kind: RegKind::Cereg,
            stat: 5,
            location: Some("\"1A2B\",\"00C3D4E5\",7".into()),
        };
        assert_eq!(reg.to_string(), "+CEREG: 5,\"1A2B\",\"00C3D4E5\",7");
    }

    #[test]
    fn ip_service_texts() {
        let ok = ErrorCode::Ok;
        assert_eq!(Urc::DnsGip { err: ok, found: Some((2, 300)) }.to_string(), "+QIURC: \"dnsgip\",0,2,300");
        assert_eq!(
            Urc::DnsGip { err: ErrorCode::DnsFailed, found: None }.to_string(),
            "+QIURC: \"dnsgip\",565"
        );
        let addr = "127.0.0.1".parse().unwrap();
        assert_eq!(Urc::DnsGipAddr(addr).to_string(), "+QIURC: \"dnsgip\",\"127.0.0.1\"");
        let reply = crate::ip_services::EchoReply { addr, time_ms: 7, ttl: 255 };
        assert_eq!(
            Urc::PingEcho { err: ok, reply: Some(reply) }.to_string(),
            "+QPING: 0,\"127.0.0.1\",32,7,255"
        );
        assert_eq!(Urc::PingEcho { err: ErrorCode::Timeout, reply: None }.to_string(), "+QPING: 569");
        let stats = PingStats { sent: 4, rcvd: 3, lost: 1, min: 1, max: 9, avg: 4 };
        assert_eq!(Urc::PingSummary { err: ok, stats: Some(stats) }.to_string(), "+QPING: 0,4,3,1,1,9,4");
        let time = Some("2026/08/06,12:40:04+32".to_string());
        assert_eq!(Urc::Ntp { err: ok, time }.to_string(), "+QNTP: 0,\"2026/08/06,12:40:04+32\"");
        assert_eq!(Urc::Ntp { err: ErrorCode::Timeout, time: None }.to_string(), "+QNTP: 569");
    }

    #[test]
    fn push_frames_carry_the_bytes_raw() {
        assert_eq!(
            push_frame(Service::Ssl, id(2), None, b"ab\r\n"),
            b"\r\n+QSSLURC: \"recv\",2,4\r\nab\r\n".to_vec()
        );
        assert_eq!(push_frame(Service::Tcp, id(1), None, b"xy"), b"\r\n+QIURC: \"recv\",1,2\r\nxy".to_vec());
        let from = Some("127.0.0.1:7000".parse().unwrap());
        assert_eq!(
            push_frame(Service::UdpService, id(0), from, b"z"),
            b"\r\n+QIURC: \"recv\",0,1,\"127.0.0.1\",7000\r\nz".to_vec()
        );
    }

    #[test]
    fn tcpip_texts_are_the_makers() {
        assert_eq!(Urc::IpOpen { id: id(0), err: ErrorCode::Ok }.to_string(), "+QIOPEN: 0,0");
        assert_eq!(Urc::IpRecv { id: id(2), len: None }.to_string(), "+QIURC: \"recv\",2");
        assert_eq!(Urc::IpRecv { id: id(2), len: Some(9) }.to_string(), "+QIURC: \"recv\",2,9");
        assert_eq!(Urc::IpClosed { id: id(5) }.to_string(), "+QIURC: \"closed\",5");
        let remote = "127.0.0.1:62060".parse().unwrap();
        assert_eq!(
            Urc::Incoming { id: id(11), server: id(0), remote }.to_string(),
            "+QIURC: \"incoming\",11,0,\"127.0.0.1\",62060"
        );
        assert_eq!(Urc::IncomingFull.to_string(), "+QIURC: \"incoming full\"");
    }
}
