#!/usr/bin/env bash
# Smoke-fuzzes every target for ${FUZZ_SECONDS:-30} seconds, starting from the checked-in seed
# corpus (copied to a temporary directory, so the repository is not modified). Fails if any
# target crashes, hangs or runs out of memory; the crashing input is kept in
# fuzz/artifacts/TARGET/ (git-ignored) and printed in base64.
#
#   bash fuzz/smoke.sh                      # 3 x 30 s, plus the build
#   FUZZ_SECONDS=300 bash fuzz/smoke.sh     # longer
#   FUZZ_TARGETS="session" bash fuzz/smoke.sh
set -euo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-30}"
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
    echo "== fuzzing $target for $seconds s"
    mkdir -p "$work/$target" "artifacts/$target"
    cp corpus/"$target"/* "$work/$target/"
    log="$work/$target.log"
    if cargo fuzz run "$target" "$work/$target" -- \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -detect_leaks="$detect_leaks" \
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
