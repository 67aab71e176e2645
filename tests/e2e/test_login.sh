#!/bin/bash
# The real openconnect client logs in to sslvpnd over TLS and gets a session cookie; wrong
# passwords fail without harming the server; groups are honoured; bad HTTP gets clear errors.
source "$(dirname "$0")/lib.sh"
e2e_init

PIN=$(make_cert "$WORK/ecdsa" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1' staff,ops
add_user "$PW" bob 'bob pass "quoted"' admins
add_user "$PW" carol 'carol-Secret' staff
"$PASSWD_TOOL" -c "$PW" -l carol
PORT=$(free_port)
# The server key as an encrypted PKCS#8 file, its password in pin-file (ocserv's keys).
printf 'e2e-key-pin\n' > "$WORK/key.pin"
certtool --to-p8 --load-privkey "$WORK/ecdsa/key.pem" --password e2e-key-pin --outfile "$WORK/ecdsa/key-p8.pem" >/dev/null 2>&1
chmod 600 "$WORK/ecdsa/key-p8.pem" "$WORK/key.pin"
cat > "$WORK/sslvpnd.conf" <<CONF
auth = "plain[passwd=$PW]"
tcp-port = $PORT
listen-host = 127.0.0.1
server-cert = $WORK/ecdsa/cert.pem
server-key = $WORK/ecdsa/key-p8.pem
pin-file = $WORK/key.pin
run-as-user = $RUN_AS_USER
run-as-group = $RUN_AS_USER
select-group = staff
select-group = ops[Operations]
select-group = admins[Administrators]
default-select-group = DEFAULT
banner = Welcome to the e2e VPN
# this test fails logins on purpose; bans have their own test (test_bans.sh)
max-ban-score = 0
# an ocserv key sslvpnd does not implement yet: a warning, not an error
cisco-svc-client-compat = true
# ocserv's names: ipv4-dns is dns; an unreadable ca-cert is not needed when no login uses
# certificates (ocserv starts then, and so must we)
ipv4-dns = 192.0.2.53
ca-cert = $WORK/no-such-ca.pem
CONF
LOG="$WORK/server.log"

check "sslvpnd -t accepts the configuration" "$SSLVPND" -t -c "$WORK/sslvpnd.conf"
echo "frobnicate = 1" > "$WORK/bad.conf"
out=$("$SSLVPND" -t -c "$WORK/bad.conf" 2>&1)
check "sslvpnd -t names an unknown key and its line" grep -q "bad.conf:1: unknown option 'frobnicate'" <<<"$out"

check "sslvpnd --no-chdir (ocserv's flag, used by service files) is accepted" "$SSLVPND" --no-chdir -t -c "$WORK/sslvpnd.conf"
check "the server key is an encrypted PKCS#8 file" grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$WORK/ecdsa/key-p8.pem"
sed "s|^pin-file = .*|key-pin = not-the-pin|" "$WORK/sslvpnd.conf" > "$WORK/badpin.conf"
out=$(timeout 10 "$SSLVPND" -f -c "$WORK/badpin.conf" 2>&1)
check "a wrong key-pin stops the server with a clear error" grep -q "cannot load server-key" <<<"$out"
# Workers do not check that the key fits the certificate (that cost a signature a login):
# sec-mod checks it once, and a mismatch stops the server before it takes a client.
make_cert "$WORK/other" ecdsa >/dev/null
sed "s|^server-cert = .*|server-cert = $WORK/other/cert.pem|" "$WORK/sslvpnd.conf" > "$WORK/mismatch.conf"
out=$(timeout 10 "$SSLVPND" -f -c "$WORK/mismatch.conf" 2>&1); rc=$?
check "a server-cert that does not fit server-key stops the server, naming both" \
  grep -q "server-cert '$WORK/other/cert.pem' does not match server-key" <<<"$out"
check "... with a failing exit code (not a timeout)" test "$rc" -ne 0 -a "$rc" -ne 124
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }
check "an unreadable ca-cert without certificate logins is a warning" grep -q "cannot read ca-cert.*not needed" "$LOG"
check "pid file holds the main pid" grep -qx "$(server_pidfile_pid "$SERVER_PID")" "$WORK/pid"
check "an ocserv feature sslvpnd lacks, asked for, is a warning" grep -q "'cisco-svc-client-compat = true' is not implemented by sslvpnd" "$LOG"

out=$(oc_auth "$PIN" "$PORT" alice 'alice-Secret1' --authgroup=DEFAULT)
check "right password: openconnect prints a COOKIE" grep -Eq "^COOKIE='.*webvpn=[0-9a-f]{64}'" <<<"$out"
check "first group is used when none is chosen" wait_for_log "$LOG" "user 'alice' (group 'staff') logged in"

# TLS session tickets: a second connection resumes (no signature), but only from the address
# the ticket was issued to (the ticket key is per client address).
res=$(timeout 30 python3 "$E2E_DIR/tls_resume.py" 127.0.0.1 "$PORT" 127.0.0.1 127.0.0.2 2>&1)
check "TLS: a full handshake first ($res)" grep -q "first=0" <<<"$res"
check "TLS: the ticket resumes from the same address" grep -q "same=1" <<<"$res"
check "TLS: the same ticket from another address gets a full handshake" grep -q "other=0" <<<"$res"

out=$(oc_auth "$PIN" "$PORT" alice 'wrong-password' --authgroup=DEFAULT)
rc=$?
check "wrong password: no cookie" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "wrong password: openconnect fails" test "$rc" -ne 0
check "wrong password is logged" wait_for_log "$LOG" "login failed for 'alice' from 127.0.0.1:[0-9]*: wrong password"

out=$(oc_auth "$PIN" "$PORT" alice 'alice-Secret1' --authgroup=Operations)
check "server still healthy after a failure; group ops chosen" grep -q "^COOKIE=" <<<"$out"
check "chosen group is the session's group" wait_for_log "$LOG" "user 'alice' (group 'ops') logged in"

out=$(oc_auth "$PIN" "$PORT" bob 'bob pass "quoted"' --authgroup=Administrators)
check "second user logs in with a password containing spaces and quotes" grep -q "^COOKIE=" <<<"$out"
check "second user gets its group" wait_for_log "$LOG" "user 'bob' (group 'admins') logged in"

out=$(oc_auth "$PIN" "$PORT" alice 'alice-Secret1' --authgroup=Administrators)
check "a group the user is not in is refused" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "refusal names the group in the server log" wait_for_log "$LOG" "not a member of group 'admins'"

out=$(oc_auth "$PIN" "$PORT" carol 'carol-Secret' --authgroup=DEFAULT)
check "locked account is refused" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
out=$(oc_auth "$PIN" "$PORT" mallory 'whatever' --authgroup=DEFAULT)
check "unknown user is refused" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "unknown user gets the same client message as a wrong password" grep -q "Login failed." <<<"$out"

"$PASSWD_TOOL" -c "$PW" -u carol
out=$(oc_auth "$PIN" "$PORT" carol 'carol-Secret' --authgroup=DEFAULT)
check "unlocked account logs in without a reload" grep -q "^COOKIE=" <<<"$out"
"$PASSWD_TOOL" -c "$PW" -d carol
out=$(oc_auth "$PIN" "$PORT" carol 'carol-Secret' --authgroup=DEFAULT)
check "deleted account is refused" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"

# Protocol-level checks with curl on one keep-alive connection.
if command -v curl >/dev/null; then
  URL="https://127.0.0.1:$PORT"
  reply='<config-auth client="vpn" type="auth-reply"><auth><username>alice</username><password>nope</password></auth></config-auth>'
  codes=$(curl -sk -o /dev/null -w '%{http_code}\n' -H 'X-Aggregate-Auth: 1' \
    --data "$reply" "$URL/auth" --next -sk -o /dev/null -w '%{http_code}\n' --data "$reply" "$URL/auth" \
    --next -sk -o /dev/null -w '%{http_code}\n' --data "$reply" "$URL/auth" | tr '\n' ' ')
  check "three wrong tries on one connection end with 401 (got: $codes)" test "$codes" = "200 200 401 "
  code=$(curl -sk -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$URL/")
  check "oversized header gets 431 (got $code)" test "$code" = 431
  code=$(curl -sk -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' --data x "$URL/")
  check "chunked body gets 501 (got $code)" test "$code" = 501
  # The server refuses at the headers while the body is still coming: it must not reset the
  # connection before the client has read the answer (ten tries, two sizes).
  codes=""
  for i in 1 2 3 4 5; do
    for size in 70000 4000000; do
      codes+=$(curl -sk -o /dev/null -w '%{http_code}' --data-binary @<(head -c $size /dev/zero | tr '\0' a) "$URL/")" "
    done
  done
  check "oversized body gets 413, every time (got $codes)" test "$codes" = "$(printf '413 %.0s' 1 2 3 4 5 6 7 8 9 10)"
  code=$(curl -sk -o /dev/null -w '%{http_code}' --data '<config-auth type="auth-reply"><auth><us' "$URL/auth")
  check "malformed XML gets 400 (got $code)" test "$code" = 400
  body=$(curl -sk "$URL/")
  check "GET / serves the XML login form" grep -q 'type="auth-request"' <<<"$body"
  code=$(curl -sk -o /dev/null -w '%{http_code}' --data "$reply" "$URL/some/where")
  check "a POST to a path no protocol serves gets 404, not a login (got $code)" test "$code" = 404
  code=$(curl -sk -o /dev/null -w '%{http_code}' "$URL/etc/passwd")
  check "GET of an unknown path gets 404 (got $code)" test "$code" = 404
  code=$(curl -sk -o /dev/null -w '%{http_code}' -X DELETE "$URL/")
  check "DELETE / gets 405 (got $code)" test "$code" = 405
  # Bare LF line endings: answered 400 at once (it used to wait for the auth timeout).
  code=$(python3 -c "
import socket, ssl, sys
ctx = ssl._create_unverified_context()
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', $PORT), timeout=5))
s.sendall(b'GET / HTTP/1.1\nHost: vpn\n\n')
print(s.recv(64).split(b' ')[1].decode())
" 2>&1 | tail -n 1)
  check "a request with bare LF line endings gets 400 within 5 s (got $code)" test "$code" = 400
else
  fail "curl is not installed"
fi
out=$(oc_auth "$PIN" "$PORT" alice 'alice-Secret1' --authgroup=staff)
check "server healthy after malformed requests" grep -q "^COOKIE=" <<<"$out"
check "no worker died of a signal" bash -c "! grep -Eq 'died of signal|seccomp filter' '$LOG'"

# ---- auto-select-group (ocserv's): the group list is the password file's groups
APORT=$(free_port)
grep -v '^select-group\|^default-select-group\|^tcp-port\|^ca-cert' "$WORK/sslvpnd.conf" > "$WORK/auto.conf"
printf 'tcp-port = %s\nauto-select-group = true\nselect-group = admins[Administrators]\n' "$APORT" >> "$WORK/auto.conf"
start_server "$WORK/auto.conf" "$WORK/auto.log" "$WORK/auto.pid" "$APORT" || fail "server start (auto-select-group)"
out=$(oc_auth "$PIN" "$APORT" alice 'alice-Secret1' --authgroup=ops --dump-http-traffic)
check "auto-select-group: the form lists the password file's groups" \
  bash -c "grep -q '<option value=\"staff\"' <<<\"\$0\" && grep -q '<option value=\"ops\"' <<<\"\$0\"" "$out"
check "... with select-group's label kept for the groups it names" grep -q '<option value="admins">Administrators</option>' <<<"$out"
check "... and a member logs in to a group from the file" wait_for_log "$WORK/auto.log" "user 'alice' (group 'ops') logged in"
check "... the log says where the groups came from" grep -q "auto-select-group: 2 groups from the plain method" "$WORK/auto.log"

# ---- select-group-by-url (ocserv 1.3+; cisco-client-compat = true implies it): openconnect
# given https://server/GROUP logs in to GROUP without choosing, the form offers only it, and a
# group the user is not in is refused. Off (the first server), the path is not found.
out=$(OC_PATH=ops oc_auth "$PIN" "$PORT" alice 'alice-Secret1')
check "select-group-by-url off: https://server/ops gets no login" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "... its path is not found" grep -q "no such page: POST /ops" "$LOG"
UPORT=$(free_port)
grep -v '^tcp-port\|^ca-cert' "$WORK/sslvpnd.conf" > "$WORK/url.conf"
printf 'tcp-port = %s\ncisco-client-compat = true\n' "$UPORT" >> "$WORK/url.conf"
start_server "$WORK/url.conf" "$WORK/url.log" "$WORK/url.pid" "$UPORT" || fail "server start (select-group-by-url)"
out=$(OC_PATH=ops oc_auth "$PIN" "$UPORT" alice 'alice-Secret1' --dump-http-traffic)
check "cisco-client-compat: https://server/ops logs alice in without a group choice" grep -q "^COOKIE=" <<<"$out"
check "... to group ops" wait_for_log "$WORK/url.log" "user 'alice' (group 'ops') logged in"
# The answer to POST /ops: what openconnect logged before it posted to the form's /auth.
first=$(sed "/^POST https:.*\/auth$/q" <<<"$out")
check "... the first form offered only ops, with its label" \
  bash -c "grep -q '<option value=\"ops\" selected=\"true\">Operations</option>' <<<\"\$0\" && ! grep -q '<option value=\"staff\"' <<<\"\$0\"" "$first"
out=$(OC_PATH=admins/ oc_auth "$PIN" "$UPORT" alice 'alice-Secret1')
check "https://server/admins/: alice is not in admins, no login" bash -c "! grep -q '^COOKIE=' <<<\"\$0\"" "$out"
check "... sec-mod says why" wait_for_log "$WORK/url.log" "not a member of group 'admins'"
out=$(OC_PATH=admins oc_auth "$PIN" "$UPORT" bob 'bob pass "quoted"' --authgroup=Operations)
check "https://server/admins: bob (in admins) logs in, the URL's group over --authgroup" grep -q "^COOKIE=" <<<"$out"
check "... to group admins" wait_for_log "$WORK/url.log" "user 'bob' (group 'admins') logged in"
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$UPORT/ops")
check "GET /ops is not found ($code), as in ocserv: only a login's POST names a group" test "$code" = 404

# ---- user-profile (ocserv's): the login's answer names the AnyConnect XML profile and its
# SHA-1; openconnect -x fetches it on the login's connection (checking the SHA-1) and keeps it;
# a name from its ServerList then reaches the server. A reload brings a changed profile.
PPORT=$(free_port)
cat > "$WORK/profile.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<AnyConnectProfile xmlns="http://schemas.xmlsoap.org/encoding/">
  <ServerList>
    <HostEntry>
      <HostName>E2E Corp VPN</HostName>
      <HostAddress>https://127.0.0.1:$PPORT/</HostAddress>
    </HostEntry>
  </ServerList>
</AnyConnectProfile>
XML
grep -v '^tcp-port\|^ca-cert' "$WORK/sslvpnd.conf" > "$WORK/profile.conf"
printf 'tcp-port = %s\nuser-profile = %s\n' "$PPORT" "$WORK/profile.xml" >> "$WORK/profile.conf"
start_server "$WORK/profile.conf" "$WORK/profile.log" "$WORK/profile.pid" "$PPORT" || fail "server start (user-profile)"
PROFILE_PID=$SERVER_PID
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PPORT/profiles/profile.xml")
check "user-profile: GET /profiles/profile.xml without a login is not found ($code)" test "$code" = 404
out=$(oc_auth "$PIN" "$PPORT" alice 'alice-Secret1' --authgroup=DEFAULT -x "$WORK/got-profile.xml")
check "openconnect -x logs in" grep -q "^COOKIE=" <<<"$out"
check "... and saved the server's profile byte for byte (it checks the SHA-1 the answer named)" \
  cmp "$WORK/profile.xml" "$WORK/got-profile.xml"
out=$(printf '%s\n' 'alice-Secret1' | timeout 20 openconnect --authenticate --passwd-on-stdin --non-inter -u alice \
  --servercert "$PIN" --authgroup=DEFAULT -x "$WORK/got-profile.xml" "E2E Corp VPN" 2>&1 | tee -a "$WORK/auth.out")
check "... its ServerList name ('E2E Corp VPN') then reaches the server" grep -q "^COOKIE=" <<<"$out"
check "... and the profile is not fetched again (same SHA-1)" test "$(grep -c 'GET /profiles/profile.xml:' "$WORK/profile.log")" = 1
# Cisco's downloader fetches it on a new connection, with the session's cookie.
PCOOKIE=$(sed -n "s/^COOKIE='\(.*\)'$/\1/p" <<<"$out")
curl -sk -o "$WORK/curl-profile.xml" -H "Cookie: $PCOOKIE" "https://127.0.0.1:$PPORT/profiles/profile.xml"
check "... and on a new connection to the session's cookie" cmp "$WORK/profile.xml" "$WORK/curl-profile.xml"
code=$(curl -sk -o /dev/null -w '%{http_code}' -H "Cookie: webvpn=$(printf '%064d' 0)" "https://127.0.0.1:$PPORT/profiles/profile.xml")
check "... not to a cookie sec-mod does not know ($code)" test "$code" = 404
sed -i 's|</ServerList>|</ServerList>\n  <!-- changed -->|' "$WORK/profile.xml"
kill -HUP "$PROFILE_PID"
wait_for_log "$WORK/profile.log" "configuration reloaded"
out=$(oc_auth "$PIN" "$PPORT" alice 'alice-Secret1' --authgroup=DEFAULT -x "$WORK/got-profile.xml")
check "after a reload, the changed profile is fetched" cmp "$WORK/profile.xml" "$WORK/got-profile.xml"

e2e_finish
