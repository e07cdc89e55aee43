//! `AT+QENG`: the maker's engineering-mode cell report. `"servingcell"` prints the LTE serving
//! cell line from the same network state as `AT+QNWINFO`, `AT+QCSQ` and `AT+CEREG`
//! ([`crate::registration`]); `"neighbourcell"` lists no cells, as none are simulated (policy
//! `qeng`).

use qsslsim_at::{Command, Kind};

use super::args::{params, wrong_form};
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, string_param};
use crate::modem::{Flow, Modem};
use crate::registration::{self, DENIED};

/// The cell types `AT+QENG` knows, as the test form lists them.
const CELL_TYPES: &[&str] = &["servingcell", "neighbourcell"];

/// `AT+QENG="<cell_type>"`.
pub enum Qeng {
    Test,
    ServingCell,
    NeighbourCell,
}

impl AtCommand for Qeng {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match cmd.kind {
            Kind::Test => return Ok(Qeng::Test),
            Kind::Write(_) => {}
            _ => return Err(wrong_form(cmd)),
        }
        let p = params(cmd);
        count(p, 1, 1, "1")?;
        let cell_type = string_param(p.first(), "<cell_type>")?.to_ascii_lowercase();
        match cell_type.as_str() {
            "servingcell" => Ok(Qeng::ServingCell),
            "neighbourcell" => Ok(Qeng::NeighbourCell),
            _ => Err(Refusal::invalid(format!(
                "<cell_type> {cell_type:?} is not servingcell or neighbourcell"
            ))),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qeng::Test => {
                let list: Vec<String> = CELL_TYPES.iter().map(|t| format!("\"{t}\"")).collect();
                m.info(&format!("+QENG: ({})", list.join(",")));
            }
            Qeng::ServingCell => {
                let line = serving_cell_line(m);
                m.info(&line);
            }
            Qeng::NeighbourCell => {}
        }
        Ok(Flow::Done)
    }
}

/// `+QENG: "servingcell",<state>,"LTE",<is_tdd>,<mcc>,<mnc>,<cellID>,<pcid>,<earfcn>,
/// <freq_band_ind>,<ul_bandwidth>,<dl_bandwidth>,<tac>,<rsrp>,<rsrq>,<rssi>,<sinr>,<srxlev>`
/// when camped: `"NOCONN"` registered (idle), `"LIMSRV"` refused by the network; else the
/// state `"SEARCH"` alone.
fn serving_cell_line(m: &Modem) -> String {
    let signal = m.lte_signal().or_else(|| {
        let camped = m.settings.cfun == 1 && m.reg_stat() == DENIED && m.network.rssi <= 31;
        camped.then(|| registration::LteSignal::from_level(m.network.rssi))
    });
    let Some(sig) = signal else {
        return "+QENG: \"servingcell\",\"SEARCH\"".into();
    };
    let state = if m.registered() { "NOCONN" } else { "LIMSRV" };
    let numeric = m.serving().numeric;
    let (mcc, mnc) = numeric.split_at(3);
    let bw = registration::LTE_BANDWIDTH_CODE;
    format!(
        "+QENG: \"servingcell\",\"{state}\",\"LTE\",\"FDD\",{mcc},{mnc},{:X},{},{},{},{bw},{bw},{:X},{},{},{},{},{}",
        m.network.ci,
        registration::LTE_PCI,
        registration::LTE_EARFCN,
        registration::LTE_BAND,
        m.network.tac,
        sig.rsrp,
        sig.rsrq,
        sig.rssi,
        sig.sinr_db(),
        sig.srxlev(),
    )
}
