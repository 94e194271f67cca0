#!/usr/bin/env bash
# Installs what the test suites need beyond Node (run by `npm test` before the tests; `npm run setup`).
# Runs every scripts/<area>/setup.sh in name order: an area that needs something (a JDK, a database
# server, a broker, a browser) adds its own setup.sh there, and nothing else changes. Each one must be
# safe to run again (skip what is done) and fail loudly, naming what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
for setup in scripts/*/setup.sh; do
  echo "[setup] bash $setup"
  bash "$setup"
done
