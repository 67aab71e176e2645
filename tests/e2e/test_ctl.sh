#!/bin/bash
# sslvpnctl against a running server with real openconnect clients: tables and JSON (parsed by
# a JSON parser, including a user name with quotes and non-ASCII letters), counters that grow,
# disconnect and terminate (both end the session for good, as occtl's), the
# interactive shell, root-only access, and "stop now".
source "$(dirname "$0")/lib.sh"
e2e_init
command -v python3 >/dev/null || e2e_skip "needs python3 (to parse JSON)"
ns_setup
SERVER_NS=$NS_S
CTL="$BUILD_DIR/sslvpnctl"
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
ODD='Zoë "the" Ünïcode'
add_user "$PW" alice 'alice-Secret1' staff
add_user "$PW" "$ODD" 'odd-Secret1' staff
add_user "$PW" carol 'carol-Secret1'
PORT=4443
SOCK="$WORK/ctl.sock"
{ base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = 10.79.0.0/24
route = $BEHIND_NET
occtl-socket-file = $SOCK
max-same-clients = 0
CONF
} > "$WORK/sslvpnd.conf"
ns_route_vpn_back 10.79.0.0/24
LOG="$WORK/server.log"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }
ctl() { "$CTL" -s "$SOCK" "$@"; }
json() {  # json PYTHON-EXPR: evaluates EXPR on the JSON from stdin (d = the parsed value)
  python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

check "alice connects" oc_connect a alice 'alice-Secret1'
check "a user with quotes and non-ASCII letters connects" oc_connect o "$ODD" 'odd-Secret1'
A_IP=$(env_of a connect INTERNAL_IP4_ADDRESS)

out=$(ctl show users)
check "show users lists alice with her address" grep -q "alice .*$A_IP" <<<"$out"
check "occtl's global options anywhere: 'show users --debug', '--debug show status', 'show status -j'" \
  bash -c "'$CTL' -s '$SOCK' show users --debug | grep -q alice && '$CTL' -s '$SOCK' --debug show status | grep -q 'Status: online' && '$CTL' -s '$SOCK' show status -j | python3 -c 'import json,sys; json.load(sys.stdin)'"
check "show users has occtl's columns" grep -Eq "^ *id +user +vhost +ip +vpn-ip +device +since +dtls-cipher +status" <<<"$out"
ctl --json show users >"$WORK/users.json"
check "show users --json is valid JSON with two users" test "$(json 'len(d)' <"$WORK/users.json")" = 2
check "... with the odd name intact" test "$(json "[u['Username'] for u in d if u['Username'] != 'alice'][0]" <"$WORK/users.json")" = "$ODD"
check "... and occtl's keys" test "$(json "sorted(set(['ID','Username','Groupname','IPv4','Remote IP','RX','TX','Device','Session']) - set(d[0].keys()))" <"$WORK/users.json")" = "[]"
A_ID=$(json "[u['ID'] for u in d if u['Username'] == 'alice'][0]" <"$WORK/users.json")
RX0=$(json "[u['RX'] for u in d if u['Username'] == 'alice'][0]" <"$WORK/users.json")
in_ns "$NS_C" ping -c 10 -i 0.2 -s 1000 -W 2 -I tuna "$BEHIND_IP" >/dev/null
grew=no
for _ in $(seq 1 80); do  # counters reach main every 3 s
  rx=$(ctl --json show users | json "[u['RX'] for u in d if u['Username'] == 'alice'][0]")
  [ "$rx" -gt $((RX0 + 5000)) ] && { grew=yes; break; }
  sleep 0.1
done
check "alice's RX counter grows after a ping ($RX0 -> $rx)" test "$grew" = yes
out=$(ctl show id "$A_ID")
check "show id shows the tunnel's details" bash -c "grep -q 'Username: *alice' <<<\"\$0\" && grep -q 'IPv4: *$A_IP' <<<\"\$0\"" "$out"
# occtl's text layout, which admins' scripts grep: a tab, the label, one space after the colon,
# pairs on one line three spaces apart.
check "show id in occtl's layout: 'Username: alice   Groupname: staff'" grep -qP "^\tUsername: alice   Groupname: staff$" <<<"$out"
check "... 'IPv4: ADDR   P-t-P IPv4: ...'" grep -qP "^\tIPv4: $A_IP   P-t-P IPv4: " <<<"$out"
check "... 'DPD: N   KeepAlive: N', 'State: connected', 'Routes:' entries" \
  bash -c "grep -qP '^\tDPD: [0-9]+   KeepAlive: [0-9]+$' <<<\"\$0\" && grep -qP '^\tState: connected$' <<<\"\$0\" && grep -qP '^\tRoutes: ' <<<\"\$0\"" "$out"
check "show user by name" bash -c "'$CTL' -s '$SOCK' show user alice | grep -q 'Device:'"
check "show status --json is valid and counts 2 active sessions" test "$(ctl --json show status | json "d['Active sessions']")" = 2
check "show status says when its totals were last reset (at start)" test "$(ctl --json show status | json "d['raw_last_stats_reset'] - d['raw_up_since']")" = 0
check "show sessions --json lists 2 sessions" test "$(ctl --json show sessions all | json 'len(d)')" = 2

# Logins that never opened a tunnel (openconnect --authenticate) hold a cookie in sec-mod: they
# are sessions too, listed and counted, and "terminate session" ends them (issue #18).
for _ in 1 2; do
  printf '%s\n' 'carol-Secret1' | timeout 20 ip netns exec "$NS_C" openconnect --authenticate \
    --passwd-on-stdin --non-inter -u carol --servercert "$PIN" "https://$SERVER_IP:$PORT/" >/dev/null 2>&1
done
carol_sessions() { ctl --json show sessions all | json "' '.join(s['Session'] for s in d if s['Username'] == 'carol' and s['State'] == 'authenticated')"; }
C_SIDS=$(carol_sessions)
check "show sessions all lists carol's 2 logins without a tunnel ($C_SIDS)" test "$(wc -w <<<"$C_SIDS")" = 2
check "show status counts 4 sessions (2 tunnels, 2 logins)" test "$(ctl --json show status | json "d['Sessions']")" = 4
check "show sessions (text) says 'authenticated'" bash -c "'$CTL' -s '$SOCK' show sessions valid | grep carol | grep -q authenticated"
for sid in $C_SIDS; do ctl terminate session "$sid" >/dev/null; done
check "terminate session ends a login that has no tunnel" test -z "$(carol_sessions)"
check "... and the count goes back to 2" test "$(ctl --json show status | json "d['Sessions']")" = 2
check "show user for a missing user fails" bash -c "! '$CTL' -s '$SOCK' show user nobody >/dev/null 2>&1"

# disconnect (as occtl's): the tunnel drops and the session ends for good: the client is told
# to go away, its cookie dies, and it cannot come back with it
COOKIE_A=$(printf 'alice-Secret1\n' | in_ns "$NS_C" timeout 20 openconnect --authenticate --passwd-on-stdin --non-inter \
  -u alice --servercert "$PIN" "https://$SERVER_IP:$PORT/" 2>/dev/null | sed -n "s/^COOKIE='\(.*\)'$/\1/p")
check "a second login of alice (its cookie kept for later)" test -n "$COOKIE_A"
check "disconnect id" ctl disconnect id "$A_ID"
gone=no
for _ in $(seq 1 100); do kill -0 "$OC_PID_a" 2>/dev/null || { gone=yes; break; }; sleep 0.1; done
check "after disconnect, openconnect exits instead of reconnecting" test "$gone" = yes
check "... it did not reconnect" test ! -f "$WORK/a.env.reconnect"
for _ in $(seq 1 50); do [ "$(ctl --json show sessions | json "len([s for s in d if s['Username'] == 'alice' and s['State'] != 'authenticated'])")" = 0 ] && break; sleep 0.1; done
check "... and that session is gone" test "$(ctl --json show sessions | json "len([s for s in d if s['Username'] == 'alice' and s['State'] != 'authenticated'])")" = 0

# terminate user: every tunnel of the user ends the same way
check "alice connects again with her other cookie" oc_connect a2 alice 'unused' --cookie "$COOKIE_A"
check "terminate user alice" ctl terminate user alice
gone=no
for _ in $(seq 1 100); do kill -0 "$OC_PID_a2" 2>/dev/null || { gone=yes; break; }; sleep 0.1; done
check "after terminate, openconnect exits instead of reconnecting" test "$gone" = yes
for _ in $(seq 1 50); do ctl --json show sessions | json 'len(d)' | grep -qx 1 && break; sleep 0.1; done
check "... and alice's session is gone" test "$(ctl --json show sessions | json "len([s for s in d if s['Username'] == 'alice'])")" = 0
out=$(in_ns "$NS_C" timeout 10 openconnect --non-inter --cookie "$COOKIE_A" --servercert "$PIN" --script /bin/true \
  -i tunx "https://$SERVER_IP:$PORT/" 2>&1 </dev/null)
rc=$?
check "... its cookie no longer opens a tunnel (openconnect exited with $rc, not by timeout)" test "$rc" != 124 -a "$rc" != 0

# the interactive shell, root only, stop now
out=$(printf 'show status\nshow users\nexit\n' | ctl)
check "the interactive shell runs commands from stdin" bash -c "grep -q 'Status: online' <<<\"\$0\" && grep -q 'Active sessions: 1' <<<\"\$0\"" "$out"
check "the control socket is root-only" bash -c "! setpriv --reuid=$(id -u "$RUN_AS_USER") --regid=$(id -g "$RUN_AS_USER") --clear-groups '$CTL' -s '$SOCK' show status >/dev/null 2>&1"
check "an unknown command is a usage error" bash -c "'$CTL' -s '$SOCK' frobnicate >/dev/null 2>&1; test \$? = 2"
oc_stop o
check "stop now" ctl stop now
stopped=no
for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || { stopped=yes; break; }; sleep 0.1; done
check "the server stopped" test "$stopped" = yes
check "and removed its control socket" test ! -e "$SOCK"
e2e_finish
