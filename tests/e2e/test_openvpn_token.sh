#!/bin/bash
# OpenVPN login tokens shared by several servers (openvpn-auth-token-secret, the role of
# openvpn's --auth-gen-token-secret), with the real openvpn client in namespaces. Three sslvpnd
# servers on one host, and one client whose `remote` list names them in order:
#   A and B share a secret made by `openvpn --genkey auth-token` (openvpn's own file format);
#   C has another, made by `sslvpnd-ovpn-key auth-token`.
# The client logs in to A with its password; its password file is then made wrong. A stops
# (its clients are told RESTART): the client fails over to B, which logs it in with the token
# alone (no password) and gives it a tunnel. B stops: at C the token is refused (another
# secret), the password is wrong, and the client gets AUTH_FAILED. Every client is ended by its
# PID; every wait is bounded.
# shellcheck disable=SC2317  # functions only check runs look unreachable
source "$(dirname "$0")/lib.sh"
e2e_init
ov_require
command -v python3 >/dev/null || e2e_skip "needs python3"
ns_setup
SERVER_NS=$NS_S
CTL="$BUILD_DIR/sslvpnctl"
PIN=$(make_cert "$WORK/cert" ecdsa)
CA="$WORK/cert/cert.pem"
PW="$WORK/passwd"
add_user "$PW" carol 'carol-Secret1'
OV_PORT=1194
source "$(dirname "$0")/openvpn_lib.sh"

"$OPENVPN" --genkey auth-token "$WORK/shared.key" >/dev/null 2>&1 ||
  e2e_skip "this openvpn cannot make an auth-token key (openvpn --genkey auth-token)"
check "sslvpnd-ovpn-key auth-token makes a secret" "$BUILD_DIR/sslvpnd-ovpn-key" auth-token "$WORK/other.key"
check "... mode 0600" test "$(stat -c %a "$WORK/other.key")" = 600
check "... that it will not overwrite" bash -c "! '$BUILD_DIR/sslvpnd-ovpn-key' auth-token '$WORK/other.key' 2>/dev/null"

# srv NAME TCP-PORT OVPN-PORT NET4 SECRET: a server with openvpn-auth-token-secret = SECRET.
declare -A SRV_PID
srv() {
  local name=$1 port=$2 ov=$3 net4=$4 secret=$5
  { base_conf "$port" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = $net4.0/24
occtl-socket-file = $WORK/ctl-$name.sock
openvpn-udp-port = $ov
openvpn-auth-token-secret = $secret
openvpn-auth-token-lifetime = 600
max-ban-score = 0
CONF
  } >"$WORK/$name.conf"
  start_server "$WORK/$name.conf" "$WORK/server-$name.log" "$WORK/$name.pid" "$port" || return 1
  SRV_PID[$name]=$SERVER_PID
  for _ in $(seq 1 50); do
    [ -n "$(in_ns "$NS_S" ss -Huln "sport = :$ov")" ] && return 0
    sleep 0.1
  done
  return 1
}
check "server A starts (the shared secret, openvpn's format)" srv A 4443 1194 10.86.1 "$WORK/shared.key"
check "server B starts (the same secret)" srv B 4444 1195 10.86.2 "$WORK/shared.key"
check "server C starts (another secret)" srv C 4445 1196 10.86.3 "$WORK/other.key"
printf 'carol\ncarol-Secret1\n' >"$WORK/carol.up"
chmod 600 "$WORK/carol.up"
note_secret 'carol-Secret1'

# One client, the three servers in order; it retries quickly and moves on from a dead one.
ov_conf_lines t udp "auth-user-pass $WORK/carol.up" "hand-window 20" \
  "remote $SERVER_IP 1195" "remote $SERVER_IP 1196" "connect-retry 1 1" "server-poll-timeout 4"
sed -i '/^connect-retry-max/d;/^server-poll-timeout 10$/d' "$WORK/t.ovpn"
ov_start t
check "the client logs in to A with its password" ov_up t
check "... A logged carol in" grep -q "user 'carol' .*logged in" "$WORK/server-A.log"
check "... and pushed a token that carries a login token" grep -q "auth-token" "$WORK/ov-t.log"
check "ping A's tunnel address" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 10.86.1.1
# From now on a password login would fail.
printf 'carol\nwrong-Password9\n' >"$WORK/carol.up"

n0=$(grep -c "Initialization Sequence Completed" "$WORK/ov-t.log")
stop_server "${SRV_PID[A]}"
for _ in $(seq 1 400); do
  [ "$(grep -c "Initialization Sequence Completed" "$WORK/ov-t.log")" -gt "$n0" ] && break
  ov_alive "$(ov_pid t)" || break
  sleep 0.1
done
check "A stopping told the client (RESTART)" grep -q "Connection reset command was pushed by server" "$WORK/ov-t.log"
check "A stopped: the client came back up (on B)" \
  test "$(grep -c "Initialization Sequence Completed" "$WORK/ov-t.log")" -gt "$n0"
check "B logged carol in with the login token, without the password" \
  grep -q "'carol' logged in with a login token (openvpn-auth-token-secret)" "$WORK/server-B.log"
check "... and no password check failed on B" bash -c "! grep -q 'login failed' '$WORK/server-B.log'"
check "the tunnel is B's: an address from its pool ($(ov_addr4 t))" grep -q '^10\.86\.2\.' <<<"$(ov_addr4 t)"
check "ping B's tunnel address" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 10.86.2.1
SOCK="$WORK/ctl-B.sock"
check "sslvpnctl on B lists carol's OpenVPN tunnel" test "$(user_field carol Protocol)" = openvpn

# B stops too: C does not share the secret, and the password in the file is wrong.
stop_server "${SRV_PID[B]}"
for _ in $(seq 1 400); do
  grep -q "AUTH_FAILED" "$WORK/ov-t.log" && break
  ov_alive "$(ov_pid t)" || break
  sleep 0.1
done
check "C refuses the token made with another secret" \
  grep -q "a login token for 'carol' was refused (not made with this server's secret)" "$WORK/server-C.log"
check "... and the wrong password: the client gets AUTH_FAILED" grep -q "AUTH_FAILED" "$WORK/ov-t.log"
check "... and C gave carol no tunnel" bash -c "! grep -q \"connected from .* as 10\\.86\\.3\\.\" '$WORK/server-C.log'"
ov_stop t
check "no worker died of a signal" bash -c "! grep -Eq 'died of signal|seccomp filter' '$WORK'/server-*.log"
stop_server "${SRV_PID[C]}"
e2e_finish
