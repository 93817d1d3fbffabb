#!/usr/bin/env bash
# Bank-file parsing benchmark: Settle's BAI2 and MT940 parsers against the Python parsers
# `bai2` and `mt-940` (PyPI), on the same generated files, and a comparison of what each reads
# from the shared sample files. Written for docs/benchmarks.md; not run in CI.
#
#   scripts/bench-formats.sh            # 5 timed runs of each parser on each file
#   RUNS=3 scripts/bench-formats.sh
#
# Environment:
#   RUNS           timed runs per parser and file (default 5; the median is reported), each
#                  side after one untimed warm-up run in the same process
#   BENCH_DIR      where the generated files, the virtualenv and the peer script live
#                  (default: $TMPDIR/settle-bench-formats); generated files are reused
#   SAMPLES        the sample files (default: ../shared/samples beside the repository)
#   CARGO_TARGET_DIR is honoured.
#
# Needs cargo, python3 with the venv module, and access to the Python package index.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-5}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/settle-bench-formats}
SAMPLES=${SAMPLES:-$ROOT/../shared/samples}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OURS=$TARGET_DIR/release/examples/bench_formats
VENV=$BENCH_DIR/venv
PEERS=$BENCH_DIR/peers.py
# The versions measured for docs/benchmarks.md.
PEER_PACKAGES=(bai2==0.15.0 mt-940==5.1.1)

mkdir -p "$BENCH_DIR"

echo "== build (release)"
(cd "$ROOT" && cargo build --quiet --release -p settle-formats --example bench_formats)

echo "== Python peers: ${PEER_PACKAGES[*]}"
if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "${PEER_PACKAGES[@]}"

# The peers' side of `bench_formats time|totals`, with the same output lines.
cat >"$PEERS" <<'PY'
"""Times the Python bai2 and mt-940 parsers and summarises what they read."""
import statistics
import sys
import time
from decimal import Decimal


def parse_bai2(data):
    from bai2 import bai2
    # Integrity checks off: Settle is timed in its lenient mode, which reads files whose
    # control totals are wrong (as anonymised samples' nearly always are).
    text = data.decode('utf-8', errors='surrogateescape')
    return bai2.parse_from_string(text, check_integrity=False)


def parse_mt940(data):
    import mt940
    return mt940.parse(data)


def bai2_lines(parsed):
    from bai2.constants import TypeCodeTransaction
    for group in parsed.children:
        for account in group.children:
            for detail in account.children:
                credit = detail.type_code.transaction == TypeCodeTransaction.credit
                yield credit, Decimal(detail.amount or 0)


def mt940_lines(parsed):
    for transaction in parsed:
        amount = transaction.data.get('amount')
        value = amount.amount if amount is not None else Decimal(0)
        # mt-940 signs amounts: C and RD positive, D negative (RC positive by default).
        yield value > 0, value


PARSERS = {'bai2': (parse_bai2, bai2_lines), 'mt940': (parse_mt940, mt940_lines)}


def main():
    command, fmt, path = sys.argv[1:4]
    parse, lines = PARSERS[fmt]
    with open(path, 'rb') as handle:
        data = handle.read()
    if command == 'time':
        runs = int(sys.argv[4])
        parse(data)  # untimed warm-up, as on our side
        seconds = []
        for _ in range(runs):
            start = time.perf_counter()
            parse(data)
            seconds.append(time.perf_counter() - start)
            print(f'run {seconds[-1]:.4f}')
        median = statistics.median_low(seconds)
        print(f'median {median:.4f} {len(data) / 1e6 / median:.1f}')
    else:
        try:
            read = list(lines(parse(data)))
        except Exception as error:  # noqa: BLE001 - any refusal is reported, not raised
            message = str(error).splitlines()[0] if str(error) else ''
            print(f'error {type(error).__name__}: {message}'[:160])
            return
        credits = [amount for credit, amount in read if credit]
        total = sum(credits, Decimal(0))
        minor = int(total) if fmt == 'bai2' else ''
        print(
            f'lines {len(read)} credits {len(credits)} credit_sum_minor {minor} '
            f'credit_sum {total:.4f}'
        )


main()
PY

field() { # field <name> <line>: the value after <name> in a totals line
    awk -v name="$1" '{ for (i = 1; i < NF; i++) if ($i == name) print $(i + 1) }' <<<"$2"
}

median_of() { # median_of <command...>: runs it, shows its runs, returns "seconds MB/s"
    local out
    out=$("$@")
    grep '^run' <<<"$out" | awk '{ printf "  run %.3f s\n", $2 }' >&2
    grep '^median' <<<"$out" | awk '{ print $2, $3 }'
}

compare_speed() { # compare_speed <format> <file> <label>
    local format=$1 file=$2 label=$3 ours theirs mb
    mb=$(awk -v b="$(wc -c <"$file")" 'BEGIN { printf "%.1f", b / 1e6 }')
    echo "-- $label: $(basename "$file"), $mb MB, median of $RUNS runs"
    echo " ours:" >&2
    ours=$(median_of "$OURS" time "$format" "$file" "$RUNS")
    echo " peer:" >&2
    theirs=$(median_of "$VENV/bin/python" "$PEERS" time "$format" "$file" "$RUNS")
    awk -v o="$ours" -v t="$theirs" -v f="$format" 'BEGIN {
        split(o, a, " "); split(t, b, " ");
        printf "   %-6s ours %.3f s = %7.1f MB/s | peer %.3f s = %5.1f MB/s | ours/peer %.0fx\n",
            f, a[1], a[2], b[1], b[2], a[2] / b[2] }'
}

peer_totals() { # peer_totals <format> <file> (mt-940 writes its regex traces to stderr)
    "$VENV/bin/python" "$PEERS" totals "$1" "$2" 2>/dev/null
}

summary() { # summary <format> <totals>: lines, credit lines and their sum, comparable
    local sum=credit_sum
    # BAI2 amounts are integers in minor units on both sides; ours are read in the account's
    # currency, so compare the integers as the file has them.
    [[ $1 == bai2 ]] && sum=credit_sum_minor
    echo "$(field lines "$2") lines, $(field credits "$2") credits of $(field "$sum" "$2")"
}

verdict() { # verdict <totals>
    if [[ $1 == error* ]]; then echo refused; else echo read; fi
}

peer_accepts() { # peer_accepts <format> <file> <our totals>: reads the same lines and credits
    local theirs
    theirs=$(peer_totals "$1" "$2")
    [[ $theirs != error* && $(summary "$1" "$theirs") == $(summary "$1" "$3") ]]
}

echo "== generated files in $BENCH_DIR"
if [[ ! -s $BENCH_DIR/generated.bai2 || ! -s $BENCH_DIR/generated.sta ]]; then
    "$OURS" generate "$BENCH_DIR"
fi

echo "== throughput (MB = 10^6 bytes; wall clock, including dropping the result; one warm-up run)"
for pair in bai2:generated.bai2 mt940:generated.sta; do
    format=${pair%%:*}
    file=$BENCH_DIR/${pair#*:}
    ours_totals=$("$OURS" totals "$format" "$file")
    if peer_accepts "$format" "$file" "$ours_totals"; then
        compare_speed "$format" "$file" "generated (both read the same lines and credits)"
    else
        # The peer rejects or misreads a construct of the full file: time both on a simpler
        # variant it reads, and time ours on the full file alone.
        echo "-- the peer does not read $(basename "$file") as we do; timing ours alone on it"
        median_of "$OURS" time "$format" "$file" "$RUNS" |
            awk '{ printf "   ours %.3f s = %.1f MB/s\n", $1, $2 }'
        "$OURS" generate-simple "$BENCH_DIR"
        compare_speed "$format" "$BENCH_DIR/simple.${file##*.}" "simple variant"
    fi
done

# What each reads from the samples, with the reason for every difference (found by reading
# the file). A difference not listed here is printed as unexplained.
explain() {
    case $1 in
    mt940-rs__mt940_full_betterplace_sepa_mt9401.sta)
        echo "2 RC lines (reversal of a credit, 204,88 each): mt-940 signs RC positive unless" \
            "its reversal_sign option is set, so it counts them as credits; we book them as debits"
        ;;
    *) echo "unexplained: read the file and add the reason to scripts/bench-formats.sh" ;;
    esac
}

echo "== samples both parsers read (lines, credit lines, sum of credits)"
same=0
different=0
refused=0
for pair in bai2:bai2 mt940:sta; do
    format=${pair%%:*}
    for file in "$SAMPLES/$format"/*."${pair#*:}"; do
        ours=$("$OURS" totals "$format" "$file")
        theirs=$(peer_totals "$format" "$file")
        name=$(basename "$file")
        if [[ $ours == error* || $theirs == error* ]]; then
            refused=$((refused + 1))
            echo "  skip  $name: $(verdict "$ours") by ours, $(verdict "$theirs") by the peer"
            continue
        fi
        if [[ $(summary "$format" "$ours") == $(summary "$format" "$theirs") ]]; then
            same=$((same + 1))
            echo "  same  $name: $(summary "$format" "$ours")"
        else
            different=$((different + 1))
            echo "  DIFF  $name: ours $(summary "$format" "$ours"); peer $(summary "$format" "$theirs")"
            echo "        why: $(explain "$name")"
        fi
    done
done
echo "== $same samples read alike, $different differ, $refused refused by one side or both (not compared)"
