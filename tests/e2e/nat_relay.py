#!/usr/bin/env python3
"""A NAT in one process, for the NAT-rebinding test: relays TCP and UDP from LISTEN_ADDR:PORT to
SERVER:PORT (UDP on UDP_PORT, PORT by default: GlobalProtect's ESP has its own). On SIGUSR1 the
UDP relay moves to a new source port (what a NAT does when its mapping expires), keeping the
client's side as it was; on SIGUSR2 it moves back to its first source port. It exits after LIFETIME seconds. Addresses may be IPv4 or IPv6.

  nat_relay.py LISTEN_ADDR SERVER PORT LIFETIME [UDP_PORT]

With NAT_RELAY_DUMP=FILE it writes the client's first UDP datagram there, in hex (a test
replays it). On SIGHUP (IPv4 only, root) it forges instead: the client's datagrams leave
through a raw socket with the relay's source address and the port written in the file
NAT_RELAY_FORGE_PORT (another client's address, which a client able to forge its source might
claim); SIGUSR2 ends that.
"""
import os
import selectors
import signal
import socket
import sys
import time

listen_addr, server, port, lifetime = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
udp_port = int(sys.argv[5]) if len(sys.argv) > 5 else port
sel = selectors.DefaultSelector()
rebind = None  # the source port to move to (0: any new one)
first_port = None


def on_usr1(*_):
    global rebind
    rebind = 0


def on_usr2(*_):
    global rebind
    rebind = first_port


forge_port = None  # while forging: the source port the datagrams claim


def on_hup(*_):
    global forge_port
    with open(os.environ["NAT_RELAY_FORGE_PORT"]) as f:
        forge_port = int(f.read())


signal.signal(signal.SIGUSR1, on_usr1)
signal.signal(signal.SIGUSR2, on_usr2)
signal.signal(signal.SIGHUP, on_hup)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spoof_udp import packet  # noqa: E402
raw = None

def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


tcp = socket.socket(family(listen_addr), socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind((listen_addr, port))
tcp.listen(16)
sel.register(tcp, selectors.EVENT_READ, ("accept", None))

udp_client = socket.socket(family(listen_addr), socket.SOCK_DGRAM)
udp_client.bind((listen_addr, udp_port))
sel.register(udp_client, selectors.EVENT_READ, ("udp-in", None))
client_addr = None
upstream = None


def new_upstream(source_port=0):
    global upstream, first_port
    if upstream is not None:
        sel.unregister(upstream)
        upstream.close()
    upstream = socket.socket(family(server), socket.SOCK_DGRAM)
    if source_port:
        upstream.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        upstream.bind(("::" if ":" in server else "0.0.0.0", source_port))
    upstream.connect((server, udp_port))
    if first_port is None:
        first_port = upstream.getsockname()[1]
    sel.register(upstream, selectors.EVENT_READ, ("udp-up", None))
    print("udp source port", upstream.getsockname()[1], flush=True)


new_upstream()
deadline = time.time() + lifetime
while time.time() < deadline:
    if rebind is not None:
        port_to, rebind = rebind, None
        forge_port = None
        new_upstream(port_to)
    for key, _ in sel.select(timeout=0.2):
        kind, peer = key.data
        try:
            if kind == "accept":
                c, _ = tcp.accept()
                s = socket.create_connection((server, port), timeout=5)
                sel.register(c, selectors.EVENT_READ, ("tcp", s))
                sel.register(s, selectors.EVENT_READ, ("tcp", c))
            elif kind == "tcp":
                data = key.fileobj.recv(65536)
                if not data:
                    for sock in (key.fileobj, peer):
                        try:
                            sel.unregister(sock)
                        except (KeyError, ValueError):
                            pass
                        sock.close()
                else:
                    peer.sendall(data)
            elif kind == "udp-in":
                data, client_addr = udp_client.recvfrom(65536)
                dump = os.environ.get("NAT_RELAY_DUMP")
                if dump and not os.path.exists(dump):
                    with open(dump, "w") as f:
                        f.write(data.hex())
                if forge_port is None:
                    upstream.send(data)
                else:
                    if raw is None:
                        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
                    source = upstream.getsockname()[0]
                    raw.sendto(packet(data, source, forge_port, server, udp_port), (server, 0))
            elif kind == "udp-up":
                data = upstream.recv(65536)
                if client_addr is not None:
                    udp_client.sendto(data, client_addr)
        except OSError:
            pass
