#!/usr/bin/env bash
# Installs the Apache Kafka 4.1.1 broker the Kafka tests (and users trying Kafka I/O) run, from
# Maven Central: `mvn dependency:copy-dependencies` of org.apache.kafka:kafka_2.13:4.1.1 and
# org.apache.logging.log4j:log4j-slf4j-impl (scripts/kafka/pom.xml) into $STATEFUN_KAFKA_HOME/libs
# (default ~/.cache/statefun-ts/kafka-4.1.1, outside the repository). No Kafka distribution
# tarball, no ZooKeeper: scripts/kafka/broker.sh runs `kafka.Kafka` in KRaft mode from these jars.
#
# Idempotent and fast when done (a stamp file records a complete copy). Needs Java 17+ and Maven.
#
#   bash scripts/kafka/setup.sh        # what `npm test` runs first
#   bash scripts/kafka/setup.sh --print-home   # install if needed, then print the install directory
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="${STATEFUN_KAFKA_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/statefun-ts/kafka-4.1.1}"
stamp="$home/libs/.complete"
log() { echo "[kafka] $*" >&2; }

print_home() { if [[ ${1:-} == --print-home ]]; then echo "$home"; fi; }

if [[ -f $stamp && $stamp -nt $here/pom.xml ]]; then
  print_home "$@"
  exit 0
fi

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "error: '$tool' is not on PATH; the Kafka broker needs Java 17+ and Maven 3.8+ to install (apt-get install -y openjdk-17-jre-headless maven)"
    exit 1
  fi
done

started=$SECONDS
log "installing Apache Kafka 4.1.1 from Maven Central into $home"
rm -rf "$home/libs.tmp"
mkdir -p "$home"
if ! output=$(mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory="$home/libs.tmp" 2>&1); then
  printf '%s\n' "$output" | sed 's/\x1b\[[0-9;]*m//g' >&2
  log "error: the Maven copy of the Kafka jars failed (see above)"
  exit 1
fi
rm -rf "$home/libs"
mv "$home/libs.tmp" "$home/libs"
touch "$stamp"
log "installed $(find "$home/libs" -name '*.jar' | wc -l) jars in $((SECONDS - started)) s"
print_home "$@"
