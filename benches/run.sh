#!/usr/bin/env bash
# Runs every subject on every workload of capstan-bench, alternating subjects within each
# workload, and prints the JSON lines and then a markdown table of Capstan's ratio against
# each peer and against the raw-TCP floor.
#
#   benches/run.sh                  # everything, defaults of the issue
#   ROUNDS=3 benches/run.sh         # each pair 3 times (the median is tabled)
#   WORKLOADS="latency throughput" SUBJECTS="capstan-tcp-msgpack raw-tcp" benches/run.sh
#   OUT=results.jsonl benches/run.sh
#
# Installs the schema compilers first when it can (root and apt-get present).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
crate="$here/capstan-bench"

if ! command -v capnp >/dev/null || ! command -v protoc >/dev/null || [ ! -e /usr/include/capnp/stream.capnp ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq capnproto libcapnp-dev protobuf-compiler
    else
        echo "need capnp (with its standard schemas) and protoc: apt-get install capnproto libcapnp-dev protobuf-compiler" >&2
        exit 1
    fi
fi

(cd "$crate" && cargo build --release --quiet)
bin="$crate/target/release/capstan-bench"

SUBJECTS="${SUBJECTS:-capstan-tcp-msgpack capstan-ws-json raw-tcp tarpc-bincode tonic capnp-rpc}"
WORKLOADS="${WORKLOADS:-latency throughput payload stream stream_bidi pipeline callback connections}"
ROUNDS="${ROUNDS:-1}"
OUT="${OUT:-$(mktemp /tmp/capstan-bench.XXXXXX.jsonl)}"
: > "$OUT"
# 1,000 connections need 2,000+ descriptors in one process.
ulimit -n 8192 2>/dev/null || true

for workload in $WORKLOADS; do
    for round in $(seq "$ROUNDS"); do
        # Alternate: every subject once per round, so drift hits them alike.
        for subject in $SUBJECTS; do
            # Each run bounds itself (180 s); this is a second guard.
            line="$(timeout 240 "$bin" "$subject" "$workload" 2>/dev/null || true)"
            if [ -z "$line" ]; then
                line="{\"lib\":\"$subject\",\"workload\":\"$workload\",\"status\":\"error\",\"reason\":\"no output (crashed or killed)\"}"
            fi
            echo "$line" | tee -a "$OUT"
        done
    done
done

echo
python3 "$here/table.py" "$OUT"
echo
echo "raw results: $OUT"
