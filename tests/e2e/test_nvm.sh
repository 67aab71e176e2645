#!/bin/bash
# The NVM / IPFIX flow collector end to end: softflowd's export of a known pcap is stored exactly
# as nfdump sees it; a synthetic Cisco NVM exporter inside alice's tunnel has its flows stored
# with her user and session; an exporter outside the tunnel is attributed by the flows'
# addresses, and not after she leaves; a reload applies the privacy options (pseudonyms, cut
# arguments, no private destinations, no unattributed flows); hostile datagrams are counted and
# survived; a collector killed with -9 comes back with its store intact.
# shellcheck disable=SC2317  # functions only check runs look unreachable
source "$(dirname "$0")/lib.sh"
e2e_init
for tool in softflowd nfcapd nfdump python3; do
  command -v "$tool" >/dev/null || e2e_skip "needs $tool (IPFIX reference exporter and collector)"
done
ns_setup
SERVER_NS=$NS_S
CTL="$BUILD_DIR/sslvpnctl"
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1'
PORT=4443
NVM_PORT=4739
SOCK="$WORK/ctl.sock"
STORE="sqlite:$WORK/flows.db"
write_conf() {  # write_conf [nvm-* lines...]: the server's configuration, plus those lines
  { base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = 10.79.0.0/24
route = $BEHIND_NET
occtl-socket-file = $SOCK
nvm-collector-port = $NVM_PORT
nvm-store = $STORE
CONF
    printf '%s\n' "$@"; } >"$WORK/sslvpnd.conf"
}
write_conf
ns_route_vpn_back 10.79.0.0/24
LOG="$WORK/server.log"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }
ctl() { "$CTL" -s "$SOCK" "$@"; }
# json EXPR: prints EXPR evaluated on stdin's JSON (d); a tuple prints as "(a, b)"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(($1))"; }
col() { ctl show collector -j | json "$1"; }  # col EXPR: EXPR on show collector's JSON
flows() { ctl show flows "$@" limit 100000 -j; }  # flows [FILTER...]: the matching rows (JSON)
nrows() { flows "$@" | json 'len(d)'; }
wait_rows() {  # wait_rows N FILTER...: waits (at most 5 s) until the filter matches >= N rows
  local n=$1 _i; shift
  for _i in $(seq 1 50); do [ "$(nrows "$@")" -ge "$n" ] && return 0; sleep 0.1; done
  return 1
}
wait_new_pid() {  # wait_new_pid OLD: waits (at most 10 s) for a collector with another PID
  local p _i
  for _i in $(seq 1 100); do
    p=$(col "d['pid']" 2>/dev/null) && [ -n "$p" ] && [ "$p" != "$1" ] && { echo "$p"; return 0; }
    sleep 0.1
  done
  return 1
}
to_csv() {  # stored rows (JSON) -> "proto,src,sport,dst,dport,packets,bytes", sorted
  python3 -c 'import json,sys
for f in json.load(sys.stdin): print("%d,%s,%d,%s,%d,%d,%d" % tuple(f[k] for k in
  ("proto", "src", "sport", "dst", "dport", "packets", "bytes")))' | LC_ALL=C sort
}
pcap() {  # pcap NAME PCAP-OPTIONS...: NAME.pcap, NAME.json (flows), NAME.csv (softflowd's records)
  python3 "$E2E_DIR/flows_pcap.py" "$WORK/$1.pcap" "${@:2}" >"$WORK/$1.json" &&
    python3 "$E2E_DIR/flows_pcap.py" "$WORK/$1.pcap" "${@:2}" --format csv >"$WORK/$1.csv"
}
softflowd_send() {  # softflowd_send NAME: softflowd in the server's ns exports NAME.pcap to the
  # collector (127.0.0.1) and nfcapd; NAME.nfdump.csv is nfdump's view
  in_ns "$NS_S" timeout 120 bash "$E2E_DIR/ipfix_reference.sh" "$WORK/$1.pcap" "$NVM_PORT" "$WORK" \
    -A milli >"$WORK/$1.nfdump.csv" 2>"$WORK/$1.ref.log"
}
nvz_send() {  # nvz_send NAME SEED FLOWS SRC-IP: the NVM exporter in the client ns, sent to the
  # server's address behind the tunnel (so through it); NAME.gen holds what it sent
  in_ns "$NS_C" timeout 60 python3 "$E2E_DIR/nvzflow_gen.py" --host 198.51.100.1 --port "$NVM_PORT" \
    --src-ip "$4" --flows "$3" --seed "$2" >"$WORK/$1.gen" &&
    tail -n 1 "$WORK/$1.gen" | grep -q "\"flows\": $3"
}

# ---- 1. the collector is up, on its port, with its store ----------------------------------------
check "show collector -j: listen udp/$NVM_PORT, store $STORE" \
  test "$(col "d['listen'], d['store']")" = "('udp/$NVM_PORT', '$STORE')"
check "show collector (text) names the port and the store" \
  bash -c "grep -q 'Listening on: udp/$NVM_PORT' <<<\"\$0\" && grep -qF 'Store: $STORE' <<<\"\$0\"" "$(ctl show collector)"
check "the collector's port is bound in the server's namespace" test -n "$(in_ns "$NS_S" ss -Huln "sport = :$NVM_PORT")"

# ---- 2. softflowd's export is stored exactly as nfdump stores it ---------------------------------
A_BASE=$(($(date +%s) - 120))
pcap a --base-time "$A_BASE"  # 10.10.0.2 / fd00:10::2: no VPN session holds them
check "softflowd exports the pcap to the collector and nfcapd" softflowd_send a
wait_rows "$(wc -l <"$WORK/a.csv")" exporter 127.0.0.1
flows exporter 127.0.0.1 >"$WORK/a.rows.json"
to_csv <"$WORK/a.rows.json" >"$WORK/a.got.csv"
check "the collector stored $(wc -l <"$WORK/a.got.csv") records, identical to nfdump's view" \
  bash -c "[ -s '$WORK/a.got.csv' ] && diff '$WORK/a.nfdump.csv' '$WORK/a.got.csv'"
check "... and to what flows_pcap.py says softflowd exports" diff "$WORK/a.csv" "$WORK/a.got.csv"
check "start/end times lie within the pcap's span (±2 s)" python3 - "$WORK/a.json" "$WORK/a.rows.json" <<'PY'
import json, sys
fl = [json.loads(l) for l in open(sys.argv[1])]
lo, hi = min(f["first"] for f in fl) * 1000 - 2000, max(f["last"] for f in fl) * 1000 + 2000
rows = json.load(open(sys.argv[2]))
sys.exit(not rows or any(not lo <= r["start_ms"] <= r["end_ms"] <= hi for r in rows))
PY
check "... no flow is attributed (vpn_user empty)" test "$(json "sorted({r['vpn_user'] + r['attributed_by'] for r in d})" <"$WORK/a.rows.json")" = "['']"
check "show collector: softflowd's exporter 127.0.0.1 with sequence_mode inclusive, lost 0" \
  test "$(col "[(e['sequence_mode'], e['lost']) for e in d['exporters'] if e['address'].startswith('127.0.0.1 ')]")" = "[('inclusive', 0)]"

# ---- 3. an NVM exporter inside alice's tunnel ----------------------------------------------------
check "alice connects" oc_connect a alice 'alice-Secret1'
A_IP=$(env_of a connect INTERNAL_IP4_ADDRESS)
A_SID=$(ctl --json show users | json "[u['Session'] for u in d if u['Username'] == 'alice'][0]")
check "the client reaches the server's 198.51.100.1 only through the tunnel" \
  bash -c "ip -n '$NS_C' route get 198.51.100.1 | grep -q 'dev tuna'"
check "the NVM exporter sends 40 flows from alice's address $A_IP" nvz_send nvz1 7 40 "$A_IP"
wait_rows 40 exporter "$A_IP"
check "the stored exporter address is alice's tunnel address (the datagrams came through it)" \
  test "$(nrows exporter "$A_IP")" = 40
flows user alice >"$WORK/alice1.json"
match() {  # match GEN ROWS SID USER-REGEX CLAIMED-REGEX: every flow of GEN is in ROWS as sent
  python3 - "$@" <<'PY'
import ipaddress as ip, json, re, sys
gen = [json.loads(l) for l in open(sys.argv[1]) if '"messages"' not in l]
key = lambda f: (f["proto"], ip.ip_address(f["src"]), f["sport"], ip.ip_address(f["dst"]), f["dport"])
rows = {key(r): r for r in json.load(open(sys.argv[2]))}
bad = []
for g in gen:
    r = rows.get(key(g))
    if r is None:
        bad.append(("missing", g))
        continue
    want = dict(attributed_by="exporter", vpn_session=sys.argv[3], process=g["process"],
                dest_hostname=g["hostname"], bytes_in=g["bytes_in"], bytes_out=g["bytes_out"],
                start_ms=g["start_ms"], end_ms=g["end_ms"])
    diff = {k: (r.get(k), v) for k, v in want.items() if r.get(k) != v}
    if not re.fullmatch(sys.argv[4], r["vpn_user"]) or not re.fullmatch(sys.argv[5], r.get("claimed_user", "")):
        diff["user"] = (r["vpn_user"], r.get("claimed_user"))
    if diff:
        bad.append(diff)
if bad:
    print("mismatch:", len(bad), bad[:2], file=sys.stderr)
sys.exit(1 if bad or not gen else 0)
PY
}
check "every flow is stored with vpn_user alice, by exporter, her session $A_SID, and its columns" \
  match "$WORK/nvz1.gen" "$WORK/alice1.json" "$A_SID" alice 'CORP\\alice'
check "show flows user alice returns just those 40" test "$(json 'len(d)' <"$WORK/alice1.json")" = 40
check "show collector: the NVM exporter $A_IP counts as RFC 7011, lost 0" \
  test "$(col "[(e['sequence_mode'], e['lost']) for e in d['exporters'] if e['address'].startswith('$A_IP ')]")" = "[('rfc7011', 0)]"
check "since 10m / since 'YYYY-MM-DD HH:MM' find them, until 10m none" test "$(ctl show flows user alice since 10m -j | json 'len(d)') \
$(ctl show flows user alice since "$(date -d '-10 min' '+%Y-%m-%d %H:%M')" -j | json 'len(d)') \
$(ctl show flows user alice until 10m -j | json 'len(d)')" = "40 40 0"
check "show flows (text) lists alice's flows" bash -c "grep -c '^ *[0-9-]* [0-9:]*  *alice ' <<<\"\$0\" | grep -qx 40" "$(ctl show flows user alice)"
want=$(grep -c '"process": "Teams.exe"' "$WORK/nvz1.gen")
check "show flows process Teams.exe: the $want flows of that process only" \
  test "$(flows process Teams.exe | json "len(d), {r['process'] for r in d}")" = "($want, {'Teams.exe'})"
want=$(grep -c '"hostname": "www.example.com"' "$WORK/nvz1.gen")
check "show flows dest www.example.com: the $want flows to that host only" \
  test "$(flows dest www.example.com | json "len(d), {r['dest_hostname'] for r in d}")" = "($want, {'www.example.com'})"
check "limit 5 gives 5 rows, newest first" \
  test "$(ctl show flows user alice limit 5 -j | json "len(d), [r['end_ms'] for r in d] == sorted([r['end_ms'] for r in d], reverse=True)")" = "(5, True)"
check "--jsonl: one JSON object a line (40), oldest first" python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
sys.exit(not (len(rows) == 40 and all(isinstance(r, dict) for r in rows) and
              [r["end_ms"] for r in rows] == sorted(r["end_ms"] for r in rows)))' \
  < <(ctl show flows user alice --jsonl)

# ---- 4. an exporter outside the tunnel: attribution by the flows' addresses ----------------------
B_BASE=$(date +%s)
pcap b --v4-src "$A_IP" --v6-src fd00:4::2 --base-time "$B_BASE"
check "softflowd (on the server's loopback) exports flows of alice's address" softflowd_send b
n_b=$(grep -c ",$A_IP," "$WORK/b.csv")
wait_rows $((40 + n_b)) user alice
check "its $n_b records of $A_IP are alice's, attributed_by flow, with her session" \
  test "$(flows user alice exporter 127.0.0.1 | json "len(d), {(r['vpn_user'], r['attributed_by'], r['vpn_session']) for r in d}")" = "($n_b, {('alice', 'flow', '$A_SID')})"

# ---- 5. after she leaves, flows of her address are nobody's --------------------------------------
oc_stop a
for _ in $(seq 1 50); do [ "$(ctl --json show users | json 'len(d)')" = 0 ] && break; sleep 0.1; done
check "alice's tunnel is gone" test "$(ctl --json show users | json 'len(d)')" = 0
C_BASE=$(($(date +%s) + 10))
[ "$C_BASE" -lt $((B_BASE + 30)) ] && C_BASE=$((B_BASE + 30))  # after pcap b's last flow
pcap c --v4-src "$A_IP" --v6-src fd00:5::2 --base-time "$C_BASE"
check "softflowd exports the same flows, 10 s after she left" softflowd_send c
wait_rows "$(wc -l <"$WORK/c.csv")" exporter 127.0.0.1 since "$C_BASE"
check "all $(wc -l <"$WORK/c.csv") are stored unattributed" \
  test "$(flows exporter 127.0.0.1 since "$C_BASE" | json "len(d), {r['vpn_user'] + r['attributed_by'] for r in d}")" = "($(wc -l <"$WORK/c.csv"), {''})"

# ---- 6. reload with the privacy options ---------------------------------------------------------
PID1=$(col "d['pid']")
write_conf "nvm-anonymize-users = true" "nvm-truncate-args = 10" "nvm-drop-private-destinations = true"
check "reload with nvm-anonymize-users, nvm-truncate-args = 10, nvm-drop-private-destinations" \
  bash -c "'$CTL' -s '$SOCK' reload >/dev/null"
PID2=$(wait_new_pid "$PID1")
check "the collector restarted with them (PID $PID1 -> ${PID2:-none})" test -n "$PID2"
check "alice connects again" oc_connect a2 alice 'alice-Secret1'
A2_IP=$(env_of a2 connect INTERNAL_IP4_ADDRESS)
A2_SID=$(ctl --json show users | json "[u['Session'] for u in d if u['Username'] == 'alice'][0]")
check "the NVM exporter sends 40 more flows through her tunnel" nvz_send nvz2 8 40 "$A2_IP"
wait_rows 40 user alice
flows user alice >"$WORK/alice2.json"
check "show flows user alice finds the 40 new ones (stored as pseudonyms): anon-<16 hex>" \
  match "$WORK/nvz2.gen" "$WORK/alice2.json" "$A2_SID" 'anon-[0-9a-f]{16}' 'anon-[0-9a-f]{16}'
check "... and only those" test "$(json 'len(d)' <"$WORK/alice2.json")" = 40
check "... no column names alice in clear (parent_account, process_account, claimed_user...)" \
  bash -c "! grep -io '\"[a-z_]*\":\"[^\"]*alice[^\"]*\"' '$WORK/alice2.json' | sort | uniq -c | grep ."
check "... process_args cut to at most 10 bytes (the longest was >300)" \
  test "$(json "max(len(r.get('process_args', '').encode()) for r in d)" <"$WORK/alice2.json")" = 10
ROWS_D=$(col "d['store_rows']")
pcap d --v4-src 10.66.0.2 --v6-src fd00:66::2 --base-time "$(date +%s)"  # replies go to private addresses
check "softflowd exports flows whose replies go to 10.66.0.2 and fd00:66::2" softflowd_send d
n_priv=$(grep -cE ',(10\.66\.0\.2|fd00:66::2),[0-9]+,[0-9]+,[0-9]+$' "$WORK/d.csv")
n_pub=$(($(wc -l <"$WORK/d.csv") - n_priv))
check "... the $n_pub to public addresses are stored, none of the $n_priv to private ones" \
  test "$(flows exporter 127.0.0.1 | json "sum(r['src'] in ('10.66.0.2', 'fd00:66::2') for r in d), sum(r['dst'] in ('10.66.0.2', 'fd00:66::2') for r in d)")" = "($n_pub, 0)"
check "... the store grew by just those $n_pub" test "$(col "d['store_rows']")" = $((ROWS_D + n_pub))
check "flows_dropped_private counts the $n_priv" test "$(col "d['flows_dropped_private']")" = "$n_priv"
write_conf "nvm-anonymize-users = true" "nvm-truncate-args = 10" "nvm-drop-private-destinations = true" \
  "nvm-store-unattributed = false"
check "reload with nvm-store-unattributed = false" bash -c "'$CTL' -s '$SOCK' reload >/dev/null"
PID3=$(wait_new_pid "$PID2")
check "the collector restarted (PID $PID2 -> ${PID3:-none})" test -n "$PID3"
pcap e --v4-src 10.20.0.2 --v6-src 2001:db8:20::2 --base-time "$(date +%s)"
n_e=$(wc -l <"$WORK/e.csv")
check "softflowd exports $n_e records of no VPN session" softflowd_send e
check "none is stored" test "$(flows exporter 127.0.0.1 | json "sum('10.20.0.2' in (r['src'], r['dst']) or '2001:db8:20::2' in (r['src'], r['dst']) for r in d)")" = 0
check "flows_dropped_unattributed counts all $n_e" test "$(col "d['flows_dropped_unattributed'], d['flows_unattributed']")" = "($n_e, $n_e)"

# ---- 7. hostile input from the server's loopback -------------------------------------------------
before=$(col "d['pid'], d['malformed_messages'], d['templates_refused'], d['malformed_records']")
read -r PID_H MM0 TR0 MR0 < <(tr -d '(),' <<<"$before")
check "hostile datagrams are sent" in_ns "$NS_S" timeout 60 python3 - "$NVM_PORT" >"$WORK/hostile.out" <<'PY'
import random, socket, struct, sys, time
dst = ("127.0.0.1", int(sys.argv[1]))
rng = random.Random(5)
def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s
def msg(sets, seq=0, dom=1):
    body = b"".join(sets)
    return struct.pack("!HHIII", 10, 16 + len(body), int(time.time()), seq, dom) + body
def tset(tid, fields):  # a Template Set with one template: fields = [(id, length), ...]
    b = struct.pack("!HH", tid, len(fields)) + b"".join(struct.pack("!HH", i, l) for i, l in fields)
    return struct.pack("!HH", 2, 4 + len(b)) + b
s = sock()
for _ in range(500):  # random bytes (paced: the collector's socket buffer may be small)
    s.sendto(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 1500))), dst)
    time.sleep(0.001)
for n in (1, 4, 10, 15):  # truncated headers (a valid one cut short)
    s.sendto(msg([])[:n], dst)
s.sendto(msg([struct.pack("!HH", 300, 200) + b"\0" * 20]), dst)  # set length runs past the end
flood = sock()  # 2000 distinct template ids from one exporter, one template a set
for base in range(256, 2256, 100):
    flood.sendto(msg([tset(t, [(8, 4), (12, 4)]) for t in range(base, base + 100)], dom=7), dst)
    time.sleep(0.002)
s.sendto(msg([tset(400, [(8, 4)] * 500)], dom=2), dst)  # 500 fields
# variable-length field whose length runs past the end of the record
s.sendto(msg([tset(500, [(8, 4), (82, 65535)])], dom=3), dst)
rec = socket.inet_aton("192.0.2.1") + bytes([200]) + b"x" * 10
s.sendto(msg([struct.pack("!HH", 500, 4 + len(rec)) + rec], dom=3), dst)
rec = socket.inet_aton("192.0.2.1") + b"\xff\x40\x00" + b"x" * 10  # 3-byte form, 16384
s.sendto(msg([struct.pack("!HH", 500, 4 + len(rec)) + rec], dom=3), dst)
print("flood %d" % flood.getsockname()[1])
PY
FLOOD=$(sed -n 's/^flood //p' "$WORK/hostile.out")
for _ in $(seq 1 50); do  # at most 5 s for the collector to read them all
  after=$(col "d['pid'], d['malformed_messages'], d['templates_refused'], d['malformed_records']")
  read -r PID_A MM1 TR1 MR1 < <(tr -d '(),' <<<"$after")
  [ "${MR1:-0}" -ge $((MR0 + 2)) ] && break
  sleep 0.1
done
check "the collector survived (PID $PID_H -> $PID_A)" test "$PID_A" = "$PID_H"
check "malformed_messages grew by at least 505 ($MM0 -> $MM1)" test "$MM1" -ge $((MM0 + 505))
check "templates_refused grew by 1872 + 1 ($TR0 -> $TR1)" test "$TR1" -eq $((TR0 + 1873))
check "malformed_records grew by 2 ($MR0 -> $MR1)" test "$MR1" -eq $((MR0 + 2))
check "the flooding exporter holds 128 templates" \
  test "$(col "[e['templates'] for e in d['exporters'] if e['address'] == '127.0.0.1 $FLOOD']")" = "[128]"
check "a fresh NVM export through the tunnel still decodes" nvz_send nvz3 9 20 "$A2_IP"
wait_rows 60 user alice
flows user alice >"$WORK/alice3.json"
check "... and all 20 flows are stored as alice's" \
  match "$WORK/nvz3.gen" "$WORK/alice3.json" "$A2_SID" 'anon-[0-9a-f]{16}' 'anon-[0-9a-f]{16}'
check "alice's tunnel still carries traffic (ping $BEHIND_IP)" in_ns "$NS_C" ping -q -c 3 -i 0.2 -W 2 -I tuna2 "$BEHIND_IP" >/dev/null

# ---- 7b. what the kernel drops while the collector cannot keep up is counted (SO_RXQ_OVFL) ----
KD0=$(col "d['datagrams_dropped_kernel']")
KPID=$(host_pid "$PID_A")
if [ -n "$KPID" ]; then
  kill -STOP "$KPID"
  in_ns "$NS_S" timeout 30 python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(30000): s.sendto(bytes(1400), ('127.0.0.1', $NVM_PORT))"
  kill -CONT "$KPID"
  # The kernel tells the count with the next datagram it queues after the overflow.
  sleep 1
  in_ns "$NS_S" timeout 10 python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(10): s.sendto(bytes(20), ('127.0.0.1', $NVM_PORT))"
  sleep 0.5
fi
KD1=$(col "d['datagrams_dropped_kernel']")
check "datagrams the kernel dropped while the collector was stopped are counted ($KD0 -> $KD1)" \
  test "${KD1:-0}" -gt "${KD0:-0}"
check "... and shown by show collector" grep -q "Datagrams dropped by the kernel (receive buffer full): *$KD1" <<<"$(ctl show collector)"

# ---- 8. the collector killed with -9 comes back, its store intact --------------------------------
ROWS=$(col "d['store_rows']")
HPID=$(host_pid "$PID_A")
check "the collector's PID $PID_A is found from here (${HPID:-none})" test -n "$HPID"
[ -n "$HPID" ] && kill -9 "$HPID"
PID4=$(wait_new_pid "$PID_A")
check "within 10 s a new collector answers (PID ${PID4:-none})" test -n "$PID4"
check "the $ROWS flows stored before are still there" test "$(col "d['store_rows']")" = "$ROWS"
check "the NVM exporter sends again" nvz_send nvz4 10 10 "$A2_IP"
wait_rows 70 user alice
flows user alice >"$WORK/alice4.json"
check "... and the new collector stores them as alice's (it learnt her tunnel from main)" \
  match "$WORK/nvz4.gen" "$WORK/alice4.json" "$A2_SID" 'anon-[0-9a-f]{16}' 'anon-[0-9a-f]{16}'
check "... under the same pseudonym as before: show flows user alice finds all 70" \
  test "$(json "len(d), len({r['vpn_user'] for r in d})" <"$WORK/alice4.json")" = "(70, 1)"
check "the log tells of the collector's exit and restart" grep -q "NVM collector exited" "$LOG"
oc_stop a2
e2e_finish
