//! IPCP (RFC 1332, with RFC 1877's DNS options): this side's request names its own address;
//! the host's request gets the PDP context's address and the DNS servers by Nak when it asks
//! with 0.0.0.0 (or anything else) or leaves the address out, and everything else (VJ
//! compression, NBNS) is rejected.

use std::net::Ipv4Addr;

use crate::negotiate::{answer_limited, is_subset, Verdict, MAX_FAILURE};
use crate::packet::{code, emit_options, parse_options, proto, Opt, Packet};
use crate::server::{Event, Server};

pub const IP_ADDRESS: u8 = 3;
pub const PRIMARY_DNS: u8 = 129;
pub const SECONDARY_DNS: u8 = 131;

impl Server {
    pub(crate) fn send_ipcp_request(&mut self, fresh: bool) {
        if fresh {
            self.ipcp_req.id = self.take_id();
            self.ipcp_req.acked = false;
            self.ipcp_req.sent = 0;
        }
        self.ipcp_req.ticks = 0;
        self.ipcp_req.sent += 1;
        let opts = if self.ipcp_ask_addr {
            vec![Opt::new(IP_ADDRESS, &self.cfg.local.octets())]
        } else {
            Vec::new()
        };
        let id = self.ipcp_req.id;
        self.ipcp_req.options = emit_options(&opts);
        let data = self.ipcp_req.options.clone();
        self.send(proto::IPCP, &Packet { code: code::CONF_REQ, id, data });
    }

    pub(crate) fn on_ipcp(&mut self, payload: &[u8]) {
        let Some(p) = Packet::parse(payload) else { return };
        match p.code {
            code::CONF_REQ => {
                if self.ip_up {
                    self.ip_up = false;
                    self.send_ipcp_request(true);
                }
                let Some(opts) = parse_options(&p.data) else { return };
                let (peer, dns) = (self.cfg.peer, self.cfg.dns);
                let want = |o: &Opt, addr: Ipv4Addr| {
                    if o.value.len() != 4 {
                        Verdict::Reject
                    } else if o.value == addr.octets() {
                        Verdict::Ack
                    } else {
                        Verdict::Nak(addr.octets().to_vec())
                    }
                };
                let mut naks = self.ipcp_naks;
                let (mut reply, mut ack) =
                    answer_limited(p.id, &p.data, &opts, &mut naks, |o| match o.kind {
                        IP_ADDRESS => want(o, peer),
                        PRIMARY_DNS => want(o, dns[0]),
                        SECONDARY_DNS => want(o, dns[1]),
                        _ => Verdict::Reject,
                    });
                // A host that asks no address is told the context's by Nak (RFC 1332 3.3),
                // until Max-Failure: then it is acked as it came.
                let asks_addr = opts.iter().any(|o| o.kind == IP_ADDRESS);
                if !asks_addr && reply.code != code::CONF_REJ && naks < MAX_FAILURE {
                    if ack {
                        reply = Packet { code: code::CONF_NAK, id: p.id, data: Vec::new() };
                        ack = false;
                        naks += 1;
                    }
                    reply.data.extend_from_slice(&emit_options(&[Opt::new(IP_ADDRESS, &peer.octets())]));
                }
                self.ipcp_naks = naks;
                self.send(proto::IPCP, &reply);
                self.ipcp_peer_acked = ack;
                self.ipcp_check_open();
            }
            code::CONF_ACK if p.id == self.ipcp_req.id && p.data == self.ipcp_req.options => {
                self.ipcp_req.acked = true;
                self.ipcp_check_open();
            }
            // The host may not want this side's address: it is only informative, so on a Nak
            // or Reject this side asks for nothing.
            code::CONF_NAK | code::CONF_REJ
                if p.id == self.ipcp_req.id
                    && (p.code == code::CONF_NAK || is_subset(&p.data, &self.ipcp_req.options)) =>
            {
                // In Opened this is This-Layer-Down too (RFC 1661 section 4.1).
                self.ip_up = false;
                self.ipcp_ask_addr = false;
                self.send_ipcp_request(true);
            }
            code::TERM_REQ => {
                self.ip_up = false;
                self.ipcp_peer_acked = false;
                self.send(proto::IPCP, &Packet { code: code::TERM_ACK, id: p.id, data: Vec::new() });
            }
            code::CONF_ACK | code::CONF_NAK | code::CONF_REJ | code::TERM_ACK | code::CODE_REJ => {}
            _ => {
                // The packet up to its Length, truncated to the host's MRU (section 5.6).
                let id = self.take_id();
                let mut data = p.to_bytes();
                data.truncate(self.mru - 4);
                self.send(proto::IPCP, &Packet { code: code::CODE_REJ, id, data });
            }
        }
    }

    fn ipcp_check_open(&mut self) {
        if self.ipcp_req.acked && self.ipcp_peer_acked && !self.ip_up {
            self.ip_up = true;
            self.emit(Event::Up { peer: self.cfg.peer });
        }
    }
}
