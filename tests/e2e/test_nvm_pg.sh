#!/bin/bash
# The NVM collector's PostgreSQL store, against a real PostgreSQL server the test starts: two
# gateways (two sslvpnd servers) write one database, each row naming its gateway; a flow from
# inside alice's tunnel on gateway A is stored as hers and gateway B's sslvpnctl finds it too
# (one store); softflowd's export to B is stored with B's name; a PostgreSQL restart loses
# nothing (the batch waits and is written once the server is back): gateway A reaches it by its
# Unix socket, gateway B by TCP to a host name (localhost), which the sandboxed collector cannot
# look up again, so its reconnection uses the address the name first resolved to.
# shellcheck disable=SC2317  # functions only check runs look unreachable
source "$(dirname "$0")/lib.sh"
e2e_init
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/initdb" ] || e2e_skip "needs the PostgreSQL server (apt-get install postgresql)"
for tool in softflowd python3 runuser; do
  command -v "$tool" >/dev/null || e2e_skip "needs $tool"
done
id postgres >/dev/null 2>&1 || e2e_skip "needs the postgres user (the postgresql package makes it)"
PG="$WORK/pg" PG_PORT=55432
mkdir -p "$PG" && chown postgres "$PG"
ns_setup
SERVER_NS=$NS_S
pg() { runuser -u postgres -- "$@"; }
# in the servers' namespace: its loopback carries gateway B's TCP connection
pg_start() { in_ns "$NS_S" runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -o "-k $PG -p $PG_PORT -c listen_addresses=127.0.0.1" -l "$PG/log" -w start >/dev/null; }
pg_stop() { pg "$PGBIN/pg_ctl" -D "$PG/data" -m fast -w stop >/dev/null 2>&1; }
test_cleanup() { [ -f "$PG/data/postmaster.pid" ] && pg_stop; }
pg "$PGBIN/initdb" -A trust -D "$PG/data" >"$PG/initdb.log" 2>&1 || { fail "initdb"; e2e_finish; }
pg_start || { fail "PostgreSQL starts"; e2e_finish; }
pg psql -h "$PG" -p $PG_PORT -qc "CREATE DATABASE flows" postgres
sql() { pg psql -h "$PG" -p $PG_PORT -d flows -tAc "$1"; }

CTL="$BUILD_DIR/sslvpnctl"
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1'
conf() {  # conf NAME TCP-PORT NVM-PORT STORE: gateway NAME's configuration
  { base_conf "$2" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = 10.79.$(( $2 % 100 )).0/24
route = $BEHIND_NET
occtl-socket-file = $WORK/$1.sock
nvm-collector-port = $3
nvm-store = $4
nvm-gateway-name = $1
CONF
  } >"$WORK/$1.conf"
}
conf gw-a 4443 4739 "postgresql:host=$PG port=$PG_PORT dbname=flows user=postgres"
conf gw-b 4444 4740 "postgresql:host=localhost port=$PG_PORT dbname=flows user=postgres"
start_server "$WORK/gw-a.conf" "$WORK/gw-a.log" "$WORK/gw-a.pid" 4443 || { fail "gateway A starts"; e2e_finish; }
start_server "$WORK/gw-b.conf" "$WORK/gw-b.log" "$WORK/gw-b.pid" 4444 || { fail "gateway B starts"; e2e_finish; }
ctl() { local gw=$1; shift; "$CTL" -s "$WORK/$gw.sock" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(($1))"; }
wait_sql() {  # wait_sql QUERY VALUE: waits (at most 10 s) until QUERY returns VALUE
  local _i
  for _i in $(seq 1 100); do [ "$(sql "$1")" = "$2" ] && return 0; sleep 0.1; done
  return 1
}
check "both gateways made or found the tables (one flows table)" test "$(sql "SELECT count(*) FROM pg_tables WHERE tablename = 'flows'")" = 1
check "show collector names the PostgreSQL store" \
  bash -c "'$CTL' -s '$WORK/gw-a.sock' show collector -j | grep -q '\"store\":\"postgresql:'"

# Gateway A: an NVM exporter inside alice's tunnel.
PORT=4443
ns_route_vpn_back 10.79.43.0/24
check "alice connects to gateway A" oc_connect a alice 'alice-Secret1'
A_IP=$(env_of a connect INTERNAL_IP4_ADDRESS)
in_ns "$NS_C" python3 "$E2E_DIR/nvzflow_gen.py" --host 198.51.100.1 --port 4739 --src-ip "$A_IP" --flows 30 \
  --seed 7 >"$WORK/gen-a.jsonl"
check "gateway A's 30 flows are in PostgreSQL, named gw-a" wait_sql "SELECT count(*) FROM flows WHERE gateway = 'gw-a'" 30
check "... attributed to alice by her tunnel address" \
  test "$(sql "SELECT count(*) FROM flows WHERE gateway = 'gw-a' AND vpn_user = 'alice' AND attributed_by = 'exporter'")" = 30
check "... with the process names the exporter sent" \
  test "$(sql "SELECT count(DISTINCT process) FROM flows WHERE gateway = 'gw-a'")" = \
  "$(python3 -c 'import json,sys; print(len({json.loads(l)["process"] for l in sys.stdin if "process" in l}))' <"$WORK/gen-a.jsonl")"
check "... the destination as an inet" test "$(sql "SELECT pg_typeof(dst) FROM flows LIMIT 1")" = inet

# Gateway B: softflowd's export of a known capture, outside any tunnel.
python3 "$E2E_DIR/flows_pcap.py" "$WORK/flows.pcap" --format csv >"$WORK/expected.csv"
in_ns "$NS_S" softflowd -v 10 -r "$WORK/flows.pcap" -n 127.0.0.1:4740 -p "$WORK/softflowd.pid" -A milli \
  >/dev/null 2>&1
EXPECTED=$(wc -l <"$WORK/expected.csv")
check "gateway B's $EXPECTED softflowd records are in PostgreSQL, named gw-b" \
  wait_sql "SELECT count(*) FROM flows WHERE gateway = 'gw-b'" "$EXPECTED"
check "... unattributed (no VPN session on B holds those addresses)" \
  test "$(sql "SELECT count(*) FROM flows WHERE gateway = 'gw-b' AND vpn_user IS NOT NULL")" = 0
ctl gw-b show flows limit 1000 -j >"$WORK/b.json"
check "gateway B's sslvpnctl sees both gateways' flows (one store)" \
  test "$(json "sorted({f.get('gateway') for f in d})" <"$WORK/b.json")" = "['gw-a', 'gw-b']"
check "show flows user alice on gateway B finds the 30 flows A collected" \
  test "$(ctl gw-b show flows user alice limit 1000 -j | json 'len(d)')" = 30
check "show flows dest filters on the inet column" \
  test "$(ctl gw-b show flows dest 192.0.2.10 limit 1000 -j | json "len(d) > 0 and all(f['dst'] == '192.0.2.10' for f in d)")" = True

# PostgreSQL restarts: flows that arrive meanwhile wait in the collector and are written after.
before=$(sql "SELECT count(*) FROM flows WHERE gateway = 'gw-a'")
before_b=$(sql "SELECT count(*) FROM flows WHERE gateway = 'gw-b'")
collector=$(ctl gw-a show collector -j | json "d['pid']")
pg_stop
check "PostgreSQL is stopped" bash -c "! runuser -u postgres -- psql -h '$PG' -p $PG_PORT -d flows -tAc 'SELECT 1' >/dev/null 2>&1"
in_ns "$NS_C" python3 "$E2E_DIR/nvzflow_gen.py" --host 198.51.100.1 --port 4739 --src-ip "$A_IP" --flows 12 \
  --seed 8 >/dev/null
in_ns "$NS_S" python3 "$E2E_DIR/nvzflow_gen.py" --host 127.0.0.1 --port 4740 --src-ip 192.0.2.77 --flows 9 \
  --seed 9 >/dev/null
sleep 1
check "while it is down, nothing is counted as lost" test "$(ctl gw-a show collector -j | json "d['flows_store_failed']")" = 0
check "... and the failure is shown" bash -c "'$CTL' -s '$WORK/gw-a.sock' show collector -j | grep -q '\"last_store_error\":\"[^\"]'"
pg_start || fail "PostgreSQL starts again"
check "once it is back, the 12 flows that waited are written" \
  wait_sql "SELECT count(*) FROM flows WHERE gateway = 'gw-a'" $((before + 12))
check "... and none was lost" test "$(ctl gw-a show collector -j | json "d['flows_store_failed']")" = 0
check "gateway B, which reaches it by host name over TCP, writes its 9 that waited too" \
  wait_sql "SELECT count(*) FROM flows WHERE gateway = 'gw-b'" $((before_b + 9))
check "... and lost none" test "$(ctl gw-b show collector -j | json "d['flows_store_failed']")" = 0
check "the collector that reconnected is the same process (PID $collector)" \
  test "$(ctl gw-a show collector -j | json "d['pid']")" = "$collector"
check "alice's tunnel still works" bash -c "ip netns exec '$NS_C' ping -c 2 -W 2 -I tuna '$BEHIND_IP' >/dev/null"
oc_stop a
e2e_finish
