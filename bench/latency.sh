#!/usr/bin/env bash
# Latency under load, wall clock (reported, never gated): `GET /users/{id}` of the generated
# users service (bench/generated: the generated stack with an in-memory store) against the same
# service by hand in bare axum (bench/handwritten), release builds, both checking the staff key
# of bench/shop-auth.sh. wrk with 2 threads and 64 connections for $2 seconds (default 30),
# the two servers alternating $1 times (default 3). Prints each run's p50 and p99 and, per
# pair of runs, generated / hand-written; then the median ratio and the spread.
# Needs wrk (Debian package `wrk`), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
secs=${2:-30}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --quiet --locked --release -p bench-handwritten -p bench-generated
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
. bench/shop-auth.sh
shop_auth "$work"
port=${LATENCY_PORT:-9864}

run() { # binary -> "p50_ms p99_ms req/s"
  PORT=$port RUST_LOG=warn "$CARGO_TARGET_DIR/release/$1" >/dev/null 2>&1 &
  local pid=$! id
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/users/x" && break; sleep 0.1; done
  id=$(curl -sf -X POST "http://127.0.0.1:$port/users" -H 'content-type: application/json' \
    -d '{"name":"Ada","email":"ada@example.org"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  wrk -t2 -c64 -d"${secs}s" --latency -H "x-api-key: $STAFF_KEY" \
    "http://127.0.0.1:$port/users/$id" > "$work/out"
  kill -TERM $pid; wait $pid 2>/dev/null || true
  python3 - "$work/out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    n, unit = float(re.match(r"[\d.]+", v).group()), re.sub(r"[\d.]", "", v)
    return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n
p50 = ms(re.search(r"^\s*50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s*99%\s+(\S+)", text, re.M).group(1))
rps = float(re.search(r"Requests/sec:\s+(\S+)", text).group(1))
print(f"{p50:.3f} {p99:.3f} {rps:.0f}")
PY
}

echo "| run | generated p50 / p99 ms | hand-written p50 / p99 ms | p50 ratio | p99 ratio | req/s generated / hand-written |"
echo "|---|---|---|---|---|---|"
ratios=()
for r in $(seq "$rounds"); do
  read -r g50 g99 grps <<<"$(run bench-generated)"
  read -r h50 h99 hrps <<<"$(run bench-handwritten)"
  line=$(python3 -c "print(f'| $r | $g50 / $g99 | $h50 / $h99 | {$g50/$h50:.2f} | {$g99/$h99:.2f} | $grps / $hrps |')")
  echo "$line"
  ratios+=("$(python3 -c "print($g50/$h50, $g99/$h99)")")
done
printf '%s\n' "${ratios[@]}" | python3 -c '
import statistics, sys
pairs = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
for i, name in enumerate(["p50", "p99"]):
    values = [p[i] for p in pairs]
    print(f"{name}: median ratio {statistics.median(values):.2f} (spread {min(values):.2f}-{max(values):.2f})")
'
