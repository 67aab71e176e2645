#!/bin/bash
# A connect-script's output, as openvpn's client-connect script hands it back: the file named by
# its first argument (and by client_connect_config_file), in openvpn's syntax, applied to that
# tunnel over the session's settings, for OpenVPN and AnyConnect clients alike. The script
# decides by user:
#   alice  push "route 192.0.2.0 255.255.255.0", a no-route, a DNS server, domains and a WINS
#          server: the
#          openvpn 2.6 client gets them pushed and routes 192.0.2.0/24 into its tunnel; openconnect
#          gets them as split-include, split-exclude, DNS and domain; the configured route and
#          DNS server stay (pushes add to them); the output file is gone afterwards
#   reset  push-reset, then one route: the configured route and DNS server are not pushed, the
#          new route is
#   v4all  push "redirect-gateway def1" on a dual-stack session: all of IPv4 (openvpn's meaning),
#          not IPv6: openvpn gets redirect-gateway def1 without ipv6, openconnect the two IPv4
#          halves as split-include and only its own IPv6 network
#   bob    disable: the tunnel is refused (openvpn: AUTH_FAILED), bob's later tunnel with a
#          script that allows him works (the session was not harmed)
#   carol  an unterminated quote: refused, the server logs why
# Every client is ended by its PID; every wait is bounded.
# shellcheck disable=SC2317  # functions only check runs look unreachable
source "$(dirname "$0")/lib.sh"
e2e_init
ov_require
ns_setup
SERVER_NS=$NS_S
CTL="$BUILD_DIR/sslvpnctl"
PIN=$(make_cert "$WORK/cert" ecdsa)
CA="$WORK/cert/cert.pem"
PW="$WORK/passwd"
for u in alice bob carol reset v4all; do add_user "$PW" "$u" "$u-Secret1"; printf '%s\n%s\n' "$u" "$u-Secret1" >"$WORK/$u.up"; done
chmod 600 "$WORK"/*.up
PORT=4443
OV_PORT=1194
source "$(dirname "$0")/openvpn_lib.sh"

cat >"$WORK/connect.sh" <<SCRIPT
#!/bin/sh
# the first argument and client_connect_config_file name the same file
[ "\$1" = "\$client_connect_config_file" ] || exit 3
echo "\$1" >>"$WORK/outputs"
case "\$USERNAME" in
  alice) printf '%s\n' 'push "route 192.0.2.0 255.255.255.0"' 'push "route 203.0.113.0 255.255.255.0 net_gateway"' \
           'push "dhcp-option DNS 10.9.9.9"' 'push "dhcp-option DOMAIN corp.example"' 'ifconfig-push 10.1.1.1 255.255.255.0' \
           'push "dhcp-option DOMAIN-SEARCH lab.example"' 'push "dhcp-option WINS 10.9.9.8"' \
           'iroute 198.18.5.0 255.255.255.0' 'iroute-ipv6 fd00:77::/64' >"\$1" ;;
  reset) printf '%s\n' push-reset 'push "route 100.64.7.0 255.255.255.0"' >"\$1" ;;
  v4all) printf '%s\n' 'push "redirect-gateway def1 bypass-dhcp"' >"\$1" ;;
  bob) [ -e "$WORK/bob-allowed" ] || echo disable >"\$1" ;;
  carol) echo 'push "route 10.0.0.0' >"\$1" ;;
esac
exit 0
SCRIPT
chmod 755 "$WORK/connect.sh"
ov_server A 10.86.1 fd00:86:1 "openvpn-udp-port = $OV_PORT" "connect-script = $WORK/connect.sh" ||
  { fail "the server starts"; e2e_finish; }
ov_user() { ov_conf_lines "$1" udp "auth-user-pass $WORK/$1.up"; ov_start "$1"; }
absent() { ! grep -q "$1" <<<"$2"; }  # absent TEXT IN
route_dev() { ip -n "$NS_C" -4 route show "$1" 2>/dev/null | grep -o 'dev [^ ]*' | head -n 1; }

echo "# alice: openvpn"
ov_user alice
check "alice: openvpn connects" ov_up alice
pushed=$(grep "PUSH: Received control message" "$WORK/ov-alice.log")
check "alice: the script's route is pushed (route 192.0.2.0 255.255.255.0)" grep -q "route 192.0.2.0 255.255.255.0" <<<"$pushed"
check "alice: ... and the client routes it into its tunnel" test "$(route_dev 192.0.2.0/24)" = "dev tunalice"
check "alice: the configured route stays ($BEHIND_NET)" grep -q "route ${BEHIND_NET%/*} " <<<"$pushed"
check "alice: the no-route is pushed around the tunnel (net_gateway)" grep -q "route 203.0.113.0 255.255.255.0 net_gateway" <<<"$pushed"
check "alice: the script's DNS server is pushed, after the configured one" grep -Eq "dhcp-option DNS $GW,dhcp-option DNS 10.9.9.9" <<<"$pushed"
check "alice: the domain is pushed" grep -q "dhcp-option DOMAIN corp.example" <<<"$pushed"
check "alice: the search domain is pushed (DOMAIN-SEARCH)" grep -q "dhcp-option DOMAIN-SEARCH lab.example" <<<"$pushed"
check "alice: the address is the pool's (ifconfig-push is not applied)" test "$(ov_addr4 alice | cut -d. -f1-3)" = 10.86.1
check "alice: ... and the server says so in its log" grep -q "not applied: ifconfig-push 10.1.1.1" "$LOG"
check "alice: the tunnel carries a ping" in_ns "$NS_C" ping -q -c 2 -W 2 "$GW"
A_DEV=$(ip -n "$NS_S" -o -4 addr show | awk -v a="$(ov_addr4 alice)" '$0 ~ "peer " a "/" {print $2; exit}')
check "alice: the script's iroute goes into her tunnel ($A_DEV)" bash -c "ip -n '$NS_S' -4 route show 198.18.5.0/24 | grep -q 'dev $A_DEV '"
check "alice: ... and its IPv6 iroute too" bash -c "ip -n '$NS_S' -6 route show fd00:77::/64 | grep -q 'dev $A_DEV '"
script_iroutes() {  # alice's iroutes in sslvpnctl show iroutes hold the script's two
  ctl --json show iroutes | python3 -c 'import json, sys
d = [u for u in json.load(sys.stdin) if u["Username"] == "alice"]
sys.exit(0 if d and {"198.18.5.0/24", "fd00:77::/64"} <= set(d[0]["iroutes"]) else 1)'
}
check "alice: sslvpnctl show iroutes lists both" script_iroutes
first=$(head -n 1 "$WORK/outputs" 2>/dev/null)
check "the script was given an output file" test -n "$first"
check "... it is gone once read" test ! -e "$first"
check "... it was in root's own directory beside the control socket (0700)" \
  test "$(dirname "$first") $(stat -c %a "$WORK/connect-script")" = "$WORK/connect-script 700"
ov_stop alice alice

echo "# alice: openconnect (the same output, AnyConnect's form)"
check "alice: openconnect connects" oc_connect oc alice alice-Secret1
check "alice: split-include has the script's route and the configured one" \
  bash -c "grep -q '192.0.2.0/255.255.255.0' '$WORK/oc.env.connect' && grep -q '${BEHIND_NET%/*}/' '$WORK/oc.env.connect'"
check "alice: split-exclude has the no-route" grep -q '203.0.113.0/255.255.255.0' "$WORK/oc.env.connect"
check "alice: DNS has both servers" test "$(env_of oc connect INTERNAL_IP4_DNS)" = "$GW 10.9.9.9"
check "alice: the domain is corp.example" test "$(env_of oc connect CISCO_DEF_DOMAIN)" = corp.example
check "alice: the split-DNS domain is lab.example" test "$(env_of oc connect CISCO_SPLIT_DNS)" = lab.example
check "alice: the NBNS server is 10.9.9.8" test "$(env_of oc connect INTERNAL_IP4_NBNS)" = 10.9.9.8
oc_stop oc

echo "# reset: push-reset"
ov_user reset
check "reset: openvpn connects" ov_up reset
pushed=$(grep "PUSH: Received control message" "$WORK/ov-reset.log")
check "reset: the script's route is pushed" grep -q "route 100.64.7.0 255.255.255.0" <<<"$pushed"
check "reset: ... and the client routes it into its tunnel" test "$(route_dev 100.64.7.0/24)" = "dev tunreset"
check "reset: the configured route is not pushed ($BEHIND_NET)" absent "route ${BEHIND_NET%/*} " "$pushed"
check "reset: nor the configured DNS server ($GW)" absent "dhcp-option DNS" "$pushed"
ov_stop reset reset
check "reset: openconnect connects" oc_connect ocr reset reset-Secret1
check "reset: openconnect gets no DNS server" test -z "$(env_of ocr connect INTERNAL_IP4_DNS)"
check "reset: ... and the script's route as split-include" grep -q '100.64.7.0/255.255.255.0' "$WORK/ocr.env.connect"
oc_stop ocr

echo "# v4all: redirect-gateway def1 on a dual-stack session is all of IPv4 only"
ov_user v4all
check "v4all: openvpn connects" ov_up v4all
pushed=$(grep "PUSH: Received control message" "$WORK/ov-v4all.log")
check "v4all: redirect-gateway def1 is pushed, without ipv6" grep -Eq "redirect-gateway def1(,|'|$)" <<<"$pushed"
check "v4all: ... and no plain route of half the IPv4 space" absent "route 0.0.0.0 128.0.0.0" "$pushed"
check "v4all: the client routes 0.0.0.0/1 into its tunnel" test "$(route_dev 0.0.0.0/1)" = "dev tunv4all"
check "v4all: ... and no IPv6 default route into it" \
  bash -c "! ip -n '$NS_C' -6 route show | grep -Eq '^(default|::/0|::/1|2000::/3) .*dev tunv4all'"
ov_stop v4all v4all
check "v4all: openconnect connects" oc_connect ocv v4all v4all-Secret1
check "v4all: split-include has both IPv4 halves" \
  bash -c "grep -q '0.0.0.0/128.0.0.0' '$WORK/ocv.env.connect' && grep -q '128.0.0.0/128.0.0.0' '$WORK/ocv.env.connect'"
check "v4all: the IPv6 split-include is the VPN's own network only" \
  test "$(env_of ocv connect CISCO_IPV6_SPLIT_INC)" = 1
oc_stop ocv

echo "# bob: disable"
ov_user bob
check "bob: refused: openvpn hears AUTH_FAILED and exits" bash -c "for _ in \$(seq 1 150); do grep -qs AUTH_FAILED '$WORK/ov-bob.log' && exit 0; sleep 0.1; done; exit 1"
check "bob: the server logs that the script disabled him" grep -q "connect-script disabled 'bob'" "$LOG"
ov_stop bob
touch "$WORK/bob-allowed"
ov_user bob
check "bob: allowed by the script now, he connects" ov_up bob
ov_stop bob bob

echo "# carol: malformed output"
ov_user carol
check "carol: refused" bash -c "for _ in \$(seq 1 150); do grep -qs AUTH_FAILED '$WORK/ov-carol.log' && exit 0; sleep 0.1; done; exit 1"
check "carol: the server logs the malformed line" grep -q "connect-script output for 'carol': line 1: an unterminated quote" "$LOG"
ov_stop carol
check "no output file is left behind" test -z "$(ls -A "$WORK/connect-script")"
check "the server still runs" kill -0 "$SERVER_PID"
e2e_finish
