#!/usr/bin/env python3
"""Asks a server's openvpn management interface, as monitoring tools do, and prints what it
answered: the greeting, then for each command its answer (to "END" for the commands that answer
in several lines), each after a line "== COMMAND". Everything is bounded: 5 s per answer.

  mgmt_ask.py HOST PORT [--password PW] COMMAND...
"""
import socket
import sys
import time

args = sys.argv[1:]
host, port = args[0], int(args[1])
args = args[2:]
password = None
if args[:1] == ["--password"]:
    password, args = args[1], args[2:]
MULTI = ("status", "version", "state", "help")

sock = socket.create_connection((host, port), timeout=5)
buf = b""


def read_until(pred):
    global buf
    deadline = time.time() + 5
    while not pred(buf) and time.time() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        buf += data
    out, buf = buf, b""
    return out.decode(errors="replace")


if password is not None:
    print(read_until(lambda b: b.endswith(b"ENTER PASSWORD:")), end="")
    sock.sendall(password.encode() + b"\r\n")
    print(read_until(lambda b: b"\r\n>INFO:" in b and b.endswith(b"\r\n") or b.startswith(b"ERROR")), end="")
else:
    print(read_until(lambda b: b.endswith(b"\r\n")), end="")
for cmd in args:
    print("== " + cmd)
    sock.sendall(cmd.encode() + b"\r\n")
    if cmd.split()[0] in MULTI:
        print(read_until(lambda b: b.endswith(b"END\r\n")), end="")
    else:
        print(read_until(lambda b: b.endswith(b"\r\n")), end="")
sock.close()
