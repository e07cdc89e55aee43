//! A whole PPP session against the server, frame by frame, as a host (pppd, Zephyr, lwIP)
//! drives it: LCP with Nak and Reject, PAP or CHAP, IPCP with address and DNS by Nak, IPv4
//! both ways, Echo, Protocol-Reject, Code-Reject and Terminate.

use std::net::Ipv4Addr;

use qsslsim_ppp::hdlc::{self, Decoder, Frame, TxOptions};
use qsslsim_ppp::packet::{proto, Packet};
use qsslsim_ppp::{Auth, Config, End, Event, Server};

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

/// Everything the server has queued for the host, as frames.
fn out(s: &mut Server) -> Vec<Frame> {
    let mut d = Decoder::default();
    let mut frames = Vec::new();
    while let Some(bytes) = s.poll_transmit() {
        d.push(&bytes, |f| frames.push(f.expect("the server's frames are intact")));
    }
    frames
}

fn pkt(frame: &Frame) -> Packet {
    Packet::parse(&frame.payload).unwrap()
}

fn send(s: &mut Server, protocol: u16, bytes: &[u8]) {
    s.input(&hdlc::encode(protocol, bytes, TxOptions::DEFAULT));
}

#[test]
fn first_configure_request_bytes() {
    let mut s = Server::new(config(Auth::ChapMd5));
    let frame = s.poll_transmit().unwrap();
    // 01 01 00 19 | ACCM 0 | auth CHAP MD5 | magic | PFC | ACFC, every byte below 0x20 escaped.
    let body: Vec<u8> = [
        0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x19, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x03, 0x05, 0xC2,
        0x23, 0x05, 0x05, 0x06, 0x12, 0x34, 0x56, 0x78, 0x07, 0x02, 0x08, 0x02,
    ]
    .to_vec();
    let fcs = hdlc::fcs16(&body).to_le_bytes();
    let mut want = b"\x7e\xff\x7d\x23\xc0\x21\x7d\x21\x7d\x21\x7d\x20\x7d\x39\x7d\x22\x7d\x26\x7d\x20\x7d\x20\x7d\x20\x7d\x20\x7d\x23\x7d\x25\xc2\x23\x7d\x25\x7d\x25\x7d\x26\x7d\x32\x34\x56\x78\x7d\x27\x7d\x22\x7d\x28\x7d\x22".to_vec();
    for b in fcs {
        if b < 0x20 || b == 0x7e || b == 0x7d {
            want.extend_from_slice(&[0x7d, b ^ 0x20]);
        } else {
            want.push(b);
        }
    }
    want.push(0x7e);
    assert_eq!(frame, want);
    assert_eq!(s.poll_transmit(), None);
}

/// LCP up with the host's ConfReq acked and the server's ConfReq acked after a Nak to PAP.
fn lcp_up_with_pap(s: &mut Server) {
    let first = pkt(&out(s)[0]);
    // The host (no CHAP) proposes PAP instead.
    send(s, proto::LCP, &[3, first.id, 0, 8, 3, 4, 0xC0, 0x23]);
    let again = out(s);
    let req = pkt(&again[0]);
    assert_eq!(req.code, 1);
    assert_ne!(req.id, first.id);
    assert_eq!(req.data, [2, 6, 0, 0, 0, 0, 3, 4, 0xC0, 0x23, 5, 6, 0x12, 0x34, 0x56, 0x78, 7, 2, 8, 2]);
    // The host's own request: MRU 1500, ACCM 0, magic, PFC, ACFC.
    let host_req = [1, 1, 0, 24, 1, 4, 5, 0xDC, 2, 6, 0, 0, 0, 0, 5, 6, 0xCA, 0xFE, 0xBA, 0xBE, 7, 2, 8, 2];
    send(s, proto::LCP, &host_req);
    let ack = out(s);
    assert_eq!(ack[0].payload, [&[2u8, 1, 0, 24][..], &host_req[4..]].concat());
    send(
        s,
        proto::LCP,
        &[2, req.id, 0, 24, 2, 6, 0, 0, 0, 0, 3, 4, 0xC0, 0x23, 5, 6, 0x12, 0x34, 0x56, 0x78, 7, 2, 8, 2],
    );
    assert!(out(s).is_empty(), "PAP waits for the host's Authenticate-Request");
}

#[test]
fn pap_then_ipcp_nak_then_ip_both_ways_then_terminate() {
    let mut s = Server::new(config(Auth::ChapMd5));
    lcp_up_with_pap(&mut s);
    // PAP Authenticate-Request "user"/"pw" (compressed fields now: ACFC and PFC apply).
    let opts = TxOptions { accm: 0, acfc: true, pfc: true };
    s.input(&hdlc::encode(proto::PAP, &[1, 9, 0, 12, 4, b'u', b's', b'e', b'r', 2, b'p', b'w'], opts));
    let got = out(&mut s);
    assert_eq!(got[0], Frame { protocol: proto::PAP, payload: vec![2, 9, 0, 5, 0] });
    // The server's IPCP request names its own address.
    assert_eq!(got[1].protocol, proto::IPCP);
    let ipcp_req = pkt(&got[1]);
    assert_eq!(ipcp_req.data, [3, 6, 10, 7, 157, 100]);
    // The host asks for 0.0.0.0 and DNS 0.0.0.0 twice, plus VJ compression: VJ rejected first.
    let ask = [1, 1, 0, 28, 2, 6, 0, 0x2D, 0x0F, 1, 3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0];
    s.input(&hdlc::encode(proto::IPCP, &ask, opts));
    assert_eq!(pkt(&out(&mut s)[0]).to_bytes(), [4, 1, 0, 10, 2, 6, 0, 0x2D, 0x0F, 1]);
    let ask = [1, 2, 0, 22, 3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0];
    s.input(&hdlc::encode(proto::IPCP, &ask, opts));
    assert_eq!(
        pkt(&out(&mut s)[0]).to_bytes(),
        [3, 2, 0, 22, 3, 6, 10, 7, 157, 1, 129, 6, 10, 7, 157, 254, 131, 6, 10, 7, 157, 253]
    );
    let ask = [1, 3, 0, 22, 3, 6, 10, 7, 157, 1, 129, 6, 10, 7, 157, 254, 131, 6, 10, 7, 157, 253];
    s.input(&hdlc::encode(proto::IPCP, &ask, opts));
    assert_eq!(pkt(&out(&mut s)[0]).code, 2);
    assert!(!s.is_up());
    s.input(&hdlc::encode(proto::IPCP, &[2, ipcp_req.id, 0, 10, 3, 6, 10, 7, 157, 100], opts));
    assert!(s.is_up());
    assert_eq!(s.poll_event(), Some(Event::Up { peer: Ipv4Addr::new(10, 7, 157, 1) }));
    // IPv4 up (a one-byte protocol field) and down (with the host's compression and ACCM 0).
    s.input(&hdlc::encode(proto::IPV4, &[0x45, 0, 0, 20], opts));
    assert_eq!(s.poll_ip(), Some(vec![0x45, 0, 0, 20]));
    assert!(s.send_ip(&[0x45, 0x01, 0x7E]));
    let down = s.poll_transmit().unwrap();
    let fcs = hdlc::fcs16(&[0x21, 0x45, 0x01, 0x7E]).to_le_bytes();
    assert_eq!(&down[..6], [0x7E, 0x21, 0x45, 0x01, 0x7D, 0x5E]);
    assert_eq!(
        down.len(),
        6 + 1 + fcs.iter().map(|b| 1 + usize::from(*b == 0x7E || *b == 0x7D)).sum::<usize>()
    );
    // Echo-Request → Echo-Reply with the server's magic.
    send(&mut s, proto::LCP, &[9, 0x33, 0, 8, 0xCA, 0xFE, 0xBA, 0xBE]);
    assert_eq!(out(&mut s)[0].payload, [10, 0x33, 0, 8, 0x12, 0x34, 0x56, 0x78]);
    // IPV6CP is not spoken: Protocol-Reject carrying the rejected packet.
    s.input(&hdlc::encode(0x8057, &[1, 1, 0, 4], opts));
    let rej = pkt(&out(&mut s)[0]);
    assert_eq!((rej.code, rej.data), (8, vec![0x80, 0x57, 1, 1, 0, 4]));
    // An unknown LCP code: Code-Reject.
    send(&mut s, proto::LCP, &[0x55, 1, 0, 4]);
    let rej = pkt(&out(&mut s)[0]);
    assert_eq!((rej.code, rej.data), (7, vec![0x55, 1, 0, 4]));
    // Terminate-Request → Terminate-Ack, and the session ends.
    send(&mut s, proto::LCP, &[5, 0x44, 0, 4]);
    assert_eq!(out(&mut s)[0].payload, [6, 0x44, 0, 4]);
    assert_eq!(s.poll_event(), Some(Event::Ended(End::HostTerminated)));
    assert!(s.is_dead());
    assert!(!s.send_ip(&[0x45]));
}

#[test]
fn chap_any_response_succeeds() {
    let mut s = Server::new(config(Auth::ChapMd5));
    let req = pkt(&out(&mut s)[0]);
    send(&mut s, proto::LCP, &[1, 7, 0, 4]);
    assert_eq!(out(&mut s)[0].payload, [2, 7, 0, 4]);
    let mut ack = req.to_bytes();
    ack[0] = 2;
    send(&mut s, proto::LCP, &ack);
    let challenge = out(&mut s);
    assert_eq!(challenge[0].protocol, proto::CHAP);
    let c = pkt(&challenge[0]);
    assert_eq!(c.code, 1);
    assert_eq!(c.data[0], 16);
    assert_eq!(&c.data[17..], b"UMTS_CHAP_SRVR");
    let mut resp = vec![2, c.id, 0, 0, 16];
    resp.extend_from_slice(&[0xAB; 16]);
    resp.extend_from_slice(b"anyone");
    let len = resp.len() as u16;
    resp[2..4].copy_from_slice(&len.to_be_bytes());
    send(&mut s, proto::CHAP, &resp);
    let got = out(&mut s);
    assert_eq!(got[0], Frame { protocol: proto::CHAP, payload: vec![3, c.id, 0, 4] });
    assert_eq!(got[1].protocol, proto::IPCP);
}

#[test]
fn rejected_auth_goes_straight_to_ipcp_and_own_magic_is_naked() {
    let mut s = Server::new(config(Auth::ChapMd5));
    let req = pkt(&out(&mut s)[0]);
    send(&mut s, proto::LCP, &[4, req.id, 0, 9, 3, 5, 0xC2, 0x23, 5]);
    let req2 = pkt(&out(&mut s)[0]);
    assert_eq!(req2.data, [2, 6, 0, 0, 0, 0, 5, 6, 0x12, 0x34, 0x56, 0x78, 7, 2, 8, 2]);
    // A looped-back line: the host's magic equals ours, so it is Nak'd.
    send(&mut s, proto::LCP, &[1, 1, 0, 10, 5, 6, 0x12, 0x34, 0x56, 0x78]);
    assert_eq!(out(&mut s)[0].payload, [3, 1, 0, 10, 5, 6, 0xED, 0xCB, 0xA9, 0x87]);
    // The host asks the module to authenticate itself: rejected.
    send(&mut s, proto::LCP, &[1, 2, 0, 8, 3, 4, 0xC0, 0x23]);
    assert_eq!(out(&mut s)[0].payload, [4, 2, 0, 8, 3, 4, 0xC0, 0x23]);
    send(&mut s, proto::LCP, &[1, 3, 0, 4]);
    let mut ack = req2.to_bytes();
    ack[0] = 2;
    send(&mut s, proto::LCP, &ack);
    let got = out(&mut s);
    assert_eq!(got[0].payload, [2, 3, 0, 4]);
    assert_eq!(got[1].protocol, proto::IPCP, "no authentication phase");
}

#[test]
fn silence_ends_after_max_configure_and_close_sends_terminate() {
    let mut s = Server::new(config(Auth::None));
    out(&mut s);
    for _ in 0..3 * 9 {
        s.tick();
    }
    assert_eq!(out(&mut s).len(), 9, "a retransmission every 3 ticks");
    for _ in 0..3 {
        s.tick();
    }
    assert_eq!(s.poll_event(), Some(Event::Ended(End::NoResponse("LCP"))));

    let mut s = Server::new(config(Auth::None));
    out(&mut s);
    s.close();
    let term = pkt(&out(&mut s)[0]);
    assert_eq!(term.code, 5);
    send(&mut s, proto::LCP, &[6, term.id, 0, 4]);
    assert_eq!(s.poll_event(), Some(Event::Ended(End::Closed)));
}
