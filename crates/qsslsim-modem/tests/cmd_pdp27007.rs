//! PDP contexts the 27.007 way, driven straight into the module: `AT+CGDCONT`, `AT+CGACT`,
//! `AT+CGPADDR`, `AT+CGATT`, `AT+CGEREP` and `+CGEV`, sharing one table with `AT+QICSGP`,
//! `AT+QIACT` and `AT+QIDEACT`.

mod bench;

use bench::{Bench, ERROR, OK};
use qsslsim_modem::{Fault, ModemConfig};

#[test]
fn context_1_is_defined_from_the_factory() {
    let mut b = Bench::new();
    b.check("AT+CGDCONT?", "\r\n+CGDCONT: 1,\"IP\",\"\",\"0.0.0.0\",0,0\r\n\r\nOK\r\n");
    b.check("AT+CGACT?", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
    b.check("AT+CGPADDR", "\r\n+CGPADDR: 1,\"0.0.0.0\"\r\n\r\nOK\r\n");
    b.check("AT+CGPADDR=?", "\r\n+CGPADDR: (1)\r\n\r\nOK\r\n");
}

#[test]
fn cgdcont_and_qicsgp_edit_the_same_contexts() {
    let mut b = Bench::new();
    b.check("AT+CGDCONT=1,\"IP\",\"internet\"", OK);
    b.check("AT+QICSGP=1", "\r\n+QICSGP: 1,\"internet\",\"\",\"\",0\r\n\r\nOK\r\n");
    b.check("AT+QICSGP=2,3,\"iot.apn\",\"u\",\"p\",1", OK);
    b.check("AT+CGDCONT=3,\"ipv6\",\"v6.apn\"", OK);
    b.check(
        "AT+CGDCONT?",
        "\r\n+CGDCONT: 1,\"IP\",\"internet\",\"0.0.0.0\",0,0\r\n\
         +CGDCONT: 2,\"IPV4V6\",\"iot.apn\",\"0.0.0.0\",0,0\r\n\
         +CGDCONT: 3,\"IPV6\",\"v6.apn\",\"0.0.0.0\",0,0\r\n\r\nOK\r\n",
    );
    b.check("AT+QICSGP=3", "\r\n+QICSGP: 2,\"v6.apn\",\"\",\"\",0\r\n\r\nOK\r\n");
    // <cid> alone undefines.
    b.check("AT+CGDCONT=3", OK);
    b.check("AT+CGACT?", "\r\n+CGACT: 1,0\r\n+CGACT: 2,0\r\n\r\nOK\r\n");
}

#[test]
fn cgdcont_test_form_and_refusals() {
    let mut b = Bench::new();
    b.check(
        "AT+CGDCONT=?",
        "\r\n+CGDCONT: (1-15),\"IP\",,,(0-3),(0-4)\r\n+CGDCONT: (1-15),\"IPV6\",,,(0-3),(0-4)\r\n\
         +CGDCONT: (1-15),\"IPV4V6\",,,(0-3),(0-4)\r\n\r\nOK\r\n",
    );
    for bad in ["AT+CGDCONT=0,\"IP\",\"a\"", "AT+CGDCONT=16", "AT+CGDCONT=1,\"PPP\",\"a\"", "AT+CGDCONT"] {
        b.check(bad, ERROR);
    }
    b.check("AT+QIACT=1", OK);
    b.check_cme("AT+CGDCONT=1,\"IP\",\"other\"", 3);
    b.check_cme("AT+CGDCONT=1", 3);
}

#[test]
fn cgact_and_qiact_activate_the_same_contexts() {
    let mut b = Bench::new();
    b.check("AT+CGDCONT=2,\"IP\",\"two\"", OK);
    b.check("AT+CGACT=1,2", OK);
    b.check("AT+QIACT?", "\r\n+QIACT: 2,1,1,\"10.7.157.2\"\r\n\r\nOK\r\n");
    b.check("AT+CGPADDR=2", "\r\n+CGPADDR: 2,\"10.7.157.2\"\r\n\r\nOK\r\n");
    b.check("AT+QIACT=1", OK);
    b.check("AT+CGACT?", "\r\n+CGACT: 1,1\r\n+CGACT: 2,1\r\n\r\nOK\r\n");
    // Activating an active context is not an error in 27.007 (AT+QIACT says ERROR).
    b.check("AT+CGACT=1,1", OK);
    b.check("AT+CGACT=0,1", OK);
    b.check("AT+QIACT?", "\r\n+QIACT: 2,1,1,\"10.7.157.2\"\r\n\r\nOK\r\n");
    b.check("AT+QIDEACT=2", OK);
    b.check("AT+CGACT?", "\r\n+CGACT: 1,0\r\n+CGACT: 2,0\r\n\r\nOK\r\n");
    // No <cid>: every defined context.
    b.check("AT+CGACT=1", OK);
    b.check("AT+CGPADDR=1,2", "\r\n+CGPADDR: 1,\"10.7.157.1\"\r\n+CGPADDR: 2,\"10.7.157.2\"\r\n\r\nOK\r\n");
    b.check("AT+CGACT=0", OK);
    b.check("AT+QIACT?", OK);
    b.check("AT+CGACT=?", "\r\n+CGACT: (0,1)\r\n\r\nOK\r\n");
    for bad in ["AT+CGACT=2,1", "AT+CGACT=1,16", "AT+CGACT"] {
        b.check(bad, ERROR);
    }
}

#[test]
fn cgact_without_service_or_apn_is_a_cme_error() {
    let mut b = Bench::with(ModemConfig { apn_required: true, ..ModemConfig::default() });
    b.check_cme("AT+CGACT=1,1", 30);
    b.check("AT+CGDCONT=1,\"IP\",\"apn\"", OK);
    b.check("AT+CFUN=0", OK);
    b.check_cme("AT+CGACT=1,1", 30);
    b.check("AT+CFUN=1", OK);
    b.check("AT+CGACT=1,1", OK);
}

#[test]
fn cgatt_0_detaches_and_takes_contexts_and_sockets_down() {
    let mut b = Bench::new();
    b.connect(0, 0);
    b.check("AT+CGATT=0", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QSSLURC: \"closed\",0\r\n");
    b.check("AT+CGATT?", "\r\n+CGATT: 0\r\n\r\nOK\r\n");
    b.check("AT+CGACT?", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
    b.check("AT+CGATT=1", OK);
    b.check("AT+CGATT?", "\r\n+CGATT: 1\r\n\r\nOK\r\n");
    // Activating attaches, too.
    b.check("AT+CGATT=0", OK);
    b.check("AT+QIACT=1", OK);
    b.check("AT+CGATT?", "\r\n+CGATT: 1\r\n\r\nOK\r\n");
}

#[test]
fn cgerep_reports_network_deactivation_with_cgev() {
    let mut b = Bench::new();
    b.check("AT+CGEREP?", "\r\n+CGEREP: 0,0\r\n\r\nOK\r\n");
    b.check("AT+CGEREP=?", "\r\n+CGEREP: (0-2),(0,1)\r\n\r\nOK\r\n");
    b.check("AT+CGEREP=2,1", OK);
    b.check("AT+CGEREP?", "\r\n+CGEREP: 2,1\r\n\r\nOK\r\n");
    b.check("AT+CGEREP=3", ERROR);
    b.check("AT+QIACT=1", OK);
    b.inject(Fault::PdpLost { ctx: 1 });
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QIURC: \"pdpdeact\",1\r\n", "\r\n+CGEV: NW PDN DEACT 1\r\n"]);
    // A host's own deactivation is not reported.
    b.check("AT+CGACT=1,1", OK);
    b.check("AT+CGACT=0,1", OK);
    b.settle();
    assert_eq!(b.take_text(), "");
    // Losing the network: the context, then the detach.
    b.check("AT+CGACT=1,1", OK);
    b.inject(Fault::Deregister { stat: None });
    b.settle();
    assert_eq!(
        b.take_writes_text(),
        ["\r\n+QIURC: \"pdpdeact\",1\r\n", "\r\n+CGEV: NW PDN DEACT 1\r\n", "\r\n+CGEV: NW DETACH\r\n"]
    );
}

#[test]
fn cgerep_0_keeps_cgev_quiet() {
    let mut b = Bench::new();
    b.check("AT+QIACT=1", OK);
    b.inject(Fault::PdpLost { ctx: 1 });
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QIURC: \"pdpdeact\",1\r\n");
}

#[test]
fn cgcontrdp_shows_the_dynamic_parameters_of_active_contexts() {
    let mut b = Bench::new();
    // Nothing active: no lines.
    b.check("AT+CGCONTRDP", OK);
    b.check("AT+CGCONTRDP=1", OK);
    b.check("AT+CGCONTRDP=?", "\r\n+CGCONTRDP: ()\r\n\r\nOK\r\n");
    b.check("AT+QICSGP=1,1,\"internet\",\"\",\"\",0", OK);
    b.check("AT+QICSGP=3,1,\"iot.apn\",\"\",\"\",0", OK);
    b.check("AT+QIACT=1", OK);
    b.check("AT+CGACT=1,3", OK);
    b.check("AT+QIDNSCFG=3,\"8.8.8.8\",\"1.1.1.1\"", OK);
    let one = "+CGCONTRDP: 1,5,\"internet\",\"10.7.157.1.255.255.255.0\",\"10.7.157.100\",\"10.7.157.254\",\"10.7.157.253\"";
    let three =
        "+CGCONTRDP: 3,7,\"iot.apn\",\"10.7.157.3.255.255.255.0\",\"10.7.157.100\",\"8.8.8.8\",\"1.1.1.1\"";
    b.check("AT+CGCONTRDP=1", &format!("\r\n{one}\r\n\r\nOK\r\n"));
    b.check("AT+CGCONTRDP", &format!("\r\n{one}\r\n{three}\r\n\r\nOK\r\n"));
    b.check("AT+CGCONTRDP=?", "\r\n+CGCONTRDP: (1,3)\r\n\r\nOK\r\n");
    b.check("AT+CGCONTRDP=2", OK);
    // The address is the one AT+CGPADDR shows.
    b.check("AT+CGPADDR=3", "\r\n+CGPADDR: 3,\"10.7.157.3\"\r\n\r\nOK\r\n");
    b.check("AT+CGCONTRDP=16", ERROR);
    b.check("AT+CGCONTRDP?", ERROR);
    b.check("AT+QIDEACT=1", OK);
    b.check("AT+CGCONTRDP=1", OK);
}
