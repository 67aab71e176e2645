#!/usr/bin/env python3
"""Deterministic pcap of a known set of flows, for the IPFIX collector's tests: softflowd reads
it (softflowd -v 10 -r FILE -n 127.0.0.1:PORT) and exports its flows; the test compares what
the collector stored with the expectations this script prints.

  flows_pcap.py OUT.pcap [--v4-src 10.10.0.2] [--v6-src fd00:10::2] [--linktype ether|raw]
                         [--base-time 1700000000] [--format json|csv]

Writes a classic libpcap file (microsecond timestamps; linktype 1 Ethernet or 101 RAW, both of
which softflowd -r accepts) and prints one JSON line per flow on stdout:

  {"id": "tcp4-1", "af": 4, "proto": 6, "src": CLIENT, "sport": .., "dst": SERVER, "dport": ..,
   "fwd": {"packets": N, "bytes": B, "tcp_flags": F},      client -> server
   "rev": {"packets": N, "bytes": B, "tcp_flags": F},      server -> client
   "first": T0, "last": T1,                                 pcap timestamps, seconds (float)
   "records": [{"src":.., "sport":.., "dst":.., "dport":.., "proto":.., "packets":..,
                "bytes":.., "tcp_flags":..}, ...]}         what softflowd -v 10 exports

Counting, as softflowd 1.1.0 does it: bytes are the IP datagram's length (IPv4 total length,
IPv6 40 + payload length); softflowd takes the pcap record's original length minus the
link header (14 for Ethernet, 0 for RAW), so frames here are never padded. Without -b,
softflowd exports a bidirectional flow as two unidirectional data records (one per direction
that saw packets; a direction with no packets gets no record). "records" lists them.
ICMP: softflowd keys an ICMP flow on type/code (type*256+code put in the destination port), so
an echo request and its reply are two separate flows with one record each; this script still
prints the exchange as one line (fwd = requests, rev = replies) whose "records" holds both,
with sport 0 and dport = type*256+code (8*256 = 2048 echo request, 0 echo reply; IPv6:
128*256 = 32768 and 129*256 = 33024), as softflowd exports (icmpTypeCodeIPv4/IPv6) and as
nfdump shows them.

--format csv prints instead the unidirectional records, one a line, sorted (LC_ALL=C), as
"proto,srcaddr,srcport,dstaddr,dstport,packets,bytes": the format ipfix_reference.sh prints
from nfdump, so `diff` compares the two.

TCP flows open with SYN/SYN-ACK/ACK and close with FIN from both sides (flowEndReason 3,
endOfFlow); the other flows end idle (flowEndReason 1). Flow k starts at base-time + 2*k s,
its packets 10 ms apart, so flows never overlap in time.
"""
import argparse
import ipaddress
import json
import struct
import sys

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10

V4_SERVERS = ["192.0.2.%d" % i for i in range(10, 20)]
V6_SERVERS = ["2001:db8::%x" % i for i in range(0x10, 0x20)]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def pattern(n, seed):
    return bytes((seed + i) & 0xFF for i in range(n))


class Writer:
    def __init__(self, linktype):
        self.linktype = linktype
        self.records = []  # (ts_usec, frame)

    def ip_packet(self, ts_usec, af, src, dst, proto, l4):
        if af == 4:
            s, d = ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed
            total = 20 + len(l4)
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, len(self.records) & 0xFFFF,
                              0x4000, 64, proto, 0, s, d)
            hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
            ip, ethertype = hdr + l4, 0x0800
        else:
            s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
            hdr = struct.pack("!IHBB16s16s", 0x60000000, len(l4), proto, 64, s, d)
            ip, ethertype = hdr + l4, 0x86DD
        if self.linktype == "ether":
            frame = (b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" +
                     struct.pack("!H", ethertype) + ip)
        else:
            frame = ip
        self.records.append((ts_usec, frame))
        return len(ip)

    def write(self, path):
        linktype = 1 if self.linktype == "ether" else 101
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
            for ts, frame in sorted(self.records, key=lambda r: r[0]):
                f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), len(frame)))
                f.write(frame)


def pseudo(af, src, dst, proto, length):
    if af == 4:
        return (ipaddress.IPv4Address(src).packed + ipaddress.IPv4Address(dst).packed +
                struct.pack("!BBH", 0, proto, length))
    return (ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed +
            struct.pack("!IxxxB", length, proto))


def tcp_seg(af, src, dst, sport, dport, seq, ack, flags, payload):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0)
    c = csum(pseudo(af, src, dst, 6, len(hdr) + len(payload)) + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


def udp_dgram(af, src, dst, sport, dport, payload):
    length = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    c = csum(pseudo(af, src, dst, 17, length) + hdr + payload) or 0xFFFF
    return hdr[:6] + struct.pack("!H", c) + payload


def icmp_echo(af, src, dst, icmp_type, ident, seq, payload):
    body = struct.pack("!BBHHH", icmp_type, 0, 0, ident, seq) + payload
    if af == 4:
        c = csum(body)
    else:
        c = csum(pseudo(af, src, dst, 58, len(body)) + body)
    return body[:2] + struct.pack("!H", c) + body[4:]


class Flow:
    def __init__(self, w, fid, af, proto, cli, srv, sport, dport, start_usec):
        self.w, self.id, self.af, self.proto = w, fid, af, proto
        self.cli, self.srv, self.sport, self.dport = cli, srv, sport, dport
        self.t = start_usec
        self.first = self.last = None
        self.dirs = {"fwd": {"packets": 0, "bytes": 0, "tcp_flags": 0},
                     "rev": {"packets": 0, "bytes": 0, "tcp_flags": 0}}
        self.cseq, self.sseq = 1000 + sport, 5000 + dport

    def emit(self, direction, l4, flags=0):
        src, dst = (self.cli, self.srv) if direction == "fwd" else (self.srv, self.cli)
        n = self.w.ip_packet(self.t, self.af, src, dst, self.proto, l4)
        d = self.dirs[direction]
        d["packets"] += 1
        d["bytes"] += n
        d["tcp_flags"] |= flags
        if self.first is None:
            self.first = self.t
        self.last = self.t
        self.t += 10000  # 10 ms between packets

    def tcp(self, direction, flags, payload=b""):
        if direction == "fwd":
            l4 = tcp_seg(self.af, self.cli, self.srv, self.sport, self.dport,
                         self.cseq, self.sseq, flags, payload)
            self.cseq += len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)
        else:
            l4 = tcp_seg(self.af, self.srv, self.cli, self.dport, self.sport,
                         self.sseq, self.cseq, flags, payload)
            self.sseq += len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)
        self.emit(direction, l4, flags)

    def udp(self, direction, payload):
        if direction == "fwd":
            l4 = udp_dgram(self.af, self.cli, self.srv, self.sport, self.dport, payload)
        else:
            l4 = udp_dgram(self.af, self.srv, self.cli, self.dport, self.sport, payload)
        self.emit(direction, l4)

    def summary(self):
        out = {"id": self.id, "af": self.af, "proto": self.proto, "src": self.cli,
               "sport": self.sport, "dst": self.srv, "dport": self.dport,
               "fwd": self.dirs["fwd"], "rev": self.dirs["rev"],
               "first": self.first / 1e6, "last": self.last / 1e6, "records": []}
        if self.proto in (1, 58):
            req, rep = (8, 0) if self.proto == 1 else (128, 129)
            tuples = {"fwd": (self.cli, 0, self.srv, req * 256),
                      "rev": (self.srv, 0, self.cli, rep * 256)}
        else:
            tuples = {"fwd": (self.cli, self.sport, self.srv, self.dport),
                      "rev": (self.srv, self.dport, self.cli, self.sport)}
        for direction in ("fwd", "rev"):
            d = self.dirs[direction]
            if d["packets"] == 0:
                continue
            src, sport, dst, dport = tuples[direction]
            out["records"].append({"src": src, "sport": sport, "dst": dst, "dport": dport,
                                   "proto": self.proto, "packets": d["packets"],
                                   "bytes": d["bytes"], "tcp_flags": d["tcp_flags"]})
        return out


def tcp_flow(f, up, down, seed):
    """Handshake, `up` client segments (sizes), `down` server segments, FIN both ways."""
    f.tcp("fwd", TCP_SYN)
    f.tcp("rev", TCP_SYN | TCP_ACK)
    f.tcp("fwd", TCP_ACK)
    for i, n in enumerate(up):
        f.tcp("fwd", TCP_PSH | TCP_ACK, pattern(n, seed + i))
    for i, n in enumerate(down):
        f.tcp("rev", TCP_PSH | TCP_ACK, pattern(n, seed + 100 + i))
        if i % 2 == 1:
            f.tcp("fwd", TCP_ACK)
    f.tcp("fwd", TCP_FIN | TCP_ACK)
    f.tcp("rev", TCP_FIN | TCP_ACK)
    f.tcp("fwd", TCP_ACK)


def build(args):
    w = Writer(args.linktype)
    flows = []
    k = 0

    def new(fid, af, proto, srv, sport, dport):
        nonlocal k
        cli = args.v4_src if af == 4 else args.v6_src
        f = Flow(w, fid, af, proto, cli, srv, sport, dport, (args.base_time + 2 * k) * 1000000)
        k += 1
        flows.append(f)
        return f

    # IPv4 TCP: (dport, client segment sizes, server segment sizes)
    tcp4 = [(80, [120], [1400, 1400, 600]),
            (443, [517, 80], [1300, 1200, 1100, 1000]),
            (22, [40, 40, 40, 40], [60, 60, 60]),
            (25, [300, 200, 100], [50]),
            (8080, [], [10]),
            (993, [1000] * 5, [1460] * 6)]
    for i, (dport, up, down) in enumerate(tcp4):
        f = new("tcp4-%d" % (i + 1), 4, 6, V4_SERVERS[i], 40001 + i, dport)
        tcp_flow(f, up, down, 17 * i)

    # IPv4 UDP: DNS query/answer, a two-way exchange, and one way only (no reply: one record)
    f = new("udp4-1", 4, 17, V4_SERVERS[6], 50001, 53)
    f.udp("fwd", pattern(33, 1))
    f.udp("rev", pattern(97, 2))
    f = new("udp4-2", 4, 17, V4_SERVERS[7], 50002, 4500)
    for i in range(5):
        f.udp("fwd", pattern(200 + 10 * i, 3 + i))
        f.udp("rev", pattern(150 + 20 * i, 9 + i))
    f = new("udp4-3", 4, 17, V4_SERVERS[8], 50003, 514)
    for i in range(3):
        f.udp("fwd", pattern(64 + i, 20 + i))

    # IPv4 ICMP echo: 3 requests, 3 replies (softflowd: two flows, one record each)
    f = new("icmp4-1", 4, 1, V4_SERVERS[9], 0, 0)
    for i in range(3):
        f.emit("fwd", icmp_echo(4, f.cli, f.srv, 8, 0x1234, i + 1, pattern(56, i)))
        f.emit("rev", icmp_echo(4, f.srv, f.cli, 0, 0x1234, i + 1, pattern(56, i)))

    # IPv6: two TCP, one UDP, one ICMPv6 echo
    f = new("tcp6-1", 6, 6, V6_SERVERS[0], 40101, 443)
    tcp_flow(f, [700, 90], [1400, 1400, 1400, 200], 5)
    f = new("tcp6-2", 6, 6, V6_SERVERS[1], 40102, 80)
    tcp_flow(f, [150], [512, 256], 7)
    f = new("udp6-1", 6, 17, V6_SERVERS[2], 50101, 53)
    for i in range(2):
        f.udp("fwd", pattern(45 + i, 30 + i))
        f.udp("rev", pattern(120 + i, 40 + i))
    f = new("icmp6-1", 6, 58, V6_SERVERS[3], 0, 0)
    for i in range(2):
        f.emit("fwd", icmp_echo(6, f.cli, f.srv, 128, 0x4321, i + 1, pattern(32, i)))
        f.emit("rev", icmp_echo(6, f.srv, f.cli, 129, 0x4321, i + 1, pattern(32, i)))
    return w, flows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--v4-src", default="10.10.0.2")
    p.add_argument("--v6-src", default="fd00:10::2")
    p.add_argument("--linktype", choices=("ether", "raw"), default="ether")
    p.add_argument("--base-time", type=int, default=1700000000)
    p.add_argument("--format", choices=("json", "csv"), default="json")
    args = p.parse_args()
    args.v4_src = str(ipaddress.IPv4Address(args.v4_src))
    args.v6_src = str(ipaddress.IPv6Address(args.v6_src))
    w, flows = build(args)
    w.write(args.out)
    if args.format == "json":
        for f in flows:
            print(json.dumps(f.summary(), sort_keys=True))
    else:
        lines = ["%d,%s,%d,%s,%d,%d,%d" % (r["proto"], r["src"], r["sport"], r["dst"],
                                           r["dport"], r["packets"], r["bytes"])
                 for f in flows for r in f.summary()["records"]]
        for line in sorted(lines, key=lambda l: l.encode()):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
