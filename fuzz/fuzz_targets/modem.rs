//! The sans-IO module driven by a script of host bytes, time, network events, DTR and faults.
//! The script format and the checks live in harness/modem.rs, shared with
//! crates/qsslsim-modem/tests/fuzz_regressions.rs.
#![no_main]

#[path = "../harness/modem.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
