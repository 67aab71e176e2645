#!/bin/bash
# The NVM / IPFIX flow collector side by side with nfdump's nfcapd (binary files) and pmacct's
# nfacctd (sqlite3 plugin), in the same run, on the same stream: ipfix_replay.py generates
# RATE x DURATION softflowd-like IPv4 flow records once (30 a 1370-byte IPFIX message, every
# 5-tuple distinct, ending in export order, half to 64 destinations and half to 65536, the
# template again every 20 messages), then replays that file from one socket to each collector
# in turn at RATE records/s (paced per ~1 ms, RFC 7011 sequence numbers) on the loopback of a
# network namespace of its own. Then (OVERLOAD=1) the same file to each at twice RATE: what a
# collector stores a second when offered more than it can take, the sender paced and light (its
# capacity). Then (BURST=1) each gets it as fast as python sends for
# BURST_SECS (the file again and again, flow times shifted on). For each: records stored, lost
# (sent - stored), kernel drops (the namespace's UDP RcvbufErrors), wall time from the first
# datagram until the store stopped growing, CPU seconds of the collecting processes (sslvpnd:
# sslvpnd-collector alone, main apart; nfcapd; nfacctd: core, plugin and its writers, from
# /usr/bin/time), CPU per million records, records stored a second, bytes on disk a record.
# Each gets an 8 MB socket buffer (nfcapd -B, nfacctd_pipe_size; the kernel caps both at
# rmem_max; sslvpnd forces its own). nfacctd aggregates on src_host, dst_host, src_port,
# dst_port, proto in 1-minute bins written every 60 s (INSERT only): its records stored are the
# flows it accounted (the flows primitive), rows apart; SIGINT at the end purges its cache.
# Then the query a help desk asks: "flows of user X in the last hour" with ROWS flows stored (a
# separate store with the schema sslvpnd created, filled by python's sqlite3 with ROWS synthetic
# attributed flows of 1000 users over 30 days; 10M rows take a minute or two to fill, ~2 GB):
# sslvpnctl show flows user U since 1h limit 1000 (cold: the file's pages dropped from the page
# cache first, one user each; warm: one user again), median of 5, and the same SELECT in the
# sqlite3 shell. Reports; asserts nothing. Run as root after building (~10 min with defaults):
# DST_INDEX=false runs sslvpnd with nvm-store-dst-index = false (no destination index).
#   [RATE=100000] [DURATION=60] [OVERLOAD=1] [BURST=1] [BURST_SECS=10] [ROWS=10000000] [DST_INDEX=true]
#   tests/bench/nvm.sh
# shellcheck disable=SC2317,SC2016  # functions called by name; awk and SQL in single quotes
set -u
RATE=${RATE:-100000} DURATION=${DURATION:-60} OVERLOAD=${OVERLOAD:-1} BURST=${BURST:-1} BURST_SECS=${BURST_SECS:-10}
ROWS=${ROWS:-10000000} STORE_WAIT=${STORE_WAIT:-180} DST_INDEX=${DST_INDEX:-true}
source "$(dirname "$0")/../e2e/lib.sh"
TEST_NAME=bench-nvm
e2e_init  # skips unless root
source "$(dirname "$0")/bench_lib.sh"
for tool in nfcapd nfdump nfacctd sqlite3 python3; do
  command -v "$tool" >/dev/null || e2e_skip "needs $tool (apt-get install nfdump pmacct sqlite3)"
done
CTL="$BUILD_DIR/sslvpnctl"
REPLAY="$(cd "$(dirname "$0")" && pwd)/ipfix_replay.py"
HZ=$(getconf CLK_TCK)
NS="sslvpnd-nvmb-$$"
ip netns add "$NS" || e2e_skip "cannot create a network namespace"
NS_CREATED+=("$NS")
ip -n "$NS" link set lo up
make_cert "$WORK/cert" ecdsa >/dev/null
add_user "$WORK/passwd" bench 'bench-Pass1'
PORT=4443 NVM_PORT=4739 SOCK="$WORK/ctl.sock"
py() { python3 -c "$@"; }
json() { py "import json,sys; d=json.load(sys.stdin); print($1)"; }
now() { date +%s.%N; }
drops() { ip netns exec "$NS" awk '/^Udp:/ && n++ {print $6}' /proc/net/snmp; }  # RcvbufErrors
rcvbuf() { ip netns exec "$NS" ss -Huamn "sport = :$NVM_PORT" | grep -o 'rb[0-9]*' | head -n 1 | tr -d rb; }
wait_udp() {  # wait_udp PID: at most 10 s for NVM_PORT to be bound
  for _ in $(seq 1 100); do
    [ -n "$(ip netns exec "$NS" ss -Huln "sport = :$NVM_PORT")" ] && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop_pid() {  # stop_pid PID [SIGNAL]: that signal, at most 20 s, then SIGKILL; reaps it
  kill "-${2:-TERM}" "$1" 2>/dev/null
  for _ in $(seq 1 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
ctl() { "$CTL" -s "$SOCK" "$@"; }
gone() { for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; }  # at most 10 s
main_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # that process alone
wbytes() { awk '/^write_bytes/ {print $2}' "/proc/$1/io"; }  # what it sent to the storage layer

# ---- the three collectors: start_X DIR sets CPU_PIDS (whose CPU counts) and STOP_PID ------------
start_sslvpnd() {  # start_sslvpnd DIR|STORE-FILE
  local store=$1
  [ -d "$store" ] && store="$store/flows.db"
  { base_conf "$PORT" "$WORK/cert" "$WORK/passwd"
    printf '%s\n' "occtl-socket-file = $SOCK" "nvm-collector-port = $NVM_PORT" "nvm-store = sqlite:$store" \
      "nvm-store-dst-index = $DST_INDEX"
  } >"$WORK/sslvpnd.conf"
  rm -f "$SOCK"
  ip netns exec "$NS" "$SSLVPND" -f -d 1 -c "$WORK/sslvpnd.conf" >>"$WORK/sslvpnd.log" 2>&1 &
  STOP_PID=$!
  STARTED_PIDS+=("$STOP_PID")
  wait_udp "$STOP_PID" || return 1
  CPU_PIDS=""
  for _ in $(seq 1 300); do  # at most 30 s: the collector answers once its store is open
    CPU_PIDS=$(ctl show collector -j 2>/dev/null | json "d['pid']" 2>/dev/null) && [ -n "$CPU_PIDS" ] && break
    sleep 0.1
  done
  [ -n "$CPU_PIDS" ]
}
counts_sslvpnd() {  # "stored rows_or_- extra" from show collector
  ctl show collector -j >"$1/collector.json"
  json "d.get('flows_stored', 0), '-', 'decoded %d, sequence_lost %d, dropped_queue %d, store_failed %d, queued %d' % tuple(d.get(k, 0) for k in ('records', 'sequence_lost', 'flows_dropped_queue', 'flows_store_failed', 'queued'))" \
    <"$1/collector.json" | tr -d "(),'"
}
# nfcapd and nfacctd run under /usr/bin/time (WRAP): their CPU is what it reports at their exit
# (with every child they reaped: nfacctd's plugin and its writers) less what they used up to t0
wrap() {  # wrap DIR CMD...: starts CMD in the namespace; sets WRAP, STOP_PID (CMD) and CPU_PIDS
  local dir=$1
  shift
  ip netns exec "$NS" /usr/bin/time -f '%U %S' -o "$dir/rusage" "$@" >"$dir/$1.out" 2>&1 &
  WRAP=$!
  STARTED_PIDS+=("$WRAP")
  wait_udp "$WRAP" || return 1
  STOP_PID=$(awk '{print $1}' /proc/"$WRAP"/task/*/children) CPU_PIDS=$STOP_PID
  STARTED_PIDS+=("$STOP_PID")
}
start_nfcapd() {
  mkdir -p "$1/nf"
  wrap "$1" nfcapd -w "$1/nf" -b 127.0.0.1 -p "$NVM_PORT" -t 3600 -B 8388608
}
counts_nfcapd() {  # stored: nfdump -I's Flows; the log's last line: "... Sequence Errors: E, Bad Packets: B"
  local n
  n=$(nfdump -R "$1/nf" -I 2>/dev/null | awk '/^Flows:/ {print $2; exit}')
  echo "${n:-0} - $(grep -o 'Sequence Errors: [0-9]*, Bad Packets: [0-9]*' "$1/nfcapd.out" | tail -n 1)"
}
start_nfacctd() {  # sql_dont_try_update (INSERT only) needs sql_history = sql_refresh_time
  cat >"$1/nfacctd.conf" <<CONF
daemonize: false
logfile: $1/nfacctd.log
nfacctd_ip: 127.0.0.1
nfacctd_port: $NVM_PORT
nfacctd_pipe_size: 8388608
nfacctd_time_new: true
plugins: sqlite3[s]
plugin_pipe_size[s]: 104857600
plugin_buffer_size[s]: 1048576
aggregate[s]: src_host, dst_host, src_port, dst_port, proto, flows
sql_db[s]: $1/pmacct.db
sql_table[s]: acct_v9
sql_table_version[s]: 9
sql_refresh_time[s]: 60
sql_history[s]: 1m
sql_dont_try_update[s]: true
sql_cache_entries[s]: 1000003
CONF
  sqlite3 "$1/pmacct.db" </usr/share/doc/pmacct/sql/pmacct-create-table_v9.sqlite3
  wrap "$1" nfacctd -f "$1/nfacctd.conf"
}
counts_nfacctd() {  # stored: the flow records it accounted (its flows counter); its rows apart
  echo "$(sqlite3 -readonly "$1/pmacct.db" "SELECT coalesce(sum(flows), 0), count(*), 'packets ' || coalesce(sum(packets), 0) FROM acct_v9" | tr '|' ' ')" \
    "log: $(grep -c 'Missing data detected' "$1/nfacctd.log") missing data, $(grep -c 'database is locked' "$1/nfacctd.log") locked," \
    "$(grep -ci 'finished cache entries' "$1/nfacctd.log") cache full"
}
# progress NAME DIR: sslvpnd: the rows in its store (max(id): cheap, and no query to the collector
# meanwhile); the others store at exit or every 60 s: their CPU ticks (idle: <= 1 tick a poll)
progress() {
  if [ "$1" = sslvpnd ]; then
    sqlite3 -readonly "$2/flows.db" 'SELECT coalesce(max(id), 0) FROM flows' 2>/dev/null || echo 0
  else
    server_ticks "$CPU_PIDS"
  fi
}

# run_one NAME PHASE SEND-ARGS...: one collector, one phase; appends a line to $WORK/results.
# wall: t0 (first datagram) to the last progress seen (polled every 0.25 s; done after 2 s
# without), plus for nfcapd and nfacctd the time from their stop signal to their exit (the file
# closed; the cache purged into SQLite)
run_one() {
  local name=$1 phase=$2 dir="$WORK/$1.$2" t0 tl p last c0 c1 d0 d1 m0 w0 rb sent rate stored rows extra cpu bytes ts tol=1
  shift 2
  mkdir -p "$dir"
  "start_$name" "$dir" || { echo "$name did not start" >&2; tail -n 20 "$WORK/sslvpnd.log" "$dir"/*.out >&2; stop_pid "$STOP_PID"; return; }
  sleep 1
  c0=$(server_ticks "$CPU_PIDS") d0=$(drops) rb=$(rcvbuf) m0=$(main_ticks "$STOP_PID") w0=$(wbytes "$CPU_PIDS")
  [ "$name" = sslvpnd ] && tol=0
  t0=$(now)
  ip netns exec "$NS" timeout $((DURATION * 3 + 60)) python3 "$REPLAY" send "$WORK/stream.bin" --port "$NVM_PORT" "$@" >"$dir/send.json"
  last=$(progress "$name" "$dir") tl=$(now)
  local deadline=$((SECONDS + STORE_WAIT))
  while [ "$SECONDS" -lt "$deadline" ]; do  # until the store stops growing (bounded)
    sleep 0.25
    p=$(progress "$name" "$dir")
    [ "$((p - last))" -gt "$tol" ] && tl=$(now)
    last=$p
    py "import sys; sys.exit(not $(now) - $tl >= 2)" && break
  done
  d1=$(drops)
  if [ "$name" = sslvpnd ]; then
    c1=$(server_ticks "$CPU_PIDS")
    cpu=$(py "print(($c1 - $c0) / $HZ)")
    echo "main $(py "print(round(($(main_ticks "$STOP_PID") - $m0) / $HZ, 2))") (it binds the socket only);" \
      "the collector wrote $((($(wbytes "$CPU_PIDS") - w0) >> 20)) MiB (/proc/PID/io) for a store of" \
      "$(($(du -cb "$dir"/flows.db* | tail -n 1 | cut -f1) >> 20)) MiB" >"$dir/main_cpu"
    read -r stored rows extra <<<"$(counts_sslvpnd "$dir")"
    stop_pid "$STOP_PID"
    gone "$CPU_PIDS"
  else
    ts=$(now)
    kill "-$([ "$name" = nfacctd ] && echo INT || echo TERM)" "$STOP_PID"  # nfacctd: SIGINT purges
    for _ in $(seq 1 $((STORE_WAIT * 10))); do kill -0 "$WRAP" 2>/dev/null || break; sleep 0.1; done
    tl=$(py "print($tl + $(now) - $ts)")
    kill -0 "$WRAP" 2>/dev/null && stop_pid "$STOP_PID" KILL
    wait "$WRAP" 2>/dev/null
    cpu=$(py "print(sum(map(float, open('$dir/rusage').read().split()[-2:])) - $c0 / $HZ)")
    read -r stored rows extra <<<"$("counts_$name" "$dir")"
  fi
  [[ "$stored" =~ ^[0-9]+$ ]] || stored=0  # a collector that stored nothing readable
  bytes=$(du -sb --apparent-size "$dir" --exclude='*.log' --exclude='*.json' --exclude='*.conf' --exclude='*.out' \
    --exclude='*-shm' --exclude=rusage --exclude=main_cpu | cut -f1)
  sent=$(json "d['records']" <"$dir/send.json") rate=$(json "d['records_per_s']" <"$dir/send.json")
  [ "$(json "d.get('reached', True)" <"$dir/send.json")" = True ] ||
    echo "NOTE: the python sender did not reach $RATE records/s for $name: $rate" >&2
  py "
st, s, w, cpu = $stored, $sent, max($tl - $t0, 0.001), $cpu
print('$name', '$phase', $rate, s, st, s - st, $d1 - $d0, round(w, 1), round(cpu, 2),
      round(cpu / max(st, 1) * 1e6, 2), round(st / w), round($bytes / max(st, 1), 1), '${rb:--}')" >>"$WORK/results"
  echo "$name $phase: $(tail -n 1 "$WORK/results") | rows ${rows:--} | $extra" >&2
  [ "$name" = sslvpnd ] && [ "$phase" = paced ] && sqlite3 "$dir/flows.db" .schema >"$WORK/schema.sql"
  sleep 1
}

# ---- 1. the stream, then each collector on it -----------------------------------------------
python3 "$REPLAY" gen "$WORK/stream.bin" --records $((RATE * DURATION)) >"$WORK/gen.json" || { echo "gen failed"; exit 1; }
echo "stream: $(cat "$WORK/gen.json")" >&2
: >"$WORK/results"
COLLECTORS=${COLLECTORS:-sslvpnd nfcapd nfacctd}
for c in $COLLECTORS; do run_one "$c" paced --rate "$RATE"; done
if [ "$OVERLOAD" = 1 ]; then
  for c in $COLLECTORS; do run_one "$c" overload --rate $((RATE * 2)); done
fi
if [ "$BURST" = 1 ]; then
  for c in $COLLECTORS; do run_one "$c" burst --burst "$BURST_SECS"; done
fi

# ---- 2. the query with ROWS flows stored ------------------------------------------------------
median() { sort -n | awk '{a[NR]=$1} END {print NR ? (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) : "-"}'; }
Q=""
if [ "$ROWS" -gt 0 ] && [ -s "$WORK/schema.sql" ]; then
  mkdir -p "$WORK/q"
  echo "filling a store with $ROWS flows (a minute or two for 10M)..." >&2
  python3 "$REPLAY" fill "$WORK/q/flows.db" --schema "$WORK/schema.sql" --rows "$ROWS" >"$WORK/fill.json"
  echo "fill: $(cat "$WORK/fill.json")" >&2
  STORE_BYTES=$(du -cb "$WORK"/q/flows.db* | tail -n 1 | cut -f1)
  COLS=$(sqlite3 "$WORK/q/flows.db" "SELECT group_concat(name) FROM pragma_table_info('flows') WHERE name != 'id'")
  SQL="SELECT $COLS FROM flows WHERE 1 AND vpn_user = 'user7' AND end_ms >= $(($(date +%s) * 1000 - 3600000)) ORDER BY end_ms DESC, id DESC LIMIT 1000"
  PLAN=$(sqlite3 "$WORK/q/flows.db" "EXPLAIN QUERY PLAN $SQL" | tr '\n' ' ')
  if start_sslvpnd "$WORK/q/flows.db"; then
    t0=$(now); ctl show collector -j >"$WORK/q/collector.json"; SC_MS=$(py "print(round(($(now) - $t0) * 1000))")
    EV=(--evict "$WORK/q/flows.db" --evict "$WORK/q/flows.db-wal")
    NROWS=$(ctl show flows user user7 since 1h limit 1000 -j | json 'len(d)')
    cold=$(for u in 11 222 333 444 555; do python3 "$REPLAY" timeit 1 "${EV[@]}" -- "$CTL" -s "$SOCK" show flows user "user$u" since 1h limit 1000 -j | cut -d' ' -f1; done | median)
    warm=$(python3 "$REPLAY" timeit 5 -- "$CTL" -s "$SOCK" show flows user user7 since 1h limit 1000 -j | cut -d' ' -f1)
    full=$(python3 "$REPLAY" timeit 5 -- "$CTL" -s "$SOCK" show flows user user7 limit 1000 -j | cut -d' ' -f1)
    stop_pid "$STOP_PID"
    gone "$CPU_PIDS"
    scold=$(python3 "$REPLAY" timeit 5 "${EV[@]}" -- sqlite3 -readonly -cmd '.timeout 5000' "$WORK/q/flows.db" "$SQL" | cut -d' ' -f1)
    swarm=$(python3 "$REPLAY" timeit 5 -- sqlite3 -readonly -cmd '.timeout 5000' "$WORK/q/flows.db" "$SQL" | cut -d' ' -f1)
    Q=1
  else
    echo "sslvpnd did not start on the filled store" >&2; tail -n 20 "$WORK/sslvpnd.log" >&2; stop_pid "$STOP_PID"
  fi
fi

# ---- 3. the report ---------------------------------------------------------------------------
printf '\nIPFIX stream: %s records (%s/s x %s s), 30 a 1370-byte message, distinct 5-tuples; burst: as fast as\n' \
  "$((RATE * DURATION))" "$RATE" "$DURATION"
printf 'the python sender goes for %s s (the file again and again), the sender spinning on a core; overload: the\n' "$BURST_SECS"
printf 'same stream paced at %s/s, the sender light: what each stores a second when offered more than it takes.\n' "$((RATE * 2))"
printf 'stored: sslvpnd flows_stored, nfcapd nfdump -I Flows, nfacctd sum(flows); lost = sent - stored;\n'
printf 'kdrops: datagrams the kernel dropped (RcvbufErrors); wall: first datagram to the last store growth\n'
printf '%-8s %-8s %9s %10s %10s %10s %7s %6s %7s %8s %9s %6s %9s\n' collector phase "rate/s" sent stored lost kdrops "wall s" "CPU s" "CPU s/M" "stored/s" "B/rec" "rcvbuf"
while read -r n ph r s st l k w c cm sps b rb _; do
  printf '%-8s %-8s %9s %10s %10s %10s %7s %6s %7s %8s %9s %6s %9s\n' "$n" "$ph" "$r" "$s" "$st" "$l" "$k" "$w" "$c" "$cm" "$sps" "$b" "$rb"
done <"$WORK/results"
for f in "$WORK"/sslvpnd.{paced,overload,burst}/collector.json; do
  [ -f "$f" ] || continue
  [ -f "$f" ] || continue
  echo "sslvpnd $(basename "$(dirname "$f")" | cut -d. -f2): CPU s of $(cat "$(dirname "$f")/main_cpu")"
  echo "  show collector: $(json "', '.join('%s %s' % (k, d.get(k, 0)) for k in ('messages', 'records', 'flows_stored', 'sequence_lost', 'sequence_disorder', 'flows_dropped_queue', 'flows_store_failed', 'store_rows', 'store_bytes'))" <"$f")"
done
if [ -n "$Q" ]; then
  printf '\nQuery: flows of one user in the last hour, limit 1000, with %s flows of 1000 users over 30 days stored\n' "$ROWS"
  printf '(%s rows match; store %s bytes = %s B/flow incl. indexes; fill %s s)\n' "$NROWS" "$STORE_BYTES" \
    "$(py "print(round($STORE_BYTES / $ROWS, 1))")" "$(json "d['seconds']" <"$WORK/fill.json")"
  printf '%-52s %10s %10s\n' "" "cold ms" "warm ms"
  printf '%-52s %10s %10s\n' "sslvpnctl show flows user U since 1h limit 1000 -j" "$cold" "$warm"
  printf '%-52s %10s %10s\n' "sqlite3 shell, the same SELECT" "$scold" "$swarm"
  printf '%-52s %10s %10s\n' "sslvpnctl show flows user U limit 1000 -j (1000 rows)" "" "$full"
  printf 'sslvpnctl show collector -j with %s rows: %s ms (store_rows %s)\n' "$ROWS" "$SC_MS" "$(json "d.get('store_rows')" <"$WORK/q/collector.json")"
  printf 'plan: %s\n' "$PLAN"
fi
PASSED=1
e2e_finish >/dev/null
