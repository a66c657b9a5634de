"""Prints the slowest units of a `cargo build --timings` report (for bench/builds.sh).

Usage: python3 timings.py REPORT.html [N]

The report's HTML holds its data as `const UNIT_DATA = [...]`; this prints the N (10) units
with the longest duration, then the workspace's own crates (names starting `shop-`, and
`svcgen-runtime`) with their total.
"""

import json
import sys

path = sys.argv[1]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 10
html = open(path, encoding="utf-8").read()
start = html.index("const UNIT_DATA = ") + len("const UNIT_DATA = ")
units, _ = json.JSONDecoder().raw_decode(html, start)
units = [u for u in units if u.get("duration", 0) > 0]


def line(u):
    rmeta = u.get("rmeta_time")
    extra = f"  (rmeta {rmeta:.1f}s)" if rmeta else ""
    return f"  {u['duration']:6.1f}s  {u['name']} v{u['version']}{u['target']}{extra}"


print(f"  {len(units)} units, {sum(u['duration'] for u in units):.1f}s of compile time in all")
print(f"  slowest {top}:")
for u in sorted(units, key=lambda u: -u["duration"])[:top]:
    print(line(u))
own = [u for u in units if u["name"].startswith("shop-") or u["name"] == "svcgen-runtime"]
print(f"  the workspace's own crates ({sum(u['duration'] for u in own):.1f}s):")
for u in sorted(own, key=lambda u: -u["duration"]):
    print(line(u))
