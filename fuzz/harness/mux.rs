//! The `mux` fuzz harness, shared by `fuzz_targets/mux.rs` and the stable regression test in
//! `crates/qsslsim-modem/tests/fuzz_regressions.rs`: a module in 27.010 mux mode fed hostile
//! frames and bytes.
//!
//! Byte 0 picks N1 (`AT+CMUX=0,0,5,<n1>` with n1 from 1 to 256). Then ops, each a tag byte
//! whose low 2 bits pick the op:
//!
//! | op | bytes after the tag | what it does |
//! |---|---|---|
//! | 0 RAW | `len`, `len` bytes | host bytes as they are |
//! | 1 FRAME | `dlci`, `kind`, `len`, `len` bytes | a well-formed frame (SABM, DISC, UIH, UI) for DLCI `dlci % 8` |
//! | 2 LINE | `dlci`, `idx` | a UIH frame carrying a canned command line |
//! | 3 TIME | `ms` | let `ms * 10` ms pass, calling `on_time` at each deadline |
//!
//! Asserted besides "no panic": while mux mode is on, every host write is a run of whole,
//! well-formed frames (the crate's decoder skips nothing in them); `next_deadline` is never at
//! or before now after `on_time`; host writes are never empty.

use std::time::{Duration, Instant, SystemTime};

use qsslsim_modem::mux::frame::{encode, Decoded, Decoder, Frame, Kind};
use qsslsim_modem::{Modem, ModemConfig, Output};

const LINES: &[&str] = &[
    "AT",
    "ATE0",
    "AT+CREG?",
    "AT+QIACT=1",
    "ATD*99#",
    "AT+QIOPEN=1,0,\"TCP\",\"192.0.2.1\",80,0,2",
    "AT+QCFG=\"cmux/urcport\",2",
    "AT+CFUN=1,1",
    "AT+QPOWD",
    "AT+CMUX=0",
    "+++",
    "ATO",
    "ATH",
    "AT+QFUPL=\"UFS:a\",10",
    "AT+QISEND=0,5",
    "AT+CGACT=0,1",
];

struct Ops<'a>(&'a [u8]);

impl Ops<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

pub fn run(data: &[u8]) {
    let mut ops = Ops(data);
    let n1 = u16::from(ops.byte().unwrap_or(126)) + 1;
    let start = Instant::now();
    let mut now = start;
    let mut m = Modem::new(ModemConfig::default(), now, SystemTime::UNIX_EPOCH);
    m.host_input(b"ATE0\r", now);
    m.host_input(format!("AT+CMUX=0,0,5,{n1}\r").as_bytes(), now);
    drain(&mut m, false);
    while let Some(tag) = ops.byte() {
        match tag & 3 {
            0 => {
                let len = usize::from(ops.byte().unwrap_or(0));
                let bytes = ops.bytes(len).to_vec();
                m.host_input(&bytes, now);
            }
            1 => {
                let dlci = ops.byte().unwrap_or(0) % 8;
                let kind =
                    [Kind::Sabm, Kind::Disc, Kind::Uih, Kind::Ui][usize::from(ops.byte().unwrap_or(0) % 4)];
                let len = usize::from(ops.byte().unwrap_or(0));
                let info =
                    if matches!(kind, Kind::Uih | Kind::Ui) { ops.bytes(len).to_vec() } else { vec![] };
                let f = Frame { dlci, cr: true, kind, pf: kind != Kind::Uih, info };
                m.host_input(&encode(&f), now);
            }
            2 => {
                let dlci = ops.byte().unwrap_or(1) % 5;
                let line = LINES[usize::from(ops.byte().unwrap_or(0)) % LINES.len()];
                let f = Frame {
                    dlci,
                    cr: true,
                    kind: Kind::Uih,
                    pf: false,
                    info: format!("{line}\r").into_bytes(),
                };
                m.host_input(&encode(&f), now);
            }
            _ => {
                let end = now + Duration::from_millis(u64::from(ops.byte().unwrap_or(0)) * 10);
                let mut ticks = 0;
                while let Some(at) = m.next_deadline().filter(|at| *at <= end) {
                    now = at.max(now);
                    m.on_time(now);
                    if let Some(next) = m.next_deadline() {
                        assert!(next > now, "next_deadline {next:?} not after now {now:?}");
                    }
                    ticks += 1;
                    if ticks > 256 {
                        break;
                    }
                }
                now = end.max(now);
            }
        }
        let muxed = m.snapshot()["mux"].is_object();
        drain(&mut m, muxed);
    }
}

/// Take the module's output; in mux mode every host write must be whole frames.
fn drain(m: &mut Modem, muxed: bool) {
    while let Some(out) = m.poll_output() {
        if let Output::Host(bytes) = out {
            assert!(!bytes.is_empty(), "empty host write");
            if muxed && bytes.first() == Some(&0xF9) {
                let mut d = Decoder::default();
                for got in d.feed(&bytes) {
                    assert!(
                        matches!(got, Decoded::Frame(_)),
                        "a malformed frame from the module: {got:?} in {bytes:02X?}"
                    );
                }
                assert!(d.is_idle(), "a frame cut short: {bytes:02X?}");
            }
        }
    }
}
