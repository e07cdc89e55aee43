//! `AT+CMUX`: start 27.010 multiplexing (basic option, UIH frames). The write form checks
//! the parameters (empty fields take the defaults), answers `OK` on the plain port and then
//! the port carries frames (see `crate::mux`). The read form prints the running parameters,
//! or the defaults outside mux mode; the test form lists the ranges (policy `cmux-params`).
//! Inside mux mode the write form answers `ERROR` (policy `cmux-params`).

use qsslsim_at::{Command, Kind};

use super::args::{params, wrong_form};
use super::{AtCommand, Family, Refusal};
use crate::ids::opt_int_param;
use crate::modem::{Flow, Modem};
use crate::mux::MuxParams;

/// The ranges, in parameter order: name, lowest, highest. One table for the write form's
/// checks and the test form's line.
const RANGES: [(&str, i64, i64); 9] = [
    ("<mode>", 0, 0),
    ("<subset>", 0, 0),
    ("<port_speed>", 1, 7),
    ("<N1>", 1, 32768),
    ("<T1>", 1, 255),
    ("<N2>", 0, 100),
    ("<T2>", 2, 255),
    ("<T3>", 1, 255),
    ("<k>", 1, 7),
];

pub enum Cmux {
    Read,
    Test,
    Write(MuxParams),
}

/// The parameters in the read form's order.
fn values(p: &MuxParams) -> [i64; 9] {
    [p.mode, p.subset, p.port_speed]
        .map(i64::from)
        .into_iter()
        .chain([i64::from(p.n1)])
        .chain([p.t1, p.n2, p.t2, p.t3, p.k].map(i64::from))
        .collect::<Vec<_>>()
        .try_into()
        .expect("nine values")
}

impl AtCommand for Cmux {
    const FAMILY: Family = Family::General;

    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Read => Ok(Cmux::Read),
            Kind::Test => Ok(Cmux::Test),
            Kind::Write(_) => {
                let p = params(cmd);
                if p.len() > RANGES.len() {
                    return Err(Refusal::invalid(format!(
                        "AT+CMUX takes at most 9 parameters, not {}",
                        p.len()
                    )));
                }
                if p.first().is_none_or(|m| m.is_omitted()) {
                    return Err(Refusal::invalid("AT+CMUX needs <mode>"));
                }
                let defaults = values(&MuxParams::default());
                let mut v = [0i64; 9];
                for (i, (name, lo, hi)) in RANGES.iter().enumerate() {
                    v[i] = opt_int_param(p.get(i), name, *lo, *hi, defaults[i])?;
                }
                // Every value is within its range above, so the casts hold.
                Ok(Cmux::Write(MuxParams {
                    mode: v[0] as u8,
                    subset: v[1] as u8,
                    port_speed: v[2] as u8,
                    n1: v[3] as u16,
                    t1: v[4] as u8,
                    n2: v[5] as u8,
                    t2: v[6] as u8,
                    t3: v[7] as u8,
                    k: v[8] as u8,
                }))
            }
            Kind::Exec => Err(wrong_form(cmd)),
        }
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Cmux::Read => {
                let p = m.channels.mux.as_ref().map(|x| x.params).unwrap_or_default();
                let text: Vec<String> = values(&p).iter().map(i64::to_string).collect();
                m.info(&format!("+CMUX: {}", text.join(",")));
            }
            Cmux::Test => {
                let lists: Vec<String> = RANGES
                    .iter()
                    .map(|(_, lo, hi)| if lo == hi { format!("({lo})") } else { format!("({lo}-{hi})") })
                    .collect();
                m.info(&format!("+CMUX: {}", lists.join(",")));
            }
            Cmux::Write(params) => {
                if m.channels.muxed() {
                    return Err(Refusal::invalid("AT+CMUX inside mux mode (policy cmux-params)"));
                }
                // Mux mode starts once the line's `OK` is written (see `Modem::consume_command`).
                m.channels.pending = Some(params);
            }
        }
        Ok(Flow::Done)
    }
}
