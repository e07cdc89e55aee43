//! 3GPP TS 27.010 multiplexing (`AT+CMUX`): the frame codec ([`frame`]), the DLC states and
//! control channel ([`session`]) and, here, one running multiplexer: the parameters
//! `AT+CMUX` set, the decoder's partial frame and the count of what it skipped. How the
//! module's AT channels share the one port is `crate::channels`' job.

pub mod frame;
mod port;
pub mod session;

pub use session::{MuxEvent, Session, MAX_DLCI};

/// The `AT+CMUX` parameters (the read form prints them in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MuxParams {
    pub mode: u8,
    pub subset: u8,
    pub port_speed: u8,
    /// Longest information field of a frame, both ways.
    pub n1: u16,
    pub t1: u8,
    pub n2: u8,
    pub t2: u8,
    pub t3: u8,
    pub k: u8,
}

impl Default for MuxParams {
    /// The values the read form shows before any `AT+CMUX` and that empty fields take
    /// (policy `cmux-params`).
    fn default() -> Self {
        MuxParams { mode: 0, subset: 0, port_speed: 5, n1: 127, t1: 10, n2: 3, t2: 30, t3: 10, k: 2 }
    }
}

/// A running multiplexer.
#[derive(Debug, Default)]
pub struct Mux {
    pub params: MuxParams,
    pub decoder: frame::Decoder,
    pub session: Session,
    /// Bytes skipped between frames or in frames with a bad FCS, in all.
    pub skipped: u64,
}

impl Mux {
    pub fn new(params: MuxParams) -> Self {
        Mux { params, decoder: frame::Decoder::with_max_info(usize::from(params.n1)), ..Default::default() }
    }
}
