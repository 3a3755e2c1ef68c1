#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Turns a Markdown document (the subset rules/README.md, rules/*.md and user/json.md use:
headings, paragraphs, lists, fenced code, pipe tables, `code`, **bold**,
links) into a roff man page, so the page is generated from the document
and cannot drift from it.

    scripts/md2man.py --name edgefw.rules --section 5 --version 0.9.0 \
        --title "edgefw rule language" rules/README.md > edgefw.rules.5

The output depends only on the input and the arguments (no date from the
clock: --date, default SOURCE_DATE_EPOCH or the input file's mtime), so
builds are reproducible."""
import argparse
import os
import re
import sys
import time


def esc(text):
    """Escapes roff's special characters in running text."""
    text = text.replace("\\", "\\e")
    text = text.replace("-", "\\-")
    return text


def inline(text):
    """Inline Markdown to roff: links keep their text, `code` and **bold**
    become bold, *em* italic."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    out = []
    for i, part in enumerate(re.split(r"(`[^`]*`)", text)):
        if i % 2:
            out.append("\\fB" + esc(part[1:-1]) + "\\fR")
            continue
        part = esc(part)
        part = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", part)
        part = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\\fI\1\\fR", part)
        out.append(part)
    line = "".join(out)
    # A line starting with . or ' would be a roff request.
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def table(rows):
    """A pipe table as a tbl(1) table."""
    cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
    cells = [r for r in cells if not all(re.fullmatch(r":?-+:?", c) for c in r)]
    ncol = max(len(r) for r in cells)
    out = [".TS", "allbox tab(\t);", " ".join(["l"] * ncol) + "."]
    for r in cells:
        r = r + [""] * (ncol - len(r))
        out.append("\t".join("T{\n" + inline(c) + "\nT}" for c in r))
    out.append(".TE")
    return out


def convert(lines):
    out, para, tbl = [], [], []
    in_code = False
    in_item = False  # continuation lines of a list item follow it

    def flush():
        if para:
            out.append(".PP")
            out.extend(inline(p) for p in para)
            para.clear()
        if tbl:
            out.extend(table(tbl))
            tbl.clear()

    for raw in lines:
        line = raw.rstrip("\n")
        if not in_code and re.fullmatch(r"\s*<!--.*-->\s*", line):
            continue  # notes for the tests, not for readers
        if line.startswith("```"):
            flush()
            if in_code:
                out += [".fi", ".RE", ".PP"]
            else:
                out += [".PP", ".RS 2", ".nf"]
            in_code = not in_code
            continue
        if in_code:
            out.append("\\&" + line.replace("\\", "\\e"))
            continue
        m = re.match(r"^(#{1,4})\s+(.*)", line)
        if m:
            flush()
            level, text = len(m.group(1)), m.group(2)
            if level == 1:
                continue  # the title is the page's NAME
            macro = ".SH" if level == 2 else ".SS"
            text = inline(text).upper() if level == 2 else inline(text)
            out.append(f'{macro} "{text}"')
            continue
        if line.startswith("|"):
            if para:
                flush()
            tbl.append(line)
            continue
        if not line.strip():
            flush()
            in_item = False
            continue
        m = re.match(r"^(\s*)([-*]|\d+\.)\s+(.*)", line)
        if m:
            flush()
            indent = len(m.group(1)) // 2
            bullet = "\\(bu" if m.group(2) in "-*" else m.group(2)
            out.append(f".IP {bullet} {4 + 2 * indent}")
            out.append(inline(m.group(3)))
            in_item = True
            continue
        if in_item and line.startswith(" "):
            out.append(inline(line.strip()))
            continue
        in_item = False
        if tbl:
            flush()
        para.append(line.strip())
    flush()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--section", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--title", required=True)
    ap.add_argument("--see-also", default="")
    ap.add_argument("input")
    a = ap.parse_args()
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    stamp = int(epoch) if epoch else int(os.stat(a.input).st_mtime)
    date = time.strftime("%Y-%m-%d", time.gmtime(stamp))
    with open(a.input, encoding="utf-8") as f:
        body = convert(f)
    print('.\\" Generated from %s by scripts/md2man.py: edit that file.' % a.input)
    print(f'.TH {a.name.upper()} {a.section} {date} "edgefw {a.version}" "edgefw"')
    print(".SH NAME")
    print(f"{esc(a.name)} \\- {esc(a.title)}")
    print(".ad l")
    print(".nh")
    print(".SH DESCRIPTION")
    print("\n".join(body))
    if a.see_also:
        print(".SH SEE ALSO")
        print(esc(a.see_also))


if __name__ == "__main__":
    sys.exit(main())
