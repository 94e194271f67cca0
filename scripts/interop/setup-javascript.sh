#!/usr/bin/env bash
# Prepares the JavaScript side of the interop tests: the official StateFun JavaScript SDK
# (apache-flink-statefun on npm, pinned with its dependencies in test/interop/javascript/package-lock.json)
# installed into test/interop/javascript/node_modules, where functions.js requires it.
#
# Idempotent and fast when already done: node_modules carries a stamp (the lockfile's hash); when it
# matches, nothing is installed. Otherwise `npm ci` installs exactly the lockfile (no install scripts).
#
#   bash scripts/interop/setup-javascript.sh      # what `npm test` runs first
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../test/interop/javascript" && pwd)"
stamp="$dir/node_modules/.statefun-interop-stamp"
want="lockfile sha256 $(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"

if [[ -f $stamp && "$(cat "$stamp")" == "$want" && -f $dir/node_modules/apache-flink-statefun/package.json ]]; then
  echo "[interop/javascript] ready: apache-flink-statefun in test/interop/javascript/node_modules"
  exit 0
fi

started=$SECONDS
npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error
node -e 'const p = require(process.argv[1]); console.log(`[interop/javascript] installed ${p.name} ${p.version}`)' \
  "$dir/node_modules/apache-flink-statefun/package.json"
echo "$want" >"$stamp"
echo "[interop/javascript] ready in $((SECONDS - started)) s"
