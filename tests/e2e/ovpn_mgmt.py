#!/usr/bin/env python3
"""Answers an openvpn client's password prompts on its management interface, as a GUI would,
for the OTP tests: the user name and password, then the answer to a CRV1 challenge, or the
static-challenge response with the password. Exits when the tunnel is up, the client gave up,
or after LIFETIME seconds.

  ovpn_mgmt.py PORT LIFETIME USER PASSWORD CODE static|dynamic

static:  the first password is "SCRV1:base64(PASSWORD):base64(CODE)".
dynamic: the first password is PASSWORD; after "AUTH_FAILED,CRV1:...:STATE:..." the next is
         "CRV1::STATE::CODE". Prints "challenge: TEXT" when it sees the challenge.
"""
import base64
import socket
import sys
import time

port, lifetime, user, password, code, mode = int(sys.argv[1]), float(sys.argv[2]), *sys.argv[3:7]
deadline = time.time() + lifetime
sock = None
while sock is None and time.time() < deadline:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=1)
    except OSError:
        time.sleep(0.1)
if sock is None:
    sys.exit("no management interface")
sock.settimeout(0.5)


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def send(line):
    sock.sendall((line + "\n").encode())


state = None
asked = 0
buf = b""
while time.time() < deadline:
    try:
        data = sock.recv(4096)
    except socket.timeout:
        continue
    if not data:
        break
    buf += data
    while b"\n" in buf:
        raw, buf = buf.split(b"\n", 1)
        line = raw.decode(errors="replace").rstrip("\r")
        if line.startswith(">PASSWORD:Verification Failed: 'Auth' ['CRV1:"):
            crv = line.split("['", 1)[1].rsplit("']", 1)[0]
            parts = crv.split(":", 4)  # CRV1, flags, state, user, text
            state = parts[2]
            print("challenge: " + parts[4], flush=True)
        elif line.startswith(">PASSWORD:Verification Failed: 'Auth'"):
            print("refused: " + line, flush=True)
            sys.exit(3)
        elif line.startswith(">PASSWORD:Need 'Auth'"):
            asked += 1
            if mode == "static":
                pw = "SCRV1:" + base64.b64encode(password.encode()).decode() + ":" + \
                    base64.b64encode(code.encode()).decode()
            elif state is not None:
                pw = "CRV1::" + state + "::" + code
            else:
                pw = password
            send("username \"Auth\" " + quote(user))
            send("password \"Auth\" " + quote(pw))
        elif line.startswith(">STATE:") and ",CONNECTED,SUCCESS" in line:
            print("connected after %d prompt(s)" % asked, flush=True)
            sys.exit(0)
        elif line.startswith(">FATAL") or ",EXITING," in line:
            print("client gave up: " + line, flush=True)
            sys.exit(1)
        elif line.startswith(">INFO:") or line.startswith(">HOLD"):
            send("state on")
            if line.startswith(">HOLD"):
                send("hold release")
sys.exit(2)
