#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Lists the functions over MAX_FN lines and the files over MAX_FILE lines
in user/ (kernel style: a function's body runs from a "{" alone at the
start of a line to the next "}" alone there). A file that must stay long
says why in a comment near its top containing "long file:" and is listed
as explained, not as a finding.

Usage: scripts/sizes.py [--max-fn N] [--max-file N] [--fail] [DIR...]
"""
import argparse
import os
import re
import sys

FN_HEAD = re.compile(r"^(?!static\s+const\b)[A-Za-z_][^;=(]*\b([A-Za-z_]\w*)\(")


def scan(path, max_fn):
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = fh.read().split("\n")
    long_fns, name, start = [], None, None
    for i, line in enumerate(lines, 1):
        m = FN_HEAD.match(line)
        if m and not line.startswith(("typedef", "struct", "enum", "union", "#")) or \
           (m and line.startswith(("struct", "enum", "union")) and "(" in line):
            name = m.group(1)
        if line == "{" and name:
            start = i
        elif line == "}" and start:
            if i - start - 1 > max_fn:
                long_fns.append((name, start, i - start - 1))
            name, start = None, None
    explained = any("long file:" in l for l in lines[:30])
    return len(lines) - 1, long_fns, explained


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-fn", type=int, default=80)
    ap.add_argument("--max-file", type=int, default=600)
    ap.add_argument("--fail", action="store_true")
    ap.add_argument("dirs", nargs="*", default=["user"])
    args = ap.parse_args()
    findings = 0
    for d in args.dirs:
        for root, _, files in os.walk(d):
            for f in sorted(files):
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(root, f)
                n, fns, explained = scan(path, args.max_fn)
                if n > args.max_file:
                    print(f"file {path}: {n} lines" + (" (explained)" if explained else ""))
                    findings += not explained
                for name, start, length in fns:
                    print(f"function {path}:{start} {name}: {length} lines")
                    findings += 1
    return 1 if findings and args.fail else 0


if __name__ == "__main__":
    sys.exit(main())
