#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The end-to-end benchmark's arithmetic (scripts/bench_e2e.sh).

  bench_e2e_report.py sample --scenario S --receiver R --mode sat|rate --rep N
        --target-pps P --hz HZ --before "k=v ..." --after "k=v ..."
        --generator "frames N seconds S pps P mode M refused N"
      One measurement window as a JSON line, from two counter snapshots.
  bench_e2e_report.py rate SAMPLES --scenario S
      The fixed offered rate: half of what the slowest XDP receiver took at
      saturation (median packets per second), as an integer.
  bench_e2e_report.py report SAMPLES [--meta JSON] [--skipped JSON]
        [--json OUT] [--compare PREV.json] [--threshold 0.10]
      One row per scenario, mode and receiver: medians, spread
      ((max - min) / median of receiver ns/packet), ratios to parse-only in
      the same scenario and mode; rows over the threshold are marked
      unstable, and with --compare, rows whose median moved more than the
      threshold from PREV's are marked too. Prints markdown tables.
"""
import argparse
import json
import statistics
import sys

XDP_RECEIVERS = ("xdp_drop", "parse_drop", "edgefw_xdp", "naive", "xdp_filter")
FLOOR = "parse_drop"
RING_LOSS_LIMIT = 0.01
# A fixed-rate row whose generator offered less than this share of the
# rate asked is marked: its figures are not at the rate the table says.
RATE_HELD = 0.9
FIGURES = ("napi_ns_per_packet", "cpu1_ns_per_packet", "bpf_ns_per_run", "rx_pps",
           "offered_pps", "ring_loss", "dropped_fraction", "cpu1_steal")


def kv(text):
    return {k: float(v) for k, v in (w.split("=", 1) for w in text.split())}


def cmd_sample(a):
    b, e = kv(a.before), kv(a.after)
    g = a.generator.split()
    gen = dict(zip(g[0::2], g[1::2]))
    secs = (e["t"] - b["t"]) / 1e9
    rx = e["rx"] - b["rx"]
    ring = e["rxdrop"] - b["rxdrop"] + e["txdrop"] - b["txdrop"]
    gen_secs = float(gen["seconds"]) or 1.0
    refused = float(gen.get("refused", 0))
    sent = float(gen["frames"])
    tick_ns = 1e9 / a.hz
    runs = e["run_cnt"] - b["run_cnt"]
    refused_frac = refused / (sent + refused) if sent + refused else 0.0
    ring_frac = ring / (rx + ring) if rx + ring else 0.0
    out = {
        "scenario": a.scenario, "receiver": a.receiver, "mode": a.mode, "rep": a.rep,
        "target_pps": a.target_pps, "seconds": round(secs, 3),
        "rx_pps": rx / secs,
        "offered_pps": (sent + refused) / gen_secs,
        "generator_mode": gen.get("mode", "live"),
        # Frames the full ring refused at the generator's socket, plus
        # those the sending veth dropped for a full ring or the receiving
        # one on arrival.
        "ring_loss": 1 - (1 - refused_frac) * (1 - ring_frac),
        "dropped_fraction": ((e["dropped"] - b["dropped"]) / (e["seen"] - b["seen"])
                             if e["seen"] > b["seen"] else 0.0),
        "napi_ns_per_packet": (e["napi_ns"] - b["napi_ns"]) / rx if rx else None,
        "cpu1_ns_per_packet": (e["busy"] - b["busy"]) * tick_ns / rx if rx else None,
        "cpu1_busy": (e["busy"] - b["busy"]) * tick_ns / 1e9 / secs,
        "cpu1_steal": (e["steal"] - b["steal"]) * tick_ns / 1e9 / secs,
        "bpf_ns_per_run": (e["run_ns"] - b["run_ns"]) / runs if runs > 0 else None,
        "bpf_runs": runs,
    }
    print(json.dumps(out))


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def cmd_rate(a):
    took = {}
    for s in load(a.samples):
        if s["scenario"] == a.scenario and s["mode"] == "sat" and s["receiver"] in XDP_RECEIVERS:
            took.setdefault(s["receiver"], []).append(s["rx_pps"])
    if not took:
        return 1
    print(int(0.5 * min(statistics.median(v) for v in took.values())))
    return 0


def median(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def aggregate(samples, threshold):
    groups = {}
    for s in samples:
        groups.setdefault((s["scenario"], s["mode"], s["receiver"]), []).append(s)
    rows = []
    for (sc, mode, rcv), g in groups.items():
        row = {"scenario": sc, "mode": mode, "receiver": rcv, "reps": len(g),
               "target_pps": g[0]["target_pps"]}
        for k in FIGURES:
            row[k] = median([s.get(k) for s in g])
        ns = [s["napi_ns_per_packet"] for s in g if s["napi_ns_per_packet"]]
        row["napi_ns_min"] = min(ns) if ns else None
        row["napi_ns_max"] = max(ns) if ns else None
        row["spread"] = (max(ns) - min(ns)) / row["napi_ns_per_packet"] if len(ns) > 1 else None
        row["unstable"] = row["spread"] is not None and row["spread"] > threshold
        row["ring_overflowed"] = mode == "rate" and row["ring_loss"] > RING_LOSS_LIMIT
        row["rate_not_held"] = (mode == "rate" and row["target_pps"] > 0 and
                                row["offered_pps"] < RATE_HELD * row["target_pps"])
        row["partly_passed"] = row["dropped_fraction"] < 0.99
        rows.append(row)
    for row in rows:
        floor = next((r for r in rows if r["scenario"] == row["scenario"] and
                      r["mode"] == row["mode"] and r["receiver"] == FLOOR), None)
        for k, out in (("napi_ns_per_packet", "ratio_to_parse"), ("bpf_ns_per_run", "bpf_ratio_to_parse")):
            ok = floor and floor[k] and row[k] is not None
            row[out] = round(row[k] / floor[k], 3) if ok else None
    return rows


def compare(rows, prev, threshold):
    old = {(r["scenario"], r["mode"], r["receiver"]): r for r in prev.get("results", [])}
    moved = []
    for row in rows:
        p = old.get((row["scenario"], row["mode"], row["receiver"]))
        row["prev_napi_ns_per_packet"] = p["napi_ns_per_packet"] if p else None
        row["change_from_prev"] = None
        row["disagrees_with_prev"] = False
        if p and p.get("napi_ns_per_packet") and row["napi_ns_per_packet"]:
            change = row["napi_ns_per_packet"] / p["napi_ns_per_packet"] - 1
            row["change_from_prev"] = round(change, 3)
            row["disagrees_with_prev"] = abs(change) > threshold
            if row["disagrees_with_prev"]:
                moved.append(row)
    return moved


def fmt(v, digits=0):
    if v is None:
        return "-"
    return f"{v:.{digits}f}" if digits else f"{round(v)}"


def marks(row):
    m = []
    if row["unstable"]:
        m.append("unstable")
    if row.get("disagrees_with_prev"):
        m.append(f"moved {row['change_from_prev'] * 100:+.0f}% from previous run")
    if row["ring_overflowed"]:
        m.append("ring overflowed")
    if row["rate_not_held"]:
        m.append(f"offered {row['offered_pps'] / row['target_pps'] * 100:.0f}% of the rate")
    if row["partly_passed"]:
        m.append(f"dropped only {row['dropped_fraction'] * 100:.0f}%")
    return ", ".join(m)


def print_tables(res, compared):
    meta = res["meta"]
    print(f"\nEnd to end: {meta.get('cpu', '?')}, {meta.get('cpus', '?')} CPUs, kernel "
          f"{meta.get('kernel', '?')}, load average {meta.get('loadavg', '?')}; generator "
          f"{meta.get('generator', '?')}; {meta.get('seconds')} s per window, median of "
          f"{meta.get('reps')} interleaved repetitions")
    order = {r: i for i, r in enumerate(XDP_RECEIVERS + ("nft_set",))}
    rows = sorted(res["results"], key=lambda r: (r["scenario"], r["mode"] != "sat",
                                                 order.get(r["receiver"], 99)))
    cur = None
    for r in rows:
        if (r["scenario"], r["mode"]) != cur:
            cur = (r["scenario"], r["mode"])
            what = "saturation" if r["mode"] == "sat" else f"fixed rate {fmt(r['target_pps'])} pps"
            print(f"\n{r['scenario']}, {what}\n")
            print("| receiver | receiver ns/packet | x parse-only | spread | BPF ns/run | "
                  "BPF x parse-only | CPU 1 ns/packet | received kpps | ring loss | marks |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        print(f"| {r['receiver']} | {fmt(r['napi_ns_per_packet'])} | {fmt(r['ratio_to_parse'], 2)} | "
              f"{fmt(r['spread'] and r['spread'] * 100)}% | {fmt(r['bpf_ns_per_run'], 1)} | "
              f"{fmt(r['bpf_ratio_to_parse'], 2)} | {fmt(r['cpu1_ns_per_packet'])} | "
              f"{fmt(r['rx_pps'] / 1e3)} | {r['ring_loss'] * 100:.1f}% | {marks(r)} |")
    unstable = [r for r in rows if r["unstable"]]
    print(f"\n{len(unstable)} of {len(rows)} rows unstable (spread over "
          f"{res['threshold'] * 100:.0f}% between repetitions)")
    if compared is not None:
        xdp = [r for r in compared if r["receiver"] in XDP_RECEIVERS]
        if xdp:
            print(f"{len(xdp)} XDP rows disagree with the previous run by more than "
                  f"{res['threshold'] * 100:.0f}%: " +
                  ", ".join(f"{r['scenario']} {r['mode']} {r['receiver']}" for r in xdp))
        else:
            print(f"every XDP row agrees with the previous run within {res['threshold'] * 100:.0f}%")
    for s in res["skipped"]:
        print(f"skipped: {s}")


def cmd_report(a):
    samples = load(a.samples)
    rows = aggregate(samples, a.threshold)
    res = {"meta": json.loads(a.meta), "threshold": a.threshold,
           "skipped": json.loads(a.skipped), "results": rows, "samples": samples}
    compared = None
    if a.compare:
        with open(a.compare) as f:
            compared = compare(rows, json.load(f), a.threshold)
        res["compared_with"] = a.compare
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
    print_tables(res, compared)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    for k in ("--scenario", "--receiver", "--mode", "--before", "--after", "--generator"):
        s.add_argument(k, required=True)
    s.add_argument("--rep", type=int, required=True)
    s.add_argument("--target-pps", type=float, required=True)
    s.add_argument("--hz", type=float, required=True)
    r = sub.add_parser("rate")
    r.add_argument("samples")
    r.add_argument("--scenario", required=True)
    o = sub.add_parser("report")
    o.add_argument("samples")
    o.add_argument("--meta", default="{}")
    o.add_argument("--skipped", default="[]")
    o.add_argument("--json")
    o.add_argument("--compare")
    o.add_argument("--threshold", type=float, default=0.10)
    a = p.parse_args()
    return {"sample": cmd_sample, "rate": cmd_rate, "report": cmd_report}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
