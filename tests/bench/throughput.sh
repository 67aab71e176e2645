#!/bin/bash
# Tunnel throughput, sslvpnd side by side with Debian's ocserv: the same certificate, user,
# openconnect client and network namespaces, alternating runs, over TLS only (CSTP) and over
# DTLS, and with LZ4 compression on compressible data (both servers with `compression = true`,
# iperf3 --repeating-payload; the client's default methods, oc-lz4 first). Reports; asserts
# nothing. Run as root from the source tree after building:
#   tests/bench/throughput.sh [SECONDS_PER_RUN] [ROUNDS] [tls|dtls|both|tls-lz4|dtls-lzs|...|compression|all]
# The method each server chose is printed per run (Debian's ocserv is built without LZ4 and
# then picks lzs).
# Prints a table of Mbit/s (median of ROUNDS) and server CPU seconds per GB moved.
set -u
SECS=${1:-5}
ROUNDS=${2:-3}
MODES=${3:-both}
[ "$MODES" = both ] && MODES="tls dtls"
[ "$MODES" = compression ] && MODES="tls-lz4 dtls-lz4 tls-lzs dtls-lzs"
[ "$MODES" = all ] && MODES="tls dtls tls-lz4 dtls-lz4 tls-lzs dtls-lzs"
source "$(dirname "$0")/../e2e/lib.sh"
TEST_NAME=bench-throughput
e2e_init
source "$(dirname "$0")/bench_lib.sh"
bench_setup 10.88.0.0/24
write_confs "udp-port = $PORT"

run_one() {  # run_one sslvpnd|ocserv MODE -> prints "up_bps down_bps cpu_s_per_gb"
  local which=$1 mode=$2 spid payload=()
  local dtls_arg=--no-dtls
  [ "${mode%-*}" = dtls ] && dtls_arg=""
  if [ "$mode" != "${mode%-*}" ]; then  # tls-lz4, dtls-lzs...: that method first
    local method=${mode#*-}
    [ "$method" = lz4 ] && method=oc-lz4
    write_confs "udp-port = $PORT" "compression = true" "compression-algo-priority = $method:100"
    payload=(--repeating-payload)
  else
    write_confs "udp-port = $PORT"
  fi
  start_srv "$which"
  spid=$SPID
  rm -f "$WORK/b.env.connect" "$WORK/b.oc.pid"
  oc_connect b bench 'bench-Pass1' -v $dtls_arg >/dev/null || { echo "0 0 0"; kill "$spid"; wait "$spid" 2>/dev/null; return; }
  # with DTLS, give the handshake a moment so the transfer runs over UDP
  [ -z "$dtls_arg" ] && sleep 2
  local t0 t1 bytes
  t0=$(server_ticks "$spid")
  local up_bytes up_bps down_bytes down_bps
  read -r up_bytes up_bps <<<"$(iperf_run 5301 "$SECS" "${payload[@]}")"
  read -r down_bytes down_bps <<<"$(iperf_run 5302 "$SECS" -R "${payload[@]}")"
  t1=$(server_ticks "$spid")
  bytes=$((up_bytes + down_bytes))
  local hz; hz=$(getconf CLK_TCK)
  echo "$up_bps $down_bps $(python3 -c "print(round(($t1-$t0)/$hz/max($bytes,1)*1e9, 2))")"
  oc_stop b
  kill "$spid"; wait "$spid" 2>/dev/null
  sleep 0.5
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for r in $(seq 1 "$ROUNDS"); do
  for mode in $MODES; do
    for srv in sslvpnd ocserv; do
      read -r u d c <<<"$(run_one "$srv" "$mode")"
      [ "$mode" != "${mode%-*}" ] && echo "  $srv chose: $(grep -o 'X-CSTP-Content-Encoding: [a-z0-9-]*' "$WORK/b.oc.log" | tail -n 1)" >&2
      echo "$u" >>"$WORK/$srv.$mode.up"; echo "$d" >>"$WORK/$srv.$mode.down"; echo "$c" >>"$WORK/$srv.$mode.cpu"
      echo "round $r $mode $srv: up $((u / 1000000)) Mbit/s, down $((d / 1000000)) Mbit/s, ${c} CPU-s/GB" >&2
    done
  done
done

printf '\nOne openconnect client, iperf3 TCP %ss per direction, median of %s rounds\n' "$SECS" "$ROUNDS"
printf '%-34s %12s %12s %8s\n' "metric" "sslvpnd" "ocserv" "ratio"
for mode in $MODES; do
  for m in up down; do
    a=$(median <"$WORK/sslvpnd.$mode.$m"); b=$(median <"$WORK/ocserv.$mode.$m")
    printf '%-34s %12s %12s %8s\n' "$mode throughput $m (Mbit/s)" "$((a / 1000000))" "$((b / 1000000))" \
      "$(python3 -c "print(round($a/max($b,1),2))")"
  done
  a=$(median <"$WORK/sslvpnd.$mode.cpu"); b=$(median <"$WORK/ocserv.$mode.cpu")
  printf '%-34s %12s %12s %8s\n' "$mode server CPU-s per GB" "$a" "$b" "$(python3 -c "print(round($a/max($b,0.001),2))")"
done
PASSED=1
e2e_finish >/dev/null
