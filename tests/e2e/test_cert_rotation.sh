#!/bin/bash
# A certificate renewal (a new server-cert and server-key, then sslvpnctl reload) under live
# sessions, with the real openvpn and openconnect clients in namespaces. A worker started
# before the reload still shows the old certificate, and each later full TLS handshake in it
# (an OpenVPN renegotiation, a TLS 1.2 renegotiation of an AnyConnect session with
# rekey-method = ssl) needs a signature by the old key: sec-mod keeps the keys a reload
# replaced and signs with the key of the certificate the worker names. The sessions renegotiate
# on the same tunnel, without reconnecting; new clients are shown the new certificate.
# shellcheck disable=SC2317  # functions only check runs look unreachable
source "$(dirname "$0")/lib.sh"
e2e_init
ov_require
ns_setup
SERVER_NS=$NS_S
CTL="$BUILD_DIR/sslvpnctl"
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1'
printf 'alice\nalice-Secret1\n' >"$WORK/alice.up"
chmod 600 "$WORK/alice.up"
for c in A B C; do make_cert "$WORK/cert$c" ecdsa >"$WORK/pin$c"; done
mkdir -p "$WORK/cert"
use_cert() { cp "$WORK/cert$1/cert.pem" "$WORK/cert$1/key.pem" "$WORK/cert/"; }  # use_cert A|B|C
use_cert A
PORT=4443
OV_PORT=1194
SOCK="$WORK/ctl.sock"
LOG="$WORK/server.log"
{ base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = 10.91.0.0/24
occtl-socket-file = $SOCK
max-same-clients = 0
max-ban-score = 0
openvpn-udp-port = $OV_PORT
openvpn-reneg-sec = 5
rekey-method = ssl
rekey-time = 5
tls-priorities = "NORMAL:%SERVER_PRECEDENCE:-VERS-TLS1.3"
CONF
} >"$WORK/sslvpnd.conf"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }
source "$(dirname "$0")/openvpn_lib.sh"
ctl() { ip netns exec "$NS_S" "$CTL" -s "$SOCK" "$@"; }

# rotate TO: the server's files become certificate TO's, then sslvpnctl reload.
rotate() {
  use_cert "$1"
  ctl reload 2>&1 | grep -q "configuration reloaded"
}
# wait_count FILE PATTERN N: until FILE has N lines matching PATTERN (at most 30 s).
wait_count() {
  for _ in $(seq 1 300); do
    [ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
    sleep 0.1
  done
  return 1
}

# ---- OpenVPN: renegotiations after the reload, on the same tunnel
CA="$WORK/certA/cert.pem"
ov_conf_lines o udp "auth-user-pass $WORK/alice.up" "explicit-exit-notify 1"
ov_start o
check "openvpn connects (certificate A)" ov_up o
check "ping through its tunnel" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 10.91.0.1
check "the certificate is renewed (B) and the server reloads" rotate B
h0=$(ov_handshakes o)
wait_count "$WORK/ov-o.log" "Control Channel: TLS" $((h0 + 2))
check "the client renegotiated twice after the reload ($(ov_handshakes o) handshakes, $h0 before)" \
  test "$(ov_handshakes o)" -ge $((h0 + 2))
check "... on the same tunnel: it never restarted" bash -c "test \$(grep -c 'Initialization Sequence Completed' '$WORK/ov-o.log') = 1 && ! grep -Eq 'SIGUSR1|TLS Error|Restart pause' '$WORK/ov-o.log'"
check "... and its tunnel carries data" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 10.91.0.1
check "the server logged one OpenVPN tunnel for alice" test "$(grep -c "user 'alice' connected from" "$LOG")" = 1
ov_stop o alice
CA="$WORK/certB/cert.pem"
ov_conf_lines n udp "auth-user-pass $WORK/alice.up" "explicit-exit-notify 1"
ov_start n
check "a new openvpn client is shown certificate B (it trusts B alone)" ov_up n
ov_stop n alice

# ---- AnyConnect, rekey-method = ssl over TLS 1.2: full renegotiations after the reload
PIN=$(cat "$WORK/pinB")
check "openconnect connects (certificate B, TLS 1.2)" oc_connect r alice 'alice-Secret1' -v
check "... TLS 1.2" grep -q "(TLS1.2)" "$WORK/r.oc.log"
check "the certificate is renewed again (C) and the server reloads" rotate C
n0=$(grep -c 'CSTP rekey due' "$WORK/r.oc.log")
wait_count "$WORK/r.oc.log" 'CSTP rekey due' $((n0 + 2))
check "the client renegotiated TLS twice after the reload" test "$(grep -c 'CSTP rekey due' "$WORK/r.oc.log")" -ge $((n0 + 2))
check "... in place: no failed rehandshake, no new tunnel" \
  bash -c "! grep -q 'Rehandshake failed' '$WORK/r.oc.log' && ! test -f '$WORK/r.env.reconnect'"
check "... and its tunnel carries data" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 10.91.0.1
oc_stop r
PIN=$(cat "$WORK/pinC")
check "a new openconnect client is shown certificate C" oc_connect s alice 'alice-Secret1'
oc_stop s
PIN=$(cat "$WORK/pinB")
check "... and no longer B" bash -c "! printf 'alice-Secret1\n' | ip netns exec '$NS_C' timeout 20 \
  openconnect --authenticate --passwd-on-stdin --non-inter -u alice --servercert '$PIN' \
  'https://$SERVER_IP:$PORT/' >/dev/null 2>&1"
check "no worker died of a signal" bash -c "! grep -Eq 'died of signal|seccomp filter' '$LOG'"
stop_server "$SERVER_PID"
e2e_finish
