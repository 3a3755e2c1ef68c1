#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Traffic for tests/netns/test_conntrack.sh, one role per invocation.

  dns-server ADDR PORT          answers every A query with 192.0.2.53
  dns-query SERVER PORT NAME    prints the address of NAME; exit 1 on no answer
  udp-echo ADDR PORT            sends every datagram back
  udp-ask SRC SPORT DST DPORT   one datagram from SRC:SPORT, waits 2 s for the
                                echo; exit 0 when it came back
  tcp-stream SRC DST PORT SECS OUT
                                a line every 0.1 s through an echo server for
                                SECS seconds; writes the count of echoed lines
                                to OUT as it goes; exit 1 on a stall of 3 s
  icmp-error SRC DST SPORT DPORT [MTU]
                                an ICMP "fragmentation needed" (IPv4) or
                                "packet too big" (IPv6) from SRC to DST,
                                quoting the UDP datagram DST:SPORT -> SRC:DPORT
"""
import os
import socket
import struct
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def dns_server(addr, port):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    while True:
        q, peer = s.recvfrom(512)
        if len(q) < 12:
            continue
        # The question as asked, one A answer pointing back at it.
        end = 12
        while end < len(q) and q[end]:
            end += 1 + q[end]
        question = q[12:end + 5]
        hdr = q[:2] + b"\x81\x80" + b"\x00\x01\x00\x01\x00\x00\x00\x00"
        answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("192.0.2.53")
        s.sendto(hdr + question + answer, peer)


def dns_query(server, port, name):
    s = socket.socket(family(server), socket.SOCK_DGRAM)
    s.settimeout(2)
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"
    s.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + qname + b"\x00\x01\x00\x01",
             (server, int(port)))
    try:
        r, _ = s.recvfrom(512)
    except socket.timeout:
        return 1
    if r[:2] != b"\x12\x34" or len(r) < 4:
        return 1
    print(socket.inet_ntoa(r[-4:]))
    return 0


def udp_echo(addr, port):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    while True:
        d, peer = s.recvfrom(2048)
        s.sendto(d, peer)


def udp_ask(src, sport, dst, dport):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, int(sport)))
    s.settimeout(2)
    s.sendto(b"efw-ct-udp\n", (dst, int(dport)))
    try:
        d, _ = s.recvfrom(2048)
    except (socket.timeout, ConnectionRefusedError):
        return 1
    return 0 if d == b"efw-ct-udp\n" else 1


def tcp_stream(src, dst, port, secs, out):
    s = socket.socket(family(dst), socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(3)
    s.connect((dst, int(port)))
    f = s.makefile("rwb")
    n = 0
    end = time.monotonic() + float(secs)
    while time.monotonic() < end:
        f.write(b"line %d\n" % n)
        f.flush()
        try:
            if f.readline() != b"line %d\n" % n:
                return 1
        except socket.timeout:
            return 1
        n += 1
        with open(out + ".tmp", "w") as o:
            o.write("%d\n" % n)
        os.replace(out + ".tmp", out)
        time.sleep(0.1)
    return 0


def icmp_error(src, dst, sport, dport, mtu="1280"):
    from scapy.all import (ICMP, IP, IPv6, ICMPv6PacketTooBig, UDP, Raw,
                           send, conf)
    conf.verb = 0
    inner_udp = UDP(sport=int(sport), dport=int(dport)) / Raw(b"x" * 32)
    if ":" in dst:
        pkt = (IPv6(src=src, dst=dst) / ICMPv6PacketTooBig(mtu=int(mtu)) /
               IPv6(src=dst, dst=src, plen=40) / inner_udp)
    else:
        pkt = (IP(src=src, dst=dst) / ICMP(type=3, code=4, nexthopmtu=int(mtu) - 200) /
               IP(src=dst, dst=src, len=60) / inner_udp)
    send(pkt)
    return 0


def main(argv):
    roles = {"dns-server": dns_server, "dns-query": dns_query,
             "udp-echo": udp_echo, "udp-ask": udp_ask,
             "tcp-stream": tcp_stream, "icmp-error": icmp_error}
    if len(argv) < 2 or argv[1] not in roles:
        sys.stderr.write(__doc__)
        return 2
    return roles[argv[1]](*argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
