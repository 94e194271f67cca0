#!/usr/bin/env bash
# Installs and builds what the interoperability tests need, from the registries: the official
# StateFun Python SDK (PyPI), Go SDK (Go module proxy), JavaScript SDK (npm) and Flink StateFun harness
# (Maven Central).
# Idempotent: each step is skipped when already done. `npm test` runs it first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/setup-python.sh"
bash "$here/setup-go.sh"
bash "$here/setup-javascript.sh"
bash "$here/setup-java.sh"
bash "$here/../../examples/polyglot/go/build.sh"
