#!/usr/bin/env python3
"""Print the median of every criterion benchmark under target/criterion as a Markdown table.

Used to fill the README's benchmark table after `cargo bench`; not run by CI.
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
rows = []
for estimates in sorted(root.glob("**/new/estimates.json")):
    bench = estimates.parent.parent
    meta = json.loads((estimates.parent / "benchmark.json").read_text())
    median = json.loads(estimates.read_text())["median"]["point_estimate"]
    rows.append((meta["group_id"], meta.get("function_id") or "", median))


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.1f} ns"


print("| Group | Benchmark | Median |")
print("|---|---|---|")
for group, function, median in rows:
    print(f"| {group} | {function} | {fmt(median)} |")
