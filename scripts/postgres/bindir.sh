#!/usr/bin/env bash
# Prints the directory holding PostgreSQL's server programs (initdb, pg_ctl), or fails.
# Order: $STATEFUN_PG_BIN; the newest /usr/lib/postgresql/*/bin (Debian, Ubuntu); the PATH.
set -euo pipefail

usable() { [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/postgres" ]; }

if [ -n "${STATEFUN_PG_BIN:-}" ]; then
  usable "$STATEFUN_PG_BIN" || {
    echo "STATEFUN_PG_BIN=$STATEFUN_PG_BIN holds no initdb, pg_ctl and postgres" >&2
    exit 1
  }
  echo "$STATEFUN_PG_BIN"
  exit 0
fi
for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
  if usable "$dir"; then
    echo "$dir"
    exit 0
  fi
done
if initdb="$(command -v initdb)"; then
  dir="$(dirname "$(readlink -f "$initdb")")"
  if usable "$dir"; then
    echo "$dir"
    exit 0
  fi
fi
echo "PostgreSQL's initdb and pg_ctl were not found (looked in \$STATEFUN_PG_BIN, /usr/lib/postgresql/*/bin and the PATH)" >&2
exit 1
