//! A second reading of the PPP server from the RFCs alone (RFC 1661 LCP, RFC 1662 framing,
//! RFC 1332 IPCP, RFC 1877 DNS, RFC 1334 PAP, RFC 1994 CHAP). Frames are built here with this
//! file's own FCS-16 and escaping (not the crate's `hdlc::encode`), and what the server sends
//! is compared byte for byte with frames built the same way. The requests are those real
//! peers send: pppd's defaults, Windows' dial-up client, lwIP.

use std::net::Ipv4Addr;

use qsslsim_ppp::{Auth, Config, End, Event, Server};

const LCP: u16 = 0xC021;
const PAP: u16 = 0xC023;
const CHAP: u16 = 0xC223;
const IPCP: u16 = 0x8021;
const IPV4: u16 = 0x0021;
const ALL: u32 = 0xFFFF_FFFF;

/// RFC 1662 appendix C.2's FCS-16, bit by bit (polynomial 0x8408 reflected).
fn fcs16(data: &[u8]) -> u16 {
    let mut fcs: u16 = 0xFFFF;
    for &b in data {
        fcs ^= u16::from(b);
        for _ in 0..8 {
            fcs = if fcs & 1 != 0 { (fcs >> 1) ^ 0x8408 } else { fcs >> 1 };
        }
    }
    !fcs
}

/// Framing as a peer that asked for `accm`, ACFC and PFC writes it (RFC 1662 sections 3-4,
/// 7.1; RFC 1661 sections 6.5-6.6).
#[derive(Clone, Copy)]
struct Tx {
    accm: u32,
    acfc: bool,
    pfc: bool,
}

/// LCP's framing: every control character escaped, no compression (RFC 1661 6.5, 6.6).
const DEFAULT: Tx = Tx { accm: ALL, acfc: false, pfc: false };
/// What the server negotiated for its own receive side (ACCM 0, PFC, ACFC).
const COMPRESSED: Tx = Tx { accm: 0, acfc: true, pfc: true };

fn frame(tx: Tx, protocol: u16, info: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    if !tx.acfc {
        body.extend_from_slice(&[0xFF, 0x03]);
    }
    if tx.pfc && protocol & 0xFF00 == 0 {
        body.push(protocol as u8);
    } else {
        body.extend_from_slice(&protocol.to_be_bytes());
    }
    body.extend_from_slice(info);
    let fcs = fcs16(&body);
    body.push(fcs as u8);
    body.push((fcs >> 8) as u8);
    let mut out = vec![0x7E];
    for b in body {
        if b == 0x7E || b == 0x7D || (b < 0x20 && tx.accm & (1 << b) != 0) {
            out.push(0x7D);
            out.push(b ^ 0x20);
        } else {
            out.push(b);
        }
    }
    out.push(0x7E);
    out
}

fn lcp(info: &[u8]) -> Vec<u8> {
    frame(DEFAULT, LCP, info)
}

/// A control packet: code, identifier, length, data (RFC 1661 5).
fn packet(code: u8, id: u8, data: &[u8]) -> Vec<u8> {
    let mut p = vec![code, id];
    p.extend_from_slice(&((data.len() + 4) as u16).to_be_bytes());
    p.extend_from_slice(data);
    p
}

fn config(auth: Auth) -> Config {
    Config {
        local: Ipv4Addr::new(10, 7, 157, 100),
        peer: Ipv4Addr::new(10, 7, 157, 1),
        dns: [Ipv4Addr::new(10, 7, 157, 254), Ipv4Addr::new(10, 7, 157, 253)],
        magic: 0x1234_5678,
        auth,
        chap_name: "UMTS_CHAP_SRVR".into(),
    }
}

/// Everything queued for the host, one frame per element.
fn sent(s: &mut Server) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| s.poll_transmit()).collect()
}

fn events(s: &mut Server) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// The server's first request without authentication: ACCM 0, magic, PFC, ACFC.
const OWN_LCP_OPTS: [u8; 16] = [2, 6, 0, 0, 0, 0, 5, 6, 0x12, 0x34, 0x56, 0x78, 7, 2, 8, 2];
/// pppd's default LCP request: MRU 1500, ACCM 0, magic, PFC, ACFC.
const PPPD_LCP_OPTS: [u8; 20] = [1, 4, 5, 0xDC, 2, 6, 0, 0, 0, 0, 5, 6, 0xCA, 0xFE, 0xBA, 0xBE, 7, 2, 8, 2];
/// The server's IPCP request: its own address.
const OWN_IPCP_OPTS: [u8; 6] = [3, 6, 10, 7, 157, 100];

/// Server without authentication; its first LCP request (id 1) checked and taken.
fn fresh() -> Server {
    let mut s = Server::new(config(Auth::None));
    assert_eq!(sent(&mut s), [lcp(&packet(1, 1, &OWN_LCP_OPTS))]);
    s
}

/// LCP opened with pppd's request; the server's IPCP request (id 2) checked and taken.
fn lcp_open(s: &mut Server) {
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    assert_eq!(sent(s), [lcp(&packet(2, 0x11, &PPPD_LCP_OPTS))]);
    s.input(&lcp(&packet(2, 1, &OWN_LCP_OPTS)));
    assert_eq!(sent(s), [frame(COMPRESSED, IPCP, &packet(1, 2, &OWN_IPCP_OPTS))]);
}

const HOST_IPCP_OPTS: [u8; 18] = [3, 6, 10, 7, 157, 1, 129, 6, 10, 7, 157, 254, 131, 6, 10, 7, 157, 253];

/// IPCP opened by a host that already knows its addresses.
fn ip_up(s: &mut Server) {
    lcp_open(s);
    s.input(&frame(COMPRESSED, IPCP, &packet(1, 0x21, &HOST_IPCP_OPTS)));
    assert_eq!(sent(s), [frame(COMPRESSED, IPCP, &packet(2, 0x21, &HOST_IPCP_OPTS))]);
    s.input(&frame(COMPRESSED, IPCP, &packet(2, 2, &OWN_IPCP_OPTS)));
    assert!(s.is_up());
    assert_eq!(events(s), [Event::Up { peer: Ipv4Addr::new(10, 7, 157, 1) }]);
}

#[test]
fn pppd_default_lcp_request_is_acked_and_compression_applies_after() {
    let mut s = fresh();
    lcp_open(&mut s);
    assert!(!s.is_up());
}

#[test]
fn lwip_lcp_request_without_mru_is_acked() {
    let mut s = fresh();
    let opts = [2, 6, 0, 0, 0, 0, 5, 6, 0x0B, 0xAD, 0xF0, 0x0D, 7, 2, 8, 2];
    s.input(&lcp(&packet(1, 1, &opts)));
    assert_eq!(sent(&mut s), [lcp(&packet(2, 1, &opts))]);
}

#[test]
fn pppd_ipcp_with_vj_and_usepeerdns_gets_reject_then_nak_then_ack() {
    let mut s = fresh();
    lcp_open(&mut s);
    let vj = [2, 6, 0, 0x2D, 0x0F, 1];
    let zeros = [3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0];
    s.input(&frame(COMPRESSED, IPCP, &packet(1, 1, &[&vj[..], &zeros].concat())));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, IPCP, &packet(4, 1, &vj))]);
    s.input(&frame(COMPRESSED, IPCP, &packet(1, 2, &zeros)));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, IPCP, &packet(3, 2, &HOST_IPCP_OPTS))]);
    s.input(&frame(COMPRESSED, IPCP, &packet(1, 3, &HOST_IPCP_OPTS)));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, IPCP, &packet(2, 3, &HOST_IPCP_OPTS))]);
    assert!(!s.is_up(), "the server's own request is not acked yet");
    s.input(&frame(COMPRESSED, IPCP, &packet(2, 2, &OWN_IPCP_OPTS)));
    assert_eq!(events(&mut s), [Event::Up { peer: Ipv4Addr::new(10, 7, 157, 1) }]);
    // IPv4 both ways, one-byte protocol field (PFC) and no address/control (ACFC).
    let ip = [0x45, 0, 0, 20, 0x7E, 0x7D, 0x11];
    s.input(&frame(COMPRESSED, IPV4, &ip));
    assert_eq!(s.poll_ip(), Some(ip.to_vec()));
    assert!(s.send_ip(&ip));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, IPV4, &ip)]);
}

#[test]
fn windows_requests_callback_and_nbns_are_rejected() {
    let mut s = fresh();
    // Windows' dial-up LCP request: magic, PFC, ACFC and Callback (13, operation 6).
    let opts = [5, 6, 0x3C, 0x1D, 0x4E, 0x5F, 7, 2, 8, 2, 13, 3, 6];
    s.input(&lcp(&packet(1, 0, &opts)));
    assert_eq!(sent(&mut s), [lcp(&packet(4, 0, &[13, 3, 6]))]);
    s.input(&lcp(&packet(1, 1, &opts[..10])));
    assert_eq!(sent(&mut s), [lcp(&packet(2, 1, &opts[..10]))]);
    s.input(&lcp(&packet(2, 1, &OWN_LCP_OPTS)));
    // No ACCM asked: every control character stays escaped; PFC and ACFC apply.
    let windows = Tx { accm: ALL, acfc: true, pfc: true };
    assert_eq!(sent(&mut s), [frame(windows, IPCP, &packet(1, 2, &OWN_IPCP_OPTS))]);
    // Its IPCP request: VJ, address, DNS and NBNS (130, 132); VJ and NBNS rejected together.
    let ipcp = [
        2, 6, 0, 0x2D, 0x0F, 1, 3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 130, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0,
        132, 6, 0, 0, 0, 0,
    ];
    s.input(&frame(windows, IPCP, &packet(1, 5, &ipcp)));
    let rejected = [2, 6, 0, 0x2D, 0x0F, 1, 130, 6, 0, 0, 0, 0, 132, 6, 0, 0, 0, 0];
    assert_eq!(sent(&mut s), [frame(windows, IPCP, &packet(4, 5, &rejected))]);
}

#[test]
fn unknown_and_malformed_lcp_options_are_rejected_not_naked() {
    let mut s = fresh();
    // MRRU (17) and Endpoint Discriminator (19) of multilink, an MRU of the wrong length,
    // and a Nak-able option (magic equal to ours): Reject wins and lists only the rejected.
    let opts = [5, 6, 0x12, 0x34, 0x56, 0x78, 17, 4, 5, 0xDC, 1, 3, 5, 19, 3, 0];
    s.input(&lcp(&packet(1, 9, &opts)));
    assert_eq!(sent(&mut s), [lcp(&packet(4, 9, &[17, 4, 5, 0xDC, 1, 3, 5, 19, 3, 0]))]);
}

#[test]
fn magic_number_zero_is_naked() {
    let mut s = fresh();
    // RFC 1661 6.4: a Magic-Number of zero is illegal and MUST always be Nak'd.
    s.input(&lcp(&packet(1, 3, &[5, 6, 0, 0, 0, 0])));
    let got = sent(&mut s);
    assert_eq!(got.len(), 1);
    assert_ne!(got[0], lcp(&packet(2, 3, &[5, 6, 0, 0, 0, 0])), "zero magic acked");
    assert_eq!(got[0], lcp(&packet(3, 3, &[5, 6, 0xED, 0xCB, 0xA9, 0x87])));
}

#[test]
fn mru_below_1500_is_acked_and_honoured() {
    let mut s = fresh();
    let opts = [1, 4, 0x02, 0x40, 5, 6, 1, 2, 3, 4]; // MRU 576
    s.input(&lcp(&packet(1, 1, &opts)));
    assert_eq!(sent(&mut s), [lcp(&packet(2, 1, &opts))]);
    s.input(&lcp(&packet(2, 1, &OWN_LCP_OPTS)));
    let ipcp = frame(DEFAULT, IPCP, &packet(1, 2, &OWN_IPCP_OPTS));
    assert_eq!(sent(&mut s), [ipcp]);
    s.input(&frame(DEFAULT, IPCP, &packet(1, 1, &HOST_IPCP_OPTS)));
    s.input(&frame(DEFAULT, IPCP, &packet(2, 2, &OWN_IPCP_OPTS)));
    sent(&mut s);
    assert!(s.is_up());
    // RFC 1661 6.1: the host asked for packets of at most 576 octets.
    assert!(s.send_ip(&[0x45; 576]));
    assert_eq!(sent(&mut s), [frame(DEFAULT, IPV4, &[0x45; 576])]);
    assert!(!s.send_ip(&[0x45; 577]), "a packet longer than the host's MRU was sent");
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
}

#[test]
fn tiny_mru_is_naked_up_to_the_minimum() {
    let mut s = fresh();
    s.input(&lcp(&packet(1, 1, &[1, 4, 0, 20])));
    assert_eq!(sent(&mut s), [lcp(&packet(3, 1, &[1, 4, 0, 128]))]);
}

#[test]
fn configure_request_while_opened_restarts_the_link() {
    let mut s = fresh();
    ip_up(&mut s);
    // RFC 1661 state table, RCR+ in Opened: tld, scr, sca; to Ack-Sent.
    s.input(&lcp(&packet(1, 0x12, &PPPD_LCP_OPTS)));
    assert_eq!(sent(&mut s), [lcp(&packet(1, 3, &OWN_LCP_OPTS)), lcp(&packet(2, 0x12, &PPPD_LCP_OPTS))]);
    assert!(!s.is_up());
    // IPv4 is not network-phase traffic any more.
    s.input(&frame(COMPRESSED, IPV4, &[0x45, 0, 0, 20]));
    assert_eq!(s.poll_ip(), None);
    assert!(!s.send_ip(&[0x45]));
    // The Ack of the new request reopens LCP and IPCP starts again, with default framing
    // before and compressed framing after.
    s.input(&lcp(&packet(2, 3, &OWN_LCP_OPTS)));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, IPCP, &packet(1, 4, &OWN_IPCP_OPTS))]);
}

#[test]
fn configure_nak_while_opened_restarts_the_link() {
    let mut s = fresh();
    ip_up(&mut s);
    // RCN in Opened: tld, scr; to Req-Sent. The Nak names the last request's id (1).
    s.input(&lcp(&packet(3, 1, &[5, 6, 0xAA, 0xBB, 0xCC, 0xDD])));
    assert_eq!(
        sent(&mut s),
        [lcp(&packet(1, 3, &[2, 6, 0, 0, 0, 0, 5, 6, 0xAA, 0xBB, 0xCC, 0xDD, 7, 2, 8, 2]))]
    );
    assert!(!s.is_up());
    assert!(!s.send_ip(&[0x45]));
}

#[test]
fn ipcp_configure_request_while_opened_restarts_ipcp() {
    let mut s = fresh();
    ip_up(&mut s);
    s.input(&frame(COMPRESSED, IPCP, &packet(1, 0x22, &HOST_IPCP_OPTS)));
    assert_eq!(
        sent(&mut s),
        [
            frame(COMPRESSED, IPCP, &packet(1, 3, &OWN_IPCP_OPTS)),
            frame(COMPRESSED, IPCP, &packet(2, 0x22, &HOST_IPCP_OPTS))
        ]
    );
    assert!(!s.is_up());
    s.input(&frame(COMPRESSED, IPCP, &packet(2, 3, &OWN_IPCP_OPTS)));
    assert!(s.is_up());
}

#[test]
fn echo_request_is_answered_only_when_opened() {
    let mut s = fresh();
    // Req-Sent, then Ack-Sent: silently discarded.
    s.input(&lcp(&packet(9, 1, &[0, 0, 0, 0])));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    sent(&mut s);
    s.input(&lcp(&packet(9, 2, &[0xCA, 0xFE, 0xBA, 0xBE])));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    s.input(&lcp(&packet(2, 1, &OWN_LCP_OPTS)));
    sent(&mut s);
    // Opened: the reply carries the server's magic and the data back, in LCP framing.
    s.input(&frame(COMPRESSED, LCP, &packet(9, 3, &[0xCA, 0xFE, 0xBA, 0xBE, 0x00, 0x7E, 0x01])));
    assert_eq!(sent(&mut s), [lcp(&packet(10, 3, &[0x12, 0x34, 0x56, 0x78, 0x00, 0x7E, 0x01]))]);
}

#[test]
fn echo_reply_magic_is_zero_when_magic_was_not_negotiated() {
    let mut s = fresh();
    // The host rejects the magic number (RFC 1661 5.8: then it MUST be transmitted as zero).
    s.input(&lcp(&packet(4, 1, &[5, 6, 0x12, 0x34, 0x56, 0x78])));
    let own = [2, 6, 0, 0, 0, 0, 7, 2, 8, 2];
    assert_eq!(sent(&mut s), [lcp(&packet(1, 2, &own))]);
    s.input(&lcp(&packet(1, 1, &[7, 2, 8, 2])));
    s.input(&lcp(&packet(2, 2, &own)));
    sent(&mut s);
    s.input(&lcp(&packet(9, 7, &[0, 0, 0, 0])));
    assert_eq!(sent(&mut s), [lcp(&packet(10, 7, &[0, 0, 0, 0]))]);
}

#[test]
fn discard_request_is_silent_in_every_state() {
    let mut s = fresh();
    s.input(&lcp(&packet(11, 1, &[1, 2, 3, 4, 9])));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    ip_up(&mut s);
    s.input(&lcp(&packet(11, 2, &[0xCA, 0xFE, 0xBA, 0xBE])));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    assert!(s.is_up());
}

#[test]
fn unknown_code_is_code_rejected_before_and_after_opened() {
    let mut s = fresh();
    s.input(&lcp(&packet(0x20, 5, &[1, 2])));
    assert_eq!(sent(&mut s), [lcp(&packet(7, 2, &packet(0x20, 5, &[1, 2])))]);
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    s.input(&lcp(&packet(2, 1, &OWN_LCP_OPTS)));
    sent(&mut s);
    // Windows' Identification (12) is not spoken either; padding after the length is not sent back.
    let mut ident = packet(12, 6, &[0, 0, 0, 0, b'M', b'S']);
    ident.extend_from_slice(&[0, 0]);
    s.input(&lcp(&ident));
    assert_eq!(sent(&mut s), [lcp(&packet(7, 4, &packet(12, 6, &[0, 0, 0, 0, b'M', b'S'])))]);
}

#[test]
fn protocols_not_spoken_are_protocol_rejected_only_in_the_network_phase() {
    let ipv6cp = packet(1, 1, &[1, 10, 0, 0, 0, 0, 0, 0, 0, 1]);
    // Before LCP opens any non-LCP packet is silently discarded (RFC 1661 3.4).
    let mut s = fresh();
    s.input(&frame(DEFAULT, 0x8057, &ipv6cp));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    // In the authentication phase only LCP and authentication count (RFC 1661 3.5).
    let mut s = Server::new(config(Auth::Pap));
    sent(&mut s);
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    s.input(&lcp(&packet(
        2,
        1,
        &[2, 6, 0, 0, 0, 0, 3, 4, 0xC0, 0x23, 5, 6, 0x12, 0x34, 0x56, 0x78, 7, 2, 8, 2],
    )));
    sent(&mut s);
    s.input(&frame(COMPRESSED, 0x8057, &ipv6cp));
    s.input(&frame(COMPRESSED, IPCP, &packet(1, 1, &HOST_IPCP_OPTS)));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new(), "auth phase answered a network protocol");
    // In the network phase: IPv6CP, CCP and an unknown protocol get Protocol-Reject.
    let mut s = fresh();
    lcp_open(&mut s);
    s.input(&frame(COMPRESSED, 0x8057, &ipv6cp));
    let mut want = vec![0x80, 0x57];
    want.extend_from_slice(&ipv6cp);
    assert_eq!(sent(&mut s), [lcp(&packet(8, 3, &want))]);
    s.input(&frame(COMPRESSED, 0x80FD, &packet(1, 1, &[18, 6, 0, 0, 0, 1])));
    let want = [&[0x80, 0xFD][..], &packet(1, 1, &[18, 6, 0, 0, 0, 1])].concat();
    assert_eq!(sent(&mut s), [lcp(&packet(8, 4, &want))]);
    s.input(&frame(COMPRESSED, 0x4021, &[1, 2, 3]));
    assert_eq!(sent(&mut s), [lcp(&packet(8, 5, &[0x40, 0x21, 1, 2, 3]))]);
}

fn expect_host_terminated(s: &mut Server, id: u8) {
    s.input(&lcp(&packet(5, id, &[0xAB])));
    assert_eq!(sent(s), [lcp(&packet(6, id, &[]))]);
    assert_eq!(s.poll_event(), Some(Event::Ended(End::HostTerminated)));
    assert!(s.is_dead());
    s.input(&lcp(&packet(9, 1, &[0, 0, 0, 0])));
    s.input(&lcp(&packet(1, 1, &PPPD_LCP_OPTS)));
    assert_eq!(sent(s), Vec::<Vec<u8>>::new(), "a dead link answered");
}

#[test]
fn terminate_request_in_every_phase_is_acked_and_ends() {
    // Req-Sent.
    let mut s = fresh();
    expect_host_terminated(&mut s, 0x51);
    // Ack-Sent.
    let mut s = fresh();
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    sent(&mut s);
    expect_host_terminated(&mut s, 0x52);
    // Authenticate (PAP asked, not yet given).
    let mut s = Server::new(config(Auth::Pap));
    sent(&mut s);
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    s.input(&lcp(&packet(
        2,
        1,
        &[2, 6, 0, 0, 0, 0, 3, 4, 0xC0, 0x23, 5, 6, 0x12, 0x34, 0x56, 0x78, 7, 2, 8, 2],
    )));
    sent(&mut s);
    expect_host_terminated(&mut s, 0x53);
    // Network, IPCP not open.
    let mut s = fresh();
    lcp_open(&mut s);
    expect_host_terminated(&mut s, 0x54);
    // IPCP open.
    let mut s = fresh();
    ip_up(&mut s);
    expect_host_terminated(&mut s, 0x55);
    // Closing (this side sent Terminate-Request): Terminate-Ack too.
    let mut s = fresh();
    ip_up(&mut s);
    s.close();
    assert_eq!(sent(&mut s), [lcp(&packet(5, 3, &[]))]);
    expect_host_terminated(&mut s, 0x56);
}

#[test]
fn ipcp_terminate_request_takes_ip_down() {
    let mut s = fresh();
    ip_up(&mut s);
    s.input(&frame(COMPRESSED, IPCP, &packet(5, 0x31, &[])));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, IPCP, &packet(6, 0x31, &[]))]);
    assert!(!s.is_up());
    assert!(!s.send_ip(&[0x45]));
}

#[test]
fn ack_nak_reject_with_the_wrong_identifier_are_ignored() {
    let mut s = fresh();
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    sent(&mut s);
    s.input(&lcp(&packet(2, 2, &OWN_LCP_OPTS)));
    s.input(&lcp(&packet(3, 0, &[5, 6, 1, 1, 1, 1])));
    s.input(&lcp(&packet(4, 9, &[7, 2])));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    s.input(&lcp(&packet(2, 1, &OWN_LCP_OPTS)));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, IPCP, &packet(1, 2, &OWN_IPCP_OPTS))]);
    // IPCP alike.
    s.input(&frame(COMPRESSED, IPCP, &packet(2, 7, &OWN_IPCP_OPTS)));
    s.input(&frame(COMPRESSED, IPCP, &packet(3, 7, &[3, 6, 1, 1, 1, 1])));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    s.input(&frame(COMPRESSED, IPCP, &packet(1, 1, &HOST_IPCP_OPTS)));
    sent(&mut s);
    assert!(!s.is_up());
}

#[test]
fn ack_whose_options_differ_from_the_request_is_ignored() {
    let mut s = fresh();
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    sent(&mut s);
    // RFC 1661 5.2: the options MUST exactly match; invalid packets are silently discarded.
    s.input(&lcp(&packet(2, 1, &OWN_LCP_OPTS[..12])));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new(), "a mismatched Ack opened LCP");
    s.input(&lcp(&packet(2, 1, &OWN_LCP_OPTS)));
    assert_eq!(sent(&mut s).len(), 1);
}

#[test]
fn bad_fcs_short_and_aborted_frames_are_dropped_and_counted() {
    let mut s = fresh();
    let mut bad = lcp(&packet(9, 1, &[0, 0, 0, 0]));
    let n = bad.len();
    bad[n - 2] ^= 0x40;
    s.input(&bad);
    s.input(&[0x7E, 0xFF, 0x03, 0x7E]);
    s.input(&[0x7E, 0xFF, 0x7E]);
    // An abort sequence (Control Escape then Flag) in the middle of a good frame.
    let good = lcp(&packet(1, 0x11, &PPPD_LCP_OPTS));
    let mut aborted = good[..10].to_vec();
    aborted.extend_from_slice(&[0x7D, 0x7E]);
    s.input(&aborted);
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    assert_eq!(s.dropped, 4);
    // The stream recovers at the next flag.
    s.input(&good);
    assert_eq!(sent(&mut s), [lcp(&packet(2, 0x11, &PPPD_LCP_OPTS))]);
}

#[test]
fn control_characters_the_peer_flagged_are_escaped_in_what_the_server_sends() {
    let mut s = fresh();
    // XON/XOFF flagged: ACCM 0x000A0000 (0x11 and 0x13).
    let opts = [2, 6, 0x00, 0x0A, 0x00, 0x00, 5, 6, 1, 2, 3, 4];
    s.input(&lcp(&packet(1, 1, &opts)));
    assert_eq!(sent(&mut s), [lcp(&packet(2, 1, &opts))]);
    s.input(&lcp(&packet(2, 1, &OWN_LCP_OPTS)));
    let xonxoff = Tx { accm: 0x000A_0000, acfc: false, pfc: false };
    assert_eq!(sent(&mut s), [frame(xonxoff, IPCP, &packet(1, 2, &OWN_IPCP_OPTS))]);
    s.input(&frame(DEFAULT, IPCP, &packet(1, 1, &HOST_IPCP_OPTS)));
    s.input(&frame(DEFAULT, IPCP, &packet(2, 2, &OWN_IPCP_OPTS)));
    sent(&mut s);
    let ip = [0x45, 0x11, 0x13, 0x01, 0x7E, 0x7D, 0x20, 0x00];
    assert!(s.send_ip(&ip));
    let got = sent(&mut s);
    assert_eq!(got, [frame(xonxoff, IPV4, &ip)]);
    let raw = &got[0];
    assert!(raw[1..raw.len() - 1].iter().all(|b| ![0x11, 0x13, 0x7E].contains(b)));
    assert!(raw.windows(2).any(|w| w == [0x7D, 0x31]) && raw.windows(2).any(|w| w == [0x7D, 0x33]));
    assert!(raw.contains(&0x01), "0x01 was not flagged and goes as it is");
}

#[test]
fn flagged_control_characters_inserted_on_the_line_are_removed() {
    let mut s = fresh();
    // Before LCP opens the receive ACCM is all ones: a raw XON inside a frame was inserted
    // by the line (RFC 1662 7.1) and is removed before the FCS is checked.
    let good = lcp(&packet(1, 0x11, &PPPD_LCP_OPTS));
    let mut with_xon = good[..8].to_vec();
    with_xon.push(0x11);
    with_xon.extend_from_slice(&good[8..]);
    s.input(&with_xon);
    assert_eq!(sent(&mut s), [lcp(&packet(2, 0x11, &PPPD_LCP_OPTS))]);
    assert_eq!(s.dropped, 0);
}

#[test]
fn ipv4_before_ipcp_opened_is_dropped_and_counted() {
    let mut s = fresh();
    s.input(&frame(DEFAULT, IPV4, &[0x45, 0, 0, 20]));
    lcp_open(&mut s);
    s.input(&frame(COMPRESSED, IPV4, &[0x45, 0, 0, 20]));
    assert_eq!(s.poll_ip(), None);
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new(), "IPv4 is not Protocol-Rejected");
    assert_eq!(s.ip_dropped, 2);
    assert!(!s.send_ip(&[0x45]));
}

#[test]
fn pap_any_credentials_acked_and_repeated_request_acked_again() {
    let mut s = Server::new(config(Auth::Pap));
    let own = [2, 6, 0, 0, 0, 0, 3, 4, 0xC0, 0x23, 5, 6, 0x12, 0x34, 0x56, 0x78, 7, 2, 8, 2];
    assert_eq!(sent(&mut s), [lcp(&packet(1, 1, &own))]);
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    s.input(&lcp(&packet(2, 1, &own)));
    assert_eq!(sent(&mut s), [lcp(&packet(2, 0x11, &PPPD_LCP_OPTS))]);
    let req = packet(1, 0x41, &[4, b'u', b's', b'e', b'r', 2, b'p', b'w']);
    s.input(&frame(COMPRESSED, PAP, &req));
    assert_eq!(
        sent(&mut s),
        [
            frame(COMPRESSED, PAP, &packet(2, 0x41, &[0])),
            frame(COMPRESSED, IPCP, &packet(1, 2, &OWN_IPCP_OPTS))
        ]
    );
    // The Ack was lost: the same request gets the Ack again, nothing else.
    s.input(&frame(COMPRESSED, PAP, &req));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, PAP, &packet(2, 0x41, &[0]))]);
}

#[test]
fn chap_response_with_the_wrong_identifier_is_ignored() {
    let mut s = Server::new(config(Auth::ChapMd5));
    let own = [2, 6, 0, 0, 0, 0, 3, 5, 0xC2, 0x23, 5, 5, 6, 0x12, 0x34, 0x56, 0x78, 7, 2, 8, 2];
    assert_eq!(sent(&mut s), [lcp(&packet(1, 1, &own))]);
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    s.input(&lcp(&packet(2, 1, &own)));
    let got = sent(&mut s);
    assert_eq!(got.len(), 2);
    // The Challenge: id 2, value size 16, the name after the value.
    let challenge = &got[1];
    let m = [0x12u8, 0x34, 0x56, 0x78];
    let value: Vec<u8> = (0..16u8).map(|i| m[usize::from(i % 4)] ^ i.wrapping_mul(0x3B)).collect();
    let mut data = vec![16];
    data.extend_from_slice(&value);
    data.extend_from_slice(b"UMTS_CHAP_SRVR");
    assert_eq!(*challenge, frame(COMPRESSED, CHAP, &packet(1, 2, &data)));
    let mut resp = vec![16];
    resp.extend_from_slice(&[0xAB; 16]);
    resp.extend_from_slice(b"user");
    s.input(&frame(COMPRESSED, CHAP, &packet(2, 3, &resp)));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    s.input(&frame(COMPRESSED, CHAP, &packet(2, 2, &resp)));
    assert_eq!(
        sent(&mut s),
        [frame(COMPRESSED, CHAP, &packet(3, 2, &[])), frame(COMPRESSED, IPCP, &packet(1, 3, &OWN_IPCP_OPTS))]
    );
}

#[test]
fn ipcp_nak_while_opened_takes_ip_down_and_asks_again() {
    let mut s = fresh();
    ip_up(&mut s);
    // RCN in Opened: tld, scr (RFC 1661 4.1); IPv4 stops until IPCP opens again.
    s.input(&frame(COMPRESSED, IPCP, &packet(3, 2, &[3, 6, 10, 7, 157, 99])));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, IPCP, &packet(1, 3, &[]))]);
    assert!(!s.is_up());
    assert!(!s.send_ip(&[0x45]));
    s.input(&frame(COMPRESSED, IPCP, &packet(2, 3, &[])));
    assert!(s.is_up());
    assert_eq!(events(&mut s), [Event::Up { peer: Ipv4Addr::new(10, 7, 157, 1) }]);
}

#[test]
fn ipcp_unknown_code_is_code_rejected_without_padding() {
    let mut s = fresh();
    lcp_open(&mut s);
    let mut p = packet(9, 4, &[1, 2, 3, 4]);
    p.extend_from_slice(&[0xEE, 0xEE]);
    s.input(&frame(COMPRESSED, IPCP, &p));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, IPCP, &packet(7, 3, &packet(9, 4, &[1, 2, 3, 4])))]);
}

#[test]
fn ipcp_ack_whose_options_differ_is_ignored() {
    let mut s = fresh();
    lcp_open(&mut s);
    s.input(&frame(COMPRESSED, IPCP, &packet(1, 1, &HOST_IPCP_OPTS)));
    sent(&mut s);
    s.input(&frame(COMPRESSED, IPCP, &packet(2, 2, &[3, 6, 10, 7, 157, 99])));
    assert!(!s.is_up(), "an Ack of options never requested opened IPCP");
    s.input(&frame(COMPRESSED, IPCP, &packet(2, 2, &OWN_IPCP_OPTS)));
    assert!(s.is_up());
}

#[test]
fn reject_naming_options_never_requested_is_ignored() {
    let mut s = fresh();
    // RFC 1661 5.4: a Configure-Reject's options MUST be a subset of the last request.
    s.input(&lcp(&packet(4, 1, &[1, 4, 5, 0xDC])));
    s.input(&lcp(&packet(4, 1, &[5, 6, 1, 2, 3, 4])));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    s.input(&lcp(&packet(4, 1, &[7, 2, 8, 2])));
    assert_eq!(sent(&mut s), [lcp(&packet(1, 2, &OWN_LCP_OPTS[..12]))]);
}

#[test]
fn configure_ack_while_opened_restarts_the_link() {
    let mut s = fresh();
    ip_up(&mut s);
    // RCA in Opened: tld, scr (RFC 1661 4.1).
    s.input(&lcp(&packet(2, 1, &OWN_LCP_OPTS)));
    assert_eq!(sent(&mut s), [lcp(&packet(1, 3, &OWN_LCP_OPTS))]);
    assert!(!s.is_up());
    // Back in Req-Sent: the Ack of the new request alone does not reopen LCP; the host's
    // next Configure-Request, acked, does.
    s.input(&lcp(&packet(2, 3, &OWN_LCP_OPTS)));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    s.input(&lcp(&packet(1, 0x13, &PPPD_LCP_OPTS)));
    assert_eq!(
        sent(&mut s),
        [lcp(&packet(2, 0x13, &PPPD_LCP_OPTS)), frame(COMPRESSED, IPCP, &packet(1, 4, &OWN_IPCP_OPTS))]
    );
}

#[test]
fn protocol_reject_of_ipcp_closes_the_link() {
    let mut s = fresh();
    lcp_open(&mut s);
    // The host does not speak IPCP: no network protocol is left, so LCP is closed
    // (RFC 1661 5.7: stop sending the protocol; nothing else would run on the link).
    let rejected = packet(1, 2, &OWN_IPCP_OPTS);
    s.input(&lcp(&packet(8, 0x61, &[&[0x80, 0x21][..], &rejected].concat())));
    assert_eq!(sent(&mut s), [lcp(&packet(5, 3, &[]))]);
    for _ in 0..30 {
        s.tick();
    }
    let again = sent(&mut s);
    assert!(
        again.iter().all(|f| *f != frame(COMPRESSED, IPCP, &rejected)),
        "IPCP resent after Protocol-Reject"
    );
    // A Protocol-Reject of something the server never sends changes nothing.
    let mut s = fresh();
    lcp_open(&mut s);
    s.input(&lcp(&packet(8, 0x62, &[0x80, 0x57, 1, 1, 0, 4])));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
}

#[test]
fn code_reject_of_a_configure_request_is_catastrophic() {
    // RXJ- (RFC 1661 5.6): the host cannot take Configure-Request; before Opened: tlf.
    let mut s = fresh();
    s.input(&lcp(&packet(7, 0x71, &packet(1, 1, &OWN_LCP_OPTS))));
    assert_eq!(events(&mut s), [Event::Ended(End::Closed)]);
    assert!(s.is_dead());
    // RXJ+ (a code-reject of Echo-Request, say) changes nothing.
    let mut s = fresh();
    ip_up(&mut s);
    s.input(&lcp(&packet(7, 0x72, &packet(9, 1, &[0, 0, 0, 0]))));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    assert!(s.is_up());
    // RXJ- in Opened: tld, str (Terminate-Request).
    s.input(&lcp(&packet(7, 0x73, &packet(2, 0x11, &PPPD_LCP_OPTS))));
    assert_eq!(sent(&mut s), [lcp(&packet(5, 3, &[]))]);
    assert!(!s.is_up());
}

#[test]
fn pap_never_sent_ends_after_the_configure_budget() {
    let mut s = Server::new(config(Auth::Pap));
    let own = [2, 6, 0, 0, 0, 0, 3, 4, 0xC0, 0x23, 5, 6, 0x12, 0x34, 0x56, 0x78, 7, 2, 8, 2];
    sent(&mut s);
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    s.input(&lcp(&packet(2, 1, &own)));
    sent(&mut s);
    for _ in 0..29 {
        s.tick();
    }
    assert_eq!(events(&mut s), []);
    s.tick();
    assert_eq!(events(&mut s), [Event::Ended(End::NoResponse("PAP"))]);
}

#[test]
fn naks_become_rejects_after_max_failure() {
    let mut s = fresh();
    // A host that insists on a zero magic number: five Naks (RFC 1661 4.6's Max-Failure),
    // then the option is rejected so negotiation converges.
    for id in 1..=5 {
        s.input(&lcp(&packet(1, id, &[5, 6, 0, 0, 0, 0])));
        assert_eq!(sent(&mut s), [lcp(&packet(3, id, &[5, 6, 0xED, 0xCB, 0xA9, 0x87]))]);
    }
    s.input(&lcp(&packet(1, 6, &[5, 6, 0, 0, 0, 0])));
    assert_eq!(sent(&mut s), [lcp(&packet(4, 6, &[5, 6, 0, 0, 0, 0]))]);
    s.input(&lcp(&packet(1, 7, &[])));
    assert_eq!(sent(&mut s), [lcp(&packet(2, 7, &[]))]);
}

#[test]
fn ipcp_request_without_an_address_gets_one_by_nak() {
    let mut s = fresh();
    lcp_open(&mut s);
    // RFC 1332 3.3: the option the host left out is appended to a Configure-Nak.
    s.input(&frame(COMPRESSED, IPCP, &packet(1, 1, &[])));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, IPCP, &packet(3, 1, &[3, 6, 10, 7, 157, 1]))]);
    s.input(&frame(COMPRESSED, IPCP, &packet(1, 2, &[129, 6, 0, 0, 0, 0])));
    assert_eq!(
        sent(&mut s),
        [frame(COMPRESSED, IPCP, &packet(3, 2, &[129, 6, 10, 7, 157, 254, 3, 6, 10, 7, 157, 1]))]
    );
    s.input(&frame(COMPRESSED, IPCP, &packet(1, 3, &[3, 6, 10, 7, 157, 1])));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, IPCP, &packet(2, 3, &[3, 6, 10, 7, 157, 1]))]);
}

#[test]
fn frames_with_an_unknown_address_or_control_field_are_discarded() {
    let mut s = fresh();
    lcp_open(&mut s);
    // FF then not 03 (RFC 1662 3.1, 3.2): not a compressed protocol 0x00FF.
    let mut body = vec![0xFF, 0x13, 0x00, 0x21, 0x45, 0, 0, 20];
    let fcs = fcs16(&body);
    body.extend_from_slice(&fcs.to_le_bytes());
    let mut raw = vec![0x7E];
    for b in body {
        if b < 0x20 || b == 0x7E || b == 0x7D {
            raw.extend_from_slice(&[0x7D, b ^ 0x20]);
        } else {
            raw.push(b);
        }
    }
    raw.push(0x7E);
    s.input(&raw);
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new(), "answered a frame with address FF, control 13");
    assert_eq!(s.dropped, 1);
}

#[test]
fn control_escape_before_the_closing_flag_invalidates_even_a_good_frame() {
    let mut s = fresh();
    // RFC 1662 4.2: a Control Escape right before the closing Flag means an invalid frame
    // (the abort sequence), whatever the FCS says.
    let mut aborted = lcp(&packet(1, 0x11, &PPPD_LCP_OPTS));
    aborted.insert(aborted.len() - 1, 0x7D);
    s.input(&aborted);
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new(), "an aborted frame was taken");
    assert_eq!(s.dropped, 1);
}

#[test]
fn unsolicited_terminate_ack_in_opened_restarts_the_link() {
    let mut s = fresh();
    ip_up(&mut s);
    // RTA in Opened: tld, scr (RFC 1661 4.1); elsewhere it changes nothing.
    s.input(&lcp(&packet(6, 0x45, &[])));
    assert_eq!(sent(&mut s), [lcp(&packet(1, 3, &OWN_LCP_OPTS))]);
    assert!(!s.is_up());
    s.input(&lcp(&packet(6, 0x46, &[])));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
}

#[test]
fn only_lcp_counts_while_terminating() {
    let mut s = Server::new(config(Auth::Pap));
    let own = [2, 6, 0, 0, 0, 0, 3, 4, 0xC0, 0x23, 5, 6, 0x12, 0x34, 0x56, 0x78, 7, 2, 8, 2];
    sent(&mut s);
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    s.input(&lcp(&packet(2, 1, &own)));
    sent(&mut s);
    s.close();
    assert_eq!(sent(&mut s), [lcp(&packet(5, 2, &[]))]);
    // Closing: PAP, IPCP and IPv6CP get nothing (RFC 1661 3.7, state table).
    s.input(&frame(COMPRESSED, PAP, &packet(1, 0x41, &[1, b'u', 1, b'p'])));
    s.input(&frame(COMPRESSED, IPCP, &packet(1, 1, &HOST_IPCP_OPTS)));
    s.input(&frame(COMPRESSED, 0x8057, &packet(1, 1, &[])));
    assert_eq!(sent(&mut s), Vec::<Vec<u8>>::new());
    s.input(&lcp(&packet(6, 2, &[])));
    assert_eq!(events(&mut s), [Event::Ended(End::Closed)]);
}

#[test]
fn rejects_are_truncated_to_the_hosts_mru() {
    let mut s = fresh();
    let opts = [1, 4, 0, 128, 2, 6, 0, 0, 0, 0, 7, 2, 8, 2];
    s.input(&lcp(&packet(1, 1, &opts)));
    s.input(&lcp(&packet(2, 1, &OWN_LCP_OPTS)));
    assert_eq!(sent(&mut s).len(), 2);
    // An IPv6 packet of 300 octets: the Protocol-Reject is 128 octets, as the MRU says
    // (RFC 1661 5.7).
    let ipv6: Vec<u8> = (0..300u16).map(|i| i as u8).collect();
    s.input(&frame(COMPRESSED, 0x0057, &ipv6));
    let mut want = vec![0x00, 0x57];
    want.extend_from_slice(&ipv6[..122]);
    assert_eq!(sent(&mut s), [lcp(&packet(8, 3, &want))]);
    // A Code-Reject likewise (5.6).
    let long = packet(0x30, 9, &[0x55; 200]);
    s.input(&lcp(&long));
    assert_eq!(sent(&mut s), [lcp(&packet(7, 4, &long[..124]))]);
}

#[test]
fn chap_repeated_response_gets_success_again_and_echo_works_while_authenticating() {
    let mut s = Server::new(config(Auth::ChapMd5));
    let own = [2, 6, 0, 0, 0, 0, 3, 5, 0xC2, 0x23, 5, 5, 6, 0x12, 0x34, 0x56, 0x78, 7, 2, 8, 2];
    sent(&mut s);
    s.input(&lcp(&packet(1, 0x11, &PPPD_LCP_OPTS)));
    s.input(&lcp(&packet(2, 1, &own)));
    assert_eq!(sent(&mut s).len(), 2);
    // LCP is opened during authentication: Echo-Request is answered (RFC 1661 5.8).
    s.input(&lcp(&packet(9, 0x20, &[0xCA, 0xFE, 0xBA, 0xBE])));
    assert_eq!(sent(&mut s), [lcp(&packet(10, 0x20, &[0x12, 0x34, 0x56, 0x78]))]);
    let mut resp = vec![16];
    resp.extend_from_slice(&[0x5A; 16]);
    resp.extend_from_slice(b"host");
    s.input(&frame(COMPRESSED, CHAP, &packet(2, 2, &resp)));
    assert_eq!(sent(&mut s).len(), 2);
    // The Success was lost and the host repeats its Response: Success again, no second
    // IPCP request (RFC 1994 4.2).
    s.input(&frame(COMPRESSED, CHAP, &packet(2, 2, &resp)));
    assert_eq!(sent(&mut s), [frame(COMPRESSED, CHAP, &packet(3, 2, &[]))]);
}
