#!/bin/bash
# Many sessions at once, with sslvpnd-loadgen (one process, real TLS, XML login, CONNECT, CSTP
# DPD) against the real server: every session comes up and lasts, sslvpnctl still answers, and
# its long lists (more rows than one IPC message holds) arrive whole and as valid JSON.
source "$(dirname "$0")/lib.sh"
e2e_init
LOADGEN="$BUILD_DIR/tools/loadgen/sslvpnd-loadgen"
[ -x "$LOADGEN" ] || { echo "FAIL: $LOADGEN not built"; exit 1; }
N=${SCALE_SESSIONS:-300}
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" bench 'bench-pw'
PORT=$(free_port)
SOCK="$WORK/ctl.sock"
{ base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
listen-host = 127.0.0.1
ipv4-network = 10.120.0.0/20
device = scl
max-same-clients = 0
max-ban-score = 0
occtl-socket-file = $SOCK
CONF
} > "$WORK/sslvpnd.conf"
LOG="$WORK/server.log"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }
CTL="$BUILD_DIR/sslvpnctl"

# All at once (--rate 2000): a burst fills the zygote's socket, and main must queue its requests
# rather than take the back-pressure for a dead zygote.
timeout 300 "$LOADGEN" --server "127.0.0.1:$PORT" --user bench --password bench-pw --sessions "$N" --rate 2000 \
  --hold 8 --dpd 2 --server-pid "$SERVER_PID" --json > "$WORK/loadgen.json" 2>"$WORK/loadgen.err" &
LG=$!
STARTED_PIDS+=("$LG")
for _ in $(seq 1 600); do grep -q "holding" "$WORK/loadgen.err" && break; sleep 0.1; done
check "all $N sessions came up" grep -q "$N of $N sessions up" "$WORK/loadgen.err"
check "sslvpnctl show status counts them" bash -c "'$CTL' -s '$SOCK' show status | grep -q 'Active sessions: $N'"
check "show users --json lists every one (split across replies, joined)" bash -c \
  "'$CTL' -s '$SOCK' --json show users | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if len(d)==$N and len({u[\"ID\"] for u in d})==$N else 1)'"
check "show sessions --json too" bash -c \
  "'$CTL' -s '$SOCK' --json show sessions | python3 -c 'import json,sys; sys.exit(0 if len(json.load(sys.stdin))==$N else 1)'"
check "the table has a line per user" bash -c "test \$('$CTL' -s '$SOCK' show users | grep -c ' bench ') -eq $N"
for _ in $(seq 1 300); do kill -0 "$LG" 2>/dev/null || break; sleep 0.1; done
wait "$LG"
rc=$?
check "the load generator saw every session last the hold (exit $rc)" test "$rc" -eq 0
check "its report is JSON with no failure" python3 -c "
import json,sys; d=json.load(open('$WORK/loadgen.json'))
print('     ', {k: d[k] for k in ('established','alive_at_end','failed','login_ms_p50','server_pss_kb_per_session')})
sys.exit(0 if d['established']==$N and d['alive_at_end']==$N and d['failed']==0 else 1)"
check "DPD frames flowed" python3 -c "import json,sys; sys.exit(0 if json.load(open('$WORK/loadgen.json'))['dpd_sent'] >= $N else 1)"
check "server survived" kill -0 "$SERVER_PID"
check "the zygote served the whole burst (main never gave up on it)" bash -c "! grep -q 'worker zygote failed' '$LOG'"
e2e_finish
