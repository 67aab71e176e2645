#!/bin/bash
# Configures (once) and builds sslvpnd in DIR (default: build/), with any extra meson options.
#   packaging/build.sh [DIR] [meson options...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}; shift || true
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$@" >/dev/null
fi
ninja -C "$dir"
