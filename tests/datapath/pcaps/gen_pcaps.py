#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Writes the captures dptest runs (NAME.pcap) with the verdict each frame
must get under rules.yaml (NAME.expect), into this script's directory.

    /usr/bin/python3 tests/datapath/pcaps/gen_pcaps.py   # needs python3-scapy

Each .expect line is "FRAME VERDICT COUNTED # description": VERDICT is the
same on the XDP, tc-ingress and tc-egress programs, COUNTED is the counter
that must count the frame once: rule:NAME, reason:NAME (as `edgefw stats`
names reasons) or default (the hook's default). The output is deterministic:
running the script again rewrites the same bytes.
"""
import os

from scapy.all import (ARP, GRE, ICMPv6ND_NS, IP, IPv6, UDP, TCP, Dot1AD,
                       Dot1Q, Ether, Raw, PcapWriter)
from scapy.contrib.mpls import MPLS
from scapy.layers.ppp import PPP, PPPoE, PPPoED
from scapy.layers.vxlan import VXLAN

HERE = os.path.dirname(os.path.abspath(__file__))
MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")

# The three packets every encapsulation carries, per family: (description,
# layers, verdict, counter).
LOADS = {
    4: [("allowed", lambda: IP(src="192.0.2.1", dst="198.51.100.1") /
         UDP(sport=40000, dport=443), "pass", "default"),
        ("from a blocked source", lambda: IP(src="10.66.1.1", dst="198.51.100.1") /
         UDP(sport=40000, dport=443), "drop", "rule:blocked"),
        ("to a blocked port", lambda: IP(src="192.0.2.1", dst="198.51.100.1") /
         UDP(sport=40000, dport=53), "drop", "rule:dns")],
    6: [("allowed", lambda: IPv6(src="2001:db8::1", dst="2001:db8::2") /
         UDP(sport=40000, dport=443), "pass", "default"),
        ("from a blocked source", lambda: IPv6(src="2001:db8:66::1", dst="2001:db8::2") /
         UDP(sport=40000, dport=443), "drop", "rule:blocked"),
        ("to a blocked port", lambda: IPv6(src="2001:db8::1", dst="2001:db8::2") /
         UDP(sport=40000, dport=53), "drop", "rule:dns")],
}
PAYLOAD = Raw(b"edgefw-test-0123")


def tags(spec):
    """'q ad q' -> Dot1Q/Dot1AD layers, ids 100, 101, ..."""
    layers = None
    for i, kind in enumerate(spec.split()):
        tag = (Dot1AD if kind == "ad" else Dot1Q)(vlan=100 + i)
        layers = tag if layers is None else layers / tag
    return layers


def with_loads(frames, name, outer):
    """The three packets of both families under the encapsulation `outer`
    (a function from the IP version to the layers before the IP header, or
    None for none)."""
    for fam in (4, 6):
        for what, ip, verdict, counted in LOADS[fam]:
            frame = Ether(**MAC) / outer(fam) if outer else Ether(**MAC)
            frames.append((frame / ip() / PAYLOAD, verdict, counted,
                           f"{name}, IPv{fam} {what}"))


def ppp(fam):
    """The PPP protocol field in two bytes, as RFC 2516 asks (scapy's PPP
    layer writes protocols below 0x100 compressed, in one byte)."""
    return Raw(b"\x00\x21" if fam == 4 else b"\x00\x57")


def mpls(n):
    layers = None
    for i in range(n):
        label = MPLS(label=16 + i, s=1 if i == n - 1 else 0, ttl=64)
        layers = label if layers is None else layers / label
    return layers


def vlan_frames():
    frames = []
    for spec in ("q", "ad q", "q q q", "ad q q", "q ad q", "ad ad ad",
                 "ad q q q", "q q ad ad", "q ad q ad", "ad ad ad ad"):
        with_loads(frames, f"VLAN {spec.replace(' ', '/')}",
                   lambda fam, spec=spec: tags(spec))
    inner300 = Dot1AD(vlan=10) / Dot1Q(vlan=20) / Dot1Q(vlan=30) / Dot1Q(vlan=300)
    frames.append((Ether(**MAC) / inner300 / LOADS[4][0][1]() / PAYLOAD, "drop",
                   "rule:vlan-300", "4 tags, innermost 300: the vlan rule"))
    outer300 = Dot1AD(vlan=300) / Dot1Q(vlan=20) / Dot1Q(vlan=30) / Dot1Q(vlan=40)
    frames.append((Ether(**MAC) / outer300 / LOADS[4][0][1]() / PAYLOAD, "pass",
                   "default", "4 tags, outermost 300: not the vlan rule"))
    frames.append((Ether(**MAC) / tags("ad q q q q") / LOADS[4][0][1]() / PAYLOAD,
                   "drop", "reason:encap_overflow", "5 tags: past the walk"))
    frames.append((Ether(**MAC) / tags("q q q q q") / LOADS[6][1][1]() / PAYLOAD,
                   "drop", "reason:encap_overflow",
                   "5 tags, blocked IPv6 source inside"))
    return frames


def pppoe_frames():
    frames = []
    sess = dict(sessionid=0x1234)
    with_loads(frames, "PPPoE", lambda fam: PPPoE(**sess) / ppp(fam))
    with_loads(frames, "PPPoE over QinQ",
               lambda fam: Dot1AD(vlan=100) / Dot1Q(vlan=200) / PPPoE(**sess) / ppp(fam))
    with_loads(frames, "PPPoE over 4 tags",
               lambda fam: tags("ad q ad q") / PPPoE(**sess) / ppp(fam))
    with_loads(frames, "PPPoE carrying MPLS (2 labels)",
               lambda fam: PPPoE(**sess) / PPP(proto=0x0281) / mpls(2))
    with_loads(frames, "PPPoE, compressed PPP protocol field",
               lambda fam: PPPoE(**sess) / PPP(proto=0x0021 if fam == 4 else 0x0057))
    lcp = PPP(proto=0xc021) / Raw(b"\x09\x01\x00\x08\x12\x34\x56\x78")
    frames.append((Ether(**MAC) / PPPoE(**sess) / lcp, "pass", "reason:non_ip",
                   "PPPoE LCP echo request"))
    frames.append((Ether(**MAC) / Dot1Q(vlan=7) / PPPoE(**sess) / lcp, "pass",
                   "reason:non_ip", "PPPoE LCP over a tag"))
    ipcp = PPP(proto=0x8021) / Raw(b"\x01\x01\x00\x0a\x03\x06\x00\x00\x00\x00")
    frames.append((Ether(**MAC) / PPPoE(**sess) / ipcp, "pass", "reason:non_ip",
                   "PPPoE IPCP configure request"))
    chap = PPP(proto=0xc223) / Raw(b"\x01\x01\x00\x04")
    frames.append((Ether(**MAC) / PPPoE(**sess) / chap, "pass", "reason:non_ip",
                   "PPPoE CHAP"))
    padi = Ether(src=MAC["src"], dst="ff:ff:ff:ff:ff:ff") / PPPoED(code=0x09)
    frames.append((padi, "pass", "reason:non_ip", "PPPoE discovery (PADI)"))
    vj = PPP(proto=0x002f) / bytes(LOADS[4][1][1]() / PAYLOAD)
    frames.append((Ether(**MAC) / PPPoE(**sess) / vj, "drop",
                   "reason:encap_overflow", "PPPoE VJ uncompressed TCP/IP"))
    cut = Ether(**MAC) / Dot1AD(vlan=100) / Dot1Q(vlan=200) / PPPoE(**sess) / ppp(4) / \
        LOADS[4][1][1]() / PAYLOAD
    frames.append((Ether(bytes(cut)[:14 + 8 + 4]), "drop", "reason:malformed_l2",
                   "PPPoE over QinQ cut inside the PPPoE header"))
    return frames


def mpls_frames():
    frames = []
    for n in range(1, 5):
        with_loads(frames, f"MPLS, {n} label{'s' if n > 1 else ''}",
                   lambda fam, n=n: mpls(n))
    with_loads(frames, "MPLS (2 labels) over a tag",
               lambda fam: Dot1Q(vlan=5) / mpls(2))
    frames.append((Ether(**MAC, type=0x8848) / mpls(1) / LOADS[4][1][1]() / PAYLOAD,
                   "drop", "rule:blocked", "MPLS multicast, blocked source"))
    frames.append((Ether(**MAC) / mpls(5) / LOADS[4][0][1]() / PAYLOAD, "drop",
                   "reason:encap_overflow", "MPLS, 5 labels: past the walk"))
    pw = Ether(**MAC) / LOADS[4][1][1]() / PAYLOAD
    frames.append((Ether(**MAC) / mpls(2) / Raw(b"\x00\x00\x00\x01") / pw, "drop",
                   "reason:encap_overflow",
                   "Ethernet pseudowire with control word, blocked source inside"))
    return frames


def other_frames():
    frames = []
    with_loads(frames, "untagged", None)
    frames.append((Ether(**MAC) / ARP(psrc="10.66.1.1", pdst="192.0.2.1"), "pass",
                   "reason:non_ip", "ARP request from a blocked address"))
    lldp = Ether(src=MAC["src"], dst="01:80:c2:00:00:0e", type=0x88cc) / \
        Raw(b"\x02\x07\x04\x02\x00\x00\x00\x00\x01\x00\x00")
    frames.append((lldp, "pass", "reason:non_ip", "LLDP"))
    ns = IPv6(src="2001:db8:66::1", dst="ff02::1:ff00:2") / ICMPv6ND_NS(tgt="2001:db8::2")
    frames.append((Ether(**MAC) / ns, "pass", "reason:nd",
                   "IPv6 neighbour solicitation from a blocked source"))
    inner_bad = IP(src="10.66.1.1", dst="198.51.100.1") / UDP(sport=40000, dport=53) / PAYLOAD
    frames.append((Ether(**MAC) / IP(src="10.66.1.1", dst="198.51.100.1") / GRE() /
                   IP(src="192.0.2.1", dst="198.51.100.1") / UDP(dport=443) / PAYLOAD,
                   "drop", "rule:blocked", "GRE from a blocked source"))
    frames.append((Ether(**MAC) / IP(src="192.0.2.1", dst="198.51.100.1") / GRE() /
                   inner_bad, "pass", "default",
                   "GRE from an allowed source: decided on the outer header"))
    frames.append((Ether(**MAC) / IP(src="192.0.2.1", dst="198.51.100.1") / inner_bad,
                   "pass", "default", "IPIP: decided on the outer header"))
    frames.append((Ether(**MAC) / IP(src="192.0.2.1", dst="198.51.100.1") /
                   UDP(sport=40000, dport=4789) / VXLAN(vni=42) / Ether(**MAC) / inner_bad,
                   "pass", "default", "VXLAN: decided on the outer header"))
    frames.append((Ether(**MAC) / IP(src="192.0.2.1", dst="198.51.100.1") /
                   TCP(sport=40000, dport=443, flags="S"), "pass", "default",
                   "TCP SYN, allowed"))
    return frames


def write(name, frames):
    pcap = os.path.join(HERE, name + ".pcap")
    with PcapWriter(pcap, linktype=1, sync=True) as w:
        for i, (frame, _, _, _) in enumerate(frames):
            frame.time = 1700000000 + i  # deterministic timestamps
            w.write(frame)
    with open(os.path.join(HERE, name + ".expect"), "w") as f:
        f.write(f"# {name}.pcap under rules.yaml: FRAME VERDICT COUNTED # what\n")
        f.write("# Written by gen_pcaps.py; edit the script, not this file.\n")
        for i, (_, verdict, counted, desc) in enumerate(frames, 1):
            f.write(f"{i:<4} {verdict:<5} {counted:<22} # {desc}\n")


def main():
    write("vlan", vlan_frames())
    write("pppoe", pppoe_frames())
    write("mpls", mpls_frames())
    write("other", other_frames())


if __name__ == "__main__":
    main()
