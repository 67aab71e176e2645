#!/usr/bin/env python3
"""Moves a file over one TCP connection, for checking that bytes cross the tunnel intact.

  tcp_copy.py serve ADDR PORT send|recv FILE   listen, accept one connection, send or receive
  tcp_copy.py connect ADDR PORT send|recv FILE  connect, then send or receive

Every step is bounded: 5 s to connect (the server waits 20 s for it), 60 s of silence at most.
Exit status 0 when the whole transfer happened.
"""
import socket
import sys
import time


def pump(sock, mode, path):
    sock.settimeout(60)
    if mode == "send":
        with open(path, "rb") as f:
            sock.sendall(f.read())
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1)  # the peer closes after reading everything
    else:
        with open(path, "wb") as f:
            while True:
                b = sock.recv(1 << 16)
                if not b:
                    break
                f.write(b)


def main():
    role, addr, port, mode, path = sys.argv[1:6]
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    if role == "serve":
        srv = socket.socket(family, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((addr, int(port)))
        srv.listen(1)
        srv.settimeout(20)
        conn, _ = srv.accept()
        pump(conn, mode, path)
        conn.close()
        return 0
    deadline = time.time() + 5
    while True:  # the server may still be starting
        try:
            sock = socket.create_connection((addr, int(port)), timeout=2)
            break
        except OSError:
            if time.time() > deadline:
                return 1
            time.sleep(0.1)
    pump(sock, mode, path)
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
