#!/usr/bin/env bash
# Smoke-fuzzes every target from the checked-in corpus, the seeds in corpus/ and earlier runs'
# finds in found/ (copied to a temporary directory, so the repository is not modified). Fails if any target crashes, hangs or runs out of memory; the
# crashing input is kept in fuzz/artifacts/TARGET/ (git-ignored) and printed in base64.
#
# By default the run is reproducible, as CI needs: every corpus input, then a fixed number of
# mutations from a fixed seed, so the same commit passes or fails the same way every time (a
# timed run explores a different path on every machine). Set FUZZ_SECONDS for an open-ended
# search with a random seed.
#
#   bash fuzz/smoke.sh                      # fixed seed, FUZZ_RUNS mutations per target (CI)
#   FUZZ_RUNS=2000000 bash fuzz/smoke.sh    # more mutations, still reproducible
#   FUZZ_SECONDS=300 bash fuzz/smoke.sh     # 5 minutes per target, random seed
#   FUZZ_TARGETS="session" bash fuzz/smoke.sh
set -euo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-}"
seed="${FUZZ_SEED:-1}"
read -r -a targets <<<"${FUZZ_TARGETS:-json_decode msgpack_decode session}"

# cargo-fuzz needs nightly-only rustc flags (sanitizers); the stable toolchain allows them with
# RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1
# Known bugs leak memory past the session's end (promise cycles, a reused promise ID, a pipe
# holding its own reader); see fuzz/README.md and rpc-core/tests/fuzz_regressions.rs. Until they
# are fixed, the session target does not send the frames that trigger them (avoid-known); every
# other leak still fails the run, through the target's own checks and LeakSanitizer.
# CAPSTAN_FUZZ_LEAKS=fail sends them anyway; =ignore checks no leaks at all.
export CAPSTAN_FUZZ_LEAKS="${CAPSTAN_FUZZ_LEAKS:-fail}"
detect_leaks=1
if [ "$CAPSTAN_FUZZ_LEAKS" = "ignore" ]; then
    detect_leaks=0
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

echo "== building the fuzz targets"
start=$(date +%s)
cargo fuzz build
echo "built in $(($(date +%s) - start)) s"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
for target in "${targets[@]}"; do
    if [ -n "$seconds" ]; then
        budget=(-max_total_time="$seconds")
        echo "== fuzzing $target for $seconds s"
    else
        # The session target runs a whole session per input, about 20 times slower than a
        # decode; both budgets take 10-20 s here.
        runs="${FUZZ_RUNS:-$([ "$target" = session ] && echo 40000 || echo 400000)}"
        budget=(-seed="$seed" -runs="$runs")
        echo "== fuzzing $target: the corpus, then $runs runs from seed $seed"
    fi
    mkdir -p "$work/$target" "artifacts/$target"
    # The seeds made from capnweb's frames, and what earlier fuzzing runs found (kept apart:
    # make-corpus.sh regenerates the seeds and would drop anything else in their folder).
    cp corpus/"$target"/* "$work/$target/"
    if [ -d found/"$target" ]; then
        cp found/"$target"/* "$work/$target/"
    fi
    log="$work/$target.log"
    if cargo fuzz run "$target" "$work/$target" -- \
        "${budget[@]}" -timeout=20 -rss_limit_mb=2048 -detect_leaks="$detect_leaks" \
        -print_final_stats=1 \
        >"$log" 2>&1; then
        grep -E '^#[0-9]+[[:space:]]+DONE' "$log" || tail -n 3 "$log"
        passed=$((passed + 1))
    else
        echo "!! $target failed:"
        grep -E -A 12 'panicked at|ERROR: libFuzzer|Test unit written|Base64:' "$log" | head -n 60 || true
        tail -n 20 "$log"
        failed=$((failed + 1))
    fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
