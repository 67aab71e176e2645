#!/usr/bin/env python3
"""TLS session resumption against sslvpnd: a ticket is good for the client address it was
issued to, and for no other. Connects from SRC1 (full handshake, one request so that the TLS 1.3
ticket arrives), then again from SRC1 with the session, then from SRC2 with it. Prints
"first=<resumed> same=<resumed> other=<resumed>" as 0/1.
  tls_resume.py HOST PORT SRC1 SRC2"""
import socket
import ssl
import sys

host, port, src1, src2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def visit(src, session=None):
    raw = socket.create_connection((host, port), timeout=10, source_address=(src, 0))
    s = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
    s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Open AnyConnect VPN Agent v9.01\r\n\r\n")
    s.settimeout(5)
    try:
        s.recv(65536)  # the reply; the ticket came before it
    except socket.timeout:
        pass
    reused = s.session_reused
    sess = s.session
    s.close()
    return reused, sess


first, session = visit(src1)
same, _ = visit(src1, session)
other, _ = visit(src2, session)
print(f"first={int(first)} same={int(same)} other={int(other)}")
