#!/bin/bash
# listen-netns (ocserv's): the server runs in one network namespace (its TUN devices and routes
# there) and listens in another, made with `ip netns add`. The real openconnect reaches it only
# through the listening namespace, gets a tunnel with DTLS, and pings the host behind the
# server; nothing listens in the server's own namespace.
source "$(dirname "$0")/lib.sh"
e2e_init
ns_setup
NS_L="sslvpnd-l-$$"
ip netns add "$NS_L" || e2e_skip "cannot create network namespaces"
NS_CREATED+=("$NS_L")
ip -n "$NS_L" link set lo up
ip link add "vl$$" netns "$NS_C" type veth peer name "vm$$" netns "$NS_L"
ip -n "$NS_C" addr add 192.0.2.2/24 dev "vl$$"; ip -n "$NS_C" link set "vl$$" up
ip -n "$NS_L" addr add 192.0.2.1/24 dev "vm$$"; ip -n "$NS_L" link set "vm$$" up
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1' staff
PORT=4443
VPN_NET=10.81.0.0/24
ns_route_vpn_back "$VPN_NET"
{ base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
listen-netns = $NS_L
udp-port = $PORT
ipv4-network = $VPN_NET
route = $BEHIND_NET
occtl-socket-file = $WORK/ctl.sock
CONF
} > "$WORK/sslvpnd.conf"
check "sslvpnd -t accepts listen-netns" "$SSLVPND" -t -c "$WORK/sslvpnd.conf"
LOG="$WORK/server.log"
SERVER_LOGS+=("$LOG")
# Not as the packaged unit: it forbids entering namespaces (RestrictNamespaces=, no
# CAP_SYS_ADMIN); doc/configuration.md gives the drop-in that allows it.
ip netns exec "$NS_S" "$SSLVPND" -f -d 3 -c "$WORK/sslvpnd.conf" >"$LOG" 2>&1 &
SPID=$!
STARTED_PIDS+=("$SPID")
for _ in $(seq 1 100); do [ -n "$(in_ns "$NS_L" ss -Htln "sport = :$PORT")" ] && [ -S "$WORK/ctl.sock" ] && break; sleep 0.1; done
check "the TCP port listens in the listening namespace" test -n "$(in_ns "$NS_L" ss -Htln "sport = :$PORT")"
check "... and its UDP port too" test -n "$(in_ns "$NS_L" ss -Huln "sport = :$PORT")"
check "nothing listens in the server's own namespace" test -z "$(in_ns "$NS_S" ss -Htluna "sport = :$PORT")"
check "the log names the namespace" grep -q "listening in network namespace '$NS_L'" "$LOG"
SERVER_IP=192.0.2.1  # oc_connect goes there: the listening namespace's address
check "openconnect through the listening namespace brings the tunnel up" oc_connect a alice 'alice-Secret1' -v
for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/a.oc.log" && break; sleep 0.1; done
check "DTLS is established (main's per-client UDP socket in that namespace)" grep -q "Established DTLS connection" "$WORK/a.oc.log"
check "the client's DTLS socket is in the listening namespace" test -n "$(in_ns "$NS_L" ss -Hun "sport = :$PORT dport != :0")"
check "the TUN device is in the server's namespace" bash -c "ip -n '$NS_S' -o link show | grep -q vpns"
check "ping through the tunnel to the host behind the server" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$BEHIND_IP"
oc_stop a
check "the server is still running" kill -0 "$SPID"
kill "$SPID"; wait "$SPID" 2>/dev/null

# The packaged unit forbids it; the drop-in doc/configuration.md gives allows it.
if unit_mode; then
  # The test's private systemd has a /run of its own: the namespace goes in by its file,
  # bind-mounted under $WORK (which the unit sees), as listen-netns = PATH allows.
  touch "$WORK/listen.ns"
  mount --bind "/run/netns/$NS_L" "$WORK/listen.ns"
  test_cleanup() { umount "$WORK/listen.ns" 2>/dev/null; }
  sed -i "s|^listen-netns = .*|listen-netns = $WORK/listen.ns|" "$WORK/sslvpnd.conf"
  SERVER_NS=$NS_S
  # In this shell, not in $(...): the private systemd it boots must be in UNIT_BOOTED for
  # unit_cleanup to stop it (a subshell's list was lost, and that systemd outlived the test).
  start_server "$WORK/sslvpnd.conf" "$WORK/unit-plain.log" "$WORK/unit.pid" "$PORT" >"$WORK/unit-plain.start" 2>&1
  check "under the packaged unit as it is, listen-netns stops the start with the reason" \
    grep -q "listen-netns '$WORK/listen.ns': cannot enter it" "$WORK/unit-plain.log"
  unit_cleanup; UNIT_BOOTED=()
  UNIT_EXTRA="RestrictNamespaces=net
CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID CAP_SYS_CHROOT CAP_KILL CAP_SYS_ADMIN"
  unit_start "$WORK/sslvpnd.conf" "$WORK/unit.log" "$WORK/unit.pid" >/dev/null 2>&1
  for _ in $(seq 1 100); do [ -n "$(in_ns "$NS_L" ss -Htln "sport = :$PORT")" ] && break; sleep 0.1; done
  check "with the documented drop-in, the unit listens in the namespace" test -n "$(in_ns "$NS_L" ss -Htln "sport = :$PORT")"
  check "... and openconnect gets a tunnel through it" oc_connect u alice 'alice-Secret1'
  check "... that carries data" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 "$BEHIND_IP"
  oc_stop u
  UNIT_EXTRA=""
fi
echo "listen-netns = no-such-namespace-$$" >> "$WORK/sslvpnd.conf"  # the last one counts
out=$(timeout 10 ip netns exec "$NS_S" "$SSLVPND" -f -c "$WORK/sslvpnd.conf" 2>&1)
check "a namespace that does not exist stops the start with the reason" grep -q "listen-netns: cannot open /run/netns/no-such-namespace-$$" <<<"$out"
e2e_finish
