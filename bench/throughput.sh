#!/usr/bin/env bash
# Throughput of the generated `users` service (bench/generated: the code svcgen generates, with
# the same in-memory store as the baseline) against the same service written by hand in axum
# (bench/handwritten), side by side in one run: GET /users/{id} of an existing user, with a
# staff API key both check (bench/shop-auth.sh),
# wrk with 1 thread and 32 connections, each server measured three times, alternating.
# Needs wrk (Debian package `wrk`). Usage: bench/throughput.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --quiet --release -p bench-handwritten -p bench-generated
keys=$(mktemp -d); trap 'rm -rf "$keys"' EXIT
. bench/shop-auth.sh
shop_auth "$keys"

run() { # binary port -> requests/s
  local bin=$1 port=$2
  PORT=$port RUST_LOG=warn "$CARGO_TARGET_DIR/release/$bin" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/users" -o /dev/null -X POST && break; sleep 0.1; done
  local id
  id=$(curl -sf -X POST "http://127.0.0.1:$port/users" -H 'content-type: application/json' \
       -d '{"name":"Ada","email":"ada@example.org"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
  wrk -t1 -c32 -d"${secs}s" -H "x-api-key: $STAFF_KEY" "http://127.0.0.1:$port/users/$id" | awk '/Requests\/sec/ {print $2}'
  kill -TERM $pid; wait $pid 2>/dev/null || true
}

declare -a gen hand
for i in 1 2 3; do
  gen+=("$(run bench-generated 9811)")
  hand+=("$(run bench-handwritten 9812)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
g=$(median "${gen[@]}"); h=$(median "${hand[@]}")
echo "generated users:       ${gen[*]} req/s (median $g)"
echo "hand-written axum:     ${hand[*]} req/s (median $h)"
python3 -c "print(f'generated / hand-written = {$g / $h:.3f}')"
