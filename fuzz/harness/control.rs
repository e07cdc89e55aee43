//! The `control_request` fuzz harness, shared with crates/qsslsim/tests/fuzz_regressions.rs.
//!
//! Arbitrary bytes as one control-socket request line, deserialized into
//! `qsslsim::control::Request` with serde_json as `control::answer` does: it must be `Ok` or
//! `Err`, never panic. A request that parses is then carried out the way the daemon would,
//! minus the sockets and tasks:
//! - `clock`: `control::parse_time` (RFC 3339 or the module's `yy/MM/dd,hh:mm:ss±zz`), the
//!   result set on a module, which then runs `AT+CCLK?`, an open (certificate time) and a
//!   snapshot (`ctl state`) a second later, and `AT+CCLK?` again a week later;
//! - `fault`: a JSON round trip must give the same fault, its name and open/link classes must
//!   agree; it is injected into a module (that then restarts, so a URC is queued and timed),
//!   and a link fault is applied to a connection's `Link` as the connection task would.
//! - `dtr`: both levels on a module.

use std::time::{Duration, Instant, SystemTime};

use qsslsim::control::{parse_time, Request};
use qsslsim::network::link::Link;
use qsslsim_modem::{Fault, Modem, ModemConfig};

pub fn run(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_time(text);
    }
    let Ok(request) = serde_json::from_slice::<Request>(data) else { return };
    match request {
        Request::Clock { time } => {
            if let Some((utc, zone)) = parse_time(&time) {
                let (mut m, t0) = module();
                m.set_clock(utc, zone, t0);
                let later = t0 + Duration::from_secs(1);
                m.host_input(b"AT+CCLK?\rAT+QIACT=1\rAT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,0\r", later);
                let _ = m.snapshot();
                // The daemon keeps running: a week later.
                m.host_input(b"AT+CCLK?\r", t0 + Duration::from_secs(7 * 86_400));
                drain(&mut m);
            }
        }
        Request::Fault { fault } => {
            check_fault(&fault);
            let (mut m, t0) = module();
            m.inject(fault.clone(), t0);
            m.inject(Fault::ModuleRestart, t0 + Duration::from_millis(1));
            while let Some(d) = m.next_deadline() {
                m.on_time(d);
                drain(&mut m);
            }
            drain(&mut m);
            if let Some((_, link)) = fault.as_link_fault() {
                let l = Link::default();
                l.apply(link);
                let _ = (l.ending(), l.is_reset(), l.stalled(), l.take_allowance(1500));
                let _ = (l.delay_for(16 * 1024), l.chunk_limit(16 * 1024));
            }
        }
        Request::Power { on } => {
            let (mut m, t0) = module();
            m.inject(if on { Fault::PowerOn } else { Fault::PowerOff }, t0);
            m.host_input(b"AT\r", t0 + Duration::from_millis(1));
            m.inject(Fault::PowerOn, t0 + Duration::from_secs(1));
            while let Some(d) = m.next_deadline() {
                m.on_time(d);
                drain(&mut m);
            }
            drain(&mut m);
        }
        Request::Dtr { .. } => {
            let (mut m, t0) = module();
            m.set_dtr(true, t0);
            m.set_dtr(false, t0);
            drain(&mut m);
        }
        Request::State {} => {
            let (m, _) = module();
            let _ = m.snapshot();
        }
        Request::Events {} => {}
    }
}

fn module() -> (Modem, Instant) {
    let t0 = Instant::now();
    let m =
        Modem::new(ModemConfig::default(), t0, SystemTime::UNIX_EPOCH + Duration::from_secs(1_779_235_200));
    (m, t0)
}

fn drain(m: &mut Modem) {
    while m.poll_output().is_some() {}
}

fn check_fault(fault: &Fault) {
    let json = serde_json::to_string(fault).expect("a fault serializes");
    let back: Fault =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json} does not parse back: {e}"));
    assert_eq!(&back, fault, "JSON round trip changed the fault");
    assert!(json.contains(&format!("\"kind\":\"{}\"", fault.name())), "{json} vs name {}", fault.name());
    let open = fault.as_open_fault().is_some();
    let link = fault.as_link_fault().is_some();
    assert!(!(open && link), "{json} is both an open fault and a link fault");
}
