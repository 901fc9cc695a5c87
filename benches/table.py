#!/usr/bin/env python3
"""Reads capstan-bench JSON lines; prints a markdown table of the median figure per subject
and workload, and Capstan's ratio against each peer and against the raw-TCP floor.

Ratios are "Capstan is N times as good": for rates (calls/s, MB/s, items/s) Capstan/peer,
for times (p50 µs, ms per chain, KiB per connection) peer/Capstan. Above 1 Capstan is ahead.
"""
import json
import statistics
import sys

# workload -> (field, unit, higher is better)
FIGURE = {
    "latency": ("p50_us", "p50 µs", False),
    "throughput": ("per_sec", "calls/s", True),
    "payload": ("mb_per_s_each_way", "MB/s each way", True),
    "stream": ("per_sec", "items/s", True),
    "stream_bidi": ("per_sec", "items/s", True),
    "pipeline": ("ms_per_chain", "ms/chain", False),
    "callback": ("p50_us", "p50 µs", False),
    "connections": ("kib_per_conn", "KiB/conn", False),
}
CAPSTAN = ["capstan-tcp-msgpack", "capstan-ws-json"]
PEERS = ["raw-tcp", "tarpc-bincode", "tonic", "capnp-rpc"]


def main(path):
    runs = {}
    subjects = []
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        key = (r["lib"], r["workload"])
        if r["lib"] not in subjects:
            subjects.append(r["lib"])
        runs.setdefault(key, []).append(r)

    def cell(lib, workload):
        rs = runs.get((lib, workload), [])
        ok = [r for r in rs if r.get("status") == "ok"]
        field = FIGURE[workload][0]
        if ok:
            return statistics.median(r[field] for r in ok)
        if rs:
            return rs[-1].get("status", "error")
        return None

    def fmt(v):
        if v is None:
            return "–"
        if isinstance(v, str):
            return v
        return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"

    workloads = [w for w in FIGURE if any((s, w) in runs for s in subjects)]
    print("| workload | figure | " + " | ".join(subjects) + " |")
    print("|---|---|" + "---|" * len(subjects))
    for w in workloads:
        print(f"| {w} | {FIGURE[w][1]} | " + " | ".join(fmt(cell(s, w)) for s in subjects) + " |")

    print()
    print("Capstan's ratio (above 1: Capstan ahead; rates Capstan/peer, times peer/Capstan)")
    print()
    pairs = [(c, p) for c in CAPSTAN if c in subjects for p in PEERS if p in subjects]
    print("| workload | " + " | ".join(f"{c.replace('capstan-', '')} vs {p}" for c, p in pairs) + " |")
    print("|---|" + "---|" * len(pairs))
    for w in workloads:
        higher = FIGURE[w][2]
        cells = []
        for c, p in pairs:
            a, b = cell(c, w), cell(p, w)
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a and b:
                cells.append(f"{(a / b) if higher else (b / a):.2f}")
            else:
                cells.append("–")
        print(f"| {w} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
