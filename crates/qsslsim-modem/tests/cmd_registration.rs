//! Registration and network commands driven straight into the module: `AT+CREG`/`CGREG`/
//! `CEREG` (read forms, report settings, URCs), `AT+COPS`, `AT+CSQ`, `AT+QCSQ`,
//! `AT+QNWINFO`, `AT+QSPN`, `AT+CTZR`, `AT+CTZU`, `AT+QLTS`, and the faults that change
//! registration (`deregister`, `register`, `roam`, `signal`).

mod bench;

use bench::{Bench, ERROR, OK};
use qsslsim_modem::Fault;

const LOC: &str = "\"1A2B\",\"B3C4D11\",7";

#[test]
fn read_forms_show_home_registration() {
    let mut b = Bench::new();
    for name in ["+CREG", "+CGREG", "+CEREG"] {
        b.check(&format!("AT{name}?"), &format!("\r\n{name}: 0,1\r\n\r\nOK\r\n"));
        b.check(&format!("AT{name}=?"), &format!("\r\n{name}: (0-2)\r\n\r\nOK\r\n"));
        b.check(&format!("AT{name}=1"), OK);
        b.check(&format!("AT{name}?"), &format!("\r\n{name}: 1,1\r\n\r\nOK\r\n"));
        b.check(&format!("AT{name}=2"), OK);
        b.check(&format!("AT{name}?"), &format!("\r\n{name}: 2,1,{LOC}\r\n\r\nOK\r\n"));
        b.check(&format!("AT{name}=3"), ERROR);
        b.check(&format!("AT{name}"), ERROR);
    }
}

#[test]
fn deregister_sends_the_urcs_the_host_asked_for_and_drops_pdp() {
    let mut b = Bench::new();
    b.check("AT+CREG=0;+CGREG=1;+CEREG=2", OK);
    b.pdp_up();
    b.inject(Fault::Deregister { stat: None });
    b.settle();
    assert_eq!(
        b.take_writes_text(),
        ["\r\n+CGREG: 0\r\n", "\r\n+CEREG: 0\r\n", "\r\n+QIURC: \"pdpdeact\",1\r\n"]
    );
    b.check("AT+CEREG?", "\r\n+CEREG: 2,0\r\n\r\nOK\r\n");
    b.check("AT+CSQ", "\r\n+CSQ: 99,99\r\n\r\nOK\r\n");
    b.check("AT+COPS?", "\r\n+COPS: 0\r\n\r\nOK\r\n");
    b.check("AT+QIACT?", OK);
    b.inject(Fault::Register);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+CGREG: 1\r\n", format!("\r\n+CEREG: 1,{LOC}\r\n").as_str()]);
    b.check("AT+CGREG?", "\r\n+CGREG: 1,1\r\n\r\nOK\r\n");
}

#[test]
fn deregister_with_a_status_and_no_reports_is_silent() {
    let mut b = Bench::new();
    b.inject(Fault::Deregister { stat: Some(2) });
    b.settle();
    assert!(b.take_writes_text().is_empty());
    b.check("AT+CREG?", "\r\n+CREG: 0,2\r\n\r\nOK\r\n");
    b.check("AT+QNWINFO", "\r\n+QNWINFO: No Service\r\n\r\nOK\r\n");
    b.check("AT+QCSQ", "\r\n+QCSQ: \"NOSERVICE\"\r\n\r\nOK\r\n");
    b.check_cme("AT+QSPN", 30);
}

#[test]
fn roaming_is_status_5_on_a_visited_network() {
    let mut b = Bench::new();
    b.check("AT+CEREG=1", OK);
    b.inject(Fault::Roam);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+CEREG: 5\r\n");
    b.check("AT+CEREG?", "\r\n+CEREG: 1,5\r\n\r\nOK\r\n");
    b.check("AT+COPS?", "\r\n+COPS: 0,0,\"CHN-UNICOM\",7\r\n\r\nOK\r\n");
    b.check("AT+QNWINFO", "\r\n+QNWINFO: \"FDD LTE\",\"46001\",\"LTE BAND 3\",1650\r\n\r\nOK\r\n");
}

#[test]
fn signal_fault_sets_csq_and_qcsq() {
    let mut b = Bench::new();
    b.check("AT+CSQ", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    b.check("AT+QCSQ", "\r\n+QCSQ: \"LTE\",-65,-95,88,-10\r\n\r\nOK\r\n");
    b.inject(Fault::Signal { rssi: 10 });
    b.check("AT+CSQ", "\r\n+CSQ: 10,99\r\n\r\nOK\r\n");
    b.check("AT+QCSQ", "\r\n+QCSQ: \"LTE\",-93,-123,60,-10\r\n\r\nOK\r\n");
    b.check("AT+QCSQ=?", OK);
}

#[test]
fn cops_read_formats_and_test_list() {
    let mut b = Bench::new();
    b.check("AT+COPS?", "\r\n+COPS: 0,0,\"CHINA MOBILE\",7\r\n\r\nOK\r\n");
    b.check("AT+COPS=3,2", OK);
    b.check("AT+COPS?", "\r\n+COPS: 0,2,\"46000\",7\r\n\r\nOK\r\n");
    b.check("AT+COPS=3,1", OK);
    b.check("AT+COPS?", "\r\n+COPS: 0,1,\"CMCC\",7\r\n\r\nOK\r\n");
    b.check(
        "AT+COPS=?",
        "\r\n+COPS: (2,\"CHINA MOBILE\",\"CMCC\",\"46000\",7),(1,\"CHN-UNICOM\",\"UNICOM\",\"46001\",7),(1,\"CHN-CT\",\"CT\",\"46011\",7),,(0-4),(0-2)\r\n\r\nOK\r\n",
    );
    b.check("AT+COPS=3", ERROR);
    b.check("AT+COPS=5", ERROR);
    b.check("AT+COPS", ERROR);
}

#[test]
fn cops_manual_automatic_and_deregister() {
    let mut b = Bench::new();
    b.check("AT+CEREG=1", OK);
    b.check("AT+COPS=1,2,\"46001\"", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+CEREG: 5\r\n");
    b.check("AT+COPS?", "\r\n+COPS: 1,2,\"46001\",7\r\n\r\nOK\r\n");
    b.check_cme("AT+COPS=1,2,\"99999\"", 30);
    b.check("AT+COPS=0", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+CEREG: 1\r\n");
    b.check("AT+COPS?", "\r\n+COPS: 0,2,\"46000\",7\r\n\r\nOK\r\n");
    b.check("AT+COPS=2", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+CEREG: 0\r\n");
    b.check("AT+COPS?", "\r\n+COPS: 2\r\n\r\nOK\r\n");
    b.check("AT+COPS=4,0,\"NOWHERE\"", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+CEREG: 1\r\n");
}

#[test]
fn cfun_0_deregisters_with_reports_and_1_registers_again() {
    let mut b = Bench::new();
    b.check("AT+CEREG=1", OK);
    b.check("AT+CFUN=0", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+CEREG: 0\r\n");
    b.check("AT+CEREG?", "\r\n+CEREG: 1,0\r\n\r\nOK\r\n");
    b.check("AT+CFUN=1", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+CEREG: 1\r\n");
}

#[test]
fn qnwinfo_and_qspn() {
    let mut b = Bench::new();
    b.check("AT+QNWINFO", "\r\n+QNWINFO: \"FDD LTE\",\"46000\",\"LTE BAND 3\",1650\r\n\r\nOK\r\n");
    b.check("AT+QSPN", "\r\n+QSPN: \"CHINA MOBILE\",\"CMCC\",\"CMCC\",0,\"46000\"\r\n\r\nOK\r\n");
    b.check("AT+QSPN?", "\r\n+QSPN: \"CHINA MOBILE\",\"CMCC\",\"CMCC\",0,\"46000\"\r\n\r\nOK\r\n");
    b.check("AT+QNWINFO=?", OK);
}

#[test]
fn time_zone_settings_are_stored() {
    let mut b = Bench::new();
    b.check("AT+CTZR?", "\r\n+CTZR: 0\r\n\r\nOK\r\n");
    b.check("AT+CTZR=2", OK);
    b.check("AT+CTZR?", "\r\n+CTZR: 2\r\n\r\nOK\r\n");
    b.check("AT+CTZR=?", "\r\n+CTZR: (0-2)\r\n\r\nOK\r\n");
    b.check("AT+CTZR=3", ERROR);
    b.check("AT+CTZU?", "\r\n+CTZU: 0\r\n\r\nOK\r\n");
    b.check("AT+CTZU=3", OK);
    b.check("AT+CTZU?", "\r\n+CTZU: 3\r\n\r\nOK\r\n");
    b.check("AT+CTZU=2", ERROR);
    b.check("AT+CTZU=?", "\r\n+CTZU: (0,1,3)\r\n\r\nOK\r\n");
}

#[test]
fn qlts_prints_the_module_clock_with_the_full_year() {
    let mut b = Bench::new();
    b.check("AT+CCLK=\"26/12/05,10:00:00+32\"", OK);
    b.check("AT+QLTS", "\r\n+QLTS: \"2026/12/05,10:00:00+32,0\"\r\n\r\nOK\r\n");
    b.check("AT+QLTS=2", "\r\n+QLTS: \"2026/12/05,10:00:00+32,0\"\r\n\r\nOK\r\n");
    b.check("AT+QLTS=1", "\r\n+QLTS: \"2026/12/05,02:00:00+32,0\"\r\n\r\nOK\r\n");
    b.check("AT+QLTS=3", ERROR);
    b.inject(Fault::Deregister { stat: None });
    b.check("AT+QLTS", "\r\n+QLTS: \"\"\r\n\r\nOK\r\n");
}

#[test]
fn cmee_2_names_the_27007_codes() {
    let mut b = Bench::new();
    b.check("AT+CMEE=2", OK);
    b.check("AT+COPS=1,2,\"99999\"", "\r\n+CME ERROR: no network service\r\n");
    b.check("AT+QIACT=1", OK);
    b.check("AT+CGDCONT=1,\"IP\",\"x\"", "\r\n+CME ERROR: operation not allowed\r\n");
}

#[test]
fn ctzr_reports_a_time_zone_change_from_the_network() {
    use time::macros::datetime;
    let mut b = Bench::new();
    // Off: nothing.
    b.m.set_clock(datetime!(2026-12-05 02:00:00 UTC), Some(32), b.now);
    b.settle();
    assert!(b.take_writes_text().is_empty());
    b.check("AT+CTZR=1", OK);
    b.m.set_clock(datetime!(2026-12-05 02:00:00 UTC), Some(36), b.now);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+CTZV: +36\r\n");
    // The same zone again is no change.
    b.m.set_clock(datetime!(2026-12-05 03:00:00 UTC), Some(36), b.now);
    b.settle();
    assert!(b.take_writes_text().is_empty());
    b.check("AT+CTZR=2", OK);
    b.m.set_clock(datetime!(2026-12-05 02:00:00 UTC), Some(-20), b.now);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+CTZE: \"-20\",0,\"2026/12/04,21:00:00\"\r\n");
}

#[test]
fn a_scenario_rule_can_deregister_the_module() {
    let toml = "[[rule]]\nwhen = { command = \"AT+GMR\" }\nfault = { kind = \"deregister\" }\n";
    let mut b = Bench::new();
    let scenario = qsslsim_modem::scenario::Scenario::parse(toml).unwrap();
    b.m.load_scenario(scenario, b.now);
    b.check("AT+CEREG=1", OK);
    b.check("AT+GMR", "\r\nEG915QGLR01A01M08\r\n\r\nOK\r\n");
    b.settle();
    assert_eq!(b.take_text(), "\r\n+CEREG: 0\r\n");
}
