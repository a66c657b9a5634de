#!/usr/bin/env bash
# Instructions per request of checking a caller (issue "Auth declared in the spec"), counted by
# callgrind the way bench/instr-per-request.sh counts `GET /users/{id}`: (instructions with
# N + 1 requests - with 1) / N, one worker thread, one keep-alive connection, least of
# $INSTR_RUNS (default 3) measurements, servers in turn. Every request carries the same valid
# EdDSA bearer token. Compared, side by side:
#   - handwritten: GET /whoami of bench/handwritten-auth (axum + jsonwebtoken by hand);
#   - generated:   GET /whoami of the auth fixture's `notes` service (tests/auth/), authenticated;
#   - public:      GET /runs of the same generated service, which checks no caller.
# Usage: bench/instr-auth.sh [N, default 1000]. Builds the servers in release. Prints a table;
# fails when the generated check costs more than $INSTR_AUTH_BAR (default 1.05) times the
# hand-written one (run by CI).
set -euo pipefail
. "$(dirname "$0")/callgrind.sh"
cd "$(dirname "$0")/.."
n=${1:-1000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --quiet --locked --release -p bench-handwritten-auth
cargo build --quiet --locked --release --manifest-path tests/auth/generated/guarded/Cargo.toml
bin=$CARGO_TARGET_DIR/release
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
port=${INSTR_PORT:-9862}
openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
"$bin/bench-handwritten-auth" jwks "$work/key.pem" > "$work/jwks.json"
token=$("$bin/bench-handwritten-auth" token "$work/key.pem")
export AUTH_USER_JWKS_FILE=$work/jwks.json

count() { # binary path requests -> instructions
  local server=$1 path=$2 requests=$3
  PORT=$port RUST_LOG=warn TOKIO_WORKER_THREADS=1 \
    "${callgrind[@]}" --callgrind-out-file="$work/out.%p" "$server" >"$work/log" 2>&1 &
  local pid=$!
  python3 - "$port" "$path" "$requests" "$token" <<'PY'
import http.client, sys, time
port, path, requests, token = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
headers = {"authorization": f"Bearer {token}"}
deadline = time.monotonic() + 120
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", path, headers=headers)
        r = c.getresponse(); r.read()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("the server did not start")
        time.sleep(0.2)
assert r.status == 200, r.status
for _ in range(requests - 1):
    c.request("GET", path, headers=headers)
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  awk '/^summary:/ {s += $2} END {print s}' "$work"/out.*
  rm -f "$work"/out.*
}

servers=(
  "handwritten $bin/bench-handwritten-auth /whoami"
  "generated $bin/guarded-notes /whoami"
  "public $bin/guarded-notes /runs"
)
declare -A least
for _ in $(seq "${INSTR_RUNS:-3}"); do
  for s in "${servers[@]}"; do
    read -r name server path <<<"$s"
    one=$(count "$server" "$path" 1)
    many=$(count "$server" "$path" $((n + 1)))
    per=$(( (many - one) / n ))
    if [[ -z "${least[$name]:-}" || $per -lt ${least[$name]} ]]; then least[$name]=$per; fi
  done
done
h=${least[handwritten]} g=${least[generated]} p=${least[public]}
python3 - "$h" "$g" "$p" "${INSTR_AUTH_BAR:-1.05}" <<'PY'
import sys
h, g, p = map(int, sys.argv[1:4])
bar = float(sys.argv[4])
print("| GET, one valid EdDSA token | instructions per request | ratio |")
print("|---|---|---|")
print(f"| hand-written axum + jsonwebtoken | {h:,} | 1.000 |")
print(f"| generated, authenticated | {g:,} | {g / h:.3f} |")
print(f"| generated, public endpoint (no check) | {p:,} | {p / h:.3f} |")
print(f"| cost of the check in the generated service | {g - p:,} | |")
if g / h > bar:
    sys.exit(f"the generated check costs {g / h:.3f} times the hand-written one (bar {bar})")
PY
