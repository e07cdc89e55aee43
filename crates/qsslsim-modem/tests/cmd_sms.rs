//! Sending short messages driven straight into the module: `AT+CMGF`, `AT+CSCS`, and `AT+CMGS`
//! with its `>` prompt (Ctrl+Z sends and answers `+CMGS: <mr>`, ESC cancels with `OK`) in text
//! and PDU mode; the message is traced and listed in the state; `+CMS ERROR`s for the SIM,
//! the network and bad parameters. Every line TinyGSM and the Sixfab library send is sent
//! verbatim.

mod bench;

use std::time::Duration;

use bench::{Bench, ERROR, OK, PROMPT};
use qsslsim_modem::sim::SimConfig;
use qsslsim_modem::{Event, ModemConfig};
use serde_json::{json, Value};

/// The messages `ctl state` lists, without their time.
fn sent(b: &Bench) -> Vec<Value> {
    let mut list = b.snapshot()["sms_sent"].as_array().unwrap().clone();
    for m in &mut list {
        m.as_object_mut().unwrap().remove("time");
    }
    list
}

fn cmgs(mr: u8) -> String {
    format!("\r\n+CMGS: {mr}\r\n\r\nOK\r\n")
}

/// `AT+CMGS=...` then `body`; the prompt and the final answer.
fn send(b: &mut Bench, line: &str, body: &[u8]) -> (String, String) {
    let prompt = b.at(line);
    b.input(body);
    (prompt, b.take_text())
}

#[test]
fn host_stack_sms_lines_verbatim() {
    let mut b = Bench::new();
    // TinyGSM sendSMS: text mode, GSM set, then the number, each line ending in <CR><LF>; the
    // text and Ctrl+Z follow the prompt.
    for (line, want) in
        [("AT+CMGF=1\r\n", OK), ("AT+CSCS=\"GSM\"\r\n", OK), ("AT+CMGS=\"+15551234567\"\r\n", PROMPT)]
    {
        b.input(line.as_bytes());
        assert_eq!(b.take_text(), want, "{line:?}");
    }
    b.input(b"Hello from qsslsim\x1a");
    assert_eq!(b.take_text(), cmgs(0));
    // Sixfab sendSMS: the text is sent as a line (with its <CR>), then Ctrl+Z and <CR>.
    b.check("AT+CMGF=1", OK);
    assert_eq!(b.at("AT+CMGS=\"15551234567\""), PROMPT);
    b.input(b"Sixfab test\r");
    assert_eq!(b.take_text(), "\r\n> ", "a <CR> in the text gives a new prompt line");
    b.input(b"\x1a\r");
    assert_eq!(b.take_text(), cmgs(1));
    // The <CR> after Ctrl+Z was an empty command line: nothing more.
    b.check("AT", OK);
    assert_eq!(
        sent(&b),
        vec![
            json!({ "mr": 0, "to": "+15551234567", "format": "text", "body": "Hello from qsslsim" }),
            json!({ "mr": 1, "to": "15551234567", "format": "text", "body": "Sixfab test\r" }),
        ]
    );
    // The trace has each message.
    let traced: Vec<_> = b
        .events
        .iter()
        .filter_map(|e| match e {
            Event::SmsSent { mr, to, format, body } => Some((*mr, to.clone(), format.clone(), body.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        traced,
        vec![
            (0, "+15551234567".into(), "text".into(), "Hello from qsslsim".into()),
            (1, "15551234567".into(), "text".into(), "Sixfab test\r".into()),
        ]
    );
    assert_eq!(b.snapshot()["sms_sent"][0]["time"], "70/01/02,00:00:00+00");
}

#[test]
fn echo_on_echoes_the_text_but_not_the_terminator() {
    let mut b = Bench::with_echo();
    b.check("AT+CMGF=1", "AT+CMGF=1\r\r\nOK\r\n");
    assert_eq!(b.at("AT+CMGS=\"123\""), "AT+CMGS=\"123\"\r\r\n> ");
    b.input(b"line 1\rline 2\x1a");
    assert_eq!(b.take_text(), format!("line 1\r\n> line 2{}", cmgs(0)));
    assert_eq!(sent(&b)[0]["body"], "line 1\rline 2");
}

#[test]
fn esc_cancels_with_ok_and_sends_nothing() {
    let mut b = Bench::new();
    b.check("AT+CMGF=1", OK);
    assert_eq!(send(&mut b, "AT+CMGS=\"123\"", b"never\x1b"), (PROMPT.into(), OK.into()));
    assert!(sent(&b).is_empty());
    assert_eq!(b.port_mode(), "command");
    // The reference was not used.
    assert_eq!(send(&mut b, "AT+CMGS=\"123\"", b"now\x1a").1, cmgs(0));
}

#[test]
fn message_reference_counts_up_and_wraps() {
    let mut b = Bench::new();
    b.check("AT+CMGF=1", OK);
    for mr in 0..=255u8 {
        assert_eq!(send(&mut b, "AT+CMGS=\"5\"", b"x\x1a").1, cmgs(mr));
    }
    assert_eq!(send(&mut b, "AT+CMGS=\"5\"", b"x\x1a").1, cmgs(0));
    // The state keeps the last 100.
    let list = sent(&b);
    assert_eq!(list.len(), 100);
    assert_eq!(list[99]["mr"], 0);
}

#[test]
fn snapshot_shows_the_sms_prompt() {
    let mut b = Bench::new();
    b.check("AT+CMGF=1", OK);
    assert_eq!(b.at("AT+CMGS=\"123\""), PROMPT);
    b.input(b"abc");
    assert_eq!(b.snapshot()["port"], json!({ "mode": "sms_prompt", "typed": 3 }));
    b.input(b"\x1b");
    assert_eq!(b.take_text(), OK);
}

#[test]
fn pdu_mode_takes_a_length_and_hex() {
    let mut b = Bench::new();
    b.check("AT+CMGF?", "\r\n+CMGF: 0\r\n\r\nOK\r\n");
    let pdu = b"0011000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a";
    assert_eq!(send(&mut b, "AT+CMGS=23", pdu), (PROMPT.into(), cmgs(0)));
    assert_eq!(
        sent(&b),
        vec![json!({
            "mr": 0, "to": "+46708251358", "format": "pdu",
            "body": "0011000B916407281553F80000AA0AE8329BFD4697D9EC37",
        })]
    );
    // A length that does not match, hex that is not, an SMS-DELIVER: 304 after the PDU.
    for (line, body) in [("AT+CMGS=22", &pdu[..]), ("AT+CMGS=2", b"00XY\x1a"), ("AT+CMGS=1", b"0004\x1a")] {
        let (prompt, answer) = send(&mut b, line, body);
        assert_eq!(prompt, PROMPT);
        assert_eq!(answer, "\r\n+CMS ERROR: 304\r\n", "{line}");
    }
    // A text-mode command line in PDU mode, and a length out of range: 304 at once.
    b.check("AT+CMGS=\"123\"", "\r\n+CMS ERROR: 304\r\n");
    b.check("AT+CMGS=0", "\r\n+CMS ERROR: 304\r\n");
    b.check("AT+CMGS=165", "\r\n+CMS ERROR: 304\r\n");
    assert_eq!(sent(&b).len(), 1);
}

#[test]
fn text_mode_parameter_errors_answer_305() {
    let mut b = Bench::new();
    b.check("AT+CMGF=1", OK);
    for bad in ["AT+CMGS=\"\"", "AT+CMGS=\"12a\"", "AT+CMGS=\"123\",300", "AT+CMGS=\"1\",129,1", "AT+CMGS"] {
        b.check(bad, "\r\n+CMS ERROR: 305\r\n");
    }
    // A bare number is the destination's digits in text mode, and <toda> is taken.
    assert_eq!(send(&mut b, "AT+CMGS=12345", b"a\x1a").1, cmgs(0));
    assert_eq!(send(&mut b, "AT+CMGS=\"+4912\",145", b"b\x1a").1, cmgs(1));
    assert_eq!(sent(&b)[0]["to"], "12345");
    // 160 characters fit; 161 do not.
    let mut text = vec![b'x'; 160];
    text.push(0x1a);
    assert_eq!(send(&mut b, "AT+CMGS=\"1\"", &text).1, cmgs(2));
    text.insert(0, b'y');
    assert_eq!(send(&mut b, "AT+CMGS=\"1\"", &text).1, "\r\n+CMS ERROR: 305\r\n");
    assert_eq!(sent(&b).len(), 3);
}

#[test]
fn ucs2_number_and_text_are_decoded() {
    let mut b = Bench::new();
    b.check("AT+CMGF=1", OK);
    b.check("AT+CSCS=\"UCS2\"", OK);
    b.check("AT+CSCS?", "\r\n+CSCS: \"UCS2\"\r\n\r\nOK\r\n");
    assert_eq!(send(&mut b, "AT+CMGS=\"002B0031\"", b"004800690021\x1a").1, cmgs(0));
    assert_eq!(send(&mut b, "AT+CMGS=\"002B0031\"", b"00480\x1a").1, "\r\n+CMS ERROR: 305\r\n");
    b.check("AT+CMGS=\"+1\"", "\r\n+CMS ERROR: 305\r\n");
    assert_eq!(sent(&b), vec![json!({ "mr": 0, "to": "+1", "format": "text", "body": "Hi!" })]);
}

#[test]
fn sim_and_network_errors() {
    let absent =
        ModemConfig { sim: SimConfig { absent: true, ..SimConfig::default() }, ..ModemConfig::default() };
    let mut b = Bench::with(absent);
    // Format and character set are settings of the module: they need no card.
    b.check("AT+CMGF=1", OK);
    b.check("AT+CMGS=\"123\"", "\r\n+CMS ERROR: 310\r\n");
    b.check("AT+CMEE=2", OK);
    b.check("AT+CMGS=\"123\"", "\r\n+CMS ERROR: SIM not inserted\r\n");
    // TinyGSM's normal build: plain ERROR.
    b.check("AT+CMEE=0", OK);
    b.check("AT+CMGS=\"123\"", ERROR);

    let locked = ModemConfig {
        sim: SimConfig { pin: Some("1234".into()), ..SimConfig::default() },
        ..ModemConfig::default()
    };
    let mut b = Bench::with(locked);
    b.check("AT+CMGF=1", OK);
    b.check("AT+CMGS=\"123\"", "\r\n+CMS ERROR: 311\r\n");

    // No service (AT+CFUN=4): the prompt comes, the send fails with 331.
    let mut b = Bench::new();
    b.check("AT+CMGF=1", OK);
    b.check("AT+CFUN=4", OK);
    b.settle();
    b.writes.clear();
    assert_eq!(send(&mut b, "AT+CMGS=\"123\"", b"x\x1a"), (PROMPT.into(), "\r\n+CMS ERROR: 331\r\n".into()));
    assert!(sent(&b).is_empty());
    let refused = b.events.iter().any(|e| {
        matches!(e, Event::Refused { command, result, .. } if command == "AT+CMGS" && result == "+CMS ERROR: 331")
    });
    assert!(refused, "the failed send is traced");
}

#[test]
fn cmgf_and_cscs_forms_and_restart() {
    let mut b = Bench::new();
    b.check("AT+CMGF=?", "\r\n+CMGF: (0,1)\r\n\r\nOK\r\n");
    b.check("AT+CMGF=1", OK);
    b.check("AT+CMGF?", "\r\n+CMGF: 1\r\n\r\nOK\r\n");
    for bad in ["AT+CMGF=2", "AT+CMGF=\"1\"", "AT+CMGF=1,1"] {
        b.check(bad, ERROR);
    }
    b.check("AT+CSCS=?", "\r\n+CSCS: (\"GSM\",\"IRA\",\"UCS2\")\r\n\r\nOK\r\n");
    b.check("AT+CSCS?", "\r\n+CSCS: \"GSM\"\r\n\r\nOK\r\n");
    b.check("AT+CSCS=\"ira\"", OK);
    b.check("AT+CSCS?", "\r\n+CSCS: \"IRA\"\r\n\r\nOK\r\n");
    // TinyGSM's USSD path asks for "HEX", which this family lacks.
    for bad in ["AT+CSCS=\"HEX\"", "AT+CSCS=GSM", "AT+CSCS"] {
        b.check(bad, ERROR);
    }
    b.check("AT+CMGS=?", OK);
    assert_eq!(send(&mut b, "AT+CMGS=\"9\"", b"kept\x1a").1, cmgs(0));
    // A restart keeps the format (the maker saves it), the reference and the record; the
    // character set is back to GSM.
    b.check("AT+CFUN=1,1", OK);
    b.advance(Duration::from_secs(1));
    b.writes.clear();
    b.check("ATE0", "ATE0\r\r\nOK\r\n");
    b.check("AT+CMGF?", "\r\n+CMGF: 1\r\n\r\nOK\r\n");
    b.check("AT+CSCS?", "\r\n+CSCS: \"GSM\"\r\n\r\nOK\r\n");
    assert_eq!(send(&mut b, "AT+CMGS=\"9\"", b"again\x1a").1, cmgs(1));
    assert_eq!(sent(&b).len(), 2);
    // AT+CMGF alone is PDU mode.
    b.check("AT+CMGF", OK);
    b.check("AT+CMGF?", "\r\n+CMGF: 0\r\n\r\nOK\r\n");
}

#[test]
fn tinygsm_utf8_sms_types_ucs2_hex_under_csmp_dcs_8() {
    let mut b = Bench::new();
    // TinyGSM sendSMS_UTF8_begin: "HEX" is not a set of this family (ERROR, which it ignores);
    // <dcs> 8 makes the text UCS2 hex all the same.
    for (line, want) in [
        ("AT+CMGF=1\r\n", OK),
        ("AT+CSCS=\"HEX\"\r\n", ERROR),
        ("AT+CSMP=17,167,0,8\r\n", OK),
        ("AT+CMGS=\"+15551234567\"\r\n", PROMPT),
    ] {
        b.input(line.as_bytes());
        assert_eq!(b.take_text(), want, "{line:?}");
    }
    b.input(b"041F04400438043204350442\x1a");
    assert_eq!(b.take_text(), cmgs(0));
    assert_eq!(sent(&b)[0]["body"], "Привет");
    // Not hex under <dcs> 8: 305.
    assert_eq!(send(&mut b, "AT+CMGS=\"1\"", b"plain\x1a").1, "\r\n+CMS ERROR: 305\r\n");
}

#[test]
fn csmp_forms() {
    let mut b = Bench::new();
    b.check("AT+CSMP=?", OK);
    b.check("AT+CSMP?", "\r\n+CSMP: 17,167,0,0\r\n\r\nOK\r\n");
    b.check("AT+CSMP=49,,,8", OK);
    b.check("AT+CSMP?", "\r\n+CSMP: 49,167,0,8\r\n\r\nOK\r\n");
    for bad in ["AT+CSMP=256", "AT+CSMP=17,\"26/08/07,13:54:02+00\"", "AT+CSMP", "AT+CSMP=1,2,3,4,5"] {
        b.check(bad, ERROR);
    }
    b.check("AT+CSMP?", "\r\n+CSMP: 49,167,0,8\r\n\r\nOK\r\n");
    // Forgotten on restart.
    b.check("AT+CFUN=1,1", OK);
    b.advance(Duration::from_secs(1));
    b.writes.clear();
    b.check("ATE0", "ATE0\r\r\nOK\r\n");
    b.check("AT+CSMP?", "\r\n+CSMP: 17,167,0,0\r\n\r\nOK\r\n");
}
