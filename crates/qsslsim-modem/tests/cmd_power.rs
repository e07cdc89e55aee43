//! Power and reset driven straight into the module: `AT+CFUN=1,1` (restart after a delay,
//! factory settings, boot output), `AT+QPOWD` (`POWERED DOWN`, then silence, host bytes
//! discarded), power on again (fault `power_on`, `power_on_after`), boot output on request.

mod bench;

use std::time::Duration;

use bench::{Bench, ERROR, OK};
use qsslsim_modem::{Event, Fault, ModemConfig, NetAction};

const BOOT: [&str; 6] = [
    "\r\nRDY\r\n",
    "\r\n+CFUN: 1\r\n",
    "\r\nAPP RDY\r\n",
    "\r\n+CPIN: READY\r\n",
    "\r\n+QUSIM: 1\r\n",
    "\r\n+QIND: SMS DONE\r\n",
];

#[test]
fn cfun_1_1_answers_ok_then_restarts_with_factory_settings_and_boot_output() {
    let mut b = Bench::new();
    b.check("AT+CMEE=2;+CEREG=2", OK);
    b.check("AT+QSSLCFG=\"sni\",1,1", OK);
    let conn = b.connect(1, 0);
    b.check("AT+CFUN=1,1", OK);
    // Not yet: the fast profile restarts 100 ms after OK.
    b.advance(Duration::from_millis(90));
    assert!(b.take_writes_text().is_empty());
    assert!(b.take_actions_but_grants().is_empty());
    b.advance(Duration::from_millis(200));
    assert_eq!(b.take_writes_text(), BOOT);
    assert!(b.take_actions().iter().any(|a| matches!(a, NetAction::Abort { id: 1, conn: c } if *c == conn)));
    // Echo is back on, every setting is the factory one.
    b.check("AT+CMEE?", "AT+CMEE?\r\r\n+CMEE: 1\r\n\r\nOK\r\n");
    b.check("AT+CEREG?", "AT+CEREG?\r\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
    b.check("AT+QSSLCFG=\"sni\",1", "AT+QSSLCFG=\"sni\",1\r\r\n+QSSLCFG: \"sni\",1,0\r\n\r\nOK\r\n");
    b.check("AT+QSSLSTATE", "AT+QSSLSTATE\r\r\nOK\r\n");
}

#[test]
fn bytes_sent_while_restarting_are_discarded_and_traced() {
    let mut b = Bench::new();
    b.check("AT+CFUN=1,1", OK);
    b.events.clear();
    b.input(b"AT\r");
    assert!(b.take_writes_text().is_empty());
    assert!(b.events.iter().any(|e| matches!(e, Event::Failure { cause, .. } if cause.starts_with("3 host bytes discarded (3 in all): the module is restarting"))));
    b.settle();
    assert_eq!(b.take_writes_text(), BOOT);
    b.check("AT", "AT\r\r\nOK\r\n");
}

#[test]
fn cfun_with_reset_in_the_realistic_profile_waits_three_seconds() {
    let cfg = ModemConfig { timing: qsslsim_modem::Timing::realistic(), ..ModemConfig::default() };
    let mut b = Bench::with(cfg);
    b.check("AT+CFUN=1,1", OK);
    b.advance(Duration::from_millis(2900));
    assert!(b.take_writes_text().is_empty());
    b.advance(Duration::from_millis(1000));
    assert_eq!(b.take_writes_text(), BOOT);
}

#[test]
fn qpowd_says_powered_down_then_stays_silent_until_powered_on() {
    let mut b = Bench::new();
    b.check("AT+QPOWD=?", "\r\n+QPOWD: (0,1)\r\n\r\nOK\r\n");
    b.check("AT+QPOWD?", ERROR);
    b.check("AT+QPOWD=2", ERROR);
    b.connect(0, 1);
    b.check("AT+QPOWD=1", OK);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\nPOWERED DOWN\r\n"]);
    assert!(b.take_actions().iter().any(|a| matches!(a, NetAction::Abort { id: 0, .. })));
    b.input(b"AT\rAT+CSQ\r");
    b.advance(Duration::from_secs(60));
    assert!(b.take_writes_text().is_empty());
    b.inject(Fault::Register);
    b.settle();
    assert!(b.take_writes_text().is_empty());
    b.inject(Fault::PowerOn);
    b.settle();
    assert_eq!(b.take_writes_text(), BOOT);
    b.check("AT", "AT\r\r\nOK\r\n");
    // Powering on a module that is on does nothing.
    b.inject(Fault::PowerOn);
    b.settle();
    assert!(b.take_writes_text().is_empty());
}

#[test]
fn power_on_after_brings_the_module_back_by_itself() {
    let cfg = ModemConfig { power_on_after: Some(Duration::from_secs(2)), ..ModemConfig::default() };
    let mut b = Bench::with(cfg);
    b.check("AT+QPOWD", OK);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\nPOWERED DOWN\r\n"]);
    b.advance(Duration::from_millis(1500));
    assert!(b.take_writes_text().is_empty());
    b.advance(Duration::from_millis(1000));
    assert_eq!(b.take_writes_text(), BOOT);
}

#[test]
fn power_off_fault_acts_like_qpowd_without_ok() {
    let mut b = Bench::new();
    b.inject(Fault::PowerOff);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\nPOWERED DOWN\r\n"]);
    b.check("AT", "");
}

#[test]
fn boot_output_on_request() {
    let mut b = Bench::raw(ModemConfig::default());
    b.m.boot_output(b.now);
    b.settle();
    assert_eq!(b.take_writes_text(), BOOT);
    b.check("AT", "AT\r\r\nOK\r\n");
}

#[test]
fn cfun_0_and_4_take_the_radio_away_and_1_brings_it_back() {
    let mut b = Bench::new();
    b.connect(2, 0);
    b.check("AT+CFUN=4", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QSSLURC: \"closed\",2\r\n");
    b.check("AT+CFUN?", "\r\n+CFUN: 4\r\n\r\nOK\r\n");
    b.check("AT+CSQ", "\r\n+CSQ: 99,99\r\n\r\nOK\r\n");
    b.check("AT+QIACT=1", ERROR);
    b.check("AT+CFUN=1", OK);
    b.check("AT+QIACT=1", OK);
}

#[test]
fn the_snapshot_names_power_sim_and_registration() {
    let mut b = Bench::new();
    let s = b.snapshot();
    assert_eq!(s["power"], "on");
    assert_eq!(s["sim"], "Ready");
    assert_eq!(s["registration"]["stat"], 1);
    assert_eq!(s["registration"]["operator"], "46000");
    b.check("AT+QPOWD", OK);
    b.settle();
    let s = b.snapshot();
    assert_eq!(s["power"], "off");
    assert_eq!(s["cfun"], 1);
}

#[test]
fn app_rdy_follows_cfun_even_when_the_sim_is_not_ready() {
    let sim = qsslsim_modem::sim::SimConfig { absent: true, ..Default::default() };
    let mut b = Bench::with(ModemConfig { sim, ..ModemConfig::default() });
    b.check("AT+CFUN=1,1", OK);
    b.advance(Duration::from_secs(1));
    assert_eq!(
        b.take_writes_text(),
        ["\r\nRDY\r\n", "\r\n+CFUN: 1\r\n", "\r\nAPP RDY\r\n", "\r\n+CPIN: NOT INSERTED\r\n"]
    );
}
