#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""When the first new link appears, for make bench (scripts/bench_ifaces.sh).

    first_link_event.py READY_FILE

Run inside the namespace to watch: subscribes to rtnetlink's link group,
writes READY_FILE once subscribed, then waits for the first RTM_NEWLINK
and prints its arrival as milliseconds of CLOCK_REALTIME (the clock of
bash's EPOCHREALTIME). Exits 1 after 60 s without one.
"""
import select
import socket
import struct
import sys
import time

RTMGRP_LINK = 1
RTM_NEWLINK = 16


def main():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.bind((0, RTMGRP_LINK))
    with open(sys.argv[1], "w") as f:
        f.write("ready\n")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not select.select([s], [], [], 1.0)[0]:
            continue
        data = s.recv(65536)
        now = time.time()
        off = 0
        while off + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, off)
            if kind == RTM_NEWLINK:
                print(int(now * 1000))
                return 0
            if length < 16:
                break
            off += (length + 3) & ~3
    return 1


if __name__ == "__main__":
    sys.exit(main())
