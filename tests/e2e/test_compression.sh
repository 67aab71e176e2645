#!/bin/bash
# CSTP and DTLS compression with the real openconnect (ocserv's `compression`): the methods are
# negotiated (oc-lz4 first, lzs by compression-algo-priority), compressible data goes through
# the tunnel both ways intact and compressed (the worker's counters, bytes on the wire), random
# data and small packets go as they are, sslvpnctl shows the methods as occtl does, and a
# client that asks for no compression gets none.
source "$(dirname "$0")/lib.sh"
e2e_init
command -v python3 >/dev/null || e2e_skip "needs python3"
ns_setup
SERVER_NS=$NS_S
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1' staff
PORT=4443
VPN_NET=10.79.0.0/24
CTL="$BUILD_DIR/sslvpnctl"
ns_route_vpn_back "$VPN_NET"

write_conf() {  # write_conf FILE [extra lines]
  { base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
udp-port = $PORT
ipv4-network = $VPN_NET
route = $BEHIND_NET
mtu = 1300
occtl-socket-file = $WORK/ctl.sock
$(printf "%s\n" "${@:2}")
CONF
  } > "$1"
}

# text_copy_ok PORT BYTES: compressible text both ways through the tunnel, intact.
text_copy_ok() { tcp_copy_ok "$NS_B" "$BEHIND_IP" "$1" "$2" text; }

# wire_bytes: bytes received on the server's side of the client veth (what the client sent).
wire_bytes() { in_ns "$NS_S" cat "/sys/class/net/vs$$/statistics/rx_bytes"; }

# counters LOG: "out in" from the worker's last compression line.
counters() {
  sed -n 's/.*): \([0-9]*\) packets compressed to the client, \([0-9]*\) expanded from it.*/\1 \2/p' "$1" | tail -n 1
}

# ---- LZ4 (the default first choice), CSTP and DTLS
write_conf "$WORK/lz4.conf" "compression = true" "no-compress-limit = 256"
LOG="$WORK/server-lz4.log"
check "sslvpnd -t accepts compression, no-compress-limit" "$SSLVPND" -t -c "$WORK/lz4.conf"
start_server "$WORK/lz4.conf" "$LOG" "$WORK/lz4.pid" "$PORT" || { fail "server start"; e2e_finish; }
check "openconnect connects" oc_connect a alice 'alice-Secret1' -v --dump-http-traffic
for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/a.oc.log" && break; sleep 0.1; done
check "the client offered oc-lz4 and lzs" grep -Eq "X-CSTP-Accept-Encoding: ?,?oc-lz4,lzs" "$WORK/a.oc.log"
check "the server chose oc-lz4 for CSTP" grep -q "X-CSTP-Content-Encoding: oc-lz4" "$WORK/a.oc.log"
check "... and for DTLS" grep -q "X-DTLS-Content-Encoding: oc-lz4" "$WORK/a.oc.log"
check "DTLS is up" grep -q "Established DTLS connection" "$WORK/a.oc.log"
check "ping through the tunnel (small packets, sent as they are)" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 "$BEHIND_IP"
check "large pings (1200 bytes of zeros: compressed)" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 -s 1200 -p 00 "$BEHIND_IP"
w0=$(wire_bytes)
check "2 MB of text through the tunnel both ways, intact" text_copy_ok 6000 2000000
w1=$(wire_bytes)
# Up and down each carry 2 MB; the client's side of the wire carries the upload (and ACKs).
check "the upload crossed the wire compressed ($((w1 - w0)) bytes for 2000000)" test $((w1 - w0)) -lt 1300000
out=$("$CTL" -s "$WORK/ctl.sock" show user alice 2>&1)
check "sslvpnctl show user: 'CSTP compression: oc-lz4   DTLS compression: oc-lz4'" \
  grep -q "CSTP compression: oc-lz4   DTLS compression: oc-lz4" <<<"$out"
json=$("$CTL" -s "$WORK/ctl.sock" -j show user alice 2>&1)
check "... and in JSON" grep -q '"CSTP compression": *"oc-lz4"' <<<"$json"
oc_stop a
wait_for_log "$LOG" "packets compressed to the client" 10
read -r c_out c_in <<<"$(counters "$LOG")"
check "the worker compressed packets to the client (${c_out:-0})" test "${c_out:-0}" -gt 500
check "... and expanded packets from it (${c_in:-0})" test "${c_in:-0}" -gt 500
stop_server "$SERVER_PID"

# ---- LZS chosen by compression-algo-priority; random data stays intact and uncompressed
write_conf "$WORK/lzs.conf" "compression = true" "compression-algo-priority = lzs:100"
LOG="$WORK/server-lzs.log"
start_server "$WORK/lzs.conf" "$LOG" "$WORK/lzs.pid" "$PORT" || { fail "server start (lzs)"; e2e_finish; }
check "openconnect connects (lzs)" oc_connect b alice 'alice-Secret1' -v
for _ in $(seq 1 100); do grep -q "Established DTLS connection" "$WORK/b.oc.log" && break; sleep 0.1; done
check "compression-algo-priority lzs:100: the server chose lzs for CSTP" grep -q "X-CSTP-Content-Encoding: lzs" "$WORK/b.oc.log"
check "... and for DTLS" grep -q "X-DTLS-Content-Encoding: lzs" "$WORK/b.oc.log"
check "2 MB of text through LZS both ways, intact" text_copy_ok 6100 2000000
check "1 MB of random bytes both ways, intact" tcp_copy_ok "$NS_B" "$BEHIND_IP" 6200 1000000
out=$("$CTL" -s "$WORK/ctl.sock" show user alice 2>&1)
check "sslvpnctl show user: 'DTLS compression: lzs'" grep -q "CSTP compression: lzs   DTLS compression: lzs" <<<"$out"
oc_stop b
wait_for_log "$LOG" "packets compressed to the client" 10
read -r c_out c_in <<<"$(counters "$LOG")"
check "LZS: packets compressed to the client (${c_out:-0}) and expanded from it (${c_in:-0})" \
  test "${c_out:-0}" -gt 500 -a "${c_in:-0}" -gt 500

# ---- a client that wants none, and CSTP only (no DTLS)
check "openconnect --compression=none connects" oc_connect c alice 'alice-Secret1' -v --compression=none
check "... and is offered no method" bash -c "! grep -q 'Content-Encoding' '$WORK/c.oc.log'"
check "... and passes data" text_copy_ok 6300 300000
oc_stop c
check "openconnect --no-dtls: CSTP compressed alone" oc_connect d alice 'alice-Secret1' -v --no-dtls
check "... X-CSTP-Content-Encoding: lzs, no DTLS encoding" \
  bash -c "grep -q 'X-CSTP-Content-Encoding: lzs' '$WORK/d.oc.log' && ! grep -q 'X-DTLS-Content-Encoding' '$WORK/d.oc.log'"
check "... and passes text intact" text_copy_ok 6400 1000000
oc_stop d
stop_server "$SERVER_PID"

# ---- rx-data-per-sec counts what reaches the device, not the compressed bytes on the wire: a
# client sending compressible data gets no more than its rate into the network.
RATE=250000  # bytes/s
write_conf "$WORK/rate.conf" "compression = true" "rx-data-per-sec = $RATE"
LOG="$WORK/server-rate.log"
start_server "$WORK/rate.conf" "$LOG" "$WORK/rate.pid" "$PORT" || { fail "server start (rate)"; e2e_finish; }
check "openconnect connects (compression with rx-data-per-sec)" oc_connect f alice 'alice-Secret1'
read -r _ up_bps < <(iperf_run 5311 4 --repeating-payload)
limit=$((RATE * 8))
echo "     (limit $limit bit/s; measured up $up_bps bit/s of compressible data)"
check "rx-data-per-sec caps a compressed upload at the limit (expanded size)" \
  test "$up_bps" -gt $((limit / 3)) -a "$up_bps" -lt $((limit * 13 / 10))
oc_stop f
wait_for_log "$LOG" "packets compressed to the client" 10
read -r c_out c_in <<<"$(counters "$LOG")"
check "... and the upload did go compressed (${c_in:-0} packets expanded)" test "${c_in:-0}" -gt 100
stop_server "$SERVER_PID"

# ---- compression off (the default): nothing is negotiated
write_conf "$WORK/off.conf"
LOG="$WORK/server-off.log"
start_server "$WORK/off.conf" "$LOG" "$WORK/off.pid" "$PORT" || { fail "server start (off)"; e2e_finish; }
check "openconnect connects (compression off)" oc_connect e alice 'alice-Secret1' -v
check "without 'compression = true' no method is chosen" bash -c "! grep -q 'Content-Encoding' '$WORK/e.oc.log'"
oc_stop e
e2e_finish
