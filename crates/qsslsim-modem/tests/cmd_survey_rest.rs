//! The last host-stack lines of docs/host-stacks.md's command table, driven straight into the
//! module with their whole answers checked byte for byte: `ATH` (Zephyr legacy), `AT+QDSIM`
//! (Particle, Zephyr), `AT+QCFG="cmux/urcport"` (Particle), `AT+CEDRXS` (Particle, FreeRTOS)
//! and `AT+QENG="servingcell"` (Sixfab pico_lte).

mod bench;

use std::time::Duration;

use bench::{Bench, CONNECT, ERROR, OK};

// ---- ATH -----------------------------------------------------------------------------------

#[test]
fn zephyr_legacy_ath_answers_ok() {
    let mut b = Bench::new();
    b.check("ATE0", OK);
    b.check("ATH", OK);
    b.check("ATH0", OK);
    b.check("ATH1", ERROR);
    b.check("ATH?", ERROR);
}

#[test]
fn ath_leaves_a_transparent_socket_that_was_escaped() {
    let mut b = Bench::new();
    b.connect(0, 2);
    b.advance(Duration::from_secs(1));
    b.input(b"+++");
    b.advance(Duration::from_secs(1));
    assert_eq!(b.take_writes_text(), [OK]);
    assert_eq!(b.port_mode(), "command");
    b.check("ATH", OK);
    assert!(b.take_actions().is_empty(), "ATH closes nothing");
    b.check("ATO", CONNECT);
    assert_eq!(b.port_mode(), "transparent");
}
