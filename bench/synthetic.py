#!/usr/bin/env python3
"""Writes a synthetic system spec: N services x M endpoints, each service depending on the
previous two, with objects, enums, constraints and typed errors. Usage:

    python3 bench/synthetic.py 200 10 > target/bench/synthetic.toml
"""

import sys

services, endpoints = (int(a) for a in sys.argv[1:3])
out = ['[system]', 'name = "synthetic"', 'doc = "A synthetic system for generation benchmarks."', '']
out += ['[schemas.Status]', 'enum = ["new", "active", "closed"]', '']
out += ['[errors.NotFound]', 'status = 404', '', '[errors.Conflict]', 'status = 409', '']
for s in range(services):
    out += [
        f'[schemas.Thing{s}]',
        f'fields.id = "uuid"',
        f'fields.name = {{ type = "string", min_len = 1, max_len = 100 }}',
        f'fields.count = {{ type = "i32", min = 0, max = 1000 }}',
        f'fields.status = {{ type = "Status", default = "new" }}',
        f'fields.tags = {{ type = "[string]", max_items = 10, default = [] }}',
        f'fields.email = {{ type = "string?", format = "email" }}',
        '',
    ]
for s in range(services):
    deps = [f'"svc{d}"' for d in (s - 1, s - 2) if d >= 0]
    out += [f'[services.svc{s}]', f'port = {20000 + s}', f'depends_on = [{", ".join(deps)}]', '']
    for e in range(endpoints):
        kind = e % 3
        out.append(f'[services.svc{s}.endpoints.op{e}]')
        if kind == 0:
            out += ['method = "GET"', f'path = "/things{e}/{{id}}"', 'params.id = "uuid"', f'response = "Thing{s}"', 'errors = ["NotFound"]']
        elif kind == 1:
            out += ['method = "POST"', f'path = "/things{e}"', f'request = "Thing{s}"', f'response = "Thing{s}"', 'status = 201', 'errors = ["Conflict"]']
        else:
            out += ['method = "GET"', f'path = "/things{e}"', 'query.limit = { type = "i32", min = 1, max = 100, default = 20 }', f'response = "[Thing{s}]"']
        out.append('')
print("\n".join(out))
