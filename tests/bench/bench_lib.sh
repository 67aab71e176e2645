# Shared by the benchmarks: the same server configuration for sslvpnd and ocserv, starting and
# stopping either in the server namespace, and the CPU and memory of a server's process tree.
# Source after tests/e2e/lib.sh; call bench_setup first.

# bench_setup VPN_NET: namespaces, certificate, user "bench", PORT, routes back to VPN_NET.
bench_setup() {
  command -v ocserv >/dev/null || e2e_skip "needs ocserv (apt-get install ocserv)"
  command -v iperf3 >/dev/null || e2e_skip "needs iperf3"
  ns_setup
  SERVER_NS=$NS_S
  PIN=$(make_cert "$WORK/cert" ecdsa)
  PW="$WORK/passwd"
  add_user "$PW" bench 'bench-Pass1' staff
  PORT=4443
  VPN_NET=$1
  ns_route_vpn_back "$VPN_NET"
}

# write_confs [EXTRA LINE...]: $WORK/sslvpnd.conf and $WORK/ocserv.conf with the same settings.
write_confs() {
  local common
  common="auth = \"plain[passwd=$PW]\"
tcp-port = $PORT
server-cert = $WORK/cert/cert.pem
server-key = $WORK/cert/key.pem
run-as-user = $RUN_AS_USER
run-as-group = $RUN_AS_USER
ipv4-network = $VPN_NET
route = $BEHIND_NET
max-same-clients = 0
max-ban-score = 0
dpd = 90"
  printf '%s\n' "$common" "$@" > "$WORK/sslvpnd.conf"
  printf '%s\n' "$common" "$@" "socket-file = $WORK/ocserv.sock" "isolate-workers = true" "device = vpns" \
    "keepalive = 32400" "try-mtu-discovery = false" "cisco-client-compat = true" > "$WORK/ocserv.conf"
}

# start_srv sslvpnd|ocserv: starts it in the server namespace (ip netns exec execs it, so $! is
# the server's own pid) and waits for its port. Sets SPID. With SRV_CPUS (a taskset list) the
# server and its children run on those CPUs only.
start_srv() {
  local pin=()
  [ -n "${SRV_CPUS:-}" ] && pin=(taskset -c "$SRV_CPUS")
  if [ "$1" = sslvpnd ]; then
    ip netns exec "$NS_S" "${pin[@]}" "$SSLVPND" -f -d 1 -c "$WORK/sslvpnd.conf" >"$WORK/$1.log" 2>&1 &
  else
    ip netns exec "$NS_S" "${pin[@]}" ocserv -f -c "$WORK/ocserv.conf" >"$WORK/$1.log" 2>&1 &
  fi
  SPID=$!
  STARTED_PIDS+=("$SPID")
  for _ in $(seq 1 100); do [ -n "$(in_ns "$NS_S" ss -Htln "sport = :$PORT")" ] && break; sleep 0.1; done
  sleep 0.3
}
stop_srv() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; sleep 0.5; }

descendants() {  # the pid and all its descendants
  local out="$1" p
  for p in $(cat "/proc/$1/task/"*/children 2>/dev/null); do out="$out $(descendants "$p")"; done
  echo "$out"
}
# server_ticks PID: user+system clock ticks of the process tree (with reaped children).
server_ticks() {
  local total=0 p v
  for p in $(descendants "$1"); do  # a process may end between the listing and the read
    v=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
# server_pss_kb PID: proportional set size of the process tree.
server_pss_kb() {
  local total=0 p v
  for p in $(descendants "$1"); do
    v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
