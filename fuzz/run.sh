#!/usr/bin/env bash
# Run every fuzz target for a bounded time, one after the other (never two at once), and print
# per-target executions and crashes. `make fuzz` calls this.
#
#   bash fuzz/run.sh                       # 60 s per target
#   FUZZ_SECONDS=300 bash fuzz/run.sh      # longer
#   FUZZ_TARGETS="modem" bash fuzz/run.sh  # some targets only
#   FUZZ_SANITIZER=none bash fuzz/run.sh   # without AddressSanitizer
#
# AddressSanitizer needs nightly-only compiler flags (-Zsanitizer, and cargo-fuzz's sancov
# passes need them too). When a nightly toolchain is installed (`rustup toolchain install
# nightly`), the targets build and run with it under AddressSanitizer. Without one, the script
# says so and skips the sanitizer: the targets still run (coverage-guided, with debug
# assertions and overflow checks), built by the stable toolchain with RUSTC_BOOTSTRAP=1, set
# only for this script's cargo. FUZZ_SANITIZER overrides the choice either way.
# Seeds come from fuzz/corpus/<target> (checked in, small) and are only read; what libFuzzer
# finds goes to fuzz/target/corpus/<target> (ignored by git), crashes to
# fuzz/artifacts/<target>/. A target stops at its first crash. Exit status 1 if any crashed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-"at_parser modem scenario control_request mux ppp"}

if cargo +nightly --version >/dev/null 2>&1; then
    TOOLCHAIN=(+nightly)
    SANITIZER=${FUZZ_SANITIZER:-address}
    echo "nightly toolchain found ($(cargo +nightly --version)): sanitizer $SANITIZER"
else
    TOOLCHAIN=()
    export RUSTC_BOOTSTRAP=1
    SANITIZER=${FUZZ_SANITIZER:-none}
    if [ "$SANITIZER" = none ]; then
        echo "no nightly toolchain (rustup toolchain install nightly): AddressSanitizer skipped;"
        echo "fuzzing on stable with RUSTC_BOOTSTRAP=1 and debug assertions only"
    fi
fi
fuzz() { cargo "${TOOLCHAIN[@]}" fuzz "$@"; }

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked || { echo "cargo-fuzz could not be installed" >&2; exit 2; }
fi

dict_for() {
    case "$1" in
        at_parser | modem | mux) echo dict/at.dict ;;
        scenario) echo dict/scenario.dict ;;
        control_request) echo dict/control.dict ;;
    esac
}

echo "building fuzz targets (sanitizer: $SANITIZER)"
fuzz build --sanitizer "$SANITIZER" || exit 2

mkdir -p target/logs
summary=()
failed=0
for t in $TARGETS; do
    work="target/corpus/$t"
    mkdir -p "$work" "artifacts/$t"
    log="target/logs/$t.log"
    before=$(find "artifacts/$t" -type f | wc -l)
    echo "== $t: ${SECONDS_EACH}s (log: fuzz/$log)"
    start=$SECONDS
    dict=$(dict_for "$t")
    fuzz run --sanitizer "$SANITIZER" "$t" "$work" "corpus/$t" -- \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        ${dict:+-dict="$dict"} -print_final_stats=1 >"$log" 2>&1
    status=$?
    took=$((SECONDS - start))
    after=$(find "artifacts/$t" -type f | wc -l)
    crashes=$((after - before))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    corpus=$(find "$work" -type f | wc -l)
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        echo "   $t: libFuzzer exited with $status without an artifact; see fuzz/$log"
        crashes="?"
    fi
    if [ "$crashes" != 0 ]; then
        failed=1
        grep -E "panicked at|^SUMMARY|Test unit written to" "$log" | head -5 | sed 's/^/   /'
    fi
    summary+=("$(printf '%-16s %8s %12s %8s %6s %7s %8s' "$t" "${took}s" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$corpus" "$crashes")")
done

echo
printf '%-16s %8s %12s %8s %6s %7s %8s\n' target time executions exec/s cov corpus crashes
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "crash inputs are in fuzz/artifacts/<target>/; minimize with:"
    echo "  cargo ${TOOLCHAIN[*]:-} fuzz tmin <target> fuzz/artifacts/<target>/<file>   (from fuzz/; RUSTC_BOOTSTRAP=1 on stable)"
fi
exit "$failed"
