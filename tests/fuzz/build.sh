#!/bin/bash
# Configures (once) and builds the libFuzzer targets in DIR (default build-fuzz/): clang,
# -Dfuzzing=true (every library instrumented for coverage), ASan and UBSan. Only the fuzz
# targets and what they link are built.
#   tests/fuzz/build.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-fuzz}
command -v clang++ >/dev/null || { echo "tests/fuzz/build.sh: needs clang (packaging/deps.sh installs it)" >&2; exit 1; }
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$dir" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$dir" build.ninja >/dev/null  # meson regenerates itself first if its files changed
mapfile -t targets < <(ninja -C "$dir" -t targets all | sed -n 's/^\(tests\/fuzz\/fuzz_[a-z0-9_]*\): .*/\1/p' | sort -u)
ninja -C "$dir" "${targets[@]}"
