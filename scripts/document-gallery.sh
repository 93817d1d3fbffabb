#!/usr/bin/env bash
# Renders the main documents from the demo ledger and keeps page images under docs/documents/
# (pdftoppm from poppler-utils, 60 dpi). Usage: scripts/document-gallery.sh [SETTLE-BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
settle_bin="${1:-target/release/settle}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="docs/documents"
mkdir -p "$out"
rm -f "$out"/*.png

settle() { "$settle_bin" --db "$work/demo.db" "$@"; }
(cd "$work" && "$OLDPWD/$settle_bin" --db "$work/demo.db" demo --format json >/dev/null)

# An invoice with lines, and a payment plan, which the demo's imported ledger does not have.
settle invoice add INV-GALLERY --customer C00057 --date 2026-10-20 \
  --line "Ελαιόλαδο εξαιρετικό παρθένο, 24 × 1 l=412.80+99.07" \
  --line "Φέτα ΠΟΠ, 12 × 400 g=96.00+23.04" --line "Freight and handling=35.00" \
  --po-number "PO-2026-0917" >/dev/null
first_two=$(sqlite3 "$work/demo.db" "SELECT number FROM items WHERE customer_id = (SELECT id FROM customers WHERE code = 'C00145') AND balance_minor > 0 AND kind = 'invoice' ORDER BY due_date LIMIT 2" | sed 's/^/--invoice /' | tr '\n' ' ')
plan_id=$(settle plan create C00145 $first_two --instalments 4 --first-due 2026-11-30 --on 2026-10-31 --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
payment=$(sqlite3 "$work/demo.db" "SELECT p.bank_reference FROM payments p WHERE p.customer_id IS NOT NULL AND p.bank_reference <> '' AND EXISTS (SELECT 1 FROM applications a WHERE a.payment_id = p.id) ORDER BY p.id DESC LIMIT 1")
memo=$(sqlite3 "$work/demo.db" "SELECT number FROM items WHERE kind = 'credit_memo' ORDER BY id LIMIT 1")

settle statements --as-of 2026-10-31 --customers C00057 --out "$work" >/dev/null
settle statements --as-of 2026-10-31 --customers C00142 --out "$work" --paper a4 >/dev/null
settle statements --kind balance-forward --from 2026-10-01 --as-of 2026-10-31 --customers C00074 --out "$work/bf" --paper a4 >/dev/null
settle invoice pdf INV-GALLERY --out "$work/invoice.pdf" --paper a4 >/dev/null
settle invoice pdf "$memo" --out "$work/credit-memo.pdf" >/dev/null
settle letter dunning C00145 --level 2 --as-of 2026-10-31 --out "$work/dunning.pdf" >/dev/null
settle letter receipt "$payment" --out "$work/receipt.pdf" >/dev/null
settle letter plan "$plan_id" --out "$work/plan.pdf" >/dev/null
settle letter confirmation C00057 --as-of 2026-10-31 --reply-to "Hart & Partner LLP, Auditors" \
  --reply-to "1 Audit Lane, San Francisco, CA 94105" --out "$work/confirmation.pdf" >/dev/null

page() { pdftoppm -r 60 -png "$1" "$out/$2"; }
page "$work/statement-C00057-2026-10-31.pdf" statement
page "$work/statement-C00142-2026-10-31.pdf" statement-cjk
page "$work/bf/statement-C00074-2026-10-31.pdf" statement-balance-forward
for doc in invoice credit-memo dunning receipt plan confirmation; do page "$work/$doc.pdf" "$doc"; done
ls -l "$out"
