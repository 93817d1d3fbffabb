#!/usr/bin/env bash
# Runs each settle-formats fuzz target for a number of seconds (default 60), or only the targets
# named after the seconds: `scripts/fuzz.sh 300 bai2 mt940`.
#
# cargo-fuzz needs a nightly toolchain (`rustup toolchain install nightly`) and the cargo-fuzz
# command (`cargo install cargo-fuzz`). New inputs the fuzzer finds go to a scratch corpus under
# the fuzz project's target directory; the committed seed corpora are only read. A crash is
# written to crates/settle-formats/fuzz/artifacts/<target>/: add the fix and copy the input into
# crates/settle-formats/fuzz/corpus/<target>/ so that tests/fuzz_corpus.rs replays it on stable.
set -euo pipefail
cd "$(dirname "$0")/../crates/settle-formats/fuzz"

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(bai2 mt940 csv detect camt nacha x12)
fi

for target in "${targets[@]}"; do
  scratch="target/scratch-corpus/$target"
  mkdir -p "$scratch" "artifacts/$target"
  echo "== fuzzing $target for ${seconds}s"
  cargo +nightly fuzz run "$target" "$scratch" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1
done
