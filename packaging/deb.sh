#!/bin/bash
# Builds the Debian package from this source tree, checks it with lintian, and (with
# --autopkgtest) runs its autopkgtest against the built .deb on this machine (the "null"
# virtualisation server: the test installs the package here; run as root).
#
#   packaging/deb.sh [--autopkgtest] [OUTDIR]      (OUTDIR defaults to build-deb)
#
# The Debian directory lives in packaging/debian (the top level of the tree is fixed, and an
# upstream tarball without debian/ is what a Debian maintainer wants). This script copies the
# tree's files (those git tracks, plus new ones not ignored) to OUTDIR/sslvpnd-VERSION, makes
# the .orig tarball from that copy, puts debian/ in place and runs
#   dpkg-source -b .            (the source package, for lintian)
#   dpkg-buildpackage -us -uc -b
#   lintian --fail-on error,warning
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_AUTOPKGTEST=no
if [ "${1:-}" = --autopkgtest ]; then RUN_AUTOPKGTEST=yes; shift; fi
OUT=$(realpath -m "${1:-build-deb}")

for tool in dpkg-buildpackage dh lintian; do
  command -v "$tool" >/dev/null || { echo "deb.sh: needs $tool (packaging/deps.sh installs it)" >&2; exit 1; }
done
VERSION=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
UPSTREAM=${VERSION%-*}
TREE="$OUT/sslvpnd-$UPSTREAM"
rm -rf "$OUT"
mkdir -p "$TREE"

tree_files() {  # the source files, NUL-separated: git's list, or (no git checkout) all but build output
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard
  else
    find . -type f -not -path './build*' -not -path './.ccache*' -not -path './demo/*' -not -path './.git/*' \
      -printf '%P\0'
  fi
}
tree_files | grep -zv '^packaging/debian/' |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$TREE"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$(git log -1 --format=%ct 2>/dev/null || date +%s)" \
  -C "$OUT" -czf "$OUT/sslvpnd_$UPSTREAM.orig.tar.gz" "sslvpnd-$UPSTREAM"
cp -a packaging/debian "$TREE/debian"

(cd "$TREE" && dpkg-source -b . >/dev/null)
# Debian's compiler flags differ from the tree's builds: a separate ccache directory keeps
# them apart (meson finds ccache on its own).
(cd "$TREE" && CCACHE_DIR=${CCACHE_DIR:-$PWD/../.ccache}-deb dpkg-buildpackage -us -uc -b)

CHANGES=$(ls "$OUT"/sslvpnd_*_"$(dpkg --print-architecture)".changes)
DSC=$(ls "$OUT"/sslvpnd_*.dsc)
echo "deb.sh: lintian $CHANGES $DSC"
lintian --fail-on error,warning --display-level '>=warning' "$CHANGES" "$DSC"
echo "deb.sh: lintian reports no errors and no warnings"
ls -1 "$OUT"/*.deb

if [ "$RUN_AUTOPKGTEST" = yes ]; then
  command -v autopkgtest >/dev/null || { echo "deb.sh: needs autopkgtest" >&2; exit 1; }
  # The unpacked source tree (the test uses tests/support from it) and the built binaries.
  autopkgtest --output-dir "$OUT/autopkgtest" "$OUT"/sslvpnd_*.deb "$TREE" -- null
fi
