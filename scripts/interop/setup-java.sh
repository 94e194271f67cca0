#!/usr/bin/env bash
# Builds the Java side of the Apache Flink StateFun interop test (test/interop/flink): resolves
# org.apache.flink:statefun-flink-harness:3.3.0 and its dependencies from Maven Central into the
# local Maven repository (~280 MB in ~/.m2 the first time), compiles the driver and writes its
# runtime classpath to test/interop/flink/target/classpath.txt, so that
# test/interop/flink-statefun.test.ts starts `java` directly, with no download at test time.
#
# Idempotent: does nothing when the build is newer than its sources and every jar of the
# classpath is still there. Extra arguments go to Maven (e.g. -Dmaven.repo.local=/tmp/m2).
# Needs Java 17 (or 11) and Maven 3.8+ on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."

project=test/interop/flink
classpath_file=$project/target/classpath.txt
stamp=$project/target/setup-java.stamp

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "setup-java: '$tool' is not on PATH; the Flink StateFun interop test needs Java 17 and Maven 3.8+" >&2
    exit 1
  fi
done

up_to_date() {
  [[ $# -eq 0 ]] || return 1 # a custom Maven setup (e.g. another local repository): always build
  [[ -s $classpath_file && -f $stamp && -d $project/target/classes ]] || return 1
  [[ -z $(find "$project/pom.xml" "$project/jvm.args" "$project/src" -newer "$stamp" -print -quit) ]] || return 1
  local jar
  while IFS= read -r -d: jar; do
    [[ -f $jar ]] || return 1
  done < <(tr -d '\n' <"$classpath_file"; printf ':')
  return 0
}

if up_to_date "$@"; then
  echo "setup-java: $project is up to date"
  exit 0
fi

start=$(date +%s)
# -q: only errors; Maven 3.8 still prints colour resets in batch mode, hence the sed.
if ! output=$(mvn -q -B -f "$project/pom.xml" package -DskipTests "$@" 2>&1); then
  printf '%s\n' "$output" | sed 's/\x1b\[[0-9;]*m//g' >&2
  echo "setup-java: the Maven build of $project failed (see above)" >&2
  exit 1
fi
touch "$stamp"
echo "setup-java: built $project in $(($(date +%s) - start)) s"
