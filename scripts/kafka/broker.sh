#!/usr/bin/env bash
# A throwaway single-node Apache Kafka broker (KRaft, broker and controller in one JVM) on
# loopback, for the Kafka tests and for trying Kafka I/O by hand. Installs Kafka first if needed
# (scripts/kafka/setup.sh).
#
#   bash scripts/kafka/broker.sh start DIR [PORT]   # prints the bootstrap address, e.g. 127.0.0.1:39093
#   bash scripts/kafka/broker.sh stop DIR
#
# start: formats DIR/data with kafka.tools.StorageTool (once; a second start on the same DIR keeps
# the data, so a broker can be stopped and started again on its old PORT), writes
# DIR/server.properties (internal topics with replication factor 1), starts kafka.Kafka with
# -Xmx512m in the background (pid in DIR/broker.pid, log in DIR/broker.log) and waits until it
# listens. PORT defaults to a free port. stop: stops that broker (SIGTERM, then SIGKILL after 20 s).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() {
  echo "[kafka] error: $*" >&2
  exit 1
}
# A free port other than the ones given: two calls in a row may otherwise get the same one back
# (a fresh network namespace hands out the port just closed).
free_port() {
  node -e '
    const taken = new Set(process.argv.slice(1).map(Number));
    const net = require("net");
    const held = [];
    const next = () => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const port = s.address().port;
        if (taken.has(port)) return held.push(s), next();
        console.log(port);
        for (const h of [...held, s]) h.close();
      });
    };
    next();
  ' "$@"
}

start() {
  local dir=$1 port=${2:-}
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [[ -f $dir/broker.pid ]] && kill -0 "$(cat "$dir/broker.pid")" 2>/dev/null; then
    die "a broker already runs from $dir (pid $(cat "$dir/broker.pid"))"
  fi
  local home
  home="$(bash "$here/setup.sh" --print-home)"
  [[ -n $port ]] || port=$(free_port)
  local controller_port
  controller_port=$(free_port "$port")
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.flush.interval.messages=9223372036854775807
PROPS
  local java=(java -Xmx512m -Xms128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$home/libs/*"
    "-Dlog4j2.configurationFile=$here/log4j2.properties")
  if [[ ! -f $dir/data/meta.properties ]]; then
    local cluster_id
    cluster_id=$("${java[@]}" kafka.tools.StorageTool random-uuid)
    "${java[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" >"$dir/format.log" 2>&1 ||
      die "formatting $dir/data failed: $(cat "$dir/format.log")"
  fi
  "${java[@]}" kafka.Kafka "$dir/server.properties" >>"$dir/broker.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/broker.pid"
  local deadline=$((SECONDS + 60))
  until grep -q "Kafka Server started" "$dir/broker.log" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || die "the broker exited while starting; last lines of $dir/broker.log: $(tail -n 20 "$dir/broker.log")"
    ((SECONDS < deadline)) || die "the broker did not start within 60 s; see $dir/broker.log"
    sleep 0.2
  done
  echo "127.0.0.1:$port"
}

stop() {
  local dir=$1
  [[ -f $dir/broker.pid ]] || return 0
  local pid
  pid=$(cat "$dir/broker.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/broker.pid"
  # Later starts append to broker.log; forget this run's "started" line.
  [[ ! -f $dir/broker.log ]] || mv "$dir/broker.log" "$dir/broker.log.$(date +%s%N)"
}

case "${1:-}" in
start) start "${2:?usage: broker.sh start DIR [PORT]}" "${3:-}" ;;
stop) stop "${2:?usage: broker.sh stop DIR}" ;;
*) die "usage: broker.sh start DIR [PORT] | broker.sh stop DIR" ;;
esac
