#!/bin/bash
# The NVM / IPFIX collector over DTLS (nvm-dtls): a DTLS exporter's flows are stored as sent,
# after a stateless cookie; plain IPFIX to the DTLS port is dropped and counted; an exporter in
# alice's tunnel has its flows attributed to her; a reload adds nvm-dtls-ca (mutual DTLS): no
# certificate or one of another CA fails the handshake, a certificate of that CA works;
# garbage and cookie-less ClientHellos leave no session and the collector keeps serving; at most
# 32 handshakes from one address are kept half-open, and others are served meanwhile.
source "$(dirname "$0")/lib.sh"
e2e_init
command -v python3 >/dev/null || e2e_skip "needs python3"
EXPORTER="$BUILD_DIR/tests/dtls_exporter"
[ -x "$EXPORTER" ] || { echo "FAIL: $EXPORTER not built"; exit 1; }
ns_setup
SERVER_NS=$NS_S CTL="$BUILD_DIR/sslvpnctl" PW="$WORK/passwd" PORT=4443 NVM_PORT=4739 SOCK="$WORK/ctl.sock"
PIN=$(make_cert "$WORK/cert" ecdsa)
SCA="$WORK/cert/cert.pem"  # the server's self-signed certificate: the exporters' --ca
mkcert() {  # mkcert DIR CN [CA-DIR]: a CA (no CA-DIR), or an exporter's certificate it issued
  mkdir -p "$1"
  certtool --generate-privkey --ecc --outfile "$1/key.pem" >/dev/null 2>&1
  if [ -z "${3:-}" ]; then
    printf 'cn = "%s"\nca\ncert_signing_key\nexpiration_days = 30\n' "$2" >"$1/tmpl"
    certtool --generate-self-signed --load-privkey "$1/key.pem" --template "$1/tmpl" --outfile "$1/cert.pem" >/dev/null 2>&1
  else
    printf 'cn = "%s"\ntls_www_client\nsigning_key\nexpiration_days = 30\nserial = %s\n' "$2" "$RANDOM$RANDOM" >"$1/tmpl"
    certtool --generate-certificate --load-privkey "$1/key.pem" --load-ca-certificate "$3/cert.pem" \
      --load-ca-privkey "$3/key.pem" --template "$1/tmpl" --outfile "$1/cert.pem" >/dev/null 2>&1
  fi
}
mkcert "$WORK/ca" "NVM exporters CA"; mkcert "$WORK/exp" laptop-1 "$WORK/ca"
mkcert "$WORK/other-ca" "Unrelated CA"; mkcert "$WORK/rogue" laptop-1 "$WORK/other-ca"
add_user "$PW" alice 'alice-Secret1'
write_conf() {  # write_conf [lines...]: the server's configuration, plus those lines
  { base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = 10.79.0.0/24
route = $BEHIND_NET
occtl-socket-file = $SOCK
nvm-collector-port = $NVM_PORT
nvm-dtls = true
nvm-store = sqlite:$WORK/flows.db
CONF
    printf '%s\n' "$@"; } >"$WORK/sslvpnd.conf"
}
write_conf
ns_route_vpn_back 10.79.0.0/24
LOG="$WORK/server.log"; start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }
ctl() { "$CTL" -s "$SOCK" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(($1))"; }
col() { ctl show collector -j | json "$1"; }
flows() { ctl show flows "$@" limit 100000 -j; }
nrows() { flows "$@" | json 'len(d)'; }
wait_for() {  # wait_for TENTHS CMD...: waits (at most TENTHS/10 s) until CMD succeeds
  local n=$1 _i; shift
  for _i in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
  return 1
}
col_true() { [ "$(col "$1" 2>/dev/null)" = True ]; }
wait_col() { wait_for "${2:-50}" col_true "$1"; }  # wait_col EXPR [TENTHS]: until EXPR is True
rows_ge() { [ "$(nrows "${@:2}")" -ge "$1" ]; }
wait_rows() { wait_for 50 rows_ge "$@"; }  # wait_rows N FILTER...: until >= N rows match
gen() {  # gen NAME SEED FLOWS [nvzflow_gen args]: NAME.dgr (datagrams) and NAME.gen (the flows)
  python3 "$E2E_DIR/nvzflow_gen.py" --out "$WORK/$1.dgr" --seed "$2" --flows "$3" --rate 0 "${@:4}" >"$WORK/$1.gen"
}
export_dtls() {  # export_dtls NS HOST NAME [--cert C --key K]: dtls_exporter's exit code
  local ns=$1 host=$2 name=$3; shift 3
  in_ns "$ns" timeout 60 "$EXPORTER" "$host" "$NVM_PORT" "$WORK/$name.dgr" --ca "$SCA" "$@" >"$WORK/$name.exp.log" 2>&1
}
match() {  # match GEN ROWS SID USER ATTRIBUTED-BY: every flow of GEN is in ROWS as sent
  python3 - "$@" <<'PY'
import ipaddress as ip, json, sys
gen = [json.loads(l) for l in open(sys.argv[1]) if '"messages"' not in l]
key = lambda f: (f["proto"], ip.ip_address(f["src"]), f["sport"], ip.ip_address(f["dst"]), f["dport"])
rows, bad = {key(r): r for r in json.load(open(sys.argv[2]))}, []
for g in gen:
    r = rows.get(key(g))
    want = dict(vpn_session=sys.argv[3], vpn_user=sys.argv[4], attributed_by=sys.argv[5],
                process=g["process"], dest_hostname=g["hostname"], bytes_in=g["bytes_in"],
                bytes_out=g["bytes_out"], start_ms=g["start_ms"], end_ms=g["end_ms"])
    diff = {k: (r.get(k), v) for k, v in want.items() if r.get(k) != v} if r else "missing"
    bad += [diff] if diff else []
print("mismatch:", len(bad), bad[:2], file=sys.stderr) if bad else None
sys.exit(1 if bad or not gen else 0)
PY
}

# ---- 1. a DTLS export, no client certificate asked --------------------------------------------
check "show collector -j: dtls true, no session yet" test "$(col "d['dtls'], d['dtls_sessions']")" = "(True, 0)"
PID1=$(col "d['pid']")
gen d1 1 30
check "the DTLS exporter sends 30 flows (exit 0)" export_dtls "$NS_S" 127.0.0.1 d1
wait_rows 30 exporter 127.0.0.1
flows exporter 127.0.0.1 >"$WORK/d1.json"
check "all 30 flows are stored with their columns (process, dest_hostname, bytes, times)" \
  match "$WORK/d1.gen" "$WORK/d1.json" "" "" ""
check "... and only those 30" test "$(json 'len(d)' <"$WORK/d1.json")" = 30
check "dtls_handshakes 1, dtls_cookies_sent >= 1, no failure" \
  test "$(col "d['dtls_handshakes'], d['dtls_cookies_sent'] >= 1, d['dtls_handshake_failures']")" = "(1, True, 0)"
check "the exporter's close_notify ends its session (dtls_sessions 0)" wait_col "d['dtls_sessions'] == 0"

# ---- 2. plain IPFIX to the DTLS port --------------------------------------------------------------
ND0=$(col "d['dtls_not_dtls']"); ROWS0=$(col "d['store_rows']")
in_ns "$NS_S" timeout 60 python3 "$E2E_DIR/nvzflow_gen.py" --host 127.0.0.1 --port "$NVM_PORT" \
  --seed 2 --flows 20 >"$WORK/p.gen"
NP=$(tail -n 1 "$WORK/p.gen" | json "d['messages']")
check "dtls_not_dtls grows by the $NP plain datagrams" wait_col "d['dtls_not_dtls'] == $ND0 + $NP"
check "... and nothing is stored (store_rows $ROWS0, no flow from the plain export)" \
  test "$(col "d['store_rows']") $(nrows exporter 127.0.0.1)" = "$ROWS0 30"

# ---- 3. attribution over DTLS: an exporter inside alice's tunnel ---------------------------------
check "alice connects" oc_connect a alice 'alice-Secret1'
A_IP=$(env_of a connect INTERNAL_IP4_ADDRESS)
A_SID=$(ctl --json show users | json "[u['Session'] for u in d if u['Username'] == 'alice'][0]")
check "the client reaches the server's 198.51.100.1 only through the tunnel" \
  bash -c "ip -n '$NS_C' route get 198.51.100.1 | grep -q 'dev tuna'"
# A ClientHello from an unconnected socket: the cookie must come back from the address it was
# sent to, or the exporter (a connected socket, as NVM's) never sees it.
FROM=$(in_ns "$NS_C" timeout 10 python3 -c 'import socket, sys; sys.path.insert(0, sys.argv[2]); import dtls_hello
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(dtls_hello.client_hello(b"", 0), ("198.51.100.1", int(sys.argv[1]))); print(s.recvfrom(2048)[1][0])' "$NVM_PORT" "$E2E_DIR")
check "the collector answers a ClientHello to 198.51.100.1 from 198.51.100.1 (got ${FROM:-nothing})" \
  test "$FROM" = 198.51.100.1
gen d3 3 25 --src-ip "$A_IP"
check "the DTLS exporter in the client ns sends 25 flows of $A_IP to 198.51.100.1" export_dtls "$NS_C" 198.51.100.1 d3
wait_rows 25 user alice
flows user alice >"$WORK/d3.json"
check "all 25 are alice's (attributed_by exporter, session $A_SID) with their columns" \
  match "$WORK/d3.gen" "$WORK/d3.json" "$A_SID" alice exporter
check "... stored with exporter $A_IP (the DTLS session came through her tunnel)" \
  test "$(json "len(d), {r['exporter'] for r in d}" <"$WORK/d3.json")" = "(25, {'$A_IP'})"
check "dtls_handshakes 2" test "$(col "d['dtls_handshakes']")" = 2

# ---- 4. mutual DTLS by reload (nvm-dtls-ca) ------------------------------------------------------
write_conf "nvm-dtls-ca = $WORK/ca/cert.pem"
check "reload with nvm-dtls-ca" bash -c "'$CTL' -s '$SOCK' reload >/dev/null"
check "the collector restarted (new PID)" wait_col "d['pid'] != $PID1 and d['dtls']" 100
PID2=$(col "d['pid']")
ROWS0=$(col "d['store_rows']")
gen d4 4 10 --src-ip 10.44.0.2
export_dtls "$NS_S" 127.0.0.1 d4; rc=$?
check "an exporter without a client certificate fails (exit $rc, want 1)" test "$rc" = 1
check "... dtls_handshake_failures 1, no handshake" wait_col "(d['dtls_handshake_failures'], d['dtls_handshakes']) == (1, 0)" 250
export_dtls "$NS_S" 127.0.0.1 d4 --cert "$WORK/rogue/cert.pem" --key "$WORK/rogue/key.pem"; rc=$?
check "an exporter with a certificate of another CA fails (exit $rc, want 1)" test "$rc" = 1
check "... dtls_handshake_failures 2, no handshake" wait_col "(d['dtls_handshake_failures'], d['dtls_handshakes']) == (2, 0)" 250
check "... nothing of theirs is stored" test "$(nrows exporter 127.0.0.1) $(col "d['store_rows'], d['dtls_sessions']")" = "30 ($ROWS0, 0)"
check "an exporter with a certificate of nvm-dtls-ca succeeds" \
  export_dtls "$NS_S" 127.0.0.1 d4 --cert "$WORK/exp/cert.pem" --key "$WORK/exp/key.pem"
wait_rows 40 exporter 127.0.0.1
flows exporter 127.0.0.1 >"$WORK/d4.json"
check "... its 10 flows are stored with their columns" match "$WORK/d4.gen" "$WORK/d4.json" "" "" ""
check "... dtls_handshakes 1, store_rows +10" test "$(col "d['dtls_handshakes'], d['store_rows']")" = "(1, $((ROWS0 + 10)))"

# ---- 5. garbage and cookie-less ClientHellos ---------------------------------------------------
read -r ND0 CK0 HF0 < <(col "d['dtls_not_dtls'], d['dtls_cookies_sent'], d['dtls_handshake_failures']" | tr -d '(),')
check "hostile datagrams are sent" in_ns "$NS_S" timeout 120 python3 - "$NVM_PORT" "$E2E_DIR" >"$WORK/hostile.out" <<'PY'
import random, socket, sys, time
sys.path.insert(0, sys.argv[2])
from dtls_hello import client_hello
dst, rng = ("127.0.0.1", int(sys.argv[1])), random.Random(11)
def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s
def drain(s, wait, n=0, b=0):  # adds the answers (count, bytes) that come within `wait` s each
    s.settimeout(wait)
    try:
        while True:
            b += len(s.recv(2048)); n += 1
    except (socket.timeout, BlockingIOError):
        return n, b
s = sock()
for _ in range(300):  # random datagrams; none looks like a ClientHello (first byte never 22)
    s.sendto(bytes([rng.randrange(23, 256)]) + rng.randbytes(rng.randrange(1400)), dst)
    time.sleep(0.001)
t = sock()  # a ClientHello cut after its handshake type, and one cut in its random
for cut in (14, 40):
    t.sendto(client_hello(b"", 0)[:cut], dst)
tn, tb = drain(t, 0.5)
f, sent, n, b = sock(), 0, 0, 0  # 2000 ClientHellos from one socket, never returning the cookie
for i in range(2000):
    h = client_hello(b"", 0)
    f.sendto(h, dst); sent += len(h)
    if i % 50 == 49:
        time.sleep(0.01); n, b = drain(f, 0.001, n, b)
n, b = drain(f, 1.0, n, b)
print("plain 300 truncated_answers %d/%dB hello_bytes %d answer_bytes %d answers %d" % (tn, tb, sent, b, n))
PY
read -r _ NPLAIN _ TRUNC_ANS _ HB _ AB _ NANS <"$WORK/hostile.out"
check "dtls_not_dtls grew by the ${NPLAIN:-?} random datagrams and the 2 truncated ClientHellos" \
  wait_col "d['dtls_not_dtls'] == $ND0 + ${NPLAIN:-0} + 2"
check "2000 cookie-less ClientHellos were each answered by a cookie (dtls_cookies_sent +2000)" \
  wait_col "d['dtls_cookies_sent'] - $CK0 >= 2000"
check "... ${NANS:-?} answers reached the sender, no larger than the hellos (${AB:-?} <= ${HB:-?} bytes)" test "${AB:-1}" -le "${HB:-0}" -a "${AB:-0}" -gt 0
check "ClientHellos cut to 14 and 40 bytes get no answer (got ${TRUNC_ANS:-?} answers/bytes)" \
  test "${TRUNC_ANS:-1}" = 0/0B
check "no session was made (dtls_sessions 0, handshakes 1, failures unchanged)" \
  test "$(col "d['dtls_sessions'], d['dtls_handshakes'], d['dtls_handshake_failures']")" = "(0, 1, $HF0)"
check "the collector survived (PID $PID2)" test "$(col "d['pid']")" = "$PID2"
gen d5 5 15 --src-ip 10.55.0.2
check "a valid exporter still succeeds afterwards" \
  export_dtls "$NS_S" 127.0.0.1 d5 --cert "$WORK/exp/cert.pem" --key "$WORK/exp/key.pem"
wait_rows 55 exporter 127.0.0.1
flows exporter 127.0.0.1 >"$WORK/d5.json"
check "... and its 15 flows are stored" match "$WORK/d5.gen" "$WORK/d5.json" "" "" ""
check "the log tells the collector runs over DTLS" grep -q "collecting IPFIX over DTLS" "$LOG"

# ---- 6. half-open handshakes: cookies returned, never finished ---------------------------------
# From 127.0.0.2, 80 source ports each return the cookie with an ECDHE ClientHello and get the
# server's flight (a signature from sec-mod), then go silent. At most 32 such handshakes from
# one address are kept (max_half_open_per_address); the rest are refused and counted; an
# exporter on another address is served meanwhile.
read -r HS0 RH0 < <(col "d['dtls_sessions'], d['dtls_refused_half_open']" | tr -d '(),')
check "80 half-open handshakes from 127.0.0.2 are attempted" in_ns "$NS_S" timeout 120 python3 - "$NVM_PORT" >"$WORK/half.out" <<'PY'
import os, socket, struct, sys, time
dst = ("127.0.0.1", int(sys.argv[1]))
def hello(cookie, seq):
    ext = b""
    for t, body in ((0x000A, struct.pack("!HHH", 4, 0x0017, 0x001D)),   # supported_groups
                    (0x000B, b"\x01\x00"),                             # ec_point_formats
                    (0x000D, struct.pack("!HHHH", 6, 0x0403, 0x0804, 0x0401)),  # signature_algorithms
                    (0x0017, b""), (0xFF01, b"\x00")):                  # EMS, renegotiation_info
        ext += struct.pack("!HH", t, len(body)) + body
    suites = [0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA9, 0xCCA8]
    body = struct.pack("!H", 0xFEFD) + RANDOM + b"\x00" + bytes([len(cookie)]) + cookie
    body += struct.pack("!H", 2 * len(suites)) + b"".join(struct.pack("!H", x) for x in suites)
    body += b"\x01\x00" + struct.pack("!H", len(ext)) + ext
    hs = b"\x01" + len(body).to_bytes(3, "big") + struct.pack("!H", seq) + b"\x00\x00\x00" + len(body).to_bytes(3, "big") + body
    return b"\x16" + struct.pack("!H", 0xFEFD) + b"\x00\x00" + seq.to_bytes(6, "big") + struct.pack("!H", len(hs)) + hs
flights, socks = 0, []
for i in range(80):
    RANDOM = os.urandom(32)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.2", 0))
    s.settimeout(2)
    socks.append(s)  # kept open and silent: the handshake stays half-open
    try:
        s.sendto(hello(b"", 0), dst)
        hvr = s.recv(2048)
        if hvr[13] != 3:  # HelloVerifyRequest
            continue
        cookie = hvr[25 + 3:25 + 3 + hvr[25 + 2]]
        s.sendto(hello(cookie, 1), dst)
        s.settimeout(0.1 if flights >= 32 else 2)
        flight = s.recv(4096)
        flights += flight[0] == 22 and flight[13] == 2  # ServerHello
    except (socket.timeout, IndexError):
        pass
print("server_flights %d" % flights, flush=True)
PY
read -r _ FLIGHTS <"$WORK/half.out"
check "32 of them got the server's flight (got ${FLIGHTS:-?})" test "${FLIGHTS:-0}" = 32
check "dtls_refused_half_open counts the other 48" wait_col "d['dtls_refused_half_open'] - $RH0 == 48"
check "show collector says so" bash -c "'$CTL' -s '$SOCK' show collector | grep -q 'DTLS handshakes refused (too many from one address): $((RH0 + 48))'"
check "the collector survived (PID $PID2)" test "$(col "d['pid']")" = "$PID2"
check "the 32 handshakes are still half-open (dtls_sessions $(col "d['dtls_sessions']") >= ${HS0:-0} + 32)" \
  col_true "d['dtls_sessions'] >= ${HS0:-0} + 32"
gen d6 6 12 --src-ip 10.55.0.3
check "meanwhile an exporter on 127.0.0.1 is served" \
  export_dtls "$NS_S" 127.0.0.1 d6 --cert "$WORK/exp/cert.pem" --key "$WORK/exp/key.pem"
wait_rows 67 exporter 127.0.0.1
check "... and its 12 flows are stored" test "$(flows exporter 127.0.0.1 | json 'len(d)')" = 67
check "the half-open handshakes end after the handshake timeout (20 s): dtls_sessions back to ${HS0:-?}" \
  wait_col "d['dtls_sessions'] == ${HS0:-0}" 300
oc_stop a
e2e_finish
