//! General commands host init sequences send, driven straight into the module: `AT+CMEE`
//! (and how it renders `+CME ERROR`), identity (`AT+GMR`/`GMI`/`GMM` and their `+C` twins),
//! `AT+CPIN`, `AT+CSQ`, `AT+CREG`/`AT+CEREG`, `AT+CGATT`, `AT+CFUN` (which takes the PDP
//! contexts and their sockets down), `AT+CCLK` and `AT+QIGETERROR`.

mod bench;

use std::time::Duration;

use bench::{described, Bench, ERROR, OK};
use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::ModemConfig;

// ---- AT+CMEE -------------------------------------------------------------------------------

#[test]
fn cmee_reads_1_from_the_factory_and_lists_its_range() {
    let mut b = Bench::new();
    b.check("AT+CMEE?", "\r\n+CMEE: 1\r\n\r\nOK\r\n");
    b.check("AT+CMEE=?", "\r\n+CMEE: (0-2)\r\n\r\nOK\r\n");
}

#[test]
fn cmee_stores_0_to_2() {
    let mut b = Bench::new();
    for n in [0, 2, 1] {
        b.check(&format!("AT+CMEE={n}"), OK);
        b.check("AT+CMEE?", &format!("\r\n+CMEE: {n}\r\n\r\nOK\r\n"));
    }
}

#[test]
fn cmee_refuses_bad_values_and_forms() {
    let mut b = Bench::new();
    b.check("AT+CMEE=2", OK);
    for bad in ["AT+CMEE=3", "AT+CMEE=-1", "AT+CMEE=\"1\"", "AT+CMEE=1,1", "AT+CMEE=", "AT+CMEE"] {
        b.check(bad, ERROR);
    }
    b.check("AT+CMEE?", "\r\n+CMEE: 2\r\n\r\nOK\r\n");
}

#[test]
fn cmee_1_gives_the_number() {
    let mut b = Bench::new();
    b.check("AT+CPIN=\"1234\"", "\r\n+CME ERROR: 3\r\n");
    b.check("AT+QFDEL=\"missing.pem\"", "\r\n+CME ERROR: 405\r\n");
}

#[test]
fn cmee_0_turns_cme_errors_into_plain_error() {
    let mut b = Bench::new();
    b.check("AT+CMEE=0", OK);
    b.check("AT+CPIN=\"1234\"", ERROR);
    b.check("AT+QFDEL=\"missing.pem\"", ERROR);
}

#[test]
fn cmee_2_gives_the_makers_texts() {
    let mut b = Bench::new();
    b.check("AT+CMEE=2", OK);
    b.check("AT+CPIN=\"1234\"", "\r\n+CME ERROR: operation not allowed\r\n");
    b.check("AT+QFDEL=\"missing.pem\"", "\r\n+CME ERROR: File not found\r\n");
    b.check("AT+QFDEL=\"a/b\"", "\r\n+CME ERROR: Invalid file name\r\n");
    b.check("AT+QFUPL=\"big\",262145", "\r\n+CME ERROR: File too large\r\n");
    b.check("AT+QFUPL", "\r\n+CME ERROR: Invalid parameter\r\n");
    b.m.files_mut().put("a.pem", b"x".to_vec()).unwrap();
    b.check("AT+QFUPL=\"a.pem\",1", "\r\n+CME ERROR: File already existed\r\n");
}

#[test]
fn cme_errors_do_not_touch_the_recorded_error() {
    let mut b = Bench::new();
    b.check_code("AT+QSSLSTATE=12", 552);
    b.check("AT+CPIN=\"1234\"", "\r\n+CME ERROR: 3\r\n");
    b.check("AT+QFDEL=\"missing.pem\"", "\r\n+CME ERROR: 405\r\n");
    assert_eq!(b.last_error(), 552);
}

// ---- identity ------------------------------------------------------------------------------

#[test]
fn revision_manufacturer_and_model_in_both_spellings() {
    let mut b = Bench::new();
    for (cmd, line) in [
        ("AT+GMR", "EG915QGLR01A01M08"),
        ("AT+CGMR", "EG915QGLR01A01M08"),
        ("AT+GMI", "Quectel"),
        ("AT+CGMI", "Quectel"),
        ("AT+GMM", "EG915Q-GL"),
        ("AT+CGMM", "EG915Q-GL"),
    ] {
        b.check(cmd, &format!("\r\n{line}\r\n\r\nOK\r\n"));
        b.check(&format!("{cmd}=?"), OK);
        b.check(&format!("{cmd}?"), ERROR);
        b.check(&format!("{cmd}=1"), ERROR);
    }
}

#[test]
fn identity_comes_from_the_configuration() {
    let cfg = ModemConfig {
        manufacturer: "Maker".into(),
        model: "EG800Q-EU".into(),
        revision: "EG800QEUR01A01".into(),
        ..Default::default()
    };
    let mut b = Bench::with(cfg);
    b.check("AT+CGMR", "\r\nEG800QEUR01A01\r\n\r\nOK\r\n");
    b.check("AT+CGMI", "\r\nMaker\r\n\r\nOK\r\n");
    b.check("AT+CGMM", "\r\nEG800Q-EU\r\n\r\nOK\r\n");
}

// ---- AT+CPIN -------------------------------------------------------------------------------

#[test]
fn cpin_is_ready_and_takes_no_pin() {
    let mut b = Bench::new();
    b.check("AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n");
    b.check("AT+CPIN=?", OK);
    b.check("AT+CPIN", "\r\n+CME ERROR: 3\r\n");
    b.check("AT+CPIN=\"1234\"", "\r\n+CME ERROR: 3\r\n");
    b.check("AT+CPIN=\"1234\",\"5678\"", "\r\n+CME ERROR: 3\r\n");
}

// ---- AT+CSQ --------------------------------------------------------------------------------

#[test]
fn csq_reports_signal_24_and_its_ranges() {
    let mut b = Bench::new();
    b.check("AT+CSQ", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    b.check("AT+CSQ=?", "\r\n+CSQ: (0-31,99),(0-7,99)\r\n\r\nOK\r\n");
    b.check("AT+CSQ?", ERROR);
    b.check("AT+CSQ=1", ERROR);
}

// ---- AT+CREG, AT+CEREG ---------------------------------------------------------------------

#[test]
fn cereg_and_creg_report_registered_home_with_their_own_setting() {
    let mut b = Bench::new();
    b.check("AT+CEREG?", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
    b.check("AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n");
    b.check("AT+CEREG=2", OK);
    b.check("AT+CEREG?", "\r\n+CEREG: 2,1,\"1A2B\",\"B3C4D11\",7\r\n\r\nOK\r\n");
    b.check("AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n");
    b.check("AT+CREG=1", OK);
    b.check("AT+CREG?", "\r\n+CREG: 1,1\r\n\r\nOK\r\n");
    b.check("AT+CEREG?", "\r\n+CEREG: 2,1,\"1A2B\",\"B3C4D11\",7\r\n\r\nOK\r\n");
}

#[test]
fn cereg_and_creg_test_forms_and_refusals() {
    let mut b = Bench::new();
    for name in ["+CEREG", "+CREG"] {
        b.check(&format!("AT{name}=?"), &format!("\r\n{name}: (0-2)\r\n\r\nOK\r\n"));
        for bad in ["=3", "=-1", "=\"1\"", "=1,1", ""] {
            b.check(&format!("AT{name}{bad}"), ERROR);
        }
        b.check(&format!("AT{name}?"), &format!("\r\n{name}: 0,1\r\n\r\nOK\r\n"));
    }
}

#[test]
fn registration_setting_sends_no_urcs() {
    let mut b = Bench::new();
    b.check("AT+CEREG=2;+CREG=2", OK);
    b.advance(Duration::from_secs(5));
    assert_eq!(b.take_text(), "");
}

// ---- AT+CGATT ------------------------------------------------------------------------------

#[test]
fn cgatt_is_attached_and_refuses_bad_values() {
    let mut b = Bench::new();
    b.check("AT+CGATT?", "\r\n+CGATT: 1\r\n\r\nOK\r\n");
    b.check("AT+CGATT=?", "\r\n+CGATT: (0,1)\r\n\r\nOK\r\n");
    b.check("AT+CGATT=1", OK);
    for bad in ["AT+CGATT=2", "AT+CGATT=\"1\"", "AT+CGATT=1,1", "AT+CGATT"] {
        b.check(bad, ERROR);
    }
    b.check("AT+CGATT?", "\r\n+CGATT: 1\r\n\r\nOK\r\n");
}

#[test]
fn cgatt_reads_0_while_the_radio_is_off() {
    let mut b = Bench::new();
    b.check("AT+CFUN=4", OK);
    b.check("AT+CGATT?", "\r\n+CGATT: 0\r\n\r\nOK\r\n");
    b.check("AT+CFUN=1", OK);
    b.check("AT+CGATT?", "\r\n+CGATT: 1\r\n\r\nOK\r\n");
}

// ---- AT+CFUN -------------------------------------------------------------------------------

#[test]
fn cfun_reads_and_lists() {
    let mut b = Bench::new();
    b.check("AT+CFUN?", "\r\n+CFUN: 1\r\n\r\nOK\r\n");
    b.check("AT+CFUN=?", "\r\n+CFUN: (0,1,4),(0-1)\r\n\r\nOK\r\n");
}

#[test]
fn cfun_takes_0_1_4_and_an_optional_reset_flag() {
    let mut b = Bench::new();
    for (line, fun) in [("AT+CFUN=0", 0), ("AT+CFUN=4", 4), ("AT+CFUN=4,0", 4), ("AT+CFUN=1", 1)] {
        b.check(line, OK);
        b.check("AT+CFUN?", &format!("\r\n+CFUN: {fun}\r\n\r\nOK\r\n"));
    }
    // 1,1 restarts the module (tests/cmd_power.rs): echo comes back on.
    b.check("AT+CFUN=1,1", OK);
    b.advance(Duration::from_secs(1));
    assert!(b.take_text().starts_with("\r\nRDY\r\n"));
    b.check("AT", "AT\r\r\nOK\r\n");
}

#[test]
fn cfun_refuses_other_values() {
    let mut b = Bench::new();
    for bad in
        ["AT+CFUN=2", "AT+CFUN=3", "AT+CFUN=5", "AT+CFUN=1,2", "AT+CFUN=\"1\"", "AT+CFUN=1,0,0", "AT+CFUN"]
    {
        b.check(bad, ERROR);
    }
    b.check("AT+CFUN?", "\r\n+CFUN: 1\r\n\r\nOK\r\n");
}

#[test]
fn cfun_0_deactivates_every_pdp_context_and_qiact_fails_561_until_cfun_1() {
    let mut b = Bench::new();
    b.check("AT+QIACT=1", OK);
    b.check("AT+QIACT=3", OK);
    b.check("AT+CFUN=0", OK);
    b.check("AT+QIACT?", OK);
    b.check_code("AT+QIACT=1", 561);
    b.check("AT+CFUN=1", OK);
    b.check("AT+QIACT?", OK);
    b.check("AT+QIACT=1", OK);
    b.check("AT+QIACT?", "\r\n+QIACT: 1,1,1,\"10.7.157.1\"\r\n\r\nOK\r\n");
}

#[test]
fn cfun_4_closes_connected_sockets_with_a_closed_urc_and_no_pdpdeact() {
    let mut b = Bench::new();
    let conn = b.connect(3, 0);
    b.check("AT+CFUN=4", OK);
    assert_eq!(described(&b.take_actions()), [format!("abort 3 #{conn}")]);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"closed\",3\r\n"]);
    b.check(
        "AT+QSSLSTATE=3",
        "\r\n+QSSLSTATE: 3,\"SSLClient\",\"192.0.2.2\",443,50003,4,1,3,0,\"uart1\",0\r\n\r\nOK\r\n",
    );
}

#[test]
fn cfun_0_fails_an_open_in_progress_with_570() {
    let mut b = Bench::new();
    let conn = b.begin_open(2, 0);
    b.actions.clear();
    b.check("AT+CFUN=0", OK);
    assert_eq!(described(&b.take_actions()), [format!("abort 2 #{conn}")]);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLOPEN: 2,570\r\n"]);
    assert_eq!(b.last_error(), 570);
    b.check("AT+QSSLSTATE", OK);
    // The open's late success is stale.
    b.opened(2, conn);
    b.open_failed(2, conn, OpenFailure::ConnectFailed);
    b.settle();
    assert_eq!(b.take_text(), "");
    b.check("AT+QSSLSTATE", OK);
}

// ---- AT+CCLK -------------------------------------------------------------------------------

#[test]
fn cclk_starts_at_host_time_in_utc_and_runs() {
    // The bench starts the wall clock at the epoch plus one day.
    let mut b = Bench::new();
    b.check("AT+CCLK?", "\r\n+CCLK: \"70/01/02,00:00:00+00\"\r\n\r\nOK\r\n");
    b.advance(Duration::from_secs(61));
    b.check("AT+CCLK?", "\r\n+CCLK: \"70/01/02,00:01:01+00\"\r\n\r\nOK\r\n");
}

#[test]
fn cclk_set_reads_back_in_its_zone_and_keeps_running() {
    let mut b = Bench::new();
    b.check("AT+CCLK=\"26/08/07,13:54:02+32\"", OK);
    b.check("AT+CCLK?", "\r\n+CCLK: \"26/08/07,13:54:02+32\"\r\n\r\nOK\r\n");
    b.advance(Duration::from_secs(1));
    b.check("AT+CCLK?", "\r\n+CCLK: \"26/08/07,13:54:03+32\"\r\n\r\nOK\r\n");
    b.check("AT+CCLK=\"30/01/31,23:00:00-20\"", OK);
    b.check("AT+CCLK?", "\r\n+CCLK: \"30/01/31,23:00:00-20\"\r\n\r\nOK\r\n");
}

#[test]
fn cclk_refuses_bad_times_and_forms() {
    let mut b = Bench::new();
    b.check("AT+CCLK=\"26/08/07,13:54:02+32\"", OK);
    for bad in [
        "AT+CCLK=\"26/13/07,13:54:02+32\"",
        "AT+CCLK=\"26/02/30,00:00:00+00\"",
        "AT+CCLK=\"26/01/01,24:00:00+00\"",
        "AT+CCLK=\"26/01/01,00:00:00+99\"",
        "AT+CCLK=\"26/01/01 00:00:00+00\"",
        "AT+CCLK=\"\"",
        "AT+CCLK=26",
        "AT+CCLK=\"26/08/07,13:54:02+32\",1",
        "AT+CCLK",
    ] {
        b.check(bad, ERROR);
    }
    b.check("AT+CCLK=?", OK);
    b.check("AT+CCLK?", "\r\n+CCLK: \"26/08/07,13:54:02+32\"\r\n\r\nOK\r\n");
}

// ---- AT+QIGETERROR -------------------------------------------------------------------------

#[test]
fn qigeterror_starts_at_0_operate_successfully() {
    let mut b = Bench::new();
    b.check("AT+QIGETERROR", "\r\n+QIGETERROR: 0,operate successfully\r\n\r\nOK\r\n");
}

#[test]
fn qigeterror_has_only_exec_and_test_forms() {
    let mut b = Bench::new();
    b.check("AT+QIGETERROR=?", OK);
    b.check("AT+QIGETERROR?", ERROR);
    b.check("AT+QIGETERROR=1", ERROR);
}

#[test]
fn qigeterror_reports_the_last_ssl_command_and_a_success_clears_it() {
    let mut b = Bench::new();
    b.check("AT+QSSLRECV=0,0", ERROR);
    b.check("AT+QIGETERROR", "\r\n+QIGETERROR: 552,invalid parameters\r\n\r\nOK\r\n");
    // Asking does not clear it.
    assert_eq!(b.last_error(), 552);
    b.check("AT+QSSLRECV=0,1", ERROR);
    b.check("AT+QIGETERROR", "\r\n+QIGETERROR: 567,socket has been closed\r\n\r\nOK\r\n");
    b.check("AT+QSSLCFG=\"sni\",0,1", OK);
    b.check("AT+QIGETERROR", "\r\n+QIGETERROR: 0,operate successfully\r\n\r\nOK\r\n");
}

#[test]
fn general_commands_do_not_record_a_result() {
    let mut b = Bench::new();
    b.check_code("AT+QSSLOPEN=0,0,0,\"h\",1", 552);
    for ok in ["AT", "AT+CSQ", "AT+CMEE=1", "AT+CFUN=1", "AT+CCLK?", "ATI"] {
        assert!(b.at(ok).ends_with(OK), "{ok}");
    }
    b.check("AT+CMEE=9", ERROR);
    assert_eq!(b.last_error(), 552);
}

/// Lines from the summary table of docs/host-stacks.md, written as the stacks write them,
/// that no other test sends verbatim; each with the module's whole answer.
#[test]
fn host_stack_lines_verbatim() {
    let mut b = Bench::new();
    for (line, want) in [
        // TinyGSM factoryDefault() and its debug/normal error modes.
        ("AT&FZE0&W", OK),
        ("AT+IPR=0", OK),
        ("AT&W", OK),
        ("AT+IPR?", "\r\n+IPR: 0\r\n\r\nOK\r\n"),
        ("AT+CMEE=0", OK),
        ("AT+CMEE=2", OK),
        ("AT+CMEE=1", OK),
        // Registration reports (Zephyr, FreeRTOS, mbed, Particle).
        ("AT+CGREG=1", OK),
        ("AT+CGREG=2", OK),
        ("AT+CGREG?", "\r\n+CGREG: 2,1,\"1A2B\",\"B3C4D11\",7\r\n\r\nOK\r\n"),
        // Particle.
        ("AT+CGEREP=1,0", OK),
        ("AT+CGEREP?", "\r\n+CGEREP: 1,0\r\n\r\nOK\r\n"),
        ("AT+COPS=0,2", OK),
        ("AT+COPS?", "\r\n+COPS: 0,2,\"46000\",7\r\n\r\nOK\r\n"),
        // Zephyr legacy puts a space before the password.
        ("AT+QICSGP=1,1,\"internet\",\"user\", \"pwd\",1", OK),
        ("AT+QICSGP=1", "\r\n+QICSGP: 1,\"internet\",\"user\",\"pwd\",1\r\n\r\nOK\r\n"),
        // bg9x_ssl and pico_lte SSL settings.
        ("AT+QSSLCFG=\"negotiatetime\",1,300", OK),
        ("AT+QSSLCFG=\"ignorelocaltime\",2,1", OK),
        // bg9x_ssl's state query with no connection; TinyGSM's two-parameter form is not the
        // SSL note's form (policy qsslstate-one-client).
        ("AT+QSSLSTATE=1", OK),
        ("AT+QSSLSTATE=1,1", ERROR),
        // mbed's checkhost is a BG95/BG77 item this family lacks (policy ssl-checkhost).
        ("AT+QSSLCFG=\"checkhost\",0,\"example.com\"", ERROR),
        // Identity and network names (TinyGSM, Zephyr, Sixfab).
        ("AT+QGMR", "\r\nEG915QGLR01A01M08_01.001.01.001\r\n\r\nOK\r\n"),
        ("AT+QSPN?", "\r\n+QSPN: \"CHINA MOBILE\",\"CMCC\",\"CMCC\",0,\"46000\"\r\n\r\nOK\r\n"),
        ("AT+QNWINFO", "\r\n+QNWINFO: \"FDD LTE\",\"46000\",\"LTE BAND 3\",1650\r\n\r\nOK\r\n"),
        // Particle's radio off and on.
        ("AT+CFUN=0,0", OK),
        ("AT+CGREG?", "\r\n+CGREG: 2,0\r\n\r\nOK\r\n"),
        ("AT+CFUN=1,0", OK),
    ] {
        b.check(line, want);
    }
    b.settle();
    b.writes.clear();
    b.check("AT+CGREG?", "\r\n+CGREG: 2,1,\"1A2B\",\"B3C4D11\",7\r\n\r\nOK\r\n");
    // mbed and Particle power off with the bare form.
    b.check("AT+QPOWD", OK);
}
