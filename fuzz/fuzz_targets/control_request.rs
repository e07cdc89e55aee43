//! Arbitrary bytes into the control socket's Request type (serde_json), as control::answer
//! parses a request line. The checks live in harness/control.rs, shared with
//! crates/qsslsim/tests/fuzz_regressions.rs.
#![no_main]

#[path = "../harness/control.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
