#!/usr/bin/env python3
"""TLS session resumption across virtual hosts: a session (TLS 1.3 ticket) from one server name
resumes under that name only. Connects with SNI NAME1 (full handshake, one request so that the
ticket arrives), again with NAME1 and the session, then with NAME2 and the same session.
Prints "first=<resumed> same=<resumed> other=<resumed>" as 0/1.
  tls_resume_sni.py HOST PORT NAME1 NAME2"""
import socket
import ssl
import sys

host, port, name1, name2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def visit(name, session=None):
    raw = socket.create_connection((host, port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname=name, session=session)
    s.sendall(b"GET / HTTP/1.1\r\nHost: " + name.encode() +
              b"\r\nUser-Agent: Open AnyConnect VPN Agent v9.01\r\n\r\n")
    s.settimeout(5)
    try:
        s.recv(65536)  # the reply; the ticket came before it
    except socket.timeout:
        pass
    reused = s.session_reused
    sess = s.session
    s.close()
    return reused, sess


first, session = visit(name1)
same, _ = visit(name1, session)
other, _ = visit(name2, session)
print(f"first={int(first)} same={int(same)} other={int(other)}")
