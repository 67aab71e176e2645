#!/bin/bash
# CSTP tunnels end to end in network namespaces with the real openconnect client: data through
# the tunnel (ping, iperf3 both ways), what the client is told (addresses, routes, DNS),
# reconnects to the same addresses, logout, 20 clients at once, DPD timeout, and the
# connect/disconnect scripts; max-same-clients, session-timeout, idle-timeout and
# replace-same-clients (a user's new session ends the older one, and takes over its iroute from
# route-add-cmd).
source "$(dirname "$0")/lib.sh"
e2e_init
command -v iperf3 >/dev/null || e2e_skip "needs iperf3"
command -v python3 >/dev/null || e2e_skip "needs python3 (to read iperf3's JSON)"
ns_setup
SERVER_NS=$NS_S
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1' staff
add_user "$PW" bob 'bob-Secret1' staff
for i in $(seq 1 20); do add_user "$PW" "user$i" "pass$i" staff; done
PORT=4443
VPN_NET=10.77.0.0/24
VPN_GW=10.77.0.1
cat > "$WORK/connect.sh" <<'SCRIPT'
#!/bin/sh
env | sort > "$SCRIPT_DIR/connect-$USERNAME.env"
[ "$USERNAME" = bob ] && exit 1
exit 0
SCRIPT
cat > "$WORK/disconnect.sh" <<'SCRIPT'
#!/bin/sh
env | sort > "$SCRIPT_DIR/disconnect-$USERNAME.env"
SCRIPT
sed -i "2i SCRIPT_DIR=$WORK" "$WORK/connect.sh" "$WORK/disconnect.sh"
chmod +x "$WORK/connect.sh" "$WORK/disconnect.sh"
{ base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = $VPN_NET
ipv6-network = fd77::/64
dns = $VPN_GW
split-dns = corp.example
default-domain = example.com
route = $BEHIND_NET
route = fd99::/64
no-route = 198.51.100.128/25
dpd = 3
max-same-clients = 0
cookie-timeout = 60
connect-script = $WORK/connect.sh
disconnect-script = $WORK/disconnect.sh
CONF
} > "$WORK/sslvpnd.conf"
ns_route_vpn_back "$VPN_NET"
LOG="$WORK/server.log"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }

# ---- one client: data, what it was told
check "openconnect brings the tunnel up" oc_connect a alice 'alice-Secret1'
A_IP=$(env_of a connect INTERNAL_IP4_ADDRESS)
A_IP6=$(env_of a connect INTERNAL_IP6_ADDRESS)
check "client got an IPv4 address in $VPN_NET ($A_IP)" grep -q '^10\.77\.0\.' <<<"$A_IP"
check "client got an IPv6 address in fd77::/64 ($A_IP6)" grep -q '^fd77::' <<<"$A_IP6"
check "ping the server's tunnel address" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$VPN_GW"
check "IPv6 VPN network route arrived" grep -q "^CISCO_IPV6_SPLIT_INC_[0-9]*_ADDR=fd77::$" "$WORK/a.env.connect"
if ! check "ping the server over IPv6 in the tunnel" in_ns "$NS_C" ping -6 -c 3 -i 0.2 -W 2 fd77::1; then
  # Keep what a diagnosis needs (this once caught a missing IPv6 peer route on the server).
  echo "--- client IPv6"; ip -n "$NS_C" -6 addr; ip -n "$NS_C" -6 route
  echo "--- server IPv6"; ip -n "$NS_S" -6 addr; ip -n "$NS_S" -6 route
fi
check "ping a host behind the server" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$BEHIND_IP"
# dev_of ADDRESS: the server's TUN device whose peer is ADDRESS.
dev_of() { ip -n "$NS_S" -o -4 addr show | awk -v a="$1" '$0 ~ "peer " a "/" {print $2; exit}'; }
A_DEV=$(dev_of "$A_IP")
check "a dual-stack session's device ($A_DEV) has its IPv6 link-local address" bash -c "ip -n '$NS_S' -6 addr show dev '$A_DEV' | grep -q 'inet6 fe80::'"
check "split include route arrived" test "$(env_of a connect CISCO_SPLIT_INC_0_ADDR)/$(env_of a connect CISCO_SPLIT_INC_0_MASKLEN)" = "198.51.100.0/24"
check "split exclude route arrived" test "$(env_of a connect CISCO_SPLIT_EXC_0_ADDR)/$(env_of a connect CISCO_SPLIT_EXC_0_MASKLEN)" = "198.51.100.128/25"
check "IPv6 split include arrived" grep -q "^CISCO_IPV6_SPLIT_INC_[0-9]*_ADDR=fd99::$" "$WORK/a.env.connect"
check "DNS server arrived" test "$(env_of a connect INTERNAL_IP4_DNS)" = "$VPN_GW"
check "split DNS arrived" test "$(env_of a connect CISCO_SPLIT_DNS)" = "corp.example"
check "default domain arrived" test "$(env_of a connect CISCO_DEF_DOMAIN)" = "example.com"
check "connect-script saw the session" grep -q "^IP_REMOTE=$A_IP$" "$WORK/connect-alice.env"
check "connect-script got ocserv's per-family lists and the server's own address" bash -c "grep -q '^OCSERV_ROUTES4=198.51.100.0/255.255.255.0$' '$WORK/connect-alice.env' && grep -q '^OCSERV_ROUTES6=.*fd99::/64' '$WORK/connect-alice.env' && grep -q '^OCSERV_NO_ROUTES4=198.51.100.128/255.255.255.128$' '$WORK/connect-alice.env' && grep -q '^OCSERV_DNS4=$VPN_GW$' '$WORK/connect-alice.env' && grep -q '^IP_REAL_LOCAL=$SERVER_IP$' '$WORK/connect-alice.env' && grep -q '^REMOTE_HOSTNAME=' '$WORK/connect-alice.env'"
check "connect-script got ocserv's variables" bash -c "grep -q '^REASON=connect$' '$WORK/connect-alice.env' && grep -q '^DEVICE=vpns' '$WORK/connect-alice.env' && grep -q '^IP_REAL=$CLIENT_IP$' '$WORK/connect-alice.env' && grep -q '^IP_LOCAL=$VPN_GW$' '$WORK/connect-alice.env'"

read -r UP _ <<<"$(iperf_run 5201 3)"
read -r DOWN _ <<<"$(iperf_run 5202 3 -R)"
check "iperf3 client->server moved data ($UP bytes)" test "$UP" -gt 1000000
check "iperf3 server->client moved data ($DOWN bytes)" test "$DOWN" -gt 1000000
echo "    throughput: up $((UP * 8 / 3 / 1000000)) Mbit/s, down $((DOWN * 8 / 3 / 1000000)) Mbit/s (3 s each)"
# TUN offload (the default): segments are merged into GSO writes and super-packets split, so
# check that the bytes are the bytes, not only that TCP got through.
check "20 MB each way over TCP to the host behind the server arrive intact" tcp_copy_ok "$NS_B" "$BEHIND_IP" 5601 20000000
check "... and over IPv6 to the server's tunnel address" tcp_copy_ok "$NS_S" fd77::1 5603 20000000

# ---- disconnect-script and logout
oc_stop a
wait_for_log "$LOG" "user 'alice' disconnected from vpns[0-9]*: USER_DISCONNECT"
check "logout is logged as USER_DISCONNECT" grep -q "user 'alice' disconnected from vpns[0-9]*: USER_DISCONNECT" "$LOG"
check "TCP segments went to the TUN device as GSO writes" grep -Eq "TUN offload: [0-9]+ packets written as [1-9][0-9]* GSO writes" "$LOG"
check "... and TCP super-packets from it were split (TSO)" grep -Eq "packets read as [1-9][0-9]* TSO reads" "$LOG"
for _ in $(seq 1 50); do [ -f "$WORK/disconnect-alice.env" ] && break; sleep 0.1; done
STATS_IN=$(sed -n 's/^STATS_BYTES_IN=//p' "$WORK/disconnect-alice.env")
check "disconnect-script got byte counters covering iperf3 (in $STATS_IN >= $UP)" test "${STATS_IN:-0}" -ge "$UP"
check "disconnect-script got REASON=disconnect" grep -q '^REASON=disconnect$' "$WORK/disconnect-alice.env"

# ---- reconnect after the worker dies: same addresses
check "a second tunnel for the reconnect test" oc_connect r alice 'alice-Secret1'
R_IP=$(env_of r connect INTERNAL_IP4_ADDRESS)
R_IP6=$(env_of r connect INTERNAL_IP6_ADDRESS)
WPID=$(for c in $(cat "/proc/$SERVER_PID/task/$SERVER_PID/children"); do
  [ "$(cat /proc/$c/comm 2>/dev/null)" = sslvpnd-worker ] && echo "$c"; done | head -n 1)
# Stopped and continued (as by a debugger attaching), a sandboxed worker resumes its poll()
# through restart_syscall, which its seccomp filter must allow.
kill -STOP "$WPID"; sleep 0.5; kill -CONT "$WPID"
check "a worker stopped and continued (SIGSTOP/SIGCONT) lives on" bash -c "sleep 1; kill -0 $WPID"
check "... and its tunnel carries data" in_ns "$NS_C" ping -c 2 -i 0.2 -W 3 "$BEHIND_IP"
kill -9 "$WPID"
for _ in $(seq 1 150); do [ -f "$WORK/r.env.reconnect" ] && break; sleep 0.1; done
check "openconnect reconnected after its worker was killed" test -f "$WORK/r.env.reconnect"
check "same IPv4 address after the reconnect" test "$(env_of r reconnect INTERNAL_IP4_ADDRESS)" = "$R_IP"
check "same IPv6 address after the reconnect" test "$(env_of r reconnect INTERNAL_IP6_ADDRESS)" = "$R_IP6"
check "tunnel works after the reconnect" in_ns "$NS_C" ping -c 2 -i 0.2 -W 3 "$BEHIND_IP"

oc_stop r
wait_for_log "$LOG" "user 'alice' disconnected from vpns[0-9]*: USER_DISCONNECT.*in [1-9]"
# ---- a cookie survives a lost client, and dies at logout
COOKIE=$(printf '%s\n' "$(in_ns "$NS_C" bash -c "printf '%s\n' 'alice-Secret1' | timeout 20 openconnect --authenticate --passwd-on-stdin --non-inter -u alice --servercert '$PIN' https://$SERVER_IP:$PORT/" 2>/dev/null)" | sed -n "s/^COOKIE='\(.*\)'$/\1/p")
check "openconnect --authenticate got a cookie" test -n "$COOKIE"
oc_cookie() {  # oc_cookie NAME: connect with $COOKIE
  local name=$1 pidfile="$WORK/$1.oc.pid"
  rm -f "$WORK/$name.env.connect" "$pidfile"
  printf '%s\n' "$COOKIE" | in_ns "$NS_C" env SSLVPND_TEST_DUMP="$WORK/$name.env" openconnect -b --pid-file="$pidfile" \
    --cookie-on-stdin --non-inter --servercert "$PIN" --script "$E2E_DIR/client-script.sh" -i "tun$name" \
    "https://$SERVER_IP:$PORT/" >"$WORK/$name.oc.log" 2>&1
  for _ in $(seq 1 100); do [ -s "$pidfile" ] && [ -f "$WORK/$name.env.connect" ] && break; sleep 0.1; done
  [ -s "$pidfile" ] && STARTED_PIDS+=("$(cat "$pidfile")") && eval "OC_PID_$name=$(cat "$pidfile")"
  [ -f "$WORK/$name.env.connect" ]
}
check "connect with the cookie" oc_cookie c1
C_IP=$(env_of c1 connect INTERNAL_IP4_ADDRESS)
kill -9 "$OC_PID_c1"  # the client vanishes without logging out
for _ in $(seq 1 100); do
  ip -n "$NS_C" link show tunc1 >/dev/null 2>&1 || break; sleep 0.1; done
ip -n "$NS_C" link del tunc1 2>/dev/null
check "reconnect with the same cookie after the client died" oc_cookie c2
check "... gets the same IPv4 address ($C_IP)" test "$(env_of c2 connect INTERNAL_IP4_ADDRESS)" = "$C_IP"
oc_stop c2
check "after logout the cookie is refused" bash -c "! printf '%s\n' '$COOKIE' | ip netns exec '$NS_C' timeout 20 openconnect --cookie-on-stdin --non-inter --servercert '$PIN' https://$SERVER_IP:$PORT/ >'$WORK/refused.log' 2>&1"
check "... with 401" grep -Eqi "401|cookie.*(rejected|invalid)" "$WORK/refused.log"

# ---- a connect-script that says no
out=$(printf '%s\n' 'bob-Secret1' | in_ns "$NS_C" timeout 20 openconnect --passwd-on-stdin --non-inter -u bob \
  --servercert "$PIN" --script "$E2E_DIR/client-script.sh" "https://$SERVER_IP:$PORT/" 2>&1)
check "a failing connect-script refuses the session" grep -q "the connect script refused the session" <<<"$out"

# ---- 20 clients at once
STARTERS=()
for i in $(seq 1 20); do oc_connect "u$i" "user$i" "pass$i" & STARTERS+=("$!"); done
wait "${STARTERS[@]}"
for i in $(seq 1 20); do
  [ -s "$WORK/u$i.oc.pid" ] && { p=$(cat "$WORK/u$i.oc.pid"); STARTED_PIDS+=("$p"); eval "OC_PID_u$i=$p"; }
done
ADDRS=$(for i in $(seq 1 20); do env_of "u$i" connect INTERNAL_IP4_ADDRESS; done | sort -u | grep -c .)
check "20 clients got 20 distinct addresses" test "$ADDRS" = 20
ok=0
for i in $(seq 1 20); do in_ns "$NS_C" ping -c 1 -W 3 -I "tunu$i" "$VPN_GW" >/dev/null 2>&1 && ok=$((ok + 1)); done
check "all 20 clients ping through their tunnels ($ok/20)" test "$ok" = 20
check "20 TUN devices exist on the server" test "$(ip -n "$NS_S" -o link show | grep -c ': vpns')" = 20
missing=0
for i in $(seq 1 20); do
  a6=$(env_of "u$i" connect INTERNAL_IP6_ADDRESS)
  [ -n "$a6" ] && ! ip -n "$NS_S" -6 route show "$a6" | grep -q vpns && missing=$((missing + 1))
done
check "the server routes each client's IPv6 address to its tunnel ($missing missing)" test "$missing" = 0
# A worker that crashes takes no other session with it.
U1_IP=$(env_of u1 connect INTERNAL_IP4_ADDRESS)
VICTIM=$(in_ns "$NS_S" ss -Htnp state established "( sport = :$PORT )" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
kill -SEGV "$VICTIM"
wait_for_log "$LOG" "died of signal 11"
ok=0
for i in $(seq 2 20); do in_ns "$NS_C" ping -c 1 -W 3 -I "tunu$i" "$VPN_GW" >/dev/null 2>&1 && ok=$((ok + 1)); done
check "after one worker crashed, the other sessions still work" test "$ok" -ge 18
STOPPERS=()
for i in $(seq 1 20); do oc_stop "u$i" & STOPPERS+=("$!"); done
wait "${STOPPERS[@]}"
for _ in $(seq 1 100); do [ "$(ip -n "$NS_S" -o link show | grep -c ': vpns')" = 0 ] && break; sleep 0.1; done
check "every TUN device is gone after they left" test "$(ip -n "$NS_S" -o link show | grep -c ': vpns')" = 0
wait_for_log "$LOG" " 0 sessions, 0 leases in use"
check "every lease is free after they left" grep -q " 0 sessions, 0 leases in use" "$LOG"

# ---- DPD: a client that stops answering is dropped (dpd = 3 s, dead after 3 intervals)
check "client for the DPD test connects" oc_connect d alice 'alice-Secret1'
kill -STOP "$OC_PID_d"
dropped=no
for _ in $(seq 1 200); do  # at most 20 s
  grep -q "user 'alice' disconnected from vpns[0-9]*: DPD_TIMEOUT" "$LOG" && { dropped=yes; break; }
  sleep 0.1
done
check "a silent client is dropped by DPD" test "$dropped" = yes
check "its TUN device is gone" test "$(ip -n "$NS_S" -o link show | grep -c ': vpns')" = 0
kill -CONT "$OC_PID_d"; oc_stop d

# ---- stopping the server ends each tunnel as ocserv does: the disconnect-script runs for it
rm -f "$WORK/disconnect-user1.env"
check "user1 connects before the server stops" oc_connect s user1 pass1
stop_server
for _ in $(seq 1 50); do [ -s "$WORK/disconnect-user1.env" ] && break; sleep 0.1; done
check "on shutdown the disconnect-script ran for the connected user" grep -q '^REASON=disconnect$' "$WORK/disconnect-user1.env"
check "... and the log says the server ended the tunnel" grep -q "user 'user1' disconnected from vpns[0-9]*: SERVER_DISCONNECT" "$LOG"
oc_stop s

# ---- session-timeout and max-same-clients (a second server)
{ base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = $VPN_NET
route = $BEHIND_NET
max-same-clients = 1
session-timeout = 4
idle-timeout = 2
CONF
} > "$WORK/limits.conf"
LOG2="$WORK/server-limits.log"
start_server "$WORK/limits.conf" "$LOG2" "$WORK/limits.pid" "$PORT" || { fail "limits server start"; e2e_finish; }
check "first session of bob connects" oc_connect s1 bob 'bob-Secret1'
# IPv4 only: the device gets no IPv6 link-local address, hence no fe80::/64 route.
S1_DEV=$(dev_of "$(env_of s1 connect INTERNAL_IP4_ADDRESS)")
check "an IPv4-only session's device ($S1_DEV) has no IPv6 address" test -z "$(ip -n "$NS_S" -6 addr show dev "$S1_DEV")"
check "... and no fe80::/64 route" bash -c "! ip -n '$NS_S' -6 route show table all dev '$S1_DEV' | grep -q fe80"
# keep bob's tunnel busy (ping for at most 6 s) so idle-timeout does not end it first
in_ns "$NS_C" ping -q -i 0.3 -w 6 -I tuns1 "$VPN_GW" >/dev/null 2>&1 &
STARTED_PIDS+=("$!")
out=$(printf '%s\n' 'bob-Secret1' | in_ns "$NS_C" timeout 20 openconnect --passwd-on-stdin --non-inter -u bob \
  --servercert "$PIN" --script "$E2E_DIR/client-script.sh" -i tunx "https://$SERVER_IP:$PORT/" 2>&1)
check "max-same-clients = 1 refuses bob's second session" grep -q "too many connections" <<<"$out"
ended=no
for _ in $(seq 1 100); do  # session-timeout 4 s: bounded to 10 s
  kill -0 "$OC_PID_s1" 2>/dev/null || { ended=yes; break; }
  sleep 0.1
done
check "session-timeout ends the session and the client exits" test "$ended" = yes
check "... logged as SESSION_TIMEOUT" grep -q "user 'bob' disconnected from vpns[0-9]*: SESSION_TIMEOUT" "$LOG2"
# idle-timeout (2 s) is shorter than session-timeout (4 s): a client that moves no data goes first
check "alice connects to the limits server" oc_connect i1 alice 'alice-Secret1'
idle=no
for _ in $(seq 1 60); do  # bounded to 6 s
  grep -q "user 'alice' disconnected from vpns[0-9]*: IDLE_TIMEOUT" "$LOG2" && { idle=yes; break; }
  sleep 0.1
done
check "idle-timeout ends a tunnel that moves no data" test "$idle" = yes
oc_stop i1

# ---- replace-same-clients: at max-same-clients, bob's new session ends his older one (told to
# disconnect, so openconnect exits) instead of being refused, as openvpn without duplicate-cn,
# and takes its address: a pool with room for one client does not refuse it.
stop_server
{ base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = ${VPN_NET%/24}/30
ipv6-network = fd00:7e::/64
route = $BEHIND_NET
max-same-clients = 1
replace-same-clients = true
udp-port = $PORT
net-priority = 0x28
connect-script = $WORK/refuse-when-told.sh
config-per-user = $WORK/replace-users
route-add-cmd = "echo \$REASON add %{RI} %{D} >> $WORK/replace-routes; ip route add %{R} dev %{D}"
route-del-cmd = "echo \$REASON del %{RI} \$DEVICE >> $WORK/replace-routes; ip route del %{R} dev %{D}"
CONF
} > "$WORK/replace.conf"
# bob has a network behind his client: each of his tunnels routes it (route-add-cmd).
mkdir -p "$WORK/replace-users"
echo 'iroute = 10.95.0.0/24' > "$WORK/replace-users/bob"
# route_lines N: waits (at most 5 s) until the route commands' log has N lines
route_lines() { for _ in $(seq 1 50); do [ "$(wc -l <"$WORK/replace-routes" 2>/dev/null || echo 0)" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
# A connect-script that refuses every tunnel while $WORK/refuse exists.
printf '#!/bin/sh\n[ -e "%s/refuse" ] && exit 1\nexit 0\n' "$WORK" > "$WORK/refuse-when-told.sh"
chmod 755 "$WORK/refuse-when-told.sh"
LOG3="$WORK/server-replace.log"
if start_server "$WORK/replace.conf" "$LOG3" "$WORK/replace.pid" "$PORT"; then
  check "replace-same-clients: bob's first session connects" oc_connect r1 bob 'bob-Secret1'
  # A new session that does not get its tunnel (the connect-script refuses it) ends nothing.
  touch "$WORK/refuse"
  out=$(printf '%s\n' 'bob-Secret1' | in_ns "$NS_C" timeout 20 openconnect --passwd-on-stdin --non-inter -u bob \
    --servercert "$PIN" --script "$E2E_DIR/client-script.sh" -i tunrx "https://$SERVER_IP:$PORT/" 2>&1)
  rm -f "$WORK/refuse"
  check "... a second one the connect-script refuses gets no tunnel" grep -q "connect script refused" <<<"$out"
  check "... and the first goes on" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 -I tunr1 "$VPN_GW"
  out=$(printf '%s\n' 'alice-Secret1' | in_ns "$NS_C" timeout 20 openconnect --disable-ipv6 --passwd-on-stdin --non-inter -u alice \
    --servercert "$PIN" --script "$E2E_DIR/client-script.sh" -i tunra "https://$SERVER_IP:$PORT/" 2>&1)
  check "... the pool (a /30) has no IPv4 address for another user (alice, IPv4 only)" grep -q "no free IP address" <<<"$out"
  check "... his second connects too" oc_connect r2 bob 'bob-Secret1'
  check "... with the first one's address ($(env_of r1 connect INTERNAL_IP4_ADDRESS))" \
    test "$(env_of r2 connect INTERNAL_IP4_ADDRESS)" = "$(env_of r1 connect INTERNAL_IP4_ADDRESS)" -a -n "$(env_of r1 connect INTERNAL_IP4_ADDRESS)"
  gone=no
  for _ in $(seq 1 100); do kill -0 "$OC_PID_r1" 2>/dev/null || { gone=yes; break; }; sleep 0.1; done
  check "... the first is told to disconnect and its openconnect exits" test "$gone" = yes
  check "... logged" grep -q "user 'bob': an older session ends, replaced by a new connection" "$LOG3"
  check "... the second pings through its tunnel" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 -I tunr2 "$VPN_GW"
  check "... it has the first one's IPv6 address too ($(env_of r1 connect INTERNAL_IP6_NETMASK))" \
    test "$(env_of r2 connect INTERNAL_IP6_NETMASK)" = "$(env_of r1 connect INTERNAL_IP6_NETMASK)" -a -n "$(env_of r1 connect INTERNAL_IP6_NETMASK)"
  check "... and pings over IPv6 once the first one's device is gone" \
    in_ns "$NS_C" ping -6 -c 2 -i 0.2 -W 2 -I tunr2 fd00:7e::1
  # The second tunnel takes bob's iroute over: the first one's route-del-cmd runs before the
  # second one's route-add-cmd (so "ip route add" finds nothing in the way), and the first
  # one's end, after, does not undo it again.
  route_lines 3
  mapfile -t rl <"$WORK/replace-routes"
  d1=${rl[0]##* } d2=${rl[2]##* }
  check "route-add-cmd routed bob's iroute into his first tunnel (${rl[0]:-none})" \
    test "${rl[0]}" = "route-add add 10.95.0.0/24 $d1" -a -n "$d1"
  check "... the replacing tunnel ran the first one's route-del-cmd first (${rl[1]:-none})" \
    test "${rl[1]}" = "route-del del 10.95.0.0/24 $d1"
  check "... then its own route-add-cmd, on its own device (${rl[2]:-none})" \
    test "${rl[2]}" = "route-add add 10.95.0.0/24 $d2" -a "$d2" != "$d1"
  check "... so the network is routed into the second tunnel" \
    bash -c "ip -n '$NS_S' route show 10.95.0.0/24 | grep -q 'dev $d2'"
  check "... and the first one's end did not undo it again" test "$(wc -l <"$WORK/replace-routes")" = 3
  # net-priority = 0x28: the worker marks the client's TCP connection and its DTLS socket.
  check "net-priority: the client's TCP connection carries TOS 0x28" \
    bash -c "ip netns exec '$NS_S' ss -Htn --tos state established '( sport = :$PORT )' | grep -q 'tos:0x28'"
  marked=no
  for _ in $(seq 1 50); do  # DTLS comes up beside the tunnel: at most 5 s
    ip netns exec "$NS_S" ss -Hun --tos "( sport = :$PORT )" | grep -q 'tos:0x28' && { marked=yes; break; }
    sleep 0.1
  done
  check "... and its DTLS socket" test "$marked" = yes
  oc_stop r2
  route_lines 4
  check "... the second tunnel's end ran its route-del-cmd" \
    test "$(sed -n 4p "$WORK/replace-routes")" = "route-del del 10.95.0.0/24 $d2"
else
  fail "replace-same-clients server start"
fi

check "no worker died of a signal it was not sent" bash -c "! grep -Eq 'seccomp filter' '$LOG' && test \$(grep -c 'died of signal' '$LOG') = 1"
e2e_finish
