//! `AT+QICLOSE=<id>[,<timeout>]`: close a TCP/IP socket. A TCP connection waits up to
//! `<timeout>` seconds (default 10) for the peer's close and is then forced; UDP sockets and
//! listeners close at once. The closing itself is the SSL family's ([`super::ssl_close`]).

use std::time::Duration;

use qsslsim_at::{Command, Kind};

use super::args::params;
use super::ssl_close::{close, DEFAULT_CLOSE_TIMEOUT};
use super::{own_family, AtCommand, Family, Refusal};
use crate::ids::{count, opt_int_param, SocketId};
use crate::modem::{Flow, Modem};

const MAX_TIMEOUT: i64 = 65535;

pub enum Qiclose {
    Test,
    Close { id: SocketId, timeout: u64 },
}

impl AtCommand for Qiclose {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qiclose::Test);
        }
        let p = params(cmd);
        count(p, 1, 2, "1 or 2")?;
        let id = SocketId::param(p.first())?;
        let timeout = opt_int_param(p.get(1), "<timeout>", 0, MAX_TIMEOUT, DEFAULT_CLOSE_TIMEOUT)?;
        Ok(Qiclose::Close { id, timeout: timeout as u64 })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (id, timeout) = match self {
            Qiclose::Test => {
                m.info(&format!("+QICLOSE: {},(0-{MAX_TIMEOUT})", SocketId::test_form()));
                return Ok(Flow::Done);
            }
            Qiclose::Close { id, timeout } => (id, timeout),
        };
        own_family(m, id, false)?;
        Ok(close(m, id, Duration::from_secs(timeout), "AT+QICLOSE"))
    }
}
