#!/usr/bin/env bash
# Bank-file parsing benchmark: Settle's BAI2, MT940 and camt.053 parsers against the Python
# parsers `bai2`, `mt-940` and `pycamt` (PyPI), on the same generated files, and a comparison of
# what each reads from the shared sample files (for camt also the references of every line).
# Written for docs/benchmarks.md; not run in CI.
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
# pycamt parses with lxml, whose speed is most of pycamt's: it is pinned too.
PEER_PACKAGES=(bai2==0.15.0 mt-940==5.1.1 pycamt==1.1.1 lxml==6.1.3)

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
"""Times the Python bai2, mt-940 and pycamt parsers and summarises what they read."""
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


def parse_camt(data):
    # pycamt's whole read: lxml builds the tree in the constructor, and get_transactions()
    # walks it into one dict per TxDtls (or per Ntry without one).
    from pycamt.parser import Camt053Parser
    parser = Camt053Parser(data)
    return parser, parser.get_transactions()


def camt_amount(transaction):
    text = transaction.get('Amount')
    try:
        return Decimal(text or 0)
    except ArithmeticError:
        # pycamt returns the element's text as it is; it never reads it as a number.
        raise ValueError(f'pycamt returned the amount text {text!r}, which is no number') from None


def camt_lines(parsed):
    for transaction in parsed[1]:
        yield transaction.get('CreditDebitIndicator') == 'CRDT', camt_amount(transaction)


def camt_entries(parsed):
    """The Ntry elements pycamt walks (its get_transactions() does not say which it read)."""
    parser = parsed[0]
    return sum(
        len(statement.findall('.//Ntry', parser.namespaces))
        for statement in parser._find_statements_or_reports()
    )


def clean(value):
    return ' '.join(str(value).split()) if value else ''


def camt_rows(parsed):
    """Per line: C or D, amount, AcctSvcrRef, EndToEndId, remittance; as `bench_formats lines`."""
    for transaction in parsed[1]:
        full = transaction.get('RemittanceInformationFull') or ''
        remittance = [full]
        # RemittanceInformation is the first Ustrd, or with a Strd its CdtrRefInf/Ref.
        first = transaction.get('RemittanceInformation')
        if first and not full.startswith(first.strip()):
            remittance.append(first)
        remittance.append(transaction.get('AdditionalRemittanceInformation') or '')
        yield (
            'C' if transaction.get('CreditDebitIndicator') == 'CRDT' else 'D',
            camt_amount(transaction),
            clean(transaction.get('TransactionID')),
            clean(transaction.get('EndToEndId')),
            clean(' '.join(remittance)),
        )


def compare_camt(path, ours_path):
    """Line by line, in file order: how many lines agree on each reference, and the first that
    does not. Remittance is compared as its words, in any order."""
    with open(path, 'rb') as handle:
        theirs = list(camt_rows(parse_camt(handle.read())))
    ours = []
    with open(ours_path, encoding='utf-8') as handle:
        for row in handle.read().splitlines():
            _, direction, amount, bank, e2e, remittance = row.split('\t')
            ours.append((direction, Decimal(amount), bank, e2e, clean(remittance)))
    fields = ('direction', 'amount', 'AcctSvcrRef', 'EndToEndId', 'remittance')
    alike = dict.fromkeys(fields, 0)
    first = {}
    for index, (mine, peer) in enumerate(zip(ours, theirs), start=1):
        for name, a, b in zip(fields, mine, peer):
            same = sorted(a.split()) == sorted(b.split()) if name == 'remittance' else a == b
            if same:
                alike[name] += 1
            else:
                first.setdefault(name, (index, a, b))
    compared = min(len(ours), len(theirs))
    print(f'compared {compared} ' + ' '.join(f'{name} {alike[name]}' for name in fields))
    for name, (index, a, b) in first.items():
        print(f'first {name} line {index}: ours {str(a)[:70]!r} | peer {str(b)[:70]!r}')


PARSERS = {
    'bai2': (parse_bai2, bai2_lines),
    'mt940': (parse_mt940, mt940_lines),
    'camt': (parse_camt, camt_lines),
}


def main():
    command, fmt, path = sys.argv[1:4]
    if command == 'compare':
        compare_camt(path, sys.argv[4])
        return
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
            parsed = parse(data)
            read = list(lines(parsed))
            entries = f' entries {camt_entries(parsed)}' if fmt == 'camt' else ''
        except Exception as error:  # noqa: BLE001 - any refusal is reported, not raised
            message = str(error).splitlines()[0] if str(error) else ''
            print(f'error {type(error).__name__}: {message}'[:160])
            return
        credits = [amount for credit, amount in read if credit]
        total = sum(credits, Decimal(0))
        minor = int(total) if fmt == 'bai2' else ''
        print(
            f'lines {len(read)} credits {len(credits)} credit_sum_minor {minor} '
            f'credit_sum {total:.4f}{entries}'
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
    local entries=""
    [[ $1 == camt ]] && entries="$(field entries "$2") entries, "
    echo "$entries$(field lines "$2") lines, $(field credits "$2") credits of $(field "$sum" "$2")"
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
if [[ ! -s $BENCH_DIR/generated.bai2 || ! -s $BENCH_DIR/generated.sta ||
    ! -s $BENCH_DIR/generated.camt053.xml ]]; then
    "$OURS" generate "$BENCH_DIR"
fi

echo "== throughput (MB = 10^6 bytes; wall clock, including dropping the result; one warm-up run)"
for pair in bai2:generated.bai2 mt940:generated.sta camt:generated.camt053.xml; do
    format=${pair%%:*}
    file=$BENCH_DIR/${pair#*:}
    ours_totals=$("$OURS" totals "$format" "$file")
    if [[ $format == camt ]]; then
        # pycamt looks up the statement's account (.//Acct//Id//IBAN, a search of the whole
        # statement) once per entry: its time grows with the square of one statement's entries,
        # hours for this file's single statement of 49,000. Ours alone on it; both on the same
        # entries in statements of 100, where pycamt is linear.
        echo "-- camt: pycamt is quadratic in one statement's entries; timing ours alone on $(basename "$file")"
        median_of "$OURS" time "$format" "$file" "$RUNS" |
            awk '{ printf "   ours %.3f s = %.1f MB/s\n", $1, $2 }'
        [[ -s $BENCH_DIR/simple.camt053.xml ]] || "$OURS" generate-simple "$BENCH_DIR"
        file=$BENCH_DIR/simple.camt053.xml
        if peer_accepts "$format" "$file" "$("$OURS" totals "$format" "$file")"; then
            compare_speed "$format" "$file" "the same entries in statements of 100 (both read the same lines and credits)"
        else
            echo "-- pycamt does not read $(basename "$file") as we do: not compared"
        fi
        continue
    fi
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

# camt: what ours and pycamt read from the camt.053 and camt.054 samples, then line by line in
# file order the amount, AcctSvcrRef, EndToEndId and remittance (as words, in any order). The
# reason for every difference, found by reading the file and both parsers; a file not listed
# here that differs is printed as unexplained.
explain_camt() {
    case $1 in
    camt053-rs__example-camt053-b.xml)
        echo "remittance: the 10 lines that differ are the 10 with an AddtlTxInf, which we add to" \
            "the line's remittance and pycamt does not read; without those words the rest are" \
            "alike. Amount, line 10: a debit booked 29.06 EUR (AmtDtls/TxAmt) for an" \
            "instructed 25.00 USD (AmtDtls/InstdAmt, first in the TxDtls); pycamt takes the first" \
            "Amt under TxDtls and keeps the entry's currency, so it reports 25.00 EUR; we keep" \
            "the booked 29.06 EUR"
        ;;
    camt053-rs__test-camt053.xml)
        echo "remittance, line 2: 'Interest payment' is the entry's AddtlNtryInf, which we add" \
            "to a single-transaction line's remittance and pycamt returns apart" \
            "(AdditionalEntryInformation); the creditor reference RF123456 is alike"
        ;;
    genkgo-camt__camt053.v3.xml)
        echo "the entry books 8.85 EUR, its one TxDtls/Amt says 105.750 EUR: pycamt's" \
            "transaction amount replaces the entry's, we keep the booked amount (it is what" \
            "reached the account) and warn that the two disagree"
        ;;
    genkgo-camt__camt053.v8.xml)
        echo "the entry books 8.85 EUR, its one TxDtls/Amt is 0 SEK: pycamt takes the" \
            "transaction's amount text '0' and keeps the entry's currency (0 EUR); we keep the" \
            "booked 8.85 EUR (a transaction amount in another currency is no check on it)"
        ;;
    sr-bankstatementparser__golden_camt053_garbled_amount.xml)
        echo "Ntry/Amt is '12..34': we refuse the file at that element; pycamt reads it without" \
            "complaint and returns the text '12..34' as the amount (it never reads amounts as" \
            "numbers), so only this script's sum refuses it"
        ;;
    *camt054* | *CAMT_054*)
        echo "a camt.054 holds Ntfctn, and pycamt looks only for Stmt and Rpt" \
            "(_find_statements_or_reports), so it raises Camt053ParseError on every camt.054"
        ;;
    *) echo "unexplained: read the file and add the reason to scripts/bench-formats.sh" ;;
    esac
}

echo "== camt.053 and camt.054 samples (entries, lines, credit lines, sum of credits; then each line's amount, AcctSvcrRef, EndToEndId and remittance)"
same=0
different=0
refused=0
for file in "$SAMPLES"/camt053/*.xml "$SAMPLES"/camt054/*.xml; do
    name=$(basename "$file")
    ours=$("$OURS" totals camt "$file")
    theirs=$(peer_totals camt "$file")
    if [[ $ours == error* || $theirs == error* ]]; then
        refused=$((refused + 1))
        echo "  skip  $name: $(verdict "$ours") by ours, $(verdict "$theirs") by pycamt"
        [[ $ours == error* ]] && echo "        ours: ${ours:6:110}"
        [[ $theirs == error* ]] && echo "        pycamt: ${theirs:6:110}"
        echo "        why: $(explain_camt "$name")"
        continue
    fi
    "$OURS" lines camt "$file" >"$BENCH_DIR/ours-lines.tsv"
    refs=$("$VENV/bin/python" "$PEERS" compare camt "$file" "$BENCH_DIR/ours-lines.tsv")
    counts=$(head -n 1 <<<"$refs")
    compared=$(field compared "$counts")
    unlike=""
    for part in direction amount AcctSvcrRef EndToEndId remittance; do
        alike=$(field "$part" "$counts")
        [[ $alike != "$compared" ]] && unlike+=" $part $alike/$compared alike;"
    done
    if [[ $(summary camt "$ours") == $(summary camt "$theirs") && -z $unlike ]]; then
        same=$((same + 1))
        echo "  same  $name: $(summary camt "$ours"); every line's references alike"
    else
        different=$((different + 1))
        echo "  DIFF  $name: ours $(summary camt "$ours"); pycamt $(summary camt "$theirs")"
        [[ -n $unlike ]] && echo "        lines:${unlike%;}"
        grep '^first' <<<"$refs" | sed 's/^first /        first /' || true
        echo "        why: $(explain_camt "$name")"
    fi
done
echo "== camt: $same samples read alike, $different differ, $refused refused by one side or both (not compared)"
