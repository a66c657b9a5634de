#!/usr/bin/env bash
# Wall-clock throughput and latency of `GET /users/{id}` on the shop run by `svcgen up`, in
# debug (the default) and with `--release`, alternating: reported, never gated.
# Needs wrk, curl and python3; uses the shop's spec ports (nothing else may hold 8001-8004).
# Usage: bench/up-throughput.sh [rounds, default 2]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
cargo build --quiet -p svcgen
run() { # mode -> wrk's summary lines
  local log pid uid
  log=$(mktemp)
  target/debug/svcgen up shop --fresh "$@" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1200); do grep -q "Running shop" "$log" && break; sleep 0.5; done
  uid=$(curl -s -X POST -H 'content-type: application/json' \
    -d '{"name":"Ada","email":"ada@example.org"}' http://127.0.0.1:8001/users |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])')
  # Reading a customer takes a credential: the staff key `up` made.
  wrk -t2 -c32 -d10s --latency -H "x-api-key: $(cat generated/shop/data/staff.key)" \
    "http://127.0.0.1:8001/users/$uid" | grep -E "Requests/sec|50%|99%"
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
}
for _ in $(seq "$rounds"); do
  echo "== up (debug)"; run
  echo "== up --release"; run --release
done
