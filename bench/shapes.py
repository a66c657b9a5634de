#!/usr/bin/env python3
"""Writes a spec of an odd shape, for timing generation on it. Usage:

    python3 bench/shapes.py chain 2000 > target/bench/chain2000.toml   # schema N has a field of type N+1
    python3 bench/shapes.py fields 1000 > target/bench/fields1000.toml # one schema with that many fields

Either shape has one service whose endpoint takes and returns the first schema, so every
schema is reached by the service's OpenAPI document and its client.
"""

import sys

shape, n = sys.argv[1], int(sys.argv[2])
out = ['[system]', f'name = "{shape}"', '']
if shape == "chain":
    for i in range(n):
        out.append(f'[schemas.S{i}]')
        if i + 1 < n:
            out += [f'fields.next = "S{i + 1}"', '']
        else:  # the last one constrained, so the need for validation travels up the chain
            out += ['fields.name = { type = "string", max_len = 10 }', '']
elif shape == "fields":
    out += ['[schemas.S0]'] + [f'fields.f{i} = "string"' for i in range(n)] + ['']
else:
    sys.exit(f"unknown shape {shape!r}: use chain or fields")
out += [
    '[services.svc]', 'port = 8080', '',
    '[services.svc.endpoints.put]', 'method = "POST"', 'path = "/s"', 'request = "S0"', 'response = "S0"', '',
]
print("\n".join(out))
