//! The checks live in harness/ppp.rs, shared with the stable regression tests.
#![no_main]

#[path = "../harness/ppp.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
