//! Starting a PPP data call: `ATD*99#` / `ATD*99***<cid>#` (the 27.007 packet-service dial
//! string `*99[*[<called_address>][*[<L2P>][*[<cid>]]]]#`) and `AT+CGDATA="PPP"[,<cid>]`. The
//! dial activates the context and answers `CONNECT`; the port is then in PPP mode (see
//! [`crate::ppp`]). A dial that cannot activate the context answers `NO CARRIER` (policy
//! `ppp-dial`); other dial strings (voice, CSD) answer `ERROR`.

use qsslsim_at::{Command, Kind, Param, ResultCode};

use super::args::{params, wrong_form};
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, PdpCtxId};
use crate::modem::{Flow, Modem};

/// The context a dial uses when the dial string names none.
const DEFAULT_CID: u8 = 1;

/// `ATD<dial string>`.
pub struct Dial {
    cid: PdpCtxId,
}

/// The context of a packet-service dial string (after `ATD`, upper-cased, spaces gone).
pub fn packet_dial(dial: &str) -> Result<PdpCtxId, String> {
    let dial = dial.strip_prefix(['T', 'P']).unwrap_or(dial);
    let refuse = || {
        format!("dial string {dial:?} is not a packet-service dial (*99#); voice and CSD are not emulated")
    };
    let body = dial.strip_prefix("*99").and_then(|s| s.strip_suffix('#')).ok_or_else(refuse)?;
    if !body.is_empty() && !body.starts_with('*') {
        return Err(refuse());
    }
    let mut fields = body.strip_prefix('*').map(|s| s.split('*').collect::<Vec<_>>()).unwrap_or_default();
    if fields.len() > 3 {
        return Err(format!("dial string {dial:?} has too many fields"));
    }
    fields.resize(3, "");
    let (l2p, cid) = (fields[1], fields[2]);
    if !(l2p.is_empty() || l2p == "1" || l2p.eq_ignore_ascii_case("PPP")) {
        return Err(format!("layer 2 protocol {l2p:?} is not PPP"));
    }
    if cid.is_empty() {
        return Ok(PdpCtxId::new(DEFAULT_CID).expect("context 1 exists"));
    }
    cid.parse::<u8>().ok().and_then(PdpCtxId::new).ok_or_else(|| format!("context {cid:?} is not 1 to 15"))
}

impl AtCommand for Dial {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match params(cmd) {
            [Param::Bare(dial)] => Ok(Dial { cid: packet_dial(dial).map_err(Refusal::invalid)? }),
            _ => Err(Refusal::invalid("ATD without a dial string")),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        call(m, self.cid)
    }
}

/// `AT+CGDATA`: enter data state with PPP on a context.
pub enum Cgdata {
    Test,
    Enter(PdpCtxId),
}

impl AtCommand for Cgdata {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        let default = PdpCtxId::new(DEFAULT_CID).expect("context 1 exists");
        match &cmd.kind {
            Kind::Test => Ok(Cgdata::Test),
            Kind::Exec => Ok(Cgdata::Enter(default)),
            Kind::Write(p) => {
                count(p, 1, 2, "1 or 2")?;
                match &p[0] {
                    Param::Omitted => {}
                    Param::Quoted(l2p) if l2p.eq_ignore_ascii_case("PPP") => {}
                    other => {
                        return Err(Refusal::cme(
                            4,
                            format!("<L2P> {other:?} is not supported: only \"PPP\""),
                        ))
                    }
                }
                match p.get(1) {
                    None | Some(Param::Omitted) => Ok(Cgdata::Enter(default)),
                    some => Ok(Cgdata::Enter(PdpCtxId::param(some)?)),
                }
            }
            Kind::Read => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Cgdata::Test => {
                m.info("+CGDATA: (\"PPP\")");
                Ok(Flow::Done)
            }
            Cgdata::Enter(cid) => call(m, cid),
        }
    }
}

/// Check, activate `cid` and start the call: `CONNECT`, or why not.
fn call(m: &mut Modem, cid: PdpCtxId) -> Result<Flow, Refusal> {
    crate::ppp::check_dial(m, cid).map_err(|(code, why)| Refusal::code(code, why))?;
    if let Err((code, why)) = super::pdp::activate(m, cid) {
        return Err(Refusal { result: ResultCode::NoCarrier, code, why: format!("{why} (policy ppp-dial)") });
    }
    crate::ppp::start(m, cid);
    Ok(Flow::Suspend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_dial_strings() {
        let cid = |s| packet_dial(s).map(PdpCtxId::get);
        assert_eq!(cid("*99#"), Ok(1));
        assert_eq!(cid("*99***1#"), Ok(1));
        assert_eq!(cid("T*99***3#"), Ok(3));
        assert_eq!(cid("*99*#"), Ok(1));
        assert_eq!(cid("*99**1*2#"), Ok(2));
        assert!(cid("*99**7*1#").is_err());
        assert!(cid("*99***16#").is_err());
        assert!(cid("*99***1*2#").is_err());
        assert!(cid("5551234").is_err());
        assert!(cid("*98#").is_err());
        assert!(cid("*991#").is_err());
    }
}
