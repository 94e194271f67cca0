#!/usr/bin/env bash
# Installs the PostgreSQL server the tests run against, from Debian packages, when it is missing.
#
# Idempotent and fast when done: if `initdb` and `pg_ctl` are found (under
# /usr/lib/postgresql/*/bin, in $STATEFUN_PG_BIN, or on the PATH), nothing happens. Otherwise, as
# root (or with password-less sudo), it runs `apt-get update && apt-get install -y postgresql`.
# The tests never use the system's own cluster: test/setup/postgres.ts starts a throwaway one
# with scripts/postgres/cluster.sh.
#
#   bash scripts/postgres/setup.sh        # what `npm test` runs first
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "[postgres] $*"; }
die() {
  echo "[postgres] error: $*" >&2
  exit 1
}

if bindir="$(bash "$here/bindir.sh" 2>/dev/null)"; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  die "PostgreSQL (initdb, pg_ctl) is not installed and this user cannot install it: run as root, or install the Debian package 'postgresql' (sudo apt-get install -y postgresql), or set STATEFUN_PG_BIN to a directory holding initdb and pg_ctl"
fi
command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available: install PostgreSQL (initdb, pg_ctl) and set STATEFUN_PG_BIN to their directory"

started=$SECONDS
log "installing PostgreSQL from Debian packages (apt-get install postgresql)"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q >/dev/null
"${as_root[@]}" apt-get install -y -q postgresql >/dev/null
bindir="$(bash "$here/bindir.sh")" || die "apt-get installed postgresql, yet initdb and pg_ctl are still not found"
log "installed $("$bindir/pg_ctl" --version) in $((SECONDS - started)) s"
