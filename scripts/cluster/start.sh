#!/usr/bin/env bash
# A local cluster: several `statefun run` workers on this machine sharing one PostgreSQL database.
#
#   bash scripts/cluster/start.sh [--url postgres://…] [--workers N] [MODULE_FILE…]
#
# Without --url (or $STATEFUN_CLUSTER_URL) it starts a throwaway PostgreSQL server with
# scripts/postgres/cluster.sh (deleted again on exit). Worker i (1…N, default 3) runs as
# `worker-i` with --port-offset (i-1)*100: admin 8081+offset, ingress 8090+offset, egress
# 8091+offset. Modules default to the greeter and the shopping cart (as `npm start`). Each
# worker's output goes to a log file in the cluster's directory. Ctrl-C stops every worker
# (gracefully: they release their key groups) and the throwaway server.
#
# Restart a worker killed by hand with the command printed for it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cli="$root/packages/server/dist/cli/main.js"
die() {
  echo "[cluster] error: $*" >&2
  exit 1
}

url="${STATEFUN_CLUSTER_URL:-}"
workers=3
modules=()
while [ $# -gt 0 ]; do
  case "$1" in
  --url)
    [ $# -ge 2 ] || die "--url needs a postgres://… URL"
    url="$2"
    shift 2
    ;;
  --workers)
    [ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]?$ ]] || die "--workers needs a number from 1 to 99"
    workers="$2"
    shift 2
    ;;
  -h | --help)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  -*) die "unknown option $1 (--url, --workers)" ;;
  *)
    modules+=("$1")
    shift
    ;;
  esac
done
[ ${#modules[@]} -gt 0 ] || modules=(examples/greeter/module.ts examples/shopping-cart/module.ts)
[ -f "$cli" ] || die "the CLI is not built: run npm install (or npm run build) first"

dir="$(mktemp -d "${TMPDIR:-/tmp}/statefun-cluster.XXXXXX")"
chmod 755 "$dir"
pids=()
pg_dir=""
stop() {
  trap - INT TERM EXIT
  echo
  echo "[cluster] stopping the workers"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$pg_dir" ]; then
    echo "[cluster] stopping the throwaway PostgreSQL server"
    bash "$root/scripts/postgres/cluster.sh" stop "$pg_dir" || true
  fi
  echo "[cluster] logs kept in $dir"
  exit 0
}
trap stop INT TERM EXIT

if [ -z "$url" ]; then
  pg_dir="$dir/postgres"
  echo "[cluster] starting a throwaway PostgreSQL server in $pg_dir"
  url="$(bash "$root/scripts/postgres/cluster.sh" start "$pg_dir")"
fi
case "$url" in postgres://* | postgresql://*) ;; *) die "--url must be a postgres://… URL, got $url" ;; esac
shown="$(node -e 'const u = new URL(process.argv[1]); if (u.password) u.password = "***"; console.log(u.href)' "$url")" ||
  die "--url does not parse as a URL: $url"
echo "[cluster] store: $shown"

cd "$root"
for i in $(seq 1 "$workers"); do
  offset=$(((i - 1) * 100))
  log="$dir/worker-$i.log"
  node "$cli" run "${modules[@]}" --store "$url" --port-offset "$offset" --worker-name "worker-$i" >"$log" 2>&1 &
  pids+=($!)
done

# Waits for every worker's /readyz (60 s at most).
for i in $(seq 1 "$workers"); do
  admin="http://127.0.0.1:$((8081 + (i - 1) * 100))"
  pid="${pids[$((i - 1))]}"
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || die "worker-$i exited while starting: $(tail -n 20 "$dir/worker-$i.log")"
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$admin/readyz"; then
      continue 2
    fi
    sleep 0.1
  done
  die "worker-$i was not ready within 60 s: $(tail -n 20 "$dir/worker-$i.log")"
done

echo "[cluster] $workers workers ready (logs in $dir):"
printf '  %-9s %-7s %-27s %-27s %s\n' worker pid ingress egress admin
for i in $(seq 1 "$workers"); do
  offset=$(((i - 1) * 100))
  printf '  %-9s %-7s %-27s %-27s %s\n' "worker-$i" "${pids[$((i - 1))]}" "http://127.0.0.1:$((8090 + offset))" \
    "http://127.0.0.1:$((8091 + offset))" "http://127.0.0.1:$((8081 + offset))"
done
echo "[cluster] key groups: curl http://127.0.0.1:8081/v1/cluster (each worker's admin port)"
echo "[cluster] restart worker i after killing it: node packages/server/dist/cli/main.js run ${modules[*]} --store '$shown' --port-offset (i-1)*100 --worker-name worker-i"
echo "[cluster] Ctrl-C stops them all"

# Keeps running until Ctrl-C; a worker that dies (or is killed) is reported once.
declare -A reported=()
while true; do
  for i in $(seq 1 "$workers"); do
    pid="${pids[$((i - 1))]}"
    if [ -z "${reported[$i]:-}" ] && ! kill -0 "$pid" 2>/dev/null; then
      reported[$i]=1
      echo "[cluster] worker-$i (pid $pid) is gone; the others take over its key groups within a few seconds"
    fi
  done
  sleep 1
done
