//! `AT+QSSLCFG`: set, query and list the settings of the six SSL contexts. The item table
//! (names, ranges, defaults, test-form lines) lives in `qsslsim_tls::settings`.

use qsslsim_at::{Command, Kind, Param};
use qsslsim_tls::SslSettings;

use super::args::params;
use super::{AtCommand, Family, Refusal};
use crate::ids::{string_param, SslCtxId};
use crate::modem::{Flow, Modem};

const CACERTEX: &str = "cacertex";

pub enum Qsslcfg {
    Test,
    /// `AT+QSSLCFG="<item>",<ctx>[,<values>...]`.
    Item {
        item: String,
        ctx: SslCtxId,
        values: Vec<Param>,
    },
    /// `AT+QSSLCFG="cacertex"[,<ca_id>[,<path>]]`: six extra CA entries shared by every SSL
    /// context (the maker's form has no `<SSL_ctxID>`).
    CaCertEx {
        values: Vec<Param>,
    },
}

impl AtCommand for Qsslcfg {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qsslcfg::Test);
        }
        let p = params(cmd);
        let item = string_param(p.first(), "<item>")?;
        if item.eq_ignore_ascii_case(CACERTEX) {
            return Ok(Qsslcfg::CaCertEx { values: p[1..].to_vec() });
        }
        if let Some(why) = super::absent::ssl_item(item) {
            return Err(Refusal::invalid(why));
        }
        let ctx = SslCtxId::param(p.get(1))?;
        Ok(Qsslcfg::Item { item: item.to_string(), ctx, values: p[2..].to_vec() })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let lines = match self {
            Qsslcfg::Test => qsslsim_tls::settings::test_lines(),
            Qsslcfg::Item { item, ctx, values } => {
                let settings = &mut m.ssl[ctx.index()].settings;
                let result = if SslSettings::is_query(&item, &values) {
                    settings.query(&item, ctx.get(), &values)
                } else {
                    settings.set(&item, &values).map(|()| Vec::new())
                };
                result.map_err(|e| Refusal::invalid(format!("\"{item}\" on SSL context {ctx}: {e}")))?
            }
            Qsslcfg::CaCertEx { values } => {
                let result = if SslSettings::is_query(CACERTEX, &values) {
                    m.ssl[0].settings.query(CACERTEX, 0, &values)
                } else {
                    m.ssl
                        .iter_mut()
                        .try_for_each(|ctx| ctx.settings.set(CACERTEX, &values))
                        .map(|()| Vec::new())
                };
                result.map_err(|e| Refusal::invalid(format!("\"cacertex\": {e}")))?
            }
        };
        for line in lines {
            m.info(&line);
        }
        Ok(Flow::Done)
    }
}
