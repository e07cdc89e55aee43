//! The module's result codes (`<err>` in `+QSSLOPEN` URCs and `AT+QIGETERROR`) as one enum
//! with their texts, the one mapping from network/TLS failure kinds to those codes, and the
//! general `+CME ERROR` codes.

/// Every result code the SSL/TCP commands report (`<err>` in `+QSSLOPEN` URCs and
/// `AT+QIGETERROR`), with its number and the text `AT+QIGETERROR` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[repr(u16)]
pub enum ErrorCode {
    Ok = 0,
    Unknown = 550,
    OperationBlocked = 551,
    InvalidParam = 552,
    MemoryNotEnough = 553,
    CreateSocketFailed = 554,
    NotSupported = 555,
    BindFailed = 556,
    ListenFailed = 557,
    WriteFailed = 558,
    ReadFailed = 559,
    AcceptFailed = 560,
    OpenPdpFailed = 561,
    ClosePdpFailed = 562,
    IdInUse = 563,
    DnsBusy = 564,
    DnsFailed = 565,
    ConnectFailed = 566,
    SocketClosed = 567,
    OperationBusy = 568,
    Timeout = 569,
    PdpBroken = 570,
    CancelSend = 571,
    NotAllowed = 572,
    ApnNotConfigured = 573,
    PortBusy = 574,
}

impl ErrorCode {
    /// Every code, in numeric order.
    pub const ALL: [ErrorCode; 26] = [
        ErrorCode::Ok,
        ErrorCode::Unknown,
        ErrorCode::OperationBlocked,
        ErrorCode::InvalidParam,
        ErrorCode::MemoryNotEnough,
        ErrorCode::CreateSocketFailed,
        ErrorCode::NotSupported,
        ErrorCode::BindFailed,
        ErrorCode::ListenFailed,
        ErrorCode::WriteFailed,
        ErrorCode::ReadFailed,
        ErrorCode::AcceptFailed,
        ErrorCode::OpenPdpFailed,
        ErrorCode::ClosePdpFailed,
        ErrorCode::IdInUse,
        ErrorCode::DnsBusy,
        ErrorCode::DnsFailed,
        ErrorCode::ConnectFailed,
        ErrorCode::SocketClosed,
        ErrorCode::OperationBusy,
        ErrorCode::Timeout,
        ErrorCode::PdpBroken,
        ErrorCode::CancelSend,
        ErrorCode::NotAllowed,
        ErrorCode::ApnNotConfigured,
        ErrorCode::PortBusy,
    ];

    /// The number the module prints.
    pub fn number(self) -> u16 {
        self as u16
    }

    /// The code with number `n`, if the module has one.
    pub fn from_number(n: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.number() == n)
    }

    /// The `AT+QIGETERROR` description.
    pub fn text(self) -> &'static str {
        match self {
            ErrorCode::Ok => "operate successfully",
            ErrorCode::Unknown => "unknown error",
            ErrorCode::OperationBlocked => "operation blocked",
            ErrorCode::InvalidParam => "invalid parameters",
            ErrorCode::MemoryNotEnough => "memory not enough",
            ErrorCode::CreateSocketFailed => "create socket failed",
            ErrorCode::NotSupported => "operation not supported",
            ErrorCode::BindFailed => "socket bind failed",
            ErrorCode::ListenFailed => "socket listen failed",
            ErrorCode::WriteFailed => "socket write failed",
            ErrorCode::ReadFailed => "socket read failed",
            ErrorCode::AcceptFailed => "socket accept failed",
            ErrorCode::OpenPdpFailed => "open PDP context failed",
            ErrorCode::ClosePdpFailed => "close PDP context failed",
            ErrorCode::IdInUse => "socket identity has been used",
            ErrorCode::DnsBusy => "DNS busy",
            ErrorCode::DnsFailed => "DNS parse failed",
            ErrorCode::ConnectFailed => "socket connect failed",
            ErrorCode::SocketClosed => "socket has been closed",
            ErrorCode::OperationBusy => "operation busy",
            ErrorCode::Timeout => "operation timeout",
            ErrorCode::PdpBroken => "PDP context break down",
            ErrorCode::CancelSend => "cancel send",
            ErrorCode::NotAllowed => "operation not allowed",
            ErrorCode::ApnNotConfigured => "APN not configured",
            ErrorCode::PortBusy => "port busy",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// The value `key` maps to in one of the crate's tables.
pub fn lookup<K: PartialEq + Copy, V: Copy>(table: &[(K, V)], key: K) -> Option<V> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
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
    /// A listener or UDP service could not bind its local port.
    BindFailed,
    /// A listener or UDP service's local port is already taken.
    PortBusy,
}

/// The one mapping table from failure kind to the module's result code.
pub const OPEN_FAILURE_CODES: &[(OpenFailure, ErrorCode)] = &[
    (OpenFailure::PdpInactive, ErrorCode::OpenPdpFailed),
    (OpenFailure::IdInUse, ErrorCode::IdInUse),
    (OpenFailure::DnsFailed, ErrorCode::DnsFailed),
    (OpenFailure::DnsBusy, ErrorCode::DnsBusy),
    (OpenFailure::ConnectFailed, ErrorCode::ConnectFailed),
    (OpenFailure::HandshakeFailed, ErrorCode::ConnectFailed),
    (OpenFailure::HandshakeTimeout, ErrorCode::Timeout),
    (OpenFailure::NotSupported, ErrorCode::NotSupported),
    (OpenFailure::BindFailed, ErrorCode::BindFailed),
    (OpenFailure::PortBusy, ErrorCode::PortBusy),
];

impl OpenFailure {
    pub fn code(self) -> ErrorCode {
        lookup(OPEN_FAILURE_CODES, self).unwrap_or(ErrorCode::Unknown)
    }
}

/// General `+CME ERROR` codes used outside the file commands.
pub const CME_GENERAL: &[(u16, &str)] = &[
    (3, "operation not allowed"),
    (4, "operation not supported"),
    (10, "SIM not inserted"),
    (11, "SIM PIN required"),
    (12, "SIM PUK required"),
    (13, "SIM failure"),
    (14, "SIM busy"),
    (16, "incorrect password"),
    (30, "no network service"),
    (50, "incorrect parameters"),
    (100, "unknown"),
];

/// `+CME ERROR` codes of the GNSS commands (`AT+QGPS`, `AT+QGPSEND`, `AT+QGPSLOC`), from the
/// maker's GNSS manual's error table.
pub const CME_GNSS: &[(u16, &str)] = &[
    (501, "Invalid parameter"),
    (502, "Operation not supported"),
    (503, "GNSS subsystem busy"),
    (504, "Session is ongoing"),
    (505, "Session not active"),
    (506, "Operation timeout"),
    (507, "Function not enabled"),
    (508, "Time information error"),
    (509, "XTRA not enabled"),
    (512, "Validity time is out of range"),
    (513, "Internal resource error"),
    (514, "GNSS locked"),
    (515, "End by E911"),
    (516, "Not fixed now"),
    (549, "Unknown error"),
];

/// GNSS codes by name, for the handlers.
pub mod gnss {
    pub const INVALID_PARAM: u16 = 501;
    pub const NOT_SUPPORTED: u16 = 502;
    pub const SESSION_ONGOING: u16 = 504;
    pub const SESSION_NOT_ACTIVE: u16 = 505;
    pub const NOT_FIXED: u16 = 516;
}

/// Verbose text for a `+CME ERROR` code (AT+CMEE=2).
pub fn cme_text(code: u16) -> &'static str {
    lookup(CME_GENERAL, code)
        .or_else(|| crate::files::file_error_text(code))
        .or_else(|| crate::http::error_text(code))
        .or_else(|| lookup(CME_GNSS, code))
        .unwrap_or("unknown")
}

/// `+CMS ERROR` codes of the SMS commands (3GPP TS 27.005 §3.2.5, the maker's CMS table),
/// with their AT+CMEE=2 texts.
pub const CMS: &[(u16, &str)] = &[
    (300, "ME failure"),
    (301, "SMS ME reserved"),
    (302, "Operation not allowed"),
    (303, "Operation not supported"),
    (304, "Invalid PDU mode"),
    (305, "Invalid text mode"),
    (310, "SIM not inserted"),
    (311, "SIM pin necessary"),
    (312, "PH SIM pin necessary"),
    (313, "SIM failure"),
    (314, "SIM busy"),
    (315, "SIM wrong"),
    (316, "SIM PUK required"),
    (317, "SIM PIN2 required"),
    (318, "SIM PUK2 required"),
    (320, "Memory failure"),
    (321, "Invalid memory index"),
    (322, "Memory full"),
    (330, "SMSC address unknown"),
    (331, "No network"),
    (332, "Network timeout"),
    (500, "Unknown"),
];

/// Verbose text for a `+CMS ERROR` code (AT+CMEE=2).
pub fn cms_text(code: u16) -> &'static str {
    lookup(CMS, code).unwrap_or("Unknown")
}

/// The module's verbose error texts, for [`qsslsim_at::Framing::result`].
pub const ERROR_TEXTS: qsslsim_at::ErrorTexts = qsslsim_at::ErrorTexts { cme: cme_text, cms: cms_text };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_covers_zero_and_550_to_574_in_order() {
        let codes: Vec<u16> = ErrorCode::ALL.iter().map(|c| c.number()).collect();
        let mut want = vec![0];
        want.extend(550..=574);
        assert_eq!(codes, want);
        assert_eq!(ErrorCode::Ok.text(), "operate successfully");
        assert_eq!(ErrorCode::CancelSend.text(), "cancel send");
        assert_eq!(ErrorCode::from_number(574), Some(ErrorCode::PortBusy));
        assert_eq!(ErrorCode::from_number(549), None);
    }

    #[test]
    fn every_failure_kind_has_a_code() {
        assert_eq!(OpenFailure::DnsFailed.code().number(), 565);
        assert_eq!(OpenFailure::HandshakeFailed.code().number(), 566);
        assert_eq!(OpenFailure::HandshakeTimeout.code().number(), 569);
        assert_eq!(OpenFailure::IdInUse.code().number(), 563);
        assert_eq!(OpenFailure::NotSupported.code().number(), 555);
    }
}
