//! A surveyed host stack's init sequence, verbatim, through the real pty (docs/host-stacks.md
//! §1, TinyGSM: init, network wait, identity, data connection), byte for byte; the shared PDP
//! table seen by both command families; `AT+CFUN=1,1` restarting the module; `--boot-urcs`;
//! `AT+QPOWD` with `--power-on-after`; `--imei`/`--imsi`/`--iccid`.

mod support;

use std::time::Duration;

use support::Daemon;

const BOOT: &str =
    "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\nAPP RDY\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n";

/// Wait up to `wait` for `want` (URCs come in several writes); nothing may come before it.
#[track_caller]
fn expect_in_time(p: &mut support::Port, want: &str, wait: Duration) {
    let got = p.read_until(want.as_bytes(), wait);
    assert_eq!(support::show(&got), support::show(want.as_bytes()));
}

#[test]
fn tinygsm_init_network_wait_identity_and_gprs_connect() {
    let d = Daemon::start(&[]);
    let mut p = d.port();
    // init(): each line ends with CRLF as TinyGSM writes it.
    p.transact("AT\r\n", "AT\r\r\nOK\r\n");
    p.transact("ATE0\r\n", "ATE0\r\r\nOK\r\n");
    p.transact("AT+CMEE=0\r\n", "\r\nOK\r\n");
    p.transact("AT+CGMI\r\n", "\r\nQuectel\r\n\r\nOK\r\n");
    p.transact("AT+CGMM\r\n", "\r\nEG915Q-GL\r\n\r\nOK\r\n");
    p.transact("AT+CTZR=0\r\n", "\r\nOK\r\n");
    p.transact("AT+CTZU=1\r\n", "\r\nOK\r\n");
    p.transact("AT+CPIN?\r\n", "\r\n+CPIN: READY\r\n\r\nOK\r\n");
    // waitForNetwork(): the number after the first comma must be 1 or 5.
    p.transact("AT+CEREG?\r\n", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
    p.transact("AT+CSQ\r\n", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    // Identity.
    p.transact("AT+GSN\r\n", "\r\n861536030196001\r\n\r\nOK\r\n");
    p.transact("AT+CIMI\r\n", "\r\n460001234567890\r\n\r\nOK\r\n");
    p.transact("AT+QCCID\r\n", "\r\n+QCCID: 89860012345678901234\r\n\r\nOK\r\n");
    p.transact("AT+COPS?\r\n", "\r\n+COPS: 0,0,\"CHINA MOBILE\",7\r\n\r\nOK\r\n");
    // gprsConnect(): disconnect first, then APN, activate, attach.
    p.transact("AT+QIDEACT=1\r\n", "\r\nOK\r\n");
    p.transact("AT+QICSGP=1,1,\"internet\",\"\",\"\"\r\n", "\r\nOK\r\n");
    p.transact("AT+QIACT=1\r\n", "\r\nOK\r\n");
    p.transact("AT+CGATT=1\r\n", "\r\nOK\r\n");
    // isGprsConnected().
    p.transact("AT+CGATT?\r\n", "\r\n+CGATT: 1\r\n\r\nOK\r\n");
    p.transact("AT+CGPADDR=1\r\n", "\r\n+CGPADDR: 1,\"10.7.157.1\"\r\n\r\nOK\r\n");
    p.expect_quiet(Duration::from_millis(100));
}

#[test]
fn cgdcont_and_qiact_share_one_pdp_table() {
    let d = Daemon::start(&[]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+CGDCONT=1,\"IP\",\"iot.example\"\r", "\r\nOK\r\n");
    p.transact("AT+QICSGP=1\r", "\r\n+QICSGP: 1,\"iot.example\",\"\",\"\",0\r\n\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact("AT+CGPADDR=1\r", "\r\n+CGPADDR: 1,\"10.7.157.1\"\r\n\r\nOK\r\n");
    p.transact("AT+QIACT?\r", "\r\n+QIACT: 1,1,1,\"10.7.157.1\"\r\n\r\nOK\r\n");
    p.transact("AT+CGACT?\r", "\r\n+CGACT: 1,1\r\n\r\nOK\r\n");
    p.transact("AT+CGACT=0,1\r", "\r\nOK\r\n");
    p.transact("AT+QIACT?\r", "\r\nOK\r\n");
    p.expect_quiet(Duration::from_millis(100));
}

#[test]
fn cfun_1_1_restores_factory_settings_and_prints_the_boot_output() {
    let d = Daemon::start(&[]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QSSLCFG=\"sni\",0,1\r", "\r\nOK\r\n");
    p.transact("AT+QSSLCFG=\"sni\",0\r", "\r\n+QSSLCFG: \"sni\",0,1\r\n\r\nOK\r\n");
    p.transact("AT+CFUN=1,1\r", "\r\nOK\r\n");
    expect_in_time(&mut p, BOOT, Duration::from_secs(5));
    // Echo is back on and the SSL context has its factory value again.
    p.transact("AT+QSSLCFG=\"sni\",0\r", "AT+QSSLCFG=\"sni\",0\r\r\n+QSSLCFG: \"sni\",0,0\r\n\r\nOK\r\n");
    p.expect_quiet(Duration::from_millis(100));
}

#[test]
fn boot_urcs_flag_prints_the_boot_output_at_start() {
    let d = Daemon::start(&["--boot-urcs"]);
    let mut p = d.port();
    expect_in_time(&mut p, BOOT, Duration::from_secs(5));
    p.transact("AT\r", "AT\r\r\nOK\r\n");
}

#[test]
fn qpowd_goes_silent_and_power_on_after_brings_it_back() {
    let d = Daemon::start(&["--power-on-after", "500"]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QPOWD=1\r", "\r\nOK\r\n");
    expect_in_time(&mut p, "\r\nPOWERED DOWN\r\n", Duration::from_secs(5));
    p.send(b"AT\r");
    expect_in_time(&mut p, BOOT, Duration::from_secs(5));
    p.transact("AT\r", "AT\r\r\nOK\r\n");
}

#[test]
fn identity_flags_set_what_the_module_prints() {
    let d = Daemon::start(&[
        "--imei",
        "490154203237518",
        "--imsi",
        "310260000000001",
        "--iccid",
        "8901260000000000001",
    ]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+CGSN\r", "\r\n490154203237518\r\n\r\nOK\r\n");
    p.transact("AT+CIMI\r", "\r\n310260000000001\r\n\r\nOK\r\n");
    p.transact("AT+QCCID\r", "\r\n+QCCID: 8901260000000000001\r\n\r\nOK\r\n");
}

#[test]
fn freertos_module_enable_and_urc_enable_verbatim() {
    let d = Daemon::start(&[]);
    let mut p = d.port();
    // Module enable (docs/host-stacks.md §2): echo still on for the first line.
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    for line in [
        "AT&D0",
        "AT+IFC=2,2",
        "AT+QURCCFG=\"urcport\",\"uart1\"",
        "AT+QCFG=\"band\",f,400a0e189f,a0e189f",
        "AT+QCFG=\"nwscanmode\",0,1",
        "AT+QCFG=\"iotopmode\",2,1",
        "AT+QCFG=\"nwscanseq\",020301,1",
        "AT+CFUN=1",
        // URC enable.
        "AT+COPS=3,2",
        "AT+CREG=2",
        "AT+CGREG=2",
        "AT+CEREG=2",
        "AT+CTZR=1",
    ] {
        p.transact(&format!("{line}\r"), "\r\nOK\r\n");
    }
    // The demo: SIM, APN, RF off and on, registration poll, activation, address.
    p.transact("AT+CPIN?\r", "\r\n+CPIN: READY\r\n\r\nOK\r\n");
    p.transact("AT+QICSGP=1,1,\"internet\",\"\",\"\",0\r", "\r\nOK\r\n");
    p.transact("AT+CFUN=4\r", "\r\nOK\r\n");
    p.expect(b"\r\n+CREG: 0\r\n\r\n+CGREG: 0\r\n\r\n+CEREG: 0\r\n");
    p.transact("AT+CFUN=1\r", "\r\nOK\r\n");
    let loc = "\"1A2B\",\"B3C4D11\",7";
    expect_in_time(
        &mut p,
        &format!("\r\n+CREG: 1,{loc}\r\n\r\n+CGREG: 1,{loc}\r\n\r\n+CEREG: 1,{loc}\r\n"),
        Duration::from_secs(2),
    );
    p.transact("AT+CREG?\r", &format!("\r\n+CREG: 2,1,{loc}\r\n\r\nOK\r\n"));
    p.transact("AT+CGREG?\r", &format!("\r\n+CGREG: 2,1,{loc}\r\n\r\nOK\r\n"));
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact("AT+CGPADDR=1\r", "\r\n+CGPADDR: 1,\"10.7.157.1\"\r\n\r\nOK\r\n");
    p.transact("AT+QIACT?\r", "\r\n+QIACT: 1,1,1,\"10.7.157.1\"\r\n\r\nOK\r\n");
    p.transact("AT+QCSQ\r", "\r\n+QCSQ: \"LTE\",-65,-95,88,-10\r\n\r\nOK\r\n");
    p.transact("AT+COPS?\r", "\r\n+COPS: 0,2,\"46000\",7\r\n\r\nOK\r\n");
    p.expect_quiet(Duration::from_millis(100));
}

#[test]
fn sim_pin_flag_locks_the_card_until_the_pin_is_entered() {
    let d = Daemon::start(&["--sim-pin", "4321"]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+CPIN?\r", "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n");
    p.transact("AT+CPIN=\"4321\"\r", "\r\nOK\r\n");
    expect_in_time(
        &mut p,
        "\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n",
        Duration::from_secs(2),
    );
    p.transact("AT+CEREG?\r", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
}

#[test]
fn no_sim_flag_leaves_the_holder_empty() {
    let d = Daemon::start(&["--no-sim"]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+CPIN?\r", "\r\n+CME ERROR: 10\r\n");
    p.transact("AT+CEREG?\r", "\r\n+CEREG: 0,0\r\n\r\nOK\r\n");
}

#[test]
fn sim_puk_flag_sets_the_puk_that_unblocks_the_card() {
    let d = Daemon::start(&["--sim-pin", "4321", "--sim-puk", "87654321"]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    for _ in 0..3 {
        p.transact("AT+CPIN=\"0000\"\r", "\r\n+CME ERROR: 16\r\n");
    }
    p.transact("AT+CPIN?\r", "\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n");
    p.transact("AT+QPINC=\"SC\"\r", "\r\n+QPINC: \"SC\",0,10\r\n\r\nOK\r\n");
    p.transact("AT+CPIN=\"87654321\",\"1111\"\r", "\r\nOK\r\n");
    expect_in_time(
        &mut p,
        "\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n",
        Duration::from_secs(2),
    );
    p.transact("AT+CPIN?\r", "\r\n+CPIN: READY\r\n\r\nOK\r\n");
}

#[test]
fn host_stack_sim_and_context_queries_verbatim() {
    let d = Daemon::start(&[]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    // FreeRTOS: SIM status, then its SIM info (IMSI, HPLMN, ICCID).
    p.transact("AT+QSIMSTAT?\r", "\r\n+QSIMSTAT: 0,1\r\n\r\nOK\r\n");
    p.transact("AT+CIMI\r", "\r\n460001234567890\r\n\r\nOK\r\n");
    p.transact("AT+CRSM=176,28514,0,0,0\r", "\r\n+CRSM: 144,0,\"64F0004000\"\r\n\r\nOK\r\n");
    p.transact("AT+QCCID\r", "\r\n+QCCID: 89860012345678901234\r\n\r\nOK\r\n");
    // Particle: the ICCID through AT+CCID.
    p.transact("AT+CCID\r", "\r\n+CCID: 89860012345678901234\r\n\r\nOK\r\n");
    // mbed: DNS servers of the active context through AT+CGCONTRDP.
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact(
        "AT+CGCONTRDP=1\r",
        "\r\n+CGCONTRDP: 1,5,\"\",\"10.7.157.1.255.255.255.0\",\"10.7.157.100\",\"10.7.157.254\",\"10.7.157.253\"\r\n\r\nOK\r\n",
    );
    p.expect_quiet(Duration::from_millis(100));
}
