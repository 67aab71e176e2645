#!/bin/bash
# The DTLS data channel with the real openconnect: PSK-NEGOTIATE and legacy modes, traffic
# carried over UDP, the negotiated MTU, garbage and forged datagrams, fallback to CSTP when UDP
# is blocked and DTLS coming back when it is restored, a Cisco client's user agent, and NAT
# rebinding (the client's UDP port changes; the same DTLS session carries on).
source "$(dirname "$0")/lib.sh"
e2e_init
command -v iperf3 >/dev/null || e2e_skip "needs iperf3"
command -v python3 >/dev/null || e2e_skip "needs python3"
command -v nft >/dev/null || e2e_skip "needs nft (nftables)"
ns_setup
SERVER_NS=$NS_S
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1' staff
PORT=4443
VPN_NET=10.78.0.0/24
ns_route_vpn_back "$VPN_NET"

write_conf() {  # write_conf FILE [extra lines]
  { base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
udp-port = $PORT
ipv4-network = $VPN_NET
route = $BEHIND_NET
dpd = 5
mtu = 1300
max-same-clients = 0
$(printf "%s\n" "${@:2}")
CONF
  } > "$1"
}

# udp_datagrams In|Out [NS]: a namespace's UDP datagram counter (the server's by default). The
# server's Out counts sendmsg calls, and one UDP GSO send carries many datagrams: what went out
# is counted where it arrives, in the client namespace.
udp_datagrams() {
  in_ns "${2:-$NS_S}" awk -v f="$1Datagrams" '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) col[$i] = i; h = 1 } else print $col[f] }' /proc/net/snmp
}
send_udp() {  # send_udp HEX-PAYLOAD COUNT: datagrams to the server's UDP port from a fresh port
  in_ns "$NS_C" python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[2])): s.sendto(bytes.fromhex(sys.argv[1]), ('$SERVER_IP', $PORT))
" "$1" "$2"
}

# ---- PSK-NEGOTIATE
write_conf "$WORK/psk.conf"
LOG="$WORK/server-psk.log"
start_server "$WORK/psk.conf" "$LOG" "$WORK/psk.pid" "$PORT" || { fail "server start"; e2e_finish; }
check "openconnect connects" oc_connect a alice 'alice-Secret1' -v
for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/a.oc.log" && break; sleep 0.1; done
check "DTLS is established in PSK mode" grep -q "Established DTLS connection (using GnuTLS). Ciphersuite (DTLS1.2)-(PSK)" "$WORK/a.oc.log"
check "the server offered PSK-NEGOTIATE" grep -q "X-DTLS-CipherSuite: PSK-NEGOTIATE" "$WORK/a.oc.log"
for _ in $(seq 1 50); do grep -q "after detection" "$WORK/a.oc.log" && break; sleep 0.1; done
check "MTU detection keeps the configured MTU (1300), not 576/1280" grep -q "No change in MTU after detection (was 1300)" "$WORK/a.oc.log"
check "the client's tunnel has MTU 1300" bash -c "ip -n '$NS_C' link show tuna | grep -q 'mtu 1300 '"
check "ping through the tunnel" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$BEHIND_IP"

in0=$(udp_datagrams In); out0=$(udp_datagrams In "$NS_C")
read -r UP _ <<<"$(iperf_run 5201 3)"
in1=$(udp_datagrams In); out1=$(udp_datagrams In "$NS_C")
read -r DOWN _ <<<"$(iperf_run 5202 3 -R)"
in2=$(udp_datagrams In); out2=$(udp_datagrams In "$NS_C")
check "iperf3 client->server moved data ($UP bytes)" test "$UP" -gt 1000000
check "... carried by UDP ($((in1 - in0)) datagrams in for $((UP / 1300)) packets)" test $((in1 - in0)) -gt $((UP / 1300 / 2))
check "iperf3 server->client moved data ($DOWN bytes)" test "$DOWN" -gt 1000000
check "... carried by UDP ($((out2 - out1)) datagrams out for $((DOWN / 1300)) packets)" test $((out2 - out1)) -gt $((DOWN / 1300 / 2))
echo "    DTLS throughput: up $((UP * 8 / 3000000)) Mbit/s, down $((DOWN * 8 / 3000000)) Mbit/s"

# Garbage, forged records and unknown hellos from another port must not disturb the tunnel.
send_udp "00112233445566778899aabbccddeeff" 50
# a DTLS 1.2 application-data record header (epoch 1) with random "ciphertext"
send_udp "17fefd0001000000000099003000$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')" 50
# a ClientHello naming a session that does not exist
send_udp "16fefd000000000000000000004c010000400000000000004cfefd$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')20$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" 20
in3=$(udp_datagrams In)
read -r UP2 _ <<<"$(iperf_run 5203 3)"
in4=$(udp_datagrams In)
check "after garbage and forged datagrams, data still flows over DTLS ($((in4 - in3)) datagrams)" test $((in4 - in3)) -gt $((UP2 / 1300 / 2))
check "... and the DTLS channel was never dropped" bash -c "! grep -q 'DTLS channel closed\|DTLS client moved' '$LOG'"

# A forged hello naming the live session (issue #18): its X-DTLS-App-ID travels in clear in the
# client's own hello, so anyone on the path can send a ClientHello with it from another address.
# That may start a candidate handshake, but must never take the working channel away.
APPID=$(grep -o 'X-DTLS-App-ID: [0-9a-fA-F]*' "$WORK/a.oc.log" | tail -n 1 | awk '{print $2}')
check "the victim's DTLS App-ID is in its CONNECT reply" test -n "$APPID"
in_ns "$NS_C" python3 "$E2E_DIR/dtls_hello.py" "$SERVER_IP" "$PORT" "$APPID" 20 0.3 &
FORGER=$!
STARTED_PIDS+=("$FORGER")
in11=$(udp_datagrams In)
lost=$(in_ns "$NS_C" ping -c 25 -i 0.25 -W 2 "$BEHIND_IP" | grep -o '[0-9]*% packet loss')
wait "$FORGER"
in12=$(udp_datagrams In)
check "20 forged hellos with the victim's session id: no ping lost ($lost)" test "$lost" = "0% packet loss"
check "... the forged hellos reached the victim's worker (a candidate handshake)" \
  grep -q "DTLS hello on a new path; the current channel stays" "$LOG"
check "... and the pings went over DTLS ($((in12 - in11 - 20)) datagrams besides the hellos)" test $((in12 - in11 - 20)) -ge 25
check "... the live DTLS channel was never dropped" bash -c "! grep -q 'DTLS channel closed' '$LOG'"
check "... nor replaced (one DTLS established on the server)" test "$(grep -c 'DTLS established' "$LOG")" = 1
read -r UP3 _ <<<"$(iperf_run 5205 2)"
check "... and bulk data still flows after the attack ($UP3 bytes)" test "$UP3" -gt 1000000

# UDP blocked mid-transfer: the tunnel falls back to CSTP and survives.
in_ns "$NS_S" nft add table inet e2e
in_ns "$NS_S" nft add chain inet e2e in '{ type filter hook input priority 0; }'
in_ns "$NS_S" nft add rule inet e2e in udp dport "$PORT" drop
read -r BLOCKED _ <<<"$(iperf_run 5204 15)"
check "with UDP blocked, a 15 s transfer still completes over CSTP ($BLOCKED bytes)" test "$BLOCKED" -gt 1000000
check "the session survived (same openconnect process)" kill -0 "$OC_PID_a"
check "ping works with UDP blocked" in_ns "$NS_C" ping -c 3 -i 0.2 -W 3 "$BEHIND_IP"
in_ns "$NS_S" nft delete table inet e2e
n_est=$(grep -c "Established DTLS connection" "$WORK/a.oc.log")
back=no
for _ in $(seq 1 900); do  # openconnect retries DTLS every 60 s: wait at most 90 s
  [ "$(grep -c "Established DTLS connection" "$WORK/a.oc.log")" -gt "$n_est" ] && { back=yes; break; }
  sleep 0.1
done
check "with UDP restored, DTLS comes back" test "$back" = yes
in5=$(udp_datagrams In)
in_ns "$NS_C" ping -c 5 -i 0.2 -W 2 "$BEHIND_IP" >/dev/null
in6=$(udp_datagrams In)
check "... and carries the traffic again" test $((in6 - in5)) -ge 5

# A Cisco Secure Client user agent changes nothing for us.
check "connect with a Cisco Secure Client 5 user agent" oc_connect c alice 'alice-Secret1' -v \
  --useragent 'Cisco AnyConnect VPN Agent for Linux 5.1.2.42'
for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/c.oc.log" && break; sleep 0.1; done
check "... and gets DTLS" grep -q "Established DTLS connection" "$WORK/c.oc.log"
oc_stop a
oc_stop c

# NAT rebinding: the client's UDP source port changes mid-session. openconnect talks to a relay
# in its namespace (a NAT in one process) that moves its upstream UDP port on SIGUSR1; the DTLS
# session must carry on from the new port, with no new handshake.
ip netns exec "$NS_C" python3 "$E2E_DIR/nat_relay.py" 127.0.0.1 "$SERVER_IP" "$PORT" 120 >"$WORK/relay.log" 2>&1 &
RELAY_PID=$!
STARTED_PIDS+=("$RELAY_PID")
for _ in $(seq 1 50); do grep -q "udp source port" "$WORK/relay.log" && break; sleep 0.1; done
SERVER_IP=127.0.0.1 check "openconnect connects through the NAT relay" oc_connect n alice 'alice-Secret1' -v
for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/n.oc.log" && break; sleep 0.1; done
check "... and gets DTLS" grep -q "Established DTLS connection" "$WORK/n.oc.log"
check "ping over DTLS before the NAT moves" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 "$BEHIND_IP"
# While the NAT moves, a flood of forged DTLS records (application data, epoch 1) from the
# client's own IP, 16 ports, about 2000 a second for 10 s: main used to hand a socket for such
# records at most once a second, so the forgeries used up the real client's chance to move;
# now the worker checks each record and main makes a socket only for one that authenticates.
in_ns "$NS_C" python3 -c "import socket, os, time
end = time.time() + 10; n = 0
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(16)]
for s in socks: s.bind(('$CLIENT_IP', 0))
while time.time() < end and n < 40000:
    rec = bytes([23, 0xfe, 0xfd, 0, 1]) + os.urandom(6) + (64).to_bytes(2, 'big') + os.urandom(64)
    socks[n % 16].sendto(rec, ('$SERVER_IP', $PORT)); n += 1
    if n % 100 == 0: time.sleep(0.05)
print(n)" >"$WORK/dtls-flood.out" 2>&1 &
FLOOD_PID=$!
sleep 1
kill -USR1 "$RELAY_PID"
for _ in $(seq 1 50); do [ "$(grep -c "udp source port" "$WORK/relay.log")" -ge 2 ] && break; sleep 0.1; done
check "the relay moved to a new UDP source port" test "$(grep "udp source port" "$WORK/relay.log" | sort -u | wc -l)" -ge 2
in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$BEHIND_IP" >/dev/null 2>&1  # the first datagrams announce the new port
check "the server took the new port (the record decrypted)" wait_for_log "$LOG" "DTLS client moved to a new port"
in7=$(udp_datagrams In)
check "ping works after the NAT moved" in_ns "$NS_C" ping -c 5 -i 0.2 -W 2 "$BEHIND_IP"
in8=$(udp_datagrams In)
check "... carried by UDP" test $((in8 - in7)) -ge 5
check "... in the same DTLS session (one handshake)" test "$(grep -c "Established DTLS connection" "$WORK/n.oc.log")" = 1
wait "$FLOOD_PID"
check "... all under a flood of forged records from the client's IP ($(cat "$WORK/dtls-flood.out") sent)" \
  test "$(cat "$WORK/dtls-flood.out")" -gt 10000
# Forged datagrams on the live path itself: the client's address and its current port, so they
# land on the worker's connected socket. An empty datagram (GnuTLS took it for the end of the
# session), and a junk record followed by a header that claims 16 kB (GnuTLS filled that record
# from the client's next datagrams, so the tunnel went deaf while the forgeries lasted).
NAT_PORT=$(grep "udp source port" "$WORK/relay.log" | tail -n 1 | awk '{print $4}')
JUNK="17fefd00010000000000aa0014$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')"
LIAR="17fefd00010000000000ab3f00deadbeef"
check "forged empty datagrams from the client's own port are sent" \
  in_ns "$NS_C" python3 "$E2E_DIR/spoof_udp.py" "$CLIENT_IP" "$NAT_PORT" "$SERVER_IP" "$PORT" 5 0.05 -
check "... ping works after them" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$BEHIND_IP"
check "... and they did not end the DTLS channel" bash -c "! grep -q 'DTLS channel closed' '$LOG'"
in_ns "$NS_C" python3 "$E2E_DIR/spoof_udp.py" "$CLIENT_IP" "$NAT_PORT" "$SERVER_IP" "$PORT" 60 0.05 \
  "$JUNK$LIAR" >"$WORK/liar.out" 2>&1 &
LIAR_PID=$!
STARTED_PIDS+=("$LIAR_PID")
lost=$(in_ns "$NS_C" ping -c 25 -i 0.1 -W 2 "$BEHIND_IP" | grep -o '[0-9]*% packet loss')
wait "$LIAR_PID"
check "under forged records that claim 16 kB, from the client's own port: no ping lost ($lost)" \
  test "$lost" = "0% packet loss"
check "... $(cat "$WORK/liar.out") forgeries were sent" test "$(cat "$WORK/liar.out")" -ge 50
check "... in the same DTLS session (one handshake)" test "$(grep -c "Established DTLS connection" "$WORK/n.oc.log")" = 1
check "... and the DTLS channel was never dropped" bash -c "! grep -q 'DTLS channel closed' '$LOG'"
oc_stop n
kill "$RELAY_PID" 2>/dev/null
check "no worker died of a signal (PSK server)" bash -c "! grep -Eq 'died of signal|seccomp filter' '$LOG'"
stop_server

# ---- match-tls-dtls-ciphers: the DTLS cipher follows the TLS one
write_conf "$WORK/match.conf" 'match-tls-dtls-ciphers = true
tls-priorities = "NORMAL:%SERVER_PRECEDENCE:-VERS-TLS1.0:-VERS-TLS1.1:-RSA:-CIPHER-ALL:+AES-128-GCM"'
LOG="$WORK/server-match.log"
start_server "$WORK/match.conf" "$LOG" "$WORK/match.pid" "$PORT" || { fail "match server start"; e2e_finish; }
check "openconnect connects (TLS limited to AES-128-GCM)" oc_connect m alice 'alice-Secret1' -v
for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/m.oc.log" && break; sleep 0.1; done
check "with match-tls-dtls-ciphers, DTLS uses the TLS cipher (AES-128-GCM)" grep -q "Ciphersuite (DTLS1.2)-(PSK)-(AES-128-GCM)" "$WORK/m.oc.log"
oc_stop m
stop_server

# ---- legacy (Cisco resumed session): dtls-psk = false; also plain TUN I/O (tun-offload = false)
write_conf "$WORK/legacy.conf" "dtls-psk = false" "tun-offload = false"
LOG="$WORK/server-legacy.log"
start_server "$WORK/legacy.conf" "$LOG" "$WORK/legacy.pid" "$PORT" || { fail "legacy server start"; e2e_finish; }
check "openconnect connects to a legacy-DTLS server" oc_connect l alice 'alice-Secret1' -v
for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/l.oc.log" && break; sleep 0.1; done
check "legacy DTLS is established (resumed session, AES-GCM)" grep -q "Established DTLS connection (using GnuTLS). Ciphersuite (DTLS1.2)-(RSA)-(AES-256-GCM)" "$WORK/l.oc.log"
check "the server chose a cipher from the client's list" grep -q "X-DTLS-CipherSuite: OC-DTLS1_2-AES256-GCM" "$WORK/l.oc.log"
in9=$(udp_datagrams In)
check "ping through the legacy DTLS tunnel" in_ns "$NS_C" ping -c 5 -i 0.2 -W 2 "$BEHIND_IP"
in10=$(udp_datagrams In)
check "... carried by UDP" test $((in10 - in9)) -ge 5
check "with tun-offload = false, 8 MB each way over TCP arrive intact" tcp_copy_ok "$NS_B" "$BEHIND_IP" 5611 8000000
oc_stop l
wait_for_log "$LOG" "user 'alice' disconnected"
check "... and the device had no offload (no GSO writes)" bash -c "! grep -q 'TUN offload' '$LOG'"
check "no worker died of a signal (legacy server)" bash -c "! grep -Eq 'died of signal|seccomp filter' '$LOG'"
e2e_finish
