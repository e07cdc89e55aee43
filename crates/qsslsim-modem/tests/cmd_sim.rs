//! The SIM driven straight into the module: no card (`+CME ERROR: 10`), a PIN lock
//! (`+CPIN: SIM PIN`, the right PIN unlocks, wrong ones answer `+CME ERROR: 16`, three make it
//! want the PUK), and a card pulled out and put back at run time (faults `sim_removed`,
//! `sim_inserted`).

mod bench;

use std::time::Duration;

use bench::{Bench, ERROR, OK};
use qsslsim_modem::sim::SimConfig;
use qsslsim_modem::{Fault, ModemConfig};

fn with_sim(sim: SimConfig) -> Bench {
    Bench::with(ModemConfig { sim, ..ModemConfig::default() })
}

fn locked() -> Bench {
    with_sim(SimConfig { absent: false, pin: Some("1234".into()) })
}

#[test]
fn no_sim_answers_cme_10_and_is_not_registered() {
    let mut b = with_sim(SimConfig { absent: true, pin: None });
    b.check_cme("AT+CPIN?", 10);
    b.check_cme("AT+CPIN=\"1234\"", 10);
    b.check_cme("AT+CIMI", 10);
    b.check_cme("AT+QCCID", 10);
    b.check("AT+CGSN", "\r\n861536030196001\r\n\r\nOK\r\n");
    b.check("AT+CEREG?", "\r\n+CEREG: 0,0\r\n\r\nOK\r\n");
    b.check("AT+CMEE=2", OK);
    b.check("AT+CPIN?", "\r\n+CME ERROR: SIM not inserted\r\n");
    b.check("AT+QIACT=1", ERROR);
}

#[test]
fn pin_lock_reads_sim_pin_and_the_right_pin_unlocks() {
    let mut b = locked();
    b.check("AT+CEREG=1", OK);
    b.check("AT+CPIN?", "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n");
    b.check_cme("AT+CIMI", 11);
    b.check("AT+QCCID", "\r\n+QCCID: 89860012345678901234\r\n\r\nOK\r\n");
    b.check("AT+CEREG?", "\r\n+CEREG: 1,0\r\n\r\nOK\r\n");
    b.check_cme("AT+CPIN=\"0000\"", 16);
    b.check("AT+CPIN=\"1234\"", OK);
    b.settle();
    assert_eq!(
        b.take_writes_text(),
        ["\r\n+CPIN: READY\r\n", "\r\n+QUSIM: 1\r\n", "\r\n+QIND: SMS DONE\r\n", "\r\n+CEREG: 1\r\n"]
    );
    b.check("AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n");
    b.check_cme("AT+CPIN=\"1234\"", 3);
    b.check("AT+CIMI", "\r\n460001234567890\r\n\r\nOK\r\n");
}

#[test]
fn three_wrong_pins_want_the_puk() {
    let mut b = locked();
    for _ in 0..3 {
        b.check_cme("AT+CPIN=\"9999\"", 16);
    }
    b.check("AT+CPIN?", "\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n");
    b.check_cme("AT+CPIN=\"1234\"", 12);
}

#[test]
fn a_restart_locks_the_card_again_and_boots_to_sim_pin() {
    let mut b = locked();
    b.check("AT+CPIN=\"1234\"", OK);
    b.settle();
    b.writes.clear();
    b.check("AT+CFUN=1,1", OK);
    b.advance(Duration::from_secs(1));
    assert_eq!(b.take_writes_text(), ["\r\nRDY\r\n", "\r\n+CFUN: 1\r\n", "\r\n+CPIN: SIM PIN\r\n"]);
    b.check("AT+CPIN?", "AT+CPIN?\r\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n");
}

#[test]
fn sim_removed_and_inserted_at_run_time() {
    let mut b = Bench::new();
    b.check("AT+CREG=1", OK);
    b.connect(0, 0);
    b.inject(Fault::SimRemoved);
    b.settle();
    assert_eq!(
        b.take_writes_text(),
        [
            "\r\n+CPIN: NOT READY\r\n",
            "\r\n+CREG: 0\r\n",
            "\r\n+QSSLURC: \"closed\",0\r\n",
            "\r\n+QIURC: \"pdpdeact\",1\r\n"
        ]
    );
    b.check_cme("AT+CPIN?", 10);
    b.inject(Fault::SimInserted);
    b.settle();
    assert_eq!(
        b.take_writes_text(),
        ["\r\n+CPIN: READY\r\n", "\r\n+QUSIM: 1\r\n", "\r\n+QIND: SMS DONE\r\n", "\r\n+CREG: 1\r\n"]
    );
    b.check("AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n");
    // Twice is nothing new.
    b.inject(Fault::SimInserted);
    b.settle();
    assert!(b.take_writes_text().is_empty());
}

#[test]
fn a_locked_card_put_back_asks_for_its_pin() {
    let mut b = locked();
    b.inject(Fault::SimRemoved);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+CPIN: NOT READY\r\n"]);
    b.inject(Fault::SimInserted);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+CPIN: SIM PIN\r\n"]);
}
