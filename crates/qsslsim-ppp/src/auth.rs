//! Authentication the way the module does it: it asks (CHAP-MD5 or PAP, as LCP settled) and
//! accepts whatever credentials come (the network, not the module, would check them). CHAP
//! (RFC 1994): Challenge, then Success for any Response. PAP (RFC 1334): Authenticate-Ack
//! for any Authenticate-Request.

use crate::packet::{proto, Packet};
use crate::server::{Auth, Phase, Server};

const CHAP_CHALLENGE: u8 = 1;
const CHAP_RESPONSE: u8 = 2;
const CHAP_SUCCESS: u8 = 3;
const PAP_REQUEST: u8 = 1;
const PAP_ACK: u8 = 2;

impl Server {
    /// The challenge value: 16 bytes derived from the magic number (no randomness is needed:
    /// nothing checks the answer).
    fn challenge_value(&self) -> [u8; 16] {
        let m = self.cfg.magic.to_be_bytes();
        std::array::from_fn(|i| m[i % 4] ^ (i as u8).wrapping_mul(0x3B))
    }

    pub(crate) fn send_chap_challenge(&mut self, fresh: bool) {
        if fresh {
            self.auth_pending.id = self.take_id();
            self.auth_pending.sent = 0;
        }
        self.auth_pending.ticks = 0;
        self.auth_pending.sent += 1;
        let mut data = vec![16];
        data.extend_from_slice(&self.challenge_value());
        data.extend_from_slice(self.cfg.chap_name.as_bytes());
        let id = self.auth_pending.id;
        self.send(proto::CHAP, &Packet { code: CHAP_CHALLENGE, id, data });
    }

    pub(crate) fn on_auth(&mut self, protocol: u16, payload: &[u8]) {
        let Some(p) = Packet::parse(payload) else { return };
        match (protocol, p.code) {
            (proto::CHAP, CHAP_RESPONSE) if self.auth == Auth::ChapMd5 && p.id == self.auth_pending.id => {
                // A repeated Response after Success gets Success again (RFC 1994 4.1).
                self.send(proto::CHAP, &Packet { code: CHAP_SUCCESS, id: p.id, data: Vec::new() });
                if self.phase == Phase::Authenticate {
                    self.network_phase();
                }
            }
            (proto::PAP, PAP_REQUEST) if self.auth == Auth::Pap => {
                // Ack with an empty message.
                self.send(proto::PAP, &Packet { code: PAP_ACK, id: p.id, data: vec![0] });
                if self.phase == Phase::Authenticate {
                    self.network_phase();
                }
            }
            _ => {}
        }
    }
}
