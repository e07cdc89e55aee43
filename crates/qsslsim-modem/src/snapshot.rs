//! The module's state as JSON for `ctl state`: PDP contexts, SSL contexts, sockets with their
//! buffers and modes, the port's mode, the settings a host can change, and the short messages
//! sent.

use serde_json::{json, Value};

use crate::modem::{Modem, Port};
use crate::socket::SocketState;

impl Modem {
    pub fn snapshot(&self) -> Value {
        let port = port_json(&self.port, self.busy.as_ref());
        let pdp: Vec<Value> = self
            .pdp
            .active()
            .map(
                |(ctx, c)| json!({ "ctx": ctx.get(), "apn": c.apn, "dns": [c.dns_primary, c.dns_secondary] }),
            )
            .collect();
        let sockets: Vec<Value> = self
            .sockets
            .iter()
            .filter(|(_, s)| s.state() != SocketState::Initial)
            .map(|(id, s)| {
                json!({
                    "id": id.get(),
                    "service": s.service.name(),
                    "state": s.state(),
                    "state_code": s.state().code(),
                    "mode": s.mode,
                    "host": s.host,
                    "remote_ip": s.remote_ip.map(|ip| ip.to_string()),
                    "port": s.port,
                    "local_port": s.local_port,
                    "pdp": s.pdp.get(),
                    "ssl_ctx": s.ssl_ctx.get(),
                    "rx_buffered": s.rx.len(),
                    "tx_in_flight": s.tx_in_flight,
                    "rx_total": s.rx_total,
                    "tx_total": s.tx_total,
                })
            })
            .collect();
        let ssl: Vec<Value> = self
            .ssl
            .iter()
            .enumerate()
            .map(|(id, c)| {
                let s = &c.settings;
                json!({
                    "ctx": id, "sslversion": s.sslversion, "ciphersuite": format!("0X{:04X}", s.ciphersuite),
                    "seclevel": s.seclevel, "cacert": s.cacert, "sni": s.sni, "alpn": s.alpn,
                    "session_cache": s.session_cache, "negotiatetime": s.negotiatetime,
                })
            })
            .collect();
        json!({
            "model": self.cfg.model,
            "clock": self.clock.format(self.now),
            "echo": self.settings.echo,
            "verbose": self.out.framing.verbose,
            "cmee": self.out.framing.cmee,
            "dtr_mode": self.settings.dtr_mode,
            "last_error": self.last_error.number(),
            "port": port,
            "mux": self.mux_json(),
            "ppp": self.ppp.as_ref().map(|c| json!({
                "session": c.session, "cid": c.cid.get(), "channel": c.dlci,
                "online": c.online, "downlink_waiting": c.down.len(), "ended": c.ended,
            })),
            "power": self.power.name(),
            "cfun": self.settings.cfun,
            "sim": format!("{:?}", self.sim.status()),
            "registration": {
                "stat": self.reg_stat(),
                "operator": self.serving().numeric,
                "rssi": self.csq().0,
                "attached": self.network.attached && self.registered(),
            },
            "pdp_active": pdp,
            "ssl_contexts": ssl,
            "sockets": sockets,
            "sms_sent": self.sms.sent,
            "files": self.files.list("*").into_iter().chain(self.files.list("RAM:*"))
                .map(|(name, size)| json!({ "name": name, "size": size })).collect::<Vec<_>>(),
        })
    }

    /// Mux mode: the parameters, the URC channel, what the decoder skipped, and each channel's
    /// mode (the active one from the module's own fields). `null` without `AT+CMUX`.
    fn mux_json(&self) -> Value {
        let Some(mux) = self.channels.mux.as_ref() else { return Value::Null };
        let channels: Vec<Value> = self
            .channels
            .open()
            .into_iter()
            .map(|dlci| {
                let (port, busy, echo) = match self.channels.parked.get(&dlci) {
                    Some(c) if dlci != self.channels.active => (&c.port, c.busy.as_ref(), c.echo),
                    _ => (&self.port, self.busy.as_ref(), self.settings.echo),
                };
                json!({ "dlci": dlci, "port": port_json(port, busy), "echo": echo })
            })
            .collect();
        json!({
            "params": format!("{:?}", mux.params),
            "urc_channel": self.urc_dlci(),
            "skipped_bytes": mux.skipped,
            "channels": channels,
        })
    }
}

/// One AT port's mode for `ctl state`.
fn port_json(port: &Port, busy: Option<&crate::port::Busy>) -> Value {
    match port {
        Port::Command if busy.is_some() => {
            json!({ "mode": "busy", "command": format!("{busy:?}") })
        }
        Port::Command => json!({ "mode": "command" }),
        Port::SendPrompt(p) if matches!(p.purpose, crate::port::PromptFor::Sms(_)) => {
            json!({ "mode": "sms_prompt", "typed": p.typed() })
        }
        Port::SendPrompt(p) => {
            json!({ "mode": "send_prompt", "socket": p.id.get(), "fixed_length": p.fixed, "typed": p.typed() })
        }
        Port::Transparent { id, .. } => json!({ "mode": "transparent", "socket": id.get() }),
        Port::Ppp { session, .. } => json!({ "mode": "ppp", "session": session }),
        Port::Upload(up) => {
            json!({ "mode": port.name(), "file": up.name(), "received": up.data_len() })
        }
    }
}
