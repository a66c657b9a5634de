"""Writes the shop spec with everything about stores, events and auth taken out (for bench/builds.sh).

Usage: python http_only.py IN.toml OUT.toml [EDIT]...   (needs tomli-w: bench/builds.sh installs it in its venv)

Taken out:
  store   every service's `records` (its tables; `unique.*` there names the 409 errors, which stay
          as plain typed errors of their endpoints)
  events  the `[events.*]` table and each service's `publishes` / `subscribes`
  auth    the `[auth.*]` schemes (with their scopes), every endpoint's `auth =`, and the
          `credentials =` of each `depends_on` (forwarding the caller's credential)
Everything else (schemas, errors, endpoints, dependencies, ports) is kept as is, so the result is
the same four HTTP services with the same typed clients and schemas.

EDITs, applied after stripping, for the rebuild measurements (each changes one service's part):
  endpoint  adds `DELETE /items/{sku}` (204, NotFound) to `inventory`
  field     adds an optional field `discontinued` (bool?) to `Item`, which only `inventory` uses
"""

import sys
import tomllib

import tomli_w

src, dst, edits = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(src, "rb") as f:
    spec = tomllib.load(f)

removed = []
for key in ("auth", "events"):
    if spec.pop(key, None) is not None:
        removed.append(f"[{key}]")
for name, svc in spec.get("services", {}).items():
    for key in ("records", "publishes", "subscribes"):
        if svc.pop(key, None) is not None:
            removed.append(f"services.{name}.{key}")
    for ep_name, ep in svc.get("endpoints", {}).items():
        if ep.pop("auth", None) is not None:
            removed.append(f"services.{name}.endpoints.{ep_name}.auth")
    for dep_name, dep in svc.get("depends_on", {}).items():
        if isinstance(dep, dict) and dep.pop("credentials", None) is not None:
            removed.append(f"services.{name}.depends_on.{dep_name}.credentials")

# Anything left that still mentions these features would make the comparison unfair: refuse.
left = [k for k in ("auth", "events", "records", "publishes", "subscribes", "credentials", "scopes")
        if f"'{k}'" in repr(spec)]
if left:
    sys.exit(f"http_only.py: keys still present after stripping: {left}")

for edit in edits:
    if edit == "endpoint":
        spec["services"]["inventory"]["endpoints"]["delete_item"] = {
            "doc": "Takes an item out of the catalogue.",
            "method": "DELETE",
            "path": "/items/{sku}",
            "params": {"sku": "string"},
            "status": 204,
            "errors": ["NotFound"],
        }
    elif edit == "field":
        spec["schemas"]["Item"]["fields"]["discontinued"] = {
            "type": "bool?",
            "doc": "Set when the item is no longer sold.",
        }
    else:
        sys.exit(f"http_only.py: unknown edit {edit!r}")
    removed.append(f"(edit: {edit})")

with open(dst, "wb") as f:
    tomli_w.dump(spec, f)
print(f"http_only.py: removed {len([r for r in removed if not r.startswith('(')])} tables/keys: " + ", ".join(removed))
