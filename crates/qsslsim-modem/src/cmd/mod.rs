//! Command dispatch: the one table from command name to handler. Each handler module owns
//! one command family: its parsing, its effect on the module, its responses and test form.

pub mod args;
pub mod basic;
pub mod clock;
pub mod data_mode;
pub mod faults;
pub mod files;
pub mod general;
pub mod pdp;
pub mod ssl_cfg;
pub mod ssl_close;
pub mod ssl_net;
pub mod ssl_open;
pub mod ssl_recv;
pub mod ssl_send;
pub mod ssl_state;

use qsslsim_at::{Command, ResultCode};

use crate::modem::{Modem, Reply};

type Handler = fn(&mut Modem, &Command) -> Reply;

/// Every command the module knows.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("E", basic::echo),
    ("V", basic::verbose),
    ("Q", basic::quiet),
    ("I", basic::identify),
    ("Z", basic::reset),
    ("&F", basic::factory),
    ("&W", basic::store),
    ("&D", basic::dtr),
    ("O", data_mode::ato),
    ("+CMEE", general::cmee),
    ("+GMR", general::revision),
    ("+CGMR", general::revision),
    ("+GMI", general::manufacturer),
    ("+CGMI", general::manufacturer),
    ("+GMM", general::model),
    ("+CGMM", general::model),
    ("+CPIN", general::cpin),
    ("+CSQ", general::csq),
    ("+CEREG", general::cereg),
    ("+CREG", general::creg),
    ("+CGATT", general::cgatt),
    ("+CFUN", general::cfun),
    ("+CCLK", clock::cclk),
    ("+QICSGP", pdp::qicsgp),
    ("+QIACT", pdp::qiact),
    ("+QIDEACT", pdp::qideact),
    ("+QIDNSCFG", pdp::qidnscfg),
    ("+QIGETERROR", general::qigeterror),
    ("+QFUPL", files::qfupl),
    ("+QFLST", files::qflst),
    ("+QFDEL", files::qfdel),
    ("+QFDWL", files::qfdwl),
    ("+QSSLCFG", ssl_cfg::qsslcfg),
    ("+QSSLOPEN", ssl_open::qsslopen),
    ("+QSSLSEND", ssl_send::qsslsend),
    ("+QSSLRECV", ssl_recv::qsslrecv),
    ("+QSSLSTATE", ssl_state::qsslstate),
    ("+QSSLCLOSE", ssl_close::qsslclose),
    ("+QISWTMD", data_mode::qiswtmd),
];

/// Run one command; unknown commands answer `ERROR`.
pub fn execute(m: &mut Modem, cmd: &Command) -> Reply {
    match COMMANDS.iter().find(|(name, _)| *name == cmd.name) {
        Some((_, handler)) => handler(m, cmd),
        None => Err(ResultCode::Error),
    }
}
