//! `AT+CRSM` (27.007 restricted SIM access): the few elementary files host stacks read, built
//! from the module's identity so they agree with `AT+QCCID`, `AT+CIMI` and `AT+COPS`. Answers
//! are `+CRSM: <sw1>,<sw2>[,"<hex>"]` with the card's status words (TS 51.011 / 102.221);
//! what the emulator's card does not hold answers `106,130` (file not found). Policy
//! `crsm-files`.

use qsslsim_at::{Command, Kind, Param};

use super::args::wrong_form;
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, int_param, ParamError};
use crate::modem::{Flow, Modem};

/// The `<command>` numbers 27.007 lists.
const READ_BINARY: i64 = 176;
const READ_RECORD: i64 = 178;
const GET_RESPONSE: i64 = 192;
const UPDATE_BINARY: i64 = 214;
const UPDATE_RECORD: i64 = 220;
const STATUS: i64 = 242;
const COMMANDS: [i64; 6] = [READ_BINARY, READ_RECORD, GET_RESPONSE, UPDATE_BINARY, UPDATE_RECORD, STATUS];

/// Elementary files the emulated card holds.
const EF_ICCID: i64 = 0x2FE2;
const EF_IMSI: i64 = 0x6F07;
const EF_HPLMNWACT: i64 = 0x6F62;

/// Status words, as the two decimal numbers `+CRSM` prints.
const SW_OK: (u8, u8) = (144, 0); // 90 00
const SW_NOT_FOUND: (u8, u8) = (106, 130); // 6A 82 file not found
const SW_WRONG_OFFSET: (u8, u8) = (107, 0); // 6B 00 wrong parameters P1/P2
const SW_NOT_RECORDS: (u8, u8) = (105, 129); // 69 81 command incompatible with file structure
const SW_NO_ACCESS: (u8, u8) = (105, 130); // 69 82 security status not satisfied
const SW_UNSUPPORTED: (u8, u8) = (109, 0); // 6D 00 instruction not supported

/// `AT+CRSM=<command>[,<fileId>[,<P1>,<P2>,<P3>[,<data>][,<pathId>]]]`.
pub enum Crsm {
    Test,
    Access { command: i64, file: Option<i64>, p1: i64, p2: i64, p3: i64 },
}

impl AtCommand for Crsm {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        let p = match &cmd.kind {
            Kind::Test => return Ok(Crsm::Test),
            Kind::Write(p) => p,
            _ => return Err(wrong_form(cmd)),
        };
        count(p, 1, 7, "1 to 7")?;
        let command = int_param(p.first(), "<command>", 0, 255)?;
        if !COMMANDS.contains(&command) {
            return Err(ParamError::OutOfRange { name: "<command>", value: command, lo: 176, hi: 242 }.into());
        }
        let file = match p.get(1) {
            None | Some(Param::Omitted) => None,
            some => Some(int_param(some, "<fileId>", 0, 0xFFFF)?),
        };
        let needs_file = !matches!(command, GET_RESPONSE | STATUS);
        if needs_file && file.is_none() {
            return Err(ParamError::Missing { name: "<fileId>" }.into());
        }
        // P1, P2, P3 come together; READ BINARY and the others that move data need them.
        let (p1, p2, p3) = if p.len() > 2 {
            count(p, 5, 7, "1, 2 or 5 to 7")?;
            (
                int_param(p.get(2), "<P1>", 0, 255)?,
                int_param(p.get(3), "<P2>", 0, 255)?,
                int_param(p.get(4), "<P3>", 0, 255)?,
            )
        } else if needs_file {
            return Err(ParamError::Missing { name: "<P1>" }.into());
        } else {
            (0, 0, 0)
        };
        Ok(Crsm::Access { command, file, p1, p2, p3 })
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let Crsm::Access { command, file, p1, p2, p3 } = self else {
            return Ok(Flow::Done);
        };
        let status = m.sim.status();
        // The ICCID is readable from any card (as AT+QCCID); the rest needs an unlocked one.
        let blocked = match file {
            Some(EF_ICCID) if status != crate::sim::SimStatus::Absent => None,
            _ => crate::sim::not_ready_error(status),
        };
        if let Some((code, why)) = blocked {
            return Err(Refusal::cme(code, why));
        }
        let content = file.and_then(|f| contents(m, f));
        let line = match (command, content) {
            (_, None) if file.is_some() => answer(SW_NOT_FOUND, None),
            (READ_BINARY, Some(bytes)) => {
                let offset = (p1 * 256 + p2) as usize;
                if offset >= bytes.len() {
                    answer(SW_WRONG_OFFSET, None)
                } else {
                    // P3 = 0 (or more than is left) reads to the end of the file.
                    let rest = &bytes[offset..];
                    let n = if p3 == 0 { rest.len() } else { rest.len().min(p3 as usize) };
                    answer(SW_OK, Some(&rest[..n]))
                }
            }
            (READ_RECORD, Some(_)) => answer(SW_NOT_RECORDS, None),
            (UPDATE_BINARY | UPDATE_RECORD, Some(_)) => answer(SW_NO_ACCESS, None),
            _ => answer(SW_UNSUPPORTED, None),
        };
        m.info(&line);
        Ok(Flow::Done)
    }
}

fn answer((sw1, sw2): (u8, u8), data: Option<&[u8]>) -> String {
    match data {
        Some(bytes) => format!("+CRSM: {sw1},{sw2},\"{}\"", crate::hex::upper(bytes)),
        None => format!("+CRSM: {sw1},{sw2}"),
    }
}

/// The bytes of an elementary file, if the card has it.
fn contents(m: &Modem, file: i64) -> Option<Vec<u8>> {
    let id = &m.cfg.identity;
    match file {
        // 10 bytes of swapped-nibble BCD, padded with F.
        EF_ICCID => Some(swapped_bcd(id.iccid.trim_end_matches(['F', 'f']), 10)),
        // Length byte, then the IMSI behind its parity nibble (9 odd, 1 even), swapped BCD.
        EF_IMSI => {
            let parity = if id.imsi.len() % 2 == 1 { '9' } else { '1' };
            let digits = format!("{parity}{}", id.imsi);
            let body = swapped_bcd(&digits, digits.len().div_ceil(2));
            Some([vec![body.len() as u8], body].concat())
        }
        // One record: the home network and the E-UTRAN access technology bit.
        EF_HPLMNWACT => {
            let mut record = plmn(crate::registration::OPERATORS[0].numeric);
            record.extend([0x40, 0x00]);
            Some(record)
        }
        _ => None,
    }
}

/// Digits two to a byte, low nibble first, `F` filling the last nibble and any bytes up to
/// `len`.
fn swapped_bcd(digits: &str, len: usize) -> Vec<u8> {
    let nibble = |c: Option<char>| c.and_then(|c| c.to_digit(10)).map_or(0xF, |d| d as u8);
    let chars: Vec<char> = digits.chars().collect();
    (0..len)
        .map(|i| (nibble(chars.get(2 * i + 1).copied()) << 4) | nibble(chars.get(2 * i).copied()))
        .collect()
}

/// A PLMN (`"46000"`, `"310410"`) in the 3-byte coding of TS 24.008: MCC digits 1–2, MCC 3
/// and MNC 3 (F for a 2-digit MNC), MNC 1–2, each byte low nibble first.
fn plmn(numeric: &str) -> Vec<u8> {
    let d: Vec<u8> = numeric.bytes().map(|b| b - b'0').collect();
    let mnc3 = d.get(5).copied().unwrap_or(0xF);
    vec![(d[1] << 4) | d[0], (mnc3 << 4) | d[2], (d[4] << 4) | d[3]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codings_match_the_specifications() {
        assert_eq!(crate::hex::upper(&swapped_bcd("89860012345678901234", 10)), "98680021436587092143");
        assert_eq!(crate::hex::upper(&swapped_bcd("8901234567890123456", 10)), "981032547698103254F6");
        assert_eq!(crate::hex::upper(&plmn("46000")), "64F000");
        assert_eq!(crate::hex::upper(&plmn("310410")), "130014");
    }
}
