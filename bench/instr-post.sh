#!/usr/bin/env bash
# Instructions per valid `POST /users` (body decoded, validated, stored), callgrind:
# (instructions with N + 1 requests - with 1) / N, least of $INSTR_RUNS runs, servers in turn.
# Usage: bench/instr-post.sh N NAME=BINARY ...  (the environment is passed on: DATABASE_URL, ...)
set -euo pipefail
. "$(dirname "$0")/callgrind.sh"
n=$1; shift
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
port=${INSTR_PORT:-9852}
count() {
  local bin=$1 requests=$2
  PORT=$port RUST_LOG=warn TOKIO_WORKER_THREADS=1 \
    "${callgrind[@]}" --callgrind-out-file="$work/out.%p" "$bin" >"$work/log" 2>&1 &
  local pid=$!
  if ! python3 - "$port" "$requests" <<'PY'
import http.client, json, sys, time
port, requests = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 120
def post(c, i):
    c.request("POST", "/users", body=json.dumps({"name": "Ada", "email": f"ada{i}@example.org"}),
              headers={"content-type": "application/json"})
    r = c.getresponse(); r.read()
    assert r.status == 201, r.status
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        post(c, 0)
        break
    except OSError:
        if time.monotonic() > deadline: sys.exit("the server did not start")
        time.sleep(0.2)
for i in range(1, requests):
    post(c, i)
PY
  then
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    echo "the requests to $bin failed: $(tail -n 3 "$work/log" 2>/dev/null)" >&2
    return 1
  fi
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  awk '/^summary:/ {s += $2} END {print s}' "$work"/out.*
  rm -f "$work"/out.*
}
declare -A least
for _ in $(seq "${INSTR_RUNS:-3}"); do
  for server in "$@"; do
    name=${server%%=*}; bin=${server#*=}
    one=$(count "$bin" 1); many=$(count "$bin" $((n + 1)))
    per=$(( (many - one) / n ))
    if [[ -z "${least[$name]:-}" || $per -lt ${least[$name]} ]]; then least[$name]=$per; fi
  done
done
for server in "$@"; do name=${server%%=*}; echo "$name ${least[$name]}"; done
