# Shared helpers for sslvpnd's end-to-end tests. Source it; then call e2e_init.
# Every test makes its own temp dir, certificates, password file and server, on a free
# loopback port, and its trap ends only the processes it started (by PID).
set -u

BUILD_DIR=${BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../build" && pwd)}
SSLVPND="$BUILD_DIR/sslvpnd"
PASSWD_TOOL="$BUILD_DIR/sslvpnd-passwd"
RUN_AS_USER=${RUN_AS_USER:-sslvpnd}
PASSED=0
FAILED=0
STARTED_PIDS=()
SERVER_LOGS=()  # every server log this test wrote: e2e_finish checks that none holds a secret
TEST_NAME=$(basename "$0" .sh)
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=unit.sh
. "$E2E_DIR/unit.sh"

e2e_skip() { echo "SKIP $TEST_NAME: $*"; exit 77; }

e2e_init() {
  [ "$(id -u)" = 0 ] || e2e_skip "needs root (workers drop to '$RUN_AS_USER', servers bind and setuid)"
  for tool in openconnect certtool ss; do
    command -v "$tool" >/dev/null || e2e_skip "needs $tool"
  done
  [ -x "$SSLVPND" ] || { echo "FAIL: $SSLVPND not built"; exit 1; }
  id "$RUN_AS_USER" >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS_USER"
  WORK=$(mktemp -d /tmp/sslvpnd-e2e.XXXXXX)
  chmod 755 "$WORK"
  trap e2e_cleanup EXIT
}

e2e_cleanup() {
  local pid
  unit_cleanup
  for pid in "${STARTED_PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${STARTED_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  declare -F ns_cleanup >/dev/null && ns_cleanup
  declare -F test_cleanup >/dev/null && test_cleanup
  if [ "$FAILED" -ne 0 ] && [ -n "${WORK:-}" ]; then
    for log in "$WORK"/*.log; do [ -f "$log" ] && { echo "--- $log"; tail -n 40 "$log"; }; done
  fi
  [ -n "${WORK:-}" ] && [ -z "${E2E_KEEP:-}" ] && rm -rf "$WORK"  # E2E_KEEP=1 keeps it to read
}

pass() { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
check() {  # check "description" command...  (returns the command's success)
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; return 1; fi
}

# e2e_check_secrets: no server log (at the test's debug level) holds a password of this test or
# a cookie the server gave a client (openconnect prints them: COOKIE='...', GP's authcookie).
note_secret() { [ -n "${WORK:-}" ] && printf '%s\n' "$1" >>"$WORK/secrets.list"; }
e2e_check_secrets() {
  [ "${#SERVER_LOGS[@]}" -gt 0 ] || return 0
  local pats="$WORK/secrets.pat"
  awk 'length($0) >= 6' "$WORK/secrets.list" >"$pats" 2>/dev/null
  grep -rhoE "COOKIE='[^']{16,}'" "$WORK" 2>/dev/null | sed "s/^COOKIE='//; s/'\$//" |
    sed 's/.*authcookie=\([0-9a-fA-F]*\).*/\1/' | awk 'length($0) >= 16' >>"$pats"
  local n
  n=$(sort -u "$pats" | wc -l)
  if [ -s "$pats" ] && grep -F -q -f "$pats" "${SERVER_LOGS[@]}" 2>/dev/null; then
    fail "a password or cookie is in a server log: $(grep -F -o -h -f "$pats" "${SERVER_LOGS[@]}" | head -n 3 | tr '\n' ' ')"
  else
    pass "no password or cookie of this test ($n) in its server logs"
  fi
}

e2e_finish() {
  e2e_check_secrets
  echo "$TEST_NAME: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit $?
}

# free_port: a TCP port on 127.0.0.1 that no socket uses (bounded tries). It is taken below
# the kernel's ephemeral range (32768+), so an outgoing connection cannot hold it meanwhile.
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 12000))
    [ -z "$(ss -Htan "sport = :$p")" ] && { echo "$p"; return 0; }
  done
  return 1
}

# make_cert DIR ecdsa|rsa: writes DIR/key.pem (0600) and DIR/cert.pem; echoes the pin.
make_cert() {
  local dir=$1 kind=$2
  mkdir -p "$dir"
  if [ "$kind" = rsa ]; then
    certtool --generate-privkey --rsa --bits 2048 --outfile "$dir/key.pem" >/dev/null 2>&1
  else
    certtool --generate-privkey --ecc --outfile "$dir/key.pem" >/dev/null 2>&1
  fi
  chmod 600 "$dir/key.pem"
  cat > "$dir/tmpl" <<TMPL
cn = "localhost"
expiration_days = 30
signing_key
encryption_key
tls_www_server
dns_name = "localhost"
ip_address = "127.0.0.1"
TMPL
  certtool --generate-self-signed --load-privkey "$dir/key.pem" --template "$dir/tmpl" \
    --outfile "$dir/cert.pem" >/dev/null 2>&1
  certtool -i --infile "$dir/cert.pem" | grep -o 'pin-sha256:[A-Za-z0-9+/=]*' | head -n 1
}

# base_conf PORT CERTDIR PASSWD: the configuration lines every test server shares.
base_conf() {
  cat <<CONF
auth = "plain[passwd=$3]"
tcp-port = $1
server-cert = $2/cert.pem
server-key = $2/key.pem
run-as-user = $RUN_AS_USER
run-as-group = $RUN_AS_USER
CONF
}

# add_user FILE USER PASSWORD [GROUPS]
add_user() {
  note_secret "$3"
  if [ -n "${4:-}" ]; then
    printf '%s\n' "$3" | "$PASSWD_TOOL" -c "$1" -g "$4" "$2"
  else
    printf '%s\n' "$3" | "$PASSWD_TOOL" -c "$1" "$2"
  fi
}

# start_server CONF LOG PIDFILE PORT: starts sslvpnd in the foreground and waits until it
# accepts connections on PORT (a TCP port, or udp:N for a UDP one; at most 10 s). It runs as
# the packaged systemd unit (unit.sh) unless SSLVPND_UNIT=0, then as a background job. With
# SERVER_NS set, in that network namespace.
# Sets SERVER_PID (main, as this shell sees it).
start_server() {
  local conf=$1 log=$2 pidfile=$3 port=$4
  local pre=() pid
  SERVER_LOGS+=("$log")
  [ -n "${SERVER_NS:-}" ] && pre=(ip netns exec "$SERVER_NS")
  if unit_mode; then
    unit_start "$conf" "$log" "$pidfile" || { echo "server did not start:"; cat "$log"; return 1; }
    pid=$SERVER_PID
  else
    "${pre[@]}" "$SSLVPND" -f -d "${SERVER_DEBUG:-3}" -c "$conf" -p "$pidfile" >"$log" 2>&1 &
    pid=$!
    STARTED_PIDS+=("$pid")
  fi
  # The TCP port (udp:PORT: that UDP port) listens before main is ready; with a control socket,
  # wait for that too.
  local sock ss_flags=-Htln
  [ "${port#udp:}" != "$port" ] && ss_flags=-Huln
  sock=$(sed -n 's/^occtl-socket-file *= *//p' "$conf" | tail -n 1)
  for _ in $(seq 1 100); do
    if [ -n "$("${pre[@]}" ss "$ss_flags" "sport = :${port#udp:}")" ] && { [ -z "$sock" ] || [ -S "$sock" ]; }; then
      SERVER_PID=$pid
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "server did not start:"; cat "$log"
  return 1
}

# stop_server [PID]: SIGTERM to main (default SERVER_PID); waits (at most 10 s) until it is gone.
stop_server() {
  local pid=${1:-$SERVER_PID}
  kill "$pid" 2>/dev/null
  wait_server_exit "$pid" 100 >/dev/null
}

# wait_server_exit PID [TENTHS]: waits (default 10 s) until main PID has ended; prints its exit
# code (from systemd when it ran as the unit). Fails if it is still running.
wait_server_exit() {
  local pid=$1 n=${2:-100} rc
  for _ in $(seq 1 "$n"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && return 1
  if [ -n "${UNIT_OF[$pid]:-}" ]; then
    rc=$(unit_exit_status "${UNIT_OF[$pid]}")  # systemd reaped main, so it has the status
  else
    wait "$pid" 2>/dev/null; rc=$?
  fi
  echo "$rc"
}

# host_pid PID: a PID as the server reports it (sslvpnctl's "PID", "Sec-mod PID": numbers of
# the server's own PID namespace when it runs as the unit) as this shell sees it.
host_pid() {
  local want=$1 p
  if [ -z "${UNIT_OF[$SERVER_PID]:-}" ]; then echo "$want"; return 0; fi
  for p in $(pgrep --ns "$SERVER_PID" --nslist pid); do
    [ "$(unit_ns_pid "$p")" = "$want" ] && { echo "$p"; return 0; }
  done
  return 1
}

# server_pidfile_pid PID: the number main writes in its pid file (its own PID namespace's).
server_pidfile_pid() { if [ -n "${UNIT_OF[$1]:-}" ]; then unit_ns_pid "$1"; else echo "$1"; fi; }

# oc_auth PIN PORT USER PASSWORD [extra openconnect args...]: prints openconnect's output.
oc_auth() {
  local pin=$1 port=$2 user=$3 pw=$4; shift 4
  note_secret "$pw"
  printf '%s\n' "$pw" | timeout 20 openconnect --authenticate --passwd-on-stdin --non-inter \
    -u "$user" --servercert "$pin" "$@" "https://127.0.0.1:$port/${OC_PATH:-}" 2>&1 | tee -a "$WORK/auth.out"
  return "${PIPESTATUS[1]}"  # openconnect's (auth.out keeps the cookies for e2e_check_secrets)
}

# oc_auth_lines PIN PORT USER LINE... -- [extra openconnect args...]: like oc_auth, but answers
# one form per LINE (password, then OTP codes or PAM prompts), so no --non-inter.
oc_auth_lines() {
  local pin=$1 port=$2 user=$3; shift 3
  local lines=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do lines+=("$1"); shift; done
  local l
  for l in "${lines[@]}"; do [[ "$l" =~ ^[0-9]*$ ]] || note_secret "$l"; done  # not OTP codes
  [ "${1:-}" = "--" ] && shift
  printf '%s\n' "${lines[@]}" | timeout 20 openconnect --authenticate --passwd-on-stdin \
    -u "$user" --servercert "$pin" "$@" "https://127.0.0.1:$port/${OC_PATH:-}" 2>&1 | tee -a "$WORK/auth.out"
  return "${PIPESTATUS[1]}"  # openconnect's (auth.out keeps the cookies for e2e_check_secrets)
}

# wait_for_log FILE PATTERN: waits (at most 5 s) until FILE contains PATTERN.
wait_for_log() {
  for _ in $(seq 1 50); do
    grep -q -- "$2" "$1" && return 0
    sleep 0.1
  done
  return 1
}

# ---- network namespaces -------------------------------------------------------------------
#   client ns  203.0.113.2 --veth-- 203.0.113.1  server ns  198.51.100.1 --veth-- 198.51.100.2  behind ns
# The server forwards between its TUN devices and the "behind" host; the behind host routes the
# VPN network back through the server.
NS_CREATED=()
CLIENT_IP=203.0.113.2
SERVER_IP=203.0.113.1
BEHIND_IP=198.51.100.2
BEHIND_NET=198.51.100.0/24

ns_setup() {
  command -v ip >/dev/null || e2e_skip "needs iproute2"
  local tag=$$
  NS_C="sslvpnd-c-$tag"; NS_S="sslvpnd-s-$tag"; NS_B="sslvpnd-b-$tag"
  for ns in "$NS_C" "$NS_S" "$NS_B"; do
    ip netns add "$ns" || e2e_skip "cannot create network namespaces"
    NS_CREATED+=("$ns")
    ip -n "$ns" link set lo up
  done
  ip link add "vc$tag" netns "$NS_C" type veth peer name "vs$tag" netns "$NS_S"
  ip link add "vb$tag" netns "$NS_B" type veth peer name "vt$tag" netns "$NS_S"
  ip -n "$NS_C" addr add "$CLIENT_IP/24" dev "vc$tag"; ip -n "$NS_C" link set "vc$tag" up
  ip -n "$NS_S" addr add "$SERVER_IP/24" dev "vs$tag"; ip -n "$NS_S" link set "vs$tag" up
  ip -n "$NS_S" addr add 198.51.100.1/24 dev "vt$tag"; ip -n "$NS_S" link set "vt$tag" up
  ip -n "$NS_B" addr add "$BEHIND_IP/24" dev "vb$tag"; ip -n "$NS_B" link set "vb$tag" up
  ip netns exec "$NS_S" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$NS_S" sysctl -qw net.ipv6.conf.all.forwarding=1
}

# ov_client: $OPENVPN, the openvpn client (the system's unless set); ov_require: it and
# /dev/net/tun, or the test is skipped.
ov_client() { OPENVPN=${OPENVPN:-$(command -v openvpn || echo /usr/sbin/openvpn)}; }
ov_require() {
  ov_client
  [ -x "$OPENVPN" ] || e2e_skip "needs the openvpn client (openvpn 2.6)"
  [ -c /dev/net/tun ] || e2e_skip "needs /dev/net/tun"
}

# ns_route_vpn_back NET: the behind host reaches NET (the VPN network) through the server.
ns_route_vpn_back() { ip -n "$NS_B" route add "$1" via 198.51.100.1; }

ns_cleanup() {
  local ns
  for ns in "${NS_CREATED[@]}"; do ip netns del "$ns" 2>/dev/null; done
}

# in_ns NS CMD...: runs CMD in a namespace.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# oc_connect NAME USER PASSWORD [openconnect args...]: starts openconnect in the client ns in the
# background (-b after the tunnel is up) with the test script; waits (at most 20 s) for the
# tunnel. Sets OC_PID_<NAME> and records the script's environment in $WORK/NAME.env.*. With
# OC_HOST set, it connects to that name (resolved to the server: the TLS server name is OC_HOST);
# OC_PATH is appended to the URL ("?secret" for camouflage).
oc_connect() {
  local name=$1 user=$2 pw=$3; shift 3
  local pidfile="$WORK/$name.oc.pid"
  note_secret "$pw"
  printf '%s\n' "$pw" | ip netns exec "$NS_C" env SSLVPND_TEST_DUMP="$WORK/$name.env" \
    openconnect -b --pid-file="$pidfile" --passwd-on-stdin --non-inter -u "$user" \
    --servercert "$PIN" --script "$E2E_DIR/client-script.sh" -i "tun$name" \
    ${OC_HOST:+--resolve="$OC_HOST:$SERVER_IP"} "$@" \
    "https://${OC_HOST:-$SERVER_IP}:$PORT/${OC_PATH:-}" >"$WORK/$name.oc.log" 2>&1
  local rc=$? pid=""
  for _ in $(seq 1 200); do
    [ -s "$pidfile" ] && pid=$(cat "$pidfile") && [ -f "$WORK/$name.env.connect" ] && break
    sleep 0.1
  done
  if [ -n "$pid" ]; then
    STARTED_PIDS+=("$pid")
    eval "OC_PID_$name=$pid"
  fi
  [ "$rc" = 0 ] && [ -n "$pid" ] && [ -f "$WORK/$name.env.connect" ]
}

# oc_stop NAME: ends that openconnect (SIGINT: it logs out) and waits for it (at most 10 s).
oc_stop() {
  local pid
  eval "pid=\${OC_PID_$1:-}"
  [ -n "$pid" ] || return 0
  kill -INT "$pid" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
}

# iperf_run PORT SECONDS [-R]: an iperf3 TCP transfer from the client namespace to the host
# behind the server (-R: the other way). Prints "bytes bits_per_second" as received ("0 0" if
# it failed). The iperf3 server is bounded in time, so it never outlives the test.
iperf_run() {
  local port=$1 secs=$2
  shift 2
  timeout $((secs + 40)) ip netns exec "$NS_B" iperf3 -s -1 -B "$BEHIND_IP" -p "$port" >/dev/null 2>&1 &
  sleep 0.3
  in_ns "$NS_C" timeout $((secs + 30)) iperf3 -c "$BEHIND_IP" -p "$port" -t "$secs" "$@" -J 2>/dev/null |
    python3 -c "import json,sys; d=json.load(sys.stdin)['end']['sum_received']; print(int(d['bytes']), int(d['bits_per_second']))" \
      2>/dev/null || echo "0 0"
}

# text_bytes N: N bytes of compressible text (numbered log lines).
text_bytes() {
  python3 -c "
import sys
n = int(sys.argv[1]); out = []; i = 0; total = 0
while total < n:
    line = 'Dec  2 14:%02d:%02d vpn-gw sslvpnd[%d]: worker %d: user alice sent %d bytes\n' % (i // 60 % 60, i % 60, 1000 + i % 7, i, i * 13)
    out.append(line); total += len(line); i += 1
sys.stdout.write(''.join(out)[:n])" "$1"
}

# tcp_copy_ok SERVER_NS ADDR PORT BYTES [text]: BYTES random bytes (or compressible text) go
# from the client namespace to ADDR (listening in SERVER_NS) and other BYTES back, each over its
# own TCP connection through the tunnel; true when both arrive intact (sha256).
tcp_copy_ok() {
  local ns=$1 addr=$2 port=$3 bytes=$4 dir pid rc=0
  if [ "${5:-}" = text ]; then
    text_bytes "$bytes" > "$WORK/copy.up"
    cp "$WORK/copy.up" "$WORK/copy.down"
  else
    head -c "$bytes" /dev/urandom > "$WORK/copy.up"
    head -c "$bytes" /dev/urandom > "$WORK/copy.down"
  fi
  for dir in up down; do
    rm -f "$WORK/copy.got"
    if [ "$dir" = up ]; then
      timeout 90 ip netns exec "$ns" python3 "$E2E_DIR/tcp_copy.py" serve "$addr" "$port" recv "$WORK/copy.got" &
      pid=$!
      in_ns "$NS_C" timeout 90 python3 "$E2E_DIR/tcp_copy.py" connect "$addr" "$port" send "$WORK/copy.up" || rc=1
    else
      timeout 90 ip netns exec "$ns" python3 "$E2E_DIR/tcp_copy.py" serve "$addr" "$port" send "$WORK/copy.down" &
      pid=$!
      in_ns "$NS_C" timeout 90 python3 "$E2E_DIR/tcp_copy.py" connect "$addr" "$port" recv "$WORK/copy.got" || rc=1
    fi
    wait "$pid" || rc=1
    [ "$(sha256sum < "$WORK/copy.$dir")" = "$(sha256sum < "$WORK/copy.got" 2>/dev/null)" ] || rc=1
    port=$((port + 1))
  done
  return $rc
}

# env_of NAME REASON VAR: a variable openconnect passed to the client script.
env_of() { sed -n "s/^$3=//p" "$WORK/$1.env.$2" | head -n 1; }
