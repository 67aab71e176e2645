#!/bin/bash
# Installs what sslvpnd needs to build, run and be tested on Debian 12 (as root).
#   packaging/deps.sh          build + runtime + test dependencies
set -euo pipefail
PKGS=(
  # build
  meson ninja-build pkg-config g++ ccache protobuf-compiler libprotobuf-dev
  # fuzzing: clang and its libFuzzer, ASan and UBSan runtimes (tests/fuzz/build.sh)
  clang clang-14 libclang-rt-14-dev
  libgnutls28-dev libssl-dev nettle-dev libev-dev libpam0g-dev libxml2-dev libseccomp-dev libcrypt-dev libmnl-dev liboath-dev libradcli-dev catch2 libsqlite3-dev libpq-dev liblz4-dev
  # run: certtool makes the demo certificate
  gnutls-bin iproute2 util-linux
  # test: commands the tests and scripts call that a minimal Debian 12 may lack
  iputils-ping procps python3
  # test: openssl s_client shows the stapled OCSP response, openssl ocsp makes one (test_vhost)
  openssl
  # package: dpkg-buildpackage on debhelper 13, lintian, autopkgtest (packaging/deb.sh)
  build-essential dpkg-dev debhelper lintian autopkgtest git
  # test: every e2e server runs as the packaged unit under a private systemd (tests/e2e/unit.sh);
  # capsh decodes capability sets
  systemd libcap2-bin
  # test: the real clients and tools the end-to-end tests drive
  openconnect openvpn curl iperf3 nftables oathtool libpam-oath passwd freeradius
  # test: openvpn 2.5 from Debian 11, fetched and checked against its signed index (tests/e2e/openvpn25_fetch.sh)
  gpgv debian-archive-keyring
  # test: a real load balancer sending PROXY protocol headers (listen-proxy-proto)
  haproxy
  # test: cwrap, to run the server without root as ocserv's test suite does (test_socket_wrapper)
  libsocket-wrapper libuid-wrapper
  # test: IPFIX exporters and a reference collector for the NVM collector's tests
  softflowd nfdump sqlite3
  # test: a real PostgreSQL server for the collector's PostgreSQL store
  postgresql
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
    exit 1
  fi
  echo "deps.sh: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
