//! The session: phases (establish, authenticate, network), the queues of what goes out, the
//! restart timer, and the routing of each received frame to LCP, authentication, IPCP or IP.

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use crate::hdlc::{self, Decoder, Dropped, TxOptions};
use crate::packet::{code, proto, Packet};

/// How the module asks the host to authenticate (it accepts any credentials).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    Pap,
    ChapMd5,
}

/// What one session hands out.
#[derive(Debug, Clone)]
pub struct Config {
    /// The module's end of the link (IPCP's own address).
    pub local: Ipv4Addr,
    /// The address the host gets: the PDP context's.
    pub peer: Ipv4Addr,
    /// Primary and secondary DNS servers (RFC 1877).
    pub dns: [Ipv4Addr; 2],
    /// The LCP magic number this side starts with.
    pub magic: u32,
    /// The authentication asked for first (the host may Nak it for another or Reject it).
    pub auth: Auth,
    /// The name in a CHAP Challenge.
    pub chap_name: String,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The host sent an LCP Terminate-Request.
    HostTerminated,
    /// This side's Terminate-Request was acked (or not answered).
    Closed,
    /// The host never finished negotiating.
    NoResponse(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// IPCP opened: IPv4 flows. Carries the host's address.
    Up { peer: Ipv4Addr },
    /// The link is over; nothing more comes out but queued bytes.
    Ended(End),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Establish,
    Authenticate,
    Network,
    Terminating,
    Dead,
}

/// A Configure-Request of ours waiting for its Ack.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    pub id: u8,
    pub acked: bool,
    /// Ticks since it was last sent.
    pub ticks: u32,
    pub sent: u32,
    /// The options it carried: an Ack must repeat them exactly (RFC 1661 section 5.2).
    pub options: Vec<u8>,
}

/// Seconds between retransmissions (RFC 1661's Restart timer default).
pub const RESTART_TICKS: u32 = 3;
/// Configure-Requests sent before giving up (RFC 1661's Max-Configure).
pub const MAX_CONFIGURE: u32 = 10;
/// Terminate-Requests sent before giving up (RFC 1661's Max-Terminate).
pub const MAX_TERMINATE: u32 = 2;
/// The MRU every link starts with (RFC 1661 section 6.1).
pub const DEFAULT_MRU: usize = 1500;

pub struct Server {
    pub(crate) cfg: Config,
    decoder: Decoder,
    tx: VecDeque<Vec<u8>>,
    up: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
    pub(crate) phase: Phase,
    /// How frames to the host are written once LCP is open.
    pub(crate) tx_opts: TxOptions,
    /// What the host asked for, applied when LCP opens.
    pub(crate) peer_opts: TxOptions,
    /// The longest information field the host takes (its MRU once LCP is open).
    pub(crate) mru: usize,
    /// The MRU in the host's acked request, applied when LCP opens.
    pub(crate) peer_mru: usize,
    pub(crate) lcp_open: bool,
    pub(crate) lcp_req: Pending,
    pub(crate) lcp_peer_acked: bool,
    /// The options this side still asks for (those the host rejected are dropped).
    pub(crate) ask_accm: bool,
    pub(crate) ask_pfc: bool,
    pub(crate) ask_acfc: bool,
    pub(crate) ask_magic: bool,
    pub(crate) auth: Auth,
    pub(crate) auth_pending: Pending,
    pub(crate) ipcp_req: Pending,
    pub(crate) ipcp_peer_acked: bool,
    pub(crate) ipcp_ask_addr: bool,
    /// Configure-Naks sent in a row (RFC 1661's Max-Failure), LCP and IPCP.
    pub(crate) lcp_naks: u32,
    pub(crate) ipcp_naks: u32,
    pub(crate) ip_up: bool,
    pub(crate) next_id: u8,
    pub(crate) term_sent: u32,
    /// Frames dropped by the decoder (bad FCS, too long, malformed).
    pub dropped: u64,
    /// IPv4 packets dropped: from the host before IPCP opened, or for the host while IPCP is
    /// not open or longer than the host's MRU.
    pub ip_dropped: u64,
}

impl Server {
    /// A new session; its first LCP Configure-Request is queued at once.
    pub fn new(cfg: Config) -> Server {
        let auth = cfg.auth;
        let mut s = Server {
            cfg,
            decoder: Decoder::default(),
            tx: VecDeque::new(),
            up: VecDeque::new(),
            events: VecDeque::new(),
            phase: Phase::Establish,
            tx_opts: TxOptions::DEFAULT,
            peer_opts: TxOptions::DEFAULT,
            mru: DEFAULT_MRU,
            peer_mru: DEFAULT_MRU,
            lcp_open: false,
            lcp_req: Pending::default(),
            lcp_peer_acked: false,
            ask_accm: true,
            ask_pfc: true,
            ask_acfc: true,
            ask_magic: true,
            auth,
            auth_pending: Pending::default(),
            ipcp_req: Pending::default(),
            ipcp_peer_acked: false,
            ipcp_ask_addr: true,
            lcp_naks: 0,
            ipcp_naks: 0,
            ip_up: false,
            next_id: 0,
            term_sent: 0,
            dropped: 0,
            ip_dropped: 0,
        };
        // Until LCP opens with this side's ACCM 0, flagged control characters that arrive
        // unescaped were inserted by the line (RFC 1662 section 7.1).
        s.decoder.set_rx_accm(hdlc::DEFAULT_ACCM);
        s.send_lcp_request(true);
        s
    }

    /// Bytes from the host.
    pub fn input(&mut self, bytes: &[u8]) {
        let mut frames = Vec::new();
        self.decoder.push(bytes, |f| frames.push(f));
        for f in frames {
            match f {
                Ok(frame) => self.on_frame(frame.protocol, &frame.payload),
                Err(Dropped::BadFcs | Dropped::TooLong | Dropped::Malformed) => self.dropped += 1,
            }
        }
    }

    /// The next bytes for the host.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.tx.pop_front()
    }

    /// The next IPv4 packet the host sent.
    pub fn poll_ip(&mut self) -> Option<Vec<u8>> {
        self.up.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether IPv4 flows (IPCP is open).
    pub fn is_up(&self) -> bool {
        self.ip_up
    }

    pub fn is_dead(&self) -> bool {
        self.phase == Phase::Dead
    }

    /// An IPv4 packet for the host; dropped (and counted) unless IPCP is open and the packet
    /// fits the host's MRU.
    pub fn send_ip(&mut self, packet: &[u8]) -> bool {
        if !self.ip_up || packet.len() > self.mru {
            self.ip_dropped += 1;
            return false;
        }
        self.tx.push_back(hdlc::encode(proto::IPV4, packet, self.tx_opts));
        true
    }

    /// End the link from this side: LCP Terminate-Request.
    pub fn close(&mut self) {
        if matches!(self.phase, Phase::Terminating | Phase::Dead) {
            return;
        }
        self.ip_up = false;
        self.phase = Phase::Terminating;
        self.term_sent = 0;
        self.send_term_request();
    }

    /// One second passed: retransmit what waits for an answer, give up after the maximum.
    pub fn tick(&mut self) {
        match self.phase {
            Phase::Dead => {}
            Phase::Terminating => {
                self.lcp_req.ticks += 1;
                if self.lcp_req.ticks >= RESTART_TICKS {
                    if self.term_sent >= MAX_TERMINATE {
                        self.end(End::Closed);
                    } else {
                        self.send_term_request();
                    }
                }
            }
            _ => {
                if !self.lcp_req.acked && Self::due(&mut self.lcp_req) {
                    if self.lcp_req.sent >= MAX_CONFIGURE {
                        return self.end(End::NoResponse("LCP"));
                    }
                    self.send_lcp_request(false);
                }
                // PAP waits for the host: as long as a Configure-Request would be retried.
                if self.phase == Phase::Authenticate && self.auth == Auth::Pap {
                    self.auth_pending.ticks += 1;
                    if self.auth_pending.ticks >= RESTART_TICKS * MAX_CONFIGURE {
                        return self.end(End::NoResponse("PAP"));
                    }
                }
                if self.phase == Phase::Authenticate
                    && self.auth == Auth::ChapMd5
                    && Self::due(&mut self.auth_pending)
                {
                    if self.auth_pending.sent >= MAX_CONFIGURE {
                        return self.end(End::NoResponse("CHAP"));
                    }
                    self.send_chap_challenge(false);
                }
                if self.phase == Phase::Network && !self.ipcp_req.acked && Self::due(&mut self.ipcp_req) {
                    if self.ipcp_req.sent >= MAX_CONFIGURE {
                        return self.end(End::NoResponse("IPCP"));
                    }
                    self.send_ipcp_request(false);
                }
            }
        }
    }

    fn due(p: &mut Pending) -> bool {
        p.ticks += 1;
        p.ticks >= RESTART_TICKS
    }

    fn on_frame(&mut self, protocol: u16, payload: &[u8]) {
        if self.phase == Phase::Dead {
            return;
        }
        match protocol {
            proto::LCP => self.on_lcp(payload),
            proto::IPV4 if self.ip_up => self.up.push_back(payload.to_vec()),
            proto::IPV4 => self.ip_dropped += 1,
            // Before LCP is open, and while it closes, only LCP counts (RFC 1661 3.4, 3.7).
            _ if !self.lcp_open || self.phase == Phase::Terminating => {}
            proto::PAP | proto::CHAP => self.on_auth(protocol, payload),
            proto::IPCP if self.phase == Phase::Network => self.on_ipcp(payload),
            proto::IPCP => {}
            // While authenticating everything else is discarded silently (section 3.5).
            _ if self.phase != Phase::Network => {}
            _ => self.protocol_reject(protocol, payload),
        }
    }

    /// LCP Protocol-Reject: this side does not speak `protocol` (IPV6CP, CCP, ...).
    fn protocol_reject(&mut self, protocol: u16, payload: &[u8]) {
        // Truncated to fit the host's MRU with the LCP header and the protocol (section 5.7).
        let mut data = protocol.to_be_bytes().to_vec();
        data.extend_from_slice(&payload[..payload.len().min(self.mru - 6)]);
        let id = self.take_id();
        self.send_lcp(&Packet { code: code::PROT_REJ, id, data });
    }

    pub(crate) fn take_id(&mut self) -> u8 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    /// LCP frames always go with the default ACCM and no compression.
    pub(crate) fn send_lcp(&mut self, p: &Packet) {
        self.tx.push_back(hdlc::encode(proto::LCP, &p.to_bytes(), TxOptions::DEFAULT));
    }

    pub(crate) fn send(&mut self, protocol: u16, p: &Packet) {
        self.tx.push_back(hdlc::encode(protocol, &p.to_bytes(), self.tx_opts));
    }

    pub(crate) fn send_term_request(&mut self) {
        self.term_sent += 1;
        self.lcp_req.ticks = 0;
        let id = self.take_id();
        self.send_lcp(&Packet { code: code::TERM_REQ, id, data: Vec::new() });
    }

    pub(crate) fn end(&mut self, why: End) {
        if self.phase == Phase::Dead {
            return;
        }
        self.phase = Phase::Dead;
        self.ip_up = false;
        self.events.push_back(Event::Ended(why));
    }

    pub(crate) fn emit(&mut self, ev: Event) {
        self.events.push_back(ev);
    }

    /// LCP opened both ways: authenticate, or go straight to the network phase.
    pub(crate) fn lcp_opened(&mut self) {
        self.lcp_open = true;
        self.tx_opts = self.peer_opts;
        self.mru = self.peer_mru;
        if self.ask_accm {
            self.decoder.set_rx_accm(0);
        }
        match self.auth {
            Auth::None => self.network_phase(),
            Auth::Pap => {
                self.phase = Phase::Authenticate;
                self.auth_pending = Pending::default();
            }
            Auth::ChapMd5 => {
                self.phase = Phase::Authenticate;
                self.send_chap_challenge(true);
            }
        }
    }

    pub(crate) fn network_phase(&mut self) {
        if self.phase == Phase::Network {
            return;
        }
        self.phase = Phase::Network;
        self.send_ipcp_request(true);
    }

    /// LCP is renegotiated (a Configure-Request after it opened): everything above it is down.
    pub(crate) fn lcp_restart(&mut self) {
        self.lcp_down();
        self.send_lcp_request(true);
    }

    /// This-Layer-Down of an opened LCP (RFC 1661 section 4.4): back to link establishment
    /// with default framing; the caller sends the new Configure-Request.
    pub(crate) fn lcp_down(&mut self) {
        self.lcp_open = false;
        self.ip_up = false;
        self.phase = Phase::Establish;
        self.tx_opts = TxOptions::DEFAULT;
        self.mru = DEFAULT_MRU;
        self.decoder.set_rx_accm(hdlc::DEFAULT_ACCM);
        self.lcp_peer_acked = false;
        self.ipcp_peer_acked = false;
        self.ipcp_req = Pending::default();
        self.auth = self.cfg.auth;
    }
}
