//! Bytes -> LineAssembler (every S3/S5/echo combination the input picks) -> parse_line.
//! The checks live in harness/at.rs, shared with crates/qsslsim-at/tests/fuzz_regressions.rs.
#![no_main]

#[path = "../harness/at.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
