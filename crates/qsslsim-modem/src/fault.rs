//! The one fault vocabulary: every network or module misfortune the emulator can produce, as
//! a value. Scenario files, the control socket and tests all speak it (JSON/TOML via serde,
//! tagged by `kind`). The module applies module-level faults itself, arms open-time faults
//! for the next open, and hands connection-level faults to the network layer.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A fault to inject now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The next open's TCP connect is refused (566).
    RefuseConnect,
    /// The next name lookup fails (565): an open by name, or `AT+QIDNSGIP`, `AT+QPING`,
    /// `AT+QNTP` by name.
    DnsFailure,
    /// The next name lookup (likewise) finds the resolver busy (564).
    DnsBusy,
    /// The next open's server accepts TCP but never answers the ClientHello: the open ends
    /// after `negotiatetime` (569).
    HandshakeStall,
    /// The next open's TCP connect is never answered (a listener that drops SYNs): the open
    /// fails when the module's open timeout runs out (policy `open-timeout`).
    ConnectStall,
    /// The next open's server answers the ClientHello with a fatal alert (566).
    HandshakeAlert,
    /// The server closes the connection: now, after it has sent `after_bytes` more bytes, or
    /// after `after_ms`. Everything it sent before the close is delivered.
    ServerClose {
        #[serde(default)]
        socket: Option<u8>,
        #[serde(default)]
        after_bytes: Option<u64>,
        #[serde(default)]
        after_ms: Option<u64>,
    },
    /// The connection is reset (RST): no more data either way.
    ConnectionReset {
        #[serde(default)]
        socket: Option<u8>,
    },
    /// The network drops PDP context `ctx`: its sockets close with "closed" URCs and the
    /// module reports `+QIURC: "pdpdeact",<ctx>`.
    PdpLost { ctx: u8 },
    /// Added one-way delay on every chunk, both directions (0 clears).
    Latency {
        #[serde(default)]
        socket: Option<u8>,
        ms: u64,
    },
    /// Bandwidth cap in bytes per second, both directions (0 clears).
    Bandwidth {
        #[serde(default)]
        socket: Option<u8>,
        bytes_per_sec: u64,
    },
    /// The next `count` sends (default 1) answer `SEND FAIL` as if the send buffer were full.
    SendBufferFull {
        #[serde(default)]
        socket: Option<u8>,
        #[serde(default)]
        count: Option<u32>,
    },
    /// The network delivers nothing from the server for `ms` (absent: until cleared with 0).
    ReceiveStall {
        #[serde(default)]
        socket: Option<u8>,
        #[serde(default)]
        ms: Option<u64>,
    },
    /// UDP: the network loses the next `count` datagrams (default 1) coming to the socket.
    DatagramLoss {
        #[serde(default)]
        socket: Option<u8>,
        #[serde(default)]
        count: Option<u32>,
    },
    /// UDP: the network delivers each of the next `count` datagrams (default 1) twice.
    DatagramDuplicate {
        #[serde(default)]
        socket: Option<u8>,
        #[serde(default)]
        count: Option<u32>,
    },
    /// UDP: the next two datagrams coming to the socket arrive in swapped order.
    DatagramReorder {
        #[serde(default)]
        socket: Option<u8>,
    },
    /// Hold every URC back by `ms` more (0 clears).
    UrcDelay { ms: u64 },
    /// The module restarts: connections drop, settings and the RAM drive are lost, UFS files
    /// stay, and the module says `RDY` when it is back.
    ModuleRestart,
    /// The network drops the module's registration: `AT+CEREG?` reads `<stat>` (default 0,
    /// not registered; 2 searching, 3 denied), the registration URCs the host asked for go out,
    /// and every active PDP context goes down as with `pdp_lost`.
    Deregister {
        #[serde(default)]
        stat: Option<u8>,
    },
    /// The module registers again on its home network.
    Register,
    /// The module registers on a visited network (`<stat>` 5).
    Roam,
    /// The signal level `AT+CSQ` reports, 0-31 (99: unknown).
    Signal { rssi: u8 },
    /// The SIM is pulled out: `+CPIN: NOT READY`, registration is lost (with its URCs and the
    /// PDP contexts).
    SimRemoved,
    /// A SIM is put back: `+CPIN: READY`, `+QUSIM: 1`, `+QIND: SMS DONE` and registration, or
    /// `+CPIN: SIM PIN` if it has a PIN.
    SimInserted,
    /// The supply is switched off as after `AT+QPOWD`: `POWERED DOWN`, then silence.
    PowerOff,
    /// The module is switched on again: a fresh module and the boot output.
    PowerOn,
    /// The next `count` runs (default 1) of an SSL/TCP command fail with result code `code`
    /// (550–574) as the module reports that command's failures: `ERROR` and the code for
    /// `AT+QIGETERROR`; for `AT+QSSLOPEN` in modes 0/1, `OK` then `+QSSLOPEN: <id>,<code>`.
    /// `command` is the command's name, with or without `AT` (`"AT+QSSLSEND"`, `"+QSSLSEND"`).
    CommandError {
        command: String,
        code: u16,
        #[serde(default)]
        count: Option<u32>,
    },
}

/// Largest `latency` and `urc_delay`: a minute per chunk or URC is already far beyond any
/// real network; larger values only wedge a socket while the host already had `SEND OK`.
pub const MAX_LATENCY_MS: u64 = 60_000;
/// Largest `receive_stall` and delayed `server_close`: a day.
pub const MAX_HOLD_MS: u64 = 86_400_000;

fn at_most(what: &str, value: u64, max: u64) -> Result<(), String> {
    if value <= max {
        Ok(())
    } else {
        Err(format!("{what} {value} is above the largest accepted, {max}"))
    }
}

/// A fault that acts on the next open (carried in its [`crate::OpenRequest`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenFault {
    RefuseConnect,
    DnsFailure,
    DnsBusy,
    HandshakeStall,
    ConnectStall,
    HandshakeAlert,
}

/// A fault on one live connection, applied by the network layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkFault {
    /// Close after `after_bytes` more bytes from the server (0 = now) or after a delay.
    ServerClose {
        after_bytes: Option<u64>,
        after: Option<Duration>,
    },
    Reset,
    Latency(Duration),
    /// Bytes per second; 0 = unlimited.
    Bandwidth(u64),
    /// Deliver nothing for this long (`None` = until cleared by `Some(ZERO)`).
    ReceiveStall(Option<Duration>),
    /// Lose the next n incoming datagrams.
    DatagramLoss(u32),
    /// Deliver each of the next n incoming datagrams twice.
    DatagramDuplicate(u32),
    /// Swap the next two incoming datagrams.
    DatagramReorder,
}

impl LinkFault {
    /// Whether this fault only means something for datagrams (UDP sockets).
    pub fn datagrams_only(&self) -> bool {
        matches!(
            self,
            LinkFault::DatagramLoss(_) | LinkFault::DatagramDuplicate(_) | LinkFault::DatagramReorder
        )
    }
}

impl Fault {
    /// The short name used in traces and logs (the serde tag).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::RefuseConnect => "refuse_connect",
            Fault::DnsFailure => "dns_failure",
            Fault::DnsBusy => "dns_busy",
            Fault::HandshakeStall => "handshake_stall",
            Fault::ConnectStall => "connect_stall",
            Fault::HandshakeAlert => "handshake_alert",
            Fault::ServerClose { .. } => "server_close",
            Fault::ConnectionReset { .. } => "connection_reset",
            Fault::PdpLost { .. } => "pdp_lost",
            Fault::Latency { .. } => "latency",
            Fault::Bandwidth { .. } => "bandwidth",
            Fault::SendBufferFull { .. } => "send_buffer_full",
            Fault::ReceiveStall { .. } => "receive_stall",
            Fault::DatagramLoss { .. } => "datagram_loss",
            Fault::DatagramDuplicate { .. } => "datagram_duplicate",
            Fault::DatagramReorder { .. } => "datagram_reorder",
            Fault::UrcDelay { .. } => "urc_delay",
            Fault::ModuleRestart => "module_restart",
            Fault::Deregister { .. } => "deregister",
            Fault::Register => "register",
            Fault::Roam => "roam",
            Fault::Signal { .. } => "signal",
            Fault::SimRemoved => "sim_removed",
            Fault::SimInserted => "sim_inserted",
            Fault::PowerOff => "power_off",
            Fault::PowerOn => "power_on",
            Fault::CommandError { .. } => "command_error",
        }
    }

    /// Whether the fault can act as given: names and numbers a host cannot check by itself
    /// are checked here, so the control socket can refuse a fault that would never fire.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Fault::CommandError { command, code, .. } => {
                if crate::errors::ErrorCode::from_number(*code)
                    .is_none_or(|c| c == crate::errors::ErrorCode::Ok)
                {
                    return Err(format!("command_error code {code} is not a result code 550-574"));
                }
                if crate::cmd::socket_command(command).is_none() {
                    return Err(format!(
                        "command_error command {command:?} is not an SSL/TCP command of this module"
                    ));
                }
                Ok(())
            }
            Fault::PdpLost { ctx } if crate::ids::PdpCtxId::new(*ctx).is_none() => {
                Err(format!("pdp_lost ctx {ctx} is outside 1-15"))
            }
            Fault::Deregister { stat: Some(stat) } if ![0, 2, 3, 4].contains(stat) => {
                Err(format!("deregister stat {stat} is not 0, 2, 3 or 4"))
            }
            Fault::Signal { rssi } if *rssi > 31 && *rssi != 99 => {
                Err(format!("signal rssi {rssi} is not 0-31 or 99"))
            }
            Fault::Latency { ms, .. } => at_most("latency ms", *ms, MAX_LATENCY_MS),
            Fault::UrcDelay { ms } => at_most("urc_delay ms", *ms, MAX_LATENCY_MS),
            Fault::ReceiveStall { ms: Some(ms), .. } => at_most("receive_stall ms", *ms, MAX_HOLD_MS),
            Fault::ServerClose { after_ms: Some(ms), .. } => {
                at_most("server_close after_ms", *ms, MAX_HOLD_MS)
            }
            _ => Ok(()),
        }
    }

    /// Open-time faults, as carried by the next open.
    pub fn as_open_fault(&self) -> Option<OpenFault> {
        Some(match self {
            Fault::RefuseConnect => OpenFault::RefuseConnect,
            Fault::DnsFailure => OpenFault::DnsFailure,
            Fault::DnsBusy => OpenFault::DnsBusy,
            Fault::HandshakeStall => OpenFault::HandshakeStall,
            Fault::ConnectStall => OpenFault::ConnectStall,
            Fault::HandshakeAlert => OpenFault::HandshakeAlert,
            _ => return None,
        })
    }

    /// Connection faults: the socket they name (None = every live socket) and the link fault.
    pub fn as_link_fault(&self) -> Option<(Option<u8>, LinkFault)> {
        Some(match *self {
            Fault::ServerClose { socket, after_bytes, after_ms } => {
                (socket, LinkFault::ServerClose { after_bytes, after: after_ms.map(Duration::from_millis) })
            }
            Fault::ConnectionReset { socket } => (socket, LinkFault::Reset),
            Fault::Latency { socket, ms } => (socket, LinkFault::Latency(Duration::from_millis(ms))),
            Fault::Bandwidth { socket, bytes_per_sec } => (socket, LinkFault::Bandwidth(bytes_per_sec)),
            Fault::ReceiveStall { socket, ms } => {
                (socket, LinkFault::ReceiveStall(ms.map(Duration::from_millis)))
            }
            Fault::DatagramLoss { socket, count } => (socket, LinkFault::DatagramLoss(count.unwrap_or(1))),
            Fault::DatagramDuplicate { socket, count } => {
                (socket, LinkFault::DatagramDuplicate(count.unwrap_or(1)))
            }
            Fault::DatagramReorder { socket } => (socket, LinkFault::DatagramReorder),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_uses_the_kind_tag() {
        let f: Fault =
            serde_json::from_str(r#"{"kind":"server_close","socket":4,"after_bytes":10}"#).unwrap();
        assert_eq!(f, Fault::ServerClose { socket: Some(4), after_bytes: Some(10), after_ms: None });
        assert_eq!(
            serde_json::to_string(&Fault::PdpLost { ctx: 1 }).unwrap(),
            r#"{"kind":"pdp_lost","ctx":1}"#
        );
        assert_eq!(f.name(), "server_close");
    }

    #[test]
    fn durations_are_bounded() {
        assert!(Fault::Latency { socket: None, ms: MAX_LATENCY_MS }.validate().is_ok());
        let e = Fault::Latency { socket: None, ms: u64::MAX }.validate().unwrap_err();
        assert_eq!(e, format!("latency ms {} is above the largest accepted, 60000", u64::MAX));
        assert!(Fault::UrcDelay { ms: MAX_LATENCY_MS + 1 }.validate().is_err());
        assert!(Fault::ReceiveStall { socket: None, ms: Some(MAX_HOLD_MS + 1) }.validate().is_err());
        assert!(Fault::ReceiveStall { socket: None, ms: None }.validate().is_ok());
        let close = Fault::ServerClose { socket: None, after_bytes: None, after_ms: Some(u64::MAX) };
        assert!(close.validate().is_err());
    }

    #[test]
    fn module_state_faults_parse_and_validate() {
        for (json, want) in [
            (r#"{"kind":"deregister"}"#, Fault::Deregister { stat: None }),
            (r#"{"kind":"deregister","stat":3}"#, Fault::Deregister { stat: Some(3) }),
            (r#"{"kind":"register"}"#, Fault::Register),
            (r#"{"kind":"roam"}"#, Fault::Roam),
            (r#"{"kind":"signal","rssi":7}"#, Fault::Signal { rssi: 7 }),
            (r#"{"kind":"sim_removed"}"#, Fault::SimRemoved),
            (r#"{"kind":"sim_inserted"}"#, Fault::SimInserted),
            (r#"{"kind":"power_off"}"#, Fault::PowerOff),
            (r#"{"kind":"power_on"}"#, Fault::PowerOn),
        ] {
            let f: Fault = serde_json::from_str(json).unwrap();
            assert_eq!(f, want);
            assert!(f.validate().is_ok());
            assert_eq!(serde_json::to_value(&f).unwrap()["kind"], f.name());
        }
        assert!(Fault::Deregister { stat: Some(1) }.validate().is_err());
        assert!(Fault::Signal { rssi: 32 }.validate().is_err());
        assert!(Fault::Signal { rssi: 99 }.validate().is_ok());
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"signal"}"#).is_err());
    }

    #[test]
    fn unknown_kinds_and_fields_are_rejected() {
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"meteor_strike"}"#).is_err());
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"pdp_lost","ctx":1,"extra":2}"#).is_err());
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"pdp_lost"}"#).is_err());
    }
}
