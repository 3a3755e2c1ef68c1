#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Misbehaving clients of edgefwd's control socket, for the abuse test.

    ctl_abuse.py SOCKET --idle N --garbage M --seconds S

Holds N connections that never send anything (reconnecting those the
daemon closes, so N stay open from this side), and runs M clients that
send junk: random bytes without a newline, a 70 KiB request, half a JSON
object then silence, a request whose response is never read. Prints one
line at the end: "connects C evicted_msgs E closed_by_daemon D".

    ctl_abuse.py SOCKET --latency N

Instead: sends N status requests and N reloads one after the other, each
on a new connection, and prints the round trips (connect to the end of
the response) as JSON: median and maximum in ms per command.
"""
import argparse
import json
import os
import random
import selectors
import socket
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
    except (BlockingIOError, InterruptedError):
        pass
    except OSError:
        s.close()
        return None
    return s


JUNK = [
    lambda: os.urandom(random.randint(1, 512)),               # no newline
    lambda: b" " * (70 * 1024),                               # oversized
    lambda: b'{"command": "rel',                              # half, then silence
    lambda: b'{"command":"status"}\n',                        # answer never read
    lambda: bytes(random.randint(0, 255) for _ in range(64)) + b"\n",
]


def round_trip(path, command):
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    # As edgefw's client does (user/ctl/control_client.c): a Unix socket
    # with a timeout is non-blocking, and its connect fails with EAGAIN
    # while the listener's backlog is full; retry until the deadline.
    while True:
        try:
            s.connect(path)
            break
        except BlockingIOError:
            if time.monotonic() - t0 > 10:
                raise
            time.sleep(0.01)
    s.sendall(b'{"command":"%s"}\n' % command.encode())
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return (time.monotonic() - t0) * 1000, b'"ok":true' in data


def latency(path, n):
    out = {}
    for command in ("status", "reload"):
        times, failed = [], 0
        for _ in range(n):
            ms, ok = round_trip(path, command)
            times.append(ms)
            failed += not ok
            time.sleep(0.05)
        times.sort()
        out[command] = {"n": n, "failed": failed, "median_ms": round(times[len(times) // 2], 2),
                        "max_ms": round(times[-1], 2)}
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--idle", type=int, default=200)
    ap.add_argument("--garbage", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--latency", type=int, default=0)
    a = ap.parse_args()
    if a.latency:
        latency(a.socket, a.latency)
        return
    sel = selectors.DefaultSelector()
    stats = {"connects": 0, "evicted_msgs": 0, "closed_by_daemon": 0}

    def open_one(kind):
        s = connect(a.socket)
        if s is None:
            return
        stats["connects"] += 1
        if kind == "garbage":
            try:
                s.send(random.choice(JUNK)())
            except OSError:
                pass
        sel.register(s, selectors.EVENT_READ, kind)

    for _ in range(a.idle):
        open_one("idle")
    for _ in range(a.garbage):
        open_one("garbage")
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.05):
            s, kind = key.fileobj, key.data
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if data and b"too many connections" in data:
                stats["evicted_msgs"] += 1
            if data and kind == "idle":
                continue
            # Closed by the daemon (deadline, eviction) or answered: again.
            stats["closed_by_daemon"] += not data
            sel.unregister(s)
            s.close()
            open_one(kind)
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    print("connects %d evicted_msgs %d closed_by_daemon %d" %
          (stats["connects"], stats["evicted_msgs"], stats["closed_by_daemon"]))


if __name__ == "__main__":
    main()
