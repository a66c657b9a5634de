#!/usr/bin/env python3
"""Runs schemathesis against every example service, each system running whole on its spec
ports with no configuration (the registry's local defaults wire it), with all default checks,
positive and negative data. Exits non-zero if schemathesis finds anything.

Usage: .ci/conformance.py [--max-examples N]  (run from anywhere; builds the binaries first)
"""

import argparse
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def wait_ready(port, name, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{name} did not become ready on port {port}")


# Credentials per system with auth: the arguments of `svcgen token` for its applicant-like
# scheme, and per API key scheme its header and the scopes of the key made for the run.
CREDENTIALS = {
    "grants": (
        ["--subject", "APP-000001", "--scope", "applicant", "--claim", "applicant_id=APP-000001"],
        {"staff": ("x-api-key", ["reports:read", "events:write"])},
    ),
    "permits": (None, {"officer": ("x-api-key", ["permits:read", "permits:decide", "fees:read"])}),
    "flood": (None, {"broker": ("x-api-key", ["policies:write", "policies:read", "invoices:read"])}),
    "small-business": (
        None,
        {"staff": ("x-api-key", ["grants:review", "grants:disburse", "finance:read"])},
    ),
    # The shop's customers sign in outside the system; schemathesis calls as staff, whose key
    # may act for any customer.
    "shop": (
        None,
        {
            "staff": (
                "x-api-key",
                ["customers:read", "orders:read", "orders:write", "catalog:write", "notifications:send"],
            )
        },
    ),
}

# Schemes whose tokens come from an identity provider outside the system: the services read its
# key set from a file. RFC 8037's example Ed25519 public key; no token is checked against it.
EXTERNAL_ISSUERS = {"shop": ["customer"]}
EXAMPLE_KEY_SET = {
    "keys": [
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            "kid": "conformance",
            "alg": "EdDSA",
        }
    ]
}


def svcgen(target, *args):
    """The output of the svcgen command line (built into `target`)."""
    return subprocess.run(
        [target / "debug" / "svcgen", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-examples", type=int, default=25)
    args = parser.parse_args()

    # Each system is a cargo workspace of its own; they share one target directory.
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    subprocess.run(
        ["cargo", "build", "--quiet", "--locked", "-p", "svcgen", "--target-dir", target],
        cwd=ROOT,
        check=True,
    )
    for manifest in sorted((ROOT / "generated").glob("*/Cargo.toml")):
        subprocess.run(
            ["cargo", "build", "--quiet", "--locked", "--bins", "--manifest-path", manifest, "--target-dir", target],
            check=True,
        )
    services = []
    for doc in sorted((ROOT / "generated").glob("*/*/openapi.json")):
        manifest = tomllib.loads((doc.parent / "Cargo.toml").read_text())
        port = int(json.loads(doc.read_text())["servers"][0]["url"].rsplit(":", 1)[1])
        services.append((manifest["package"]["name"], port, doc, doc.parent.parent.name))

    logs = target / "conformance-logs"
    logs.mkdir(parents=True, exist_ok=True)
    # Services with records keep them in SQLite files of this run only.
    data = tempfile.mkdtemp(prefix="svcgen-conformance-")
    env = dict(os.environ, SVCGEN_DATA_DIR=data)
    # The key the services of a system with auth deliver events to each other with.
    events_key = pathlib.Path(data) / "events.key"
    events_key.write_text(svcgen(target, "key", "--events"))
    env["EVENTS_KEY_FILE"] = str(events_key)
    env.pop("DATABASE_URL", None)
    # Systems with auth: their secrets, and credentials for schemathesis to send, so that it
    # reaches the handlers (it also checks that requests without them are refused).
    # Each system's services get the variables of its own secrets (schemes of two systems may
    # share a name).
    headers = {}
    envs = {}
    for system, (token_args, keys) in CREDENTIALS.items():
        secrets = pathlib.Path(data) / f"{system}-secrets"
        secrets.mkdir()
        envs[system] = system_env = dict(env)
        headers[system] = []
        if token_args is not None:
            key = secrets / "signing-key.pem"
            key.write_text(svcgen(target, "key", "--signing"))
            system_env["AUTH_SIGNING_KEY_FILE"] = str(key)
            token = svcgen(target, "token", system, "--key", str(key), "--ttl", "7200", *token_args).strip()
            headers[system].append(f"Authorization: Bearer {token}")
        for scheme in EXTERNAL_ISSUERS.get(system, []):
            key_set = secrets / f"{scheme}.jwks.json"
            key_set.write_text(json.dumps(EXAMPLE_KEY_SET))
            system_env[f"AUTH_{scheme.upper()}_JWKS_FILE"] = str(key_set)
        for scheme, (header, scopes) in keys.items():
            made = svcgen(target, "key", "--subject", "conformance", *[a for s in scopes for a in ("--scope", s)])
            api_key, line = made.splitlines()[:2]
            (secrets / f"{scheme}.keys").write_text(line + "\n")
            system_env[f"AUTH_{scheme.upper()}_KEYS_FILE"] = str(secrets / f"{scheme}.keys")
            headers[system].append(f"{header}: {api_key}")
    children = []
    failed = []
    try:
        for name, port, _, system in services:
            log = open(logs / f"{name}.log", "w")
            children.append(
                subprocess.Popen([target / "debug" / name], stdout=log, stderr=log, env=envs.get(system, env))
            )
        for name, port, _, _ in services:
            wait_ready(port, name)
        for name, port, doc, system in services:
            print(f"== schemathesis: {name} ({doc.relative_to(ROOT)})", flush=True)
            auth = [a for h in headers.get(system, []) for a in ("-H", h)]
            result = subprocess.run(
                [
                    "st", "run", str(doc),
                    "--url", f"http://127.0.0.1:{port}",
                    "--max-examples", str(args.max_examples),
                    "--seed", "1",
                    "--no-color",
                    *auth,
                ],
                cwd=logs,
                capture_output=True,
                text=True,
            )
            (logs / f"{name}.schemathesis.txt").write_text(result.stdout + result.stderr)
            summary = result.stdout[result.stdout.find("SUMMARY"):] if "SUMMARY" in result.stdout else result.stdout
            print(summary.strip().splitlines()[-1] if summary.strip() else "(no output)", flush=True)
            if result.returncode != 0:
                failed.append(name)
                print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
    finally:
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        shutil.rmtree(data, ignore_errors=True)
    if failed:
        raise SystemExit(f"schemathesis found problems in: {', '.join(failed)}")
    print(f"schemathesis: {len(services)} services, no problems found")


if __name__ == "__main__":
    main()
