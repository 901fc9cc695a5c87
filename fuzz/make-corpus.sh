#!/usr/bin/env bash
# Regenerates the seed corpus in fuzz/corpus/ from rpc-core/tests/data/ (the recorded capnweb
# frames and serialize vectors). The generator is an ignored test in rpc-core/tests/fuzz_corpus.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -p rpc-core --test fuzz_corpus -- --ignored --exact write_fuzz_seed_corpus --nocapture
