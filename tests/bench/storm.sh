#!/bin/bash
# Login storms: sslvpnd and Debian's ocserv side by side, same machine, key, user and client.
# First each server's capacity (sessions set up per second when STORM_PROBE sessions are asked
# for at once), then a storm at rates below, at, 2x and 5x sslvpnd's capacity: sslvpnd-loadgen
# starts RATE sessions a second for STORM_SECONDS (a password login, then CONNECT; each session
# ends a second after it is up) and gives each STORM_PATIENCE seconds. Prints per server and
# rate: sessions up per second, failures by cause, login latency percentiles and server CPU
# per session, then each server's capacity just below overload (the most sessions a second a
# storm set up with none failed) and each overloaded storm's share of it. A server that served
# its highest clean storm whole and failed at the next is tried again in between (at most
# STORM_REFINE storms, default 2: first at 95 % of what it set up overloaded, then halfway), so
# that its capacity is not merely the rate that happened to be offered. Reports; asserts
# nothing. Run as root after building:
#   tests/bench/storm.sh [rsa|ecdsa] [openconnect|cisco]
# openconnect (default): CONNECT on the login's connection, as openconnect 9 does; cisco: on a
# new connection that resumes the login's TLS session, as Cisco Secure Client does.
# STORM_ONLY_CAPACITY=1 stops after the capacities. STORM_CAPACITY=N skips sslvpnd's probe and
# takes N sessions a second as its capacity (ocserv's is then not probed); STORM_MULTS (default
# "0.7 1 2 5") and STORM_SERVERS (default "sslvpnd ocserv") choose the storms. STORM_PIN=1 runs each server on CPU 0 and
# the load generator on CPU 1, so that what the load generator spends on the connections a
# server refuses does not come out of the server's CPU (as it would from a remote client's).
# STORM_SPLIT=1 prints, after each storm, how many CPUs main, sec-mod, the workers and the
# rest of the machine (the load generator, the kernel's softirqs) kept busy.
set -u
KEY=${1:-rsa}
CLIENT=${2:-openconnect}
STORM_SECONDS=${STORM_SECONDS:-15}
STORM_PATIENCE=${STORM_PATIENCE:-30}
STORM_PROBE=${STORM_PROBE:-600}
source "$(dirname "$0")/../e2e/lib.sh"
TEST_NAME=bench-storm
e2e_init
source "$(dirname "$0")/bench_lib.sh"
bench_setup 10.88.0.0/16
PIN=$(make_cert "$WORK/cert" "$KEY")
write_confs "max-clients = 0" "cookie-timeout = 120"
LOADGEN=${LOADGEN:-"$BUILD_DIR/tools/loadgen/sslvpnd-loadgen"}
CLIENT_ARGS=(--reuse)
[ "$CLIENT" = cisco ] && CLIENT_ARGS=(--resume)
HZ=$(getconf CLK_TCK)
LG_PIN=()
if [ "${STORM_PIN:-0}" = 1 ]; then
  [ "$(nproc)" -ge 2 ] || e2e_skip "STORM_PIN=1 needs 2 CPUs"
  SRV_CPUS=0
  LG_PIN=(taskset -c 1)
fi

# split_ticks PID -> "MAIN SECMOD TOTAL BUSY STEAL": main's own ticks, sec-mod's (sslvpnd's
# helper, ocserv's ocserv-sm), the whole tree's, and the machine's busy (stolen time apart)
# and stolen ticks (all CPUs, /proc/stat).
split_ticks() {
  local own sm=0 p
  own=$(awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null)
  for p in $(descendants "$1"); do  # ocserv runs one or more ocserv-sm
    case $(cat "/proc/$p/comm" 2>/dev/null) in
      sslvpnd-secmod | ocserv-sm) sm=$((sm + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0))) ;;
    esac
  done
  echo "${own:-0} ${sm:-0} $(server_ticks "$1") $(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $9}' /proc/stat)"
}
# STORM_SPLIT=1: after each storm, a line (to stderr) of where the CPU went.
split_line() {  # SERVER RATE "BEFORE" "AFTER" WALL_MS UP
  HZ=$HZ python3 - "$@" >&2 <<'PY'
import os, sys
srv, rate, a, b, wall, up = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split(), int(sys.argv[5]), int(sys.argv[6] or 0)
d = [int(y) - int(x) for x, y in zip(a, b)]
hz, w = float(os.environ["HZ"]), max(wall, 1) / 1000.0
main, sm, tot, busy, steal = (v / hz for v in d)
rest = tot - main - sm
print(f"split {srv} {rate}/s: CPUs busy over {w:.0f} s: main {main / w:.2f}, sec-mod {sm / w:.2f}, "
      f"zygote and workers {rest / w:.2f}, everything else (load generator, kernel) {(busy - tot) / w:.2f}, "
      f"stolen {steal / w:.2f}; server ms per session up {1000 * tot / up if up else 0:.1f}")
PY
}

# storm SERVER RATE SESSIONS -> one line: the loadgen's JSON, then "cpu_s".
storm() {
  local srv=$1 rate=$2 n=$3 t0 t1 w0 w1 out s0 s1
  start_srv "$srv"
  t0=$(server_ticks "$SPID")
  [ "${STORM_SPLIT:-0}" = 1 ] && s0=$(split_ticks "$SPID")
  w0=$(date +%s%N)
  out=$(in_ns "$NS_C" timeout $((STORM_PATIENCE + n / 10 + 120)) "${LG_PIN[@]}" "$LOADGEN" --server "$SERVER_IP:$PORT" \
    --user bench --password bench-Pass1 --sessions "$n" --rate "$rate" --hold 0 --linger 1 --dpd 30 \
    --timeout "$STORM_PATIENCE" "${CLIENT_ARGS[@]}" --json 2>>"$WORK/lg.err")
  t1=$(server_ticks "$SPID")
  w1=$(date +%s%N)
  if [ "${STORM_SPLIT:-0}" = 1 ]; then
    s1=$(split_ticks "$SPID")
    split_line "$srv" "$rate" "$s0" "$s1" $(((w1 - w0) / 1000000)) \
      "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1] or "{}").get("established", 0))' "${out:-{\}}")"
  fi
  stop_srv
  echo "${out:-{\}} $(( (w1 - w0) / 1000000 )) $(( (t1 - t0) * 1000 / HZ ))"
}

row() {  # row SERVER RATE JSON WALL_MS CPU_MS MULT: a table row; "SERVER MULT UP/S FAILED" to $WORK/rows
  WORK="$WORK" python3 - "$@" <<'PY'
import json, os, sys
srv, rate, js, wall_ms, cpu_ms = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
mult = sys.argv[6]
d = json.loads(js) if js.strip() not in ("", "{}") else {}
n = d.get("sessions", 0); up = d.get("established", 0)
span = max(d.get("last_up_ms", 0) / 1000.0, n / rate if rate else 0) or 1
f = d.get("failures", {})
fails = ", ".join(f"{k} {v}" for k, v in f.items() if v) or "none"
print(f"| {srv}{' (refined)' if mult == 'r' else ''} | {rate:.0f}/s | {n} | {up} | {up / span:.1f} | {fails} | "
      f"{d.get('login_ms_p50', 0) / 1000:.2f} / {d.get('login_ms_p90', 0) / 1000:.2f} / {d.get('login_ms_p99', 0) / 1000:.2f} s | "
      f"{cpu_ms / up if up else 0:.1f} | {cpu_ms / max(wall_ms, 1):.2f} | {d.get('resumed', 0)} |")
with open(os.path.join(os.environ["WORK"], "rows"), "a") as out:
    print(srv, mult, f"{up / span:.1f}", n - up, f"{rate:.0f}", file=out)
PY
}

# The issue's measure: capacity is the most sessions a second a storm set up with none failed
# (just below overload); each overloaded storm's rate is given as a share of it.
summary() {
  python3 - "$WORK/rows" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
for srv in dict.fromkeys(r[0] for r in rows):
    mine = [(m, float(u), int(f)) for s, m, u, f, _ in rows if s == srv]
    clean = [u for m, u, f in mine if f == 0]
    if not clean:
        print(f"{srv}: every storm had failures: no capacity below overload measured")
        continue
    cap = max(clean)
    over = ", ".join(f"{m}x {u:.1f}/s ({100 * u / cap:.0f} %)" for m, u, f in mine if f and m != "r")
    print(f"{srv}: capacity just below overload {cap:.1f}/s (the most set up with none failed)"
          + (f"; overloaded: {over}" if over else ""))
PY
}

# next_rate SERVER -> the rate of the next refining storm, or nothing: between the highest
# offered rate a storm served whole (none failed, and it kept up: 95 % of the rate or more) and
# the lowest one with failures; first 95 % of the most an overloaded storm set up, then halfway.
next_rate() {
  python3 - "$WORK/rows" "$1" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
mine = [(float(r), float(u), int(f)) for s, m, u, f, r in rows if s == sys.argv[2]]
clean = [(r, u) for r, u, f in mine if f == 0]
failed = [(r, u) for r, u, f in mine if f]
if not clean or not failed or any(u < 0.95 * r for r, u in clean):
    sys.exit()  # no overload seen, or a clean storm already found the limit
lo, hi = max(r for r, u in clean), min(r for r, u in failed)
if hi <= lo * 1.05:
    sys.exit()
guess = round(0.95 * max(u for r, u in failed))
print(guess if lo * 1.05 < guess < hi * 0.97 else round((lo + hi) / 2))
PY
}

capacity() {  # SERVER -> sessions up per second with STORM_PROBE asked for at once
  local js
  js=$(storm "$1" 5000 "$STORM_PROBE")
  js=${js% * *}
  python3 -c "
import json, sys
d = json.loads(sys.argv[1]) if sys.argv[1].strip() not in ('', '{}') else {}
t = d.get('last_up_ms', 0) / 1000.0
print(round(d.get('established', 0) / t, 1) if t else 0)" "$js"
}

if [ -n "${STORM_CAPACITY:-}" ]; then
  cap_s=$STORM_CAPACITY
  echo "capacity taken as given (STORM_CAPACITY): sslvpnd $cap_s/s"
else
  cap_s=$(capacity sslvpnd)
  cap_o=$(capacity ocserv)
  echo "capacity ($KEY key, $CLIENT-like clients, $STORM_PROBE sessions asked at once): sslvpnd $cap_s/s, ocserv $cap_o/s"
fi
[ "${STORM_ONLY_CAPACITY:-0}" = 1 ] && exit 0
echo
echo "| server | offered | sessions | up | up per second | failures | login p50 / p90 / p99 | server CPU ms per session | server CPUs busy | CONNECTs resumed |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for mult in ${STORM_MULTS:-0.7 1 2 5}; do
  rate=$(python3 -c "print(max(1, round($cap_s * $mult)))")
  n=$((rate * STORM_SECONDS))
  for srv in ${STORM_SERVERS:-sslvpnd ocserv}; do
    res=$(storm "$srv" "$rate" "$n")
    cpu=${res##* }
    res=${res% *}
    row "$srv" "$rate" "${res% *}" "${res##* }" "$cpu" "$mult"
  done
done
for srv in ${STORM_SERVERS:-sslvpnd ocserv}; do
  for _ in $(seq 1 "${STORM_REFINE:-2}"); do
    rate=$(next_rate "$srv")
    [ -n "$rate" ] || break
    res=$(storm "$srv" "$rate" $((rate * STORM_SECONDS)))
    cpu=${res##* }
    res=${res% *}
    row "$srv" "$rate" "${res% *}" "${res##* }" "$cpu" r
  done
done
echo
summary
