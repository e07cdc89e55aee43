//! The `ppp` fuzz target's seeds (fuzz/corpus/ppp) and whatever it finds, replayed on stable
//! through the very harness code the target runs (fuzz/harness/ppp.rs).

#[path = "../../../fuzz/harness/ppp.rs"]
mod ppp_harness;

#[test]
fn ppp_seed_corpus_replays_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/ppp");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        ppp_harness::run(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n > 0, "no seeds in {}", dir.display());
}
