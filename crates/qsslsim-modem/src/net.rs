//! The boundary between the sans-IO module and the network layer that the daemon runs:
//! actions the module asks for and events the network reports back. Every action and event
//! carries the connection serial so that late events from a closed connection are ignored.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::errors::OpenFailure;
use crate::fault::{LinkFault, OpenFault};

/// Everything the network layer needs to open one TLS connection.
#[derive(Clone)]
pub struct OpenRequest {
    pub id: u8,
    pub conn: u64,
    pub pdp: u8,
    /// Host name or address as the host typed it.
    pub host: String,
    pub port: u16,
    /// Whether the PDP context has a usable DNS server (names fail with 565 otherwise).
    pub dns_usable: bool,
    /// TCP or UDP.
    pub transport: Transport,
    /// The local port asked for (0: any).
    pub local_port: u16,
    /// The TLS layer over TCP (`AT+QSSLOPEN`); `None` for the TCP/IP family.
    pub tls: Option<TlsSetup>,
    /// How long the TCP connect may take before the open fails (policy `open-timeout`).
    pub connect_timeout: Duration,
    /// An armed open-time fault this open must suffer.
    pub fault: Option<OpenFault>,
    /// Extra time before connecting (timing profile `realistic`).
    pub delay: Duration,
    /// Link faults the connection starts with.
    pub link: Vec<LinkFault>,
}

/// The transport under a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}

/// What the TLS handshake of an SSL open needs.
#[derive(Clone)]
pub struct TlsSetup {
    /// The TLS engine and its configuration: rustls, or the second engine (OpenSSL) for what
    /// rustls refuses by design (`qsslsim_tls::rustls_can_honour`).
    pub client: qsslsim_tls::TlsClient,
    pub server_name: rustls::pki_types::ServerName<'static>,
    pub handshake_timeout: Duration,
}

/// A local endpoint to serve: a `"TCP LISTENER"` or a `"UDP SERVICE"`.
#[derive(Debug, Clone)]
pub struct ListenRequest {
    pub id: u8,
    pub conn: u64,
    pub transport: Transport,
    /// The module's local port; the daemon binds it on loopback (policy `listen-address`).
    pub port: u16,
    /// An armed open-time fault (a refused bind acts like `refuse_connect`).
    pub fault: Option<OpenFault>,
    pub link: Vec<LinkFault>,
}

impl std::fmt::Debug for OpenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenRequest")
            .field("id", &self.id)
            .field("conn", &self.conn)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("transport", &self.transport)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub enum NetAction {
    Open(OpenRequest),
    /// Write bytes to the TLS stream; the network answers with [`NetEvent::Sent`] once written.
    Send {
        id: u8,
        conn: u64,
        data: Vec<u8>,
    },
    /// Bind a listener or a UDP service; answered by [`NetEvent::Opened`] (bound) or
    /// [`NetEvent::OpenFailed`].
    Listen(ListenRequest),
    /// A `"UDP SERVICE"` datagram to `host`:`port` (mapped like an open's destination);
    /// answered with [`NetEvent::Sent`].
    SendTo {
        id: u8,
        conn: u64,
        host: String,
        port: u16,
        data: Vec<u8>,
    },
    /// Take the connection a listener offered ([`NetEvent::Incoming`]) as socket `id`'s
    /// connection `conn`; it is connected at once.
    Accept {
        ticket: u64,
        id: u8,
        conn: u64,
        link: Vec<LinkFault>,
    },
    /// Close the offered connection: no id was free.
    Reject {
        ticket: u64,
    },
    /// The module has room for `bytes` more received bytes.
    Grant {
        id: u8,
        conn: u64,
        bytes: usize,
    },
    /// Graceful close: flush, close_notify, wait for the peer up to `linger`, then drop;
    /// answered by [`NetEvent::Closed`].
    Close {
        id: u8,
        conn: u64,
        linger: Duration,
    },
    /// Drop the connection now (no answer).
    Abort {
        id: u8,
        conn: u64,
    },
    /// Apply a connection-level fault.
    Fault {
        id: u8,
        conn: u64,
        fault: LinkFault,
    },
    /// Run an IP service job (lookup, ping, NTP) that uses no socket; answered by
    /// [`NetEvent::Service`] events carrying the job's serial.
    Service(crate::ip_services::ServiceRequest),
    /// Run one HTTP(S) request (`AT+QHTTPGET`, `AT+QHTTPPOST`); answered by
    /// [`NetEvent::Http`] events carrying the request's serial.
    Http(crate::http::HttpRequest),
    /// A PPP data call started (`ATD*99#`, `AT+CGDATA="PPP"`): run a PPP server and an IP
    /// stack for it. `peer` is the address the host gets (the PDP context's), `dns` the
    /// servers IPCP hands out. Answered by [`NetEvent::PppData`] and [`NetEvent::PppEnded`].
    PppStart {
        session: u64,
        cid: u8,
        peer: Ipv4Addr,
        dns: [Ipv4Addr; 2],
    },
    /// Bytes the host wrote in PPP mode (HDLC frames, unparsed).
    PppData {
        session: u64,
        data: Vec<u8>,
    },
    /// The module wrote `bytes` more of the session's downlink to the host: that much more
    /// may come (see [`crate::ppp::DOWNLINK_WINDOW`]).
    PppGrant {
        session: u64,
        bytes: usize,
    },
    /// End the session (ATH, DTR with `AT&D2`, the context lost): LCP Terminate-Request, then
    /// drop everything; no answer.
    PppStop {
        session: u64,
    },
}

#[derive(Debug, Clone)]
pub enum NetEvent {
    Opened {
        id: u8,
        conn: u64,
        remote: SocketAddr,
        local_port: u16,
    },
    OpenFailed {
        id: u8,
        conn: u64,
        failure: OpenFailure,
        cause: String,
    },
    Data {
        id: u8,
        conn: u64,
        data: Vec<u8>,
    },
    Sent {
        id: u8,
        conn: u64,
        bytes: usize,
    },
    /// A datagram for a `"UDP SERVICE"`, with its sender.
    Datagram {
        id: u8,
        conn: u64,
        from: SocketAddr,
        data: Vec<u8>,
    },
    /// Listener `id` accepted a TCP connection from `remote`; the module answers with
    /// [`NetAction::Accept`] or [`NetAction::Reject`] naming `ticket`.
    Incoming {
        id: u8,
        conn: u64,
        ticket: u64,
        remote: SocketAddr,
    },
    /// The peer closed or the link dropped; no more data will come.
    RemoteClosed {
        id: u8,
        conn: u64,
        cause: String,
    },
    /// A [`NetAction::Close`] finished.
    Closed {
        id: u8,
        conn: u64,
    },
    /// An answer for an IP service job (no socket: see [`crate::ip_services`]).
    Service(crate::ip_services::ServiceEvent),
    /// An answer for an HTTP(S) request (no socket: see [`crate::http`]).
    Http(crate::http::HttpEvent),
    /// Bytes for the host from PPP session `session`.
    PppData {
        session: u64,
        data: Vec<u8>,
    },
    /// Something happened to one of the session's flows (a TCP connection dialled, refused
    /// or ended, a UDP flow, a DNS answer): traced as event `ppp` with `what` `flow`.
    PppFlow {
        session: u64,
        detail: String,
    },
    /// PPP session `session` is over (the host terminated LCP, negotiation failed).
    PppEnded {
        session: u64,
        why: String,
    },
}

impl NetEvent {
    /// The socket and connection serial the event is for; `None` for IP service, HTTP and
    /// PPP events, which name a job or a session instead.
    pub fn target(&self) -> Option<(u8, u64)> {
        Some(match *self {
            NetEvent::Opened { id, conn, .. }
            | NetEvent::OpenFailed { id, conn, .. }
            | NetEvent::Data { id, conn, .. }
            | NetEvent::Sent { id, conn, .. }
            | NetEvent::Datagram { id, conn, .. }
            | NetEvent::Incoming { id, conn, .. }
            | NetEvent::RemoteClosed { id, conn, .. }
            | NetEvent::Closed { id, conn } => (id, conn),
            NetEvent::Service(_)
            | NetEvent::Http(_)
            | NetEvent::PppData { .. }
            | NetEvent::PppFlow { .. }
            | NetEvent::PppEnded { .. } => return None,
        })
    }
}
