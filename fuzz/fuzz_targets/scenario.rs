//! Arbitrary text into Scenario::parse (and, when it loads, every trigger). The checks live in
//! harness/scenario.rs, shared with crates/qsslsim-modem/tests/fuzz_regressions.rs.
#![no_main]

#[path = "../harness/scenario.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
