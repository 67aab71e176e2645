#!/bin/bash
# sslvpnd-ovpn-key profile: the profile it writes from a server's configuration is all the real
# openvpn 2.6 client needs (given the user's credentials and a device name), in namespaces:
#   A  UDP and TCP, tls-crypt-v2: the profile carries a fresh client key with the metadata
#      given, the server's certificate as CA, a <connection> per port; openvpn connects over
#      UDP, pings, and the server logs the key's metadata; two profiles have different keys
#   B  TCP only, tls-auth with direction 0 and SHA384: key-direction 1 and auth SHA384 in the
#      profile; openvpn connects over TCP and pings
#      connect- and disconnect-scripts get openvpn's own variables (script_type, common_name,
#      trusted_ip, ifconfig_pool_remote_ip, bytes_received...) beside ocserv's
#   C  refusals: a configuration without OpenVPN, an existing file (left as it was)
# Every openvpn is ended by its PID; every wait is bounded.
# shellcheck disable=SC2317  # functions only check runs look unreachable
source "$(dirname "$0")/lib.sh"
e2e_init
ov_require
ns_setup
SERVER_NS=$NS_S
KEYTOOL="$BUILD_DIR/sslvpnd-ovpn-key"
CTL="$BUILD_DIR/sslvpnctl"
make_cert "$WORK/cert" ecdsa >/dev/null
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1'
PORT=4443
OV_PORT=1194
printf 'alice\nalice-Secret1\n' >"$WORK/alice.up"
chmod 600 "$WORK/alice.up"
source "$(dirname "$0")/openvpn_lib.sh"

# server NAME NET4 LINES...: its configuration, and the server started
server() {
  local name=$1 net4=$2
  shift 2
  LOG="$WORK/server-$name.log" SOCK="$WORK/ctl-$name.sock" GW=$net4.1
  { base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = $net4.0/24
occtl-socket-file = $SOCK
CONF
  printf '%s\n' "$@"; } >"$WORK/$name.conf"
  start_server "$WORK/$name.conf" "$LOG" "$WORK/$name.pid" "$PORT"
}
# connect NAME: openvpn with the profile $WORK/NAME.ovpn, the credentials and device tunNAME added
connect() {
  printf 'dev tun%s\nauth-user-pass %s\nconnect-retry-max 1\nserver-poll-timeout 10\n' "$1" "$WORK/alice.up" >>"$WORK/$1.ovpn"
  ov_start "$1"
  ov_up "$1"
}
# sans_secrets FILE: the profile without its PEM and key blocks
sans_secrets() { sed '/^<\(ca\|tls-crypt-v2\|tls-crypt\|tls-auth\)>$/,/^<\/.*>$/d' "$1"; }
# block NAME TAG: the lines of a <TAG> block of the profile
block() { sed -n "/^<$2>\$/,/^<\/$2>\$/p" "$WORK/$1.ovpn" | sed '1d;$d'; }

echo "# A: UDP and TCP, tls-crypt-v2"
"$KEYTOOL" server "$WORK/v2srv.key"
printf '#!/bin/sh\nenv > %s/env.$REASON\n' "$WORK" >"$WORK/script.sh"
chmod 755 "$WORK/script.sh"
if server A 10.87.1 "openvpn-udp-port = $OV_PORT" "openvpn-tcp-port = $OV_PORT" "openvpn-tls-crypt-v2 = $WORK/v2srv.key" \
  "connect-script = $WORK/script.sh" "disconnect-script = $WORK/script.sh"; then
  check "A: profile written" "$KEYTOOL" profile -c "$WORK/A.conf" --remote "$SERVER_IP" --metadata "alice's laptop" "$WORK/pa.ovpn"
  check "A: ... mode 0600" test "$(stat -c %a "$WORK/pa.ovpn")" = 600
  sans_secrets "$WORK/pa.ovpn" | sed 's/^/    /'
  check "A: a UDP connection first, then a TCP one" \
    test "$(grep '^remote ' "$WORK/pa.ovpn" | tr '\n' '|')" = "remote $SERVER_IP $OV_PORT udp|remote $SERVER_IP $OV_PORT tcp-client|"
  check "A: the CA is the server's certificate" test "$(block pa ca)" = "$(cat "$WORK/cert/cert.pem")"
  check "A: remote-cert-tls server (the certificate is for TLS servers)" grep -qx 'remote-cert-tls server' "$WORK/pa.ovpn"
  check "A: the tls-crypt-v2 client key opens with the server key, with its metadata" \
    bash -c "'$KEYTOOL' show --server-key '$WORK/v2srv.key' <(sed -n '/^<tls-crypt-v2>\$/,/^<\/tls-crypt-v2>\$/p' '$WORK/pa.ovpn' | sed '1d;\$d') | grep -q \"metadata: alice's laptop\""
  "$KEYTOOL" profile -c "$WORK/A.conf" --remote "$SERVER_IP" "$WORK/pa2.ovpn" >/dev/null
  check "A: a second profile has a key of its own" test "$(block pa tls-crypt-v2)" != "$(block pa2 tls-crypt-v2)"
  cp "$WORK/pa.ovpn" "$WORK/a.ovpn"
  check "A: openvpn connects with the profile" connect a
  check "A: ... over UDP" grep -q "UDPv4 link remote: \[AF_INET\]$SERVER_IP:$OV_PORT" "$WORK/ov-a.log"
  check "A: ... and pings" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$GW"
  check "A: the server logged the key's metadata" grep -q "tls-crypt-v2 client key: alice's laptop" "$LOG"
  a4=$(ov_addr4 a)
  check "A: connect-script: openvpn's variables (script_type, common_name, trusted_ip, ifconfig_pool_remote_ip)" \
    test "$(grep -E '^(script_type|common_name|trusted_ip|ifconfig_pool_remote_ip|PROTOCOL)=' "$WORK/env.connect" | LC_ALL=C sort | tr '\n' ' ')" \
    = "PROTOCOL=openvpn common_name=alice ifconfig_pool_remote_ip=$a4 script_type=client-connect trusted_ip=$CLIENT_IP "
  check "A: ... and ocserv's (USERNAME, IP_REMOTE)" grep -qx "IP_REMOTE=$a4" "$WORK/env.connect"
  in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 -s 1000 "$GW" >/dev/null
  ov_stop a
  for _ in $(seq 1 50); do [ -s "$WORK/env.disconnect" ] && break; sleep 0.1; done
  check "A: disconnect-script: script_type client-disconnect, bytes_received counted ($(sed -n 's/^bytes_received=//p' "$WORK/env.disconnect" 2>/dev/null))" \
    test "$(sed -n 's/^script_type=//p' "$WORK/env.disconnect" 2>/dev/null) $(sed -n 's/^bytes_received=//p' "$WORK/env.disconnect" 2>/dev/null | awk '{print ($1 >= 3000)}')" = "client-disconnect 1"
  check "A: ... time_duration is there" grep -Eq '^time_duration=[0-9]+$' "$WORK/env.disconnect"
  stop_server "$SERVER_PID"
else
  fail "server A did not start"
fi

echo "# B: TCP only, tls-auth (direction 0, SHA256)"
"$OPENVPN" --genkey secret "$WORK/ta.key" >/dev/null 2>&1
grep -E '^[0-9a-f]{32}$' "$WORK/ta.key" | while read -r l; do note_secret "$l"; done
if server B 10.87.2 "openvpn-tcp-port = $OV_PORT" "openvpn-tls-auth = $WORK/ta.key 0" "openvpn-auth = SHA384"; then
  check "B: profile written" "$KEYTOOL" profile -c "$WORK/B.conf" --remote "$SERVER_IP" "$WORK/b.ovpn"
  sans_secrets "$WORK/b.ovpn" | sed 's/^/    /'
  check "B: only the TCP connection" test "$(grep -c '^remote ' "$WORK/b.ovpn") $(grep '^remote ' "$WORK/b.ovpn")" = "1 remote $SERVER_IP $OV_PORT tcp-client"
  check "B: key-direction 1 and auth SHA384" test "$(grep -E '^(key-direction|auth) ' "$WORK/b.ovpn" | tr '\n' '|')" = "key-direction 1|auth SHA384|"
  check "B: the tls-auth key inline" test "$(block b tls-auth)" = "$(cat "$WORK/ta.key")"
  check "B: openvpn connects with the profile" connect b
  check "B: ... over TCP" grep -q "TCP connection established with \[AF_INET\]$SERVER_IP:$OV_PORT" "$WORK/ov-b.log"
  check "B: ... and pings" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$GW"
  ov_stop b
  stop_server "$SERVER_PID"
else
  fail "server B did not start"
fi

echo "# C: refusals"
base_conf "$PORT" "$WORK/cert" "$PW" >"$WORK/C.conf"
out=$("$KEYTOOL" profile -c "$WORK/C.conf" --remote "$SERVER_IP" "$WORK/c.ovpn" 2>&1)
check "C: no profile for a server without OpenVPN (exit 1, says why)" \
  test "$? $(grep -c 'OpenVPN is off' <<<"$out")" = "1 1"
check "C: ... and no file" test ! -e "$WORK/c.ovpn"
# A server-cert that is not its own root (a leaf its CA signed, the CA not in the file): the
# tool cannot know what clients should trust, and asks for --ca.
mkdir -p "$WORK/ca"
certtool --generate-privkey --ecc --outfile "$WORK/ca/key.pem" >/dev/null 2>&1
printf 'cn = "profile test CA"\nca\ncert_signing_key\nexpiration_days = 30\n' >"$WORK/ca/tmpl"
certtool --generate-self-signed --load-privkey "$WORK/ca/key.pem" --template "$WORK/ca/tmpl" \
  --outfile "$WORK/ca/cert.pem" >/dev/null 2>&1
printf 'cn = "%s"\ntls_www_server\nsigning_key\nexpiration_days = 30\n' "$SERVER_IP" >"$WORK/ca/leaf.tmpl"
certtool --generate-certificate --load-privkey "$WORK/cert/key.pem" --load-ca-certificate "$WORK/ca/cert.pem" \
  --load-ca-privkey "$WORK/ca/key.pem" --template "$WORK/ca/leaf.tmpl" --outfile "$WORK/ca/leaf.pem" >/dev/null 2>&1
sed "s|^server-cert = .*|server-cert = $WORK/ca/leaf.pem|" "$WORK/B.conf" >"$WORK/D.conf"
out=$("$KEYTOOL" profile -c "$WORK/D.conf" --remote "$SERVER_IP" "$WORK/d.ovpn" 2>&1)
check "C: a chain that stops below its root: no profile without --ca (exit 1, says so)" \
  test "$? $(grep -c 'does not end in its root CA' <<<"$out") $([ -e "$WORK/d.ovpn" ] && echo file)" = "1 1 "
check "C: ... with --ca the profile carries that CA" "$KEYTOOL" profile -c "$WORK/D.conf" --remote "$SERVER_IP" \
  --ca "$WORK/ca/cert.pem" "$WORK/d.ovpn"
check "C: ... as its <ca>" test "$(block d ca)" = "$(cat "$WORK/ca/cert.pem")"
sum=$(sha256sum <"$WORK/pa.ovpn")
"$KEYTOOL" profile -c "$WORK/A.conf" --remote "$SERVER_IP" "$WORK/pa.ovpn" >/dev/null 2>&1
check "C: an existing file is not overwritten (exit 1)" test "$? $(sha256sum <"$WORK/pa.ovpn")" = "1 $sum"
e2e_finish
