#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Writes the seed corpus of the packet fuzz target (fuzz_packet) into
tests/fuzz/corpus/packet/: one file per frame shape, each one selector byte
(bit 0: tc-egress rather than tc-ingress, bit 1: a GSO skb at tc) and the
frame. The addresses and ports are those of the target's ruleset
(tests/datapath/refcheck.c), so the seeds reach its rules.

    /usr/bin/python3 tests/fuzz/gen_packet_corpus.py   # needs python3-scapy

The output is deterministic. Files it does not write (regression cases
added by hand, named regress-*) are left alone.
"""
import os
import struct

from scapy.all import (AH, ARP, GRE, ICMP, ICMPv6EchoRequest, ICMPv6ND_NS,
                       IP, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, SCTP, TCP,
                       UDP, Dot1AD, Dot1Q, Ether)
from scapy.contrib.mpls import MPLS
from scapy.layers.ppp import PPP, PPPoE, PPPoED

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "packet")
MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
PAY = Raw(b"edgefw-fuzz-0123")

TC_INGRESS, TC_EGRESS, GSO = 0, 1, 2


def eth(**kw):
    return Ether(**MAC, **kw)


def v4(src="192.0.2.100", dst="198.51.100.7", **kw):
    return IP(src=src, dst=dst, **kw)


def v6(src="2001:db8:1::1", dst="2001:db8::2", **kw):
    return IPv6(src=src, dst=dst, **kw)


def udp(dport=40000, sport=5000):
    return UDP(sport=sport, dport=dport)


def tags(spec, first=100):
    """'q ad 9100' -> tags with ids first, first + 1, ..."""
    layers = None
    for i, kind in enumerate(spec.split()):
        tag = {"q": Dot1Q, "ad": Dot1AD}.get(kind)
        tag = tag(vlan=first + i) if tag else Dot1Q(vlan=first + i)
        layers = tag if layers is None else layers / tag
    return layers


def retag(frame, spec):
    """Rewrites the TPIDs of a tagged frame's tags in order: 'q ad 9100 9200'."""
    raw = bytearray(bytes(frame))
    off = 12
    for kind in spec.split():
        tpid = {"q": 0x8100, "ad": 0x88a8}.get(kind) or int(kind, 16)
        struct.pack_into("!H", raw, off, tpid)
        off += 4
    return bytes(raw)


def mpls(n, first=16):
    layers = None
    for i in range(n):
        label = MPLS(label=first + i, s=1 if i == n - 1 else 0, ttl=64)
        layers = label if layers is None else layers / label
    return layers


def ppp(proto):
    """The PPP protocol field in two bytes (scapy compresses some)."""
    return Raw(struct.pack("!H", proto))


def pppoe(proto, payload):
    return PPPoE(sessionid=0x1234) / ppp(proto) / payload


def ext_chain(n, last):
    """n destination-options headers (8 bytes each) before `last`."""
    layers = None
    for _ in range(n):
        layers = IPv6ExtHdrDestOpt() if layers is None else layers / IPv6ExtHdrDestOpt()
    return layers / last if layers is not None else last


def seeds():
    s = {}
    # IPv4: every rule's protocol shape.
    s["v4-tcp-syn-443"] = (TC_INGRESS, eth() / v4() / TCP(sport=40000, dport=443, flags="S"))
    s["v4-tcp-synack-80"] = (TC_EGRESS, eth() / v4() / TCP(sport=40000, dport=80, flags="SA"))
    s["v4-tcp-rst-443"] = (TC_INGRESS, eth() / v4() / TCP(sport=40000, dport=443, flags="R"))
    s["v4-tcp-ssh-admin"] = (TC_INGRESS, eth() / v4(src="192.0.2.3") / TCP(dport=22, flags="S"))
    s["v4-tcp-ssh-other"] = (TC_EGRESS, eth() / v4(src="192.0.2.99") / TCP(dport=22, flags="A"))
    s["v4-tcp-options"] = (TC_INGRESS, eth() / v4() / TCP(dport=443, flags="S",
                                                           options=[("MSS", 1460), ("NOP", None), ("WScale", 7)]))
    s["v4-udp-dns"] = (TC_INGRESS, eth() / v4() / udp(53) / PAY)
    s["v4-udp-public"] = (TC_EGRESS, eth() / v4(src="8.8.8.8", dst="192.0.2.1") / udp(5353) / PAY)
    s["v4-udp-blocked-src"] = (TC_INGRESS, eth() / v4(src="10.66.1.1") / udp(443) / PAY)
    s["v4-sctp-high"] = (TC_INGRESS, eth() / v4() / SCTP(sport=40000, dport=5000))
    s["v4-icmp-echo"] = (TC_INGRESS, eth() / v4() / ICMP(type=8) / PAY)
    s["v4-icmp-port-unreach"] = (TC_EGRESS, eth() / v4() / ICMP(type=3, code=3) /
                                 v4(dst="192.0.2.1") / udp(53))
    s["v4-icmp-timestamp"] = (TC_INGRESS, eth() / v4() / ICMP(type=13))
    s["v4-gre"] = (TC_INGRESS, eth() / v4(src="192.0.2.9", dst="203.0.113.5") / GRE() /
                   v4(src="10.66.1.1") / udp(53))
    s["v4-ipip"] = (TC_EGRESS, eth() / v4(proto=4) / v4(src="10.66.1.1") / udp(53))
    s["v4-esp"] = (TC_INGRESS, eth() / v4(proto=50) / Raw(b"\x00\x00\x10\x01" + bytes(12)))
    s["v4-egress-docs"] = (TC_EGRESS, eth() / v4(dst="203.0.113.80") / TCP(dport=8080))
    s["v4-ip-options"] = (TC_INGRESS, eth() / v4(options=[b"\x94\x04\x00\x00"]) / udp(53))
    s["v4-padded-60"] = (TC_INGRESS, Ether(bytes(eth() / v4() / udp(53)) + bytes(18)))
    # IPv4 fragments.
    s["v4-frag-first-udp"] = (TC_INGRESS, eth() / v4(flags="MF", id=7) / udp(53) / PAY)
    s["v4-frag-later-lab"] = (TC_EGRESS, eth() / v4(frag=185, id=7, proto=17) / PAY)
    s["v4-frag-later-other"] = (TC_INGRESS, eth() / v4(dst="192.0.2.1", frag=185, flags="MF",
                                                       proto=6) / PAY)
    # IPv6.
    s["v6-tcp-syn-443"] = (TC_INGRESS, eth() / v6() / TCP(dport=443, flags="S"))
    s["v6-tcp-ssh-admin"] = (TC_EGRESS, eth() / v6(src="2001:db8:a::5") / TCP(dport=22, flags="S"))
    s["v6-udp-dns"] = (TC_INGRESS, eth() / v6() / udp(53) / PAY)
    s["v6-udp-public"] = (TC_EGRESS, eth() / v6(src="2a00::1") / udp(5353) / PAY)
    s["v6-blocked-src"] = (TC_INGRESS, eth() / v6(src="2001:db8:66::7") / udp(443))
    s["v6-host-dst"] = (TC_INGRESS, eth() / v6(dst="2001:db8::dead") / udp(443))
    s["v6-lab-64"] = (TC_EGRESS, eth() / v6(src="2001:db8:77:1::9") / udp(443))
    s["v6-egress-docs"] = (TC_EGRESS, eth() / v6(dst="2001:db8:e::1") / TCP(dport=8080))
    s["v6-icmp6-echo"] = (TC_INGRESS, eth() / v6() / ICMPv6EchoRequest())
    s["v6-nd-ns"] = (TC_INGRESS, eth() / v6(src="2001:db8:66::1", dst="ff02::1:ff00:2") /
                     ICMPv6ND_NS(tgt="2001:db8::2"))
    s["v6-sctp"] = (TC_INGRESS, eth() / v6() / SCTP(sport=2000, dport=3000))
    s["v6-ext-mixed"] = (TC_INGRESS, eth() / v6() / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting() /
                         AH(nh=60, payloadlen=1) / IPv6ExtHdrDestOpt() / udp(53))
    s["v6-ext-8"] = (TC_EGRESS, eth() / v6() / ext_chain(8, udp(53)))
    s["v6-ext-9"] = (TC_INGRESS, eth() / v6() / ext_chain(9, udp(53)))
    s["v6-frag-first"] = (TC_INGRESS, eth() / v6() / IPv6ExtHdrFragment(m=1, id=9) / udp(53) / PAY)
    s["v6-frag-later"] = (TC_EGRESS, eth() / v6(dst="2001:db8::dead") /
                          IPv6ExtHdrFragment(offset=185, m=1, nh=17, id=9) / PAY)
    s["v6-ext-frag-ext"] = (TC_INGRESS, eth() / v6() / IPv6ExtHdrDestOpt() /
                            IPv6ExtHdrFragment(m=1) / IPv6ExtHdrDestOpt() / TCP(dport=443, flags="S"))
    # VLAN: 1-4 tags of every TPID, the innermost 300, a fifth tag.
    for spec in ("q", "ad q", "q q q", "ad q 9100 q", "9200 9300 ad q", "ad ad ad ad"):
        n = len(spec.split())
        frame = eth() / tags(" ".join("q" for _ in range(n))) / v4(src="10.66.2.2") / udp(443)
        s[f"vlan-{n}-{spec.replace(' ', '-')}"] = (n % 2, retag(frame, spec))
    s["vlan-4-inner-300"] = (TC_INGRESS, eth() / Dot1AD(vlan=10) / Dot1Q(vlan=20) / Dot1Q(vlan=30) /
                             Dot1Q(vlan=300) / v6() / udp(443))
    s["vlan-1-300-v6"] = (TC_EGRESS, eth() / Dot1Q(vlan=300) / v6() / TCP(dport=80, flags="S"))
    s["vlan-5-overflow"] = (TC_INGRESS, eth() / tags("ad q q q q") / v4() / udp(443))
    s["vlan-prio-0"] = (TC_INGRESS, eth() / Dot1Q(vlan=0, prio=5) / v4() / GRE())
    # PPPoE.
    s["pppoe-v4"] = (TC_INGRESS, eth() / pppoe(0x0021, v4(src="10.66.3.3") / udp(443)))
    s["pppoe-v6"] = (TC_EGRESS, eth() / pppoe(0x0057, v6() / udp(53)))
    s["pppoe-qinq-v4"] = (TC_INGRESS, eth() / Dot1AD(vlan=100) / Dot1Q(vlan=300) /
                          pppoe(0x0021, v4() / TCP(dport=22)))
    s["pppoe-compressed-v4"] = (TC_INGRESS, eth() / PPPoE(sessionid=1) / Raw(b"\x21") /
                                v4() / udp(53))
    s["pppoe-compressed-v6"] = (TC_EGRESS, eth() / PPPoE(sessionid=1) / Raw(b"\x57") /
                                v6() / udp(53))
    s["pppoe-mpls-v4"] = (TC_INGRESS, eth() / pppoe(0x0281, mpls(2) / v4() / udp(53)))
    s["pppoe-lcp"] = (TC_INGRESS, eth() / pppoe(0xc021, Raw(b"\x09\x01\x00\x08\x12\x34\x56\x78")))
    s["pppoe-ipcp"] = (TC_EGRESS, eth() / pppoe(0x8021, Raw(b"\x01\x01\x00\x0a\x03\x06\x00\x00\x00\x00")))
    s["pppoe-vj"] = (TC_INGRESS, eth() / pppoe(0x002f, v4() / udp(53)))
    s["pppoe-padded"] = (TC_INGRESS, Ether(bytes(eth() / pppoe(0x0021, v4() / udp(53))) + bytes(20)))
    s["pppoe-discovery"] = (TC_INGRESS, Ether(src=MAC["src"], dst="ff:ff:ff:ff:ff:ff") /
                            PPPoED(code=0x09))
    # MPLS: 1-4 labels over IPv4 and IPv6, five, a pseudowire.
    for n in range(1, 5):
        s[f"mpls-{n}-v4"] = (n % 2, eth() / mpls(n) / v4(src="10.66.4.4") / udp(443))
        s[f"mpls-{n}-v6"] = (n % 2, eth() / mpls(n) / v6() / udp(53))
    s["mpls-multicast"] = (TC_INGRESS, eth(type=0x8848) / mpls(1) / v4() / ICMP(type=8))
    s["mpls-5-overflow"] = (TC_INGRESS, eth() / mpls(5) / v4() / udp(443))
    s["mpls-pw-cw"] = (TC_EGRESS, eth() / mpls(2) / Raw(b"\x00\x00\x00\x01") /
                       eth() / v4() / udp(53))
    s["mpls-vlan"] = (TC_INGRESS, eth() / Dot1Q(vlan=5) / mpls(2) / v4() / udp(53))
    # Other EtherTypes.
    s["pbb"] = (TC_INGRESS, eth(type=0x88e7) / Raw(bytes(4)) / eth() / v4() / udp(53))
    s["arp"] = (TC_INGRESS, eth() / ARP(psrc="10.66.1.1", pdst="192.0.2.1"))
    s["lldp"] = (TC_EGRESS, Ether(src=MAC["src"], dst="01:80:c2:00:00:0e", type=0x88cc) /
                 Raw(b"\x02\x07\x04\x02\x00\x00\x00\x00\x01\x00\x00"))
    # Truncations, one per layer: the frame cut short (IP lengths then
    # reach past it), and datagrams whose own length ends early.
    cut = {
        "cut-vlan": (eth() / Dot1Q(vlan=7) / Dot1Q(vlan=8) / v4() / udp(53), 14 + 6),
        "cut-pppoe": (eth() / pppoe(0x0021, v4() / udp(53)), 14 + 7),
        "cut-mpls": (eth() / mpls(3) / v4() / udp(53), 14 + 10),
        "cut-v4-header": (eth() / v4(options=[b"\x94\x04\x00\x00"]) / udp(53), 14 + 22),
        "cut-v4-frame": (eth() / v4() / TCP(dport=443, flags="S"), 14 + 20 + 12),
        "cut-v6-frame": (eth() / v6() / udp(53), 14 + 40 + 5),
    }
    for name, (frame, at) in cut.items():
        s[name] = (TC_INGRESS, bytes(frame)[:at])
    short = {
        "short-v4-tcp": (eth() / v4() / TCP(dport=443, flags="S"), 4, 14 + 20 + 12),
        "short-v4-udp": (eth() / Dot1Q(vlan=300) / v4() / udp(53), 4, 18 + 20 + 6),
        "short-v6-ext": (eth() / v6() / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / udp(53),
                         6, 14 + 40 + 8 + 4),
        "short-v6-icmp6": (eth() / v6() / ICMPv6EchoRequest(), 6, 14 + 40 + 3),
        "short-v6-sctp": (eth() / v6() / SCTP(), 6, 14 + 40 + 10),
    }
    for name, (frame, family, at) in short.items():
        raw = bytearray(bytes(frame)[:at])
        l3 = 18 if name == "short-v4-udp" else 14
        if family == 4:
            struct.pack_into("!H", raw, l3 + 2, at - l3)
        else:
            struct.pack_into("!H", raw, l3 + 4, at - l3 - 40)
        s[name] = (TC_EGRESS, bytes(raw))
    s["tcp-doff-4"] = (TC_INGRESS, eth() / v4() / TCP(dport=443, flags="S", dataofs=4))
    s["tcp-doff-past-end"] = (TC_INGRESS, eth() / v4() / TCP(dport=443, flags="S", dataofs=15))
    s["v4-ihl-4"] = (TC_INGRESS, eth() / v4(ihl=4) / udp(53))
    # GSO skbs: BIG TCP's length 0.
    big4 = bytearray(bytes(eth() / v4(src="10.66.5.5") / TCP(dport=443, flags="A") / Raw(bytes(400))))
    big4[14 + 2:14 + 4] = b"\x00\x00"
    s["gso-v4-len-0"] = (TC_INGRESS | GSO, bytes(big4))
    big6 = bytearray(bytes(eth() / v6() / TCP(dport=22, flags="A") / Raw(bytes(400))))
    big6[14 + 4:14 + 6] = b"\x00\x00"
    s["gso-v6-len-0"] = (TC_EGRESS | GSO, bytes(big6))
    s["gso-v4-plain"] = (TC_EGRESS | GSO, eth() / v4() / TCP(dport=443, flags="A") / Raw(bytes(1448)))
    # Past the first buffer of an XDP test run (3520 bytes): multi-buffer.
    s["jumbo-v4-udp"] = (TC_INGRESS, eth() / v4(src="10.66.6.6") / udp(443) / Raw(bytes(4000)))
    # Two 2 KiB destination-options headers (Pad1 options): UDP at 4150.
    dstopts = b"".join(bytes([nh, 2048 // 8 - 1]) + bytes(2046) for nh in (60, 17))
    s["jumbo-v6-udp-in-frag"] = (TC_INGRESS, bytes(eth() / v6(nh=60, plen=len(dstopts) + 8 + 16)) +
                                 dstopts + bytes(udp(53) / PAY))
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (sel, frame) in sorted(seeds().items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([sel]) + bytes(frame))


if __name__ == "__main__":
    main()
