//! What the daemon tells the module at start: identity, AT port name, timing profile, TLS
//! policy. Defaults describe an EG915Q-GL on UART1 with the `fast` timing profile.

use std::time::Duration;

use crate::policy;

/// How the module paces URCs relative to responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Gap between a final result and a URC that follows it.
    pub urc_gap: Duration,
    /// Least time between a final result and a URC that follows the network.
    pub network_urc_gap: Duration,
    /// Network delay before an open reaches the server (so before its `+QSSLOPEN` URC or
    /// `CONNECT`, whether it succeeds or fails).
    pub open_delay: Duration,
    /// From `AT+CFUN=<fun>,1`'s `OK` to the restart and its boot output.
    pub restart: Duration,
    /// From `AT+QPOWD`'s `OK` to `POWERED DOWN`.
    pub power_down: Duration,
    /// From `AT+QGPS=1` to the first fix `AT+QGPSLOC` reports (policy `gnss-ttff`).
    pub gnss_fix: Duration,
}

impl Timing {
    pub fn fast() -> Self {
        Timing {
            urc_gap: policy::FAST_URC_GAP,
            network_urc_gap: policy::FAST_NETWORK_URC_GAP,
            open_delay: Duration::ZERO,
            restart: policy::FAST_RESTART,
            power_down: policy::FAST_POWER_DOWN,
            gnss_fix: policy::FAST_GNSS_FIX,
        }
    }
    /// As fast as the rules allow: URCs only wait for the gap that keeps them in a write of
    /// their own, even those that follow the network (for test suites that want speed and
    /// read whole writes).
    pub fn instant() -> Self {
        Timing {
            urc_gap: policy::FAST_URC_GAP,
            network_urc_gap: Duration::ZERO,
            open_delay: Duration::ZERO,
            restart: policy::FAST_RESTART,
            power_down: policy::FAST_POWER_DOWN,
            gnss_fix: Duration::ZERO,
        }
    }
    pub fn realistic() -> Self {
        Timing {
            urc_gap: policy::REALISTIC_URC_GAP,
            network_urc_gap: policy::REALISTIC_URC_GAP,
            open_delay: policy::REALISTIC_OPEN_DELAY,
            restart: policy::REALISTIC_RESTART,
            power_down: policy::REALISTIC_POWER_DOWN,
            gnss_fix: policy::REALISTIC_GNSS_FIX,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ModemConfig {
    pub manufacturer: String,
    pub model: String,
    pub revision: String,
    /// AT port name reported by `AT+QSSLSTATE` (`usbat`, `uart1`, `usbmodem`, `uart2`).
    pub at_port: String,
    pub timing: Timing,
    /// `+++` guard time.
    pub guard_time: Duration,
    pub tls: qsslsim_tls::TlsPolicy,
    /// Pace output to the host like a UART at this many baud (10 bits per byte); `None`: as
    /// fast as the pty takes it.
    pub baud: Option<u32>,
    /// The network refuses to activate a PDP context whose APN is empty (`AT+QIACT` answers
    /// `ERROR`, 573), as networks that assign no default APN do.
    pub apn_required: bool,
    /// IMEI, IMSI, ICCID, own number and full revision (`AT+CGSN`, `AT+CIMI`, `AT+QCCID`, ...).
    pub identity: crate::identity::Identity,
    /// After `AT+QPOWD` (or fault `power_off`), power on again after this long by itself.
    pub power_on_after: Option<Duration>,
    /// The SIM at start: absent, or locked with a PIN.
    pub sim: crate::sim::SimConfig,
    /// The position the simulated GNSS receiver fixes (`--gnss-fix`).
    pub gnss_position: crate::gnss::GnssPosition,
}

impl Default for ModemConfig {
    fn default() -> Self {
        ModemConfig {
            manufacturer: "Quectel".into(),
            model: "EG915Q-GL".into(),
            revision: "EG915QGLR01A01M08".into(),
            at_port: "uart1".into(),
            timing: Timing::fast(),
            guard_time: policy::DEFAULT_GUARD_TIME,
            tls: qsslsim_tls::TlsPolicy::default(),
            baud: None,
            apn_required: false,
            identity: crate::identity::Identity::default(),
            power_on_after: None,
            sim: crate::sim::SimConfig::default(),
            gnss_position: crate::gnss::GnssPosition::DEFAULT,
        }
    }
}
