#!/usr/bin/env bash
# The server's load figures of docs/benchmarks.md: a ledger of 100,000 customers and 1,000,000
# open invoices served by `settle serve`, measured with wrk on loopback.
#
#   cargo build --release -p settle
#   apt-get install -y wrk          # the load tool
#   scripts/load.sh [DIR]           # DIR keeps the generated ledger between runs
#
# Environment: CUSTOMERS, INVOICES (the ledger's size), DURATION (per measurement, wrk's
# syntax), CONNECTIONS (wrk's open connections), PORT, REFRESH (seconds between two rankings
# of the worklist; 10 by default, so that every measurement runs beside a few of them).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-./target/release/settle}
DIR=${1:-${TMPDIR:-/tmp}/settle-load}
CUSTOMERS=${CUSTOMERS:-100000}
INVOICES=${INVOICES:-1000000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-8}
PORT=${PORT:-18080}
REFRESH=${REFRESH:-10}
BASE="http://127.0.0.1:$PORT"
PASSWORD="load-test-password-1"

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "$BIN is missing: cargo build --release -p settle" >&2; exit 1; }
mkdir -p "$DIR"

# The ledger: the collections benchmark's books (customers spread over collectors, stops,
# promises, disputes, a first dunning run), kept for the next run of this script.
START="$DIR/collections-start.db"
if [ ! -e "$START" ]; then
  "$BIN" bench --collections --customers "$CUSTOMERS" --invoices "$INVOICES" --runs 1 --dir "$DIR"
fi
DB="$DIR/load.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
cp "$START" "$DB"
export SETTLE_DATABASE_URL="$DB"

printf '%s\n' "$PASSWORD" | "$BIN" user add loadtester --role manager --password-stdin >/dev/null
TOKEN=$("$BIN" --user loadtester token create --scope read --format json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')

# No background jobs during the measurements: only the requests load the machine.
CONFIG="$DIR/load.toml"
printf 'secure_cookies = false\nworklist_refresh_seconds = %s\n[jobs]\nmatching = false\n' "$REFRESH" >"$CONFIG"
RUST_LOG=warn "$BIN" serve --config "$CONFIG" --listen "127.0.0.1:$PORT" 2>"$DIR/serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

COOKIE=$(curl -fsS -o /dev/null -D - --data-urlencode "user=loadtester" \
  --data-urlencode "password=$PASSWORD" "$BASE/login" |
  tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(settle_session=[^;]*\).*/\1/p')
[ -n "$COOKIE" ] || { echo "signing in failed" >&2; exit 1; }

# The first worklist request waits for the first ranking of the day; time it apart.
echo "first worklist page (the ranking of the whole book): $(curl -fsS -o /dev/null \
  -w '%{time_total}' -H "Cookie: $COOKIE" "$BASE/worklist") s"

measure() {
  local label=$1 connections=$2
  shift 2
  local out
  out=$(wrk -t1 -c"$connections" -d"$DURATION" --timeout 10s --latency "$@")
  local rate p50 p99 errors
  rate=$(sed -n 's/^Requests\/sec: *//p' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errors=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' <<<"$out")
  printf '%-52s c=%-3s %10s req/s  p50 %8s  p99 %8s  non-2xx %s\n' \
    "$label" "$connections" "$rate" "$p50" "$p99" "${errors:-0}"
}

PATHS=scripts/load-paths.lua
for c in 1 "$CONNECTIONS"; do
  measure "account page /customers/{random}" "$c" -H "Cookie: $COOKIE" -s "$PATHS" \
    "$BASE" -- "/customers/%s" "$CUSTOMERS"
  measure "worklist page /worklist" "$c" -H "Cookie: $COOKIE" "$BASE/worklist"
done
measure "read API /api/v1/customers/{random}" "$CONNECTIONS" \
  -H "Authorization: Bearer $TOKEN" -s "$PATHS" "$BASE" -- "/api/v1/customers/%s" "$CUSTOMERS"
measure "read API /api/v1/invoices?customer_id={random}" "$CONNECTIONS" \
  -H "Authorization: Bearer $TOKEN" -s "$PATHS" "$BASE" -- "/api/v1/invoices?customer_id=%s" "$CUSTOMERS"
measure "read API /api/v1/worklist?limit=50" "$CONNECTIONS" \
  -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/worklist?limit=50"

# The obvious alternative to a kept ranking: ranking the whole book for each request (another
# day's worklist is ranked for the asking).
YESTERDAY=$(date -d yesterday +%F)
measure "worklist ranked per request (the alternative)" 1 --timeout 60s -H "Authorization: Bearer $TOKEN" \
  "$BASE/api/v1/worklist?limit=50&as_of=$YESTERDAY"

# The aging's drill-down into each bucket of the whole book: the first page, and the page after
# it, one request each (the page's own items, the bucket's count and totals).
for bucket in 0 1 2 3 4; do
  first=$(curl -fsS -w '\n%{time_total}' -H "Cookie: $COOKIE" "$BASE/aging/items?bucket=$bucket")
  took=$(tail -n1 <<<"$first")
  next=$(sed -n 's/.*rel="next" href="\([^"]*\)".*/\1/p' <<<"$first" | sed 's/&amp;/\&/g' | head -n1)
  second="-"
  if [ -n "$next" ]; then
    second=$(curl -fsS -o /dev/null -w '%{time_total}' -H "Cookie: $COOKIE" "$BASE$next")
  fi
  echo "aging drill-down, bucket $bucket: first page ${took} s, next page ${second} s"
done
