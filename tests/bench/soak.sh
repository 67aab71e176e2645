#!/bin/bash
# A soak under attack (issue #18). sslvpnd-loadgen holds SESSIONS sessions with DPD flowing
# while a steady stream of real openconnect logins goes on; after a quiet minute, these attacks
# run at once for DURATION seconds, each from its own address in the client namespace:
#   - slow TLS clients (200 connections trickling a byte every 10 s);
#   - malformed HTTP over TLS (20 requests/s: bare LF, smuggling, XXE, oversized, forged cookie);
#   - UDP garbage and forged DTLS hellos at the DTLS port (200 datagrams/s);
#   - wrong-password floods from three addresses (10 logins/s each; they get banned).
# Reports sessions lost (the aim is 0), login latency percentiles before and during the
# attacks, main's and sec-mod's memory before and after, and what the server logged at error
# level. Asserts nothing; not part of CI. Run as root after building:
#   tests/bench/soak.sh [DURATION_S=600] [SESSIONS=3000]
set -u
DURATION=${1:-600}
NSESS=${2:-3000}
QUIET=${SOAK_QUIET:-60}
source "$(dirname "$0")/../e2e/lib.sh"
TEST_NAME=bench-soak
e2e_init
command -v python3 >/dev/null || e2e_skip "needs python3"
ns_setup
SERVER_NS=$NS_S
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" bench 'bench-Pass1'
add_user "$PW" login 'login-Pass1'
PORT=4443
SOCK="$WORK/ctl.sock"
LOADGEN="$BUILD_DIR/tools/loadgen/sslvpnd-loadgen"
CTL="$BUILD_DIR/sslvpnctl"
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# Attackers' addresses; connections earn no ban points (the load generator's one address opens
# thousands), wrong passwords do (10 each, banned at 80).
ATTACK_IPS=(203.0.113.50 203.0.113.51 203.0.113.52 203.0.113.53 203.0.113.54 203.0.113.55)
for ip in "${ATTACK_IPS[@]}"; do ip -n "$NS_C" addr add "$ip/24" dev "vc$$"; done
{ base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
udp-port = $PORT
ipv4-network = 10.90.0.0/16
route = $BEHIND_NET
occtl-socket-file = $SOCK
max-clients = 0
max-same-clients = 0
ban-points-connection = 0
ban-points-wrong-password = 10
max-ban-score = 80
dpd = 20
CONF
} > "$WORK/sslvpnd.conf"
LOG="$WORK/server.log"
ulimit -n 65536 2>/dev/null || true  # main raises its own limit too
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { echo "server did not start"; exit 1; }
MAIN=$SERVER_PID
SECMOD=""
for _ in $(seq 1 50); do  # the control socket comes up just after the listener
  SECMOD=$("$CTL" -s "$SOCK" --json show status 2>/dev/null |
    python3 -c "import json,sys; print(json.load(sys.stdin)['Sec-mod PID'])" 2>/dev/null) && break
  sleep 0.1
done
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# 1. the held sessions
HOLD=$((QUIET + DURATION + 30))
in_ns "$NS_C" timeout $((HOLD + 600)) "$LOADGEN" --server "$SERVER_IP:$PORT" --user bench --password bench-Pass1 \
  --sessions "$NSESS" --rate 50 --hold "$HOLD" --dpd 20 --timeout 120 --json >"$WORK/loadgen.json" 2>"$WORK/loadgen.err" &
LG=$!
STARTED_PIDS+=("$LG")
for _ in $(seq 1 3000); do grep -q "holding" "$WORK/loadgen.err" && break; kill -0 "$LG" 2>/dev/null || break; sleep 0.2; done
echo "loadgen: $(grep -o '[0-9]* of [0-9]* sessions up[^;]*' "$WORK/loadgen.err" | tail -n 1)"
MAIN_RSS0=$(rss_kb "$MAIN"); SECMOD_RSS0=$(rss_kb "$SECMOD")

# 2. a steady stream of real logins, timed (one every 2 s), for the whole run
login_loop() {  # login_loop SECONDS OUTFILE: "ms ok|fail" per login
  local end=$((SECONDS + $1)) t0 t1 ok
  for _ in $(seq 1 100000); do
    [ "$SECONDS" -lt "$end" ] || break
    t0=$(date +%s%3N)
    ok=fail
    printf 'login-Pass1\n' | timeout 30 ip netns exec "$NS_C" openconnect --authenticate --passwd-on-stdin \
      --non-inter -u login --servercert "$PIN" "https://$SERVER_IP:$PORT/" 2>/dev/null | grep -q '^COOKIE=' && ok=ok
    t1=$(date +%s%3N)
    echo "$((t1 - t0)) $ok" >>"$2"
    sleep 2
  done
}
login_loop "$QUIET" "$WORK/logins.before"

# 3. the attacks, all at once, for DURATION seconds
login_loop "$DURATION" "$WORK/logins.during" &
LL=$!
STARTED_PIDS+=("$LL")
A=()
in_ns "$NS_C" python3 "$BENCH_DIR/attackers.py" slow "${ATTACK_IPS[0]}" "$SERVER_IP" "$PORT" "$DURATION" 200 >"$WORK/att.slow" 2>&1 &
A+=($!)
in_ns "$NS_C" python3 "$BENCH_DIR/attackers.py" badhttp "${ATTACK_IPS[1]}" "$SERVER_IP" "$PORT" "$DURATION" 20 >"$WORK/att.http" 2>&1 &
A+=($!)
in_ns "$NS_C" python3 "$BENCH_DIR/attackers.py" udpjunk "${ATTACK_IPS[2]}" "$SERVER_IP" "$PORT" "$DURATION" 200 >"$WORK/att.udp" 2>&1 &
A+=($!)
for i in 3 4 5; do
  in_ns "$NS_C" python3 "$BENCH_DIR/attackers.py" wrongpw "${ATTACK_IPS[$i]}" "$SERVER_IP" "$PORT" "$DURATION" 10 \
    >"$WORK/att.wrong$i" 2>&1 &
  A+=($!)
done
STARTED_PIDS+=("${A[@]}")
for p in "${A[@]}"; do wait "$p"; done
wait "$LL"
sleep 5
MAIN_RSS1=$(rss_kb "$MAIN"); SECMOD_RSS1=$(rss_kb "$SECMOD")
wait "$LG"
LGRC=$?

# 4. the report
python3 - "$WORK" "$NSESS" "$DURATION" "$MAIN_RSS0" "$MAIN_RSS1" "$SECMOD_RSS0" "$SECMOD_RSS1" "$LGRC" <<'PY'
import json, sys, glob, os
work, nsess, duration = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
m0, m1, s0, s1, lgrc = sys.argv[4:9]
def pct(vals, p):
    if not vals: return "-"
    v = sorted(vals); return v[min(len(v) - 1, int(len(v) * p / 100))]
def logins(path):
    rows = [l.split() for l in open(path)] if os.path.exists(path) else []
    ms = [int(r[0]) for r in rows if r[1] == "ok"]
    return ms, len(rows) - len(ms)
try:
    lg = json.load(open(f"{work}/loadgen.json"))
except Exception:
    lg = {}
est, alive = lg.get("established", 0), lg.get("alive_at_end", 0)
print(f"\nsoak: {duration} s of attacks, {nsess} sessions held with DPD every 20 s")
print(f"  sessions: {est} established, {alive} alive at the end, lost {est - alive}  (loadgen exit {lgrc})")
for name in ("before", "during"):
    ms, failed = logins(f"{work}/logins.{name}")
    print(f"  logins {name:6}: {len(ms)} ok, {failed} failed; latency p50 {pct(ms, 50)} ms, p90 {pct(ms, 90)} ms, p99 {pct(ms, 99)} ms, max {max(ms) if ms else '-'} ms")
print(f"  main RSS: {m0} kB before, {m1} kB after; sec-mod RSS: {s0} kB before, {s1} kB after")
for f in sorted(glob.glob(f"{work}/att.*")):
    print("  attacker:", open(f).read().strip()[-300:])
errs = [l.strip() for l in open(f"{work}/server.log") if ": error:" in l]
print(f"  server log lines at error level: {len(errs)}")
for l in errs[:10]: print("    ", l[:200])
PY
"$CTL" -s "$SOCK" show ip bans | head -n 12
e2e_finish
