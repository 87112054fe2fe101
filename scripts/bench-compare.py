#!/usr/bin/env python3
"""Merges two BenchmarkDotNet per-event reports (baseline build and result build, run back to back by scripts/bench.sh)
into one markdown table: per fixture the parse floor, the engine, their ratio and the allocations of each build, then
the median and maximum ratio and the allocation-to-payload ratios against the issue's goals (≤ 2×, ≤ 3×, ≤ 2× payload).
Usage: bench-compare.py BASELINE.csv RESULT.csv FIXTURES_ROOT"""
import csv, os, statistics, sys

def read(path):
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["Fixture"], {})["floor" if "floor" in r["Method"] else "engine"] = r
    return rows

def micros(text):
    value, unit = text.replace(",", "").split()
    return float(value) * {"ns": 1e-3, "μs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}[unit]

def bytes_(text):
    if text in ("-", "0 B", ""): return 0.0
    value, unit = text.replace(",", "").split()
    return float(value) * {"B": 1, "KB": 1024, "MB": 1024 * 1024}[unit]

base, new, root = read(sys.argv[1]), read(sys.argv[2]), sys.argv[3]
# BenchmarkDotNet's per-benchmark median of the iterations where its report has one (it adds the column only when the
# median differs from the mean): on a shared machine one slow iteration moves the mean a lot.
def pick(row):
    return row.get("Median") or row["Mean"]
print("Times are BenchmarkDotNet's median per benchmark (its mean where a report has no median column); ratio = engine ÷ floor of the same build.")
print()
print("| Payload (bytes) | baseline: floor / engine | baseline ratio | baseline allocated | result: floor / engine | **result ratio** | result allocated | result alloc ÷ payload |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
ratios_b, ratios_n, allocs_n = [], [], []
for fixture in sorted(new):
    size = os.path.getsize(os.path.join(root, fixture))
    b, n = base.get(fixture), new[fixture]
    fn, en = micros(pick(n["floor"])), micros(pick(n["engine"]))
    an = bytes_(n["engine"]["Allocated"])
    ratios_n.append(en / fn); allocs_n.append(an / size)
    if b:
        fb, eb = micros(pick(b["floor"])), micros(pick(b["engine"]))
        ratios_b.append(eb / fb)
        bcols = f"{fb:.1f} / {eb:.1f} µs | {eb / fb:.2f}× | {bytes_(b['engine']['Allocated']) / 1024:.1f} KB"
    else:
        bcols = "– | – | –"
    print(f"| `{fixture}` ({size:,}) | {bcols} | {fn:.1f} / {en:.1f} µs | **{en / fn:.2f}×** | {an / 1024:.1f} KB | {an / size:.2f}× |")
print()
if ratios_b:
    print(f"Baseline: engine ÷ floor median **{statistics.median(ratios_b):.2f}×**, max **{max(ratios_b):.2f}×**.  ")
print(f"Result: engine ÷ floor median **{statistics.median(ratios_n):.2f}×** (goal ≤ 2), max **{max(ratios_n):.2f}×** (goal ≤ 3); "
      f"allocated ÷ payload median **{statistics.median(allocs_n):.2f}×**, max **{max(allocs_n):.2f}×** (goal ≤ 2).")
