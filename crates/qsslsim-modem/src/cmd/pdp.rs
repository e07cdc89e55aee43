//! PDP context commands: `AT+QICSGP` (APN), `AT+QIACT` / `AT+QIDEACT` (activation, and the
//! sockets that fall with a context), `AT+QIDNSCFG` (DNS servers).

use std::net::IpAddr;

use qsslsim_at::{Command, Kind, Param, ResultCode};

use super::args::{fail, int_in, invalid, opt_int_in, params, string};
use crate::errors;
use crate::modem::{Flow, Modem, Reply};
use crate::net::NetAction;
use crate::pdp::{local_address, FIRST_CONTEXT, LAST_CONTEXT};
use crate::socket::SocketState;

fn context(m: &mut Modem, p: Option<&Param>) -> Result<u8, ResultCode> {
    match int_in(p, FIRST_CONTEXT as i64, LAST_CONTEXT as i64) {
        Some(c) => Ok(c as u8),
        None => Err(invalid(m)),
    }
}

pub fn qicsgp(m: &mut Modem, cmd: &Command) -> Reply {
    if cmd.kind == Kind::Test {
        m.info("+QICSGP: (1-15),(1-3),<APN>,<username>,<password>,(0-3)");
        return Ok(Flow::Done);
    }
    let p = params(cmd);
    if p.is_empty() {
        return Err(invalid(m));
    }
    let ctx = context(m, p.first())?;
    if p.len() == 1 {
        let c = m.pdp.get(ctx).expect("range checked").clone();
        m.info(&format!("+QICSGP: {},\"{}\",\"{}\",\"{}\",{}", c.kind, c.apn, c.user, c.password, c.auth));
        return Ok(Flow::Done);
    }
    if !(5..=6).contains(&p.len()) {
        return Err(invalid(m));
    }
    let kind = int_in(p.get(1), 1, 3);
    let (apn, user, pwd) = (string(p.get(2)), string(p.get(3)), string(p.get(4)));
    let auth = opt_int_in(p.get(5), 0, 3, 0);
    match (kind, apn, user, pwd, auth) {
        (Some(kind), Some(apn), Some(user), Some(pwd), Some(auth))
            if apn.len() <= 100 && user.len() <= 127 && pwd.len() <= 127 =>
        {
            let c = m.pdp.get_mut(ctx).expect("range checked");
            c.kind = kind as u8;
            c.apn = apn.into();
            c.user = user.into();
            c.password = pwd.into();
            c.auth = auth as u8;
            Ok(Flow::Done)
        }
        _ => Err(invalid(m)),
    }
}

pub fn qiact(m: &mut Modem, cmd: &Command) -> Reply {
    match &cmd.kind {
        Kind::Test => m.info("+QIACT: (1-15)"),
        Kind::Read => {
            let lines: Vec<String> = m
                .pdp
                .active()
                .map(|(ctx, c)| format!("+QIACT: {ctx},1,{},\"{}\"", c.kind, local_address(ctx)))
                .collect();
            for line in lines {
                m.info(&line);
            }
        }
        Kind::Write(p) if p.len() == 1 => {
            let ctx = context(m, p.first())?;
            if m.cfun != 1 || m.pdp.is_active(ctx) {
                return Err(fail(m, errors::OPEN_PDP_FAILED));
            }
            m.pdp.get_mut(ctx).expect("range checked").active = true;
            m.last_error = errors::OK;
        }
        _ => return Err(invalid(m)),
    }
    Ok(Flow::Done)
}

pub fn qideact(m: &mut Modem, cmd: &Command) -> Reply {
    match &cmd.kind {
        Kind::Test => m.info("+QIDEACT: (1-15)"),
        Kind::Write(p) if p.len() == 1 => {
            let ctx = context(m, p.first())?;
            deactivate(m, ctx, false);
            m.last_error = errors::OK;
        }
        _ => return Err(invalid(m)),
    }
    Ok(Flow::Done)
}

/// Deactivate `ctx` and drop its sockets: open ones report `"closed"`, opening ones fail with
/// 570. With `network_lost` the module also reports `+QIURC: "pdpdeact",<ctx>`.
pub fn deactivate(m: &mut Modem, ctx: u8, network_lost: bool) {
    if let Some(c) = m.pdp.get_mut(ctx) {
        c.active = false;
    }
    for id in 0..m.sockets.len() as u8 {
        let sock = &m.sockets[id as usize];
        if sock.pdp != ctx {
            continue;
        }
        let (state, conn) = (sock.state, sock.conn);
        match state {
            SocketState::Connected | SocketState::HostClosing => {
                m.net(NetAction::Abort { id, conn });
                super::ssl_net::connection_lost(m, id, "PDP context deactivated");
            }
            SocketState::Opening => {
                m.net(NetAction::Abort { id, conn });
                super::ssl_net::open_failed(m, id, errors::PDP_BROKEN, "PDP context deactivated");
            }
            SocketState::Initial | SocketState::Closing => {}
        }
    }
    if network_lost {
        m.urc(&format!("+QIURC: \"pdpdeact\",{ctx}"));
    }
}

pub fn qidnscfg(m: &mut Modem, cmd: &Command) -> Reply {
    if cmd.kind == Kind::Test {
        m.info("+QIDNSCFG: (1-15),<pridnsaddr>,<secdnsaddr>");
        return Ok(Flow::Done);
    }
    let p = params(cmd);
    if p.is_empty() || p.len() > 3 {
        return Err(invalid(m));
    }
    let ctx = context(m, p.first())?;
    if p.len() == 1 {
        let c = m.pdp.get(ctx).expect("range checked").clone();
        m.info(&format!("+QIDNSCFG: {ctx},\"{}\",\"{}\"", c.dns_primary, c.dns_secondary));
        return Ok(Flow::Done);
    }
    let addr = |p: Option<&Param>| -> Option<Option<String>> {
        match p {
            None | Some(Param::Omitted) => Some(None),
            Some(p) => p.string().filter(|s| s.parse::<IpAddr>().is_ok()).map(|s| Some(s.to_string())),
        }
    };
    let (Some(pri), Some(sec)) = (addr(p.get(1)), addr(p.get(2))) else {
        return Err(invalid(m));
    };
    let c = m.pdp.get_mut(ctx).expect("range checked");
    if let Some(pri) = pri {
        c.dns_primary = pri;
    }
    if let Some(sec) = sec {
        c.dns_secondary = sec;
    }
    Ok(Flow::Done)
}
