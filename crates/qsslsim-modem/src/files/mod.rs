//! The module's file system as the AT file commands see it (`AT+QFUPL`, `AT+QFLST`,
//! `AT+QFDEL`, `AT+QFDWL`): the two in-memory drives (`UFS:` and `RAM:`), the upload state
//! machine that collects a `CONNECT` data block, the 16-bit XOR checksum the module prints, and
//! the one table of `+CME ERROR` codes (400-series) that file operations report.
//!
//! Everything here is pure: no I/O, no async, no clock. Time enters only as `Instant` values
//! passed in by the caller, so the upload's guard times and inactivity timeout can be tested
//! with synthetic instants.

pub mod checksum;
pub mod store;
pub mod upload;

pub use checksum::{xor_checksum, XorChecksum};
pub use store::{Drive, FileStore};
pub use upload::{DataFor, Upload, UploadEnd};

/// Names for the file error codes, so handlers never write a bare number.
///
/// The numbers are the maker's (FILE application note); their texts live in [`FILE_ERRORS`].
pub mod code {
    /// Invalid input value.
    pub const INVALID_INPUT: u16 = 400;
    /// Larger than the size of the file.
    pub const LARGER_THAN_FILE: u16 = 401;
    /// Read zero byte.
    pub const READ_ZERO: u16 = 402;
    /// Drive full.
    pub const DRIVE_FULL: u16 = 403;
    /// File not found.
    pub const NOT_FOUND: u16 = 405;
    /// Invalid file name.
    pub const INVALID_NAME: u16 = 406;
    /// File already existed.
    pub const ALREADY_EXISTS: u16 = 407;
    /// Fail to write the file.
    pub const WRITE_FAILED: u16 = 409;
    /// Fail to open the file.
    pub const OPEN_FAILED: u16 = 410;
    /// Fail to read the file.
    pub const READ_FAILED: u16 = 411;
    /// Reach the max number of file allowed to be opened.
    pub const TOO_MANY_OPEN: u16 = 413;
    /// The file read only.
    pub const READ_ONLY: u16 = 414;
    /// Invalid file descriptor.
    pub const INVALID_DESCRIPTOR: u16 = 416;
    /// Fail to list the file.
    pub const LIST_FAILED: u16 = 417;
    /// Fail to delete the file.
    pub const DELETE_FAILED: u16 = 418;
    /// Fail to get disk info.
    pub const DISK_INFO_FAILED: u16 = 419;
    /// No space.
    pub const NO_SPACE: u16 = 420;
    /// Time out.
    pub const TIMEOUT: u16 = 421;
    /// File too large.
    pub const FILE_TOO_LARGE: u16 = 423;
    /// Invalid parameter.
    pub const INVALID_PARAMETER: u16 = 425;
    /// File already opened.
    pub const ALREADY_OPENED: u16 = 426;
}

/// Every file error code with the maker's text (used verbatim for `AT+CMEE=2`).
pub const FILE_ERRORS: &[(u16, &str)] = &[
    (code::INVALID_INPUT, "Invalid input value"),
    (code::LARGER_THAN_FILE, "Larger than the size of the file"),
    (code::READ_ZERO, "Read zero byte"),
    (code::DRIVE_FULL, "Drive full"),
    (code::NOT_FOUND, "File not found"),
    (code::INVALID_NAME, "Invalid file name"),
    (code::ALREADY_EXISTS, "File already existed"),
    (code::WRITE_FAILED, "Fail to write the file"),
    (code::OPEN_FAILED, "Fail to open the file"),
    (code::READ_FAILED, "Fail to read the file"),
    (code::TOO_MANY_OPEN, "Reach the max number of file allowed to be opened"),
    (code::READ_ONLY, "The file read only"),
    (code::INVALID_DESCRIPTOR, "Invalid file descriptor"),
    (code::LIST_FAILED, "Fail to list the file"),
    (code::DELETE_FAILED, "Fail to delete the file"),
    (code::DISK_INFO_FAILED, "Fail to get disk info"),
    (code::NO_SPACE, "No space"),
    (code::TIMEOUT, "Time out"),
    (code::FILE_TOO_LARGE, "File too large"),
    (code::INVALID_PARAMETER, "Invalid parameter"),
    (code::ALREADY_OPENED, "File already opened"),
];

/// The maker's text for a file error code, or `None` if the code is not a file error.
pub fn file_error_text(code: u16) -> Option<&'static str> {
    crate::errors::lookup(FILE_ERRORS, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_unique_sorted_400_series_codes() {
        for pair in FILE_ERRORS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for (c, text) in FILE_ERRORS {
            assert!((400..500).contains(c));
            assert!(!text.is_empty());
        }
        assert_eq!(FILE_ERRORS.len(), 21);
    }

    #[test]
    fn lookup_known_and_unknown() {
        assert_eq!(file_error_text(405), Some("File not found"));
        assert_eq!(file_error_text(code::ALREADY_EXISTS), Some("File already existed"));
        assert_eq!(file_error_text(423), Some("File too large"));
        assert_eq!(file_error_text(404), None);
        assert_eq!(file_error_text(0), None);
    }
}
