#!/bin/sh
# A minimal vpnc-script for the tests: configures openconnect's TUN device in the client
# namespace and records the environment openconnect passed (what the server sent) to
# $SSLVPND_TEST_DUMP.<reason>. Unlike the real vpnc-script it never touches resolv.conf.
# The record appears (atomically) only once the device is configured, so a test that waits
# for it may use the tunnel at once.
dump() {
  [ -n "$SSLVPND_TEST_DUMP" ] || return 0
  env | sort > "$SSLVPND_TEST_DUMP.$reason.tmp" && mv "$SSLVPND_TEST_DUMP.$reason.tmp" "$SSLVPND_TEST_DUMP.$reason"
}
case "$reason" in
  connect|reconnect) ;;
  *) dump ;;
esac
case "$reason" in
  connect|reconnect)
    ip link set dev "$TUNDEV" up mtu "${INTERNAL_IP4_MTU:-1400}"
    if [ -n "$INTERNAL_IP4_ADDRESS" ]; then
      ip addr replace "$INTERNAL_IP4_ADDRESS/32" dev "$TUNDEV"
      [ -n "$INTERNAL_IP4_NETADDR" ] && ip route replace "$INTERNAL_IP4_NETADDR/$INTERNAL_IP4_NETMASKLEN" dev "$TUNDEV"
    fi
    if [ -n "$INTERNAL_IP6_NETMASK" ]; then
      ip -6 addr replace "$INTERNAL_IP6_NETMASK" dev "$TUNDEV" nodad
    elif [ -n "$INTERNAL_IP6_ADDRESS" ]; then
      ip -6 addr replace "$INTERNAL_IP6_ADDRESS/128" dev "$TUNDEV" nodad
    fi
    i=0
    while [ "$i" -lt "${CISCO_SPLIT_INC:-0}" ]; do
      eval addr=\$CISCO_SPLIT_INC_${i}_ADDR
      eval len=\$CISCO_SPLIT_INC_${i}_MASKLEN
      ip route replace "$addr/$len" dev "$TUNDEV"
      i=$((i + 1))
    done
    i=0
    while [ "$i" -lt "${CISCO_IPV6_SPLIT_INC:-0}" ]; do
      eval addr=\$CISCO_IPV6_SPLIT_INC_${i}_ADDR
      eval len=\$CISCO_IPV6_SPLIT_INC_${i}_MASKLEN
      ip -6 route replace "$addr/$len" dev "$TUNDEV"
      i=$((i + 1))
    done
    dump
    ;;
esac
exit 0
