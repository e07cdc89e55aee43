//! Property-style tests over the public API, driven by a small deterministic PRNG so they need
//! no dependencies and fail reproducibly: the parser and line assembler never panic on any
//! input, and well-formed lines built from random commands parse back to those commands.

use qsslsim_at::{parse_line, Command, Kind, LineAssembler, LineEvent, Param, MAX_LINE_LEN};

/// xorshift64*: deterministic, good enough to explore input shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Pieces that make random strings look like (broken) AT syntax, plus non-ASCII and control
/// characters.
const PIECES: &[&str] = &[
    "AT",
    "at",
    "+",
    "&",
    "=",
    "?",
    "=?",
    ";",
    ",",
    "\"",
    " ",
    "S",
    "s3",
    "E0",
    "V1",
    "&D2",
    "+QSSLCFG",
    "+cmee",
    "0X0035",
    "0x",
    "-1",
    "12",
    "abc",
    "\u{e9}",
    "\u{4e2d}",
    "\u{1f600}",
    "\u{fffd}",
    "\0",
    "\t",
    "\r",
    "\n",
    "\x08",
    "\x7f",
    "/",
    "A/",
    "\u{200b}",
    "\u{0301}",
];

fn random_text(rng: &mut Rng, max_pieces: usize) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(max_pieces + 1) {
        if rng.chance(8) {
            // Any char at all, including surrogate-adjacent and high planes.
            if let Some(c) = char::from_u32(rng.next() as u32 % 0x11_0000) {
                s.push(c);
            }
        } else {
            s.push_str(rng.pick(PIECES));
        }
    }
    s
}

#[test]
fn parse_line_never_panics_on_random_text() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..200_000 {
        let text = random_text(&mut rng, 12);
        let _ = parse_line(&text);
        let _ = parse_line(&format!("AT{text}"));
    }
}

#[test]
fn parse_line_never_panics_on_lossy_random_bytes() {
    let mut rng = Rng(42);
    for _ in 0..50_000 {
        let len = rng.below(40);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_line(&text);
        let _ = parse_line(&format!("AT{text}"));
    }
}

#[test]
fn parse_line_never_panics_on_every_short_line() {
    // Every string of up to 4 symbols after "AT" over a small alphabet that contains every
    // character the grammar reacts to.
    let alphabet = ["+", "&", "=", "?", ";", ",", "\"", " ", "S", "E", "0", "x", "_", "\u{e9}", "\u{1f600}"];
    let mut line = String::from("AT");
    fn walk(line: &mut String, alphabet: &[&str], depth: usize) {
        let _ = parse_line(line);
        if depth == 0 {
            return;
        }
        for sym in alphabet {
            let len = line.len();
            line.push_str(sym);
            walk(line, alphabet, depth - 1);
            line.truncate(len);
        }
    }
    walk(&mut line, &alphabet, 4);
}

#[test]
fn line_assembler_never_panics_and_stays_bounded() {
    let mut rng = Rng(7);
    let mut asm = LineAssembler::default();
    let mut out = Vec::new();
    let mut fed = 0usize;
    for i in 0..300_000 {
        // Mostly printable, sometimes the special bytes, rarely anything.
        let byte = match rng.below(10) {
            0 => rng.pick(&[b'\r', b'\n', 0x08, 0, b'/', b'A', b'a']),
            1 => rng.next() as u8,
            _ => b' ' + rng.below(95) as u8,
        };
        if i % 50_000 == 0 {
            asm.s3 = rng.pick(&[13, 10, b'!']);
            asm.s5 = rng.pick(&[8, 127]);
        }
        let echo = !rng.chance(5);
        let before = out.len();
        match asm.push(byte, echo, &mut out) {
            Some(LineEvent::Line(text)) => {
                // Every replacement char stands for at least one raw byte.
                assert!(text.chars().count() <= MAX_LINE_LEN);
                let _ = parse_line(&text);
            }
            Some(LineEvent::Repeat | LineEvent::TooLong) | None => {}
        }
        // At most the byte itself is echoed, and only when echo is on.
        let echoed = out.len() - before;
        assert!(echoed <= usize::from(echo), "byte {byte} echoed {echoed} bytes");
        if echoed == 1 {
            assert_eq!(out[before], byte);
        }
        fed += 1;
        if out.len() > 4096 {
            out.clear();
        }
    }
    assert_eq!(fed, 300_000);
}

// --- round trip: render random well-formed commands, parse them back ----------------------

const NAME_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
const BARE_CHARS: &[u8] = b"0123456789abcdefXYZ+-.:/_*#";
const QUOTED_PIECES: &[&str] =
    &["a", "Z", " ", ",", ";", "=", "?", "+", "AT", "\u{e9}", "\u{4e2d}", "\u{1f600}", "'", "\\"];

fn random_from(rng: &mut Rng, chars: &[u8], min: usize, max: usize) -> String {
    let len = min + rng.below(max - min + 1);
    (0..len).map(|_| char::from(rng.pick(chars))).collect()
}

fn random_param(rng: &mut Rng) -> Param {
    match rng.below(3) {
        0 => Param::Omitted,
        1 => Param::Bare(random_from(rng, BARE_CHARS, 1, 8)),
        _ => {
            let n = rng.below(6);
            Param::Quoted((0..n).map(|_| rng.pick(QUOTED_PIECES)).collect())
        }
    }
}

fn random_extended(rng: &mut Rng) -> (String, Command) {
    let typed = random_from(rng, NAME_CHARS, 1, 10);
    let name = format!("+{}", typed.to_ascii_uppercase());
    let kind = match rng.below(4) {
        0 => Kind::Exec,
        1 => Kind::Read,
        2 => Kind::Test,
        _ => Kind::Write((0..1 + rng.below(5)).map(|_| random_param(rng)).collect()),
    };
    let mut text = format!("+{typed}");
    let space = |rng: &mut Rng, text: &mut String| {
        for _ in 0..rng.below(3) {
            text.push(' ');
        }
    };
    space(rng, &mut text);
    match &kind {
        Kind::Exec => {}
        Kind::Read => text.push('?'),
        Kind::Test => {
            text.push('=');
            space(rng, &mut text);
            text.push('?');
        }
        Kind::Write(params) => {
            text.push('=');
            for (i, p) in params.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                space(rng, &mut text);
                match p {
                    Param::Omitted => {}
                    Param::Bare(b) => text.push_str(b),
                    Param::Quoted(q) => {
                        text.push('"');
                        text.push_str(q);
                        text.push('"');
                    }
                }
                space(rng, &mut text);
            }
        }
    }
    (text, Command { name, kind })
}

fn random_basic(rng: &mut Rng) -> (String, Command) {
    // No S (S-registers) and no D (a dial string takes the rest of the line).
    let letters = b"ABCEFGHIJKLMNOPQRTUVWXYZabcefghijklmnopqrtuvwxyz";
    let amp = rng.chance(3);
    let letter = char::from(rng.pick(letters));
    let digits = random_from(rng, b"0123456789", 0, 3);
    let text = format!("{}{letter}{digits}", if amp { "&" } else { "" });
    let name = format!("{}{}", if amp { "&" } else { "" }, letter.to_ascii_uppercase());
    let kind = if digits.is_empty() { Kind::Exec } else { Kind::Write(vec![Param::Bare(digits)]) };
    (text, Command { name, kind })
}

#[test]
fn random_well_formed_lines_parse_back() {
    let mut rng = Rng(0xDEAD_BEEF);
    for _ in 0..20_000 {
        let prefix = rng.pick(&["AT", "at", "At", "aT"]);
        let mut line = prefix.to_string();
        let mut expected = Vec::new();
        // Basic texts always start with a letter or '&', so they concatenate unambiguously.
        for _ in 0..rng.below(3) {
            let (text, command) = random_basic(&mut rng);
            line.push_str(&text);
            expected.push(command);
        }
        let extended = rng.below(4);
        for i in 0..extended {
            // ';' is required between extended commands, optional after a basic one.
            if i > 0 || (!expected.is_empty() && rng.chance(2)) {
                line.push(';');
            }
            let (text, command) = random_extended(&mut rng);
            line.push_str(&text);
            expected.push(command);
        }
        if extended > 0 && rng.chance(3) {
            line.push(';');
        }
        assert_eq!(parse_line(&line).as_ref(), Ok(&expected), "line {line:?}");
    }
}
