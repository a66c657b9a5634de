#!/usr/bin/env bash
# The per-request cost gate (run by CI): instructions per `GET /users/{id}` (and per valid
# `POST /users` for the store-backed pair), release builds,
# side by side in one run, each generated server against a hand-written one doing the same work:
#   - the generated HTTP stack (bench/generated, in-memory store) against bare axum
#     (bench/handwritten);
#   - the store-backed generated `shop-users` against axum + sqlx by hand
#     (bench/handwritten-store), on SQLite in memory and on PostgreSQL (a database of its own,
#     dropped at the end; tables in `pg_temp`, so every server run starts empty). Both check a
#     staff API key on every GET the same way (bench/shop-auth.sh).
# Prints, not gated, the hand-written service with tower-http's stack beside bare axum.
# Fails when a ratio exceeds the bar (1.10, or $INSTR_BAR). Needs valgrind, python3, psql.
# Usage: bench/instr-gate.sh [requests per measurement, default 1000]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
bar=${INSTR_BAR:-1.10}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --quiet --locked --release -p bench-handwritten -p bench-generated -p bench-handwritten-store
cargo build --quiet --locked --release --manifest-path generated/shop/Cargo.toml -p shop-users
bin=$CARGO_TARGET_DIR/release
admin=${SVCGEN_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
database=svcgen_instr_$$
psql -q "$admin" -c "CREATE DATABASE $database"
keys=$(mktemp -d)
trap 'psql -q "$admin" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)"; rm -rf "$keys"' EXIT
. bench/shop-auth.sh
shop_auth "$keys"

failed=0
compare() { # label counter baseline generated [env...] -> a table row; remembers a failure
  local label=$1 counter=$2 base=$3 gen=$4; shift 4
  local out
  out=$(env "$@" "$counter" "$n" "base=$base" "gen=$gen") || { echo "| $label | measurement failed |" >&2; failed=1; return; }
  local b g
  b=$(awk '$1 == "base" {print $2}' <<<"$out")
  g=$(awk '$1 == "gen" {print $2}' <<<"$out")
  python3 - "$label" "$b" "$g" "$bar" <<'PY' || failed=1
import sys
label, b, g, bar = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
if b <= 0 or g <= 0:
    sys.exit(f"{label}: no count ({b}, {g})")
ratio = g / b
verdict = "ok" if ratio <= bar else f"OVER THE BAR ({bar:.2f})"
print(f"| {label} | {b:,} | {g:,} | {ratio:.3f} | {verdict} |")
sys.exit(0 if ratio <= bar else 1)
PY
}

get=bench/instr-per-request.sh
post=bench/instr-post.sh
staff="INSTR_HEADER=x-api-key: $STAFF_KEY"
sqlite=(DATABASE_URL=sqlite::memory: DATABASE_MAX_CONNECTIONS=1 "$staff")
postgres=("DATABASE_URL=${admin%/*}/$database?options=-c%20search_path%3Dpg_temp" DATABASE_MAX_CONNECTIONS=1 "$staff")
echo "| request, server | hand-written | generated | ratio | |"
echo "|---|---|---|---|---|"
compare "GET, HTTP stack in memory" $get "$bin/bench-handwritten" "$bin/bench-generated" "$staff"
compare "GET, store on SQLite" $get "$bin/bench-handwritten-store" "$bin/shop-users" "${sqlite[@]}"
compare "GET, store on PostgreSQL" $get "$bin/bench-handwritten-store" "$bin/shop-users" "${postgres[@]}"
compare "POST, store on SQLite" $post "$bin/bench-handwritten-store" "$bin/shop-users" "${sqlite[@]}"
compare "POST, store on PostgreSQL" $post "$bin/bench-handwritten-store" "$bin/shop-users" "${postgres[@]}"
# The second baseline, not gated: the hand-written service with tower-http's request id, trace,
# catch-panic and timeout layers (one measurement each).
if out=$(env "$staff" INSTR_RUNS=1 $get "$n" "base=$bin/bench-handwritten" "tower=$bin/bench-handwritten-tower"); then
  awk '$1 == "base" {b = $2} $1 == "tower" {t = $2}
    END {printf "\nNot gated: bare axum %d, axum + tower-http stack %d (%.3f of bare)\n", b, t, t / b}' <<<"$out"
fi
exit $failed
