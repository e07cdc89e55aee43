//! `AT+QSSLCFG`: set, query and list the settings of the six SSL contexts. The item table
//! (names, ranges, defaults, test-form lines) lives in `qsslsim_tls::settings`.

use qsslsim_at::{Command, Kind};
use qsslsim_tls::SslSettings;

use super::args::{int_in, invalid, params, string};
use crate::errors;
use crate::modem::{Flow, Modem, Reply};
use crate::ssl::SSL_CONTEXT_COUNT;

pub fn qsslcfg(m: &mut Modem, cmd: &Command) -> Reply {
    if cmd.kind == Kind::Test {
        for line in qsslsim_tls::settings::test_lines() {
            m.info(&line);
        }
        return Ok(Flow::Done);
    }
    let p = params(cmd);
    if string(p.first()).is_some_and(|item| item.eq_ignore_ascii_case(CACERTEX)) {
        return cacertex(m, &p[1..]);
    }
    let (Some(item), Some(ctx)) = (string(p.first()), int_in(p.get(1), 0, SSL_CONTEXT_COUNT as i64 - 1))
    else {
        return Err(invalid(m));
    };
    let ctx = ctx as u8;
    let values = &p[2..];
    let settings = &mut m.ssl[ctx as usize].settings;
    if SslSettings::is_query(item, values) {
        match settings.query(item, ctx, values) {
            Ok(lines) => {
                for line in lines {
                    m.info(&line);
                }
            }
            Err(_) => return Err(invalid(m)),
        }
    } else if settings.set(item, values).is_err() {
        return Err(invalid(m));
    }
    m.last_error = errors::OK;
    Ok(Flow::Done)
}

const CACERTEX: &str = "cacertex";

/// `AT+QSSLCFG="cacertex"[,<ca_id>[,<path>]]`: six extra CA entries shared by every SSL
/// context (the maker's form has no `<SSL_ctxID>`).
fn cacertex(m: &mut Modem, values: &[qsslsim_at::Param]) -> Reply {
    let result = if SslSettings::is_query(CACERTEX, values) {
        m.ssl[0].settings.query(CACERTEX, 0, values).map(|lines| {
            for line in lines {
                m.info(&line);
            }
        })
    } else {
        m.ssl.iter_mut().try_for_each(|ctx| ctx.settings.set(CACERTEX, values))
    };
    match result {
        Ok(()) => {
            m.last_error = errors::OK;
            Ok(Flow::Done)
        }
        Err(_) => Err(invalid(m)),
    }
}
