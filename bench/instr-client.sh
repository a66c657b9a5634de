#!/usr/bin/env bash
# Instructions per call of the shop's generated typed client against plain reqwest doing the
# same call by hand (bench/client), counted by callgrind in the calling process only:
# (instructions with N + 1 calls - with 1 call) / N, one thread, one keep-alive connection,
# least of $INSTR_RUNS (default 3) measurements, the two in turn. The server is the hand-written
# in-memory users service (bench/handwritten, not under valgrind), reading a user with the
# staff key of bench/shop-auth.sh. Prints a table; fails when the generated client costs more
# than $INSTR_CLIENT_BAR (default 1.05) times plain reqwest.
# Usage: bench/instr-client.sh [N, default 1000]. Needs valgrind, curl and python3.
set -euo pipefail
. "$(dirname "$0")/callgrind.sh"
cd "$(dirname "$0")/.."
n=${1:-1000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --quiet --locked --release -p bench-client -p bench-handwritten
bin=$CARGO_TARGET_DIR/release
work=$(mktemp -d)
port=${INSTR_PORT:-9863}
. bench/shop-auth.sh
shop_auth "$work"
export STAFF_KEY
PORT=$port "$bin/bench-handwritten" >"$work/server.log" 2>&1 &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
base=http://127.0.0.1:$port
for _ in $(seq 100); do curl -s -o /dev/null "$base/users/x" && break; sleep 0.1; done
id=$(curl -sf -X POST "$base/users" -H 'content-type: application/json' \
  -d '{"name":"Ada","email":"ada@example.org"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

count() { # mode calls -> instructions
  "${callgrind[@]}" --callgrind-out-file="$work/out.%p" \
    "$bin/bench-client" "$1" "$base" "$id" "$2" >"$work/client.log" 2>&1 ||
    { echo "bench-client $1 failed: $(tail -n 3 "$work/client.log")" >&2; return 1; }
  awk '/^summary:/ {s += $2} END {print s}' "$work"/out.*
  rm -f "$work"/out.*
}

declare -A least
for _ in $(seq "${INSTR_RUNS:-3}"); do
  for mode in reqwest generated; do
    one=$(count "$mode" 1)
    many=$(count "$mode" $((n + 1)))
    per=$(( (many - one) / n ))
    if [[ -z "${least[$mode]:-}" || $per -lt ${least[$mode]} ]]; then least[$mode]=$per; fi
  done
done
python3 - "${least[reqwest]}" "${least[generated]}" "${INSTR_CLIENT_BAR:-1.05}" <<'PY'
import sys
h, g, bar = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
print("| `GET /users/{id}`, client side | instructions per call | ratio |")
print("|---|---|---|")
print(f"| plain reqwest, by hand | {h:,} | 1.000 |")
print(f"| generated typed client | {g:,} | {g / h:.3f} |")
if g / h > bar:
    sys.exit(f"the generated client costs {g / h:.3f} times plain reqwest (bar {bar})")
PY
