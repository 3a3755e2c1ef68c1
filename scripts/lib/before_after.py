#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Reads the microbench JSON files of scripts/bench_before_after.sh
(before-P.json and now-P.json for pairs P = 1..N) and prints, per scenario
and edgefw program, the medians of both sides and the median per-pair
ratios now/before, raw and over each side's own parse-only figure."""
import argparse
import json
import os
import statistics
import sys

PROGRAMS = ("edgefw xdp", "edgefw tc")
BASELINE = "parse-only"


def load(path):
    with open(path, encoding="utf-8") as f:
        rows = json.load(f)
    return {(r["ruleset"], r["program"]): r["median_ns"] for r in rows}


def pair_ratios(pairs, key):
    """The raw and the parse-normalised ratio of each pair holding key."""
    raw, norm = [], []
    for before, now in pairs:
        if key not in before or key not in now:
            continue
        raw.append(now[key] / before[key])
        base = (key[0], BASELINE)
        if base in before and base in now:
            norm.append((now[key] / now[base]) / (before[key] / before[base]))
    return raw, norm


def scenarios(pairs):
    """Scenario names in the order the first run printed them."""
    seen = []
    for ruleset, _ in pairs[0][1]:
        if ruleset not in seen:
            seen.append(ruleset)
    return seen


def build_rows(pairs, limit):
    rows = []
    for ruleset in scenarios(pairs):
        for prog in (BASELINE,) + PROGRAMS:
            key = (ruleset, prog)
            raw, norm = pair_ratios(pairs, key)
            if not raw:
                continue
            before = statistics.median(p[0][key] for p in pairs if key in p[0])
            now = statistics.median(p[1][key] for p in pairs if key in p[1])
            row = {
                "ruleset": ruleset, "program": prog,
                "before_ns": round(before, 2), "now_ns": round(now, 2),
                "ratio": round(statistics.median(raw), 3),
                "ratio_min": round(min(raw), 3), "ratio_max": round(max(raw), 3),
                "ratio_parse_normalised":
                    round(statistics.median(norm), 3) if norm else None,
            }
            # Both readings must say slower: the raw one alone moves with
            # the machine, the normalised one alone with the parser.
            row["slower"] = prog != BASELINE and row["ratio"] > 1 + limit and (
                row["ratio_parse_normalised"] is None
                or row["ratio_parse_normalised"] > 1 + limit)
            rows.append(row)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--pairs", type=int, required=True)
    ap.add_argument("--limit", type=float, default=0.10)
    ap.add_argument("--rev", required=True)
    ap.add_argument("--head", required=True)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    pairs = [(load(os.path.join(a.dir, f"before-{p}.json")),
              load(os.path.join(a.dir, f"now-{p}.json")))
             for p in range(1, a.pairs + 1)]
    rows = build_rows(pairs, a.limit)
    print(f"\n## Existing scenarios: {a.head} against {a.rev}, {a.pairs} interleaved pairs\n")
    print("| ruleset | program | before ns | now ns | now/before | (min-max) | over parse-only | |")
    print("|---|---|---:|---:|---:|---|---:|---|")
    for r in rows:
        norm = r["ratio_parse_normalised"]
        print(f"| {r['ruleset']} | {r['program']} | {r['before_ns']:.1f} | {r['now_ns']:.1f} "
              f"| {r['ratio']:.3f} | {r['ratio_min']:.2f}-{r['ratio_max']:.2f} "
              f"| {'-' if norm is None else f'{norm:.3f}'} "
              f"| {'SLOWER' if r['slower'] else ''} |")
    slower = [r for r in rows if r["slower"]]
    print(f"\nnow/before: medians of the per-pair ratios; over parse-only: each side's "
          f"ns divided by its own parse-only ns first. SLOWER: both above {1 + a.limit:.2f}. "
          f"{len(slower)} of {sum(r['program'] != BASELINE for r in rows)} edgefw rows slower.")
    with open(a.json, "w", encoding="utf-8") as f:
        json.dump({"before": a.rev, "now": a.head, "pairs": a.pairs, "limit": a.limit,
                   "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
