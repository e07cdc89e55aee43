//! Parsing one assembled command line into the commands it chains. This module owns the
//! command-line grammar: the `AT` prefix, V.25ter basic commands (`E0`, `&D2`, `S3=13`),
//! extended commands (`+X`, `+X?`, `+X=?`, `+X=p1,p2`), `;` separators, and splitting
//! parameters into [`Param`]s. It never interprets what a command means.
//!
//! Grammar (spaces outside quotes are skipped between elements):
//!
//! ```text
//! line     = ("AT" | "at" | "At" | "aT") { basic } [ extended { ";" extended } ] [ ";" ]
//!            -- with a ";" also allowed between the last basic and the first extended
//! basic    = ["&"] letter [digits]                  -- letter other than a lone "S" or "D"
//!          | "D" dialstring                          -- up to ";" or the end, spaces dropped
//!          | "S" digits ( "?" | "=?" | "=" [digits] )
//! extended = "+" name [ "?" | "=?" | "=" param { "," param } ]
//! name     = 1*( letter | digit | "_" )
//! param    = "" | '"' { any char but '"' } '"' | 1*( printable ASCII but '",;=?' and space )
//! ```
//!
//! An extended command must be followed by `;` or the end of the line, and only an extended
//! command (or the end) may follow a `;`: `AT+A;AT+B` and `ATE0;V1` are syntax errors.

use std::fmt;

use crate::param::Param;

/// The form an extended command was written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `AT+X`, or a basic command with no number (`ATI`, `ATO`, `ATE`).
    Exec,
    /// `AT+X?` (also basic `ATS3?`).
    Read,
    /// `AT+X=?`
    Test,
    /// `AT+X=p1,p2,...`; for basic commands with a number (`ATE1`, `AT&D2`, `ATS3=13`) one
    /// `Param::Bare` holding the digits.
    Write(Vec<Param>),
}

/// One command from a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Upper-cased name: `+QSSLCFG`, `+CMEE`, or for basic commands `E`, `V`, `I`, `O`, `Z`,
    /// `Q`, `&D`, `&F`, `&W`, `S3` ...
    pub name: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The line does not start with `AT` (any case).
    NotAt,
    /// Syntax the parser cannot read: unterminated quote, stray character, bad basic command.
    Syntax,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::NotAt => f.write_str("command line does not start with AT"),
            ParseError::Syntax => f.write_str("command line syntax error"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parse a full command line (without its `<CR>`), e.g. `AT+QSSLCFG="sni",1,1;+QIACT?`.
/// `AT` alone yields an empty vector. Names are upper-cased; quoted string contents keep
/// their case.
pub fn parse_line(line: &str) -> Result<Vec<Command>, ParseError> {
    let rest = match line.get(..2) {
        Some(prefix) if prefix.eq_ignore_ascii_case("AT") => &line[2..],
        _ => return Err(ParseError::NotAt),
    };
    Cursor::new(rest).commands()
}

/// Where the previous element left the parser, which decides what may come next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    /// Just after `AT`: any command may follow; `;` may not.
    Prefix,
    /// After a basic command: another basic, an extended command, `;` or the end.
    Basic,
    /// After an extended command: only `;` or the end.
    Extended,
    /// After `;`: an extended command or the end.
    Separator,
}

/// A position in the text after `AT`. Every index it holds is on an ASCII byte, so slicing
/// the `&str` there is always on a char boundary.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    /// Consume `byte` if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.bump();
        }
        found
    }

    fn skip_spaces(&mut self) {
        while self.eat(b' ') {}
    }

    /// Consume bytes while `keep` holds and return them (always ASCII when `keep` only
    /// accepts ASCII).
    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        &self.text[start..self.pos]
    }

    fn commands(&mut self) -> Result<Vec<Command>, ParseError> {
        let mut commands = Vec::new();
        let mut after = After::Prefix;
        loop {
            self.skip_spaces();
            let Some(byte) = self.peek() else {
                return Ok(commands);
            };
            let allowed = match byte {
                b';' => matches!(after, After::Basic | After::Extended),
                b'+' => after != After::Extended,
                _ => matches!(after, After::Prefix | After::Basic),
            };
            if !allowed {
                return Err(ParseError::Syntax);
            }
            if byte == b';' {
                self.bump();
                after = After::Separator;
            } else if byte == b'+' {
                commands.push(self.extended()?);
                after = After::Extended;
            } else {
                commands.push(self.basic()?);
                after = After::Basic;
            }
        }
    }

    /// An extended command, positioned on its `+`. Stops right after it; the caller checks
    /// that only `;` or the end follows.
    fn extended(&mut self) -> Result<Command, ParseError> {
        self.bump(); // '+'
        let name = self.take_while(|b| b.is_ascii_alphanumeric() || b == b'_');
        if name.is_empty() {
            return Err(ParseError::Syntax);
        }
        let name = format!("+{}", name.to_ascii_uppercase());
        self.skip_spaces();
        let kind = if self.eat(b'?') {
            Kind::Read
        } else if self.eat(b'=') {
            self.skip_spaces();
            if self.eat(b'?') {
                Kind::Test
            } else {
                Kind::Write(self.params()?)
            }
        } else {
            Kind::Exec
        };
        Ok(Command { name, kind })
    }

    /// The comma-separated parameters of a write command, up to `;` or the end of line.
    fn params(&mut self) -> Result<Vec<Param>, ParseError> {
        let mut params = Vec::new();
        loop {
            params.push(self.param()?);
            self.skip_spaces();
            match self.peek() {
                Some(b',') => self.bump(),
                None | Some(b';') => return Ok(params),
                Some(_) => return Err(ParseError::Syntax),
            }
        }
    }

    /// One parameter, leading spaces skipped; stops before its trailing spaces.
    fn param(&mut self) -> Result<Param, ParseError> {
        self.skip_spaces();
        if self.eat(b'"') {
            let start = self.pos;
            let len = self.text[start..].find('"').ok_or(ParseError::Syntax)?;
            self.pos = start + len + 1;
            return Ok(Param::Quoted(self.text[start..start + len].to_string()));
        }
        let token = self.take_while(is_bare_byte);
        if token.is_empty() {
            Ok(Param::Omitted)
        } else {
            Ok(Param::Bare(token.to_string()))
        }
    }

    /// A basic (V.25ter) command, positioned on its first byte. Stops right after it.
    fn basic(&mut self) -> Result<Command, ParseError> {
        let ampersand = self.eat(b'&');
        let letter = match self.peek() {
            Some(b) if b.is_ascii_alphabetic() => b.to_ascii_uppercase(),
            _ => return Err(ParseError::Syntax),
        };
        self.bump();
        if letter == b'S' && !ampersand {
            return self.s_register();
        }
        if letter == b'D' && !ampersand {
            return Ok(self.dial());
        }
        let mut name = String::with_capacity(2);
        if ampersand {
            name.push('&');
        }
        name.push(char::from(letter));
        let digits = self.take_while(|b| b.is_ascii_digit());
        let kind =
            if digits.is_empty() { Kind::Exec } else { Kind::Write(vec![Param::Bare(digits.to_string())]) };
        Ok(Command { name, kind })
    }

    /// `D<dial string>` (V.25ter 6.3.1): everything up to `;` or the end of the line, spaces
    /// left out, upper-cased, as one bare parameter (`ATD*99***1#` → `D` with `*99***1#`).
    fn dial(&mut self) -> Command {
        let text = self.take_while(|b| b != b';');
        let dial: String = text.chars().filter(|c| *c != ' ').collect::<String>().to_ascii_uppercase();
        let kind = if dial.is_empty() { Kind::Exec } else { Kind::Write(vec![Param::Bare(dial)]) };
        Command { name: "D".into(), kind }
    }

    /// `S<n>?`, `S<n>=?` or `S<n>=[<value>]`, positioned just after the `S`.
    fn s_register(&mut self) -> Result<Command, ParseError> {
        let number = self.take_while(|b| b.is_ascii_digit());
        if number.is_empty() {
            return Err(ParseError::Syntax);
        }
        let name = format!("S{number}");
        self.skip_spaces();
        let kind = if self.eat(b'?') {
            Kind::Read
        } else if self.eat(b'=') {
            self.skip_spaces();
            if self.eat(b'?') {
                Kind::Test
            } else {
                let value = self.take_while(|b| b.is_ascii_digit());
                if value.is_empty() {
                    Kind::Write(vec![Param::Omitted])
                } else {
                    Kind::Write(vec![Param::Bare(value.to_string())])
                }
            }
        } else {
            return Err(ParseError::Syntax);
        };
        Ok(Command { name, kind })
    }
}

/// Bytes an unquoted parameter may contain: printable ASCII other than the characters that
/// delimit or frame parameters.
fn is_bare_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'=' | b'?')
}

#[cfg(test)]
mod tests;
