#!/usr/bin/env bash
# The polyglot shop in one command: builds what is missing, starts the three function servers
# (TypeScript on 8000, Python on 8001, Go on 8002) and the runtime on examples/polyglot/module.yaml
# (ingress 8090, egress 8091, admin 8081), waits until all are ready, prints what to try, and
# stops every one of them on Ctrl-C or when one of them exits.
#
#   bash examples/polyglot/run.sh
#
# Environment: TS_PORT, PY_PORT, GO_PORT (the function servers' ports), PORT_OFFSET (added to
# the runtime's ports), STATEFUN_DATA (the runtime's data directory, default ./.statefun-polyglot
# at the repository root; the logs go to its logs/ folder).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/examples/polyglot"
TS_PORT="${TS_PORT:-8000}"
PY_PORT="${PY_PORT:-8001}"
GO_PORT="${GO_PORT:-8002}"
PORT_OFFSET="${PORT_OFFSET:-0}"
DATA="${STATEFUN_DATA:-$ROOT/.statefun-polyglot}"
ADMIN=$((8081 + PORT_OFFSET))
INGRESS=$((8090 + PORT_OFFSET))
EGRESS=$((8091 + PORT_OFFSET))
PYTHON="$ROOT/.cache/interop/python/bin/python"
GO_FUNCTIONS="$ROOT/.cache/examples/polyglot/go/functions"
LOGS="$DATA/logs"

log() { echo "[polyglot] $*"; }
die() {
  echo "[polyglot] error: $*" >&2
  exit 1
}

cd "$ROOT"
command -v node >/dev/null 2>&1 || die "node is not on the PATH (Node.js 20 is needed)"
command -v curl >/dev/null 2>&1 || die "curl is not on the PATH"
[[ -d node_modules ]] || die "no node_modules: run \`npm install\` first"

# --- Build what is missing ------------------------------------------------------------------

if [[ ! -f packages/server/dist/cli/main.js || ! -f packages/sdk/dist/node.js ]]; then
  log "the packages are not built: running npm run build"
  npm run build
fi
bash scripts/interop/setup-python.sh # the venv with the official StateFun Python SDK
status=0
bash "$HERE/go/build.sh" || status=$?
if [[ $status -eq 3 ]]; then # no Go toolchain
  log "scripts/interop/setup-go.sh fetches a Go toolchain"
  bash scripts/interop/setup-go.sh
  bash "$HERE/go/build.sh"
elif [[ $status -ne 0 ]]; then
  exit "$status"
fi

# --- Start ------------------------------------------------------------------------------------

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$TS_PORT" "$PY_PORT" "$GO_PORT" "$ADMIN" "$INGRESS" "$EGRESS"; do
  listening "$port" && die "port $port is in use (another run?): choose other ports with TS_PORT, PY_PORT, GO_PORT and PORT_OFFSET"
done

MODULE="$HERE/module.yaml"
if [[ "$TS_PORT/$PY_PORT/$GO_PORT" != "8000/8001/8002" ]]; then
  MODULE="$DATA/module.yaml" # the same module, pointing at the ports asked for
  mkdir -p "$DATA"
  sed -e "s|127.0.0.1:8000/|127.0.0.1:$TS_PORT/|; s|127.0.0.1:8001/|127.0.0.1:$PY_PORT/|; s|127.0.0.1:8002/|127.0.0.1:$GO_PORT/|" \
    "$HERE/module.yaml" >"$MODULE"
fi

# Each child runs in its own session (when setsid is there), so Ctrl-C reaches only this
# script, which stops them in order: the runtime first, then the function servers.
declare -A PID_OF=()
STARTED=()
SETSID=()
command -v setsid >/dev/null 2>&1 && SETSID=(setsid)
start() { # NAME COMMAND...: runs it in the background, its output in $LOGS/NAME.log
  local name=$1
  shift
  "${SETSID[@]}" "$@" >"$LOGS/$name.log" 2>&1 &
  PID_OF[$name]=$!
  STARTED=("$name" "${STARTED[@]}")
}
alive() { [[ -n ${PID_OF[$1]:-} ]] && jobs -pr | grep -qx "${PID_OF[$1]}"; }

stop() { # NAME: SIGTERM, then SIGKILL if it is still there after 10 s
  alive "$1" || return 0
  kill -TERM "${PID_OF[$1]}" 2>/dev/null || return 0
  for _ in $(seq 100); do
    alive "$1" || return 0
    sleep 0.1
  done
  log "$1 did not stop within 10 s: SIGKILL"
  kill -KILL "${PID_OF[$1]}" 2>/dev/null || true
}
cleanup() {
  trap - EXIT INT TERM HUP
  [[ ${#STARTED[@]} -gt 0 ]] || return 0
  log "stopping"
  local name
  for name in "${STARTED[@]}"; do stop "$name"; done # the last started (the runtime) first
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

failed() { # NAME WHY: prints the end of its log and exits
  echo "----- the end of $LOGS/$1.log -----" >&2
  tail -n 40 "$LOGS/$1.log" >&2 || true
  die "$1 $2"
}
ready() { # NAME URL [CURL_FLAGS...]: waits until URL answers (any HTTP status unless -f)
  local name=$1 url=$2
  shift 2
  for _ in $(seq 600); do
    curl -s -o /dev/null --max-time 1 "$@" "$url" && return 0
    alive "$name" || failed "$name" "exited while starting"
    sleep 0.1
  done
  failed "$name" "did not answer at $url within 60 s"
}

mkdir -p "$LOGS"
log "starting the function servers (logs in $LOGS)"
start typescript node --import tsx "$HERE/typescript/serve.ts" --port "$TS_PORT"
start python env PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "$HERE/python/serve.py" --port "$PY_PORT"
start go "$GO_FUNCTIONS" -port "$GO_PORT"
ready typescript "http://127.0.0.1:$TS_PORT/statefun"
ready python "http://127.0.0.1:$PY_PORT/statefun"
ready go "http://127.0.0.1:$GO_PORT/statefun"
log "starting the runtime: statefun run ${MODULE#"$ROOT"/} --data $DATA --port-offset $PORT_OFFSET"
start statefun node packages/server/dist/cli/main.js run "$MODULE" --data "$DATA" --port-offset "$PORT_OFFSET"
ready statefun "http://127.0.0.1:$ADMIN/readyz" -f

cat <<EOF

The polyglot shop is running: shop/checkout (TypeScript, :$TS_PORT), shop/inventory (Python, :$PY_PORT),
shop/shipping (Go, :$GO_PORT), behind the runtime (ingress :$INGRESS, egress :$EGRESS, admin :$ADMIN).
Try, in another terminal:

  # place an order and wait for its receipt (TypeScript asks Python and Go, and combines their answers)
  curl -X PUT -H "Content-Type: application/vnd.shop/Order" -d '{"item":"socks","quantity":3,"country":"DE"}' 'localhost:$INGRESS/shop/checkout/o-1001?await=5s'

  # the receipts, one line per order, from the egress topic (404 once there is none left)
  curl localhost:$EGRESS/receipts

  # more than in stock: rejected by the inventory
  curl -X PUT -H "Content-Type: application/vnd.shop/Order" -d '{"item":"hat","quantity":6,"country":"FR"}' 'localhost:$INGRESS/shop/checkout/o-1002?await=5s'

  # the Python function's state: the socks left
  curl localhost:$ADMIN/v1/state/shop/inventory/socks

Logs: $LOGS/{typescript,python,go,statefun}.log. Ctrl-C stops everything.
EOF

# Until Ctrl-C, or until one of them exits.
while :; do
  wait -n || true
  for name in "${STARTED[@]}"; do alive "$name" || failed "$name" "exited"; done
done
