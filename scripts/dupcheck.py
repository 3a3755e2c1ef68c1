#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Fails on new long duplicated blocks of C.

The C files under user/ and kern/ are cut into tokens (comments dropped;
names, strings and numbers each replaced by one placeholder, so a block
copied and renamed still matches) and every window of WINDOW tokens is
hashed. A window that touches a line added since BASE and occurs again
elsewhere is a finding; overlapping findings are merged into blocks and
printed with both places. Code that was already duplicated at BASE is not
reported: the check is about the change.

Usage: scripts/dupcheck.py [--base REV] [--window N] [--all]
  --base REV  what the change is measured against (default: origin/main
              when it exists, else main)
  --all       report every duplicated block, not only the change's
"""
import argparse
import bisect
import os
import re
import subprocess
import sys

TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<str>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<num>\.?\d[\w.]*)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<punct>->|\+\+|--|<<=?|>>=?|[<>!=+\-*/%&|^]=|&&|\|\||\#\#|.)
""", re.S | re.X)
KEYWORDS = set("""auto break case char const continue default do double else enum
extern float for goto if inline int long register restrict return short signed
sizeof static struct switch typedef union unsigned void volatile while bool
_Static_assert""".split())


def tokens(text):
    """[(token, line)] with names, strings and numbers folded."""
    out, line = [], 1
    for m in TOKEN.finditer(text):
        kind, s = m.lastgroup, m.group()
        if kind == "name":
            out.append((s if s in KEYWORDS else "$", line))
        elif kind == "str":
            out.append(("'", line))
        elif kind == "num":
            out.append(("0", line))
        elif kind == "punct":
            out.append((s, line))
        line += s.count("\n")
    return out


def sources():
    files = subprocess.run(["git", "ls-files", "user", "kern"], check=True,
                           capture_output=True, text=True).stdout.split()
    return [f for f in files if f.endswith((".c", ".h")) and os.path.exists(f)]


def added_lines(base):
    """{file: sorted added line numbers} of the work tree against base."""
    diff = subprocess.run(["git", "diff", "-U0", "--no-color", base, "--",
                           "user", "kern"], check=True, capture_output=True,
                          text=True).stdout
    added, cur = {}, None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            cur = line[6:] if line.startswith("+++ b/") else None
        elif line.startswith("@@") and cur:
            m = re.search(r"\+(\d+)(?:,(\d+))?", line)
            start, count = int(m.group(1)), int(m.group(2) or 1)
            added.setdefault(cur, []).extend(range(start, start + count))
    # Files new since base and not yet known to git diff (untracked).
    untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard",
                                "user", "kern"], check=True, capture_output=True,
                               text=True).stdout.split()
    for f in untracked:
        if f.endswith((".c", ".h")):
            with open(f, encoding="utf-8", errors="replace") as fh:
                added[f] = list(range(1, fh.read().count("\n") + 2))
    return {f: sorted(v) for f, v in added.items()}


def touches(lines, lo, hi):
    i = bisect.bisect_left(lines, lo)
    return i < len(lines) and lines[i] <= hi


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base")
    ap.add_argument("--window", type=int, default=100,
                    help="tokens in a window (default 100: about 12 lines)")
    ap.add_argument("--all", action="store_true")
    args = ap.parse_args()
    base = args.base
    if not base and not args.all:
        for cand in ("origin/main", "main"):
            if subprocess.run(["git", "rev-parse", "-q", "--verify", cand],
                              capture_output=True).returncode == 0:
                base = cand
                break
    added = {} if args.all else added_lines(base)
    seen = {}   # hash -> [(file, first line, last line)]
    toks = {}
    for f in sources():
        with open(f, encoding="utf-8", errors="replace") as fh:
            t = tokens(fh.read())
        toks[f] = t
        w = args.window
        for i in range(0, len(t) - w + 1):
            key = hash(tuple(x[0] for x in t[i:i + w]))
            seen.setdefault(key, []).append((f, t[i][1], t[i + w - 1][1]))
    blocks = {}  # (fileA, fileB) -> list of [a_lo, a_hi, b_lo, b_hi]
    for places in seen.values():
        if len(places) < 2:
            continue
        for a in places:
            if not args.all and not touches(added.get(a[0], []), a[1], a[2]):
                continue
            for b in places:
                if b is a or (b[0] == a[0] and b[1] <= a[2] and a[1] <= b[2]):
                    continue
                if args.all and (b[0], b[1]) < (a[0], a[1]):
                    continue
                lst = blocks.setdefault((a[0], b[0]), [])
                for blk in lst:
                    if a[1] <= blk[1] + 1 and a[2] >= blk[0] - 1 and \
                       b[1] <= blk[3] + 1 and b[2] >= blk[2] - 1:
                        blk[0], blk[1] = min(blk[0], a[1]), max(blk[1], a[2])
                        blk[2], blk[3] = min(blk[2], b[1]), max(blk[3], b[2])
                        break
                else:
                    lst.append([a[1], a[2], b[1], b[2]])
    n = 0
    for (fa, fb), lst in sorted(blocks.items()):
        for a_lo, a_hi, b_lo, b_hi in sorted(lst):
            print(f"duplicate: {fa}:{a_lo}-{a_hi} and {fb}:{b_lo}-{b_hi}")
            n += 1
    what = "in the code" if args.all else f"added since {base}"
    if n:
        print(f"dupcheck: {n} duplicated block(s) {what}: make one function "
              "of them", file=sys.stderr)
        return 1
    print(f"dupcheck: no duplicated block of {args.window} tokens {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
