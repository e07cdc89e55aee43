//! AT command syntax for qsslsim, with no I/O and no async: assembling command lines from
//! host bytes (S3 terminator, S5 backspace, echo, `A/` repeat, length limit), parsing a line
//! into commands (`;` chains, basic and extended syntax, quoted strings, decimal and hex
//! values, omitted parameters) and framing responses and URCs (ATV0/ATV1, `+CME ERROR`, `+CMS ERROR`).

pub mod command;
pub mod line;
pub mod param;
pub mod response;

pub use command::{parse_line, Command, Kind, ParseError};
pub use line::{LineAssembler, LineEvent, MAX_LINE_LEN};
pub use param::Param;
pub use response::{quote, ErrorTexts, Framing, ResultCode};
