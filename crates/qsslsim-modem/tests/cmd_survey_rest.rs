//! The last host-stack lines of docs/host-stacks.md's command table, driven straight into the
//! module with their whole answers checked byte for byte: `ATH` (Zephyr legacy), `AT+QDSIM`
//! (Particle, Zephyr), `AT+QCFG="cmux/urcport"` (Particle), `AT+CEDRXS` (Particle, FreeRTOS)
//! and `AT+QENG="servingcell"` (Sixfab pico_lte).

mod bench;

use std::time::Duration;

use bench::{Bench, CONNECT, ERROR, OK};
use qsslsim_modem::Fault;

// ---- ATH -----------------------------------------------------------------------------------

#[test]
fn zephyr_legacy_ath_answers_ok() {
    let mut b = Bench::new();
    b.check("ATE0", OK);
    b.check("ATH", OK);
    b.check("ATH0", OK);
    b.check("ATH1", ERROR);
    b.check("ATH?", ERROR);
}

#[test]
fn ath_leaves_a_transparent_socket_that_was_escaped() {
    let mut b = Bench::new();
    b.connect(0, 2);
    b.advance(Duration::from_secs(1));
    b.input(b"+++");
    b.advance(Duration::from_secs(1));
    assert_eq!(b.take_writes_text(), [OK]);
    assert_eq!(b.port_mode(), "command");
    b.check("ATH", OK);
    assert!(b.take_actions().is_empty(), "ATH closes nothing");
    b.check("ATO", CONNECT);
    assert_eq!(b.port_mode(), "transparent");
}

/// Restart the module and turn echo back off, the way the PSM tests do.
fn restart(b: &mut Bench) {
    b.check("AT+CFUN=1,1", OK);
    b.advance(Duration::from_secs(1));
    b.writes.clear();
    b.check("ATE0", "ATE0\r\r\nOK\r\n");
}

// ---- AT+QDSIM ------------------------------------------------------------------------------

#[test]
fn particle_and_zephyr_qdsim_lines_verbatim() {
    let mut b = Bench::new();
    b.check("AT+QDSIM?", "\r\n+QDSIM: 0\r\n\r\nOK\r\n");
    b.check("AT+QDSIM=?", "\r\n+QDSIM: (0,1)\r\n\r\nOK\r\n");
    // Particle (EG91) selects slot 0; an EG25-G fork of Zephyr slot 1.
    b.check("AT+QDSIM=0", OK);
    b.check("AT+QDSIM?", "\r\n+QDSIM: 0\r\n\r\nOK\r\n");
    b.check("AT+QDSIM=1", OK);
    b.check("AT+QDSIM?", "\r\n+QDSIM: 1\r\n\r\nOK\r\n");
    // The one simulated card answers in either slot.
    b.check("AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n");
    for bad in ["AT+QDSIM=2", "AT+QDSIM=-1", "AT+QDSIM=", "AT+QDSIM=0,1", "AT+QDSIM", "AT+QDSIM=\"1\""] {
        b.check(bad, ERROR);
    }
    b.check("AT+QDSIM?", "\r\n+QDSIM: 1\r\n\r\nOK\r\n");
}

#[test]
fn qdsim_slot_survives_a_restart() {
    let mut b = Bench::new();
    b.check("AT+QDSIM=1", OK);
    restart(&mut b);
    b.check("AT+QDSIM?", "\r\n+QDSIM: 1\r\n\r\nOK\r\n");
}

// ---- AT+QCFG="cmux/urcport" ---------------------------------------------------------------

#[test]
fn particle_cmux_urcport_line_verbatim() {
    let mut b = Bench::new();
    b.check("AT+QCFG=\"cmux/urcport\"", "\r\n+QCFG: \"cmux/urcport\",0\r\n\r\nOK\r\n");
    // Particle sends it on the muxed AT channel; here there is no mux, only the setting.
    b.check("AT+QCFG=\"cmux/urcport\",1", OK);
    b.check("AT+QCFG=\"cmux/urcport\"", "\r\n+QCFG: \"cmux/urcport\",1\r\n\r\nOK\r\n");
    b.check("AT+QCFG=\"CMUX/URCPORT\",4,1", OK);
    b.check("AT+QCFG=\"cmux/urcport\"", "\r\n+QCFG: \"cmux/urcport\",4\r\n\r\nOK\r\n");
    for bad in [
        "AT+QCFG=\"cmux/urcport\",5",
        "AT+QCFG=\"cmux/urcport\",-1",
        "AT+QCFG=\"cmux/urcport\",1,2",
        "AT+QCFG=\"cmux/urcport\",1,0,0",
        "AT+QCFG=\"cmux/urcport\",\"1\"",
    ] {
        b.check(bad, ERROR);
    }
    restart(&mut b);
    b.check("AT+QCFG=\"cmux/urcport\"", "\r\n+QCFG: \"cmux/urcport\",4\r\n\r\nOK\r\n");
}

// ---- AT+CEDRXS -----------------------------------------------------------------------------

#[test]
fn host_stack_cedrxs_lines_verbatim() {
    let mut b = Bench::new();
    // Off: the read form has no line (FreeRTOS reads that as no setting).
    b.check("AT+CEDRXS?", OK);
    b.check("AT+CEDRXS=?", "\r\n+CEDRXS: (0-3),(4),(\"0000\"-\"1111\")\r\n\r\nOK\r\n");
    // Particle (Cat-M parts) turns it off.
    b.check("AT+CEDRXS=0", OK);
    b.check("AT+CEDRXS?", OK);
    // FreeRTOS's set form: mode, AcT-type, four binary digits.
    b.check("AT+CEDRXS=1,4,\"0101\"", OK);
    b.check("AT+CEDRXS?", "\r\n+CEDRXS: 4,\"0101\"\r\n\r\nOK\r\n");
    // Mode 2 (with reports) reads back the same; a value left out is kept.
    b.check("AT+CEDRXS=2,4", OK);
    b.check("AT+CEDRXS?", "\r\n+CEDRXS: 4,\"0101\"\r\n\r\nOK\r\n");
    // Off keeps the value for the next time it is turned on.
    b.check("AT+CEDRXS=0", OK);
    b.check("AT+CEDRXS?", OK);
    b.check("AT+CEDRXS=1", OK);
    b.check("AT+CEDRXS?", "\r\n+CEDRXS: 4,\"0101\"\r\n\r\nOK\r\n");
    // Mode 3 and the empty write restore the default value, off.
    b.check("AT+CEDRXS=3", OK);
    b.check("AT+CEDRXS?", OK);
    b.check("AT+CEDRXS=1", OK);
    b.check("AT+CEDRXS?", "\r\n+CEDRXS: 4,\"0010\"\r\n\r\nOK\r\n");
    b.check("AT+CEDRXS=1,,\"1111\"", OK);
    b.check("AT+CEDRXS=", OK);
    b.check("AT+CEDRXS=1", OK);
    b.check("AT+CEDRXS?", "\r\n+CEDRXS: 4,\"0010\"\r\n\r\nOK\r\n");
    // eDRX is not simulated: no +CEDRXP ever follows.
    b.check("AT+CEDRXS=2,4,\"0001\"", OK);
    b.advance(Duration::from_secs(60));
    assert_eq!(b.take_text(), "");
}

#[test]
fn cedrxs_bad_values_are_cme_50() {
    let mut b = Bench::new();
    for bad in [
        "AT+CEDRXS=4",
        "AT+CEDRXS=-1",
        "AT+CEDRXS=1,5,\"0101\"",
        "AT+CEDRXS=1,2",
        "AT+CEDRXS=1,4,\"01010\"",
        "AT+CEDRXS=1,4,\"0102\"",
        "AT+CEDRXS=1,4,0101",
        "AT+CEDRXS=1,4,\"0101\",1",
    ] {
        b.check(bad, "\r\n+CME ERROR: 50\r\n");
    }
    b.check("AT+CMEE=0", OK);
    b.check("AT+CEDRXS=9", ERROR);
    b.check("AT+CEDRXS", ERROR);
    b.check("AT+CEDRXS?", OK);
}

#[test]
fn cedrxs_settings_survive_a_restart() {
    let mut b = Bench::new();
    b.check("AT+CEDRXS=1,4,\"0011\"", OK);
    restart(&mut b);
    b.check("AT+CEDRXS?", "\r\n+CEDRXS: 4,\"0011\"\r\n\r\nOK\r\n");
}

// ---- AT+QENG -------------------------------------------------------------------------------

/// The serving cell at the default signal level 24: the same network as AT+QNWINFO (46000,
/// band 3, EARFCN 1650), AT+CEREG (TAC 1A2B, cell B3C4D11) and AT+QCSQ (-65/-95/-10 dBm/dB).
const SERVING_HOME: &str =
    "\r\n+QENG: \"servingcell\",\"NOCONN\",\"LTE\",\"FDD\",460,00,B3C4D11,301,1650,3,5,5,\
                            1A2B,-95,-10,-65,-3,45\r\n\r\nOK\r\n";

#[test]
fn pico_lte_qeng_lines_verbatim() {
    let mut b = Bench::new();
    b.check("AT+QENG=\"servingcell\"", SERVING_HOME);
    // No neighbour cells are simulated.
    b.check("AT+QENG=\"neighbourcell\"", OK);
    b.check("AT+QENG=?", "\r\n+QENG: (\"servingcell\",\"neighbourcell\")\r\n\r\nOK\r\n");
    b.check("AT+QENG=\"SERVINGCELL\"", SERVING_HOME);
    for bad in ["AT+QENG", "AT+QENG?", "AT+QENG=\"cell\"", "AT+QENG=servingcell", "AT+QENG=\"servingcell\",1"]
    {
        b.check(bad, ERROR);
    }
}

#[test]
fn qeng_follows_the_network_table() {
    let mut b = Bench::new();
    b.check("AT+CEREG=2", OK);
    b.check("AT+CEREG?", "\r\n+CEREG: 2,1,\"1A2B\",\"B3C4D11\",7\r\n\r\nOK\r\n");
    b.check("AT+QCSQ", "\r\n+QCSQ: \"LTE\",-65,-95,88,-10\r\n\r\nOK\r\n");
    b.check("AT+QNWINFO", "\r\n+QNWINFO: \"FDD LTE\",\"46000\",\"LTE BAND 3\",1650\r\n\r\nOK\r\n");
    // A weaker signal moves every figure; SINR 2 x 10 + 40 = 60 in QCSQ units is -8 dB.
    b.inject(Fault::Signal { rssi: 10 });
    b.check("AT+QCSQ", "\r\n+QCSQ: \"LTE\",-93,-123,60,-10\r\n\r\nOK\r\n");
    b.check(
        "AT+QENG=\"servingcell\"",
        "\r\n+QENG: \"servingcell\",\"NOCONN\",\"LTE\",\"FDD\",460,00,B3C4D11,301,1650,3,5,5,1A2B,-123,-10,-93,-8,17\r\n\r\nOK\r\n",
    );
    b.inject(Fault::Signal { rssi: 24 });
    // Refused by the network: camped with limited service.
    b.inject(Fault::Deregister { stat: Some(3) });
    b.settle();
    b.take_text();
    b.check(
        "AT+QENG=\"servingcell\"",
        "\r\n+QENG: \"servingcell\",\"LIMSRV\",\"LTE\",\"FDD\",460,00,B3C4D11,301,1650,3,5,5,1A2B,-95,-10,-65,-3,45\r\n\r\nOK\r\n",
    );
    // Not registered (searching), or the radio off: the state alone.
    b.inject(Fault::Deregister { stat: Some(2) });
    b.settle();
    b.take_text();
    b.check("AT+QENG=\"servingcell\"", "\r\n+QENG: \"servingcell\",\"SEARCH\"\r\n\r\nOK\r\n");
    b.inject(Fault::Register);
    b.settle();
    b.take_text();
    b.check("AT+QENG=\"servingcell\"", SERVING_HOME);
    b.check("AT+CFUN=0", OK);
    b.settle();
    b.take_text();
    b.check("AT+QENG=\"servingcell\"", "\r\n+QENG: \"servingcell\",\"SEARCH\"\r\n\r\nOK\r\n");
}

// ---- what other module families have ------------------------------------------------------

/// The refusal's trace record for `line`: its result and why.
fn refusal(b: &Bench, line: &str) -> (String, String) {
    b.events
        .iter()
        .rev()
        .find_map(|e| match e {
            qsslsim_modem::Event::Refused { command, result, why, .. }
                if line.starts_with(command.as_str()) =>
            {
                Some((result.clone(), why.clone()))
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no refusal traced for {line:?}"))
}

#[test]
fn other_families_commands_answer_error_and_say_whose_they_are() {
    let mut b = Bench::new();
    b.check("ATE0", OK);
    for (line, policy) in [
        // pico_lte's BG95 cell scan, every form.
        ("AT+QCELLSCAN=1,60", "policy qcellscan"),
        ("AT+QCELLSCAN=?", "policy qcellscan"),
        ("AT+QCELLSCAN", "policy qcellscan"),
        // mbed's and bg9x_ssl_zephyr's BG95 SSL item.
        ("AT+QSSLCFG=\"checkhost\",0,\"example.com\"", "policy ssl-checkhost"),
        ("AT+QSSLCFG=\"checkhost\",1,1", "policy ssl-checkhost"),
        ("AT+QSSLCFG=\"checkhost\",1", "policy ssl-checkhost"),
        // TinyGSM's AT+QISTATE-shaped SSL state query.
        ("AT+QSSLSTATE=1,1", "policy qsslstate-one-client"),
    ] {
        b.check(line, ERROR);
        let (result, why) = refusal(&b, line);
        assert_eq!(result, "ERROR", "{line}");
        assert!(why.contains(policy), "{line}: {why}");
    }
    // The refusals changed nothing: the context's settings and the documented forms still work.
    b.check("AT+QSSLCFG=\"seclevel\",1", "\r\n+QSSLCFG: \"seclevel\",1,0\r\n\r\nOK\r\n");
    b.check("AT+QSSLSTATE=1", OK);
    b.check("AT+QSSLSTATE", OK);
    b.check("AT+QENG=\"neighbourcell\"", OK);
}
