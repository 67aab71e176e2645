#!/bin/bash
# Connect latency, logins per second, memory per session and the machine's limits, sslvpnd side
# by side with Debian's ocserv (same certificate, user, client, namespaces; alternating runs).
# Reports; asserts nothing. Run as root from the source tree after building:
#   tests/bench/sessions.sh [LATENCY_RUNS] [LOGINS] [SESSIONS]   (LG_SESSIONS=500 for the loadgen rate)
set -u
RUNS=${1:-10}
LOGINS=${2:-40}
NSESS=${3:-20}
source "$(dirname "$0")/../e2e/lib.sh"
TEST_NAME=bench-sessions
e2e_init
source "$(dirname "$0")/bench_lib.sh"
bench_setup 10.89.0.0/21
VPN_GW=10.89.0.1
write_confs "max-clients = 0"

now_ms() { date +%s%3N; }
# ---- connect latency: client start -> first ping reply through the tunnel
latency_run() {  # -> ms
  local t0 t1 pidfile="$WORK/lat.oc.pid"
  rm -f "$pidfile"
  t0=$(now_ms)
  printf 'bench-Pass1\n' | in_ns "$NS_C" openconnect -b --pid-file="$pidfile" --passwd-on-stdin --non-inter \
    -u bench --servercert "$PIN" --script "$E2E_DIR/client-script.sh" -i tunlat \
    "https://$SERVER_IP:$PORT/" >/dev/null 2>&1
  for _ in $(seq 1 400); do in_ns "$NS_C" ping -c 1 -W 0.05 -i 0.01 "$VPN_GW" >/dev/null 2>&1 && break; done
  t1=$(now_ms)
  local pid; pid=$(cat "$pidfile" 2>/dev/null)
  [ -n "$pid" ] && { kill -INT "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; }
  echo $((t1 - t0))
}

for srv in sslvpnd ocserv; do : > "$WORK/$srv.lat"; done
for r in $(seq 1 "$RUNS"); do
  for srv in sslvpnd ocserv; do
    start_srv "$srv"
    latency_run >> "$WORK/$srv.lat"
    stop_srv
  done
done

# ---- logins per second (openconnect --authenticate), sequential and 4 in parallel. Each loop
# runs inside the client namespace (one `ip netns exec` per loop, not per login) and counts a
# login when openconnect printed a cookie; bash's `times` gives the client's own CPU.
login_loop='n=0
for _ in $(seq 1 "$1"); do
  out=$(printf "%s\n" "$2" | openconnect --authenticate --passwd-on-stdin --non-inter -u bench --servercert "$3" "$4" 2>/dev/null)
  [[ $out == *COOKIE=* ]] && n=$((n + 1))
done
times > "$5.t"
echo "$n $(tail -n 1 "$5.t")" > "$5"'
login_rate() {  # login_rate SERVER PARALLEL -> "logins_per_s server_ms_per_login ok client_ms_per_login"
  local srv=$1 par=$2 t0 t1 c0 c1 ok=0 client=0
  start_srv "$srv"
  c0=$(server_ticks "$SPID"); t0=$(now_ms)
  local per=$((LOGINS / par)) j
  for j in $(seq 1 "$par"); do
    rm -f "$WORK/login.$j"
    in_ns "$NS_C" timeout 600 bash -c "$login_loop" _ "$per" bench-Pass1 "$PIN" "https://$SERVER_IP:$PORT/" \
      "$WORK/login.$j" &
  done
  for j in $(seq 1 "$par"); do
    for _ in $(seq 1 6000); do [ -s "$WORK/login.$j" ] && break; sleep 0.1; done
  done
  t1=$(now_ms); c1=$(server_ticks "$SPID")
  for j in $(seq 1 "$par"); do
    # "N 0m0.116s 0m0.098s": logins, then the children's user and system time
    read -r n cu cs < "$WORK/login.$j"
    ok=$((ok + n))
    client=$(python3 -c "import re; f=lambda t: (lambda m: int(m.group(1))*60+float(m.group(2)))(re.match(r'(\d+)m([0-9.]+)s', t)); print($client + f('$cu') + f('$cs'))")
  done
  stop_srv
  local hz; hz=$(getconf CLK_TCK)
  python3 -c "print(round($ok/max(($t1-$t0)/1000,0.001),1), round(($c1-$c0)/$hz*1000/max($ok,1),2), $ok, round($client*1000/max($ok,1),2))"
}
# The floor under any server: starting and ending one openconnect process (--version), ms.
client_floor() {
  local t0 t1
  t0=$(now_ms)
  for _ in $(seq 1 40); do openconnect --version >/dev/null 2>&1; done
  t1=$(now_ms)
  python3 -c "print(round(($t1-$t0)/40, 2))"
}

# ---- memory: PSS of all server processes with 0 and with NSESS tunnels
memory_per_session() {  # SERVER -> "pss0_kb pssN_kb per_session_kb"
  local srv=$1 i p0 pn
  start_srv "$srv"
  sleep 1
  p0=$(server_pss_kb "$SPID")
  for i in $(seq 1 "$NSESS"); do
    rm -f "$WORK/m$i.env.connect"
    oc_connect "m$i" bench 'bench-Pass1' >/dev/null 2>&1 || echo "session $i failed" >&2
  done
  sleep 2
  pn=$(server_pss_kb "$SPID")
  for i in $(seq 1 "$NSESS"); do oc_stop "m$i"; done
  stop_srv
  echo "$p0 $pn $(( (pn - p0) / NSESS ))"
}

read -r s_lps1 s_cpu1 s_ok1 s_cl1 <<<"$(login_rate sslvpnd 1)"
read -r o_lps1 o_cpu1 o_ok1 o_cl1 <<<"$(login_rate ocserv 1)"
read -r s_lps4 s_cpu4 s_ok4 s_cl4 <<<"$(login_rate sslvpnd 4)"
read -r o_lps4 o_cpu4 o_ok4 o_cl4 <<<"$(login_rate ocserv 4)"
floor=$(client_floor)
read -r s_p0 s_pn s_per <<<"$(memory_per_session sslvpnd)"
read -r o_p0 o_pn o_per <<<"$(memory_per_session ocserv)"

# ---- the server's own login capacity: sslvpnd-loadgen asks for sessions faster than either
# server sets them up (no openconnect process per login) and times how long they all took.
LOADGEN="$BUILD_DIR/tools/loadgen/sslvpnd-loadgen"
loadgen_rate() {  # SERVER -> "sessions_per_s established"
  local srv=$1 out
  start_srv "$srv"
  out=$(in_ns "$NS_C" timeout 300 "$LOADGEN" --server "$SERVER_IP:$PORT" --user bench --password bench-Pass1 \
    --sessions "$LG_SESSIONS" --rate 2000 --hold 1 --dpd 30 --timeout 120 --json 2>"$WORK/lg.err")
  stop_srv
  python3 - "$out" "$WORK/lg.err" <<'PY'
import json, re, sys
d = json.loads(sys.argv[1]) if sys.argv[1].strip() else {"established": 0}
m = re.search(r"up after ([0-9.]+) s", open(sys.argv[2]).read())
t = float(m.group(1)) if m else 0
print(round(d["established"] / t, 1) if t else 0, d["established"])
PY
}
LG_SESSIONS=${LG_SESSIONS:-500}
read -r s_lg s_lg_ok <<<"$(loadgen_rate sslvpnd)"
read -r o_lg o_lg_ok <<<"$(loadgen_rate ocserv)"

# ---- the machine's limits
timeout 30 ip netns exec "$NS_S" iperf3 -s -1 -p 5400 >/dev/null 2>&1 &
sleep 0.3
raw=$(in_ns "$NS_C" timeout 20 iperf3 -c "$SERVER_IP" -p 5400 -t 3 -J 2>/dev/null |
  python3 -c "import json,sys; print(int(json.load(sys.stdin)['end']['sum_received']['bits_per_second']/1e6))" 2>/dev/null)
ciphers=$(timeout 60 gnutls-cli --benchmark-ciphers 2>&1 | grep -E "^ *(AES-128-GCM|AES-256-GCM|CHACHA20-POLY1305) " | head -3)

stats() { sort -n | awk '{a[NR]=$1} END {m=(NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); print m, a[1], a[NR]}'; }
read -r s_med s_min s_max <<<"$(stats < "$WORK/sslvpnd.lat")"
read -r o_med o_min o_max <<<"$(stats < "$WORK/ocserv.lat")"
ratio() { python3 -c "print(round($1/max($2,0.001),2))"; }

printf '\n%-46s %14s %14s %7s\n' "metric" "sslvpnd" "ocserv" "ratio"
printf '%-46s %14s %14s %7s\n' "connect latency median, ms ($RUNS runs)" "$s_med" "$o_med" "$(ratio "$s_med" "$o_med")"
printf '%-46s %14s %14s %7s\n' "connect latency min / max, ms" "$s_min / $s_max" "$o_min / $o_max" ""
printf '%-46s %14s %14s %7s\n' "logins/s sequential ($LOGINS)" "$s_lps1" "$o_lps1" "$(ratio "$s_lps1" "$o_lps1")"
printf '%-46s %14s %14s %7s\n' "logins/s 4 in parallel" "$s_lps4" "$o_lps4" "$(ratio "$s_lps4" "$o_lps4")"
printf '%-46s %14s %14s %7s\n' "server CPU ms per login (sequential)" "$s_cpu1" "$o_cpu1" "$(ratio "$s_cpu1" "$o_cpu1")"
printf '%-46s %14s %14s %7s\n' "server CPU ms per login (parallel)" "$s_cpu4" "$o_cpu4" "$(ratio "$s_cpu4" "$o_cpu4")"
printf '%-46s %14s %14s %7s\n' "client CPU ms per login (sequential)" "$s_cl1" "$o_cl1" "$(ratio "$s_cl1" "$o_cl1")"
printf '%-46s %14s %14s %7s\n' "logins that succeeded (seq / par)" "$s_ok1 / $s_ok4" "$o_ok1 / $o_ok4" ""
printf '%-46s %14s %14s %7s\n' "sessions set up/s, loadgen ($LG_SESSIONS at once)" "$s_lg" "$o_lg" "$(ratio "$s_lg" "$o_lg")"
printf '%-46s %14s %14s %7s\n' "... of which came up" "$s_lg_ok" "$o_lg_ok" ""
printf '%-46s %14s %14s %7s\n' "server PSS idle, kB" "$s_p0" "$o_p0" "$(ratio "$s_p0" "$o_p0")"
printf '%-46s %14s %14s %7s\n' "server PSS with $NSESS tunnels, kB" "$s_pn" "$o_pn" "$(ratio "$s_pn" "$o_pn")"
printf '%-46s %14s %14s %7s\n' "PSS per tunnel, kB" "$s_per" "$o_per" "$(ratio "$s_per" "$o_per")"
printf '\nclient floor: openconnect --version (process start and exit) takes %s ms\n' "$floor"
printf 'machine: raw veth TCP %s Mbit/s (iperf3 3 s); gnutls-cli --benchmark-ciphers:\n%s\n' "${raw:-?}" "$ciphers"
PASSED=1
e2e_finish >/dev/null
