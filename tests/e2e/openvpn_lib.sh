# Helpers for tests that drive the real openvpn client (source after lib.sh, ns_setup and the
# test's own settings). Every openvpn runs in the client namespace with its PID recorded, and
# is ended by that PID; every wait is bounded.
#   needs: $OPENVPN, $WORK, $NS_C, $SERVER_IP, $OV_PORT, $CA, $CTL, $SOCK (per server)
# shellcheck shell=bash

ctl() { "$CTL" -s "$SOCK" "$@"; }

# ov_server NAME NET4 NET6 CONFIG-LINES...: a server with the test's common keys (its VPN
# network NET4.0/24, NET6::/64, DNS and the route behind), started, its OpenVPN ports listening
# (at most 5 s; else it is stopped). Sets LOG, SOCK, GW, GW6. Needs $PORT, $PW, the certificate
# in $WORK/cert.
ov_server() {
  local name=$1 net4=$2 net6=$3 l
  shift 3
  GW=$net4.1 GW6=$net6::1 SOCK="$WORK/ctl-$name.sock" LOG="$WORK/server-$name.log"
  { base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = $net4.0/24
ipv6-network = $net6::/64
dns = $GW
route = $BEHIND_NET
occtl-socket-file = $SOCK
max-same-clients = 0
max-ban-score = 0
CONF
  printf '%s\n' "$@"; } >"$WORK/$name.conf"
  start_server "$WORK/$name.conf" "$LOG" "$WORK/$name.pid" "$PORT" || return 1
  for _ in $(seq 1 50); do
    l=yes
    grep -q '^openvpn-udp-port' "$WORK/$name.conf" && [ -z "$(in_ns "$NS_S" ss -Huln "sport = :$OV_PORT")" ] && l=no
    grep -q '^openvpn-tcp-port' "$WORK/$name.conf" && [ -z "$(in_ns "$NS_S" ss -Htln "sport = :$OV_PORT")" ] && l=no
    [ "$l" = yes ] && return 0
    sleep 0.1
  done
  echo "the OpenVPN port $OV_PORT does not listen:"; in_ns "$NS_S" ss -Hluntp
  stop_server "$SERVER_PID"
  return 1
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# user_field USER KEY: KEY of USER's first tunnel in 'show users --json' ("" when none; "?"
# and false when sslvpnctl fails, so that no "gone" check passes for want of an answer)
user_field() {
  local j
  j=$(ctl --json show users 2>/dev/null) || { echo "?"; return 1; }
  json "next((str(u['$2']) for u in d if u['Username'] == '$1'), '')" <<<"$j"
}
user_gone() { local id; id=$(user_field "$1" ID) && [ -z "$id" ]; }  # user_gone USER

# ov_no_dco: "disable-dco" (both servers' data path in user space), except for openvpn 2.5 and
# older, which have no DCO and no such option.
ov_no_dco() { "$OPENVPN" --version 2>/dev/null | grep -q '^OpenVPN 2\.[0-5]\.' || echo disable-dco; }
# ov_conf_lines NAME PROTO CONFIG-LINES...: $WORK/NAME.ovpn, device tunNAME, PROTO udp|tcp-client;
# the lines add the credentials (auth-user-pass FILE, or cert and key) and anything else.
ov_conf_lines() {
  local name=$1 proto=$2
  shift 2
  { cat <<OVPN
client
dev tun$name
dev-type tun
proto $proto
remote $SERVER_IP $OV_PORT
nobind
ca $CA
remote-cert-tls server
$(ov_no_dco)
verb 3
connect-retry-max 1
server-poll-timeout 10
OVPN
  printf '%s\n' "$@"; } >"$WORK/$name.ovpn"
}

# ov_start NAME: runs openvpn on $WORK/NAME.ovpn in the client namespace, in the background (ip
# netns exec execs it, so $! is openvpn), logging to $WORK/ov-NAME.log. Sets OV_PID_NAME.
ov_start() {
  local name=$1
  rm -f "$WORK/ov-$name.log"
  ip netns exec "$NS_C" "$OPENVPN" --config "$WORK/$name.ovpn" --log "$WORK/ov-$name.log" \
    </dev/null >/dev/null 2>&1 &
  STARTED_PIDS+=("$!")
  printf -v "OV_PID_$name" %s "$!"
}
ov_pid() { local v="OV_PID_$1"; echo "${!v:-0}"; }
ov_alive() {  # ov_alive PID: running (not a zombie)
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) && [ -n "$st" ] && [ "$st" != Z ]
}
# ov_wait_exit PID [TENTHS]: waits (default 10 s) until that openvpn has ended
ov_wait_exit() {
  for _ in $(seq 1 "${2:-100}"); do ov_alive "$1" || return 0; sleep 0.1; done
  return 1
}
# ov_up NAME: waits (at most 30 s) for "Initialization Sequence Completed"; fails at once if
# openvpn exits first.
ov_up() {
  local pid
  pid=$(ov_pid "$1")
  for _ in $(seq 1 300); do
    grep -q "Initialization Sequence Completed" "$WORK/ov-$1.log" 2>/dev/null && return 0
    ov_alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}
# ov_stop NAME [USER]: SIGTERM to that openvpn; waits (at most 10 s), then SIGKILL; with USER,
# waits (at most 10 s) until the server dropped USER's session (explicit-exit-notify).
ov_stop() {
  local pid
  pid=$(ov_pid "$1")
  [ "$pid" != 0 ] || return 0
  kill -TERM "$pid" 2>/dev/null
  ov_wait_exit "$pid" || kill -9 "$pid" 2>/dev/null
  ov_wait_exit "$pid" 20
  [ -n "${2:-}" ] || return 0
  for _ in $(seq 1 100); do user_gone "$2" && return 0; sleep 0.1; done
  return 1
}
ov_addr4() { ip -n "$NS_C" -4 -o addr show dev "tun$1" 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -n 1; }
ov_addr6() { ip -n "$NS_C" -6 -o addr show dev "tun$1" scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -n 1; }
# ov_cipher NAME CIPHER: the data channel uses CIPHER (openvpn 2.6's log lines)
ov_cipher() { grep -Eq "Data Channel: cipher '$2'|Outgoing Data Channel: Cipher '$2' initialized" "$WORK/ov-$1.log"; }
# ov_handshakes NAME: how many TLS handshakes that openvpn's log shows (one per key state)
ov_handshakes() { grep -c "Control Channel: TLS" "$WORK/ov-$1.log" 2>/dev/null || echo 0; }
