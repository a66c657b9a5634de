#!/usr/bin/env bash
# Per service, beside the same service written by hand (axum + sqlx): release binary size,
# time from start to the first answer (SQLite file, migrations applied), resident memory idle
# and at its peak under `GET /users/{id}` load (wrk, 2 threads, 32 connections, 10 s).
# Wall clock and memory: reported, never gated. Needs wrk, curl and python3.
# Usage: bench/footprint.sh [NAME=BINARY ...]  (default: the shop's users service and its
# hand-written twin, built in release first)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
if [ $# -eq 0 ]; then
  cargo build --quiet --locked --release -p bench-handwritten-store
  cargo build --quiet --locked --release --manifest-path generated/shop/Cargo.toml -p shop-users
  set -- "hand-written=$CARGO_TARGET_DIR/release/bench-handwritten-store" \
    "generated=$CARGO_TARGET_DIR/release/shop-users"
fi
port=${FOOTPRINT_PORT:-9853}
keys=$(mktemp -d); trap 'rm -rf "$keys"' EXIT
. bench/shop-auth.sh
shop_auth "$keys"
echo "| server | binary | first answer | RSS idle | RSS peak under load | req/s |"
echo "|---|---|---|---|---|---|"
for server in "$@"; do
  name=${server%%=*}; bin=${server#*=}
  work=$(mktemp -d)
  started=$(date +%s%N)
  PORT=$port RUST_LOG=warn DATABASE_URL="sqlite://$work/users.db" "$bin" >"$work/log" 2>&1 &
  pid=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.002; done
  ready=$(( ($(date +%s%N) - started) / 1000000 ))
  idle=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  uid=$(curl -s -X POST -H 'content-type: application/json' \
    -d '{"name":"Ada","email":"ada@example.org"}' "http://127.0.0.1:$port/users" |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])')
  rate=$(wrk -t2 -c32 -d10s -H "x-api-key: $STAFF_KEY" "http://127.0.0.1:$port/users/$uid" | awk '/Requests\/sec/ {print $2}')
  peak=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  size=$(stat -c %s "$bin")
  echo "| $name | $((size / 1024 / 1024)) MiB | $ready ms | $((idle / 1024)) MiB | $((peak / 1024)) MiB | $rate |"
  rm -rf "$work"
done
