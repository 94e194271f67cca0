#!/usr/bin/env bash
# Checks each package's published surface as a consumer sees it (part of `npm run lint`; needs
# `npm run build` first, since it packs `dist`). Every package under packages/ is packed once
# (`npm pack`), then its tarball is checked by
# - publint (strict: warnings fail too): package.json fields and `exports` point at files that
#   are in the package;
# - @arethetypeswrong/cli: every entry point (".", "./spi", "./testing", …) resolves to JavaScript
#   and type declarations that agree. The packages are ESM only ("type": "module", no CommonJS
#   build), so the profile is `esm-only`: it leaves out the `node10` and `node16`-from-CommonJS
#   resolutions, where an ESM-only package cannot resolve by design (`require` of ESM; no
#   `exports` in node10). Every ESM resolution (node16 from ESM, bundler) must pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/node_modules/.bin

packages=()
for dir in packages/*/; do
  dir=${dir%/}
  if [[ ! -d $dir/dist ]]; then
    echo "check-exports: $dir/dist is missing; run 'npm run build' first" >&2
    exit 1
  fi
  packages+=("$dir")
done

packed=$(mktemp -d)
trap 'rm -rf "$packed"' EXIT
npm pack --silent --pack-destination "$packed" "${packages[@]/#/--workspace=}" >/dev/null

count=$(ls "$packed"/*.tgz | wc -l)
if ((count != ${#packages[@]})); then
  echo "check-exports: packed $count tarballs for ${#packages[@]} packages" >&2
  exit 1
fi

failed=()
for tarball in "$packed"/*.tgz; do
  name=$(basename "$tarball" .tgz)
  if ! out=$("$bin/publint" --strict "$tarball" 2>&1); then
    echo "$out"
    failed+=("$name (publint)")
  fi
  if ! out=$("$bin/attw" "$tarball" --profile esm-only --format ascii --no-color 2>&1); then
    echo "$out"
    failed+=("$name (attw)")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "check-exports: failed for ${failed[*]}" >&2
  exit 1
fi
echo "check-exports: publint and attw (esm-only) pass for ${#packages[@]} packages"
