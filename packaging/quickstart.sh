#!/bin/bash
# Quick start: installs what is missing, builds, writes a demo configuration (self-signed
# certificate, user "demo" with password "demo") under demo/, and runs sslvpnd in the
# foreground. Run as root from the source tree. SSLVPND_PORT picks the port (default 443).
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/deps.sh
packaging/build.sh build
PORT=${SSLVPND_PORT:-443}
DEMO=$PWD/demo
mkdir -p "$DEMO"
id sslvpnd >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin sslvpnd
if [ ! -f "$DEMO/cert.pem" ]; then
  certtool --generate-privkey --ecc --outfile "$DEMO/key.pem" >/dev/null 2>&1
  chmod 600 "$DEMO/key.pem"
  printf 'cn = "%s"\nexpiration_days = 365\nsigning_key\ntls_www_server\ndns_name = "%s"\n' \
    "$(hostname -f 2>/dev/null || hostname)" "$(hostname -f 2>/dev/null || hostname)" > "$DEMO/cert.tmpl"
  certtool --generate-self-signed --load-privkey "$DEMO/key.pem" --template "$DEMO/cert.tmpl" \
    --outfile "$DEMO/cert.pem" >/dev/null 2>&1
fi
[ -f "$DEMO/passwd" ] || printf 'demo\n' | build/sslvpnd-passwd -c "$DEMO/passwd" -g demo demo
# OpenVPN's tls-crypt key (openvpn's own format), shared with the client profile below.
if [ ! -f "$DEMO/tls-crypt.key" ]; then
  openvpn --genkey secret "$DEMO/tls-crypt.key" >/dev/null
  chmod 600 "$DEMO/tls-crypt.key"
fi
OV_PORT=${SSLVPND_OPENVPN_PORT:-1194}
NVM_PORT=${SSLVPND_NVM_PORT:-2055}
cat > "$DEMO/sslvpnd.conf" <<CONF
# Demo configuration written by packaging/quickstart.sh; see doc/configuration.md.
auth = "plain[passwd=$DEMO/passwd]"
tcp-port = $PORT
udp-port = $PORT
gp-esp-port = 4501
openvpn-udp-port = $OV_PORT
openvpn-tcp-port = $OV_PORT
openvpn-tls-crypt = $DEMO/tls-crypt.key
# Cisco Secure Client NVM (or any IPFIX exporter) flows, stored with the VPN user
nvm-collector-port = $NVM_PORT
nvm-store = sqlite:$DEMO/flows.db
server-cert = $DEMO/cert.pem
server-key = $DEMO/key.pem
run-as-user = sslvpnd
run-as-group = sslvpnd
banner = "Welcome to the sslvpnd demo"
ipv4-network = 10.250.0.0/24
dns = 10.250.0.1
# everything goes through the tunnel; add "route = NET" lines for split tunnelling
CONF
PIN=$(certtool -i --infile "$DEMO/cert.pem" | grep -o 'pin-sha256:[A-Za-z0-9+/=]*' | head -n 1)
HOST=$(hostname -f 2>/dev/null || hostname)
# A complete openvpn client profile: the self-signed certificate as its CA, the tls-crypt key.
{
  printf 'client\ndev tun\nproto udp\nremote %s %s\nnobind\nremote-cert-tls server\n' "$HOST" "$OV_PORT"
  printf 'auth-user-pass\nauth-nocache\ndata-ciphers AES-256-GCM:CHACHA20-POLY1305\nverb 3\n'
  printf '<ca>\n%s\n</ca>\n<tls-crypt>\n%s\n</tls-crypt>\n' "$(cat "$DEMO/cert.pem")" "$(cat "$DEMO/tls-crypt.key")"
} > "$DEMO/demo.ovpn"
chmod 600 "$DEMO/demo.ovpn"
cat <<MSG

sslvpnd demo: user "demo", password "demo", port $PORT.
Connect from another machine (or terminal) with:
  openconnect --user demo --servercert $PIN https://$(hostname -f 2>/dev/null || hostname):$PORT/
or, as a GlobalProtect client (ESP on UDP port 4501):
  openconnect --protocol=gp --user demo --servercert $PIN https://$(hostname -f 2>/dev/null || hostname):$PORT/
or, as an OpenVPN client (UDP $OV_PORT; "proto tcp-client" in the profile for TCP $OV_PORT):
  openvpn --config $DEMO/demo.ovpn
Flow telemetry: point Cisco Secure Client's NVM collector (or softflowd -v 10) at
10.250.0.1 port $NVM_PORT, and see the flows with: build/sslvpnctl show flows
The tunnel gives the client an address in 10.250.0.0/24; the server is 10.250.0.1. To let
clients reach other networks through this host, enable forwarding and NAT, e.g.:
  sysctl -w net.ipv4.ip_forward=1
  nft add table ip sslvpnd-nat
  nft add chain ip sslvpnd-nat post '{ type nat hook postrouting priority 100; }'
  nft add rule ip sslvpnd-nat post ip saddr 10.250.0.0/24 masquerade
Stop the server with Ctrl-C.

MSG
exec build/sslvpnd -f -c "$DEMO/sslvpnd.conf"
