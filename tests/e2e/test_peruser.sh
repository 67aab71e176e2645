#!/bin/bash
# Per-user and per-group configuration with the real openconnect in network namespaces:
# a user's file gives an explicit address, routes and DNS; a group's file applies to a member;
# rx/tx-data-per-sec cap an iperf3 transfer; restrict-user-to-routes drops packets to anything
# outside the user's routes (on the server, even when the client routes them into the tunnel);
# iroute routes a network behind the client (by ocserv's route-add-cmd, undone by route-del-cmd
# when the tunnel ends); a broken file refuses the tunnel with a clear log;
# a group's own ipv4-network (ocserv's per-group pools) gives its members addresses from it, and
# a network that overlaps the server's pool is refused with a clear log; expose-iroutes and
# append-routes after a reload; a user's hostname replaces the client's; listen-host-is-dyndns;
# proxy-url;
# use-utmp (ocserv's
# default): a tunnel is a login in utmp (who) and in wtmp (last) until it ends.
source "$(dirname "$0")/lib.sh"
e2e_init
command -v iperf3 >/dev/null || e2e_skip "needs iperf3"
command -v python3 >/dev/null || e2e_skip "needs python3 (to read iperf3's JSON)"
ns_setup
SERVER_NS=$NS_S
# use-utmp needs the files to exist (sslvpnd, as glibc, never creates them): a host without
# them (a container) gets empty ones for this test, removed after it. The private systemd that
# runs the unit has a /run of its own: utmp is made there before sslvpnd starts.
UTMP_MADE=()
[ -e /var/log/wtmp ] || { install -m 664 /dev/null /var/log/wtmp && UTMP_MADE+=(/var/log/wtmp); }
if unit_mode; then
  UNIT_EXTRA='ExecStartPre=+/usr/bin/touch /run/utmp'
elif [ ! -e /run/utmp ]; then
  install -m 664 /dev/null /run/utmp && UTMP_MADE+=(/run/utmp)
fi
test_cleanup() { [ "${#UTMP_MADE[@]}" -eq 0 ] || rm -f "${UTMP_MADE[@]}"; }
# wtmp_count TYPE USER LINE: wtmp's records of that type (7 login, 8 logout) for the user on the line.
wtmp_count() { utmpdump /var/log/wtmp 2>/dev/null | grep -cE "^\\[$1\\] \\[[0-9]+\\] \\[[^]]*\\] \\[$2 *\\] \\[$3 *\\]"; }
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-pw' staff
add_user "$PW" bob 'bob-pw' ops
add_user "$PW" carol 'carol-pw' staff
add_user "$PW" dave 'dave-pw' staff
add_user "$PW" erin 'erin-pw' staff
add_user "$PW" frank 'frank-pw' staff
add_user "$PW" grace 'grace-pw' staff
add_user "$PW" heidi 'heidi-pw'
add_user "$PW" ivan 'ivan-pw' lab
add_user "$PW" judy 'judy-pw' lab
add_user "$PW" oscar 'oscar-pw' staff
add_user "$PW" kate 'kate-pw' staff
PORT=4443
VPN_NET=10.66.0.0/24
mkdir -p "$WORK/users" "$WORK/groups"
cat > "$WORK/users/alice" <<F
explicit-ipv4 = 10.66.0.50
route = $BEHIND_NET
route = 172.16.0.0/12
dns = 10.66.0.53
iroute = 10.99.0.0/24
hostname = alice-laptop
F
cat > "$WORK/groups/ops" <<F
route = 192.0.2.0/24
dns = 10.66.0.54
F
RATE=250000  # bytes/s = 2 Mbit/s
cat > "$WORK/users/carol" <<F
route = $BEHIND_NET
rx-data-per-sec = $RATE
tx-data-per-sec = $RATE
F
cat > "$WORK/users/dave" <<F
route = $BEHIND_IP/32
restrict-user-to-routes = true
F
printf 'route = %s\nfrobnicate = 1\ndns = not-an-address\n' "$BEHIND_NET" > "$WORK/users/erin"
printf 'route = 0.0.0.0/0\n' > "$WORK/users/heidi"
# The lab group's own pool, as ocserv's per-group files give it (a bare network and a netmask,
# in either order); oscar's overlaps the server's pool.
printf 'ipv4-netmask = 255.255.255.0\nipv4-network = 10.77.0.0\nroute = %s\n' "$BEHIND_NET" > "$WORK/groups/lab"
printf 'ipv6-network = fd00:77::\nipv6-prefix = 64\nipv6-subnet-prefix = 112\n' >> "$WORK/groups/lab"
printf 'ipv4-network = 10.66.0.128/25\n' > "$WORK/users/oscar"
# A bare network takes the server's netmask, as in ocserv.
printf 'ipv4-network = 10.78.0.0\n' > "$WORK/users/kate"
# restrict-user-to-ports, ocserv's syntax: only these (frank), all but these (grace)
printf 'route = %s\nrestrict-user-to-ports = "tcp(7001), icmp()"\n' "$BEHIND_NET" > "$WORK/users/frank"
printf 'route = %s\nrestrict-user-to-ports = "!(tcp(7002))"\n' "$BEHIND_NET" > "$WORK/users/grace"
{ base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = $VPN_NET
dns = 10.66.0.1
route = 203.0.113.128/25
config-per-user = $WORK/users
config-per-group = $WORK/groups
max-ban-score = 0
occtl-socket-file = $WORK/ctl.sock
listen-host-is-dyndns = true
proxy-url = http://pac.example/%{U}.pac
host-update-script = $WORK/host-update.sh
route-add-cmd = "echo add %{R} %{RI} %{D} >> $WORK/route-cmds; ip route add %{R} dev %{D}"
route-del-cmd = "echo del %{RI} %D >> $WORK/route-cmds"
CONF
} > "$WORK/sslvpnd.conf"
printf '#!/bin/sh\necho "$REASON $USERNAME $HOSTNAME $IP_REMOTE $DEVICE" >> "%s/host-updates"\n' "$WORK" > "$WORK/host-update.sh"
chmod 755 "$WORK/host-update.sh"
ns_route_vpn_back "$VPN_NET"
LOG="$WORK/server.log"
# sslvpnd -t reads the per-user files too (they are otherwise read at each login): erin's broken
# line is named, and the configuration still passes (only her tunnel would be refused).
out=$("$BUILD_DIR/sslvpnd" -t -c "$WORK/sslvpnd.conf" 2>&1); rc=$?
check "sslvpnd -t names the broken per-user file and line" \
  grep -q "error: $WORK/users/erin:3: " <<<"$out"
check "... and warns of a key it skips there, as ocserv does" \
  grep -q "warning: $WORK/users/erin:2: 'frobnicate' cannot be set per user or group; skipped" <<<"$out"
check "... and still passes the configuration (exit $rc)" test "$rc" = 0
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }

# ---- alice: her own file
check "alice's tunnel comes up" oc_connect a alice 'alice-pw'
check "explicit-ipv4 from her file (10.66.0.50)" test "$(env_of a connect INTERNAL_IP4_ADDRESS)" = 10.66.0.50
check "her routes replace the configured ones" \
  test "$(sed -n 's/^CISCO_SPLIT_INC_[0-9]*_ADDR=//p' "$WORK/a.env.connect" | sort | tr '\n' ' ')" = "172.16.0.0 198.51.100.0 "
check "her DNS server" test "$(env_of a connect INTERNAL_IP4_DNS)" = 10.66.0.53
check "ping the host behind the server through her route" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 "$BEHIND_IP"
check "she (unrestricted) reaches the server's far side, 198.51.100.1" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 198.51.100.1
for _ in $(seq 1 50); do [ -s "$WORK/route-cmds" ] && break; sleep 0.1; done
dev=$("$BUILD_DIR/sslvpnctl" -s "$WORK/ctl.sock" show user alice | sed -n 's/^\tDevice: \([^ ]*\).*/\1/p' | head -n 1)
check "route-add-cmd ran for her iroute with ocserv's %{R}, %{RI} and %{D} ($dev)" \
  grep -qx "add 10.99.0.0/255.255.255.0 10.99.0.0/24 $dev" "$WORK/route-cmds"
check "iroute: the server routes 10.99.0.0/24 into her tunnel (by route-add-cmd's ip route)" \
  bash -c "ip -n '$NS_S' route show 10.99.0.0/24 | grep -q 'dev $dev'"
check "... and the server added no route of its own besides (ip route add found none in the way)" \
  bash -c "! grep -q 'File exists' '$LOG'"
check "sslvpnctl show iroutes lists it" \
  bash -c "ip netns exec '$NS_S' '$BUILD_DIR/sslvpnctl' -s '$WORK/ctl.sock' --json show iroutes |
    python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[0][\"iroutes\"]==[\"10.99.0.0/24\"] and d[0][\"Username\"]==\"alice\" else 1)'"
check "her file's hostname in place of the client's (sslvpnctl)" \
  bash -c "'$BUILD_DIR/sslvpnctl' -s '$WORK/ctl.sock' show user alice | grep -qP '^\tHostname: alice-laptop$'"
check "... and confirmed to the client (X-CSTP-Hostname)" grep -q '^X-CSTP-Hostname=alice-laptop$' "$WORK/a.env.connect"
for _ in $(seq 1 50); do [ -s "$WORK/host-updates" ] && break; sleep 0.1; done
check "host-update-script runs with her host name, address and device" \
  grep -qE '^host-update alice alice-laptop 10\.66\.0\.50 vpns[0-9]+$' "$WORK/host-updates"
check "use-utmp: who lists alice on her device ($dev), from the client's address" \
  bash -c "who '/proc/$SERVER_PID/root/run/utmp' | grep -qE '^alice +$dev .*\\($CLIENT_IP\\)'"
logins=$(wtmp_count 7 alice "$dev")
logouts=$(wtmp_count 8 "" "$dev")
oc_stop a
for _ in $(seq 1 50); do who "/proc/$SERVER_PID/root/run/utmp" | grep -q "^alice " || break; sleep 0.1; done
for _ in $(seq 1 50); do grep -q "^del " "$WORK/route-cmds" && break; sleep 0.1; done
check "route-del-cmd ran once for her iroute when her tunnel ended" \
  test "$(grep -cx "del 10.99.0.0/24 $dev" "$WORK/route-cmds")" = 1
check "... and not once her tunnel ended" bash -c "! who '/proc/$SERVER_PID/root/run/utmp' | grep -q '^alice '"
check "... wtmp holds her login (last), and now its logout" \
  test "$logins" -ge 1 -a "$(wtmp_count 8 "" "$dev")" = $((logouts + 1))

# ---- bob: his group's file
check "bob's tunnel comes up" oc_connect b bob 'bob-pw' -v
check "listen-host-is-dyndns: the client is told to resolve the name again (X-CSTP-DynDNS)" \
  grep -q 'X-CSTP-DynDNS: true' "$WORK/b.oc.log"
check "proxy-url: the client gets its PAC URL, with the user's name (X-CSTP-MSIE-Proxy-Pac-URL)" \
  test "$(env_of b connect X-CSTP-MSIE-Proxy-Pac-URL)" = http://pac.example/bob.pac
check "the ops group file's route" test "$(env_of b connect CISCO_SPLIT_INC_0_ADDR)" = 192.0.2.0
check "the ops group file's DNS" test "$(env_of b connect INTERNAL_IP4_DNS)" = 10.66.0.54
oc_stop b

# ---- heidi: route = 0.0.0.0/0 in her file is the default route (as in ocserv's per-user
# files): no split include (which the client's script would install in place of its own default
# route), everything through the tunnel.
check "heidi's tunnel comes up" oc_connect h heidi 'heidi-pw'
check "her 0.0.0.0/0 route is sent as the default route, not a split include" \
  bash -c "! grep -q '^CISCO_SPLIT_INC' '$WORK/h.env.connect'"
check "... sslvpnctl shows her default route" \
  bash -c "'$BUILD_DIR/sslvpnctl' -s '$WORK/ctl.sock' show user heidi | grep -qP '^\\tRoutes: defaultroute$'"
oc_stop h

# ---- carol: rate limits
check "carol's tunnel comes up" oc_connect c carol 'carol-pw'
read -r _ up_bps < <(iperf_run 5211 4)
read -r _ down_bps < <(iperf_run 5212 4 -R)
limit=$((RATE * 8))
echo "     (limit $limit bit/s; measured up $up_bps, down $down_bps bit/s)"
check "rx-data-per-sec caps the upload near the limit" \
  test "$up_bps" -gt $((limit / 3)) -a "$up_bps" -lt $((limit * 13 / 10))
check "tx-data-per-sec caps the download near the limit" \
  test "$down_bps" -gt $((limit / 3)) -a "$down_bps" -lt $((limit * 13 / 10))
oc_stop c

# ---- dave: restrict-user-to-routes
check "dave's tunnel comes up" oc_connect d dave 'dave-pw'
check "dave reaches his route ($BEHIND_IP)" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 "$BEHIND_IP"
# Route another address of the server's far side into the tunnel by hand: the server must drop it.
in_ns "$NS_C" ip route replace 198.51.100.1/32 dev tund
check "a destination outside his routes is dropped by the server" \
  bash -c "! ip netns exec '$NS_C' ping -c 2 -i 0.2 -W 1 198.51.100.1 >/dev/null"
check "he still reaches the VPN gateway" in_ns "$NS_C" ping -c 1 -W 2 10.66.0.1
oc_stop d
check "the server counted the dropped packets" wait_for_log "$LOG" "user 'dave' disconnected.*packets dropped"

# ---- frank and grace: restrict-user-to-ports
# tcp_to PORT: a small file crosses a TCP connection from the client to the host behind.
tcp_to() {
  head -c 20000 /dev/urandom > "$WORK/ports.up"
  rm -f "$WORK/ports.got"
  timeout 30 ip netns exec "$NS_B" python3 "$E2E_DIR/tcp_copy.py" serve "$BEHIND_IP" "$1" recv "$WORK/ports.got" &
  local pid=$! rc=0
  sleep 0.3
  in_ns "$NS_C" timeout 20 python3 "$E2E_DIR/tcp_copy.py" connect "$BEHIND_IP" "$1" send "$WORK/ports.up" >/dev/null 2>&1 || rc=1
  [ "$rc" = 0 ] && wait "$pid" || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rc=1; }
  [ "$rc" = 0 ] && cmp -s "$WORK/ports.up" "$WORK/ports.got"
}
check "frank's tunnel comes up (tcp(7001), icmp() only)" oc_connect f frank 'frank-pw'
check "frank: ICMP is allowed (ping)" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 "$BEHIND_IP"
out=$("$BUILD_DIR/sslvpnctl" -s "$WORK/ctl.sock" show user frank 2>&1)
check "sslvpnctl show user: 'Restricted to ports: tcp(7001), icmp()' as occtl prints it" \
  grep -qP '^\tRestricted to ports: tcp\(7001\), icmp\(\)$' <<<"$out"
check "... and 'Restricted to routes: False'" grep -qP '^\tRestricted to routes: False$' <<<"$out"
check "frank: TCP to port 7001 carries data" tcp_to 7001
if tcp_to 7002; then fail "frank: TCP to port 7002 is dropped by the server"; else pass "frank: TCP to port 7002 is dropped by the server"; fi
oc_stop f
check "the server counted frank's dropped packets" wait_for_log "$LOG" "user 'frank' disconnected.*packets dropped"
check "grace's tunnel comes up (all but tcp(7002))" oc_connect g grace 'grace-pw'
check "grace: ping" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 "$BEHIND_IP"
check "sslvpnctl show user: a deny list as occtl prints it ('!tcp(7002)')" \
  bash -c "'$BUILD_DIR/sslvpnctl' -s '$WORK/ctl.sock' show user grace | grep -qP '^\tRestricted to ports: !tcp\(7002\)$'"
check "grace: TCP to port 7003 carries data" tcp_to 7003
if tcp_to 7002; then fail "grace: TCP to port 7002 is dropped"; else pass "grace: TCP to port 7002 is dropped"; fi
oc_stop g

# ---- ivan and judy: their group's own pool (10.77.0.0/24); oscar's overlaps the server's
check "ivan's tunnel comes up" oc_connect i ivan 'ivan-pw'
check "judy's tunnel comes up" oc_connect j judy 'judy-pw'
I4=$(env_of i connect INTERNAL_IP4_ADDRESS) J4=$(env_of j connect INTERNAL_IP4_ADDRESS)
check "both have addresses from the lab group's pool ($I4, $J4), not the server's" \
  bash -c "[[ '$I4' == 10.77.0.* && '$J4' == 10.77.0.* && '$I4' != 10.77.0.1 && '$J4' != 10.77.0.1 ]]"
check "... distinct" test "$I4" != "$J4"
check "... with the group network's netmask (255.255.255.0)" test "$(env_of i connect INTERNAL_IP4_NETMASK)" = 255.255.255.0
check "ivan pings the server's end of his tunnel, 10.77.0.1 (the pool's first host)" \
  in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 -I tuni 10.77.0.1
check "judy pings it too" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 -I tunj 10.77.0.1
# (judy's tunnel came up last: the client namespace's route to fd00:77::/64 is hers)
J6=$(env_of j connect INTERNAL_IP6_NETMASK)
check "... an IPv6 subnet from the group's network too (the server has none): $J6" \
  grep -Eq '^fd00:77::[0-9a-f:]+/112$' <<<"$J6"
check "judy pings fd00:77::1 over IPv6, the server's end" in_ns "$NS_C" ping -6 -c 2 -i 0.2 -W 2 -I tunj fd00:77::1
out=$("$BUILD_DIR/sslvpnctl" -s "$WORK/ctl.sock" show user ivan)
check "sslvpnctl show user ivan: his address, and 10.77.0.1 as the server's end" \
  grep -Eq "IPv4: $I4[[:space:]].*P-t-P IPv4: 10\.77\.0\.1$" <<<"$out"
oc_stop j
oc_connect o oscar 'oscar-pw'
check "oscar's network overlaps the server's pool: no tunnel" bash -c "! test -f '$WORK/o.env.connect'"
check "... and the log says why" wait_for_log "$LOG" "10.66.0.128/25 overlaps 10.66.0.0/24"
check "ivan still pings after that" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 -I tuni 10.77.0.1
oc_stop i
check "kate's tunnel comes up (her file: a bare ipv4-network)" oc_connect k kate 'kate-pw'
check "... her address is from 10.78.0.0 with the server's /24 ($(env_of k connect INTERNAL_IP4_ADDRESS))" \
  bash -c "[[ '$(env_of k connect INTERNAL_IP4_ADDRESS)' == 10.78.0.* && '$(env_of k connect INTERNAL_IP4_NETMASK)' == 255.255.255.0 ]]"
check "... she pings 10.78.0.1" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 -I tunk 10.78.0.1
oc_stop k

# ---- erin: a broken file
oc_connect e erin 'erin-pw'
check "a broken per-user file refuses the tunnel" bash -c "! test -f '$WORK/e.env.connect'"
check "the log names the file and line" wait_for_log "$LOG" "users/erin:3: "
check "server survived" kill -0 "$SERVER_PID"

# ---- ocserv's expose-iroutes and append-routes, turned on by a reload: every client is routed
# to the networks behind other users' clients (the iroutes of the config-per-user files: alice's
# 10.99.0.0/24), not to its own; a user's or group's routes add to the host's instead of
# replacing them.
printf 'expose-iroutes = true\nappend-routes = true\n' >>"$WORK/sslvpnd.conf"
ip netns exec "$NS_S" "$BUILD_DIR/sslvpnctl" -s "$WORK/ctl.sock" reload >/dev/null
wait_for_log "$LOG" "configuration reloaded"
routes_of() { sed -n 's/^CISCO_SPLIT_INC_[0-9]*_ADDR=//p' "$WORK/$1.env.connect" | sort | tr '\n' ' '; }
check "bob's tunnel comes up" oc_connect b2 bob 'bob-pw'
check "expose-iroutes: bob is routed to alice's iroute; append-routes: to the host's route besides his group's ($(routes_of b2))" \
  test "$(routes_of b2)" = "10.99.0.0 192.0.2.0 203.0.113.128 "
oc_stop b2
check "alice's tunnel comes up" oc_connect a2 alice 'alice-pw'
check "... she is not routed to her own iroute, and gets the host's route besides hers ($(routes_of a2))" \
  test "$(routes_of a2)" = "172.16.0.0 198.51.100.0 203.0.113.128 "
for _ in $(seq 1 50); do [ "$(grep -c '^add ' "$WORK/route-cmds")" -ge 2 ] && break; sleep 0.1; done
dev2=$("$BUILD_DIR/sslvpnctl" -s "$WORK/ctl.sock" show user alice | sed -n 's/^\tDevice: \([^ ]*\).*/\1/p' | head -n 1)
check "... route-add-cmd ran again for her new tunnel's device ($dev2)" \
  grep -qx "add 10.99.0.0/255.255.255.0 10.99.0.0/24 $dev2" "$WORK/route-cmds"
check "... and the server still routes her iroute into her tunnel" \
  bash -c "ip -n '$NS_S' route show 10.99.0.0/24 | grep -q 'dev $dev2'"
oc_stop a2
e2e_finish
