#!/usr/bin/env bash
# Per service, beside the same `users` service written by hand (axum + sqlx): release binary
# size, time from start to the first answer (SQLite file, migrations applied), resident memory
# idle and at its peak under load (wrk, 2 threads, 32 connections, 10 s) on a read each service
# serves:
#   - users (both):   GET /users/{id} of a registered user, with a staff key;
#   - inventory:      GET /items/{sku} of an item added by staff (public);
#   - notification:   GET /users/{id}/notifications (an empty list), with a staff key;
#   - orders:         GET /orders/{id} of no order (404 after the store's lookup), staff key.
# Each service runs alone (a dependency it would call is not needed for these reads).
# Wall clock and memory: reported, never gated. Needs wrk, curl and python3.
# Usage: bench/footprint.sh  (builds the servers in release first)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --quiet --locked --release -p bench-handwritten-store
cargo build --quiet --locked --release --manifest-path generated/shop/Cargo.toml
bin=$CARGO_TARGET_DIR/release
port=${FOOTPRINT_PORT:-9853}
base=http://127.0.0.1:$port
keys=$(mktemp -d); trap 'rm -rf "$keys"' EXIT
. bench/shop-auth.sh
shop_auth "$keys"
# A second staff key for the other services' reads and for adding an item.
other_key=svcgen_bench_footprint_key_0123456789ab
printf '%s bench orders:read catalog:write\n' "$(printf '%s' "$other_key" | sha256sum | cut -d' ' -f1)" \
  >> "$keys/staff.keys"

# The key the services deliver events with (the shop declares auth, so they need one).
cargo run --quiet --locked --release -p svcgen -- key --events > "$keys/events.key"
export EVENTS_KEY_FILE=$keys/events.key

json_id() { python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])'; }
# setup SERVICE -> what is loaded: a label, the path and the key header, tab-separated
setup() {
  case $1 in
    users)
      local uid
      uid=$(curl -sf -X POST -H 'content-type: application/json' \
        -d '{"name":"Ada","email":"ada@example.org"}' "$base/users" | json_id)
      printf 'GET /users/{id}\t/users/%s\tx-api-key: %s\n' "$uid" "$STAFF_KEY" ;;
    inventory)
      curl -sf -o /dev/null -X POST -H 'content-type: application/json' -H "x-api-key: $other_key" \
        -d '{"sku":"TEA-0001","name":"Tea","price_cents":450,"stock":10,"tags":["tea"]}' "$base/items"
      printf 'GET /items/{sku}\t/items/TEA-0001\tx-api-key: %s\n' "$other_key" ;;
    notification)
      printf 'GET /users/{id}/notifications\t/users/%s/notifications\tx-api-key: %s\n' \
        "$(python3 -c 'import uuid; print(uuid.uuid4())')" "$other_key" ;;
    orders)
      printf 'GET /orders/{id}\t/orders/%s\tx-api-key: %s\n' \
        "$(python3 -c 'import uuid; print(uuid.uuid4())')" "$other_key" ;;
  esac
}

echo "| server | binary | first answer | RSS idle | RSS peak under load | req/s | read |"
echo "|---|---|---|---|---|---|---|"
for server in hand-written:users:bench-handwritten-store users:users:shop-users \
  inventory:inventory:shop-inventory notification:notification:shop-notification \
  orders:orders:shop-orders; do
  IFS=: read -r name service binary <<<"$server"
  work=$(mktemp -d)
  started=$(date +%s%N)
  PORT=$port RUST_LOG=warn DATABASE_URL="sqlite://$work/$service.db" "$bin/$binary" >"$work/log" 2>&1 &
  pid=$!
  until curl -s -o /dev/null "$base/"; do
    kill -0 "$pid" 2>/dev/null || { echo "$name did not start: $(tail -n 3 "$work/log")" >&2; exit 1; }
    sleep 0.002
  done
  ready=$(( ($(date +%s%N) - started) / 1000000 ))
  idle=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  IFS=$'\t' read -r label path header <<<"$(setup "$service")"
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "$header" "$base$path")
  rate=$(wrk -t2 -c32 -d10s -H "$header" "$base$path" | awk '/Requests\/sec/ {print $2}')
  peak=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  size=$(stat -c %s "$bin/$binary")
  echo "| $name | $((size / 1024 / 1024)) MiB | $ready ms | $((idle / 1024)) MiB | $((peak / 1024)) MiB | $rate | $label ($status) |"
  rm -rf "$work"
done
