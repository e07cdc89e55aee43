//! Commands, one file per family, the mini-redis way: each command is a type with a `parse`
//! from the parsed command line (ranges checked, ids typed, test form recognised) and an
//! `apply` against the module. The dispatcher here is the one table from command name to
//! type, and the one place a refusal becomes `ERROR`/`+CME ERROR`, a log line, a trace record
//! and (for the SSL/TCP family) the code `AT+QIGETERROR` reports.

mod absent;
pub mod args;
pub mod basic;
pub mod clock;
pub mod cmux;
pub mod crsm;
pub mod data_mode;
pub mod dial;
pub mod edrx;
pub mod files;
pub mod general;
pub mod gnss;
pub mod http;
pub mod identity;
pub mod ip_cfg;
pub mod ip_close;
pub mod ip_open;
pub mod ip_recv;
pub mod ip_send;
pub mod ip_services;
pub mod ip_state;
pub mod module_cfg;
pub mod pdp;
pub mod pdp_27007;
pub mod power;
pub mod psm;
pub mod registration;
pub mod serving_cell;
pub mod sim;
pub mod sms;
pub mod ssl_cfg;
pub mod ssl_close;
pub mod ssl_open;
pub mod ssl_recv;
pub mod ssl_send;
pub mod ssl_state;
pub mod status;
pub mod uart;

use std::fmt;

use qsslsim_at::{Command, ResultCode};
use tracing::info;

use crate::errors::ErrorCode;
use crate::event::Event;
use crate::ids::ParamError;
use crate::modem::{Flow, Modem};

/// How a command family reports its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// V.25ter, 27.007 and file commands: `ERROR` or a `+CME ERROR`; `AT+QIGETERROR` is
    /// left alone.
    General,
    /// SSL/TCP commands: `ERROR`, and every outcome is recorded for `AT+QIGETERROR`.
    Socket,
}

/// Why a command was refused: what the host sees, the code `AT+QIGETERROR` reports for the
/// SSL/TCP family, and the reason the log and the trace give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub result: ResultCode,
    pub code: ErrorCode,
    pub why: String,
}

impl Refusal {
    /// `ERROR`, recording `code` for the SSL/TCP family.
    pub fn code(code: ErrorCode, why: impl fmt::Display) -> Self {
        Refusal { result: ResultCode::Error, code, why: why.to_string() }
    }

    /// `ERROR` for invalid parameters (552 for the SSL/TCP family).
    pub fn invalid(why: impl fmt::Display) -> Self {
        Self::code(ErrorCode::InvalidParam, why)
    }

    /// `+CME ERROR: <n>`.
    pub fn cme(n: u16, why: impl fmt::Display) -> Self {
        Refusal { result: ResultCode::CmeError(n), code: ErrorCode::InvalidParam, why: why.to_string() }
    }
}

impl From<ParamError> for Refusal {
    fn from(e: ParamError) -> Self {
        Refusal::invalid(e)
    }
}

/// One AT command: parsed into a typed value, then applied to the module.
pub(crate) trait AtCommand: Sized {
    const FAMILY: Family;
    fn parse(cmd: &Command) -> Result<Self, Refusal>;
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal>;

    /// Fail as the module fails this command with `code` (fault `command_error`): `ERROR`
    /// with the code. Commands that report failures otherwise (an open in modes 0/1) say so.
    fn fail_with(self, _m: &mut Modem, code: ErrorCode) -> Result<Flow, Refusal> {
        Err(Refusal::code(code, format!("fault command_error: fails with {code}")))
    }
}

type Runner = fn(&mut Modem, &Command) -> Flow;

/// One row of the command table.
pub(crate) struct Entry {
    pub name: &'static str,
    run: Runner,
    pub family: Family,
}

const fn entry<C: AtCommand>(name: &'static str) -> Entry {
    Entry { name, run: run::<C>, family: C::FAMILY }
}

/// The table name of an SSL/TCP command written with or without `AT` (any case).
pub(crate) fn socket_command(name: &str) -> Option<&'static str> {
    let upper = name.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("AT").unwrap_or(&upper);
    COMMANDS.iter().find(|e| e.name == bare && e.family == Family::Socket).map(|e| e.name)
}

fn run<C: AtCommand>(m: &mut Modem, cmd: &Command) -> Flow {
    m.command_code = None;
    let outcome = C::parse(cmd).and_then(|c| match m.faults.take_command_error(&cmd.name) {
        Some(code) => c.fail_with(m, code),
        None => c.apply(m),
    });
    match outcome {
        Ok(flow) => {
            if C::FAMILY == Family::Socket {
                // Recorded once, after the command: what it did to other sockets on the way
                // (an open failing under AT+QIDEACT) is not its own result. A command that
                // answers OK and reports a failure later (an open refused in modes 0/1) names
                // its code with `Modem::command_code`.
                m.last_error = m.command_code.take().unwrap_or(ErrorCode::Ok);
            }
            flow
        }
        Err(refusal) => refuse(m, cmd, C::FAMILY, refusal),
    }
}

/// The one place a refusal is answered, logged, traced and recorded.
fn refuse(m: &mut Modem, cmd: &Command, family: Family, r: Refusal) -> Flow {
    Flow::Final(report_refusal(m, format!("AT{}", cmd.name), family, r))
}

/// Log, trace and (for the SSL/TCP family) record a refusal of `command`; the result code the
/// host sees is returned. Also used where a command's answer comes later (the send prompt).
pub(crate) fn report_refusal(m: &mut Modem, command: String, family: Family, r: Refusal) -> ResultCode {
    let mut result_text = Vec::new();
    qsslsim_at::Framing::default().result(r.result, crate::errors::ERROR_TEXTS, &mut result_text);
    let result_text = String::from_utf8_lossy(&result_text).trim().to_string();
    let code = (family == Family::Socket).then_some(r.code);
    info!(%command, result = %result_text, code = code.map(|c| c.number()), why = %r.why, "command refused");
    m.event(Event::Refused { command, result: result_text, code: code.map(|c| c.number()), why: r.why });
    if let Some(code) = code {
        m.last_error = code;
    }
    r.result
}

/// Every command the module knows.
pub(crate) const COMMANDS: &[Entry] = &[
    entry::<basic::Echo>("E"),
    entry::<basic::Verbose>("V"),
    entry::<basic::Quiet>("Q"),
    entry::<basic::Identify>("I"),
    entry::<basic::Reset>("Z"),
    entry::<basic::Factory>("&F"),
    entry::<basic::Store>("&W"),
    entry::<basic::DtrMode>("&D"),
    entry::<data_mode::Ato>("O"),
    entry::<general::Cmee>("+CMEE"),
    entry::<uart::Ifc>("+IFC"),
    entry::<uart::Ipr>("+IPR"),
    entry::<module_cfg::Qcfg>("+QCFG"),
    entry::<module_cfg::Qurccfg>("+QURCCFG"),
    entry::<module_cfg::Qsclk>("+QSCLK"),
    entry::<cmux::Cmux>("+CMUX"),
    entry::<general::Revision>("+GMR"),
    entry::<general::Revision>("+CGMR"),
    entry::<general::Manufacturer>("+GMI"),
    entry::<general::Manufacturer>("+CGMI"),
    entry::<general::Model>("+GMM"),
    entry::<general::Model>("+CGMM"),
    entry::<identity::Imei>("+CGSN"),
    entry::<identity::Imei>("+GSN"),
    entry::<identity::Cimi>("+CIMI"),
    entry::<identity::Qccid>("+QCCID"),
    entry::<identity::Cnum>("+CNUM"),
    entry::<identity::Qgmr>("+QGMR"),
    entry::<sim::Cpin>("+CPIN"),
    entry::<registration::Csq>("+CSQ"),
    entry::<registration::Cereg>("+CEREG"),
    entry::<registration::Creg>("+CREG"),
    entry::<registration::Cgreg>("+CGREG"),
    entry::<registration::Cops>("+COPS"),
    entry::<registration::Qcsq>("+QCSQ"),
    entry::<registration::Qnwinfo>("+QNWINFO"),
    entry::<registration::Qspn>("+QSPN"),
    entry::<registration::Ctzr>("+CTZR"),
    entry::<registration::Ctzu>("+CTZU"),
    entry::<registration::Qlts>("+QLTS"),
    entry::<pdp_27007::Cgatt>("+CGATT"),
    entry::<pdp_27007::Cgdcont>("+CGDCONT"),
    entry::<pdp_27007::Cgact>("+CGACT"),
    entry::<pdp_27007::Cgpaddr>("+CGPADDR"),
    entry::<pdp_27007::Cgerep>("+CGEREP"),
    entry::<general::Cfun>("+CFUN"),
    entry::<power::Qpowd>("+QPOWD"),
    entry::<clock::Cclk>("+CCLK"),
    entry::<pdp::Qicsgp>("+QICSGP"),
    entry::<pdp::Qiact>("+QIACT"),
    entry::<pdp::Qideact>("+QIDEACT"),
    entry::<pdp::Qidnscfg>("+QIDNSCFG"),
    entry::<general::Qigeterror>("+QIGETERROR"),
    entry::<files::Qfupl>("+QFUPL"),
    entry::<files::Qflst>("+QFLST"),
    entry::<files::Qfdel>("+QFDEL"),
    entry::<files::Qfdwl>("+QFDWL"),
    entry::<ssl_cfg::Qsslcfg>("+QSSLCFG"),
    entry::<ssl_open::Qsslopen>("+QSSLOPEN"),
    entry::<ssl_send::Qsslsend>("+QSSLSEND"),
    entry::<ssl_recv::Qsslrecv>("+QSSLRECV"),
    entry::<ssl_state::Qsslstate>("+QSSLSTATE"),
    entry::<ssl_close::Qsslclose>("+QSSLCLOSE"),
    entry::<data_mode::Qiswtmd>("+QISWTMD"),
    entry::<ip_open::Qiopen>("+QIOPEN"),
    entry::<ip_send::Qisend>("+QISEND"),
    entry::<ip_send::Qisendex>("+QISENDEX"),
    entry::<ip_recv::Qird>("+QIRD"),
    entry::<ip_close::Qiclose>("+QICLOSE"),
    entry::<ip_state::Qistate>("+QISTATE"),
    entry::<ip_cfg::Qicfg>("+QICFG"),
    entry::<ip_cfg::Qisde>("+QISDE"),
    entry::<identity::Ccid>("+CCID"),
    entry::<sim::Qpinc>("+QPINC"),
    entry::<sim::Qsimstat>("+QSIMSTAT"),
    entry::<crsm::Crsm>("+CRSM"),
    entry::<pdp_27007::Cgcontrdp>("+CGCONTRDP"),
    entry::<ip_services::Qidnsgip>("+QIDNSGIP"),
    entry::<ip_services::Qping>("+QPING"),
    entry::<ip_services::Qntp>("+QNTP"),
    entry::<psm::Cpsms>("+CPSMS"),
    entry::<status::Ceer>("+CEER"),
    entry::<status::Cbc>("+CBC"),
    entry::<status::Qtemp>("+QTEMP"),
    entry::<http::Qhttpcfg>("+QHTTPCFG"),
    entry::<http::Qhttpurl>("+QHTTPURL"),
    entry::<http::Qhttpget>("+QHTTPGET"),
    entry::<http::Qhttppost>("+QHTTPPOST"),
    entry::<http::Qhttpread>("+QHTTPREAD"),
    entry::<gnss::Qgps>("+QGPS"),
    entry::<gnss::Qgpsend>("+QGPSEND"),
    entry::<gnss::Qgpsloc>("+QGPSLOC"),
    entry::<sms::Cmgf>("+CMGF"),
    entry::<sms::Cscs>("+CSCS"),
    entry::<sms::Csmp>("+CSMP"),
    entry::<sms::Cmgs>("+CMGS"),
    entry::<basic::Hangup>("H"),
    entry::<sim::Qdsim>("+QDSIM"),
    entry::<edrx::Cedrxs>("+CEDRXS"),
    entry::<serving_cell::Qeng>("+QENG"),
    entry::<dial::Dial>("D"),
    entry::<dial::Cgdata>("+CGDATA"),
];

/// Run one command; unknown commands answer `ERROR`.
pub(crate) fn execute(m: &mut Modem, cmd: &Command) -> Flow {
    match COMMANDS.iter().find(|e| e.name == cmd.name) {
        Some(e) => (e.run)(m, cmd),
        None => {
            let why = absent::command(&cmd.name)
                .unwrap_or_else(|| format!("AT{} is not a command this module knows", cmd.name));
            refuse(m, cmd, Family::General, Refusal::code(ErrorCode::Ok, why))
        }
    }
}

/// A command of one family (SSL when `ssl`, else TCP/IP) aimed at an id that holds a socket
/// of the other family is refused with 572: the ids are one pool, the commands are not
/// (policy `socket-pool`). A free id belongs to neither.
pub(crate) fn own_family(m: &Modem, id: crate::ids::SocketId, ssl: bool) -> Result<(), Refusal> {
    let sock = m.sockets.get(id);
    if sock.state() == crate::socket::SocketState::Initial || sock.service.is_ssl() == ssl {
        return Ok(());
    }
    let family = if ssl { "the SSL commands" } else { "the TCP/IP commands" };
    let why = format!("id {id} holds a {} socket, which {family} do not serve", sock.service.name());
    Err(Refusal::code(ErrorCode::NotAllowed, why))
}
