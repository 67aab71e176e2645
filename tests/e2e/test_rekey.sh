#!/bin/bash
# Rekey and phones, with the real openconnect in namespaces: with rekey-method = new-tunnel the
# client opens a new tunnel with its cookie after rekey-time (same addresses, data flows again);
# with rekey-method = ssl it renegotiates TLS 1.2 on the same connection, or updates its TLS 1.3
# keys, and keeps its tunnel; a client that names its device type (openconnect --os=android)
# gets mobile-dpd instead of dpd.
source "$(dirname "$0")/lib.sh"
e2e_init
ns_setup
SERVER_NS=$NS_S
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1' staff
add_user "$PW" bob 'bob-Secret1' staff
mkdir -p "$WORK/users"
printf 'mobile-dpd = 11\n' >"$WORK/users/bob"  # ocserv's per-user key: bob's phones only
PORT=4443
VPN_NET=10.79.0.0/24
{ base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
udp-port = $PORT
ipv4-network = $VPN_NET
route = $BEHIND_NET
max-same-clients = 0
dpd = 30
mobile-dpd = 7
config-per-user = $WORK/users/
rekey-time = 4
rekey-method = new-tunnel
connect-script = $WORK/connect.sh
server-drain-ms = 2500
CONF
} > "$WORK/sslvpnd.conf"
# the connect-script records what ocserv's scripts get about the device
printf '#!/bin/sh\necho "type=$DEVICE_TYPE platform=$DEVICE_PLATFORM" >> %s/devices\n' "$WORK" > "$WORK/connect.sh"
chmod 755 "$WORK/connect.sh"
ns_route_vpn_back "$VPN_NET"
LOG="$WORK/server.log"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }

check "openconnect connects" oc_connect a alice 'alice-Secret1' -v
check "a desktop client gets dpd (30 s)" grep -q "DPD 30," "$WORK/a.oc.log"
A_IP=$(env_of a connect INTERNAL_IP4_ADDRESS)
check "ping through the tunnel" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 "$BEHIND_IP"
for _ in $(seq 1 150); do [ -f "$WORK/a.env.reconnect" ] && break; sleep 0.1; done  # rekey-time 4 s: bounded to 15 s
check "after rekey-time the client opened a new tunnel" test -f "$WORK/a.env.reconnect"
check "... because its rekey was due" grep -qi "rekey due" "$WORK/a.oc.log"
check "... with the same address ($A_IP)" test "$(env_of a reconnect INTERNAL_IP4_ADDRESS)" = "$A_IP"
check "ping through the rekeyed tunnel" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 "$BEHIND_IP"
check "the server saw two tunnels for one login" bash -c "test \$(grep -c \"user 'alice' connected from\" '$LOG') -ge 2 && test \$(grep -c \"user 'alice' (group '[^']*') logged in\" '$LOG') = 1"
oc_stop a

# Before alice's phone, whose tunnel the drain below uses: each client's route to the network
# behind the server is one route in the client namespace, which a client that stops takes away.
check "bob's phone connects" oc_connect mb bob 'bob-Secret1' -v --os=android
check "... and gets his own mobile-dpd (11 s, from his per-user file)" grep -q "DPD 11," "$WORK/mb.oc.log"
oc_stop mb
check "bob's desktop client gets the host's dpd (30 s)" oc_connect db bob 'bob-Secret1' -v
check "... DPD 30" grep -q "DPD 30," "$WORK/db.oc.log"
oc_stop db
check "an android client connects" oc_connect m alice 'alice-Secret1' -v --os=android
check "a phone gets mobile-dpd (7 s)" grep -q "DPD 7," "$WORK/m.oc.log"
check "the connect-script got DEVICE_TYPE and DEVICE_PLATFORM (android)" grep -q "type=.\+ platform=android" "$WORK/devices"
check "no worker died of a signal" bash -c "! grep -Eq 'died of signal|seccomp filter' '$LOG'"

# server-drain-ms (ocserv's): on SIGTERM the TCP port closes at once (a load balancer's probe
# sees the server go) while the connected client keeps its tunnel; the server stops after it.
kill -TERM "$SERVER_PID"
t0=$(date +%s%N)
for _ in $(seq 1 20); do [ -z "$(in_ns "$NS_S" ss -Htln "sport = :$PORT")" ] && break; sleep 0.05; done
check "draining: the TCP port closed at once" test -z "$(in_ns "$NS_S" ss -Htln "sport = :$PORT")"
check "... the server is still running" kill -0 "$SERVER_PID"
check "... and the connected client's tunnel still carries data" in_ns "$NS_C" ping -c 2 -i 0.2 -W 1 "$BEHIND_IP"
for _ in $(seq 1 60); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
t1=$(date +%s%N)
check "the server stopped after the drain time ($(( (t1 - t0) / 1000000 )) ms, drain 2500)" \
  bash -c "! kill -0 $SERVER_PID 2>/dev/null && test $(( (t1 - t0) / 1000000 )) -ge 2000"
check "... having said so" grep -q "stopping new connections and waiting 2500 ms" "$LOG"
oc_stop m

# ---- rekey-method = ssl: the same connection, the same tunnel
# in_place NAME LOG LABEL: after two rekey times, the client NAME rekeyed without a new tunnel.
in_place() {
  local name=$1 log=$2 label=$3
  check "$label: the server offered rekey in place" grep -q "X-CSTP-Rekey-Method: ssl" "$WORK/$name.oc.log"
  for _ in $(seq 1 150); do [ "$(grep -c 'CSTP rekey due' "$WORK/$name.oc.log")" -ge 2 ] && break; sleep 0.1; done
  check "$label: the client's rekey came due twice" test "$(grep -c 'CSTP rekey due' "$WORK/$name.oc.log")" -ge 2
  check "$label: ... and never fell back to a new tunnel" bash -c "! grep -q 'Rehandshake failed' '$WORK/$name.oc.log' && ! test -f '$WORK/$name.env.reconnect'"
  check "$label: one tunnel for the whole time" test "$(grep -c "user 'alice' connected from" "$log")" = 1
  check "$label: ping through the rekeyed tunnel" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 "$BEHIND_IP"
  # openconnect opens a new DTLS session after each rekey of its TLS session
  for _ in $(seq 1 50); do [ "$(grep -c 'Established DTLS connection' "$WORK/$name.oc.log")" -ge 2 ] && break; sleep 0.1; done
  check "$label: DTLS comes back after the rekey ($(grep -c 'Established DTLS connection' "$WORK/$name.oc.log") DTLS sessions)" \
    test "$(grep -c 'Established DTLS connection' "$WORK/$name.oc.log")" -ge 2
}
sed -e 's/^rekey-method = .*/rekey-method = ssl/' -e 's/^rekey-time = .*/rekey-time = 6/' -e '/^server-drain-ms/d' \
  "$WORK/sslvpnd.conf" > "$WORK/ssl12.conf"
echo 'tls-priorities = "NORMAL:%SERVER_PRECEDENCE:-VERS-TLS1.3"' >> "$WORK/ssl12.conf"
LOG12="$WORK/server-ssl12.log"
start_server "$WORK/ssl12.conf" "$LOG12" "$WORK/ssl12.pid" "$PORT" || { fail "server start (ssl, TLS 1.2)"; e2e_finish; }
check "TLS 1.2: openconnect connects" oc_connect r alice 'alice-Secret1' -v
check "TLS 1.2: the session is TLS 1.2" grep -q "(TLS1.2)" "$WORK/r.oc.log"
in_place r "$LOG12" "TLS 1.2 renegotiation"
oc_stop r
check "TLS 1.2: the worker counted its renegotiations" wait_for_log "$LOG12" "rekeyed its TLS session in place [2-9] times"
stop_server "$SERVER_PID"
grep -v '^tls-priorities' "$WORK/ssl12.conf" > "$WORK/ssl13.conf"
LOG13="$WORK/server-ssl13.log"
start_server "$WORK/ssl13.conf" "$LOG13" "$WORK/ssl13.pid" "$PORT" || { fail "server start (ssl, TLS 1.3)"; e2e_finish; }
check "TLS 1.3: openconnect connects" oc_connect t alice 'alice-Secret1' -v
check "TLS 1.3: the session is TLS 1.3" grep -q "(TLS1.3)" "$WORK/t.oc.log"
in_place t "$LOG13" "TLS 1.3 key update"
oc_stop t
e2e_finish
