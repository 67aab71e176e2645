#!/usr/bin/env python3
"""Sends UDP datagrams with a forged IPv4 source address and port (a raw socket, root): what an
attacker on the path sends to land on a live session's connected socket.

  spoof_udp.py SRC SPORT DST DPORT COUNT INTERVAL HEX [HEX...]

Sends the payloads in turn, COUNT rounds, INTERVAL seconds apart; "-" is an empty payload.
Prints the number of datagrams sent.
"""
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def packet(payload, src, sport, dst, dport):
    """An IPv4 header and a UDP datagram from SRC:SPORT to DST:DPORT (for an IPPROTO_RAW socket)."""
    ulen = 8 + len(payload)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + udp


def main():
    src, sport, dst, dport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    count, interval = min(int(sys.argv[5]), 100000), float(sys.argv[6])
    payloads = [b"" if h == "-" else bytes.fromhex(h) for h in sys.argv[7:]]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sent = 0
    for _ in range(count):
        for p in payloads:
            raw.sendto(packet(p, src, sport, dst, dport), (dst, 0))
            sent += 1
        time.sleep(interval)
    print(sent)


if __name__ == "__main__":
    main()
