#!/usr/bin/env bash
# Instructions per request of servers of `GET /users/{id}`, counted by valgrind's callgrind:
# (instructions with N + 1 requests - instructions with 1 request) / N, each server started
# fresh for both runs, one worker thread, one keep-alive connection, requests one at a time.
# A server whose work is handed between threads (sqlx's SQLite worker, PostgreSQL's answers
# arriving while the worker is parked or not) does a few per cent more or less of it depending
# on timing; each figure is the least of $INSTR_RUNS measurements (default 3), the servers
# measured in turn. Prints "NAME COUNT" per server.
# Usage: bench/instr-per-request.sh N NAME=BINARY [NAME=BINARY ...]
# Each binary serves POST /users ({"name", "email"} -> {"id", ...}) and GET /users/{id} on
# $PORT. The environment (DATABASE_URL, ...) is passed on; every GET carries the header in
# $INSTR_HEADER when set (`name: value`, a credential, say). Needs valgrind and python3.
set -euo pipefail
. "$(dirname "$0")/callgrind.sh"
n=$1; shift
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
port=${INSTR_PORT:-9851}

count() { # binary requests -> instructions
  local bin=$1 requests=$2
  PORT=$port RUST_LOG=warn TOKIO_WORKER_THREADS=1 \
    "${callgrind[@]}" --callgrind-out-file="$work/out.%p" "$bin" >"$work/log" 2>&1 &
  local pid=$!
  if ! python3 - "$port" "$requests" "${INSTR_HEADER:-}" <<'PY'
import http.client, json, sys, time
port, requests = int(sys.argv[1]), int(sys.argv[2])
headers = dict([[part.strip() for part in sys.argv[3].split(":", 1)]]) if sys.argv[3] else {}
deadline = time.monotonic() + 120
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", "/users", body=json.dumps({"name": "Ada", "email": "ada@example.org"}),
                  headers={"content-type": "application/json"})
        r = c.getresponse()
        body = r.read()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("the server did not start")
        time.sleep(0.2)
assert r.status == 201, (r.status, body)
uid = json.loads(body)["id"]
for _ in range(requests):
    c.request("GET", f"/users/{uid}", headers=headers)
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
PY
  then
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    echo "the requests to $bin failed: $(tail -n 3 "$work/log" 2>/dev/null)" >&2
    return 1
  fi
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  # The `summary:` line: the whole program's instructions, every thread.
  awk '/^summary:/ {s += $2} END {print s}' "$work"/out.*
  rm -f "$work"/out.*
}

runs=${INSTR_RUNS:-3}
declare -A least
for _ in $(seq "$runs"); do
  for server in "$@"; do
    name=${server%%=*}; bin=${server#*=}
    one=$(count "$bin" 1)
    many=$(count "$bin" $((n + 1)))
    per=$(( (many - one) / n ))
    if [[ -z "${least[$name]:-}" || $per -lt ${least[$name]} ]]; then least[$name]=$per; fi
  done
done
for server in "$@"; do
  name=${server%%=*}
  echo "$name ${least[$name]}"
done
