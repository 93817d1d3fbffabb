#!/usr/bin/env bash
# Runs every fuzz target of both fuzz projects for a number of seconds each (default 60), or only
# the targets named after the seconds: `scripts/fuzz.sh 300 bai2 invoices`.
#
#   crates/settle-formats/fuzz   bank and remittance files: bai2 mt940 csv detect camt nacha x12
#   crates/settle-service/fuzz   the user's other files: customers invoices gl calendar
#                                dunning_policy bounce backup
#
# cargo-fuzz needs a nightly toolchain (`rustup toolchain install nightly`) and the cargo-fuzz
# command (`cargo install cargo-fuzz`). New inputs the fuzzer finds go to a scratch corpus under
# the fuzz project's target directory; the committed seed corpora are only read. A crash is
# written to <project>/artifacts/<target>/: fix it and copy the input into
# <project>/corpus/<target>/, so that the project's tests/fuzz_corpus.rs replays it on stable.
# Each run ends with libFuzzer's final statistics (stat::number_of_executed_units).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

formats_targets=(bai2 mt940 csv detect camt nacha x12)
service_targets=(customers invoices gl calendar dunning_policy bounce backup)

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=("${formats_targets[@]}" "${service_targets[@]}")
fi

project_of() {
  local target="$1" known
  for known in "${formats_targets[@]}"; do
    [ "$known" = "$target" ] && { echo "$root/crates/settle-formats/fuzz"; return; }
  done
  for known in "${service_targets[@]}"; do
    [ "$known" = "$target" ] && { echo "$root/crates/settle-service/fuzz"; return; }
  done
  echo "unknown fuzz target: $target (known: ${formats_targets[*]} ${service_targets[*]})" >&2
  exit 2
}

for target in "${targets[@]}"; do
  project="$(project_of "$target")"
  (
    cd "$project"
    scratch="target/scratch-corpus/$target"
    mkdir -p "$scratch" "artifacts/$target"
    echo "== fuzzing $target ($(basename "$(dirname "$project")")) for ${seconds}s"
    cargo +nightly fuzz run "$target" "$scratch" "corpus/$target" -- \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1
  )
done
