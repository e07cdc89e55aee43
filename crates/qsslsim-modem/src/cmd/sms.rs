//! Sending short messages (3GPP TS 27.005, the maker's SMS chapter): `AT+CMGF` (PDU or text
//! mode), `AT+CSCS` (the TE character set), `AT+CSMP` (text-mode parameters) and `AT+CMGS`, whose `>` prompt is the socket
//! sends' prompt machine ([`crate::port::Prompt`], [`PromptFor::Sms`]): Ctrl+Z sends and
//! answers `+CMGS: <mr>` and `OK`, ESC cancels with `OK`. A sent message is logged, traced
//! ([`Event::SmsSent`]) and kept for `ctl state` (policy `sms-sent`). Failures of the SMS
//! service are `+CMS ERROR`s (policy `sms-errors`); the state is [`crate::sms`].

use qsslsim_at::{Command, Kind, Param, ResultCode};
use tracing::info;

use super::args::wrong_form;
use super::{AtCommand, Family, Refusal};
use crate::errors::ErrorCode;
use crate::event::Event;
use crate::modem::{Flow, Modem, Port};
use crate::port::{Prompt, PromptEnd, PromptFor};
use crate::sim::SimStatus;
use crate::sms::{
    decode_ucs2, pdu_destination, valid_number, Charset, Draft, SentSms, TextParams, CHARSETS,
    MAX_TEXT_CHARS, MAX_TPDU_OCTETS, MAX_UCS2_CHARS,
};

/// 27.005 `<err>` codes the handlers use (texts in [`crate::errors::CMS`]).
mod cms {
    pub const SIM_FAILURE: u16 = 313;
    pub const INVALID_PDU: u16 = 304;
    pub const INVALID_TEXT: u16 = 305;
    pub const SIM_NOT_INSERTED: u16 = 310;
    pub const SIM_PIN: u16 = 311;
    pub const SIM_PUK: u16 = 316;
    pub const NO_NETWORK: u16 = 331;
}

/// `+CMS ERROR: <n>`.
fn cms_error(n: u16, why: impl std::fmt::Display) -> Refusal {
    Refusal { result: ResultCode::CmsError(n), code: ErrorCode::Ok, why: why.to_string() }
}

/// `AT+CMGF`.
pub enum Cmgf {
    Test,
    Read,
    Set(bool),
}

impl AtCommand for Cmgf {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Cmgf::Test),
            Kind::Read => Ok(Cmgf::Read),
            // `AT+CMGF` alone sets the default, PDU mode.
            Kind::Exec => Ok(Cmgf::Set(false)),
            Kind::Write(p) => match p.as_slice() {
                [v] if v.int() == Some(0) => Ok(Cmgf::Set(false)),
                [v] if v.int() == Some(1) => Ok(Cmgf::Set(true)),
                _ => Err(Refusal::invalid("AT+CMGF takes <mode> 0 (PDU) or 1 (text)")),
            },
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Cmgf::Test => m.info("+CMGF: (0,1)"),
            Cmgf::Read => m.info(&format!("+CMGF: {}", u8::from(m.sms.text_mode))),
            Cmgf::Set(text) => m.sms.text_mode = text,
        }
        Ok(Flow::Done)
    }
}

/// `AT+CSCS`.
pub enum Cscs {
    Test,
    Read,
    Set(Charset),
}

impl AtCommand for Cscs {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Cscs::Test),
            Kind::Read => Ok(Cscs::Read),
            Kind::Write(p) => match p.as_slice() {
                [Param::Quoted(name)] => Charset::from_name(name).map(Cscs::Set).ok_or_else(|| {
                    Refusal::invalid(format!("character set {name:?} is not GSM, IRA or UCS2"))
                }),
                _ => Err(Refusal::invalid("AT+CSCS takes one quoted <chset>")),
            },
            Kind::Exec => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Cscs::Test => {
                let names: Vec<String> = CHARSETS.iter().map(|(_, n)| format!("\"{n}\"")).collect();
                m.info(&format!("+CSCS: ({})", names.join(",")));
            }
            Cscs::Read => m.info(&format!("+CSCS: \"{}\"", m.sms.charset.name())),
            Cscs::Set(c) => m.sms.charset = c,
        }
        Ok(Flow::Done)
    }
}

/// `AT+CSMP`.
pub enum Csmp {
    Test,
    Read,
    /// `<fo>[,<vp>[,<pid>[,<dcs>]]]`; `None` keeps the value.
    Set([Option<u8>; 4]),
}

impl AtCommand for Csmp {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        let p = match &cmd.kind {
            Kind::Test => return Ok(Csmp::Test),
            Kind::Read => return Ok(Csmp::Read),
            Kind::Write(p) if (1..=4).contains(&p.len()) => p,
            _ => return Err(Refusal::invalid("AT+CSMP takes <fo>[,<vp>[,<pid>[,<dcs>]]]")),
        };
        let mut values = [None; 4];
        for (i, param) in p.iter().enumerate() {
            values[i] =
                match param {
                    Param::Omitted => None,
                    // An absolute validity period (a time string) is not kept (policy `sms-text`).
                    other => Some(other.int().and_then(|v| u8::try_from(v).ok()).ok_or_else(|| {
                        Refusal::invalid(format!("AT+CSMP parameter {} is not 0-255", i + 1))
                    })?),
                };
        }
        Ok(Csmp::Set(values))
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Csmp::Test => {}
            Csmp::Read => {
                let TextParams { fo, vp, pid, dcs } = m.sms.params;
                m.info(&format!("+CSMP: {fo},{vp},{pid},{dcs}"));
            }
            Csmp::Set([fo, vp, pid, dcs]) => {
                let t = &mut m.sms.params;
                *t = TextParams {
                    fo: fo.unwrap_or(t.fo),
                    vp: vp.unwrap_or(t.vp),
                    pid: pid.unwrap_or(t.pid),
                    dcs: dcs.unwrap_or(t.dcs),
                };
            }
        }
        Ok(Flow::Done)
    }
}

/// `AT+CMGS`: the parameters are read in the mode `AT+CMGF` set when the command runs.
pub enum Cmgs {
    Test,
    /// Text mode `AT+CMGS="<da>"[,<toda>]` (`da` still in the TE character set).
    Text {
        da: String,
        toda: Option<u8>,
    },
    /// A bare number: the PDU's length (`AT+CMGS=<length>`) in PDU mode, the destination's
    /// digits in text mode.
    Bare(String),
    /// Anything else; refused in `apply`, where the mode is known (304 or 305).
    Bad(String),
}

impl AtCommand for Cmgs {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        let p = match &cmd.kind {
            Kind::Test => return Ok(Cmgs::Test),
            Kind::Write(p) => p,
            _ => return Ok(Cmgs::Bad("AT+CMGS takes parameters".into())),
        };
        match p.as_slice() {
            [Param::Bare(n)] if p[0].int().is_some() => Ok(Cmgs::Bare(n.clone())),
            [da] | [da, Param::Omitted] => match da.string() {
                Some(da) => Ok(Cmgs::Text { da: da.to_string(), toda: None }),
                None => Ok(Cmgs::Bad("<da> is not a quoted number".into())),
            },
            [da, toda] => match (da.string(), toda.int().and_then(|t| u8::try_from(t).ok())) {
                (Some(da), Some(t)) => Ok(Cmgs::Text { da: da.to_string(), toda: Some(t) }),
                _ => Ok(Cmgs::Bad("AT+CMGS=\"<da>\",<toda>: <toda> is not 0-255".into())),
            },
            _ => Ok(Cmgs::Bad(format!("AT+CMGS takes 1 or 2 parameters, not {}", p.len()))),
        }
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let mode_error = if m.sms.text_mode { cms::INVALID_TEXT } else { cms::INVALID_PDU };
        let draft = match self {
            Cmgs::Test => return Ok(Flow::Done),
            Cmgs::Bad(why) => return Err(cms_error(mode_error, why)),
            Cmgs::Bare(digits) if m.sms.text_mode => text_draft(m, digits, None)?,
            Cmgs::Bare(length) => match length.parse::<i64>() {
                Ok(len @ 1..=MAX_TPDU_OCTETS) => Draft::Pdu { length: len as usize },
                _ => {
                    return Err(cms_error(
                        cms::INVALID_PDU,
                        format!("<length> {length} is not 1-{MAX_TPDU_OCTETS}"),
                    ))
                }
            },
            Cmgs::Text { .. } if !m.sms.text_mode => {
                return Err(cms_error(cms::INVALID_PDU, "PDU mode (AT+CMGF=0) takes AT+CMGS=<length>"))
            }
            Cmgs::Text { da, toda } => text_draft(m, da, toda)?,
        };
        sim_ready(m)?;
        m.raw(b"\r\n> ");
        m.out.finish_write();
        m.port = Port::SendPrompt(Prompt::sms(draft));
        Ok(Flow::Suspend)
    }
}

/// A text-mode destination checked and decoded from the character set; the text comes in
/// UCS2 hex when that is the set or `AT+CSMP`'s `<dcs>` says so.
fn text_draft(m: &Modem, da: String, toda: Option<u8>) -> Result<Draft, Refusal> {
    let charset = m.sms.charset;
    let to = match charset {
        Charset::Ucs2 => decode_ucs2(&da).unwrap_or_default(),
        _ => da.clone(),
    };
    if !valid_number(&to) {
        let why = format!("<da> {da:?} is not a number of 1 to 20 digits ({} character set)", charset.name());
        return Err(cms_error(cms::INVALID_TEXT, why));
    }
    // 145: international (leading '+'), else 129 (27.005's default).
    let toda = toda.unwrap_or(if to.starts_with('+') { 145 } else { 129 });
    let body_set = if m.sms.params.ucs2() { Charset::Ucs2 } else { charset };
    Ok(Draft::Text { to, toda, charset: body_set })
}

/// Messages need a ready SIM.
fn sim_ready(m: &Modem) -> Result<(), Refusal> {
    let (code, why) = match m.sim.status() {
        SimStatus::Ready => return Ok(()),
        SimStatus::Absent => (cms::SIM_NOT_INSERTED, "no SIM is inserted"),
        SimStatus::Pin => (cms::SIM_PIN, "the SIM wants its PIN"),
        SimStatus::Puk => (cms::SIM_PUK, "the SIM wants its PUK"),
        SimStatus::Blocked => (cms::SIM_FAILURE, "the SIM is blocked: every PUK try is used"),
    };
    Err(cms_error(code, why))
}

/// Bytes typed at the `AT+CMGS` prompt (reached through [`super::ssl_send::consume_prompt`]).
/// With echo on, what is typed comes back; in text mode every `<CR>` starts a new line with a
/// fresh `> ` (27.005). Returns how many bytes were used.
pub fn consume_prompt(m: &mut Modem, bytes: &[u8]) -> usize {
    let Port::SendPrompt(prompt) = &mut m.port else { return 0 };
    let feed = prompt.feed(bytes);
    let text_mode = matches!(prompt.purpose, PromptFor::Sms(Draft::Text { .. }));
    let draft = match feed.end.is_some() {
        true => std::mem::take(&mut prompt.purpose),
        false => PromptFor::Socket,
    };
    let echo = m.settings.echo && prompt.echo;
    let mut out = Vec::new();
    for &b in &bytes[..feed.echo] {
        match (echo, text_mode && b == b'\r') {
            (true, true) => out.extend_from_slice(b"\r\n> "),
            (true, false) => out.push(b),
            (false, true) => out.extend_from_slice(b"\r\n> "),
            (false, false) => {}
        }
    }
    if !out.is_empty() {
        m.out.push_write(out);
    }
    if let (Some(end), PromptFor::Sms(draft)) = (feed.end, draft) {
        m.enter_command();
        finish(m, draft, end);
    }
    feed.used
}

/// The message is complete (Ctrl+Z), cancelled (ESC) or too long.
fn finish(m: &mut Modem, draft: Draft, end: PromptEnd) {
    let typed = match end {
        PromptEnd::Cancel => {
            info!("short message cancelled with ESC; nothing sent");
            return m.final_result(ResultCode::Ok);
        }
        PromptEnd::TooLong => Err(cms_error(
            if matches!(draft, Draft::Text { .. }) { cms::INVALID_TEXT } else { cms::INVALID_PDU },
            format!("more than {} bytes at the prompt without Ctrl+Z; nothing sent", crate::port::MAX_SEND),
        )),
        PromptEnd::Send(data) => Ok(data),
    };
    match typed.and_then(|data| compose(m, draft, &data)) {
        Ok(sms) => sent(m, sms),
        Err(r) => {
            let result = super::report_refusal(m, "AT+CMGS".into(), Family::General, r);
            m.final_result(result);
        }
    }
}

/// The message as it goes out, or why it cannot.
fn compose(m: &mut Modem, draft: Draft, data: &[u8]) -> Result<SentSms, Refusal> {
    let typed = String::from_utf8_lossy(data).into_owned();
    let (to, format, body) = match draft {
        Draft::Text { to, charset, .. } => {
            let body = match charset {
                Charset::Ucs2 => decode_ucs2(&typed).ok_or_else(|| {
                    cms_error(cms::INVALID_TEXT, "the UCS2 text is not groups of four hex digits")
                })?,
                _ => typed,
            };
            let (chars, max) = match charset {
                Charset::Ucs2 => (body.encode_utf16().count(), MAX_UCS2_CHARS),
                _ => (body.chars().count(), MAX_TEXT_CHARS),
            };
            if chars > max {
                let why = format!("{chars} characters: one message holds {max} in {}", charset.name());
                return Err(cms_error(cms::INVALID_TEXT, why));
            }
            (to, "text", body)
        }
        Draft::Pdu { length } => {
            let to = pdu_destination(typed.trim(), length).map_err(|why| cms_error(cms::INVALID_PDU, why))?;
            (to, "pdu", typed.trim().to_ascii_uppercase())
        }
    };
    if !m.registered() {
        return Err(cms_error(cms::NO_NETWORK, "not registered to a network: the message cannot go"));
    }
    let time = m.clock.format(m.now);
    Ok(SentSms { mr: m.sms.take_mr(), to, format, body, time })
}

/// `+CMGS: <mr>`, `OK`; the message is logged, traced and kept.
fn sent(m: &mut Modem, sms: SentSms) {
    info!(mr = sms.mr, to = %sms.to, format = sms.format, body = %sms.body, "short message sent");
    m.event(Event::SmsSent {
        mr: sms.mr,
        to: sms.to.clone(),
        format: sms.format.into(),
        body: sms.body.clone(),
    });
    m.out.begin_command();
    m.info(&format!("+CMGS: {}", sms.mr));
    m.final_result(ResultCode::Ok);
    m.sms.record(sms);
}
