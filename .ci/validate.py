#!/usr/bin/env python3
"""Validates every generated deployment and API document with real validators:

- each OpenAPI document with openapi-spec-validator (OpenAPI 3.1);
- each compose.yaml against the Compose Specification JSON schema (.ci/schemas/compose-spec.json,
  a copy of the schema kept in ../shared/schemas);
- each k8s.yaml with kubernetes-validate (strict: unknown fields are errors).

Exits non-zero, naming every failing file, when anything is invalid.
"""

import json
import pathlib
import subprocess
import sys

import jsonschema
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

ROOT = pathlib.Path(__file__).resolve().parent.parent
TREES = [ROOT / "generated", ROOT / "tests" / "hostile" / "generated", ROOT / "tests" / "echo" / "generated"]


def files(pattern):
    return sorted(p for tree in TREES for p in tree.glob(pattern) if "target" not in p.parts)


def main():
    failures = []
    openapi = files("*/*/openapi.json")
    for path in openapi:
        try:
            spec, _ = read_from_filename(str(path))
            validate(spec)
        except Exception as e:  # noqa: BLE001 - report every failure
            failures.append(f"{path.relative_to(ROOT)}: {e}")

    schema = json.loads((ROOT / ".ci" / "schemas" / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    compose = files("*/compose.yaml")
    for path in compose:
        document = yaml.safe_load(path.read_text())
        for error in validator.iter_errors(document):
            failures.append(f"{path.relative_to(ROOT)}: {error.json_path}: {error.message}")

    k8s = files("*/k8s.yaml")
    if k8s:
        result = subprocess.run(
            ["kubernetes-validate", "--strict", "--quiet", *map(str, k8s)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            failures.append(f"kubernetes-validate:\n{result.stdout}{result.stderr}")

    print(f"validated {len(openapi)} OpenAPI documents, {len(compose)} Compose files, {len(k8s)} Kubernetes manifests")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
