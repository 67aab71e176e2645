#!/usr/bin/env python3
"""Hostile clients for the soak test (tests/bench/soak.sh). Each runs for a bounded time at a
bounded rate against a server on an address the test made, and prints one JSON line of what it
did when it ends.

  attackers.py slow     SRC HOST PORT SECONDS CONNS     slow TLS clients: a byte every 10 s
  attackers.py badhttp  SRC HOST PORT SECONDS RATE      malformed HTTP over TLS
  attackers.py udpjunk  SRC HOST PORT SECONDS RATE      UDP garbage and forged DTLS hellos
  attackers.py wrongpw  SRC HOST PORT SECONDS RATE      AnyConnect logins with a wrong password

SRC is the source address to bind (the test adds it to the client namespace).
"""
import json
import os
import random
import socket
import ssl
import struct
import sys
import time


def tls_connect(src, host, port, timeout=5.0):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection((host, port), timeout=timeout, source_address=(src, 0))
    return ctx.wrap_socket(raw)


def slow(src, host, port, seconds, conns):
    """Opens CONNS TLS connections and trickles a request head, one byte every 10 s."""
    end = time.time() + seconds
    socks, opened, closed_by_server = [], 0, 0
    for _ in range(conns):
        try:
            socks.append(tls_connect(src, host, port))
            opened += 1
        except OSError:
            pass
    head = b"POST /auth HTTP/1.1\r\nHost: vpn\r\nX-Slow: " + b"a" * 100
    pos = 0
    while time.time() < end and socks:
        time.sleep(min(10, max(0, end - time.time())))
        alive = []
        for s in socks:
            try:
                s.send(head[pos % len(head):pos % len(head) + 1])
                alive.append(s)
            except OSError:
                closed_by_server += 1
        socks = alive
        pos += 1
        # keep the number of slow connections up
        while len(socks) < conns and time.time() < end:
            try:
                socks.append(tls_connect(src, host, port))
                opened += 1
            except OSError:
                break
    for s in socks:
        s.close()
    return {"kind": "slow", "opened": opened, "closed_by_server": closed_by_server}


BAD_REQUESTS = [
    b"GET / HTTP/1.1\nHost: x\n\n",
    b"POST /auth HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    b"POST /auth HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /auth HTTP/1.1\r\nContent-Length: 30\r\n\r\n<config-auth><auth><usern",
    b"\x00\x01\x02\x03garbage\r\n\r\n",
    b"GET /" + b"A" * 20000 + b" HTTP/1.1\r\n\r\n",
    b"POST /auth HTTP/1.1\r\nContent-Length: 100000\r\n\r\n",
    b"POST /auth HTTP/1.1\r\nContent-Length: 60\r\n\r\n<!DOCTYPE x [<!ENTITY a SYSTEM 'file:///etc/shadow'>]><x>&a;</x>",
    b"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nCookie: webvpn=forged\r\n\r\n",
]


def badhttp(src, host, port, seconds, rate):
    """RATE malformed requests a second, each on its own TLS connection; counts the answers."""
    end = time.time() + seconds
    sent, answered, status = 0, 0, {}
    while time.time() < end:
        t0 = time.time()
        try:
            s = tls_connect(src, host, port)
            s.sendall(random.choice(BAD_REQUESTS))
            sent += 1
            reply = s.recv(64)
            if reply:
                answered += 1
                code = reply.split(b" ")[1].decode(errors="replace") if b" " in reply else "?"
                status[code] = status.get(code, 0) + 1
            s.close()
        except OSError:
            pass
        time.sleep(max(0, 1.0 / rate - (time.time() - t0)))
    return {"kind": "badhttp", "sent": sent, "answered": answered, "status": status}


def dtls_hello(session_id):
    body = struct.pack("!H", 0xFEFD) + os.urandom(32) + bytes([len(session_id)]) + session_id + b"\x00"
    body += struct.pack("!HH", 2, 0x00A8) + b"\x01\x00"
    hs = bytes([1]) + len(body).to_bytes(3, "big") + b"\x00\x00\x00\x00\x00" + len(body).to_bytes(3, "big") + body
    return bytes([22]) + struct.pack("!H", 0xFEFD) + b"\x00" * 8 + struct.pack("!H", len(hs)) + hs


def udpjunk(src, host, port, seconds, rate):
    """RATE datagrams a second: garbage, forged application data, hellos with random ids."""
    end = time.time() + seconds
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    sent = 0
    while time.time() < end:
        t0 = time.time()
        for _ in range(max(1, rate // 10)):
            kind = random.randrange(3)
            if kind == 0:
                d = os.urandom(random.randrange(1, 1400))
            elif kind == 1:
                d = b"\x17\xfe\xfd\x00\x01" + os.urandom(6) + struct.pack("!H", 48) + os.urandom(48)
            else:
                d = dtls_hello(os.urandom(32))
            try:
                s.sendto(d, (host, port))
                sent += 1
            except OSError:
                pass
        time.sleep(max(0, 0.1 - (time.time() - t0)))
    return {"kind": "udpjunk", "sent": sent}


WRONG = (b'<config-auth client="vpn" type="auth-reply"><auth><username>bench</username>'
         b'<password>wrong-password</password></auth></config-auth>')


def wrongpw(src, host, port, seconds, rate):
    """RATE wrong-password logins a second (the XML auth-reply, as openconnect sends it)."""
    end = time.time() + seconds
    tried, refused_at_connect, status = 0, 0, {}
    req = (b"POST /auth HTTP/1.1\r\nHost: vpn\r\nX-Aggregate-Auth: 1\r\nContent-Type: text/xml\r\n"
           b"Content-Length: " + str(len(WRONG)).encode() + b"\r\n\r\n" + WRONG)
    while time.time() < end:
        t0 = time.time()
        try:
            s = tls_connect(src, host, port)
            s.sendall(req)
            tried += 1
            reply = s.recv(64)
            code = reply.split(b" ")[1].decode(errors="replace") if b" " in reply else "closed"
            status[code] = status.get(code, 0) + 1
            s.close()
        except OSError:
            refused_at_connect += 1  # banned: main closes before TLS
        time.sleep(max(0, 1.0 / rate - (time.time() - t0)))
    return {"kind": "wrongpw", "src": src, "tried": tried, "refused": refused_at_connect, "status": status}


def main():
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        return 2
    kind, src, host, port, seconds, n = sys.argv[1:]
    fn = {"slow": slow, "badhttp": badhttp, "udpjunk": udpjunk, "wrongpw": wrongpw}[kind]
    print(json.dumps(fn(src, host, int(port), min(float(seconds), 3600), min(int(n), 2000))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
