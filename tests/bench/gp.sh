#!/bin/bash
# GlobalProtect figures in one run, side by side with sslvpnd's own AnyConnect paths and
# Debian's ocserv (same certificate, user, openconnect client and namespaces; alternating runs):
#   - throughput (iperf3 TCP each way) and server CPU seconds per GB moved: GP over ESP, GP over
#     the HTTPS tunnel (--no-dtls), AnyConnect over DTLS and over TLS, ocserv over DTLS;
#   - connect latency (client start -> first ping reply through the tunnel): GP and AnyConnect;
#   - memory (PSS of the whole server) per connected session: GP (ESP) and AnyConnect (DTLS).
# Reports; asserts nothing. Run as root from the source tree after building:
#   tests/bench/gp.sh [SECONDS_PER_RUN] [ROUNDS] [SESSIONS]
set -u
SECS=${1:-5}
ROUNDS=${2:-3}
NSESS=${3:-20}
source "$(dirname "$0")/../e2e/lib.sh"
TEST_NAME=bench-gp
e2e_init
source "$(dirname "$0")/bench_lib.sh"
bench_setup 10.87.0.0/21
VPN_GW=10.87.0.1
write_confs "udp-port = $PORT" "max-clients = 0"
echo "gp-esp-port = 4501" >> "$WORK/sslvpnd.conf"  # ocserv does not know the key

# path -> server and openconnect arguments
srv_of() { [ "$1" = oc-dtls ] && echo ocserv || echo sslvpnd; }
args_of() {
  case $1 in
    gp-esp) echo "--protocol=gp" ;;
    gp-https) echo "--protocol=gp --no-dtls" ;;
    ac-dtls|oc-dtls) echo "" ;;
    ac-tls) echo "--no-dtls" ;;
  esac
}

run_one() {  # run_one PATH -> "up_bps down_bps server_cpu_s_per_gb client_cpu_s_per_gb"
  local path=$1 spid
  start_srv "$(srv_of "$path")"
  spid=$SPID
  rm -f "$WORK/b.env.connect" "$WORK/b.oc.pid"
  # shellcheck disable=SC2046
  oc_connect b bench 'bench-Pass1' $(args_of "$path") >/dev/null || { echo "0 0 0 0"; stop_srv; return; }
  sleep 2  # the datagram channel (DTLS handshake, ESP probes) comes up first
  local t0 t1 c0 c1 up_bytes up_bps down_bytes down_bps hz
  t0=$(server_ticks "$spid"); c0=$(server_ticks "$OC_PID_b")
  read -r up_bytes up_bps <<<"$(iperf_run 5301 "$SECS")"
  read -r down_bytes down_bps <<<"$(iperf_run 5302 "$SECS" -R)"
  t1=$(server_ticks "$spid"); c1=$(server_ticks "$OC_PID_b")
  hz=$(getconf CLK_TCK)
  # The client shares the machine's cores: its cost per GB bounds the throughput too.
  echo "$up_bps $down_bps $(python3 -c "b=max($up_bytes+$down_bytes,1); print(round(($t1-$t0)/$hz/b*1e9, 2), round(($c1-$c0)/$hz/b*1e9, 2))")"
  oc_stop b
  stop_srv
}

latency_run() {  # latency_run PATH -> ms from client start to the first ping reply
  local t0 t1 pidfile="$WORK/lat.oc.pid" pid
  rm -f "$pidfile"
  t0=$(date +%s%3N)
  # shellcheck disable=SC2046
  printf 'bench-Pass1\n' | in_ns "$NS_C" openconnect -b --pid-file="$pidfile" --passwd-on-stdin --non-inter \
    -u bench --servercert "$PIN" --script "$E2E_DIR/client-script.sh" -i tunlat $(args_of "$1") \
    "https://$SERVER_IP:$PORT/" >/dev/null 2>&1
  for _ in $(seq 1 400); do in_ns "$NS_C" ping -c 1 -W 0.05 -i 0.01 "$VPN_GW" >/dev/null 2>&1 && break; done
  t1=$(date +%s%3N)
  pid=$(cat "$pidfile" 2>/dev/null)
  [ -n "$pid" ] && { kill -INT "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; }
  echo $((t1 - t0))
}

memory_per_session() {  # memory_per_session PATH -> kB of server PSS per connected session
  local i p0 pn
  start_srv "$(srv_of "$1")"
  sleep 1
  p0=$(server_pss_kb "$SPID")
  for i in $(seq 1 "$NSESS"); do
    # shellcheck disable=SC2046
    oc_connect "m$i" bench 'bench-Pass1' $(args_of "$1") >/dev/null 2>&1 || echo "session $i failed" >&2
  done
  sleep 3
  pn=$(server_pss_kb "$SPID")
  for i in $(seq 1 "$NSESS"); do oc_stop "m$i"; done
  stop_srv
  echo $(((pn - p0) / NSESS))
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
PATHS="gp-esp gp-https ac-dtls ac-tls oc-dtls"
for r in $(seq 1 "$ROUNDS"); do
  for p in $PATHS; do
    read -r u d c k <<<"$(run_one "$p")"
    echo "$u" >>"$WORK/$p.up"; echo "$d" >>"$WORK/$p.down"; echo "$c" >>"$WORK/$p.cpu"; echo "$k" >>"$WORK/$p.ccpu"
    echo "round $r $p: up $((u / 1000000)) Mbit/s, down $((d / 1000000)) Mbit/s, server $c, client $k CPU-s/GB" >&2
  done
done
for p in gp-esp ac-dtls; do
  start_srv sslvpnd
  for _ in $(seq 1 5); do latency_run "$p" >>"$WORK/$p.lat"; done
  stop_srv
done
for p in gp-esp ac-dtls; do memory_per_session "$p" >"$WORK/$p.mem"; done

printf '\nOne openconnect client, iperf3 TCP %ss per direction, median of %s rounds\n' "$SECS" "$ROUNDS"
printf '%-30s %10s %10s %12s %12s\n' "path" "up Mbit/s" "down Mbit/s" "server CPU-s/GB" "client CPU-s/GB"
for p in $PATHS; do
  printf '%-30s %10s %10s %12s %12s\n' "$p" "$(($(median <"$WORK/$p.up") / 1000000))" \
    "$(($(median <"$WORK/$p.down") / 1000000))" "$(median <"$WORK/$p.cpu")" "$(median <"$WORK/$p.ccpu")"
done
printf '\n%-30s %10s %10s\n' "sslvpnd" "GP (ESP)" "AnyConnect (DTLS)"
printf '%-30s %10s %10s\n' "connect latency, median ms" "$(median <"$WORK/gp-esp.lat")" "$(median <"$WORK/ac-dtls.lat")"
printf '%-30s %10s %10s\n' "PSS per session, kB ($NSESS)" "$(cat "$WORK/gp-esp.mem")" "$(cat "$WORK/ac-dtls.mem")"
PASSED=1
e2e_finish >/dev/null
