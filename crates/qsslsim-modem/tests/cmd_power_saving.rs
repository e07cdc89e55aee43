//! Power saving and status reports driven straight into the module: `AT+CPSMS` stored and read
//! back in the module's format (and kept across a restart), `+CME ERROR: 50` for bad values,
//! `AT+QPSMS` refused as a command this family lacks, and the fixed reports of `AT+CEER`,
//! `AT+CBC` and `AT+QTEMP`. Every line the host stacks send is sent verbatim.

mod bench;

use std::time::Duration;

use bench::{Bench, ERROR, OK};
use qsslsim_modem::Event;

const CPSMS_DEFAULT: &str = "\r\n+CPSMS: 0,,,\"00000100\",\"00001111\"\r\n\r\nOK\r\n";

#[test]
fn host_stack_psm_and_status_lines_verbatim() {
    let mut b = Bench::new();
    for (line, want) in [
        // Particle (Cat-M parts) and mbed turn PSM off; FreeRTOS reads it back.
        ("AT+CPSMS=0", OK),
        ("AT+CPSMS?", CPSMS_DEFAULT),
        // mbed's and FreeRTOS's set form: T3412 and T3324 as quoted bytes.
        ("AT+CPSMS=1,,,\"00000100\",\"00001111\"", OK),
        ("AT+CPSMS?", "\r\n+CPSMS: 1,,,\"00000100\",\"00001111\"\r\n\r\nOK\r\n"),
        // FreeRTOS's maker-specific PSM command is not one of this family's.
        ("AT+QPSMS?", ERROR),
        ("AT+QPSMS=1,,,\"43200\",\"20\"", ERROR),
        // Particle polls the release cause while registering (EG91).
        ("AT+CEER", "\r\n+CEER: \"No cause information available\"\r\n\r\nOK\r\n"),
        // TinyGSM's battery and temperature readings.
        ("AT+CBC", "\r\n+CBC: 0,75,3800\r\n\r\nOK\r\n"),
        ("AT+QTEMP", "\r\n+QTEMP: 32,30,31\r\n\r\nOK\r\n"),
    ] {
        b.check(line, want);
    }
}

#[test]
fn cpsms_keeps_timers_left_out_and_mode_2_restores_the_defaults() {
    let mut b = Bench::new();
    b.check("AT+CPSMS?", CPSMS_DEFAULT);
    b.check("AT+CPSMS=1,,,\"10100011\",\"00100001\"", OK);
    b.check("AT+CPSMS?", "\r\n+CPSMS: 1,,,\"10100011\",\"00100001\"\r\n\r\nOK\r\n");
    // Only the mode: the timers stay.
    b.check("AT+CPSMS=0", OK);
    b.check("AT+CPSMS?", "\r\n+CPSMS: 0,,,\"10100011\",\"00100001\"\r\n\r\nOK\r\n");
    // Only the active time.
    b.check("AT+CPSMS=1,,,,\"00000101\"", OK);
    b.check("AT+CPSMS?", "\r\n+CPSMS: 1,,,\"10100011\",\"00000101\"\r\n\r\nOK\r\n");
    // GERAN timers are checked and not shown.
    b.check("AT+CPSMS=1,\"01000111\",\"01001010\",\"00000110\"", OK);
    b.check("AT+CPSMS?", "\r\n+CPSMS: 1,,,\"00000110\",\"00000101\"\r\n\r\nOK\r\n");
    b.check("AT+CPSMS=2", OK);
    b.check("AT+CPSMS?", CPSMS_DEFAULT);
    b.check("AT+CPSMS=1,,,\"11111111\",\"11100000\"", OK);
    // Everything omitted: PSM off, defaults back (27.007's special form).
    b.check("AT+CPSMS=", OK);
    b.check("AT+CPSMS?", CPSMS_DEFAULT);
    b.check(
        "AT+CPSMS=?",
        "\r\n+CPSMS: (0-2),,,(\"00000000\"-\"11111111\"),(\"00000000\"-\"11111111\")\r\n\r\nOK\r\n",
    );
}

#[test]
fn cpsms_bad_values_answer_cme_50_and_change_nothing() {
    let mut b = Bench::new();
    b.check("AT+CPSMS=1,,,\"00100001\",\"00000011\"", OK);
    let stored = "\r\n+CPSMS: 1,,,\"00100001\",\"00000011\"\r\n\r\nOK\r\n";
    for bad in [
        "AT+CPSMS=3",
        "AT+CPSMS=-1",
        "AT+CPSMS=x",
        "AT+CPSMS=\"1\"",
        "AT+CPSMS=,,,\"00000100\",\"00001111\"",
        "AT+CPSMS=1,,,\"0000010\",\"00001111\"",
        "AT+CPSMS=1,,,\"000001000\",\"00001111\"",
        "AT+CPSMS=1,,,\"00000102\",\"00001111\"",
        "AT+CPSMS=1,,,00000100,\"00001111\"",
        "AT+CPSMS=1,,,\"00000100\",\"0000111a\"",
        "AT+CPSMS=1,\"2\",,\"00000100\",\"00001111\"",
        "AT+CPSMS=1,,,\"00000100\",\"00001111\",1",
    ] {
        b.events.clear();
        b.check_cme(bad, 50);
        assert!(b.events.iter().any(|e| matches!(e, Event::Refused { .. })), "{bad:?} leaves a trace record");
    }
    b.check("AT+CPSMS?", stored);
    // Without AT+CMEE the same refusal is a plain ERROR.
    b.check("AT+CMEE=0", OK);
    b.check("AT+CPSMS=3", ERROR);
    // The exec form is not one the command has.
    b.check("AT+CMEE=1", OK);
    b.check("AT+CPSMS", ERROR);
    b.check("AT+CPSMS?", stored);
}

#[test]
fn cpsms_settings_survive_a_restart() {
    let mut b = Bench::new();
    b.check("AT+CPSMS=1,,,\"00111000\",\"00001111\"", OK);
    b.check("AT+CFUN=1,1", OK);
    b.advance(Duration::from_secs(1));
    b.writes.clear();
    b.check("ATE0", "ATE0\r\r\nOK\r\n");
    b.check("AT+CPSMS?", "\r\n+CPSMS: 1,,,\"00111000\",\"00001111\"\r\n\r\nOK\r\n");
}

#[test]
fn qpsms_is_not_a_command_of_this_family() {
    let mut b = Bench::new();
    for line in ["AT+QPSMS?", "AT+QPSMS=?", "AT+QPSMS", "AT+QPSMS=0", "AT+QPSMS=1,120,3600"] {
        b.events.clear();
        b.check(line, ERROR);
        assert!(b.events.iter().any(|e| matches!(e, Event::Refused { .. })), "{line:?} is traced");
    }
    // Not a +CME ERROR even under AT+CMEE=2: an unknown command.
    b.check("AT+CMEE=2", OK);
    b.check("AT+QPSMS?", ERROR);
}

#[test]
fn ceer_cbc_and_qtemp_test_forms_and_refused_forms() {
    let mut b = Bench::new();
    b.check("AT+CEER=?", OK);
    b.check("AT+CBC=?", "\r\n+CBC: (0-2),(0-100),(3300-4300)\r\n\r\nOK\r\n");
    b.check("AT+QTEMP=?", OK);
    for bad in ["AT+CEER?", "AT+CEER=1", "AT+CBC?", "AT+CBC=1", "AT+QTEMP?", "AT+QTEMP=0"] {
        b.check(bad, ERROR);
    }
    // The report does not change with what happened before.
    b.check("AT+QIACT=99", ERROR);
    b.check("AT+CEER", "\r\n+CEER: \"No cause information available\"\r\n\r\nOK\r\n");
}
