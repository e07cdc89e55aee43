//! The `at_parser` fuzz harness, shared by `fuzz_targets/at_parser.rs` and the stable
//! regression tests in `crates/qsslsim-at/tests/fuzz_regressions.rs` (included with `#[path]`),
//! so a crash input replays through exactly the same code on stable.
//!
//! Input: `[s3][s5][echo pattern][bytes...]`. The bytes go through a [`LineAssembler`] under
//! four settings (the defaults with echo on, echo off, echo switched per byte by the pattern,
//! and the fuzzed S3/S5 with the pattern), and every line that comes out goes through
//! [`parse_line`]. The whole input is also parsed directly as one line.
//!
//! Asserted, besides "no panic":
//! - a push echoes at most the one byte it was given, and only that byte; nothing with echo off;
//! - a line never holds more than [`MAX_LINE_LEN`] characters, never a NUL, never the S5 byte,
//!   never the S3 byte;
//! - every S3 byte ends exactly one line (`Line` or `TooLong`); `Repeat` only right after
//!   `A/`/`a/`;
//! - a line that was never longer than the limit is not reported `TooLong`, and vice versa;
//! - `parse_line` results are well-formed: names non-empty and upper-case, extended names
//!   start with `+`, quoted parameters hold no `"`, bare parameters no delimiter; and the
//!   parameter conversions (`int`, `hex`, `string`) agree with their documented grammar.

use qsslsim_at::{
    parse_line, Command, ErrorTexts, Framing, Kind, LineAssembler, LineEvent, Param, ResultCode, MAX_LINE_LEN,
};

pub fn run(data: &[u8]) {
    let (s3, s5, pattern, bytes) = match data {
        [s3, s5, pattern, rest @ ..] => (*s3, *s5, *pattern, rest),
        _ => (13, 8, 0xFF, data),
    };
    assemble(bytes, 13, 8, EchoMode::On);
    assemble(bytes, 13, 8, EchoMode::Off);
    assemble(bytes, 13, 8, EchoMode::Pattern(pattern));
    assemble(bytes, s3, s5, EchoMode::Pattern(pattern));
    // The parser on its own, on the raw input as one line.
    check_parse(&String::from_utf8_lossy(data));
}

#[derive(Clone, Copy)]
enum EchoMode {
    On,
    Off,
    /// Echo for byte `i` is bit `i % 8` of the pattern.
    Pattern(u8),
}

impl EchoMode {
    fn echo(self, i: usize) -> bool {
        match self {
            EchoMode::On => true,
            EchoMode::Off => false,
            EchoMode::Pattern(p) => p & (1 << (i % 8)) != 0,
        }
    }
}

fn assemble(bytes: &[u8], s3: u8, s5: u8, mode: EchoMode) {
    let mut asm = LineAssembler::default();
    asm.s3 = s3;
    asm.s5 = s5;
    let mut out = Vec::new();
    // A shadow of the line's length in bytes as the assembler should count it (NULs ignored,
    // S5 deletes one, the limit caps it), to check TooLong against.
    let mut shadow_len = 0usize;
    let mut shadow_overflow = false;
    // The first byte of the line held so far (what `A/` looks at).
    let mut first: Option<u8> = None;
    let mut after_terminator = false;
    for (i, &b) in bytes.iter().enumerate() {
        let echo = mode.echo(i);
        let before = out.len();
        let event = asm.push(b, echo, &mut out);
        let echoed = &out[before..];
        assert!(echoed.len() <= 1, "one byte in, {} echoed: {echoed:?}", echoed.len());
        if !echo {
            assert!(echoed.is_empty(), "echo off but {echoed:?} echoed");
        }
        if let [e] = echoed {
            assert_eq!(*e, b, "echoed a different byte");
        }

        // Shadow model of the byte rules (module docs of qsslsim_at::line).
        let ignored_nul = b == 0 && b != s3 && b != s5;
        let skipped_lf = !ignored_nul && b == b'\n' && after_terminator && b != s3;
        if !ignored_nul {
            after_terminator = false;
        }
        // A Ctrl+Z or ESC with no line started is a stray send terminator: dropped.
        let stray = !ignored_nul
            && !skipped_lf
            && matches!(b, 0x1A | 0x1B)
            && b != s3
            && b != s5
            && shadow_len == 0
            && !shadow_overflow;
        if ignored_nul || skipped_lf || stray {
            assert!(echoed.is_empty(), "ignored byte {b:#x} was echoed");
            assert_eq!(event, None, "ignored byte {b:#x} produced {event:?}");
            continue;
        }
        if echo {
            assert_eq!(echoed, [b], "byte {b:#x} not echoed with echo on");
        }
        if b == s3 {
            after_terminator = true;
            match &event {
                Some(LineEvent::Line(line)) => {
                    assert!(!shadow_overflow, "line over the limit reported as a line");
                    check_line(line, s3, s5);
                    check_parse(line);
                }
                Some(LineEvent::TooLong) => assert!(shadow_overflow, "TooLong for a line within the limit"),
                other => panic!("S3 byte gave {other:?}, not a line"),
            }
            shadow_len = 0;
            shadow_overflow = false;
            first = None;
            continue;
        }
        if b == s5 {
            assert_eq!(event, None);
            shadow_len = shadow_len.saturating_sub(1);
            if shadow_len == 0 {
                first = None;
            }
            continue;
        }
        let repeat = b == b'/' && !shadow_overflow && shadow_len == 1 && matches!(first, Some(b'A' | b'a'));
        if repeat {
            assert_eq!(event, Some(LineEvent::Repeat), "A/ did not repeat");
            shadow_len = 0;
            first = None;
            continue;
        }
        assert_eq!(event, None, "byte {b:#x} gave {event:?}");
        if shadow_len < MAX_LINE_LEN {
            shadow_len += 1;
            if shadow_len == 1 {
                first = Some(b);
            }
        } else {
            shadow_overflow = true;
        }
    }
    if matches!(mode, EchoMode::Off) {
        assert!(out.is_empty());
    }
    assert!(out.len() <= bytes.len(), "echo longer than the input");
}

fn check_line(line: &str, s3: u8, s5: u8) {
    assert!(line.chars().count() <= MAX_LINE_LEN, "line of {} chars", line.chars().count());
    assert!(!line.contains('\0'), "NUL stored in a line");
    if s5.is_ascii() {
        assert!(!line.contains(char::from(s5)), "S5 byte stored in a line");
    }
    if s3.is_ascii() {
        assert!(!line.contains(char::from(s3)), "S3 byte stored in a line");
    }
}

fn check_parse(line: &str) {
    let Ok(cmds) = parse_line(line) else { return };
    assert!(line.len() >= 2 && line[..2].eq_ignore_ascii_case("AT"), "parsed a line without AT: {line:?}");
    for cmd in &cmds {
        check_command(cmd);
    }
    // Framing an arbitrary text never panics and always ends with CRLF.
    let mut out = Vec::new();
    for framing in
        [Framing::default(), Framing { verbose: false, cmee: 0 }, Framing { verbose: true, cmee: 2 }]
    {
        out.clear();
        framing.info(line, &mut out);
        assert!(out.ends_with(b"\r\n"));
        let texts = ErrorTexts { cme: |_| "text", cms: |_| "text" };
        framing.result(ResultCode::CmeError(line.len() as u16), texts, &mut out);
        framing.result(ResultCode::CmsError(line.len() as u16), texts, &mut out);
        framing.urc(line, &mut out);
    }
}

fn check_command(cmd: &Command) {
    let name = &cmd.name;
    assert!(!name.is_empty(), "empty command name");
    assert_eq!(name.to_ascii_uppercase(), *name, "name not upper-cased");
    assert!(name.is_ascii(), "non-ASCII name {name:?}");
    if let Some(rest) = name.strip_prefix('+') {
        assert!(!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    } else {
        let letters = name.strip_prefix('&').unwrap_or(name);
        assert!(letters.as_bytes().first().is_some_and(u8::is_ascii_alphabetic), "basic name {name:?}");
    }
    if let Kind::Write(params) = &cmd.kind {
        assert!(!params.is_empty(), "write command without parameters");
        for p in params {
            check_param(p);
        }
    }
}

fn check_param(p: &Param) {
    match p {
        Param::Quoted(s) => {
            assert!(!s.contains('"'), "quote inside a quoted parameter");
            assert_eq!(p.string(), Some(s.as_str()));
            assert_eq!(p.int(), None);
            assert_eq!(p.hex(), None);
        }
        Param::Bare(s) => {
            assert!(!s.is_empty(), "empty bare parameter");
            assert!(
                s.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'=' | b'?')),
                "delimiter in a bare parameter {s:?}"
            );
            assert_eq!(p.string(), None);
            if let Some(n) = p.int() {
                let digits = s.trim_start_matches(['+', '-']);
                assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                assert_eq!(s.parse::<i64>().ok(), Some(n));
            }
            if let Some(n) = p.hex() {
                let digits = &s[2..];
                assert!(s[..2].eq_ignore_ascii_case("0x") && (1..=8).contains(&digits.len()));
                assert_eq!(u32::from_str_radix(digits, 16).ok(), Some(n));
            }
        }
        Param::Omitted => {
            assert!(p.is_omitted());
            assert_eq!((p.int(), p.hex(), p.string()), (None, None, None));
        }
    }
}
