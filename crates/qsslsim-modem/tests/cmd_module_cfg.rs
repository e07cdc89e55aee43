//! `AT+QCFG` items, `AT+QURCCFG="urcport"` and `AT+QSCLK`, driven straight into the module:
//! stored, read back in the module's format, and (for the non-volatile ones) kept across a
//! restart.

mod bench;

use std::time::Duration;

use bench::{Bench, ERROR, OK};

#[test]
fn freertos_qcfg_writes_are_stored_and_read_back() {
    let mut b = Bench::new();
    b.check("AT+QCFG=\"band\"", "\r\n+QCFG: \"band\",0xf,0x400a0e189f,0xa0e189f\r\n\r\nOK\r\n");
    b.check("AT+QCFG=\"band\",f,400a0e189f,a0e189f", OK);
    b.check("AT+QCFG=\"band\",0x3,0x80084,0x80084,1", OK);
    b.check("AT+QCFG=\"band\"", "\r\n+QCFG: \"band\",0x3,0x80084,0x80084\r\n\r\nOK\r\n");
    b.check("AT+QCFG=\"nwscanmode\"", "\r\n+QCFG: \"nwscanmode\",0\r\n\r\nOK\r\n");
    b.check("AT+QCFG=\"nwscanmode\",3,1", OK);
    b.check("AT+QCFG=\"nwscanmode\"", "\r\n+QCFG: \"nwscanmode\",3\r\n\r\nOK\r\n");
    b.check("AT+QCFG=\"iotopmode\",2,1", OK);
    b.check("AT+QCFG=\"iotopmode\"", "\r\n+QCFG: \"iotopmode\",2\r\n\r\nOK\r\n");
    b.check("AT+QCFG=\"nwscanseq\"", "\r\n+QCFG: \"nwscanseq\",00\r\n\r\nOK\r\n");
    b.check("AT+QCFG=\"nwscanseq\",020301,1", OK);
    b.check("AT+QCFG=\"nwscanseq\"", "\r\n+QCFG: \"nwscanseq\",020301\r\n\r\nOK\r\n");
}

#[test]
fn qcfg_refuses_unknown_items_and_bad_values() {
    let mut b = Bench::new();
    for bad in [
        "AT+QCFG=\"nosuch\"",
        "AT+QCFG=\"band\",g,1,1",
        "AT+QCFG=\"band\",1,1",
        "AT+QCFG=\"nwscanmode\",2",
        "AT+QCFG=\"nwscanmode\",4",
        "AT+QCFG=\"nwscanseq\",123",
        "AT+QCFG=\"iotopmode\",3",
        "AT+QCFG=\"iotopmode\",1,2",
        "AT+QCFG",
        "AT+QCFG?",
    ] {
        b.check(bad, ERROR);
    }
    b.check(
        "AT+QCFG=?",
        "\r\n+QCFG: \"band\",(0-f),(0-7fffffffffffffff),(0-7fffffffffffffff),(0,1)\r\n\
         +QCFG: \"nwscanmode\",(0,1,3),(0,1)\r\n+QCFG: \"nwscanseq\",(00-0403),(0,1)\r\n\
         +QCFG: \"iotopmode\",(0-2),(0,1)\r\n\
         +QCFG: \"cmux/urcport\",(0-4),(0,1)\r\n\r\nOK\r\n",
    );
}

#[test]
fn urcport_defaults_to_the_at_port_and_accepts_the_three_ports() {
    let mut b = Bench::new();
    b.check("AT+QURCCFG=\"urcport\"", "\r\n+QURCCFG: \"urcport\",\"uart1\"\r\n\r\nOK\r\n");
    b.check("AT+QURCCFG=\"urcport\",\"usbat\"", OK);
    b.check("AT+QURCCFG=\"urcport\"", "\r\n+QURCCFG: \"urcport\",\"usbat\"\r\n\r\nOK\r\n");
    b.check("AT+QURCCFG=\"urcport\",\"uart2\"", ERROR);
    b.check("AT+QURCCFG=\"other\"", ERROR);
    b.check("AT+QURCCFG=?", "\r\n+QURCCFG: \"urcport\",(\"usbat\",\"usbmodem\",\"uart1\")\r\n\r\nOK\r\n");
}

#[test]
fn qsclk_is_stored_and_lost_on_restart_while_qcfg_survives() {
    let mut b = Bench::new();
    b.check("AT+QSCLK?", "\r\n+QSCLK: 0\r\n\r\nOK\r\n");
    b.check("AT+QSCLK=1", OK);
    b.check("AT+QSCLK?", "\r\n+QSCLK: 1\r\n\r\nOK\r\n");
    b.check("AT+QSCLK=2", ERROR);
    b.check("AT+QSCLK=?", "\r\n+QSCLK: (0,1)\r\n\r\nOK\r\n");
    b.check("AT+QCFG=\"nwscanmode\",3", OK);
    b.check("AT+QURCCFG=\"urcport\",\"usbmodem\"", OK);
    b.check("AT+CFUN=1,1", OK);
    b.advance(Duration::from_secs(1));
    b.writes.clear();
    b.check("ATE0", "ATE0\r\r\nOK\r\n");
    b.check("AT+QSCLK?", "\r\n+QSCLK: 0\r\n\r\nOK\r\n");
    b.check("AT+QCFG=\"nwscanmode\"", "\r\n+QCFG: \"nwscanmode\",3\r\n\r\nOK\r\n");
    b.check("AT+QURCCFG=\"urcport\"", "\r\n+QURCCFG: \"urcport\",\"usbmodem\"\r\n\r\nOK\r\n");
}
