#!/usr/bin/env bash
# A throwaway PostgreSQL cluster in a directory of its own, for tests and local clusters.
#
#   bash scripts/postgres/cluster.sh start DIR    # initdb + start; prints the URL (postgres://…)
#   bash scripts/postgres/cluster.sh stop DIR     # stops the server and deletes DIR
#   bash scripts/postgres/cluster.sh crash DIR    # stops it the way a crash does (immediate: no checkpoint)
#   bash scripts/postgres/cluster.sh restart DIR  # starts it again on the same port (after crash)
#
# `start` wants DIR absent or empty. The server listens only on 127.0.0.1, on a free port, with
# trust authentication for the superuser `postgres`, its socket and data inside DIR, fsync and
# synchronous_commit on (the defaults, stated). `initdb` refuses to run as root, so as root
# every PostgreSQL program runs as the `postgres` user (made by the Debian package) and DIR is
# handed to it; as another user they run as that user.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() {
  echo "[postgres] error: $*" >&2
  exit 1
}

[ $# -eq 2 ] || die "usage: cluster.sh start|stop|crash|restart DIR"
command="$1"
dir="$2"
case "$dir" in /*) ;; *) dir="$(pwd)/$dir" ;; esac
data="$dir/data"
bindir="$(bash "$here/bindir.sh")" || die "PostgreSQL is not installed: run bash scripts/postgres/setup.sh"

if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root, but there is no 'postgres' user to run PostgreSQL as (initdb refuses root)"
  as_owner() { runuser -u postgres -- "$@"; }
else
  as_owner() { "$@"; }
fi

free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Starts the server of $data on port $1; fails (with the log) when it does not come up.
start_server() {
  as_owner "$bindir/pg_ctl" start -D "$data" -l "$dir/server.log" -w -t 60 -s \
    -o "-c port=$1 -c listen_addresses=127.0.0.1 -c unix_socket_directories='$dir'" >/dev/null
}

case "$command" in
start)
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then die "$dir is not empty"; fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
  as_owner "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
    die "initdb failed in $data: $(tail -n 20 "$dir/initdb.log")"
  cat >>"$data/postgresql.conf" <<CONF
# statefun-ts throwaway cluster
fsync = on
synchronous_commit = on
max_connections = 300
CONF
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    if start_server "$port"; then
      echo "$port" >"$dir/port"
      echo "postgres://postgres@127.0.0.1:$port/postgres"
      exit 0
    fi
    grep -q "could not bind\|already in use" "$dir/server.log" 2>/dev/null || break
  done
  die "the PostgreSQL server in $data did not start: $(tail -n 20 "$dir/server.log" 2>/dev/null)"
  ;;
stop)
  if [ -f "$data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" stop -D "$data" -m fast -w -t 60 -s || true
  fi
  rm -rf "$dir"
  ;;
crash)
  as_owner "$bindir/pg_ctl" stop -D "$data" -m immediate -w -t 60 -s
  ;;
restart)
  [ -f "$dir/port" ] || die "$dir holds no cluster started by cluster.sh"
  start_server "$(cat "$dir/port")" || die "the PostgreSQL server in $data did not restart: $(tail -n 20 "$dir/server.log")"
  ;;
*)
  die "unknown command '$command' (start, stop, crash or restart)"
  ;;
esac
