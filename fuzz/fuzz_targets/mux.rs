//! The checks live in harness/mux.rs, shared with the stable regression tests.
#![no_main]

#[path = "../harness/mux.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
