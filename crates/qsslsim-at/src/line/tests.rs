//! Unit tests for [`super::LineAssembler`].

use super::{LineAssembler, LineEvent, MAX_LINE_LEN};

/// Feed `bytes` one at a time; return the events in order and everything echoed.
fn feed(asm: &mut LineAssembler, bytes: &[u8], echo: bool) -> (Vec<LineEvent>, Vec<u8>) {
    let mut out = Vec::new();
    let events = bytes.iter().filter_map(|&b| asm.push(b, echo, &mut out)).collect();
    (events, out)
}

fn line(s: &str) -> LineEvent {
    LineEvent::Line(s.to_string())
}

#[test]
fn defaults_are_cr_and_bs() {
    let asm = LineAssembler::default();
    assert_eq!(asm.s3, 13);
    assert_eq!(asm.s5, 8);
}

#[test]
fn a_line_ends_at_cr_and_is_echoed_with_it() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"AT+QIACT?\r", true);
    assert_eq!(events, vec![line("AT+QIACT?")]);
    assert_eq!(out, b"AT+QIACT?\r");
}

#[test]
fn no_event_before_the_terminator() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"AT+QIACT?", true);
    assert_eq!(events, vec![]);
    assert_eq!(out, b"AT+QIACT?");
    let (events, out) = feed(&mut asm, b"\r", true);
    assert_eq!(events, vec![line("AT+QIACT?")]);
    assert_eq!(out, b"\r");
}

#[test]
fn nothing_is_echoed_with_echo_off() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"ATE0\rA/AT\x08\x08\r", false);
    assert_eq!(events, vec![line("ATE0"), LineEvent::Repeat, line("")]);
    assert_eq!(out, b"");
}

#[test]
fn an_empty_line_is_still_a_line() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"\r\r", true);
    assert_eq!(events, vec![line(""), line("")]);
    assert_eq!(out, b"\r\r");
}

#[test]
fn lf_right_after_the_terminator_is_dropped_silently() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"AT\r\nATI\r\n", true);
    assert_eq!(events, vec![line("AT"), line("ATI")]);
    assert_eq!(out, b"AT\rATI\r");
}

#[test]
fn only_the_first_lf_after_the_terminator_is_dropped() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"AT\r\n\nAT\r", true);
    assert_eq!(events, vec![line("AT"), line("\nAT")]);
    assert_eq!(out, b"AT\r\nAT\r");
}

#[test]
fn lf_elsewhere_is_an_ordinary_byte() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"\nA\nT\r", true);
    assert_eq!(events, vec![line("\nA\nT")]);
    assert_eq!(out, b"\nA\nT\r");
}

#[test]
fn lf_after_a_terminator_split_across_calls_is_still_dropped() {
    let mut asm = LineAssembler::default();
    let (_, _) = feed(&mut asm, b"AT\r", true);
    let (events, out) = feed(&mut asm, b"\n", true);
    assert_eq!(events, vec![]);
    assert_eq!(out, b"");
}

#[test]
fn backspace_deletes_the_previous_byte_and_is_echoed() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"ATX\x08I\r", true);
    assert_eq!(events, vec![line("ATI")]);
    assert_eq!(out, b"ATX\x08I\r");
}

#[test]
fn backspace_on_an_empty_line_is_harmless_but_echoed() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"\x08\x08AT\x08\x08\x08OK\r", true);
    assert_eq!(events, vec![line("OK")]);
    assert_eq!(out, b"\x08\x08AT\x08\x08\x08OK\r");
}

#[test]
fn nul_bytes_are_ignored() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"\0A\0T\0\r\0\nAT\r", true);
    // The NUL between CR and LF does not stop the LF from being dropped.
    assert_eq!(events, vec![line("AT"), line("AT")]);
    assert_eq!(out, b"AT\rAT\r");
}

#[test]
fn a_slash_repeats_immediately_without_a_terminator() {
    for first in [b'A', b'a'] {
        let mut asm = LineAssembler::default();
        let (events, out) = feed(&mut asm, &[first, b'/'], true);
        assert_eq!(events, vec![LineEvent::Repeat], "first byte {first}");
        assert_eq!(out, [first, b'/']);
        // The buffer was cleared: the next line starts fresh.
        let (events, out) = feed(&mut asm, b"ATI\r", true);
        assert_eq!(events, vec![line("ATI")]);
        assert_eq!(out, b"ATI\r");
    }
}

#[test]
fn repeat_works_after_a_previous_line() {
    let mut asm = LineAssembler::default();
    let (events, _) = feed(&mut asm, b"AT+CSQ\r\nA/", true);
    assert_eq!(events, vec![line("AT+CSQ"), LineEvent::Repeat]);
}

#[test]
fn slash_elsewhere_is_ordinary() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"AT/\r/A/\rB/\r/\r", true);
    assert_eq!(events, vec![line("AT/"), line("/A/"), line("B/"), line("/")]);
    assert_eq!(out, b"AT/\r/A/\rB/\r/\r");
}

#[test]
fn repeat_counts_the_line_after_backspaces() {
    // The buffer holds just "A" once the X is erased.
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"AX\x08/", true);
    assert_eq!(events, vec![LineEvent::Repeat]);
    assert_eq!(out, b"AX\x08/");
}

#[test]
fn invalid_utf8_is_converted_lossily() {
    let mut asm = LineAssembler::default();
    let (events, _) = feed(&mut asm, b"AT+X=\"\xff\xc3\xa9\"\r", true);
    assert_eq!(events, vec![line("AT+X=\"\u{fffd}\u{e9}\"")]);
}

#[test]
fn custom_terminator_and_backspace() {
    let mut asm = LineAssembler { s3: b'!', s5: 0x7f, ..LineAssembler::default() };
    let (events, out) = feed(&mut asm, b"ATE\x7fI\r!", true);
    assert_eq!(events, vec![line("ATI\r")]);
    assert_eq!(out, b"ATE\x7fI\r!");
    // With S3 changed, CR is ordinary and BS is ordinary.
    let (events, _) = feed(&mut asm, b"A\x08!", true);
    assert_eq!(events, vec![line("A\x08")]);
}

#[test]
fn lf_as_the_terminator_ends_every_line() {
    let mut asm = LineAssembler { s3: b'\n', ..LineAssembler::default() };
    let (events, out) = feed(&mut asm, b"AT\n\n", true);
    assert_eq!(events, vec![line("AT"), line("")]);
    assert_eq!(out, b"AT\n\n");
}

#[test]
fn a_line_of_exactly_the_limit_is_accepted() {
    let mut asm = LineAssembler::default();
    let mut input = vec![b'X'; MAX_LINE_LEN];
    input.push(b'\r');
    let (events, out) = feed(&mut asm, &input, true);
    assert_eq!(events, vec![line(&"X".repeat(MAX_LINE_LEN))]);
    assert_eq!(out, input);
}

#[test]
fn a_line_over_the_limit_is_too_long_but_still_echoed() {
    let mut asm = LineAssembler::default();
    let mut input = vec![b'X'; MAX_LINE_LEN + 1];
    input.push(b'\r');
    let (events, out) = feed(&mut asm, &input, true);
    assert_eq!(events, vec![LineEvent::TooLong]);
    assert_eq!(out, input);
}

#[test]
fn memory_stays_bounded_while_overflowing() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, &vec![b'Y'; 10 * MAX_LINE_LEN], true);
    assert_eq!(events, vec![]);
    assert_eq!(out.len(), 10 * MAX_LINE_LEN);
    assert_eq!(asm.buf.len(), MAX_LINE_LEN);
    assert!(asm.buf.capacity() <= 2 * MAX_LINE_LEN, "{}", asm.buf.capacity());
    let (events, _) = feed(&mut asm, b"\r", true);
    assert_eq!(events, vec![LineEvent::TooLong]);
    assert_eq!(asm.buf.len(), 0);
}

#[test]
fn overflow_is_sticky_until_the_terminator_even_after_backspace() {
    let mut asm = LineAssembler::default();
    let mut input = vec![b'X'; MAX_LINE_LEN + 1];
    input.extend_from_slice(b"\x08\x08\r");
    let (events, _) = feed(&mut asm, &input, true);
    assert_eq!(events, vec![LineEvent::TooLong]);
}

#[test]
fn the_next_line_after_too_long_is_normal() {
    let mut asm = LineAssembler::default();
    let mut input = vec![b'X'; MAX_LINE_LEN + 5];
    input.extend_from_slice(b"\r\nAT\r");
    let (events, out) = feed(&mut asm, &input, true);
    assert_eq!(events, vec![LineEvent::TooLong, line("AT")]);
    // The LF after the too-long line's CR is dropped like any other.
    assert_eq!(out.len(), MAX_LINE_LEN + 5 + 4);
}

#[test]
fn no_repeat_once_the_line_has_overflowed() {
    let mut asm = LineAssembler::default();
    let mut input = vec![b'X'; MAX_LINE_LEN + 1];
    input.extend(vec![0x08; MAX_LINE_LEN - 1]);
    input.push(b'/');
    let (events, _) = feed(&mut asm, &input, true);
    assert_eq!(events, vec![]);
    let (events, _) = feed(&mut asm, b"\r", true);
    assert_eq!(events, vec![LineEvent::TooLong]);
}

#[test]
fn reset_forgets_the_partial_line() {
    let mut asm = LineAssembler::default();
    let (_, _) = feed(&mut asm, b"AT+QSSL", true);
    asm.reset();
    let (events, out) = feed(&mut asm, b"ATI\r", true);
    assert_eq!(events, vec![line("ATI")]);
    assert_eq!(out, b"ATI\r");
}

#[test]
fn reset_forgets_the_pending_lf_skip() {
    let mut asm = LineAssembler::default();
    let (_, _) = feed(&mut asm, b"AT\r", true);
    asm.reset();
    let (events, out) = feed(&mut asm, b"\nAT\r", true);
    assert_eq!(events, vec![line("\nAT")]);
    assert_eq!(out, b"\nAT\r");
}

#[test]
fn reset_forgets_an_overflow() {
    let mut asm = LineAssembler::default();
    let (_, _) = feed(&mut asm, &vec![b'X'; MAX_LINE_LEN + 1], true);
    asm.reset();
    let (events, _) = feed(&mut asm, b"AT\r", true);
    assert_eq!(events, vec![line("AT")]);
}

#[test]
fn echo_can_change_per_byte() {
    let mut asm = LineAssembler::default();
    let mut out = Vec::new();
    assert_eq!(asm.push(b'A', true, &mut out), None);
    assert_eq!(asm.push(b'T', false, &mut out), None);
    assert_eq!(asm.push(b'\r', true, &mut out), Some(line("AT")));
    assert_eq!(out, b"A\r");
}

#[test]
fn a_stray_ctrl_z_or_esc_before_a_line_is_dropped_unechoed() {
    let mut asm = LineAssembler::default();
    let (events, out) = feed(&mut asm, b"\x1a\x1bAT\r", true);
    assert_eq!(events, vec![line("AT")]);
    assert_eq!(out, b"AT\r");
    // Inside a line it stays part of the line.
    let (events, _) = feed(&mut asm, b"A\x1aT\r", false);
    assert_eq!(events, vec![line("A\x1aT")]);
}
