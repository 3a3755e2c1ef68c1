#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Checks the userspace objects' dependencies, as the linker sees them.

From `nm` (defined and undefined symbols of every object under
BUILD/user/), an object depends on the object that defines a symbol it
uses. Two checks, each failing on any finding:

  cycles  objects that depend on each other, directly or through others
          (a circle: none of them can be read, tested or moved alone);
  layers  an object uses a symbol of a higher layer, or of a sibling:
          common <- compiler <- {fleet, loader}; loader <- ctl <- {cli, daemon}; fleet <- {cli, daemon}
          (cli and daemon may not use each other).

Usage: scripts/objdeps.py [--build DIR] [--graph]
"""
import argparse
import os
import subprocess
import sys

# Rank of each layer: an object may use its own layer and lower ranks only.
LAYERS = {"common": 0, "compiler": 1, "fleet": 2, "loader": 2, "ctl": 3, "cli": 4, "daemon": 4}


def objects(build):
    root = os.path.join(build, "user")
    found = []
    for layer in LAYERS:
        d = os.path.join(root, layer)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            # Only objects whose source still exists: a stale one from a
            # moved file would define its symbols twice.
            src = os.path.join("user", layer, name[:-2] + ".c")
            if name.endswith(".o") and os.path.exists(src):
                found.append((layer, os.path.join(d, name)))
    return found


def symbols(paths):
    """{path: (defined set, undefined set)} from one nm run."""
    out = subprocess.run(["nm", "-A", "--format=posix"] + paths, check=True,
                         capture_output=True, text=True).stdout
    table = {p: (set(), set()) for p in paths}
    for line in out.splitlines():
        # "path.o: symbol T value size" (posix format, -A prefixes the file)
        head, _, rest = line.partition(": ")
        fields = rest.split()
        if head not in table or len(fields) < 2:
            continue
        sym, kind = fields[0], fields[1]
        if kind == "U":
            table[head][1].add(sym)
        elif kind in "TDBRVWCG":
            table[head][0].add(sym)
    return table


def short(path, build):
    return os.path.relpath(path, build)[:-2] + ".c"


def sccs(graph):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        top = stack.pop()
                        on.discard(top)
                        comp.append(top)
                        if top == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--graph", action="store_true",
                    help="print every dependency edge with its symbols")
    args = ap.parse_args()
    objs = objects(args.build)
    if not objs:
        print(f"objdeps: no objects under {args.build}/user: run make first",
              file=sys.stderr)
        return 2
    layer_of = {p: l for l, p in objs}
    table = symbols([p for _, p in objs])
    owner = {}
    for path, (defined, _) in table.items():
        for sym in defined:
            owner.setdefault(sym, path)
    graph = {p: {} for p in table}
    for path, (_, undefined) in table.items():
        for sym in undefined:
            dst = owner.get(sym)
            if dst and dst != path:
                graph[path].setdefault(dst, []).append(sym)
    failed = 0
    for path in sorted(graph):
        for dst, syms in sorted(graph[path].items()):
            if args.graph:
                print(f"{short(path, args.build)} -> {short(dst, args.build)}: "
                      + " ".join(sorted(syms)))
            src_l, dst_l = layer_of[path], layer_of[dst]
            if src_l != dst_l and LAYERS[dst_l] >= LAYERS[src_l]:
                print(f"layer: {short(path, args.build)} ({src_l}) uses "
                      f"{short(dst, args.build)} ({dst_l}): "
                      + ", ".join(sorted(syms)[:4])
                      + (" ..." if len(syms) > 4 else ""))
                failed += 1
    for comp in sccs({p: set(d) for p, d in graph.items()}):
        names = set(comp)
        print("cycle: " + " <-> ".join(short(p, args.build) for p in comp))
        for p in comp:
            for dst, syms in sorted(graph[p].items()):
                if dst in names:
                    print(f"  {short(p, args.build)} -> {short(dst, args.build)}: "
                          + ", ".join(sorted(syms)[:4])
                          + (" ..." if len(syms) > 4 else ""))
        failed += 1
    if failed:
        print(f"objdeps: {failed} finding(s): move the code to the layer that "
              "owns it, or split the file so the circle breaks", file=sys.stderr)
        return 1
    print(f"objdeps: {len(objs)} objects, no cycle, layers respected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
