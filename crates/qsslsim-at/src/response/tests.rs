//! Unit tests for [`super::Framing`] and [`super::ResultCode`].

use super::{quote, ErrorTexts, Framing, ResultCode};

fn cme_text(n: u16) -> &'static str {
    match n {
        3 => "operation not allowed",
        50 => "Incorrect parameters",
        _ => "unknown",
    }
}

fn cms_text(n: u16) -> &'static str {
    match n {
        304 => "Invalid PDU mode",
        _ => "Unknown",
    }
}

const TEXTS: ErrorTexts = ErrorTexts { cme: cme_text, cms: cms_text };

fn framing(verbose: bool, cmee: u8) -> Framing {
    Framing { verbose, cmee }
}

fn result(f: Framing, code: ResultCode) -> Vec<u8> {
    let mut out = Vec::new();
    f.result(code, TEXTS, &mut out);
    out
}

#[test]
fn default_is_verbose_with_numeric_cme_errors() {
    assert_eq!(Framing::default(), framing(true, 1));
}

#[test]
fn info_verbose_and_numeric() {
    let mut out = Vec::new();
    framing(true, 1).info("+QSSLSTATE: 1", &mut out);
    assert_eq!(out, b"\r\n+QSSLSTATE: 1\r\n");
    let mut out = Vec::new();
    framing(false, 1).info("+QSSLSTATE: 1", &mut out);
    assert_eq!(out, b"+QSSLSTATE: 1\r\n");
}

#[test]
fn output_is_appended_not_replaced() {
    let mut out = b"AT\r".to_vec();
    let f = Framing::default();
    f.info("X", &mut out);
    f.result(ResultCode::Ok, TEXTS, &mut out);
    assert_eq!(out, b"AT\r\r\nX\r\n\r\nOK\r\n");
}

#[test]
fn urc_ignores_atv() {
    for verbose in [true, false] {
        let mut out = Vec::new();
        framing(verbose, 0).urc("+QSSLURC: \"recv\",1", &mut out);
        assert_eq!(out, b"\r\n+QSSLURC: \"recv\",1\r\n", "verbose {verbose}");
    }
}

#[test]
fn verbose_fixed_codes() {
    let f = framing(true, 1);
    assert_eq!(result(f, ResultCode::Ok), b"\r\nOK\r\n");
    assert_eq!(result(f, ResultCode::Connect), b"\r\nCONNECT\r\n");
    assert_eq!(result(f, ResultCode::NoCarrier), b"\r\nNO CARRIER\r\n");
    assert_eq!(result(f, ResultCode::Error), b"\r\nERROR\r\n");
    assert_eq!(result(f, ResultCode::SendOk), b"\r\nSEND OK\r\n");
    assert_eq!(result(f, ResultCode::SendFail), b"\r\nSEND FAIL\r\n");
}

#[test]
fn verbose_cme_error_per_cmee() {
    assert_eq!(result(framing(true, 0), ResultCode::CmeError(50)), b"\r\nERROR\r\n");
    assert_eq!(result(framing(true, 1), ResultCode::CmeError(50)), b"\r\n+CME ERROR: 50\r\n");
    assert_eq!(
        result(framing(true, 2), ResultCode::CmeError(50)),
        b"\r\n+CME ERROR: Incorrect parameters\r\n"
    );
    assert_eq!(
        result(framing(true, 2), ResultCode::CmeError(3)),
        b"\r\n+CME ERROR: operation not allowed\r\n"
    );
}

#[test]
fn cmee_above_two_is_verbose_text() {
    assert_eq!(
        result(framing(true, 7), ResultCode::CmeError(3)),
        b"\r\n+CME ERROR: operation not allowed\r\n"
    );
}

#[test]
fn numeric_fixed_codes() {
    let f = framing(false, 1);
    assert_eq!(result(f, ResultCode::Ok), b"0\r");
    assert_eq!(result(f, ResultCode::Connect), b"1\r");
    assert_eq!(result(f, ResultCode::NoCarrier), b"3\r");
    assert_eq!(result(f, ResultCode::Error), b"4\r");
    assert_eq!(result(f, ResultCode::SendOk), b"SEND OK\r\n");
    assert_eq!(result(f, ResultCode::SendFail), b"SEND FAIL\r\n");
}

#[test]
fn numeric_cme_error_per_cmee() {
    assert_eq!(result(framing(false, 0), ResultCode::CmeError(50)), b"4\r");
    assert_eq!(result(framing(false, 1), ResultCode::CmeError(50)), b"+CME ERROR: 50\r\n");
    assert_eq!(result(framing(false, 2), ResultCode::CmeError(50)), b"+CME ERROR: Incorrect parameters\r\n");
}

#[test]
fn cme_error_renders_the_full_u16_range() {
    assert_eq!(result(framing(true, 1), ResultCode::CmeError(65535)), b"\r\n+CME ERROR: 65535\r\n");
    assert_eq!(result(framing(true, 1), ResultCode::CmeError(0)), b"\r\n+CME ERROR: 0\r\n");
}

#[test]
fn numeric_values() {
    assert_eq!(ResultCode::Ok.numeric(), Some(0));
    assert_eq!(ResultCode::Connect.numeric(), Some(1));
    assert_eq!(ResultCode::NoCarrier.numeric(), Some(3));
    assert_eq!(ResultCode::Error.numeric(), Some(4));
    assert_eq!(ResultCode::SendOk.numeric(), None);
    assert_eq!(ResultCode::SendFail.numeric(), None);
    assert_eq!(ResultCode::CmeError(4).numeric(), None);
}

#[test]
fn text_values() {
    assert_eq!(ResultCode::Ok.text(), Some("OK"));
    assert_eq!(ResultCode::Connect.text(), Some("CONNECT"));
    assert_eq!(ResultCode::NoCarrier.text(), Some("NO CARRIER"));
    assert_eq!(ResultCode::Error.text(), Some("ERROR"));
    assert_eq!(ResultCode::SendOk.text(), Some("SEND OK"));
    assert_eq!(ResultCode::SendFail.text(), Some("SEND FAIL"));
    assert_eq!(ResultCode::CmeError(50).text(), None);
}

#[test]
fn quote_wraps_verbatim() {
    assert_eq!(quote("recv"), "\"recv\"");
    assert_eq!(quote(""), "\"\"");
    assert_eq!(quote("a b,c"), "\"a b,c\"");
}

#[test]
fn cms_error_per_cmee_with_its_own_texts() {
    // The same number means different things as a CME and a CMS code.
    assert_eq!(result(framing(true, 0), ResultCode::CmsError(304)), b"\r\nERROR\r\n");
    assert_eq!(result(framing(true, 1), ResultCode::CmsError(304)), b"\r\n+CMS ERROR: 304\r\n");
    assert_eq!(result(framing(true, 2), ResultCode::CmsError(304)), b"\r\n+CMS ERROR: Invalid PDU mode\r\n");
    assert_eq!(result(framing(true, 2), ResultCode::CmsError(3)), b"\r\n+CMS ERROR: Unknown\r\n");
    assert_eq!(result(framing(false, 0), ResultCode::CmsError(305)), b"4\r");
    assert_eq!(result(framing(false, 1), ResultCode::CmsError(305)), b"+CMS ERROR: 305\r\n");
    assert_eq!(ResultCode::CmsError(305).numeric(), None);
    assert_eq!(ResultCode::CmsError(305).text(), None);
}
