"""Copies one of svcgen's OpenAPI 3.1 documents for OpenAPI Generator (for bench/builds.sh).

Usage: python3 oag_input.py IN.json OUT.json

OpenAPI Generator 7.x reads 3.1 documents (in beta; `"type": ["string", "null"]` comes out as
`Option<Nullable<String>>` on the server and `Option<Option<String>>` in the client), so the
document is kept as 3.1 with one change: svcgen states the RFC 3339 grammar of every
`format: date-time` string as a `pattern` too, and the rust-axum generator turns that into a
`#[validate(regex(...))]` on a `chrono::DateTime` field, which does not compile (E0599, no
`validate_regex` for `DateTime`). The pattern is dropped from those strings only; the format
still makes them `DateTime<Utc>`.
"""

import json
import sys


def drop_date_time_patterns(node):
    n = 0
    if isinstance(node, dict):
        if node.get("format") == "date-time" and "pattern" in node:
            del node["pattern"]
            n += 1
        for v in node.values():
            n += drop_date_time_patterns(v)
    elif isinstance(node, list):
        for v in node:
            n += drop_date_time_patterns(v)
    return n


src, dst = sys.argv[1], sys.argv[2]
with open(src) as f:
    doc = json.load(f)
n = drop_date_time_patterns(doc)
with open(dst, "w") as f:
    json.dump(doc, f, indent=2)
print(f"oag_input.py: {src}: dropped the pattern of {n} date-time string(s)")
