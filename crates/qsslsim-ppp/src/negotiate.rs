//! Answering a peer's Configure-Request (RFC 1661 section 5.1–5.4): every option is acked,
//! nak'd with the value this side wants, or rejected; the answer is a Configure-Reject if any
//! option is rejected, else a Configure-Nak if any is nak'd, else a Configure-Ack of the
//! request as it came. After [`MAX_FAILURE`] Naks in a row, Naks become Rejects.

use crate::packet::{code, emit_options, parse_options, Opt, Packet};

/// What this side says to one option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ack,
    Nak(Vec<u8>),
    Reject,
}

/// The answer to a Configure-Request with identifier `id` and options `opts`, judged one by
/// one by `judge`; also whether it is an Ack.
pub fn answer(
    id: u8,
    request: &[u8],
    opts: &[Opt],
    mut judge: impl FnMut(&Opt) -> Verdict,
) -> (Packet, bool) {
    let verdicts: Vec<Verdict> = opts.iter().map(&mut judge).collect();
    let rejected: Vec<Opt> =
        opts.iter().zip(&verdicts).filter(|(_, v)| **v == Verdict::Reject).map(|(o, _)| o.clone()).collect();
    if !rejected.is_empty() {
        return (Packet { code: code::CONF_REJ, id, data: emit_options(&rejected) }, false);
    }
    let naks: Vec<Opt> = opts
        .iter()
        .zip(&verdicts)
        .filter_map(|(o, v)| match v {
            Verdict::Nak(value) => Some(Opt::new(o.kind, value)),
            _ => None,
        })
        .collect();
    if !naks.is_empty() {
        return (Packet { code: code::CONF_NAK, id, data: emit_options(&naks) }, false);
    }
    (Packet { code: code::CONF_ACK, id, data: request.to_vec() }, true)
}

/// Configure-Naks sent in a row before they turn into Configure-Rejects, so that a peer
/// that insists cannot keep negotiation from converging (RFC 1661 section 4.6's default).
pub const MAX_FAILURE: u32 = 5;

/// [`answer`], counting the Naks sent in a row in `naks` (an Ack resets it); once
/// [`MAX_FAILURE`] have gone out, an option that would be Nak'd is rejected instead.
pub fn answer_limited(
    id: u8,
    request: &[u8],
    opts: &[Opt],
    naks: &mut u32,
    mut judge: impl FnMut(&Opt) -> Verdict,
) -> (Packet, bool) {
    let exhausted = *naks >= MAX_FAILURE;
    let (reply, ack) = answer(id, request, opts, |o| match judge(o) {
        Verdict::Nak(_) if exhausted => Verdict::Reject,
        v => v,
    });
    match reply.code {
        code::CONF_NAK => *naks += 1,
        code::CONF_ACK => *naks = 0,
        _ => {}
    }
    (reply, ack)
}

/// Whether every option of a Configure-Ack or -Reject (`reply`) was in this side's last
/// request (RFC 1661 sections 5.2 and 5.4: otherwise the packet is silently discarded).
pub fn is_subset(reply: &[u8], request: &[u8]) -> bool {
    match (parse_options(reply), parse_options(request)) {
        (Some(reply), Some(request)) => reply.iter().all(|o| request.contains(o)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_wins_over_nak_and_ack_echoes_the_request() {
        let opts = vec![Opt::new(3, &[0, 0, 0, 0]), Opt::new(2, &[0, 0x2D, 0x0F, 1])];
        let raw = emit_options(&opts);
        let (p, ok) = answer(4, &raw, &opts, |o| {
            if o.kind == 2 {
                Verdict::Reject
            } else {
                Verdict::Nak(vec![1, 2, 3, 4])
            }
        });
        assert!(!ok);
        assert_eq!(p.to_bytes(), [4, 4, 0, 10, 2, 6, 0, 0x2D, 0x0F, 1]);
        let (p, _) = answer(5, &raw, &opts[..1], |_| Verdict::Nak(vec![10, 0, 0, 1]));
        assert_eq!(p.to_bytes(), [3, 5, 0, 10, 3, 6, 10, 0, 0, 1]);
        let (p, ok) = answer(6, &raw, &opts, |_| Verdict::Ack);
        assert!(ok);
        assert_eq!(p.code, code::CONF_ACK);
        assert_eq!(p.data, raw);
    }
}
