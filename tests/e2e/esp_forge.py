#!/usr/bin/env python3
"""Hostile ESP for the GlobalProtect test: sniffs one real ESP datagram the client sends to
SERVER:PORT on IFACE (within 10 s), then sends from a fresh UDP port, as an attacker on the path
would: that datagram again (a replay), copies with one ciphertext or ICV byte flipped
(forgeries), and random bodies under the live SPI. Prints the SPI it saw.

  esp_forge.py IFACE SERVER PORT
  esp_forge.py IFACE SERVER PORT flood SECONDS SOURCE_IP

The flood form sends random bodies under the sniffed SPI from 16 ports of SOURCE_IP, about
2000 a second for SECONDS (at most 60), and prints how many it sent.
"""
import os
import socket
import struct
import sys
import time

iface, server, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
sniff.bind((iface, 0))
sniff.settimeout(0.5)
deadline = time.time() + 10
captured = None
server_b = socket.inet_aton(server)
while captured is None and time.time() < deadline:
    try:
        frame = sniff.recv(65535)
    except socket.timeout:
        continue
    if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
        continue
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 17 or ip[16:20] != server_b:
        continue
    dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
    if dport == port:
        captured = ip[ihl + 8:]
if captured is None:
    print("no ESP datagram seen")
    sys.exit(1)
spi = captured[:4]
print("spi", spi.hex(), "seq", struct.unpack("!I", captured[4:8])[0], "len", len(captured), flush=True)
if len(sys.argv) > 4 and sys.argv[4] == "flood":
    end, n = time.time() + min(float(sys.argv[5]), 60), 0
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(16)]
    for s in socks:
        s.bind((sys.argv[6], 0))
    while time.time() < end and n < 200000:
        socks[n % 16].sendto(spi + os.urandom(4 + 16 + 64 + 12), (server, port))
        n += 1
        if n % 100 == 0:
            time.sleep(0.05)
    print("flooded", n, flush=True)
    sys.exit(0)
out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    out.sendto(captured, (server, port))  # replay
    time.sleep(1.1)  # main hands a tunnel one new path per second: each attempt reaches the worker
for i in range(3):
    forged = bytearray(captured)
    forged[-1 - i * 20] ^= 0x01  # ICV, then ciphertext bytes
    out.sendto(bytes(forged), (server, port))
    time.sleep(1.1)
for _ in range(20):
    out.sendto(spi + os.urandom(4 + 16 + 64 + 12), (server, port))
print("sent 3 replays, 3 forgeries, 20 random", flush=True)
