#!/bin/bash
# The openvpn 2.5 client (Debian 11's 2.5.1; Ubuntu 22.04 ships 2.5.5) against sslvpnd, in
# network namespaces. A 2.5 client has no TLS key export: both sides derive the data-channel keys
# with openvpn's PRF over the key-method-2 randoms (worker/openvpn/key_prf.cpp); nor does it
# resend its tls-crypt-v2 key after the server's cookie. The client comes from Debian 11's
# archive, checked against its signed index (tests/e2e/openvpn25_fetch.sh).
#   server A  UDP and TCP, tls-crypt:
#     1. UDP, AES-256-GCM: PRF keys (no tls-ekm pushed), addresses, ping/ping6, 20 MB each way
#        byte-exact, sslvpnctl
#     2. TCP, CHACHA20-POLY1305: ping, 20 MB each way byte-exact
#     3. UDP, reneg-sec 8: two renegotiations or more, each keyed by the PRF, pings throughout
#     4. a 2.6 client beside it still gets tls-ekm, and both ping
#   server B  UDP and TCP, tls-crypt-v2:
#     5. TCP connects and pings; over UDP (openvpn-tls-crypt-v2-force-cookie, the default) the
#        client gets no answer and no worker starts, and the log says why
#   server C  UDP, tls-crypt-v2, openvpn-tls-crypt-v2-force-cookie = false:
#     6. the worker starts from the reset: connect, ping, 2 MB each way byte-exact
# Every openvpn is ended by its PID; every wait is bounded.
# shellcheck disable=SC2317  # functions only check runs look unreachable
source "$(dirname "$0")/lib.sh"
e2e_init
ov_require  # the 2.6 client makes the keys and runs beside 2.5
OPENVPN26=$OPENVPN
OPENVPN25=${OPENVPN25:-$(bash "$(dirname "$0")/openvpn25_fetch.sh")} ||
  e2e_skip "cannot fetch Debian 11's openvpn 2.5 (see the message above)"
"$OPENVPN25" --version | head -n 1 | grep -q '^OpenVPN 2\.5\.' || e2e_skip "$OPENVPN25 is not openvpn 2.5"
ns_setup
SERVER_NS=$NS_S
CTL="$BUILD_DIR/sslvpnctl"
make_cert "$WORK/cert" ecdsa >/dev/null
CA="$WORK/cert/cert.pem"
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1' staff
add_user "$PW" bob 'bob-Secret1' staff
PORT=4443
OV_PORT=1194
ns_route_vpn_back 10.84.0.0/16
OPENVPN=$OPENVPN25
source "$(dirname "$0")/openvpn_lib.sh"
cred() { printf '%s\n%s\n' "$2" "$3" >"$WORK/$1.up"; chmod 600 "$WORK/$1.up"; note_secret "$3"; }
cred alice alice 'alice-Secret1'
cred bob bob 'bob-Secret1'
"$OPENVPN26" --genkey secret "$WORK/tc.key" >/dev/null 2>&1 || { fail "openvpn --genkey secret"; e2e_finish; }
grep -E '^[0-9a-f]{32}$' "$WORK/tc.key" | while read -r l; do note_secret "$l"; done

# ov_server (openvpn_lib.sh) with debug logging and both OpenVPN ports
ov_server25() { local n=$1 a=$2 b=$3; shift 3; ov_server "$n" "$a" "$b" "log-level = 3" "openvpn-udp-port = $OV_PORT" "openvpn-tcp-port = $OV_PORT" "$@"; }
# ov_connect NAME PROTO CRED CONFIG-LINES...: with auth-user-pass, started, the tunnel up
ov_connect() {
  local n=$1 p=$2 c=$3
  shift 3
  ov_conf_lines "$n" "$p" "auth-user-pass $WORK/$c.up" "$@"
  ov_start "$n"
  ov_up "$n"
}
# pushed NAME: the PUSH_REPLY that openvpn logged
pushed() { grep -m1 "PUSH: Received control message: 'PUSH_REPLY" "$WORK/ov-$1.log"; }
no_ekm() { ! pushed "$1" | grep -q 'tls-ekm'; }
# ping_steady NAME SECONDS: pings the gateway through tunNAME every 0.5 s; at most 2 lost
ping_steady() {
  local n=$(($2 * 2)) got
  got=$(in_ns "$NS_C" ping -c "$n" -i 0.5 -W 2 -I "tun$1" "$GW" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
  echo "  ($got of $n pings answered)"
  [ "${got:-0}" -ge $((n - 2)) ]
}

case1() {
  local T="1 2.5/udp/tls-crypt/AES-256-GCM" a4 a6
  echo "# case $T"
  check "$T: openvpn 2.5 connects" ov_connect a udp alice "tls-crypt $WORK/tc.key" "data-ciphers AES-256-GCM" \
    "explicit-exit-notify 1" || return 1
  check "$T: ... without errors" bash -c "! grep -q 'Initialization Sequence Completed With Errors' '$WORK/ov-a.log'"
  check "$T: the client is 2.5" grep -q 'OpenVPN 2\.5\.' "$WORK/ov-a.log"
  check "$T: no tls-ekm was pushed to it (PRF keys)" no_ekm a
  check "$T: ... the push reply came ($(pushed a | cut -c1-60)...)" test -n "$(pushed a)"
  check "$T: the server derived the keys with openvpn's PRF" grep -q "alice.*keys from openvpn's PRF" "$LOG"
  check "$T: the data channel is AES-256-GCM" grep -q "Data Channel: Cipher 'AES-256-GCM' initialized" "$WORK/ov-a.log"
  a4=$(ov_addr4 a) a6=$(ov_addr6 a)
  check "$T: an IPv4 address from the pool ($a4)" grep -q '^10\.84\.1\.' <<<"$a4"
  check "$T: an IPv6 address from the pool ($a6)" grep -q '^fd84:1::' <<<"$a6"
  check "$T: ping the server's tunnel address" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$GW"
  check "$T: ping6 the server's tunnel address" in_ns "$NS_C" ping -6 -c 3 -i 0.2 -W 2 "$GW6"
  check "$T: the pushed route: ping the host behind the server" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$BEHIND_IP"
  check "$T: 20 MB each way, byte-exact (sha256)" tcp_copy_ok "$NS_S" "$GW" 5801 20000000
  check "$T: sslvpnctl: alice, protocol openvpn, her address" test "$(user_field alice IPv4)" = "$a4"
  check "$T: ... with the client's version" bash -c "'$CTL' -s '$SOCK' show user alice | grep -q 'OpenVPN 2\.5\.'"
  check "$T: explicit-exit-notify ends the session" ov_stop a alice
}

case2() {
  local T="2 2.5/tcp/tls-crypt/CHACHA20-POLY1305"
  echo "# case $T"
  check "$T: openvpn 2.5 connects" ov_connect t tcp-client bob "tls-crypt $WORK/tc.key" "data-ciphers CHACHA20-POLY1305" || return 1
  check "$T: the data channel is CHACHA20-POLY1305" grep -q "Data Channel: Cipher 'CHACHA20-POLY1305' initialized" "$WORK/ov-t.log"
  check "$T: no tls-ekm was pushed" no_ekm t
  check "$T: ping" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$GW"
  check "$T: 20 MB each way, byte-exact (sha256)" tcp_copy_ok "$NS_S" "$GW" 5802 20000000
  ov_stop t
}

case3() {
  local T="3 2.5/udp/reneg-sec 8"
  echo "# case $T"
  check "$T: openvpn 2.5 with reneg-sec 8 connects" ov_connect r udp alice "tls-crypt $WORK/tc.key" "reneg-sec 8" \
    "explicit-exit-notify 1" || return 1
  check "$T: 20 s of pings across the renegotiations" ping_steady r 20
  check "$T: two renegotiations or more ($(ov_handshakes r) TLS handshakes)" test "$(ov_handshakes r)" -ge 3
  check "$T: ... and data after them: 2 MB each way byte-exact" tcp_copy_ok "$NS_S" "$GW" 5803 2000000
  ov_stop r alice
  check "$T: the server counted them" grep -Eq 'session ends after ([2-9]|[1-9][0-9]) renegotiation' "$LOG"
}

case4() {
  local T="4 2.5 and 2.6 at once"
  echo "# case $T"
  check "$T: openvpn 2.5 connects" ov_connect o udp alice "tls-crypt $WORK/tc.key" "explicit-exit-notify 1" || return 1
  OPENVPN=$OPENVPN26
  check "$T: openvpn 2.6 connects beside it" ov_connect n udp bob "tls-crypt $WORK/tc.key" "explicit-exit-notify 1" ||
    { OPENVPN=$OPENVPN25; return 1; }
  OPENVPN=$OPENVPN25
  check "$T: the 2.6 client was pushed tls-ekm" bash -c "grep -m1 'PUSH_REPLY' '$WORK/ov-n.log' | grep -q tls-ekm"
  check "$T: the 2.5 client was not" no_ekm o
  check "$T: the 2.5 tunnel pings" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 -I tuno "$GW"
  check "$T: the 2.6 tunnel pings" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 -I tunn "$GW"
  check "$T: the 2.5 client's exit ends its session" ov_stop o alice
  check "$T: the 2.6 client's exit ends its session" ov_stop n bob
}

case5() {
  local T="5 2.5/tls-crypt-v2, force-cookie (the default)" serves0
  echo "# case $T"
  check "$T: TCP connects" ov_connect v2t tcp-client alice "tls-crypt-v2 $WORK/v2c.key" || return 1
  check "$T: ... and pings" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$GW"
  ov_stop v2t
  serves0=$(grep -c "serves $CLIENT_IP:" "$LOG")
  ov_conf_lines v2r udp "auth-user-pass $WORK/alice.up" "tls-crypt-v2 $WORK/v2c.key"
  ov_start v2r
  check "$T: over UDP the client, which cannot return the cookie, gets nothing and gives up" \
    ov_wait_exit "$(ov_pid v2r)" 300
  check "$T: ... no worker was started for it" test "$(grep -c "serves $CLIENT_IP:" "$LOG")" = "$serves0"
  check "$T: ... and the log says why, and what serves it" \
    grep -q "cannot return the cookie (openvpn 2.5 or older) from $CLIENT_IP is not served over UDP (openvpn-tls-crypt-v2-force-cookie = false" "$LOG"
  ov_stop v2r
}

case6() {
  local T="6 2.5/udp/tls-crypt-v2, openvpn-tls-crypt-v2-force-cookie = false"
  echo "# case $T"
  check "$T: UDP connects" ov_connect v2u udp alice "tls-crypt-v2 $WORK/v2c.key" "explicit-exit-notify 1" || return 1
  check "$T: main started the worker from the client's reset" grep -q "(tls-crypt-v2, openvpn 2.5 or older) starts from its reset" "$LOG"
  # Such a reset does not prove its source address: it must not charge ban-points-connection
  # to it (anyone with a client key could get another address banned).
  check "$T: ... and charged no ban points to its unproven address" \
    bash -c "! '$BUILD_DIR/sslvpnctl' -s '$SOCK' show ip ban points | grep -q '$CLIENT_IP'"
  check "$T: ... and pings" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$GW"
  check "$T: ... 2 MB each way byte-exact" tcp_copy_ok "$NS_S" "$GW" 5806 2000000
  check "$T: explicit-exit-notify ends the session" ov_stop v2u alice
}

echo "# server A: UDP and TCP, tls-crypt"
if ov_server25 A 10.84.1 fd84:1 "openvpn-tls-crypt = $WORK/tc.key" \
  "openvpn-data-ciphers = AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305"; then
  case1
  case2
  case3
  case4
  stop_server "$SERVER_PID"
else
  fail "server A did not start: cases 1-4 not run"
fi

"$BUILD_DIR/sslvpnd-ovpn-key" server "$WORK/v2srv.key"
grep -v -- '-----' "$WORK/v2srv.key" | while read -r l; do note_secret "$l"; done
"$BUILD_DIR/sslvpnd-ovpn-key" client --server-key "$WORK/v2srv.key" "$WORK/v2c.key"
echo "# server B: UDP and TCP, tls-crypt-v2"
if ov_server25 B 10.84.2 fd84:2 "openvpn-tls-crypt-v2 = $WORK/v2srv.key"; then
  case5
  stop_server "$SERVER_PID"
else
  fail "server B did not start: case 5 not run"
fi
echo "# server C: UDP, tls-crypt-v2, serving clients without the cookie"
if ov_server25 C 10.84.3 fd84:3 "openvpn-tls-crypt-v2 = $WORK/v2srv.key" "openvpn-tls-crypt-v2-force-cookie = false" \
  "max-ban-score = 80"; then
  case6
  stop_server "$SERVER_PID"
else
  fail "server C did not start: case 6 not run"
fi
e2e_finish
