#!/bin/bash
# OpenVPN side by side: sslvpnd against Debian's own openvpn 2.6 as the server, both in userspace
# (openvpn --disable-dco), in the same run: the same certificate and key, user, tls-crypt key,
# AES-256-GCM, the same real openvpn client configuration and the same network namespaces,
# alternating runs. For each transport (udp, tcp): iperf3 TCP upload and download through the
# tunnel, server CPU seconds per GB moved (sslvpnd: main, sec-mod and workers; openvpn: its one
# process), connect latency (client start to "Initialization Sequence Completed", median of
# LAT_RUNS, default 5) and the server memory one session costs (sslvpnd: its worker's RSS and
# PSS; openvpn: how much its RSS and PSS grow with one client). Reports; asserts nothing.
# Then MANY clients (default 40; 0: skip) started at once against each server over UDP: the
# seconds until all are up (handshakes per second) and the private memory per session.
# ONLY_MANY=1 skips the throughput and latency runs (a large MANY alone: the pools are a /21, so
# up to 2000 clients). Run as root from the source tree after building:
#   [MANY=N] [ONLY_MANY=1] tests/bench/openvpn.sh [SECONDS_PER_RUN] [ROUNDS] [udp|tcp|both]
# CLIENT_EXTRA: lines added to the client's configuration (an A/B of a pushed option, say
# 'pull-filter ignore "rcvbuf"').

set -u
SECS=${1:-5}
ROUNDS=${2:-3}
MODES=${3:-both}
LAT_RUNS=${LAT_RUNS:-5}
[ "$MODES" = both ] && MODES="udp tcp"
case $MODES in udp|tcp|"udp tcp") ;; *) echo "usage: $0 [SECONDS_PER_RUN] [ROUNDS] [udp|tcp|both]"; exit 2 ;; esac
source "$(dirname "$0")/../e2e/lib.sh"
TEST_NAME=bench-openvpn
e2e_init  # skips unless root
source "$(dirname "$0")/bench_lib.sh"
OPENVPN=${OPENVPN:-$(command -v openvpn || echo /usr/sbin/openvpn)}
[ -x "$OPENVPN" ] || e2e_skip "needs openvpn 2.6 (apt-get install openvpn)"
command -v iperf3 >/dev/null || e2e_skip "needs iperf3 (apt-get install iperf3)"
command -v python3 >/dev/null || e2e_skip "needs python3"
[ -c /dev/net/tun ] || e2e_skip "needs /dev/net/tun"

ns_setup
SERVER_NS=$NS_S
make_cert "$WORK/cert" ecdsa >/dev/null  # EKU serverAuth: the client's remote-cert-tls server
CERT="$WORK/cert/cert.pem" KEY="$WORK/cert/key.pem"
PW="$WORK/passwd"
add_user "$PW" bench 'bench-Pass1' staff
printf '%s\n' bench 'bench-Pass1' >"$WORK/bench.up"; chmod 600 "$WORK/bench.up"
"$OPENVPN" --genkey secret "$WORK/tc.key" >/dev/null 2>&1 || e2e_skip "openvpn --genkey secret failed"
chmod 600 "$WORK/tc.key"
PORT=4443 OV_PORT=1194 VPN_NET=10.86.0.0/21
ns_route_vpn_back "$VPN_NET"

cat >"$WORK/sslvpnd.conf" <<CONF
auth = "plain[passwd=$PW]"
tcp-port = $PORT
server-cert = $CERT
server-key = $KEY
run-as-user = $RUN_AS_USER
run-as-group = $RUN_AS_USER
ipv4-network = $VPN_NET
route = $BEHIND_NET
max-same-clients = 0
max-ban-score = 0
dpd = 90
openvpn-udp-port = $OV_PORT
openvpn-tcp-port = $OV_PORT
openvpn-tls-crypt = $WORK/tc.key
openvpn-data-ciphers = AES-256-GCM
CONF
# openvpn's --auth-user-pass-verify FILE via-file: the user name, then the password
cat >"$WORK/auth.sh" <<'SH'
#!/bin/sh
[ "$(sed -n 1p "$1")" = bench ] && [ "$(sed -n 2p "$1")" = bench-Pass1 ]
SH
chmod 755 "$WORK/auth.sh"

# ---- servers -------------------------------------------------------------------------------
# start_server_of sslvpnd|openvpn udp|tcp: starts that server in the server namespace (ip netns
# exec execs it: $! is the server itself) and waits (at most 10 s) for its OpenVPN port. Sets SPID.
start_server_of() {
  local srv=$1 tr=$2 ss_flag=-Huln
  [ "$tr" = tcp ] && ss_flag=-Htln
  if [ "$srv" = sslvpnd ]; then
    start_srv sslvpnd  # bench_lib.sh: -d 1, waits for the AnyConnect TCP port
  else
    local proto=udp4
    [ "$tr" = tcp ] && proto=tcp4-server
    rm -f "$WORK/openvpn.log"
    ip netns exec "$NS_S" "$OPENVPN" --dev tunovs --dev-type tun --topology subnet \
      --server "${VPN_NET%/*}" 255.255.248.0 --proto "$proto" --port "$OV_PORT" \
      --ca "$CERT" --cert "$CERT" --key "$KEY" --dh none --tls-crypt "$WORK/tc.key" \
      --verify-client-cert none --script-security 2 --auth-user-pass-verify "$WORK/auth.sh" via-file \
      --data-ciphers AES-256-GCM --keepalive 10 60 --disable-dco \
      --push "route ${BEHIND_NET%/*} 255.255.255.0" --verb 3 --log "$WORK/openvpn.log" \
      </dev/null >/dev/null 2>&1 &
    SPID=$!
    STARTED_PIDS+=("$SPID")
  fi
  for _ in $(seq 1 100); do
    if [ -n "$(in_ns "$NS_S" ss "$ss_flag" "sport = :$OV_PORT")" ]; then
      [ "$srv" = sslvpnd ] && return 0
      grep -q 'Initialization Sequence Completed' "$WORK/openvpn.log" 2>/dev/null && return 0
    fi
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  echo "$srv ($tr) did not start; its log:" >&2; tail -n 20 "$WORK/$srv.log" >&2
  return 1
}
# stop_pid PID: SIGTERM, at most 10 s, then SIGKILL; reaps it.
stop_pid() {
  kill "$1" 2>/dev/null
  for _ in $(seq 1 100); do alive "$1" || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
alive() {  # alive PID: running (not a zombie)
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) && [ -n "$st" ] && [ "$st" != Z ]
}

# ---- the client: the real openvpn, the same configuration for both servers ------------------
# client_start NAME udp|tcp: openvpn in the client namespace, device tunNAME, log $WORK/ov-NAME.log.
# Sets CPID.
client_start() {
  local name=$1 tr=$2 proto=udp exitn="explicit-exit-notify 1"
  [ "$tr" = tcp ] && proto=tcp-client exitn=""
  cat >"$WORK/$name.ovpn" <<OVPN
client
dev tun$name
dev-type tun
proto $proto
remote $SERVER_IP $OV_PORT
nobind
ca $CERT
remote-cert-tls server
auth-user-pass $WORK/bench.up
tls-crypt $WORK/tc.key
data-ciphers AES-256-GCM
disable-dco
verb 3
connect-retry-max 1
server-poll-timeout 10
$exitn
${CLIENT_EXTRA:-}
OVPN
  rm -f "$WORK/ov-$name.log"
  ip netns exec "$NS_C" "$OPENVPN" --config "$WORK/$name.ovpn" --log "$WORK/ov-$name.log" \
    </dev/null >/dev/null 2>&1 &
  CPID=$!
  STARTED_PIDS+=("$CPID")
}
# client_up NAME: waits (at most 30 s, polling every 20 ms) for "Initialization Sequence
# Completed"; fails at once if openvpn exits first.
client_up() {
  for _ in $(seq 1 1500); do
    grep -q 'Initialization Sequence Completed' "$WORK/ov-$1.log" 2>/dev/null && return 0
    alive "$CPID" || return 1
    sleep 0.02
  done
  return 1
}
tun_packets() {  # tun_packets NAME: the client device's packets received and sent
  ip -n "$NS_C" -s -o link show dev "tun$1" 2>/dev/null |
    awk '{for (i = 1; i <= NF; i++) { if ($i == "RX:") r = i; if ($i == "TX:") t = i }; print $(r + 9), $(t + 9)}'
}
udp_drops() {  # "server client": UDP datagrams dropped for a full receive buffer in each namespace
  echo "$(ip netns exec "$NS_S" awk '$1 == "Udp:" && $2 ~ /^[0-9]/ {print $6}' /proc/net/snmp)" \
    "$(ip netns exec "$NS_C" awk '$1 == "Udp:" && $2 ~ /^[0-9]/ {print $6}' /proc/net/snmp)"
}
client_mtu() { ip -n "$NS_C" -o link show dev "tun$1" 2>/dev/null | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'; }

# ---- memory ----------------------------------------------------------------------------------
# What one session costs. sslvpnd: its worker (forked from the zygote: RSS and PSS count pages
# it shares with it) and its private pages (USS: freed when the session ends), plus the private
# dirty growth of main and sec-mod. openvpn: the growth of its RSS and of its private dirty pages.
# PSS growth says nothing for openvpn: the client (same binary and libraries) starting lowers the
# server's PSS; dirty pages are not shared with an unrelated process.
rollup() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null; }  # rollup PID Rss|Pss|...
sum_of() {  # sum_of FIELD PID...: kB over those processes (one may end between listing and read)
  local f=$1 total=0 p v
  shift
  for p in "$@"; do v=$(rollup "$p" "$f"); total=$((total + ${v:-0})); done
  echo "$total"
}
# mem_of SRV: "rss pss uss private_dirty" in kB: rss, pss, uss of the sslvpnd-worker processes
# (openvpn: rss and pss of the server, uss 0), private_dirty of the others but the zygote
mem_of() {
  local p c w="" o=""
  for p in $(descendants "$SPID"); do
    c=$(cat "/proc/$p/comm" 2>/dev/null)
    [ "$c" = sslvpnd-worker ] && w="$w $p"
    [ "$c" != sslvpnd-worker ] && [ "$c" != sslvpnd-zygote ] && o="$o $p"
  done
  [ "$1" = openvpn ] && w=$SPID
  # shellcheck disable=SC2086  # lists of PIDs
  echo "$(sum_of Rss $w) $(sum_of Pss $w) $(( $(sum_of Private_Clean $w) + $(sum_of Private_Dirty $w) ))" \
    "$(sum_of Private_Dirty $o)"
}

# ---- one throughput run ----------------------------------------------------------------------
# run_one SRV udp|tcp: appends "up_bps down_bps cpu_s_per_gb session_rss_kb session_pss_kb
# session_private_kb tun_mtu" to $WORK/runs.SRV.TR (run in this shell, not in $(...), so that
# STARTED_PIDS keeps every process it starts for the cleanup)
run_one() {
  local srv=$1 tr=$2 spid r0 d0 r1 p1 u1 d1 priv out="$WORK/runs.$1.$2"
  start_server_of "$srv" "$tr" || { echo "0 0 0 0 0 0 0" >>"$out"; stop_pid "$SPID"; return; }
  spid=$SPID
  sleep 1
  read -r r0 _ _ d0 <<<"$(mem_of "$srv")"
  client_start b "$tr"
  if ! client_up b; then
    echo "$srv $tr: the client did not connect; its log:" >&2; tail -n 15 "$WORK/ov-b.log" >&2
    echo "0 0 0 0 0 0 0" >>"$out"; stop_pid "$CPID"; stop_pid "$spid"; return
  fi
  sleep 1
  read -r r1 p1 u1 d1 <<<"$(mem_of "$srv")"
  priv=$((u1 + d1 - d0))
  # sslvpnd: the worker's own figures (it exists only for the session); openvpn: the growth
  [ "$srv" = openvpn ] && { r1=$((r1 - r0)); p1=-; priv=$((d1 - d0)); }
  local mtu; mtu=$(client_mtu b)
  local t0 t1 up_bytes up_bps down_bytes down_bps hz
  t0=$(server_ticks "$spid")
  local rx0 tx0 rx1 tx1
  read -r rx0 tx0 <<<"$(tun_packets b)"
  local dr0 dr1; dr0=$(udp_drops)
  read -r up_bytes up_bps <<<"$(iperf_run 5301 "$SECS")"
  read -r rx1 tx1 <<<"$(tun_packets b)"
  dr1=$(udp_drops)
  local s0 c0 s1 c1; read -r s0 c0 <<<"$dr0"; read -r s1 c1 <<<"$dr1"
  echo "$srv $tr upload: datagrams dropped for a full receive buffer: $((s1 - s0)) by the server," \
    "$((c1 - c0)) by the client" >&2
  # upload: the packets the client sent, and the ACKs it got back (its TUN device's counters)
  echo "$srv $tr upload: the client sent $((tx1 - tx0)) packets and got $((rx1 - rx0)) back" >&2
  read -r down_bytes down_bps <<<"$(iperf_run 5302 "$SECS" -R)"
  read -r s0 c0 <<<"$(udp_drops)"
  echo "$srv $tr download: datagrams dropped for a full receive buffer: $((s0 - s1)) by the server," \
    "$((c0 - c1)) by the client" >&2
  t1=$(server_ticks "$spid")
  hz=$(getconf CLK_TCK)
  echo "$up_bps $down_bps $(python3 -c "print(round(($t1-$t0)/$hz/max($up_bytes+$down_bytes,1)*1e9, 2))")" \
    "$r1" "$p1" "$priv" "${mtu:-0}" >>"$out"
  stop_pid "$CPID"
  stop_pid "$spid"
  sleep 0.5
}

# ---- connect latency: LAT_RUNS clients one after the other against one server ------------------
latency() {  # latency SRV udp|tcp: one ms figure a line to $WORK/res.SRV.TR.lat
  local srv=$1 tr=$2 t0 t1 i out="$WORK/res.$1.$2.lat"
  : >"$out"
  start_server_of "$srv" "$tr" || { stop_pid "$SPID"; return; }
  sleep 1
  for i in $(seq 1 "$LAT_RUNS"); do
    t0=$(date +%s%N)
    client_start lat "$tr"
    if client_up lat; then
      t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)) >>"$out"
    else
      echo "$srv $tr: latency run $i did not connect" >&2
    fi
    stop_pid "$CPID"  # explicit-exit-notify over UDP: both servers drop the session at once
  done
  stop_pid "$SPID"
  sleep 0.5
}

# ---- many sessions at once: MANY clients started together against one server (UDP) ------------
# many SRV: "seconds_until_all_up handshakes_per_s private_kB_per_session" to $WORK/res.SRV.many
many() {
  local srv=$1 n=$MANY i p t0 t1 up d0 u1 d1 pids=() out="$WORK/res.$1.many"
  echo "- - -" >"$out"
  start_server_of "$srv" udp || { stop_pid "$SPID"; return; }
  sleep 1
  read -r _ _ _ d0 <<<"$(mem_of "$srv")"
  t0=$(date +%s%N)
  for i in $(seq 1 "$n"); do client_start "m$i" udp; pids+=("$CPID"); done
  # One grep over all the logs per poll (a grep per client would cost the 2 cores more than
  # the handshakes do at MANY=1000); at most 1200 polls and 300 s.
  for _ in $(seq 1 1200); do
    up=$(grep -ls 'Initialization Sequence Completed' "$WORK"/ov-m*.log | wc -l)
    [ "$up" -ge "$n" ] && break
    [ $(($(date +%s%N) - t0)) -gt 300000000000 ] && break
    sleep 0.1
  done
  t1=$(date +%s%N)
  sleep 2
  read -r _ _ u1 d1 <<<"$(mem_of "$srv")"
  [ "$srv" = openvpn ] && u1=0
  if [ "$up" = "$n" ]; then
    python3 -c "s=($t1-$t0)/1e9; print(round(s,2), round($n/s,1), round(($u1+$d1-$d0)/$n))" >"$out"
  else
    echo "$srv: only $up of $n sessions came up" >&2
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do stop_pid "$p"; done
  stop_pid "$SPID"
  sleep 1
}

median() { sort -n | awk '{a[NR]=$1} END {print (a[1] == "-" ? "-" : NR ? (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) : 0)}'; }
SRVS="sslvpnd openvpn"
[ "${ONLY_MANY:-0}" = 1 ] && { ROUNDS=0; MODES=""; }
for r in $(seq 1 "$ROUNDS"); do
  for tr in $MODES; do
    for srv in $SRVS; do
      run_one "$srv" "$tr"
      read -r u d c rs ps tp mtu <<<"$(tail -n 1 "$WORK/runs.$srv.$tr")"
      for k in u d c rs ps tp mtu; do echo "${!k}" >>"$WORK/res.$srv.$tr.$k"; done
      echo "round $r $tr $srv: up $((u / 1000000)) Mbit/s, down $((d / 1000000)) Mbit/s, $c CPU-s/GB," \
        "session RSS $rs kB PSS $ps kB, private $tp kB, tun mtu $mtu" >&2
    done
  done
done
for tr in $MODES; do
  for srv in $SRVS; do
    latency "$srv" "$tr"
    echo "latency $tr $srv (ms): $(tr '\n' ' ' <"$WORK/res.$srv.$tr.lat")" >&2
  done
done

MANY=${MANY:-40}
if [ "$MANY" -gt 0 ]; then
  for srv in $SRVS; do
    many "$srv"
    echo "many $srv ($MANY sessions): $(cat "$WORK/res.$srv.many") (s until all up, handshakes/s, private kB per session)" >&2
  done
fi

ratio() { [[ $1$2 == *-* ]] && { echo -; return; }; python3 -c "print(round($1/max($2,0.001),2) if $2 else '-')"; }
row() {  # row LABEL KEY TR [mbit]
  local a b
  a=$(median <"$WORK/res.sslvpnd.$3.$2"); b=$(median <"$WORK/res.openvpn.$3.$2")
  [ "${4:-}" = mbit ] && { a=$((${a%.*} / 1000000)); b=$((${b%.*} / 1000000)); }
  printf '%-44s %12s %12s %8s\n' "$3 $1" "$a" "$b" "$(ratio "$a" "$b")"
}
printf '\nThe openvpn 2.6 client (AES-256-GCM, tls-crypt, disable-dco), iperf3 TCP %ss per direction,\n' "$SECS"
printf 'median of %s rounds; connect latency median of %s; openvpn server --disable-dco\n' "$ROUNDS" "$LAT_RUNS"
printf '%-44s %12s %12s %8s\n' "metric" "sslvpnd" "openvpn" "ratio"
for tr in $MODES; do
  row "throughput up (Mbit/s)" u "$tr" mbit
  row "throughput down (Mbit/s)" d "$tr" mbit
  row "server CPU-s per GB" c "$tr"
  row "connect latency (ms)" lat "$tr"
  row "session RSS, kB (worker | growth)" rs "$tr"
  row "session PSS, kB (worker)" ps "$tr"
  row "session private, kB (USS+ | dirty growth)" tp "$tr"
  row "client tun MTU" mtu "$tr"
done
if [ "$MANY" -gt 0 ]; then
  read -r ms mh mp <<<"$(cat "$WORK/res.sslvpnd.many")"
  read -r os oh op <<<"$(cat "$WORK/res.openvpn.many")"
  printf '%-44s %12s %12s %8s\n' "udp $MANY clients at once: s until all up" "$ms" "$os" "$(ratio "$ms" "$os")"
  printf '%-44s %12s %12s %8s\n' "udp handshakes per second ($MANY at once)" "$mh" "$oh" "$(ratio "$mh" "$oh")"
  printf '%-44s %12s %12s %8s\n' "udp private kB per session ($MANY sessions)" "$mp" "$op" "$(ratio "$mp" "$op")"
fi
PASSED=1
e2e_finish >/dev/null
