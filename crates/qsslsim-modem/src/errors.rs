//! The module's result codes (`<err>` in `+QSSLOPEN` URCs and `AT+QIGETERROR`), their texts,
//! and the one mapping from network/TLS failure kinds to those codes.

/// Every result code the SSL/TCP commands report, with the text `AT+QIGETERROR` prints.
pub const RESULT_CODES: &[(u16, &str)] = &[
    (0, "operate successfully"),
    (550, "unknown error"),
    (551, "operation blocked"),
    (552, "invalid parameters"),
    (553, "memory not enough"),
    (554, "create socket failed"),
    (555, "operation not supported"),
    (556, "socket bind failed"),
    (557, "socket listen failed"),
    (558, "socket write failed"),
    (559, "socket read failed"),
    (560, "socket accept failed"),
    (561, "open PDP context failed"),
    (562, "close PDP context failed"),
    (563, "socket identity has been used"),
    (564, "DNS busy"),
    (565, "DNS parse failed"),
    (566, "socket connect failed"),
    (567, "socket has been closed"),
    (568, "operation busy"),
    (569, "operation timeout"),
    (570, "PDP context break down"),
    (571, "cancel send"),
    (572, "operation not allowed"),
    (573, "APN not configured"),
    (574, "port busy"),
];

pub const OK: u16 = 0;
pub const UNKNOWN: u16 = 550;
pub const INVALID_PARAM: u16 = 552;
pub const NOT_SUPPORTED: u16 = 555;
pub const OPEN_PDP_FAILED: u16 = 561;
pub const CLOSE_PDP_FAILED: u16 = 562;
pub const ID_IN_USE: u16 = 563;
pub const DNS_BUSY: u16 = 564;
pub const DNS_FAILED: u16 = 565;
pub const CONNECT_FAILED: u16 = 566;
pub const SOCKET_CLOSED: u16 = 567;
pub const TIMEOUT: u16 = 569;
pub const PDP_BROKEN: u16 = 570;
pub const CANCEL_SEND: u16 = 571;
pub const NOT_ALLOWED: u16 = 572;

/// The value `key` maps to in one of the crate's tables.
pub fn lookup<K: PartialEq + Copy, V: Copy>(table: &[(K, V)], key: K) -> Option<V> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// The `AT+QIGETERROR` description of a result code.
pub fn result_text(code: u16) -> &'static str {
    lookup(RESULT_CODES, code).unwrap_or("unknown error")
}

/// Why an open failed, as the network layer classifies it. The module collapses most of these
/// into a few codes; the precise cause travels beside it in the log and trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenFailure {
    /// The PDP context named in the open is not active.
    PdpInactive,
    /// The client id is already in use.
    IdInUse,
    /// The name did not resolve (or sandbox refused to resolve it).
    DnsFailed,
    /// The resolver is busy (injected fault).
    DnsBusy,
    /// TCP connect refused, unreachable, or refused by the sandbox.
    ConnectFailed,
    /// The TLS handshake failed (alert, verification, no common parameters).
    HandshakeFailed,
    /// The handshake did not finish within `negotiatetime`.
    HandshakeTimeout,
    /// The context asks for something the emulator cannot do (DTLS, PSK).
    NotSupported,
}

/// The one mapping table from failure kind to the module's result code.
pub const OPEN_FAILURE_CODES: &[(OpenFailure, u16)] = &[
    (OpenFailure::PdpInactive, OPEN_PDP_FAILED),
    (OpenFailure::IdInUse, ID_IN_USE),
    (OpenFailure::DnsFailed, DNS_FAILED),
    (OpenFailure::DnsBusy, DNS_BUSY),
    (OpenFailure::ConnectFailed, CONNECT_FAILED),
    (OpenFailure::HandshakeFailed, CONNECT_FAILED),
    (OpenFailure::HandshakeTimeout, TIMEOUT),
    (OpenFailure::NotSupported, NOT_SUPPORTED),
];

impl OpenFailure {
    pub fn code(self) -> u16 {
        lookup(OPEN_FAILURE_CODES, self).unwrap_or(UNKNOWN)
    }
}

/// General `+CME ERROR` codes used outside the file commands.
pub const CME_GENERAL: &[(u16, &str)] = &[
    (3, "operation not allowed"),
    (4, "operation not supported"),
    (10, "SIM not inserted"),
    (50, "incorrect parameters"),
    (100, "unknown"),
];

/// Verbose text for a `+CME ERROR` code (AT+CMEE=2).
pub fn cme_text(code: u16) -> &'static str {
    lookup(CME_GENERAL, code).or_else(|| crate::files::file_error_text(code)).unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_covers_zero_and_550_to_574_in_order() {
        let codes: Vec<u16> = RESULT_CODES.iter().map(|(c, _)| *c).collect();
        let mut want = vec![0];
        want.extend(550..=574);
        assert_eq!(codes, want);
        assert_eq!(result_text(0), "operate successfully");
        assert_eq!(result_text(571), "cancel send");
    }

    #[test]
    fn every_failure_kind_has_a_code() {
        assert_eq!(OpenFailure::DnsFailed.code(), 565);
        assert_eq!(OpenFailure::HandshakeFailed.code(), 566);
        assert_eq!(OpenFailure::HandshakeTimeout.code(), 569);
        assert_eq!(OpenFailure::IdInUse.code(), 563);
        assert_eq!(OpenFailure::NotSupported.code(), 555);
    }
}
