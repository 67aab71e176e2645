#!/bin/sh
# meson install hook: creates the unprivileged account workers run as, when installing into
# the live system (not into a DESTDIR staging tree, where the package's postinst does it).
set -e
[ -n "${DESTDIR:-}" ] && exit 0
[ "$(id -u)" = 0 ] || { echo "not root: create the 'sslvpnd' account yourself"; exit 0; }
id sslvpnd >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent \
  --shell /usr/sbin/nologin sslvpnd
