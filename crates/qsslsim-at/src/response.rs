//! Framing responses, final result codes and URCs as the module writes them. This module owns
//! the bytes around every piece of output: ATV1 verbose `<CR><LF>text<CR><LF>` versus ATV0
//! numeric codes, and how AT+CMEE renders `+CME ERROR` and `+CMS ERROR`. What the texts say is
//! up to callers ([`ErrorTexts`]).

const CRLF: &[u8] = b"\r\n";

/// Final result codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultCode {
    Ok,
    Connect,
    NoCarrier,
    Error,
    SendOk,
    SendFail,
    /// `+CME ERROR: <n>`; rendering depends on AT+CMEE.
    CmeError(u16),
    /// `+CMS ERROR: <n>` (3GPP TS 27.005, the SMS commands); rendered per AT+CMEE like
    /// `CmeError`, with its own texts.
    CmsError(u16),
}

impl ResultCode {
    /// The V.25ter numeric code used under ATV0: `0` OK, `1` CONNECT, `3` NO CARRIER,
    /// `4` ERROR. `None` for codes that keep their text under ATV0 (SEND OK, SEND FAIL,
    /// +CME ERROR).
    pub fn numeric(&self) -> Option<u8> {
        match self {
            ResultCode::Ok => Some(0),
            ResultCode::Connect => Some(1),
            ResultCode::NoCarrier => Some(3),
            ResultCode::Error => Some(4),
            ResultCode::SendOk | ResultCode::SendFail | ResultCode::CmeError(_) | ResultCode::CmsError(_) => {
                None
            }
        }
    }

    /// The verbose text of a fixed code (`OK`, `NO CARRIER`, ...). `None` for `CmeError` and
    /// `CmsError`, whose text depends on AT+CMEE.
    pub fn text(&self) -> Option<&'static str> {
        match self {
            ResultCode::Ok => Some("OK"),
            ResultCode::Connect => Some("CONNECT"),
            ResultCode::NoCarrier => Some("NO CARRIER"),
            ResultCode::Error => Some("ERROR"),
            ResultCode::SendOk => Some("SEND OK"),
            ResultCode::SendFail => Some("SEND FAIL"),
            ResultCode::CmeError(_) | ResultCode::CmsError(_) => None,
        }
    }
}

/// Wrap `s` in double quotes, as string values appear in responses and URCs: `"recv"`.
/// The contents are not escaped.
pub fn quote(s: &str) -> String {
    format!("\"{s}\"")
}

/// Where the verbose texts (AT+CMEE=2) of numbered errors come from: `+CME ERROR` and
/// `+CMS ERROR` number their codes separately, so each has its own lookup.
#[derive(Debug, Clone, Copy)]
pub struct ErrorTexts {
    pub cme: fn(u16) -> &'static str,
    pub cms: fn(u16) -> &'static str,
}

/// Output settings: ATV (verbose) and AT+CMEE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    /// ATV1 (default true): `<CR><LF>OK<CR><LF>`; ATV0: `0<CR>`.
    pub verbose: bool,
    /// AT+CMEE: 0 -> CmeError renders as plain ERROR; 1 -> `+CME ERROR: <n>`; 2 -> verbose text.
    pub cmee: u8,
}

impl Default for Framing {
    fn default() -> Self {
        Framing { verbose: true, cmee: 1 }
    }
}

impl Framing {
    /// An information-text line: ATV1 `<CR><LF>text<CR><LF>`; ATV0 `text<CR><LF>`.
    pub fn info(&self, text: &str, out: &mut Vec<u8>) {
        if self.verbose {
            out.extend_from_slice(CRLF);
        }
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(CRLF);
    }

    /// A final result code. ATV1: `<CR><LF>OK<CR><LF>`, etc. ATV0: numeric `0<CR>` OK,
    /// `1<CR>` CONNECT, `3<CR>` NO CARRIER, `4<CR>` ERROR; SEND OK / SEND FAIL / +CME ERROR /
    /// +CMS ERROR keep their text and end with `<CR><LF>` (no leading `<CR><LF>`).
    /// `texts` maps a CME or CMS code to its verbose text for AT+CMEE=2.
    ///
    /// A CME or CMS error under AT+CMEE=0 is an ordinary `ERROR`. Any AT+CMEE value above 2 is
    /// treated as 2.
    pub fn result(&self, code: ResultCode, texts: ErrorTexts, out: &mut Vec<u8>) {
        let code = match code {
            ResultCode::CmeError(_) | ResultCode::CmsError(_) if self.cmee == 0 => ResultCode::Error,
            other => other,
        };
        if !self.verbose {
            if let Some(n) = code.numeric() {
                out.extend_from_slice(format!("{n}\r").as_bytes());
                return;
            }
        }
        let text = match code {
            ResultCode::CmeError(n) if self.cmee == 1 => format!("+CME ERROR: {n}"),
            ResultCode::CmeError(n) => format!("+CME ERROR: {}", (texts.cme)(n)),
            ResultCode::CmsError(n) if self.cmee == 1 => format!("+CMS ERROR: {n}"),
            ResultCode::CmsError(n) => format!("+CMS ERROR: {}", (texts.cms)(n)),
            fixed => fixed.text().unwrap_or_default().to_string(),
        };
        self.info(&text, out);
    }

    /// A URC: always `<CR><LF>text<CR><LF>`, regardless of ATV.
    pub fn urc(&self, text: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(CRLF);
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(CRLF);
    }
}

#[cfg(test)]
mod tests;
