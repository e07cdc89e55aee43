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
    with_sim(SimConfig { pin: Some("1234".into()), ..SimConfig::default() })
}

#[test]
fn no_sim_answers_cme_10_and_is_not_registered() {
    let mut b = with_sim(SimConfig { absent: true, ..SimConfig::default() });
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
    assert_eq!(
        b.take_writes_text(),
        ["\r\nRDY\r\n", "\r\n+CFUN: 1\r\n", "\r\nAPP RDY\r\n", "\r\n+CPIN: SIM PIN\r\n"]
    );
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

fn puk_wanted() -> Bench {
    let mut b = locked();
    for _ in 0..3 {
        b.check_cme("AT+CPIN=\"9999\"", 16);
    }
    b
}

#[test]
fn puk_and_new_pin_unblock_the_card() {
    let mut b = puk_wanted();
    b.check("AT+CREG=1", OK);
    b.check("AT+QPINC?", "\r\n+QPINC: \"SC\",0,10\r\n+QPINC: \"P2\",3,10\r\n\r\nOK\r\n");
    // A PIN (or the PUK alone) is not enough; a wrong PUK costs a try; a new PIN must be 4–8
    // digits.
    b.check_cme("AT+CPIN=\"12345678\"", 12);
    b.check_cme("AT+CPIN=\"11111111\",\"4321\"", 16);
    b.check("AT+QPINC=\"SC\"", "\r\n+QPINC: \"SC\",0,9\r\n\r\nOK\r\n");
    b.check_cme("AT+CPIN=\"12345678\",\"12\"", 50);
    b.check("AT+CMEE=2", OK);
    b.check("AT+CPIN=\"11111111\",\"4321\"", "\r\n+CME ERROR: incorrect password\r\n");
    b.check("AT+CPIN=\"1234\"", "\r\n+CME ERROR: SIM PUK required\r\n");
    b.check("AT+CIMI", "\r\n+CME ERROR: SIM PUK required\r\n");
    // Bare digits as in the maker's example work as well as quoted ones.
    b.check("AT+CPIN=12345678,4321", OK);
    b.settle();
    assert_eq!(
        b.take_writes_text(),
        ["\r\n+CPIN: READY\r\n", "\r\n+QUSIM: 1\r\n", "\r\n+QIND: SMS DONE\r\n", "\r\n+CREG: 1\r\n"]
    );
    b.check("AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n");
    b.check("AT+QPINC=\"sc\"", "\r\n+QPINC: \"SC\",3,10\r\n\r\nOK\r\n");
    // The new PIN is the card's PIN from now on: a restart asks for it.
    b.check("AT+CFUN=1,1", OK);
    b.advance(Duration::from_secs(1));
    b.writes.clear();
    b.check("ATE0", "ATE0\r\r\nOK\r\n");
    b.check_cme("AT+CPIN=\"1234\"", 16);
    b.check("AT+CPIN=\"4321\"", OK);
}

#[test]
fn ten_wrong_puks_block_the_card_for_good() {
    let mut b = puk_wanted();
    for left in (0..10).rev() {
        b.check_cme("AT+CPIN=\"00000000\",\"1111\"", 16);
        if left > 0 {
            b.check("AT+QPINC=\"SC\"", &format!("\r\n+QPINC: \"SC\",0,{left}\r\n\r\nOK\r\n"));
        }
    }
    b.check_cme("AT+CPIN?", 13);
    b.check_cme("AT+CPIN=\"12345678\",\"1111\"", 13);
    b.check_cme("AT+CIMI", 13);
    b.check("AT+QPINC=\"SC\"", "\r\n+QPINC: \"SC\",0,0\r\n\r\nOK\r\n");
    b.check("AT+CMEE=2", OK);
    b.check("AT+CPIN?", "\r\n+CME ERROR: SIM failure\r\n");
}

#[test]
fn sim_puk_config_sets_the_puk() {
    let mut b =
        with_sim(SimConfig { pin: Some("1234".into()), puk: "87654321".into(), ..SimConfig::default() });
    for _ in 0..3 {
        b.check_cme("AT+CPIN=\"0000\"", 16);
    }
    b.check_cme("AT+CPIN=\"12345678\",\"1234\"", 16);
    b.check("AT+CPIN=\"87654321\",\"1234\"", OK);
}

#[test]
fn qpinc_forms_and_refusals() {
    let mut b = Bench::new();
    b.check("AT+QPINC=?", "\r\n+QPINC: (\"SC\",\"P2\")\r\n\r\nOK\r\n");
    b.check("AT+QPINC=\"P2\"", "\r\n+QPINC: \"P2\",3,10\r\n\r\nOK\r\n");
    b.check("AT+QPINC=\"PN\"", ERROR);
    b.check("AT+QPINC", ERROR);
    let mut b = with_sim(SimConfig { absent: true, ..SimConfig::default() });
    b.check_cme("AT+QPINC?", 10);
}

#[test]
fn qsimstat_reads_the_holder_and_reports_changes_when_enabled() {
    let mut b = Bench::new();
    b.check("AT+QSIMSTAT=?", "\r\n+QSIMSTAT: (0,1)\r\n\r\nOK\r\n");
    b.check("AT+QSIMSTAT?", "\r\n+QSIMSTAT: 0,1\r\n\r\nOK\r\n");
    // Off: a removal says only +CPIN: NOT READY.
    b.inject(Fault::SimRemoved);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+CPIN: NOT READY\r\n"]);
    b.check("AT+QSIMSTAT?", "\r\n+QSIMSTAT: 0,0\r\n\r\nOK\r\n");
    b.check("AT+QSIMSTAT=1", OK);
    b.check("AT+QSIMSTAT?", "\r\n+QSIMSTAT: 1,0\r\n\r\nOK\r\n");
    b.inject(Fault::SimInserted);
    b.settle();
    assert_eq!(
        b.take_writes_text(),
        ["\r\n+QSIMSTAT: 1,1\r\n", "\r\n+CPIN: READY\r\n", "\r\n+QUSIM: 1\r\n", "\r\n+QIND: SMS DONE\r\n"]
    );
    b.check("AT+QSIMSTAT?", "\r\n+QSIMSTAT: 1,1\r\n\r\nOK\r\n");
    b.inject(Fault::SimRemoved);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSIMSTAT: 1,0\r\n", "\r\n+CPIN: NOT READY\r\n"]);
    // The maker saves the setting at once: it survives a restart.
    b.check("AT+CFUN=1,1", OK);
    b.advance(Duration::from_secs(1));
    b.writes.clear();
    b.check("AT+QSIMSTAT?", "AT+QSIMSTAT?\r\r\n+QSIMSTAT: 1,0\r\n\r\nOK\r\n");
    b.check("AT+QSIMSTAT=2", "AT+QSIMSTAT=2\r\r\nERROR\r\n");
    b.check("AT+QSIMSTAT", "AT+QSIMSTAT\r\r\nERROR\r\n");
}

#[test]
fn crsm_reads_the_iccid_imsi_and_home_network() {
    let mut b = Bench::new();
    b.check("AT+CRSM=?", OK);
    // EF_ICCID (2FE2): the configured ICCID in swapped-nibble BCD.
    b.check("AT+CRSM=176,12258,0,0,10", "\r\n+CRSM: 144,0,\"98680021436587092143\"\r\n\r\nOK\r\n");
    b.check("AT+CRSM=176,12258,0,0,0", "\r\n+CRSM: 144,0,\"98680021436587092143\"\r\n\r\nOK\r\n");
    b.check("AT+CRSM=176,12258,0,8,2", "\r\n+CRSM: 144,0,\"2143\"\r\n\r\nOK\r\n");
    b.check("AT+CRSM=176,12258,0,10,1", "\r\n+CRSM: 107,0\r\n\r\nOK\r\n");
    // EF_IMSI (6F07) and EF_HPLMNwAcT (6F62, FreeRTOS reads it verbatim).
    b.check("AT+CRSM=176,28423,0,0,9", "\r\n+CRSM: 144,0,\"084906002143658709\"\r\n\r\nOK\r\n");
    b.check("AT+CRSM=176,28514,0,0,0", "\r\n+CRSM: 144,0,\"64F0004000\"\r\n\r\nOK\r\n");
    // Files the card does not hold, and what the card refuses.
    b.check("AT+CRSM=176,28539,0,0,0", "\r\n+CRSM: 106,130\r\n\r\nOK\r\n");
    b.check("AT+CRSM=178,28423,1,4,0", "\r\n+CRSM: 105,129\r\n\r\nOK\r\n");
    b.check("AT+CRSM=214,28423,0,0,1,\"00\"", "\r\n+CRSM: 105,130\r\n\r\nOK\r\n");
    b.check("AT+CRSM=242", "\r\n+CRSM: 109,0\r\n\r\nOK\r\n");
    // Malformed: unknown command, missing file or P1-P3.
    b.check("AT+CRSM=177,12258,0,0,0", ERROR);
    b.check("AT+CRSM=176", ERROR);
    b.check("AT+CRSM=176,12258", ERROR);
    b.check("AT+CRSM", ERROR);
}

#[test]
fn crsm_follows_the_configured_iccid_and_the_sim_state() {
    let identity =
        qsslsim_modem::identity::Identity { iccid: "8901260000000000001".into(), ..Default::default() };
    let mut b = Bench::with(ModemConfig { identity, ..ModemConfig::default() });
    b.check("AT+CRSM=176,12258,0,0,10", "\r\n+CRSM: 144,0,\"981062000000000000F1\"\r\n\r\nOK\r\n");
    // Locked: the ICCID is readable (as AT+QCCID), the rest is not.
    let mut b = locked();
    b.check("AT+CRSM=176,12258,0,0,10", "\r\n+CRSM: 144,0,\"98680021436587092143\"\r\n\r\nOK\r\n");
    b.check_cme("AT+CRSM=176,28514,0,0,0", 11);
    let mut b = with_sim(SimConfig { absent: true, ..SimConfig::default() });
    b.check_cme("AT+CRSM=176,12258,0,0,10", 10);
}
