#!/usr/bin/env bash
# What the dashboard costs `svcgen up` itself: its resident memory and CPU while the shop is
# idle (30 s) and while wrk loads `GET /users/{id}` (2 threads, 32 connections, 10 s, every
# request a trace the services export to `up`), with the dashboard and with `--no-dashboard`,
# alternating. Wall clock, reported, never gated. Needs wrk, curl and python3; uses the shop's
# spec ports and the dashboard's (8001-8004, 9400).
# Usage: bench/up-dashboard.sh [rounds, default 1]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
cargo build --quiet -p svcgen
hz=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in ticks
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; } # KiB
run() { # flags -> one table row
  local log pid uid a b
  log=$(mktemp)
  target/debug/svcgen up shop --fresh "$@" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1200); do grep -q "Running shop" "$log" && break; sleep 0.5; done
  uid=$(curl -s -X POST -H 'content-type: application/json' \
    -d '{"name":"Ada","email":"ada@example.org"}' http://127.0.0.1:8001/users |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])')
  sleep 5
  a=$(cpu "$pid"); sleep 30; b=$(cpu "$pid")
  local idle_cpu idle_rss
  idle_cpu=$(python3 -c "print(f'{100 * ($b - $a) / ($hz * 30):.1f} %')")
  idle_rss=$(rss "$pid")
  a=$(cpu "$pid")
  local rps
  rps=$(wrk -t2 -c32 -d10s -H "x-api-key: $(cat generated/shop/data/staff.key)" \
    "http://127.0.0.1:8001/users/$uid" | awk '/Requests\/sec/ {print $2}')
  b=$(cpu "$pid")
  local load_cpu load_rss
  load_cpu=$(python3 -c "print(f'{100 * ($b - $a) / ($hz * 10):.1f} %')")
  sleep 2
  load_rss=$(rss "$pid")
  echo "| ${*:-with the dashboard} | $((idle_rss / 1024)) MiB | $idle_cpu | $((load_rss / 1024)) MiB | $load_cpu | $rps |"
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
}
echo "| \`svcgen up shop\` | RSS idle | CPU idle | RSS after load | CPU under load | req/s |"
echo "|---|---|---|---|---|---|"
for _ in $(seq "$rounds"); do
  run
  run --no-dashboard
done
