//! LCP (RFC 1661): this side's Configure-Request (ACCM 0, the authentication protocol, the
//! magic number, PFC, ACFC) and how the host's Nak/Reject change it; judging the host's
//! Configure-Request (MRU, ACCM, magic, PFC, ACFC accepted; an MRU below [`MIN_MRU`] and a
//! magic number of zero or equal to ours Nak'd; a request that this side authenticate itself
//! rejected); Echo, Discard, Terminate and Code-Reject; a Nak or Reject while opened restarts.

use crate::negotiate::{answer_limited, is_subset, Verdict};
use crate::packet::{code, emit_options, parse_options, proto, Opt, Packet};
use crate::server::{Auth, End, Phase, Server, DEFAULT_MRU};

pub const MRU: u8 = 1;
pub const ACCM: u8 = 2;
pub const AUTH: u8 = 3;
pub const MAGIC: u8 = 5;
pub const PFC: u8 = 7;
pub const ACFC: u8 = 8;

/// The smallest MRU acked; a smaller one is Nak'd with this (pppd's minimum too).
pub const MIN_MRU: u16 = 128;

/// The CHAP algorithm number of MD5 (RFC 1994).
const CHAP_MD5: u8 = 5;

impl Server {
    fn lcp_options(&self) -> Vec<Opt> {
        let mut opts = Vec::new();
        if self.ask_accm {
            opts.push(Opt::new(ACCM, &[0, 0, 0, 0]));
        }
        match self.auth {
            Auth::None => {}
            Auth::Pap => opts.push(Opt::new(AUTH, &proto::PAP.to_be_bytes())),
            Auth::ChapMd5 => {
                let [hi, lo] = proto::CHAP.to_be_bytes();
                opts.push(Opt::new(AUTH, &[hi, lo, CHAP_MD5]));
            }
        }
        if self.ask_magic {
            opts.push(Opt::new(MAGIC, &self.cfg.magic.to_be_bytes()));
        }
        if self.ask_pfc {
            opts.push(Opt::new(PFC, &[]));
        }
        if self.ask_acfc {
            opts.push(Opt::new(ACFC, &[]));
        }
        opts
    }

    /// Send this side's Configure-Request; `fresh` gives it a new identifier (its options
    /// changed), otherwise it is a retransmission.
    pub(crate) fn send_lcp_request(&mut self, fresh: bool) {
        if fresh {
            self.lcp_req.id = self.take_id();
            self.lcp_req.acked = false;
            self.lcp_req.sent = 0;
        }
        self.lcp_req.ticks = 0;
        self.lcp_req.sent += 1;
        let data = emit_options(&self.lcp_options());
        self.lcp_req.options = data.clone();
        let id = self.lcp_req.id;
        self.send_lcp(&Packet { code: code::CONF_REQ, id, data });
    }

    pub(crate) fn on_lcp(&mut self, payload: &[u8]) {
        let Some(p) = Packet::parse(payload) else { return };
        if self.phase == Phase::Terminating {
            match p.code {
                code::TERM_ACK => self.end(End::Closed),
                code::TERM_REQ => {
                    self.send_lcp(&Packet { code: code::TERM_ACK, id: p.id, data: Vec::new() });
                    self.end(End::HostTerminated);
                }
                _ => {}
            }
            return;
        }
        match p.code {
            code::CONF_REQ => self.on_lcp_request(&p),
            code::CONF_ACK if p.id == self.lcp_req.id && p.data == self.lcp_req.options => {
                if self.lcp_open {
                    // RCA in Opened: This-Layer-Down and a new request (RFC 1661 4.1).
                    self.lcp_restart();
                } else if self.lcp_req.acked {
                    // RCA in Ack-Rcvd: a crossed connection; ask again.
                    self.send_lcp_request(true);
                } else {
                    self.lcp_req.acked = true;
                    if self.lcp_peer_acked {
                        self.lcp_opened();
                    }
                }
            }
            code::CONF_NAK if p.id == self.lcp_req.id => self.on_lcp_nak(&p, false),
            code::CONF_REJ if p.id == self.lcp_req.id && is_subset(&p.data, &self.lcp_req.options) => {
                self.on_lcp_nak(&p, true)
            }
            // A rejected Configure-Request, -Ack, -Nak, -Reject, Terminate or Code-Reject is
            // catastrophic (RXJ-, RFC 1661 5.6): close an opened link, else stop.
            code::CODE_REJ if matches!(p.data.first(), Some(1..=7)) => {
                if self.lcp_open {
                    self.close();
                } else {
                    self.end(End::Closed);
                }
            }
            // The host does not speak IPCP, or the authentication it agreed to: nothing can
            // run on the link, so it is closed (RFC 1661 5.7).
            code::PROT_REJ if self.lcp_open => {
                let rejected = p.data.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
                let auth =
                    self.phase == Phase::Authenticate && matches!(rejected, Some(proto::PAP | proto::CHAP));
                if rejected == Some(proto::IPCP) || auth {
                    self.close();
                }
            }
            code::TERM_REQ => {
                self.send_lcp(&Packet { code: code::TERM_ACK, id: p.id, data: Vec::new() });
                self.end(End::HostTerminated);
            }
            // RTA in Opened: the host thinks the link went down; tld, scr (RFC 1661 4.1).
            code::TERM_ACK if self.lcp_open => self.lcp_restart(),
            code::ECHO_REQ if self.lcp_open => {
                // Zero when the magic number was not negotiated (RFC 1661 section 5.8).
                let magic = if self.ask_magic { self.cfg.magic } else { 0 };
                let mut data = magic.to_be_bytes().to_vec();
                data.extend_from_slice(p.data.get(4..).unwrap_or_default());
                self.send_lcp(&Packet { code: code::ECHO_REP, id: p.id, data });
            }
            code::CONF_ACK
            | code::CONF_NAK
            | code::CONF_REJ
            | code::TERM_ACK
            | code::CODE_REJ
            | code::PROT_REJ
            | code::ECHO_REQ
            | code::ECHO_REP
            | code::DISCARD_REQ => {}
            _ => {
                // The packet up to its Length (padding is not part of it), truncated to fit
                // the host's MRU with the header (RFC 1661 section 5.6).
                let id = self.take_id();
                let mut data = p.to_bytes();
                data.truncate(self.mru - 4);
                self.send_lcp(&Packet { code: code::CODE_REJ, id, data });
            }
        }
    }

    fn on_lcp_request(&mut self, p: &Packet) {
        if self.lcp_open {
            // Renegotiation: everything above LCP goes down and starts again.
            self.lcp_restart();
        }
        let Some(opts) = parse_options(&p.data) else { return };
        let mut wanted = crate::hdlc::TxOptions { accm: crate::hdlc::DEFAULT_ACCM, acfc: false, pfc: false };
        let magic = self.cfg.magic;
        let mut mru = DEFAULT_MRU;
        let mut naks = self.lcp_naks;
        let (reply, ack) = answer_limited(p.id, &p.data, &opts, &mut naks, |o| match o.kind {
            MRU if o.value.len() == 2 => match o.u16().expect("2 bytes") {
                // Too small to carry an LCP reject or a useful IP packet: policy ppp-lcp.
                m if m < MIN_MRU => Verdict::Nak(MIN_MRU.to_be_bytes().to_vec()),
                m => {
                    mru = usize::from(m).min(DEFAULT_MRU);
                    Verdict::Ack
                }
            },
            ACCM if o.value.len() == 4 => {
                wanted.accm = o.u32().expect("4 bytes");
                Verdict::Ack
            }
            // The module does not authenticate itself to the host.
            AUTH => Verdict::Reject,
            MAGIC if o.value.len() == 4 => {
                // Equal to ours (a looped-back line) or zero (illegal, section 6.4).
                if o.u32() == Some(magic) || o.u32() == Some(0) {
                    Verdict::Nak((!magic).to_be_bytes().to_vec())
                } else {
                    Verdict::Ack
                }
            }
            PFC if o.value.is_empty() => {
                wanted.pfc = true;
                Verdict::Ack
            }
            ACFC if o.value.is_empty() => {
                wanted.acfc = true;
                Verdict::Ack
            }
            _ => Verdict::Reject,
        });
        self.lcp_naks = naks;
        self.send_lcp(&reply);
        if ack {
            self.peer_opts = wanted;
            self.peer_mru = mru;
            self.lcp_peer_acked = true;
            if self.lcp_req.acked {
                self.lcp_opened();
            }
        } else {
            self.lcp_peer_acked = false;
        }
    }

    /// The host Nak'd (`reject` false) or Rejected options of this side's request.
    fn on_lcp_nak(&mut self, p: &Packet, reject: bool) {
        let Some(opts) = parse_options(&p.data) else { return };
        if self.lcp_open {
            // RCN/RCJ in Opened: This-Layer-Down, then a new request (RFC 1661 section 4.1).
            self.lcp_down();
        }
        for o in opts {
            match (o.kind, reject) {
                (ACCM, true) => self.ask_accm = false,
                (PFC, true) => self.ask_pfc = false,
                (ACFC, true) => self.ask_acfc = false,
                (MAGIC, true) => self.ask_magic = false,
                (AUTH, true) => self.auth = Auth::None,
                (MAGIC, false) => {
                    if let Some(m) = o.u32() {
                        self.cfg.magic = m;
                    }
                }
                // The host proposes another protocol: PAP or CHAP-MD5 are taken, anything else
                // (MS-CHAP, EAP) means no authentication.
                (AUTH, false) => {
                    self.auth = match (o.u16(), o.value.get(2)) {
                        (Some(proto::PAP), _) => Auth::Pap,
                        (Some(proto::CHAP), Some(&CHAP_MD5)) => Auth::ChapMd5,
                        _ => Auth::None,
                    }
                }
                _ => {}
            }
        }
        self.send_lcp_request(true);
    }
}
