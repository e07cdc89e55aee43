//! `AT+QIOPEN`: open a `"TCP"` or `"UDP"` client, a `"TCP LISTENER"` or a `"UDP SERVICE"` on
//! the socket engine the SSL family uses: the same pool of ids, the same checks, the same
//! access modes. Modes 0/1 answer `OK` and later `+QIOPEN: <id>,<err>`; mode 2 answers
//! `CONNECT` or `ERROR` when the open ends.

use qsslsim_at::{Command, Kind};
use tracing::info;

use super::args::{host_param, params};
use super::ssl_open::{fail_open, refuse_blocked};
use super::{AtCommand, Family, Refusal};
use crate::errors::ErrorCode;
use crate::ids::{count, int_param, opt_int_param, string_param, ParamError, PdpCtxId, SocketId, SslCtxId};
use crate::modem::{Busy, Flow, Modem};
use crate::net::{ListenRequest, NetAction, OpenRequest, Transport};
use crate::scenario::EventKind;
use crate::socket::{AccessMode, OpenSpec, Service};

pub enum Qiopen {
    Test,
    Open { id: SocketId, spec: OpenSpec },
}

impl AtCommand for Qiopen {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qiopen::Test);
        }
        let p = params(cmd);
        count(p, 5, 7, "5 to 7")?;
        let pdp = PdpCtxId::param(p.first())?;
        let id = SocketId::param(p.get(1))?;
        let kind = string_param(p.get(2), "<service_type>")?;
        let service = Service::from_open_name(kind).ok_or(ParamError::BadString {
            name: "<service_type>",
            rule: "must be \"TCP\", \"UDP\", \"TCP LISTENER\" or \"UDP SERVICE\"",
        })?;
        let host = host_param(p.get(3), "<IP_address>/<domain_name>")?;
        let port = int_param(p.get(4), "<remote_port>", 0, 65535)? as u16;
        let local_port = opt_int_param(p.get(5), "<local_port>", 0, 65535, 0)? as u16;
        let (lo, hi) = AccessMode::RANGE;
        let mode = opt_int_param(p.get(6), "<access_mode>", lo, hi, 0)?;
        let mode = AccessMode::from_code(mode).expect("range checked against AccessMode::RANGE");
        match service {
            Service::Tcp | Service::Udp if port == 0 => {
                return Err(Refusal::invalid("<remote_port> 0: a client needs the server's port"));
            }
            Service::TcpListener | Service::UdpService if local_port == 0 => {
                return Err(Refusal::invalid(format!(
                    "<local_port> 0: a {} needs a port to serve",
                    service.name()
                )));
            }
            // Policy `ip-open-checks`: a listener or a UDP service has no single peer to stream
            // to and from, so the port cannot enter transparent mode on it.
            Service::TcpListener | Service::UdpService if mode == AccessMode::Transparent => {
                return Err(Refusal::invalid(format!(
                    "a {} cannot open in transparent mode",
                    service.name()
                )));
            }
            _ => {}
        }
        let ssl_ctx = SslCtxId::new(SslCtxId::FIRST).expect("first id is in range");
        let spec = OpenSpec { service, pdp, ssl_ctx, host: host.to_string(), port, local_port, mode };
        Ok(Qiopen::Open { id, spec })
    }

    fn fail_with(self, m: &mut Modem, code: ErrorCode) -> Result<Flow, Refusal> {
        match self {
            Qiopen::Test => self.apply(m),
            Qiopen::Open { id, spec } => fail_open(m, id, &spec, code),
        }
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (id, spec) = match self {
            Qiopen::Test => {
                m.info(&format!(
                    "+QIOPEN: {},{},\"TCP/UDP/TCP LISTENER/UDP SERVICE\",\"<IP_address>/<domain_name>\",<remote_port>,<local_port>,(0-2)",
                    PdpCtxId::test_form(),
                    SocketId::test_form()
                ));
                return Ok(Flow::Done);
            }
            Qiopen::Open { id, spec } => (id, spec),
        };
        if let Some(refused) = refuse_blocked(m, id, &spec) {
            return refused;
        }
        let conn = m.next_conn();
        let (service, host, port, local_port, mode, pdp) =
            (spec.service, spec.host.clone(), spec.port, spec.local_port, spec.mode, spec.pdp);
        m.sockets.begin_open(id, conn, spec);
        info!(%id, service = service.name(), %host, port, local_port, ?mode, "opening");
        let transport = if service.is_datagram() { Transport::Udp } else { Transport::Tcp };
        let fault = m.faults.take_open_fault(&host, false);
        let link = m.faults.link_defaults.clone();
        match service {
            Service::TcpListener | Service::UdpService => {
                m.net(NetAction::Listen(ListenRequest {
                    id: id.get(),
                    conn,
                    transport,
                    port: local_port,
                    fault,
                    link,
                }));
            }
            _ => {
                let dns_usable = m.pdp.get(pdp).dns_usable();
                m.net(NetAction::Open(OpenRequest {
                    id: id.get(),
                    conn,
                    pdp: pdp.get(),
                    host,
                    port,
                    dns_usable,
                    transport,
                    local_port,
                    tls: None,
                    connect_timeout: crate::policy::OPEN_CONNECT_TIMEOUT,
                    fault,
                    delay: m.cfg.timing.open_delay,
                    link,
                }));
            }
        }
        if mode == AccessMode::Transparent {
            m.busy = Some(Busy::OpenTransparent { id, conn });
        }
        m.scenario_event(EventKind::Open, id);
        Ok(if mode == AccessMode::Transparent { Flow::Suspend } else { Flow::Done })
    }
}
