#!/usr/bin/env bash
# Installs the headless Chromium the console's browser tests drive (test/console), from Debian's
# `chromium` package, when it is missing. puppeteer-core never downloads a browser of its own.
#
# Idempotent and fast when done: if $STATEFUN_CHROMIUM or /usr/bin/chromium exists, nothing
# happens. Otherwise, as root (or with password-less sudo): apt-get update && apt-get install -y chromium.
#
#   bash scripts/chromium/setup.sh        # what `npm test` runs first
set -euo pipefail

log() { echo "[chromium] $*"; }
die() {
  echo "[chromium] error: $*" >&2
  exit 1
}

if [ -n "${STATEFUN_CHROMIUM:-}" ] && [ -x "$STATEFUN_CHROMIUM" ]; then exit 0; fi
if [ -x /usr/bin/chromium ]; then exit 0; fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  die "Chromium is not installed and this user cannot install it: run as root, or install the Debian package 'chromium' (sudo apt-get install -y chromium), or set STATEFUN_CHROMIUM to a Chromium executable"
fi
log "installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq chromium >/dev/null
[ -x /usr/bin/chromium ] || die "apt-get installed chromium, but /usr/bin/chromium is missing"
log "installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
