//! The `ppp` fuzz harness, shared by `fuzz_targets/ppp.rs` and the stable regression test in
//! `crates/qsslsim-ppp/tests/fuzz_regressions.rs`: the PPP server fed hostile bytes.
//!
//! Ops, each a tag byte whose low 2 bits pick the op: 0 INPUT (`len`, `len` bytes from the
//! host), 1 FRAME (`proto_idx`, `len`, `len` bytes: a well-formed frame of LCP, PAP, CHAP,
//! IPCP, IPv4 or an unknown protocol), 2 TICK (the restart timer fires), 3 IP (`len` bytes
//! sent down as an IPv4 packet; with the tag's bit 2, `close`).
//!
//! Asserted besides "no panic": every transmitted frame decodes cleanly with a fresh decoder,
//! and the session stays bounded (its queues are drained each op).

use std::net::Ipv4Addr;

use qsslsim_ppp::hdlc::{self, Decoder, TxOptions};
use qsslsim_ppp::packet::proto;
use qsslsim_ppp::{Auth, Config, Server};

const PROTOS: &[u16] = &[proto::LCP, proto::PAP, proto::CHAP, proto::IPCP, proto::IPV4, 0x8057, 0x0057];

pub fn run(data: &[u8]) {
    let mut s = Server::new(Config {
        local: Ipv4Addr::new(10, 0, 0, 1),
        peer: Ipv4Addr::new(10, 0, 0, 2),
        dns: [Ipv4Addr::new(10, 0, 0, 3), Ipv4Addr::new(10, 0, 0, 4)],
        magic: 0x1234_5678,
        auth: if data.first().is_some_and(|b| b & 1 == 1) { Auth::Pap } else { Auth::ChapMd5 },
        chap_name: "UMTS_CHAP_SRVR".into(),
    });
    let mut at = 0;
    let mut take = |n: usize| {
        let start = at.min(data.len());
        at = (at + n).min(data.len());
        &data[start..at]
    };
    while let Some(&tag) = take(1).first() {
        match tag & 3 {
            0 => {
                let len = usize::from(take(1).first().copied().unwrap_or(0));
                s.input(take(len));
            }
            1 => {
                let p = PROTOS[usize::from(take(1).first().copied().unwrap_or(0)) % PROTOS.len()];
                let len = usize::from(take(1).first().copied().unwrap_or(0));
                s.input(&hdlc::encode(p, take(len), TxOptions::DEFAULT));
            }
            2 => s.tick(),
            _ if tag & 4 != 0 => s.close(),
            _ => {
                let len = usize::from(take(1).first().copied().unwrap_or(0));
                let _ = s.send_ip(take(len));
            }
        }
        while let Some(frame) = s.poll_transmit() {
            let mut d = Decoder::default();
            let mut n = 0;
            d.push(&frame, |f| {
                assert!(f.is_ok(), "a malformed frame from the server: {frame:02X?}");
                n += 1;
            });
            assert_eq!(n, 1, "one transmit is one frame: {frame:02X?}");
        }
        while s.poll_ip().is_some() {}
        while s.poll_event().is_some() {}
    }
}
