#!/bin/bash
# Every protocol with the client reaching the server over IPv6 (the outer transport: a dual-stack
# or IPv6-only VPN host), in network namespaces; the tunnels carry IPv4 and IPv6 as elsewhere.
# One server, listening on its default (all addresses):
#   1. AnyConnect: openconnect to https://[2001:db8:c5::1]/: CSTP and DTLS over IPv6, ping,
#      sslvpnctl shows the IPv6 remote address
#   2. GlobalProtect: ESP over IPv6, ping
#   3. OpenVPN over UDP/IPv6 (the stateless cookie over an IPv6 address and port): ping, 5 MB
#      each way byte-exact; floating: a NAT (IPv6) moves to a new source port and the session
#      follows without a reconnect
#   4. OpenVPN over TCP/IPv6: ping
#   5. bans: wrong passwords from an IPv6 address ban its /64; another address of that /64 is
#      refused too; sslvpnctl unban ip lifts it
# Every client is ended by its PID; every wait is bounded.
# shellcheck disable=SC2317  # functions only check runs look unreachable
source "$(dirname "$0")/lib.sh"
e2e_init
ov_require
ns_setup
SERVER_NS=$NS_S
S6=2001:db8:c5::1 C6=2001:db8:c5::2 C6B=2001:db8:c5::3
ip -n "$NS_S" addr add "$S6/64" dev "vs$$" nodad
ip -n "$NS_C" addr add "$C6/64" dev "vc$$" nodad
CTL="$BUILD_DIR/sslvpnctl"
PIN=$(make_cert "$WORK/cert" ecdsa)
CA="$WORK/cert/cert.pem"
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1'
PORT=4443
ESP_PORT=4501
OV_PORT=1194
SOCK="$WORK/ctl.sock"
LOG="$WORK/server.log"
GW=10.86.0.1
ns_route_vpn_back 10.86.0.0/24
"$OPENVPN" --genkey secret "$WORK/tc.key" >/dev/null 2>&1 || { fail "openvpn --genkey secret"; e2e_finish; }
grep -E '^[0-9a-f]{32}$' "$WORK/tc.key" | while read -r l; do note_secret "$l"; done
printf 'alice\nalice-Secret1\n' >"$WORK/alice.up"
chmod 600 "$WORK/alice.up"
source "$(dirname "$0")/openvpn_lib.sh"

{ base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
udp-port = $PORT
gp-esp-port = $ESP_PORT
openvpn-udp-port = $OV_PORT
openvpn-tcp-port = $OV_PORT
openvpn-tls-crypt = $WORK/tc.key
ipv4-network = 10.86.0.0/24
ipv6-network = fd86::/64
route = $BEHIND_NET
occtl-socket-file = $SOCK
max-same-clients = 0
max-ban-score = 20
ban-points-wrong-password = 10
ban-points-connection = 0
log-level = 3
CONF
} >"$WORK/sslvpnd.conf"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }
for _ in $(seq 1 50); do
  [ -n "$(in_ns "$NS_S" ss -Huln "sport = :$OV_PORT")" ] && [ -n "$(in_ns "$NS_S" ss -Htln "sport = :$OV_PORT")" ] && break
  sleep 0.1
done

# remote_of USER: the remote address sslvpnctl shows for USER's first tunnel
remote_of() { user_field "$1" 'Remote IP'; }
# ov6_connect NAME PROTO [LINES...]: openvpn to [$S6] (or to $REMOTE6 when set)
ov6_connect() {
  local n=$1 p=$2
  shift 2
  SERVER_IP=${REMOTE6:-$S6} ov_conf_lines "$n" "$p" "auth-user-pass $WORK/alice.up" "tls-crypt $WORK/tc.key" "$@"
  ov_start "$n"
  ov_up "$n"
}

echo "# 1. AnyConnect over IPv6"
if SERVER_IP="[$S6]" check "openconnect to https://[$S6]:$PORT/ connects" oc_connect a alice 'alice-Secret1'; then
  for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/a.oc.log" && break; sleep 0.1; done
  check "DTLS is established over IPv6" grep -q "Established DTLS connection" "$WORK/a.oc.log"
  check "ping through the tunnel" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 -I tuna "$GW"
  check "sslvpnctl shows the IPv6 remote address ($(remote_of alice))" test "$(remote_of alice)" = "$C6"
  check "DTLS carried the pings (sslvpnctl: the datagram channel is up)" \
    bash -c "'$CTL' -s '$SOCK' show user alice | grep -q 'DTLS cipher'"
  oc_stop a
else
  tail -n 20 "$WORK/a.oc.log" 2>/dev/null
fi

echo "# 2. GlobalProtect over IPv6"
if SERVER_IP="[$S6]" check "openconnect --protocol=gp to [$S6] connects" oc_connect g alice 'alice-Secret1' --protocol=gp; then
  for _ in $(seq 1 100); do grep -q "ESP session established with server" "$WORK/g.oc.log" && break; sleep 0.1; done
  check "ESP is established over IPv6" grep -q "ESP session established with server" "$WORK/g.oc.log"
  check "ping through the tunnel" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 -I tung "$GW"
  check "sslvpnctl: globalprotect over esp" test "$(user_field alice Protocol) $(user_field alice 'Datagram channel')" = "globalprotect esp"
  oc_stop g
fi

echo "# 3. OpenVPN over UDP/IPv6"
if check "openvpn (udp) to $S6 connects" ov6_connect u udp "explicit-exit-notify 1"; then
  check "... its link is IPv6" grep -q "UDPv6 link remote: \[AF_INET6\]$S6" "$WORK/ov-u.log"
  check "ping through the tunnel" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 -I tunu "$GW"
  check "5 MB each way byte-exact" tcp_copy_ok "$NS_S" "$GW" 5861 5000000
  check "sslvpnctl shows the IPv6 remote address" test "$(remote_of alice)" = "$C6"
  check "explicit-exit-notify ends the session" ov_stop u alice
fi
# Floating over IPv6: a NAT on [$C6B]:1194 in the client namespace relays to the server and, on
# SIGUSR1, moves to a new source port. (Added now: the kernel would prefer it as the source.)
ip -n "$NS_C" addr add "$C6B/64" dev "vc$$" nodad
ip netns exec "$NS_C" python3 "$(dirname "$0")/nat_relay.py" "$C6B" "$S6" "$OV_PORT" 120 >"$WORK/relay.log" 2>&1 &
relay=$!
STARTED_PIDS+=("$relay")
sleep 0.5
if REMOTE6=$C6B check "openvpn (udp) through an IPv6 NAT on [$C6B] connects" ov6_connect f udp "explicit-exit-notify 1"; then
  check "it pings" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 -I tunf "$GW"
  n0=$(grep -c "Initialization Sequence Completed" "$WORK/ov-f.log")
  kill -USR1 "$relay"
  moved=no
  for _ in $(seq 1 20); do  # at most 20 s
    in_ns "$NS_C" ping -c 1 -W 1 -I tunf "$GW" >/dev/null 2>&1 && { moved=yes; break; }
  done
  check "after the NAT moved to a new port, pings get through again" test "$moved" = yes
  check "... the worker moved to the new address" grep -q "the client moved to a new address" "$LOG"
  check "... without a reconnect" test "$(grep -c "Initialization Sequence Completed" "$WORK/ov-f.log")" = "$n0"
  ov_stop f alice
fi
kill "$relay" 2>/dev/null

echo "# 4. OpenVPN over TCP/IPv6"
if check "openvpn (tcp-client) to $S6 connects" ov6_connect t tcp-client; then
  check "... its link is IPv6" grep -q "TCP connection established with \[AF_INET6\]$S6" "$WORK/ov-t.log"
  check "ping through the tunnel" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 -I tunt "$GW"
  ov_stop t
fi

echo "# 5. bans of an IPv6 /64"
note_secret 'wrong-Pass1'
# The wrong passwords come from $C6 ($C6B deprecated: not chosen as a source), the retries
# from $C6B ($C6 deprecated): the ban is the /64's, not one address's.
ip -n "$NS_C" addr change "$C6B/64" dev "vc$$" preferred_lft 0
for _ in 1 2; do
  printf '%s\n' 'wrong-Pass1' | in_ns "$NS_C" timeout 20 openconnect --authenticate --passwd-on-stdin -u alice \
    --servercert "$PIN" "https://[$S6]:$PORT/" >/dev/null 2>&1
done
check "two wrong passwords from $C6 ban its /64 (sslvpnctl show bans)" \
  bash -c "'$CTL' -s '$SOCK' show ip bans | grep -q '2001:db8:c5::/64'"
check "... the server logged that ban for $C6" grep -q "banning 2001:db8:c5::/64 .*failed logins" "$LOG"
grep -q "login failed for 'alice' from $C6" "$LOG" || grep "login failed" "$LOG" | tail -n 2
ip -n "$NS_C" addr change "$C6B/64" dev "vc$$" preferred_lft forever
ip -n "$NS_C" addr change "$C6/64" dev "vc$$" preferred_lft 0
out=$(printf '%s\n' 'alice-Secret1' | in_ns "$NS_C" timeout 20 openconnect --authenticate --passwd-on-stdin -u alice \
  --servercert "$PIN" "https://[$S6]:$PORT/" 2>&1)
check "the right password from another address of the banned /64 ($C6B) gets no cookie" \
  bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "... refused as banned" grep -q "refusing $C6B:[0-9]*: banned" "$LOG"
ov_conf_lines b udp "auth-user-pass $WORK/alice.up" "tls-crypt $WORK/tc.key"
sed -i "s/^remote .*/remote $S6 $OV_PORT/" "$WORK/b.ovpn"
ov_start b
check "an openvpn client from the banned /64 gets no tunnel (it gives up)" ov_wait_exit "$(ov_pid b)" 300
check "... and none came up" bash -c "! grep -q 'Initialization Sequence Completed' '$WORK/ov-b.log'"
check "sslvpnctl unban ip $C6 lifts the /64's ban" "$CTL" -s "$SOCK" unban ip "$C6"
out=$(printf '%s\n' 'alice-Secret1' | in_ns "$NS_C" timeout 20 openconnect --authenticate --passwd-on-stdin -u alice \
  --servercert "$PIN" "https://[$S6]:$PORT/" 2>&1)
check "after the unban the right password logs in" grep -q '^COOKIE=' <<<"$out"
check "server survived" kill -0 "$SERVER_PID"
e2e_finish
