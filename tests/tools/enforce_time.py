#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Time from link up to enforcement, for make bench (scripts/bench_ifaces.sh).

    enforce_time.py --instance NAME --prefix hb --events 100 --src 10.9.9.9

Run inside the daemon's network namespace, whose edgefwd follows PREFIX*
and drops --src. For each event: a veth pair PREFIX<i> / pe<i> is created
and set up (one `ip -batch`); from the moment `ip` returns, a blocked UDP
frame is sent into PREFIX<i> from its peer every 0.2 ms until the rule
counter of the first rule (counter slot 0, rule_stats pinned under
/sys/fs/bpf/edgefw/NAME) moves: that is the time to enforce. Then the pair
is deleted. Prints one JSON object: the times in ms, p50, p99, max.
"""
import argparse
import ctypes
import json
import mmap
import os
import socket
import struct
import subprocess
import time

SYS_BPF = 321  # x86_64
BPF_OBJ_GET, BPF_OBJ_GET_INFO_BY_FD = 7, 15
libc = ctypes.CDLL(None, use_errno=True)


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(SYS_BPF, cmd, buf, 128)
    if r < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return r


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    return bpf(BPF_OBJ_GET, struct.pack("QII", ctypes.addressof(p), 0, 0))


class Counter:
    """Slot 0 of rule_stats: one element per CPU, each the CPU's row of
    every slot (kern/maps.h), so slot 0 is the first 8 bytes of each.
    Read through a mapping of the array: a lookup would copy each CPU's
    whole row at every poll."""

    def __init__(self, inst):
        self.fd = obj_get("/sys/fs/bpf/edgefw/%s/rule_stats" % inst)
        info = ctypes.create_string_buffer(64)
        bpf(BPF_OBJ_GET_INFO_BY_FD, struct.pack("IIQ", self.fd, 64, ctypes.addressof(info)))
        self.row, self.n = struct.unpack_from("II", info, 12)  # value_size, max_entries
        self.map = mmap.mmap(self.fd, self.row * self.n, mmap.MAP_SHARED, mmap.PROT_READ)

    def packets(self):
        return sum(struct.unpack_from("Q", self.map, cpu * self.row)[0] for cpu in range(self.n))


def frame(src):
    eth = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    udp = struct.pack("!HHHH", 1234, 7000, 8 + 16, 0) + b"\0" * 16
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton("10.9.9.1"))
    csum = sum(struct.unpack("!10H", ip))
    csum = (csum & 0xffff) + (csum >> 16)
    csum = ~((csum & 0xffff) + (csum >> 16)) & 0xffff
    ip = ip[:10] + struct.pack("!H", csum) + ip[12:]
    return eth + ip + udp


def pct(v, q):
    s = sorted(v)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instance", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--src", default="10.9.9.9")
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()
    ctr = Counter(a.instance)
    pkt = frame(a.src)
    times, missed = [], 0
    for i in range(a.events):
        edge, peer = "%s%d" % (a.prefix, i), "pe%d" % i
        cmds = ("link add %s type veth peer name %s\nlink set %s up\nlink set %s up\n"
                % (edge, peer, edge, peer))
        subprocess.run(["ip", "-batch", "-"], input=cmds.encode(), check=True)
        t0 = time.monotonic()
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((peer, 0))
        before = ctr.packets()
        done = None
        while time.monotonic() - t0 < a.timeout:
            try:
                s.send(pkt)
            except OSError:
                pass  # the carrier may not be up yet
            if ctr.packets() > before:
                done = time.monotonic()
                break
            time.sleep(0.0002)
        s.close()
        subprocess.run(["ip", "link", "del", edge], check=True)
        if done is None:
            missed += 1
        else:
            times.append((done - t0) * 1000)
    out = {"events": a.events, "missed": missed}
    if times:
        out.update(p50_ms=round(pct(times, 0.5), 2), p99_ms=round(pct(times, 0.99), 2),
                   max_ms=round(max(times), 2), slowest_event=times.index(max(times)))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
