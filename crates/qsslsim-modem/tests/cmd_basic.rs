//! V.25ter basics driven straight into the module: framing, echo (`ATE`), result format
//! (`ATV`), `ATQ`, `ATI`, `ATZ`/`AT&F`/`AT&W`, `AT&D`, chains with `;`, `A/`, backspace and
//! bad lines. Exact bytes, and where it matters the split into writes.

mod bench;

use bench::{Bench, ERROR, OK};
use qsslsim_modem::ModemConfig;

const ATI: &str = "\r\nQuectel\r\nEG915Q-GL\r\nRevision: EG915QGLR01A01M08\r\n\r\nOK\r\n";

// ---- the command line ----------------------------------------------------------------------

#[test]
fn at_with_echo_on_is_echo_then_ok_in_one_write() {
    let mut b = Bench::with_echo();
    assert_eq!(b.at_writes("AT"), ["AT\r\r\nOK\r\n"]);
}

#[test]
fn the_at_prefix_is_accepted_in_any_case() {
    let mut b = Bench::new();
    for line in ["AT", "at", "At", "aT"] {
        b.check(line, OK);
    }
}

#[test]
fn lf_after_cr_is_neither_echoed_nor_a_line() {
    let mut b = Bench::with_echo();
    b.input(b"AT\r\n");
    assert_eq!(b.take_text(), "AT\r\r\nOK\r\n");
    // The same bytes one at a time.
    for byte in b"AT\r\n" {
        b.input(&[*byte]);
    }
    assert_eq!(b.take_text(), "AT\r\r\nOK\r\n");
}

#[test]
fn an_empty_line_gets_no_answer_only_its_echo() {
    let mut b = Bench::new();
    b.check("", "");
    let mut b = Bench::with_echo();
    b.check("", "\r");
}

#[test]
fn a_line_not_starting_with_at_is_an_error() {
    let mut b = Bench::new();
    b.check("HELLO", ERROR);
    b.check("A", ERROR);
}

#[test]
fn two_lines_in_one_read_get_two_writes() {
    let mut b = Bench::new();
    b.input(b"AT\rAT+CSQ\r");
    assert_eq!(b.take_writes_text(), [OK, "\r\n+CSQ: 24,99\r\n\r\nOK\r\n"]);
}

#[test]
fn a_line_split_across_reads_is_answered_once_complete() {
    let mut b = Bench::new();
    b.input(b"AT+CM");
    assert_eq!(b.take_text(), "");
    b.input(b"EE?\r");
    assert_eq!(b.take_text(), "\r\n+CMEE: 1\r\n\r\nOK\r\n");
}

#[test]
fn a_partial_line_echo_is_its_own_write() {
    let mut b = Bench::with_echo();
    b.input(b"AT+C");
    b.input(b"SQ\r");
    assert_eq!(b.take_writes_text(), ["AT+C", "SQ\r\r\n+CSQ: 24,99\r\n\r\nOK\r\n"]);
}

#[test]
fn backspace_deletes_and_is_echoed() {
    let mut b = Bench::new();
    b.check("ATX\x08I", ATI);
    let mut b = Bench::with_echo();
    b.check("ATX\x08I", &format!("ATX\x08I\r{ATI}"));
}

#[test]
fn nul_bytes_are_ignored() {
    let mut b = Bench::new();
    b.input(b"A\0T\0\r");
    assert_eq!(b.take_text(), OK);
}

#[test]
fn del_is_an_ordinary_character_so_the_line_is_an_error() {
    let mut b = Bench::new();
    b.check("AT\x7f", ERROR);
}

#[test]
fn a_line_over_1024_characters_is_an_error_and_the_next_one_works() {
    let mut b = Bench::new();
    b.check(&format!("AT+{}", "X".repeat(2000)), ERROR);
    b.check("AT", OK);
    // 1024 characters is still a line (here an unknown command).
    b.check(&format!("AT+{}", "X".repeat(1021)), ERROR);
}

#[test]
fn unknown_commands_and_s_registers_are_errors() {
    let mut b = Bench::new();
    for line in
        ["AT+NOSUCH", "AT+NOSUCH?", "AT+NOSUCH=?", "AT+NOSUCH=1", "ATS3=13", "ATS3?", "ATX", "AT + CMEE?"]
    {
        b.check(line, ERROR);
    }
}

#[test]
fn an_unknown_command_leaves_the_recorded_error_alone() {
    let mut b = Bench::new();
    b.check_code("AT+QSSLRECV=12,1", 552);
    b.check("AT+NOSUCH", ERROR);
    assert_eq!(b.last_error(), 552);
}

// ---- ATE -----------------------------------------------------------------------------------

#[test]
fn ate0_is_itself_echoed_and_later_lines_are_not() {
    let mut b = Bench::with_echo();
    b.check("ATE0", "ATE0\r\r\nOK\r\n");
    b.check("AT", OK);
}

#[test]
fn ate1_is_not_echoed_but_turns_echo_on() {
    let mut b = Bench::new();
    b.check("ATE1", OK);
    b.check("AT", "AT\r\r\nOK\r\n");
}

#[test]
fn ate_without_a_digit_means_ate0() {
    let mut b = Bench::with_echo();
    b.check("ATE", "ATE\r\r\nOK\r\n");
    b.check("AT", OK);
}

#[test]
fn ate_out_of_range_is_an_error_and_changes_nothing() {
    let mut b = Bench::new();
    b.check("ATE2", ERROR);
    b.check("ATE?", ERROR);
    b.check("AT", OK);
    assert_eq!(b.snapshot()["echo"], false);
}

// ---- ATV -----------------------------------------------------------------------------------

#[test]
fn atv0_gives_numeric_codes_and_bare_info_lines() {
    let mut b = Bench::with_echo();
    // The line that turns echo off and numeric codes on is echoed, then answered numerically.
    b.check("ATE0V0", "ATE0V0\r0\r");
    b.check("AT", "0\r");
    b.check("AT+NOSUCH", "4\r");
    b.check("AT+CPIN?", "+CPIN: READY\r\n0\r");
    b.check("ATI", "Quectel\r\nEG915Q-GL\r\nRevision: EG915QGLR01A01M08\r\n0\r");
    b.check("ATO", "3\r");
}

#[test]
fn atv0_keeps_cme_errors_as_text_without_a_leading_crlf() {
    let mut b = Bench::new();
    b.check("ATV0", "0\r");
    b.check("AT+QFDEL=\"missing.pem\"", "+CME ERROR: 405\r\n");
}

#[test]
fn atv0_connect_is_1() {
    let mut b = Bench::new();
    b.check("ATV0", "0\r");
    b.check("AT+QFUPL=\"a.txt\",2", "1\r");
    b.input(b"hi");
    assert_eq!(b.take_text(), "+QFUPL: 2,6869\r\n0\r");
}

#[test]
fn atv_without_a_digit_means_atv0_and_atv1_restores() {
    let mut b = Bench::new();
    b.check("ATV", "0\r");
    b.check("ATV1", OK);
    b.check("AT", OK);
}

#[test]
fn atv2_is_an_error() {
    let mut b = Bench::new();
    b.check("ATV2", ERROR);
    b.check("AT", OK);
}

// ---- ATQ, ATI ------------------------------------------------------------------------------

#[test]
fn atq0_is_accepted_and_atq1_refused() {
    let mut b = Bench::new();
    b.check("ATQ0", OK);
    b.check("ATQ", OK);
    b.check("ATQ1", ERROR);
}

#[test]
fn ati_names_maker_model_and_revision() {
    let mut b = Bench::new();
    b.check("ATI", ATI);
    b.check("ATI0", ATI);
    b.check("ATI1", ERROR);
}

#[test]
fn ati_reports_the_configured_model() {
    let cfg =
        ModemConfig { model: "EG800Q-EU".into(), revision: "EG800QEUR01A01".into(), ..Default::default() };
    let mut b = Bench::with(cfg);
    b.check("ATI", "\r\nQuectel\r\nEG800Q-EU\r\nRevision: EG800QEUR01A01\r\n\r\nOK\r\n");
}

// ---- ATZ, AT&F, AT&W -----------------------------------------------------------------------

/// Change every port setting away from the factory values.
fn unsettle(b: &mut Bench) {
    b.check("AT+CMEE=2", OK);
    b.check("AT&D0", OK);
    b.check("ATV0", "0\r");
}

#[test]
fn atz_restores_echo_verbose_codes_cmee_and_dtr_mode() {
    let mut b = Bench::new();
    unsettle(&mut b);
    // Typed with echo off, answered with the restored framing.
    b.check("ATZ", OK);
    b.check("AT+CMEE?", "AT+CMEE?\r\r\n+CMEE: 1\r\n\r\nOK\r\n");
    assert_eq!(b.snapshot()["dtr_mode"], 1);
}

#[test]
fn at_f_restores_the_factory_settings_too() {
    let mut b = Bench::new();
    unsettle(&mut b);
    b.check("AT&F", OK);
    b.check("AT+CMEE?", "AT+CMEE?\r\r\n+CMEE: 1\r\n\r\nOK\r\n");
    assert_eq!(b.snapshot()["dtr_mode"], 1);
}

#[test]
fn atz_and_at_f_take_only_zero() {
    let mut b = Bench::new();
    b.check("ATZ0", OK);
    b.check("ATE0", "ATE0\r\r\nOK\r\n");
    b.check("AT&F0", OK);
    b.check("ATE0", "ATE0\r\r\nOK\r\n");
    b.check("ATZ1", ERROR);
    b.check("AT&F1", ERROR);
    b.check("AT", OK);
}

#[test]
fn atz_leaves_pdp_contexts_and_ssl_settings_alone() {
    let mut b = Bench::new();
    b.check("AT+QIACT=1", OK);
    b.check("AT+QSSLCFG=\"sni\",2,1", OK);
    b.check("ATZ", OK);
    b.check("ATE0", "ATE0\r\r\nOK\r\n");
    b.check("AT+QIACT?", "\r\n+QIACT: 1,1,1,\"10.7.157.1\"\r\n\r\nOK\r\n");
    b.check("AT+QSSLCFG=\"sni\",2", "\r\n+QSSLCFG: \"sni\",2,1\r\n\r\nOK\r\n");
}

#[test]
fn at_w_is_accepted_and_changes_nothing() {
    let mut b = Bench::new();
    b.check("AT&W", OK);
    b.check("AT&W0", OK);
    b.check("AT&W1", ERROR);
    b.check("AT", OK);
}

// ---- AT&D ----------------------------------------------------------------------------------

#[test]
fn at_d_stores_0_to_2() {
    let mut b = Bench::new();
    for (line, mode) in [("AT&D2", 2), ("AT&D0", 0), ("AT&D1", 1), ("AT&D2", 2), ("AT&D", 0)] {
        b.check(line, OK);
        assert_eq!(b.snapshot()["dtr_mode"], mode, "after {line}");
    }
}

#[test]
fn at_d3_and_the_read_form_are_errors() {
    let mut b = Bench::new();
    b.check("AT&D2", OK);
    b.check("AT&D3", ERROR);
    b.check("AT&D?", ERROR);
    assert_eq!(b.snapshot()["dtr_mode"], 2);
}

// ---- chains --------------------------------------------------------------------------------

#[test]
fn basic_commands_chain_without_separators() {
    let mut b = Bench::new();
    b.check("AT&D2E1Q0", OK);
    assert_eq!(b.snapshot()["dtr_mode"], 2);
    b.check("AT", "AT\r\r\nOK\r\n");
}

#[test]
fn extended_commands_chain_with_semicolons_and_share_one_ok() {
    let mut b = Bench::new();
    b.check("AT+CMEE=2;+CMEE?", "\r\n+CMEE: 2\r\n\r\nOK\r\n");
    // Each command's information starts its own block.
    b.check("AT+CMEE?;+CSQ", "\r\n+CMEE: 2\r\n\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    // A trailing ';' is allowed; a basic command may lead the chain.
    b.check("AT+CMEE?;", "\r\n+CMEE: 2\r\n\r\nOK\r\n");
    b.check("ATQ0;+CMEE=1", OK);
    b.check("AT+CMEE?", "\r\n+CMEE: 1\r\n\r\nOK\r\n");
}

#[test]
fn a_chain_stops_at_the_first_error_keeping_earlier_output() {
    let mut b = Bench::new();
    b.check("AT+CMEE=2;+NOSUCH;+CMEE=0", ERROR);
    b.check("AT+CMEE?", "\r\n+CMEE: 2\r\n\r\nOK\r\n");
    b.check("AT+CMEE?;+NOSUCH", "\r\n+CMEE: 2\r\n\r\nERROR\r\n");
}

#[test]
fn a_second_at_inside_a_line_is_a_syntax_error_and_nothing_runs() {
    let mut b = Bench::new();
    b.check("AT+CMEE=0;AT+CSQ", ERROR);
    b.check("ATE0;V1", ERROR);
    b.check("AT+CMEE?", "\r\n+CMEE: 1\r\n\r\nOK\r\n");
}

#[test]
fn a_command_entering_a_data_mode_drops_the_rest_of_the_chain() {
    let mut b = Bench::new();
    b.check("AT+QFUPL=\"a.txt\",1;+CMEE=2", "\r\nCONNECT\r\n");
    b.input(b"x");
    assert_eq!(b.take_text(), "\r\n+QFUPL: 1,7800\r\n\r\nOK\r\n");
    b.check("AT+CMEE?", "\r\n+CMEE: 1\r\n\r\nOK\r\n");
}

// ---- A/ ------------------------------------------------------------------------------------

#[test]
fn a_slash_with_no_previous_line_is_an_error() {
    // A fresh module: not even ATE0 has been typed.
    let mut b = Bench::with_echo();
    b.input(b"A/");
    assert_eq!(b.take_text(), "A/\r\nERROR\r\n");
}

#[test]
fn a_slash_repeats_the_previous_line_without_a_cr() {
    let mut b = Bench::new();
    b.check("AT+CMEE=2;+CMEE?", "\r\n+CMEE: 2\r\n\r\nOK\r\n");
    b.input(b"A/");
    assert_eq!(b.take_text(), "\r\n+CMEE: 2\r\n\r\nOK\r\n");
    b.input(b"a/");
    assert_eq!(b.take_text(), "\r\n+CMEE: 2\r\n\r\nOK\r\n");
}

#[test]
fn a_slash_is_echoed_with_its_answer() {
    let mut b = Bench::with_echo();
    b.check("AT+CSQ", "AT+CSQ\r\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    b.input(b"A/");
    assert_eq!(b.take_writes_text(), ["A/\r\n+CSQ: 24,99\r\n\r\nOK\r\n"]);
}

#[test]
fn a_slash_skips_lines_that_did_not_parse() {
    let mut b = Bench::new();
    b.check("AT+CSQ", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    b.check("AT+CMEE=\"x", ERROR);
    b.input(b"A/");
    assert_eq!(b.take_text(), "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    // A line that parsed but failed is repeated, failing again.
    b.check("AT+NOSUCH", ERROR);
    b.input(b"A/");
    assert_eq!(b.take_text(), ERROR);
}
