#!/bin/bash
# ocserv's camouflage with the real openconnect in network namespaces: without the secret the
# server answers as a plain web server (401 with the realm, or 404 without one; 405 to a CONNECT
# whose cookie is no good), for AnyConnect's and GlobalProtect's pages alike, with nothing that
# names a VPN; openconnect given https://server/?secret logs in, gets a tunnel and pings
# through it; without the secret it gets no tunnel. A reload that drops the realm turns the
# refusals into 404s. ocserv's included-http-headers replace the built-in hardening headers on
# every answer, and custom-header reaches openconnect in the CONNECT answer.
source "$(dirname "$0")/lib.sh"
e2e_init
command -v curl >/dev/null || e2e_skip "needs curl"
ns_setup
SERVER_NS=$NS_S
PIN=$(make_cert "$WORK/cert" ecdsa)
PW="$WORK/passwd"
add_user "$PW" alice 'alice-Secret1'
PORT=4443
SECRET=kq7Vx2mLr9Tz
note_secret "$SECRET"
CTL="$BUILD_DIR/sslvpnctl"
SOCK="$WORK/ctl.sock"
LOG="$WORK/server.log"
conf() {  # conf REALM-LINE: the configuration, camouflage on
  { base_conf "$PORT" "$WORK/cert" "$PW"; cat <<CONF
ipv4-network = 10.91.0.0/24
gp-esp-port = 4501
occtl-socket-file = $SOCK
max-ban-score = 0
camouflage = true
camouflage_secret = "$SECRET"
$1
CONF
  } >"$WORK/sslvpnd.conf"
}
conf 'camouflage_realm = "Restricted Content"'
out=$("$BUILD_DIR/sslvpnd" -t -c "$WORK/sslvpnd.conf" 2>&1)
check "sslvpnd -t takes the camouflage keys without a warning" bash -c "! grep -qi camouflage <<<'$out'"
start_server "$WORK/sslvpnd.conf" "$LOG" "$WORK/pid" "$PORT" || { fail "server start"; e2e_finish; }

URL="https://$SERVER_IP:$PORT"
# probe NAME CURL-ARGS... PATH: a request from the client namespace; its status line and headers
# in $WORK/NAME.h, its body in $WORK/NAME.b; prints the status code.
probe() {
  local name=$1 path=${*: -1}
  in_ns "$NS_C" curl -sk --max-time 10 -D "$WORK/$name.h" -o "$WORK/$name.b" -w '%{http_code}' \
    "${@:2:$#-2}" "$URL$path" 2>/dev/null
}
# no_vpn NAME: nothing in that answer names a VPN
no_vpn() { ! grep -Eqi 'config-auth|X-CSTP|X-DTLS|webvpn|X-Reason|sslvpnd|prelogin|globalprotect' "$WORK/$1.h" "$WORK/$1.b"; }

check "GET / without the secret: 401" test "$(probe get /)" = 401
check "... with the realm (WWW-Authenticate: Basic realm=\"Restricted Content\")" \
  grep -qi '^WWW-Authenticate: Basic realm="Restricted Content"' "$WORK/get.h"
check "... and nothing that names a VPN" no_vpn get
INIT='<?xml version="1.0" encoding="UTF-8"?><config-auth client="vpn" type="init"><version who="vpn">9.01</version><group-access>'"$URL"'</group-access></config-auth>'
check "AnyConnect's first POST without the secret: 401" \
  test "$(probe post -X POST -H 'User-Agent: AnyConnect Linux_64 4.10' --data "$INIT" /)" = 401
check "... nothing that names a VPN" no_vpn post
check "a wrong secret: 401" test "$(probe wrong "/?${SECRET}x")" = 401
# head_probe PATH: a HEAD request over TLS, read to the end; prints the status code and the
# number of bytes after the head (a web server sends none).
head_probe() {
  in_ns "$NS_C" python3 - "$SERVER_IP" "$PORT" "$1" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10) as raw:
    with ctx.wrap_socket(raw) as s:
        s.sendall(f"HEAD {sys.argv[3]} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        try:
            while len(data) < 65536:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (OSError, ssl.SSLError):
            pass
head, _, rest = data.partition(b"\r\n\r\n")
print(head.split(b" ")[1].decode() if head.startswith(b"HTTP/") else "none", len(rest))
PY
}
check "HEAD / without the secret: 401 and no body, like a web server" test "$(head_probe /)" = "401 0"
check "HEAD /?secret: 405 and no body" test "$(head_probe "/?$SECRET")" = "405 0"
check "GlobalProtect's prelogin without the secret: 401 (hidden too)" \
  test "$(probe gp -X POST --data 'tmp=tmp' /global-protect/prelogin.esp)" = 401
check "... nothing that names a VPN" no_vpn gp
check "CONNECT with a cookie that is no good: 405" \
  test "$(probe connect -X CONNECT -H 'Cookie: webvpn=0123456789abcdef' /CSCOSSLC/tunnel)" = 405
check "... nothing that names a VPN" no_vpn connect
check "CONNECT without a cookie: 405" test "$(probe connect0 -X CONNECT /CSCOSSLC/tunnel)" = 405
# CONNECT to other paths must not tell the server's pages (/, /auth, GlobalProtect's) from others.
for p in / /auth /global-protect/prelogin.esp /no-such-page; do
  check "CONNECT $p: the same 401 as any request without the secret" test "$(probe cx -X CONNECT "$p")" = 401
done
check "GET /?secret: the login page" test "$(probe ok "/?$SECRET")" = 200
check "... AnyConnect's config-auth" grep -q 'config-auth' "$WORK/ok.b"

if oc_connect n alice 'alice-Secret1'; then fail "openconnect without the secret got a tunnel"; oc_stop n; else
  pass "openconnect without the secret: no tunnel"; fi
check "... it was told 401, nothing about a VPN" grep -Eq '401|Unauthorized' "$WORK/n.oc.log"
OC_PATH="?$SECRET" check "openconnect https://server/?secret logs in and gets a tunnel" oc_connect a alice 'alice-Secret1'
check "... an address from the pool ($(env_of a connect INTERNAL_IP4_ADDRESS))" \
  bash -c "[[ '$(env_of a connect INTERNAL_IP4_ADDRESS)' == 10.91.0.* ]]"
check "... ping through the tunnel (the server's end, 10.91.0.1)" in_ns "$NS_C" ping -c 3 -i 0.2 -W 2 10.91.0.1
check "sslvpnctl show users lists alice" bash -c "'$CTL' -s '$SOCK' show users | grep -q alice"
check "the server logged the refused probes" grep -q "camouflage: a request without the secret" "$LOG"
oc_stop a

# Without a realm the refusals are 404s (a reload: new connections get the new settings).
conf ''
check "sslvpnctl reload" bash -c "'$CTL' -s '$SOCK' reload | grep -q 'configuration reloaded'"
check "after the reload, GET / without the secret: 404" test "$(probe get2 /)" = 404
check "... no WWW-Authenticate" bash -c "! grep -qi '^WWW-Authenticate' '$WORK/get2.h'"
check "... nothing that names a VPN" no_vpn get2
check "... and GET /?secret still reaches the login page" test "$(probe ok2 "/?$SECRET")" = 200

# ocserv's included-http-headers (from its sample configuration) and custom-header: the
# refusals and the login page carry the site's own headers instead of the built-in ones, and
# openconnect's CONNECT answer carries the custom header.
conf 'included-http-headers = Strict-Transport-Security: max-age=63072000 ; includeSubDomains
included-http-headers = X-Frame-Options: sameorigin
included-http-headers = Referrer-Policy: no-referrer
included-http-headers = Clear-Site-Data: "cache","cookies","storage"
custom-header = "X-CSTP-Site-Note: hello %{U}"'
no_header_warning() { ! "$BUILD_DIR/sslvpnd" -t -c "$WORK/sslvpnd.conf" 2>&1 | grep -Eqi 'http-headers|custom-header'; }
check "sslvpnd -t takes included-http-headers and custom-header without a warning" no_header_warning
check "sslvpnctl reload" bash -c "'$CTL' -s '$SOCK' reload | grep -q 'configuration reloaded'"
probe hdr / >/dev/null
check "a refusal carries the site's headers (Referrer-Policy)" grep -qi '^Referrer-Policy: no-referrer' "$WORK/hdr.h"
check "... its Strict-Transport-Security, not the built-in one" \
  grep -qi '^Strict-Transport-Security: max-age=63072000 ; includeSubDomains' "$WORK/hdr.h"
check "... one X-Frame-Options, the site's" \
  test "$(grep -ci '^X-Frame-Options' "$WORK/hdr.h")" = 1 -a "$(grep -ci '^X-Frame-Options: sameorigin' "$WORK/hdr.h")" = 1
check "... no built-in Content-Security-Policy" bash -c "! grep -qi '^Content-Security-Policy' '$WORK/hdr.h'"
check "... Cache-Control: no-store stays" grep -qi '^Cache-Control: no-store' "$WORK/hdr.h"
check "the login page carries them too" \
  bash -c "[ \"\$1\" = 200 ] && grep -qi '^Clear-Site-Data: \"cache\",\"cookies\",\"storage\"' '$WORK/hdr2.h'" _ "$(probe hdr2 "/?$SECRET")"
OC_PATH="?$SECRET" check "openconnect logs in and gets a tunnel" oc_connect h alice 'alice-Secret1' -v
# openconnect (9.01 here) prints the CONNECT answer's X-CSTP- headers with -v, known or not.
check "... its CONNECT answer carries the custom header, %{U} as the user" \
  grep -q 'X-CSTP-Site-Note: hello alice' "$WORK/h.oc.log"
check "... ping through the tunnel" in_ns "$NS_C" ping -c 2 -i 0.2 -W 2 10.91.0.1
oc_stop h
check "no worker died of a signal" bash -c "! grep -Eq 'died of signal|seccomp filter' '$LOG'"
check "the server is alive" kill -0 "$SERVER_PID"
e2e_finish
