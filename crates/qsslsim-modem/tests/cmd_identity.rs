//! Identity commands driven straight into the module: `AT+CGSN`/`AT+GSN` (IMEI), `AT+CIMI`
//! (IMSI), `AT+QCCID` (ICCID), `AT+CNUM` (own number), `AT+QGMR` (full revision), with the
//! values from `ModemConfig::identity`.

mod bench;

use bench::{Bench, ERROR, OK};
use qsslsim_modem::{Identity, ModemConfig};

#[test]
fn imei_is_printed_bare_by_cgsn_and_gsn() {
    let mut b = Bench::new();
    b.check("AT+CGSN", "\r\n861536030196001\r\n\r\nOK\r\n");
    b.check("AT+GSN", "\r\n861536030196001\r\n\r\nOK\r\n");
    b.check("AT+CGSN=1", "\r\n861536030196001\r\n\r\nOK\r\n");
    b.check("AT+CGSN=?", OK);
    b.check("AT+GSN=?", OK);
}

#[test]
fn imsi_iccid_and_full_revision() {
    let mut b = Bench::new();
    b.check("AT+CIMI", "\r\n460001234567890\r\n\r\nOK\r\n");
    b.check("AT+QCCID", "\r\n+QCCID: 89860012345678901234\r\n\r\nOK\r\n");
    b.check("AT+QGMR", "\r\nEG915QGLR01A01M08_01.001.01.001\r\n\r\nOK\r\n");
    b.check("AT+CGMR", "\r\nEG915QGLR01A01M08\r\n\r\nOK\r\n");
    for test in ["AT+CIMI=?", "AT+QCCID=?", "AT+QGMR=?", "AT+CNUM=?"] {
        b.check(test, OK);
    }
}

#[test]
fn cnum_is_empty_without_a_stored_number() {
    let mut b = Bench::new();
    b.check("AT+CNUM", OK);
}

#[test]
fn values_come_from_the_configuration() {
    let identity = Identity {
        imei: "490154203237518".into(),
        imsi: "310260000000001".into(),
        iccid: "8901260000000000001".into(),
        number: "+15551234567".into(),
        full_revision: "BG96MAR02A07M1G_01.019.01.019".into(),
    };
    let mut b = Bench::with(ModemConfig { identity, ..ModemConfig::default() });
    b.check("AT+CGSN", "\r\n490154203237518\r\n\r\nOK\r\n");
    b.check("AT+CIMI", "\r\n310260000000001\r\n\r\nOK\r\n");
    b.check("AT+QCCID", "\r\n+QCCID: 8901260000000000001\r\n\r\nOK\r\n");
    b.check("AT+CNUM", "\r\n+CNUM: ,\"+15551234567\",145\r\n\r\nOK\r\n");
    b.check("AT+QGMR", "\r\nBG96MAR02A07M1G_01.019.01.019\r\n\r\nOK\r\n");
    let national = Identity { number: "13800000000".into(), ..Identity::default() };
    let mut b = Bench::with(ModemConfig { identity: national, ..ModemConfig::default() });
    b.check("AT+CNUM", "\r\n+CNUM: ,\"13800000000\",129\r\n\r\nOK\r\n");
}

#[test]
fn wrong_forms_answer_error() {
    let mut b = Bench::new();
    for bad in ["AT+CIMI?", "AT+CIMI=1", "AT+QCCID?", "AT+CGSN?", "AT+CGSN=2", "AT+CGSN=1,1", "AT+GSN?"] {
        b.check(bad, ERROR);
    }
}

#[test]
fn a_tinygsm_style_identity_chain_answers_in_one_response() {
    let mut b = Bench::new();
    b.check(
        "AT+CGMI;+CGMM;+CGSN;+QCCID",
        "\r\nQuectel\r\n\r\nEG915Q-GL\r\n\r\n861536030196001\r\n\r\n+QCCID: 89860012345678901234\r\n\r\nOK\r\n",
    );
}

#[test]
fn ccid_answers_like_qccid_with_its_own_prefix() {
    let mut b = Bench::new();
    b.check("AT+CCID", "\r\n+CCID: 89860012345678901234\r\n\r\nOK\r\n");
    b.check("AT+CCID=?", OK);
    b.check("AT+CCID?", ERROR);
    let identity = Identity { iccid: "8901260000000000001".into(), ..Identity::default() };
    let mut b = Bench::with(ModemConfig { identity, ..ModemConfig::default() });
    b.check("AT+CCID", "\r\n+CCID: 8901260000000000001\r\n\r\nOK\r\n");
    let sim = qsslsim_modem::sim::SimConfig { absent: true, ..Default::default() };
    let mut b = Bench::with(ModemConfig { sim, ..ModemConfig::default() });
    b.check_cme("AT+CCID", 10);
}
