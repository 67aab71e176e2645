#!/bin/bash
# Reference view of a pcap's flows for the IPFIX collector's tests: softflowd reads the pcap and
# exports IPFIX (one run, each datagram sent to both destinations) to our collector on
# 127.0.0.1:PORT_A and to a private nfcapd on a free loopback port; nfdump then prints what
# nfcapd stored, one unidirectional flow record a line, sorted (LC_ALL=C):
#
#   proto,srcaddr,srcport,dstaddr,dstport,packets,bytes      e.g. 6,10.10.0.2,40001,192.0.2.10,80,6,360
#
# proto is the number (nfdump prints names; they are mapped back). For ICMP/ICMPv6 srcport is 0
# and dstport is type*256+code (softflowd's icmpTypeCode), e.g. 2048 = echo request.
# The test compares this with the flows its collector stored (flows_pcap.py --format csv prints
# the same lines for its own pcap, computed without softflowd).
#
# Run:     ipfix_reference.sh PCAP PORT_A WORKDIR [softflowd options...]
# Source:  . ipfix_reference.sh; ipfix_reference PCAP PORT_A WORKDIR [softflowd options...]
#
# PORT_A "-" sends to nfcapd only. WORKDIR must exist; a temp dir is made under it and removed
# after (IPFIX_REF_KEEP=1 keeps it and prints its path on stderr). Extra softflowd options are
# appended to "-v 10": e.g. -a (flowStart/EndSysUpTime relative to the pcap's first packet,
# export time = pcap time) or -A milli (flowStart/EndMilliseconds, IE 152/153). Environment:
# IPFIX_REF_PORT_B (nfcapd's port; default: a free one), IPFIX_REF_TIMEOUT (seconds for each
# wait, default 20). Every wait is bounded; only the processes started here are ended, by PID.
# Returns non-zero (and prints the logs on stderr) if softflowd fails or nfcapd did not store
# every record softflowd says it sent.

ipfix_reference() (
  set -u
  local pcap=$1 port_a=$2 workdir=$3
  shift 3
  local limit=${IPFIX_REF_TIMEOUT:-20}
  local tmp nfpid="" port_b dests records stored i files
  for tool in softflowd nfcapd nfdump python3 timeout; do
    command -v "$tool" >/dev/null || { echo "ipfix_reference: needs $tool" >&2; return 2; }
  done
  [ -r "$pcap" ] || { echo "ipfix_reference: cannot read $pcap" >&2; return 2; }
  tmp=$(mktemp -d "$workdir/ipfixref.XXXXXX") || return 2
  mkdir "$tmp/nf"

  cleanup() {
    if [ -n "$nfpid" ] && kill -0 "$nfpid" 2>/dev/null; then
      kill "$nfpid" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$nfpid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$nfpid" 2>/dev/null
    fi
    if [ "${IPFIX_REF_KEEP:-0}" = 1 ]; then
      echo "ipfix_reference: kept $tmp" >&2
    else
      rm -rf "$tmp"
    fi
  }
  fail() {
    echo "ipfix_reference: $*" >&2
    for f in "$tmp"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }; done
    cleanup
    return 1
  }
  udp_bound() {  # udp_bound PORT: something listens on 127.0.0.1:PORT or *:PORT (IPv4)
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p="$hex" 'NR > 1 { split($2, a, ":"); if (a[2] == p && (a[1] == "0100007F" ||
                     a[1] == "00000000")) found = 1 } END { exit !found }' /proc/net/udp
  }

  port_b=${IPFIX_REF_PORT_B:-$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')}
  udp_bound "$port_b" && { fail "port $port_b is already in use"; return 1; }
  # -t 3600: fewer file rotations (nfdump -R reads every file of the directory anyway)
  nfcapd -w "$tmp/nf" -b 127.0.0.1 -p "$port_b" -t 3600 >"$tmp/nfcapd.log" 2>&1 &
  nfpid=$!
  for ((i = 0; i < limit * 10; i++)); do
    udp_bound "$port_b" && break
    kill -0 "$nfpid" 2>/dev/null || { fail "nfcapd exited"; return 1; }
    sleep 0.1
  done
  udp_bound "$port_b" || { fail "nfcapd not listening on $port_b after ${limit}s"; return 1; }
  sleep 0.1
  kill -0 "$nfpid" 2>/dev/null || { fail "nfcapd exited"; return 1; }

  # One -n with a comma-separated list: softflowd sends each datagram to every destination
  # (several -n options do not add up: the last one wins). -p: with -r softflowd writes no
  # pidfile but unlinks it at exit (default /var/run/softflowd.pid). -r implies foreground and
  # no control socket; softflowd exits after EOF having exported every flow.
  if [ "$port_a" = "-" ]; then dests="127.0.0.1:$port_b"; else dests="127.0.0.1:$port_a,127.0.0.1:$port_b"; fi
  timeout "$limit" softflowd -v 10 "$@" -r "$pcap" -n "$dests" -p "$tmp/softflowd.pid" \
    >"$tmp/softflowd.log" 2>&1 || { fail "softflowd failed ($?)"; return 1; }
  # "Flows exported: 16 (27 records) in 2 packets (0 failures)"
  records=$(sed -n 's/^Flows exported: [0-9]* (\([0-9]*\) records).*/\1/p' "$tmp/softflowd.log")
  [ -n "$records" ] || { fail "no export summary from softflowd"; return 1; }

  sleep 0.3  # loopback delivery is immediate; let nfcapd drain its socket
  kill "$nfpid" 2>/dev/null  # nfcapd writes and closes its file on SIGTERM
  for ((i = 0; i < limit * 10; i++)); do kill -0 "$nfpid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$nfpid" 2>/dev/null && { fail "nfcapd did not exit after ${limit}s"; return 1; }
  wait "$nfpid" 2>/dev/null
  nfpid=""
  # "Ident: 'none' Flows: 27, Packets: 129, Bytes: 38208, Sequence Errors: 1, Bad Packets: 0"
  # (softflowd's sequence numbers count the message's own records: nfcapd reports errors)
  stored=$(sed -n "s/^Ident: .* Flows: \([0-9]*\),.*/\1/p" "$tmp/nfcapd.log" | awk '{s += $1} END {print s + 0}')
  [ "$stored" = "$records" ] || { fail "softflowd sent $records records, nfcapd stored $stored"; return 1; }
  files=$(find "$tmp/nf" -type f -name 'nfcapd.*' | wc -l)
  [ "$files" -gt 0 ] || { fail "nfcapd wrote no file"; return 1; }

  # nfdump -o csv columns: 4 sa, 5 da, 6 sp, 7 dp, 8 pr (name), 12 ipkt, 13 ibyt
  nfdump -R "$tmp/nf" -q -o csv 2>"$tmp/nfdump.log" | awk -F, '
    BEGIN { n["ICMP"] = 1; n["IGMP"] = 2; n["TCP"] = 6; n["UDP"] = 17; n["IPv6"] = 41;
            n["RSVP"] = 46; n["GRE"] = 47; n["ESP"] = 50; n["AH"] = 51; n["ICMP6"] = 58;
            n["OSPF"] = 89; n["PIM"] = 103; n["SCTP"] = 132 }
    NF >= 13 && $4 != "sa" {
      p = $8; gsub(/ /, "", p); if (p in n) p = n[p]
      for (i = 4; i <= 13; i++) gsub(/ /, "", $i)
      print p "," $4 "," $6 "," $5 "," $7 "," $12 "," $13
    }' | LC_ALL=C sort > "$tmp/reference.csv"
  [ "$(wc -l < "$tmp/reference.csv")" = "$records" ] ||
    { fail "nfdump printed $(wc -l < "$tmp/reference.csv") records, expected $records"; return 1; }
  cat "$tmp/reference.csv"
  cleanup
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  if [ $# -lt 3 ]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
    exit 2
  fi
  ipfix_reference "$@"
fi
