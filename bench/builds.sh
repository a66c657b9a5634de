#!/usr/bin/env bash
# Build times of the generated shop against OpenAPI Generator's output (issue 15, item 7).
#
# What it measures, in one run, each build cold (an empty target dir of its own under
# target/builds/; the cargo registry cache may be warm: `cargo fetch` runs first, so downloads
# are never timed), debug profile, `cargo build` of the whole workspace:
#
#   1. anchor      OpenAPI Generator's `rust-axum` server and `rust` (reqwest) client crates for
#                  the shop's four services (users, inventory, orders, notification), generated
#                  from generated/shop/<service>/openapi.json: eight crates in one workspace,
#                  target/builds/openapi-generator/ (written anew each run).
#   2. http-only   svcgen's shop with stores, events and auth stripped from specs/shop.toml
#                  (bench/builds/http_only.py), generated into target/builds/shop-http/.
#   3. full        the committed generated/shop workspace (built with `--locked`; nothing in it
#                  is written).
#   Then the ratios http-only / anchor and full / anchor, what store + events + auth add
#   (full − http-only), the crates compiled by each ("Compiling" lines), the slowest units of
#   each build (`--timings`, bench/builds/timings.py), and
#   4. rebuilds    in the HTTP-only workspace with its now-warm target dir: (a) a comment appended
#                  to one handler file (`notification`, which nothing depends on; `inventory`,
#                  whose client `orders` uses), (b) one service changed in the spec and the
#                  system regenerated: an endpoint added to `inventory`, then an optional field
#                  added to `Item` (a schema only `inventory` uses). Each lists what svcgen
#                  rewrote, what cargo recompiled, and the time.
#
# Run from anywhere (it cds to the repository root), after `cargo build --release -p svcgen`:
#
#   bench/builds.sh                     # 6–10 minutes on a shared 2-core machine
#
# The output is also written to target/builds/builds.log; each build's cargo output to
# target/builds/logs/. Builds run under `nice -n 10` with CARGO_BUILD_JOBS=2 (override with
# CARGO_BUILD_JOBS). Needs python3 ≥ 3.11, Java ≥ 11 (OpenAPI Generator), network access to PyPI
# and crates.io the first time. ANCHOR_TLS=1 keeps the generated clients' default `native-tls`
# feature (off by default: svcgen's client speaks plain HTTP, so the anchor does too).
#
# OpenAPI Generator (openapi-generator-cli on PyPI, which bundles the generator's jar) goes into
# a venv at target/builds/venv, with tomli-w for writing the stripped spec. What had to change
# for its output to build (the smallest mechanical changes; see the helpers for why):
#   - input: the `pattern` of `format: date-time` strings is dropped from a copy of each document
#     (bench/builds/oag_input.py); the documents stay OpenAPI 3.1, which the generator reads.
#   - clients: `default = ["native-tls"]` becomes `default = []` (unless ANCHOR_TLS=1).
#   - the workspace's Cargo.lock is bench/builds/openapi-generator.Cargo.lock when present, so
#     reruns resolve the same versions (the svcgen builds use generated/shop/Cargo.lock).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

OAG_VERSION=7.26.0
SERVICES="users inventory orders notification"
B=target/builds
SVCGEN=${SVCGEN:-target/release/svcgen}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
export CARGO_TERM_COLOR=never
unset CARGO_TARGET_DIR RUSTC_WRAPPER

if [[ ! -x $SVCGEN ]]; then
    echo "builds.sh: $SVCGEN is missing: run cargo build --release -p svcgen first" >&2
    exit 2
fi

mkdir -p "$B/logs"
exec > >(tee "$B/builds.log") 2>&1

now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# Keeps this machine's paths out of the logs.
scrub() { sed -i "s|$PWD/|./|g" "$@"; }
crate_names() { sed -n 's/^ *Compiling \([^ ]*\) .*/\1/p' "$1" | tr '\n' ' '; }

# build NAME MANIFEST TARGET_DIR [CARGO ARGS]: sets SECS, CRATES; the log is $B/logs/NAME.log.
build() {
    local name=$1 manifest=$2 tdir=$3
    shift 3
    local log=$B/logs/$name.log t0 t1
    echo "  [$name] load average before: $(load)"
    t0=$(now)
    if ! CARGO_TARGET_DIR=$tdir nice -n 10 cargo build --manifest-path "$manifest" "$@" >"$log" 2>&1; then
        scrub "$log"
        tail -40 "$log"
        echo "builds.sh: the $name build failed (log: $log)" >&2
        exit 1
    fi
    t1=$(now)
    scrub "$log"
    SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    CRATES=$(grep -c '^ *Compiling ' "$log" || true)
    echo "  [$name] $SECS s, $CRATES crates compiled"
}

# cold NAME MANIFEST: an empty target dir of its own, with --timings.
cold() {
    local name=$1 manifest=$2 tdir=$B/target-$1
    shift 2
    rm -rf "$tdir"
    build "$name" "$manifest" "$tdir" --timings "$@"
    local report
    report=$(sed -n 's/^ *Timing report saved to \(.*\)$/\1/p' "$B/logs/$name.log" | tail -1)
    if [[ -n $report ]]; then
        python3 bench/builds/timings.py "${report/#.\//}" 10 >"$B/logs/$name.timings.txt"
    fi
}

echo "== bench/builds.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, CARGO_BUILD_JOBS=$CARGO_BUILD_JOBS"
echo "   $(rustc --version), $(cargo --version)"

# ── Tools ──────────────────────────────────────────────────────────────────
if [[ ! -x $B/venv/bin/openapi-generator-cli ]] || ! "$B/venv/bin/python" -c 'import tomli_w' 2>/dev/null; then
    echo "== installing openapi-generator-cli $OAG_VERSION and tomli-w into $B/venv"
    python3 -m venv "$B/venv"
    "$B/venv/bin/pip" install -q "openapi-generator-cli==$OAG_VERSION" "tomli-w==1.2.0"
fi
OAG=$B/venv/bin/openapi-generator-cli
echo "   OpenAPI Generator $("$OAG" version 2>/dev/null | tail -1), $(java -version 2>&1 | head -1)"

# ── 1. The anchor: OpenAPI Generator's crates for the four services ─────────
A=$B/openapi-generator
echo "== generating the anchor into $A"
rm -rf "$A"
mkdir -p "$A/input"
members=""
for s in $SERVICES; do
    python3 bench/builds/oag_input.py "generated/shop/$s/openapi.json" "$A/input/$s.json" | sed 's/^/   /'
    "$OAG" generate -i "$A/input/$s.json" -g rust-axum -o "$A/$s-server" \
        --additional-properties=packageName=shop-$s-server >"$B/logs/oag-$s-server.log" 2>&1
    "$OAG" generate -i "$A/input/$s.json" -g rust -o "$A/$s-client" \
        --additional-properties=packageName=shop-$s-client,library=reqwest >"$B/logs/oag-$s-client.log" 2>&1
    members+="    \"$s-server\",\n    \"$s-client\",\n"
done
scrub "$B"/logs/oag-*.log
if [[ ${ANCHOR_TLS:-0} != 1 ]]; then
    sed -i 's/^default = \["native-tls"\]$/default = []/' "$A"/*-client/Cargo.toml
    grep -q '^default = \[\]$' "$A/users-client/Cargo.toml" ||
        { echo "builds.sh: the client's default features are not what they were" >&2; exit 1; }
fi
printf '# Written by bench/builds.sh: OpenAPI Generator %s output for the shop.\n[workspace]\nresolver = "3"\nmembers = [\n%b]\n' \
    "$OAG_VERSION" "$members" >"$A/Cargo.toml"
[[ -f bench/builds/openapi-generator.Cargo.lock ]] && cp bench/builds/openapi-generator.Cargo.lock "$A/Cargo.lock"

# ── 2. svcgen, HTTP only ───────────────────────────────────────────────────
# The spec keeps its file name (shop.toml): svcgen names it in every file's header.
H=$B/shop-http/shop
# Relative to the system folder target/builds/shop-http/shop: the repository's runtime/ crate,
# as generated/shop uses it (specs/svcgen.toml), instead of a vendored copy.
RUNTIME_PATH=../../../../runtime
strip_spec() { "$B/venv/bin/python" bench/builds/http_only.py specs/shop.toml "$B/http-spec/shop.toml" "$@"; }
regen() { "$SVCGEN" generate "$B/http-spec/shop.toml" --out "$B/shop-http" --runtime-path "$RUNTIME_PATH" 2>&1 | sed "s|$PWD/||g; s/^/   /"; }
echo "== generating the HTTP-only shop into $H"
rm -rf "$B/shop-http" "$B/http-spec"
mkdir -p "$B/http-spec"
strip_spec | fold -s -w 110 | sed 's/^/   /'
regen
# The same dependency versions as the full shop (cargo drops what the HTTP-only one does not use).
cp generated/shop/Cargo.lock "$H/Cargo.lock"

# ── Downloads, untimed ─────────────────────────────────────────────────────
echo "== cargo fetch"
cargo fetch -q --manifest-path "$A/Cargo.toml"
cargo fetch -q --manifest-path "$H/Cargo.toml"
cargo fetch -q --locked --manifest-path generated/shop/Cargo.toml

# ── Cold builds, side by side ──────────────────────────────────────────────
echo "== cold debug builds"
cold anchor "$A/Cargo.toml"
ANCHOR_S=$SECS ANCHOR_N=$CRATES
cold http-only "$H/Cargo.toml"
HTTP_S=$SECS HTTP_N=$CRATES
cold full generated/shop/Cargo.toml --locked
FULL_S=$SECS FULL_N=$CRATES

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "== cold debug cargo build, whole workspace"
printf '   %-50s %7s  %s\n' "build" "seconds" "crates compiled"
printf '   %-50s %7s  %s\n' "anchor: OpenAPI Generator, 4 servers + 4 clients" "$ANCHOR_S" "$ANCHOR_N"
printf '   %-50s %7s  %s\n' "svcgen shop, HTTP only" "$HTTP_S" "$HTTP_N"
printf '   %-50s %7s  %s\n' "svcgen shop, full (store, events, auth)" "$FULL_S" "$FULL_N"
echo "   http-only / anchor = $(ratio "$HTTP_S" "$ANCHOR_S")   (target: ≤ 0.6)"
echo "   full / anchor      = $(ratio "$FULL_S" "$ANCHOR_S")"
echo "   store + events + auth add $(awk -v a="$FULL_S" -v b="$HTTP_S" 'BEGIN { printf "%.1f", a - b }') s and $((FULL_N - HTTP_N)) crates (full − http-only)"
for name in anchor http-only full; do
    if [[ -f $B/logs/$name.timings.txt ]]; then
        echo "-- $name: cargo --timings"
        cat "$B/logs/$name.timings.txt"
    fi
done

# ── 4. Rebuilds in the warm HTTP-only workspace ─────────────────────────────
echo
echo "== rebuilds (HTTP-only workspace, warm target dir $B/target-http-only)"
rebuild() {
    build "rebuild-$1" "$H/Cargo.toml" "$B/target-http-only"
    echo "  [rebuild-$1] recompiled: $(crate_names "$B/logs/rebuild-$1.log")"
}
changed_since() { find "$H" -type f -newer "$1" | sed "s|^$H/||" | sort | tr '\n' ' '; }

echo "-- (a) a comment appended to notification/src/handlers.rs"
echo "// touched by bench/builds.sh" >>"$H/notification/src/handlers.rs"
rebuild handler-notification
echo "-- (a) a comment appended to inventory/src/handlers.rs"
echo "// touched by bench/builds.sh" >>"$H/inventory/src/handlers.rs"
rebuild handler-inventory

echo "-- (b) the spec: an endpoint added to inventory (DELETE /items/{sku}); regenerated"
# handlers.rs is written once and never again: removing it makes svcgen write it anew with a
# stub for the new endpoint, as its author would add one.
touch "$B/marker"
sleep 1
rm "$H/inventory/src/handlers.rs"
echo "   http_only.py: $(strip_spec endpoint | grep -o '(edit: [a-z]*)' | tr '\n' ' ')"
regen
echo "   files written: $(changed_since "$B/marker")"
rebuild spec-endpoint

echo "-- (b) the spec: an optional field added to Item (used by inventory only); regenerated"
touch "$B/marker"
sleep 1
echo "   http_only.py: $(strip_spec endpoint field | grep -o '(edit: [a-z]*)' | tr '\n' ' ')"
regen
echo "   files written: $(changed_since "$B/marker")"
rebuild spec-field

echo
echo "== done: log in $B/builds.log, cargo output in $B/logs/"
