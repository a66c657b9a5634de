#!/usr/bin/env bash
# Wall-clock throughput and p99 latency of the store-backed `shop-users` against the same
# endpoints written by hand in axum + sqlx (bench/handwritten-store), side by side in one run,
# on SQLite (a file) and on the machine's PostgreSQL (a fresh database per server run; pool of
# 10 for both): `GET /users/{id}` of an existing user and `POST /users` with a new email each
# time. wrk, 1 thread, 32 connections; reported, never gated (the gate is instructions per
# request, see bench/README.md). Needs wrk (Debian package `wrk`) and psql.
# Usage: bench/store.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --quiet --release -p bench-handwritten-store
cargo build --quiet --release --manifest-path generated/shop/Cargo.toml -p shop-users
admin=${SVCGEN_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
. bench/shop-auth.sh
shop_auth "$work"
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"name":"Ada","email":"u%d-%d@example.org"}', math.random(1, 1000000000), counter)
  return wrk.format(nil, "/users", nil, body)
end
LUA

run() { # binary database endpoint -> "req/s p99"
  local bin=$1 db=$2 what=$3 port=9821 url
  if [ "$db" = sqlite ]; then
    rm -rf "$work/data"; mkdir -p "$work/data"; url="sqlite://$work/data/users.db"
  else
    psql -q "$admin" -c 'DROP DATABASE IF EXISTS svcgen_bench_store' -c 'CREATE DATABASE svcgen_bench_store'
    url="${admin%/*}/svcgen_bench_store"
  fi
  DATABASE_URL=$url PORT=$port RUST_LOG=warn "$CARGO_TARGET_DIR/release/$bin" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/users/x" && break; sleep 0.1; done
  local target
  if [ "$what" = get ]; then
    local id
    id=$(curl -sf -X POST "http://127.0.0.1:$port/users" -H 'content-type: application/json' \
         -d '{"name":"Ada","email":"ada@example.org"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
    wrk -t1 -c32 -d"${secs}s" --latency -H "x-api-key: $STAFF_KEY" "http://127.0.0.1:$port/users/$id" > "$work/out"
  else
    wrk -t1 -c32 -d"${secs}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port" > "$work/out"
  fi
  kill -TERM $pid; wait $pid 2>/dev/null || true
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/out")
  p99=$(awk '$1 == "99%" {print $2}' "$work/out")
  echo "$rps $p99"
}

to_ms() { python3 -c "v='$1'; print(float(v[:-2])/1000 if v.endswith('us') else float(v[:-2]) if v.endswith('ms') else float(v[:-1])*1000)"; }

for db in sqlite postgres; do
  for what in get post; do
    g=$(run shop-users $db $what); h=$(run bench-handwritten-store $db $what)
    read -r grps gp99 <<< "$g"; read -r hrps hp99 <<< "$h"
    python3 -c "print(f'$db $what: generated {$grps:.0f} req/s p99 $gp99, hand-written {$hrps:.0f} req/s p99 $hp99; throughput ratio {$grps/$hrps:.2f}, p99 ratio {$(to_ms $gp99)/$(to_ms $hp99):.2f}')"
  done
done
psql -q "$admin" -c 'DROP DATABASE IF EXISTS svcgen_bench_store'
