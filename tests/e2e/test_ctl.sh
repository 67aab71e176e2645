#!/bin/bash
# sslvpnctl against a running server with real openconnect clients: tables and JSON (parsed by
# a JSON parser, including a user name with quotes and non-ASCII letters), counters that grow,
# disconnect and terminate (both end the session for good, as occtl's; under persistent-cookies
# a disconnect and the user's own logout leave the cookie valid, as ocserv's), the
# interactive shell, root-only access, and "stop now". The text is occtl's layout, which admins'
# scripts grep and awk: tables with occtl's printf widths, "\tName: value" lines, occtl's
# messages after actions and its exit statuses.
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
check "... occtl's header line, byte for byte ('%8s %8s %8s %14s %14s %6s %7s %14s %9s')" \
  grep -qxF "      id     user    vhost             ip         vpn-ip device   since    dtls-cipher    status" <<<"$out"
check "... alice's row in occtl's columns (id, user, vhost, ip, vpn-ip, device, since, dtls-cipher, status)" \
  grep -qP "^[ 0-9]{8}    alice  default {$((15 - ${#CLIENT_IP}))}$CLIENT_IP {$((15 - ${#A_IP}))}$A_IP +\S+ +\S+ +\(\S+\) connected$" <<<"$out"
st=$(ctl show status)
check "show status in occtl's sections: 'General info:', '\tStatus: online', 'Current stats period:'" \
  bash -c "grep -qx 'General info:' <<<\"\$0\" && grep -qP '^\tStatus: online$' <<<\"\$0\" && grep -qx 'Current stats period:' <<<\"\$0\"" "$st"
check "... '\tUp since: DATE (age)' with occtl's age format, '\tActive sessions: 2', '\tSessions handled: N'" \
  bash -c "grep -qP '^\tUp since: \d{4}-\d\d-\d\d \d\d:\d\d \((\s*\d+s|\s?\d+m:\d\ds)\)$' <<<\"\$0\" && grep -qP '^\tActive sessions: 2$' <<<\"\$0\" && grep -qP '^\tSessions handled: \d+$' <<<\"\$0\"" "$st"
check "... '\tRX: 1.2 KB' (occtl's bytes2human), '\tSec-mod instance count: 1'" \
  bash -c "grep -qP '^\tRX: (\d+ bytes|\d+\.\d [KMG]B)$' <<<\"\$0\" && grep -qP '^\tSec-mod instance count: 1$' <<<\"\$0\"" "$st"
check "show ip bans prints nothing without a banned address (no header, as occtl)" test -z "$(ctl show ip bans)"
check "show iroutes: occtl's header line ('%6s %8s %8s %6s %16s %28s')" \
  test "$(ctl show iroutes | head -n 1)" = "    id     user    vhost device           vpn-ip                       iroute"
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
check "... 'Session: ' with occtl's 6 characters, 'Connected at: DATE (age)'" \
  bash -c "grep -qP '^\tSession: [0-9a-f]{6}$' <<<\"\$0\" && grep -qP '^\tConnected at: \d{4}-\d\d-\d\d \d\d:\d\d \(.{6,7}\)$' <<<\"\$0\"" "$out"
check "... 'RX: N (1.2 KB)   TX: N (...)', 'Average bandwidth RX: ... /sec  TX: ... /sec'" \
  bash -c "grep -qP '^\tRX: \d+ \(\d\S* \S+\)   TX: \d+ \(\d\S* \S+\)$' <<<\"\$0\" && grep -qP '^\tAverage bandwidth RX: \S+ \S+/sec  TX: \S+ \S+/sec$' <<<\"\$0\"" "$out"
ctl show id "$A_ID" >"$WORK/show-id.txt"
check "... and ends with occtl's empty line" test -z "$(tail -n 1 "$WORK/show-id.txt")"
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
out=$(ctl show sessions all)
check "show sessions: occtl's header line ('%6s %8s %8s %14s %24s %8s %8s')" \
  grep -qxF "session     user    vhost             ip               user agent  created   status" <<<"$out"
check "... carol's logins: 6-character id, no address or agent known without a tunnel, 'authenticated'" \
  grep -qP "^[0-9a-f]{6}    carol  default      \(unknown\) \(unknown\) [ 0-9a-z:?]{8} authenticated$" <<<"$out"
check "... alice's session: her address and user agent (24 characters at most)" \
  grep -qP "^[0-9a-f]{6}    alice  default {$((15 - ${#CLIENT_IP}))}$CLIENT_IP .{1,24} [ 0-9a-z:?]{8} authenticated$" <<<"$out"
C_SID=${C_SIDS%% *}
out=$(ctl show session "${C_SID:0:6}")
check "show session with the 6 characters show sessions lists: occtl's block" \
  bash -c "grep -qP '^\tSession: ${C_SID:0:6}$' <<<\"\$0\" && grep -qP '^\tFull session ID: $C_SID$' <<<\"\$0\" && grep -qP '^\tState: authenticated$' <<<\"\$0\" && grep -qP '^\tUsername: carol   Groupname: ' <<<\"\$0\" && grep -qP '^\tIn use: False   Activated: False$' <<<\"\$0\"" "$out"
A_SID=$(json "[u['Session'] for u in d if u['Username'] == 'alice'][0]" <"$WORK/users.json")
out=$(ctl show session "${A_SID:0:6}")
check "... alice's (with a tunnel): 'In use: True   Activated: True', 'Remote IP: ...   Location: unknown', 'ID: $A_ID'" \
  bash -c "grep -qP '^\tIn use: True   Activated: True$' <<<\"\$0\" && grep -qP '^\tRemote IP: $CLIENT_IP   Location: unknown$' <<<\"\$0\" && grep -qP '^\tID: $A_ID$' <<<\"\$0\"" "$out"
out=$(ctl show session zzzzzz)
rc=$?
check "show session of an unknown id: occtl's 'Session ID not found or expired', exit status 2" \
  test "$out $rc" = "Session ID not found or expired 2"
for sid in $C_SIDS; do
  out=$(ctl terminate session "${sid:0:6}")
  check "terminate session ${sid:0:6} (the start of the id): 'session '${sid:0:6}' was terminated'" \
    test "$out" = "session '${sid:0:6}' was terminated"
done
check "terminate session ends a login that has no tunnel" test -z "$(carol_sessions)"
check "... and the count goes back to 2" test "$(ctl --json show status | json "d['Sessions']")" = 2
out=$(ctl show user nobody)
rc=$?
check "show user for a missing user: occtl's 'user or ID not found', exit status 2" test "$out $rc" = "user or ID not found 2"
out=$(ctl disconnect user nobody)
rc=$?
check "disconnect of a missing user: occtl's 'could not disconnect user 'nobody'', exit status 1" \
  test "$out $rc" = "could not disconnect user 'nobody' 1"
out=$(ctl unban ip 192.0.2.99)
rc=$?
check "unban of an address not banned: occtl's 'could not unban IP '192.0.2.99'', exit status 1" \
  test "$out $rc" = "could not unban IP '192.0.2.99' 1"
out=$(ctl unban ip not-an-address 2>&1)
rc=$?
check "unban of something else: occtl's 'Cannot parse IP: not-an-address', exit status 1" \
  test "$out $rc" = "Cannot parse IP: not-an-address 1"

# show events, as occtl's: the users table, "Press 'q' or CTRL+C to quit", then a line per
# connect and disconnect; Ctrl-C ends it with status 0.
"$CTL" -s "$SOCK" show events >"$WORK/events.out" 2>&1 &  # not through ctl(): $! is sslvpnctl
EV_PID=$!
for _ in $(seq 1 50); do grep -qxF "Press 'q' or CTRL+C to quit" "$WORK/events.out" && break; sleep 0.1; done
check "show events starts with \"Press 'q' or CTRL+C to quit\"" grep -qxF "Press 'q' or CTRL+C to quit" "$WORK/events.out"
check "... after occtl's users table" \
  grep -qxF "      id     user    vhost             ip         vpn-ip device   since    dtls-cipher    status" "$WORK/events.out"

# disconnect (as occtl's): the tunnel drops and the session ends for good: the client is told
# to go away, its cookie dies, and it cannot come back with it
COOKIE_A=$(printf 'alice-Secret1\n' | in_ns "$NS_C" timeout 20 openconnect --authenticate --passwd-on-stdin --non-inter \
  -u alice --servercert "$PIN" "https://$SERVER_IP:$PORT/" 2>/dev/null | sed -n "s/^COOKIE='\(.*\)'$/\1/p")
check "a second login of alice (its cookie kept for later)" test -n "$COOKIE_A"
check "disconnect id: occtl's 'connection ID '$A_ID' was disconnected'" \
  test "$(ctl disconnect id "$A_ID")" = "connection ID '$A_ID' was disconnected"
gone=no
for _ in $(seq 1 100); do kill -0 "$OC_PID_a" 2>/dev/null || { gone=yes; break; }; sleep 0.1; done
check "after disconnect, openconnect exits instead of reconnecting" test "$gone" = yes
check "... it did not reconnect" test ! -f "$WORK/a.env.reconnect"
for _ in $(seq 1 50); do [ "$(ctl --json show sessions | json "len([s for s in d if s['Username'] == 'alice' and s['State'] != 'authenticated'])")" = 0 ] && break; sleep 0.1; done
check "... and that session is gone" test "$(ctl --json show sessions | json "len([s for s in d if s['Username'] == 'alice' and s['State'] != 'authenticated'])")" = 0

# terminate user: every tunnel of the user ends the same way
check "alice connects again with her other cookie" oc_connect a2 alice 'unused' --cookie "$COOKIE_A"
check "terminate user alice: 'user 'alice' was terminated' (disconnect's words)" \
  test "$(ctl terminate user alice)" = "user 'alice' was terminated"
gone=no
for _ in $(seq 1 100); do kill -0 "$OC_PID_a2" 2>/dev/null || { gone=yes; break; }; sleep 0.1; done
check "after terminate, openconnect exits instead of reconnecting" test "$gone" = yes
for _ in $(seq 1 50); do ctl --json show sessions | json 'len(d)' | grep -qx 1 && break; sleep 0.1; done
check "... and alice's session is gone" test "$(ctl --json show sessions | json "len([s for s in d if s['Username'] == 'alice'])")" = 0
out=$(in_ns "$NS_C" timeout 10 openconnect --non-inter --cookie "$COOKIE_A" --servercert "$PIN" --script /bin/true \
  -i tunx "https://$SERVER_IP:$PORT/" 2>&1 </dev/null)
rc=$?
check "... its cookie no longer opens a tunnel (openconnect exited with $rc, not by timeout)" test "$rc" != 124 -a "$rc" != 0
kill -INT "$EV_PID"
wait "$EV_PID"
rc=$?
check "show events: alice's disconnect in occtl's words ('default: disconnect user ... (reason: ..., time: ...)')" \
  grep -qP "^default: disconnect user 'alice' \($A_ID\) from $CLIENT_IP with IP $A_IP \(reason: [a-zA-Z ]+, time: .{6,7}\)" "$WORK/events.out"
check "... her second tunnel: 'default: connected user 'alice' (ID) from $CLIENT_IP with IP ADDR'" \
  grep -qP "^default: connected user 'alice' \([0-9]+\) from $CLIENT_IP with IP \S+$" "$WORK/events.out"
check "... and Ctrl-C ends it with status 0 ($rc)" test "$rc" = 0
echo "persistent-cookies = true" >>"$WORK/sslvpnd.conf"
out=$(ctl reload)
check "reload: occtl's 'Server scheduled to reload' (then 'configuration reloaded')" \
  test "$(head -n 2 <<<"$out" | tr '\n' '|')" = "Server scheduled to reload|configuration reloaded|"

# persistent-cookies (ocserv's; the reload turned it on): the user's own disconnect and the
# admin's 'disconnect' leave the session's cookie valid; 'terminate' still ends it for good
COOKIE_P=$(printf 'carol-Secret1\n' | in_ns "$NS_C" timeout 20 openconnect --authenticate --passwd-on-stdin --non-inter \
  -u carol --servercert "$PIN" "https://$SERVER_IP:$PORT/" 2>/dev/null | sed -n "s/^COOKIE='\(.*\)'$/\1/p")
check "carol connects with her cookie" oc_connect p1 carol 'unused' --cookie "$COOKIE_P"
P_IP=$(env_of p1 connect INTERNAL_IP4_ADDRESS)
oc_stop p1
wait_for_log "$LOG" "user 'carol' disconnected from vpns[0-9]*: USER_DISCONNECT"
check "under persistent-cookies, her cookie opens a tunnel again after she logged out (openconnect's BYE)" \
  oc_connect p2 carol 'unused' --cookie "$COOKIE_P"
check "... with the same address ($P_IP)" test "$(env_of p2 connect INTERNAL_IP4_ADDRESS)" = "$P_IP"
P_ID=$(ctl --json show users | json "[u['ID'] for u in d if u['Username'] == 'carol'][0]")
check "disconnect id $P_ID" test "$(ctl disconnect id "$P_ID")" = "connection ID '$P_ID' was disconnected"
for _ in $(seq 1 100); do kill -0 "$OC_PID_p2" 2>/dev/null || break; sleep 0.1; done
check "... openconnect exits" bash -c "! kill -0 $OC_PID_p2 2>/dev/null"
check "after 'disconnect', her cookie still opens a tunnel (persistent-cookies)" \
  oc_connect p3 carol 'unused' --cookie "$COOKIE_P"
check "terminate user carol" test "$(ctl terminate user carol)" = "user 'carol' was terminated"
for _ in $(seq 1 100); do kill -0 "$OC_PID_p3" 2>/dev/null || break; sleep 0.1; done
for _ in $(seq 1 50); do
  [ "$(ctl --json show sessions | json "len([s for s in d if s['Username'] == 'carol'])")" = 0 ] && break; sleep 0.1
done
out=$(in_ns "$NS_C" timeout 10 openconnect --non-inter --cookie "$COOKIE_P" --servercert "$PIN" --script /bin/true \
  -i tunx "https://$SERVER_IP:$PORT/" 2>&1 </dev/null)
rc=$?
check "after 'terminate', it no longer does, persistent-cookies or not (openconnect exited with $rc)" \
  test "$rc" != 124 -a "$rc" != 0

# the interactive shell, root only, stop now
out=$(printf 'show status\nshow users\nexit\n' | ctl)
check "the interactive shell runs commands from stdin" bash -c "grep -q 'Status: online' <<<\"\$0\" && grep -q 'Active sessions: 1' <<<\"\$0\"" "$out"
check "the control socket is root-only" bash -c "! setpriv --reuid=$(id -u "$RUN_AS_USER") --regid=$(id -g "$RUN_AS_USER") --clear-groups '$CTL' -s '$SOCK' show status >/dev/null 2>&1"
check "an unknown command is a usage error" bash -c "'$CTL' -s '$SOCK' frobnicate >/dev/null 2>&1; test \$? = 2"
oc_stop o
check "stop now: occtl's 'Server scheduled to stop'" test "$(ctl stop now)" = "Server scheduled to stop"
stopped=no
for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || { stopped=yes; break; }; sleep 0.1; done
check "the server stopped" test "$stopped" = yes
check "and removed its control socket" test ! -e "$SOCK"
e2e_finish
