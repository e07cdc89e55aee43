//! The module's two drives, `UFS:` (user file system) and `RAM:`, held in memory.
//!
//! Owns file names (parsing and validation), the size and count limits, and the operations the
//! file commands need: create (upload), put (preload, replaces), read, delete, list and free
//! space. Errors are the maker's file error codes (see [`super::code`]).
//!
//! File names are case-sensitive; the drive prefix is not (`ufs:a` and `UFS:a` are the same
//! file, `a` and `A` are not). A name without a prefix lives on `UFS:`.

use std::collections::BTreeMap;

use super::code;

/// Largest single file, in bytes. A bigger upload is refused with 423.
pub const MAX_FILE_SIZE: usize = 256 * 1024;
/// Total bytes the `UFS:` drive holds.
pub const UFS_CAPACITY: usize = 1024 * 1024;
/// Total bytes the `RAM:` drive holds.
pub const RAM_CAPACITY: usize = 512 * 1024;
/// Most files one drive holds; one more is refused with 403.
pub const MAX_FILES_PER_DRIVE: usize = 64;
/// Longest file name, in characters, not counting the drive prefix.
pub const MAX_NAME_LEN: usize = 80;

/// One of the module's drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Drive {
    /// `UFS:`, the default drive for names without a prefix.
    Ufs,
    /// `RAM:`.
    Ram,
}

impl Drive {
    /// Both drives, in listing order.
    pub const ALL: [Drive; 2] = [Drive::Ufs, Drive::Ram];

    /// The prefix as the module prints it, without the colon (`"UFS"`, `"RAM"`).
    pub const fn prefix(self) -> &'static str {
        match self {
            Drive::Ufs => "UFS",
            Drive::Ram => "RAM",
        }
    }

    /// Total bytes the drive holds.
    pub const fn capacity(self) -> usize {
        match self {
            Drive::Ufs => UFS_CAPACITY,
            Drive::Ram => RAM_CAPACITY,
        }
    }

    /// The drive whose prefix is `prefix` (any case), if any.
    fn from_prefix(prefix: &str) -> Option<Drive> {
        Drive::ALL.into_iter().find(|d| d.prefix().eq_ignore_ascii_case(prefix))
    }

    fn index(self) -> usize {
        match self {
            Drive::Ufs => 0,
            Drive::Ram => 1,
        }
    }
}

/// Splits an optional drive prefix off `text`: `Some((drive, rest))` if it starts with
/// `UFS:` or `RAM:` (any case), otherwise `(Ufs, text)` unless the text has some other
/// `xxx:` prefix, which is `None`.
fn split_drive(text: &str) -> Option<(Drive, &str)> {
    match text.split_once(':') {
        Some((prefix, rest)) => Drive::from_prefix(prefix).map(|d| (d, rest)),
        None => Some((Drive::Ufs, text)),
    }
}

/// Whether `c` may appear in a file name (after the drive prefix).
fn name_char_ok(c: char) -> bool {
    !c.is_control() && !matches!(c, '/' | '\\' | ':' | '*' | '?' | '"')
}

/// Parses a file name as the commands take it: `UFS:x`, `RAM:x` (prefix in any case) or a bare
/// `x` (on `UFS:`). Returns the drive and the name without its prefix.
///
/// Refused with 406 (invalid file name): an empty name, one longer than [`MAX_NAME_LEN`]
/// characters, an unknown prefix, or a name containing `/`, `\`, `:`, `*`, `?`, `"` or a
/// control character.
pub fn parse_name(name: &str) -> Result<(Drive, String), u16> {
    let (drive, bare) = split_drive(name).ok_or(code::INVALID_NAME)?;
    if bare.is_empty() || bare.chars().count() > MAX_NAME_LEN || !bare.chars().all(name_char_ok) {
        return Err(code::INVALID_NAME);
    }
    Ok((drive, bare.to_owned()))
}

/// Whether `text` matches `pattern`, where `*` in the pattern stands for any run of characters
/// (possibly empty) and every other character stands for itself.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Position of the last `*` seen, and where in the text it started matching.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            // Let the last `*` swallow one more character and retry.
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Both drives' files, name (without prefix) to contents.
#[derive(Debug, Clone, Default)]
pub struct FileStore {
    drives: [BTreeMap<String, Vec<u8>>; 2],
}

impl FileStore {
    /// Empty drives.
    pub fn new() -> Self {
        Self::default()
    }

    fn files(&self, drive: Drive) -> &BTreeMap<String, Vec<u8>> {
        &self.drives[drive.index()]
    }

    fn files_mut(&mut self, drive: Drive) -> &mut BTreeMap<String, Vec<u8>> {
        &mut self.drives[drive.index()]
    }

    /// Bytes used on `drive`.
    fn used(&self, drive: Drive) -> usize {
        self.files(drive).values().map(Vec::len).sum()
    }

    /// `(free, total)` bytes of `drive`.
    pub fn space(&self, drive: Drive) -> (usize, usize) {
        let total = drive.capacity();
        (total.saturating_sub(self.used(drive)), total)
    }

    /// Number of files on `drive`.
    pub fn file_count(&self, drive: Drive) -> usize {
        self.files(drive).len()
    }

    /// Whether a new file of `size` bytes fits on `drive`: 423 (file too large) if it exceeds
    /// [`MAX_FILE_SIZE`] or the drive's whole capacity, 403 (drive full) if the drive already
    /// holds [`MAX_FILES_PER_DRIVE`] files or has fewer than `size` bytes free.
    pub fn can_fit(&self, drive: Drive, size: usize) -> Result<(), u16> {
        self.can_fit_replacing(drive, size, None)
    }

    /// [`FileStore::can_fit`], counting the space and the slot of file `replacing` as free.
    fn can_fit_replacing(&self, drive: Drive, size: usize, replacing: Option<&str>) -> Result<(), u16> {
        if size > MAX_FILE_SIZE || size > drive.capacity() {
            return Err(code::FILE_TOO_LARGE);
        }
        let old = replacing.and_then(|n| self.files(drive).get(n));
        let count = self.file_count(drive) - usize::from(old.is_some());
        let free = self.space(drive).0 + old.map_or(0, Vec::len);
        if count >= MAX_FILES_PER_DRIVE || size > free {
            return Err(code::DRIVE_FULL);
        }
        Ok(())
    }

    /// Everything `AT+QFUPL` checks before it answers `CONNECT`: the name is valid (406), no
    /// file of that name exists (407) and `size` bytes fit ([`FileStore::can_fit`]).
    /// Returns the parsed name.
    pub fn check_upload(&self, name: &str, size: usize) -> Result<(Drive, String), u16> {
        let (drive, bare) = parse_name(name)?;
        if self.files(drive).contains_key(&bare) {
            return Err(code::ALREADY_EXISTS);
        }
        self.can_fit(drive, size)?;
        Ok((drive, bare))
    }

    /// Whether file `name` exists (false for an invalid name).
    pub fn exists(&self, name: &str) -> bool {
        parse_name(name).is_ok_and(|(drive, bare)| self.files(drive).contains_key(&bare))
    }

    /// The contents of file `name`: 406 for an invalid name, 405 if there is no such file.
    pub fn read(&self, name: &str) -> Result<&[u8], u16> {
        let (drive, bare) = parse_name(name)?;
        self.files(drive).get(&bare).map(Vec::as_slice).ok_or(code::NOT_FOUND)
    }

    /// A copy of file `name`'s contents, or `None` if it is missing or the name is invalid.
    pub fn read_file(&self, name: &str) -> Option<Vec<u8>> {
        self.read(name).ok().map(<[u8]>::to_vec)
    }

    /// Creates file `name`, as an upload does: 407 if it already exists, otherwise the
    /// checks of [`FileStore::check_upload`].
    pub fn create(&mut self, name: &str, data: Vec<u8>) -> Result<(), u16> {
        let (drive, bare) = self.check_upload(name, data.len())?;
        self.files_mut(drive).insert(bare, data);
        Ok(())
    }

    /// Stores file `name`, replacing any file of that name (for preloading certificates).
    /// The size limits still apply, with the replaced file's space counted as free.
    pub fn put(&mut self, name: &str, data: Vec<u8>) -> Result<(), u16> {
        let (drive, bare) = parse_name(name)?;
        self.can_fit_replacing(drive, data.len(), Some(&bare))?;
        self.files_mut(drive).insert(bare, data);
        Ok(())
    }

    /// Deletes file `name` and returns how many files went. `"*"` (or `"UFS:*"`) empties
    /// `UFS:` and `"RAM:*"` empties `RAM:`, succeeding even when the drive is already empty.
    /// Otherwise: 406 for an invalid name, 405 if there is no such file.
    pub fn delete(&mut self, name: &str) -> Result<usize, u16> {
        if let Some((drive, "*")) = split_drive(name) {
            let files = self.files_mut(drive);
            let n = files.len();
            files.clear();
            return Ok(n);
        }
        let (drive, bare) = parse_name(name)?;
        match self.files_mut(drive).remove(&bare) {
            Some(_) => Ok(1),
            None => Err(code::NOT_FOUND),
        }
    }

    /// The files matching `pattern`, as `("UFS:name", size)` in name order.
    ///
    /// The pattern is an optional drive prefix (none means `UFS:`) and a name in which `*`
    /// matches any run of characters: `"*"` lists all of `UFS:`, `"RAM:*"` all of `RAM:`,
    /// `"*.pem"` the `.pem` files on `UFS:`, and a plain name that one file. A pattern that
    /// cannot match anything (unknown prefix, forbidden characters) gives an empty list.
    pub fn list(&self, pattern: &str) -> Vec<(String, usize)> {
        let Some((drive, name_pattern)) = split_drive(pattern) else {
            return Vec::new();
        };
        if name_pattern.is_empty() || !name_pattern.chars().all(|c| c == '*' || name_char_ok(c)) {
            return Vec::new();
        }
        self.files(drive)
            .iter()
            .filter(|(name, _)| wildcard_match(name_pattern, name))
            .map(|(name, data)| (format!("{}:{}", drive.prefix(), name), data.len()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize) -> Vec<u8> {
        vec![0x5a; n]
    }

    #[test]
    fn parse_name_drives_and_prefix_case() {
        assert_eq!(parse_name("cacert.pem"), Ok((Drive::Ufs, "cacert.pem".into())));
        assert_eq!(parse_name("UFS:cacert.pem"), Ok((Drive::Ufs, "cacert.pem".into())));
        assert_eq!(parse_name("ufs:a"), Ok((Drive::Ufs, "a".into())));
        assert_eq!(parse_name("RAM:cacert.pem"), Ok((Drive::Ram, "cacert.pem".into())));
        assert_eq!(parse_name("rAm:x y-z_1.der"), Ok((Drive::Ram, "x y-z_1.der".into())));
    }

    #[test]
    fn parse_name_rejects_bad_names_with_406() {
        let too_long = "a".repeat(MAX_NAME_LEN + 1);
        let longest = "a".repeat(MAX_NAME_LEN);
        for bad in [
            "",
            "UFS:",
            "RAM:",
            "SD:a",
            "a:b",
            "UFS:a:b",
            "dir/a",
            "dir\\a",
            "a*",
            "*",
            "a?",
            "a\"b",
            "a\nb",
            "a\rb",
            "a\0",
            too_long.as_str(),
        ] {
            assert_eq!(parse_name(bad), Err(406), "{bad:?}");
        }
        assert!(parse_name(&longest).is_ok());
        assert!(parse_name(&format!("RAM:{longest}")).is_ok());
        // Length is counted in characters, not bytes.
        assert!(parse_name(&"é".repeat(MAX_NAME_LEN)).is_ok());
    }

    #[test]
    fn create_read_and_407_on_existing() {
        let mut fs = FileStore::new();
        fs.create("cacert.pem", b"CERT".to_vec()).unwrap();
        assert_eq!(fs.read("cacert.pem"), Ok(&b"CERT"[..]));
        assert_eq!(fs.read("UFS:cacert.pem"), Ok(&b"CERT"[..]));
        assert_eq!(fs.read("ufs:cacert.pem"), Ok(&b"CERT"[..]));
        assert_eq!(fs.read("RAM:cacert.pem"), Err(405));
        assert_eq!(fs.read("CACERT.PEM"), Err(405));
        assert_eq!(fs.read("bad/name"), Err(406));
        assert_eq!(fs.create("UFS:cacert.pem", b"X".to_vec()), Err(407));
        assert_eq!(fs.read_file("cacert.pem"), Some(b"CERT".to_vec()));
        assert_eq!(fs.read_file("nope"), None);
        assert!(fs.exists("cacert.pem"));
        assert!(!fs.exists("RAM:cacert.pem"));
        // The same name on the other drive is a different file.
        fs.create("RAM:cacert.pem", b"R".to_vec()).unwrap();
        assert_eq!(fs.read("RAM:cacert.pem"), Ok(&b"R"[..]));
        assert_eq!(fs.read("cacert.pem"), Ok(&b"CERT"[..]));
    }

    #[test]
    fn put_replaces() {
        let mut fs = FileStore::new();
        fs.put("a", b"one".to_vec()).unwrap();
        fs.put("UFS:a", b"two!".to_vec()).unwrap();
        assert_eq!(fs.read("a"), Ok(&b"two!"[..]));
        assert_eq!(fs.file_count(Drive::Ufs), 1);
        assert_eq!(fs.put("", Vec::new()), Err(406));
    }

    #[test]
    fn delete_single_and_all() {
        let mut fs = FileStore::new();
        for n in ["a", "b", "RAM:c", "RAM:d"] {
            fs.put(n, bytes(3)).unwrap();
        }
        assert_eq!(fs.delete("a"), Ok(1));
        assert_eq!(fs.delete("a"), Err(405));
        assert_eq!(fs.delete("RAM:b"), Err(405));
        assert_eq!(fs.delete("x/y"), Err(406));
        assert_eq!(fs.delete("*"), Ok(1));
        assert_eq!(fs.file_count(Drive::Ufs), 0);
        assert_eq!(fs.file_count(Drive::Ram), 2);
        assert_eq!(fs.delete("*"), Ok(0));
        assert_eq!(fs.delete("ram:*"), Ok(2));
        assert_eq!(fs.file_count(Drive::Ram), 0);
        fs.put("z", bytes(1)).unwrap();
        assert_eq!(fs.delete("UFS:*"), Ok(1));
    }

    #[test]
    fn list_patterns() {
        let mut fs = FileStore::new();
        fs.put("cacert.pem", bytes(1939)).unwrap();
        fs.put("client.pem", bytes(10)).unwrap();
        fs.put("user_key.der", bytes(5)).unwrap();
        fs.put("RAM:cacert.pem", bytes(7)).unwrap();

        assert_eq!(
            fs.list("*"),
            vec![
                ("UFS:cacert.pem".to_owned(), 1939),
                ("UFS:client.pem".to_owned(), 10),
                ("UFS:user_key.der".to_owned(), 5),
            ]
        );
        assert_eq!(fs.list("UFS:*"), fs.list("*"));
        assert_eq!(fs.list("RAM:*"), vec![("RAM:cacert.pem".to_owned(), 7)]);
        assert_eq!(fs.list("cacert.pem"), vec![("UFS:cacert.pem".to_owned(), 1939)]);
        assert_eq!(fs.list("RAM:cacert.pem"), vec![("RAM:cacert.pem".to_owned(), 7)]);
        let pems: Vec<String> = fs.list("*.pem").into_iter().map(|(n, _)| n).collect();
        assert_eq!(pems, ["UFS:cacert.pem", "UFS:client.pem"]);
        let c: Vec<String> = fs.list("c*t*").into_iter().map(|(n, _)| n).collect();
        assert_eq!(c, ["UFS:cacert.pem", "UFS:client.pem"]);
        assert!(fs.list("missing").is_empty());
        assert!(fs.list("SD:*").is_empty());
        assert!(fs.list("").is_empty());
        assert!(fs.list("a/b*").is_empty());
        assert!(FileStore::new().list("*").is_empty());
    }

    #[test]
    fn wildcard_matching() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*", "abc"));
        assert!(wildcard_match("a*", "a"));
        assert!(wildcard_match("*c", "abc"));
        assert!(wildcard_match("a*c", "abbbc"));
        assert!(wildcard_match("a**c", "ac"));
        assert!(wildcard_match("*a*a*", "banana"));
        assert!(wildcard_match("abc", "abc"));
        assert!(!wildcard_match("abc", "abcd"));
        assert!(!wildcard_match("a*c", "abcd"));
        assert!(!wildcard_match("*x*", "banana"));
        assert!(!wildcard_match("", "a"));
    }

    #[test]
    fn space_accounting() {
        let mut fs = FileStore::new();
        assert_eq!(fs.space(Drive::Ufs), (UFS_CAPACITY, UFS_CAPACITY));
        assert_eq!(fs.space(Drive::Ram), (RAM_CAPACITY, RAM_CAPACITY));
        fs.put("a", bytes(100)).unwrap();
        fs.put("RAM:b", bytes(30)).unwrap();
        assert_eq!(fs.space(Drive::Ufs), (UFS_CAPACITY - 100, UFS_CAPACITY));
        assert_eq!(fs.space(Drive::Ram), (RAM_CAPACITY - 30, RAM_CAPACITY));
        fs.delete("a").unwrap();
        assert_eq!(fs.space(Drive::Ufs).0, UFS_CAPACITY);
    }

    #[test]
    fn size_limits_423_and_403() {
        let mut fs = FileStore::new();
        assert_eq!(fs.can_fit(Drive::Ufs, MAX_FILE_SIZE), Ok(()));
        assert_eq!(fs.can_fit(Drive::Ufs, MAX_FILE_SIZE + 1), Err(423));
        assert_eq!(fs.can_fit(Drive::Ram, 0), Ok(()));
        assert_eq!(fs.create("big", bytes(MAX_FILE_SIZE + 1)), Err(423));

        // Fill RAM: to within 10 bytes of its capacity.
        let mut left = RAM_CAPACITY - 10;
        let mut i = 0;
        while left > 0 {
            let n = left.min(MAX_FILE_SIZE);
            fs.put(&format!("RAM:f{i}"), bytes(n)).unwrap();
            left -= n;
            i += 1;
        }
        assert_eq!(fs.space(Drive::Ram).0, 10);
        assert_eq!(fs.can_fit(Drive::Ram, 10), Ok(()));
        assert_eq!(fs.can_fit(Drive::Ram, 11), Err(403));
        assert_eq!(fs.create("RAM:g", bytes(11)), Err(403));
        // UFS: is unaffected.
        assert_eq!(fs.can_fit(Drive::Ufs, 11), Ok(()));
        // Replacing a file may reuse its own space.
        fs.put("RAM:f0", bytes(MAX_FILE_SIZE)).unwrap();
        assert_eq!(fs.put("RAM:f0", bytes(11)), Ok(()));
    }

    #[test]
    fn file_count_limit_403() {
        let mut fs = FileStore::new();
        for i in 0..MAX_FILES_PER_DRIVE {
            fs.create(&format!("f{i}"), bytes(1)).unwrap();
        }
        assert_eq!(fs.can_fit(Drive::Ufs, 1), Err(403));
        assert_eq!(fs.create("one-more", bytes(1)), Err(403));
        // Existing name is still 407, checked first.
        assert_eq!(fs.create("f0", bytes(1)), Err(407));
        // Replacing does not need a new slot.
        assert_eq!(fs.put("f0", bytes(2)), Ok(()));
        assert_eq!(fs.put("new", bytes(2)), Err(403));
        assert_eq!(fs.can_fit(Drive::Ram, 1), Ok(()));
    }

    #[test]
    fn check_upload_order() {
        let mut fs = FileStore::new();
        fs.put("a", bytes(1)).unwrap();
        assert_eq!(fs.check_upload("a*", 1), Err(406));
        assert_eq!(fs.check_upload("a", MAX_FILE_SIZE + 1), Err(407));
        assert_eq!(fs.check_upload("b", MAX_FILE_SIZE + 1), Err(423));
        assert_eq!(fs.check_upload("RAM:a", 10240), Ok((Drive::Ram, "a".into())));
    }
}
