//! The `at_parser` fuzz target's checks (fuzz/harness/at.rs, included below) on stable: the
//! seed corpus and the inputs worth keeping. The fuzzer has found no crash in this crate yet;
//! a crash input found later goes here as its own #[test].

#[path = "../../../fuzz/harness/at.rs"]
mod at_harness;

use std::path::Path;

#[test]
fn at_seed_corpus_replays_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/at_parser");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        at_harness::run(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 10, "{n} seeds in {}", dir.display());
}

/// Edge cases of the byte rules the harness models: S3 = S5, NUL as S3 or S5, LF as S3,
/// `A/` after backspaces, a line exactly at and one over the limit, invalid UTF-8.
#[test]
fn byte_rule_edges() {
    at_harness::run(b"\r\r\xffAT\rA/");
    at_harness::run(b"\0\x08\xffAT\0\0\nA\0/");
    at_harness::run(b"\r\0\xaaAT\0X\0\r");
    at_harness::run(b"\n\x08\x0fAT\n\nAX\x08/");
    let mut at_limit = b"\r\x08\xff".to_vec();
    at_limit.extend(vec![b'X'; qsslsim_at::MAX_LINE_LEN]);
    at_limit.extend(b"\r\xff\xfe\r");
    at_harness::run(&at_limit);
    let mut over = b"\r\x08\x55".to_vec();
    over.extend(vec![b'A'; qsslsim_at::MAX_LINE_LEN + 1]);
    over.extend(b"\x08\x08/\r\nA/");
    at_harness::run(&over);
}
