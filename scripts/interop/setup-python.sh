#!/usr/bin/env bash
# Prepares the Python side of the interop tests: a virtual environment at
# .cache/interop/python with the official StateFun Python SDK (apache-flink-statefun) and the
# function server's dependencies, pinned in test/interop/python/requirements.txt.
#
# Idempotent and fast when already done: the venv carries a stamp (the requirements' hash and
# the interpreter's version); when it matches, nothing is installed. Otherwise the venv is
# rebuilt from scratch. Needs Python >= 3.10 (the pinned wheels).
#
#   bash scripts/interop/setup-python.sh          # what `npm test` runs first
#   PYTHON=python3.12 bash scripts/interop/setup-python.sh
#
# On a machine whose python3 cannot create a venv (Debian without python3-venv), or with no
# python3 at all, it installs the Debian packages with apt-get when run as root, and says so.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.cache/interop/python"
REQUIREMENTS="$ROOT/test/interop/python/requirements.txt"
STAMP="$VENV/.statefun-interop-stamp"
PY="${PYTHON:-python3}"
STARTED=$SECONDS

log() { echo "[interop/python] $*"; }
die() {
  echo "[interop/python] error: $*" >&2
  exit 1
}

apt_install() {
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    die "$1; install the Debian package(s) $2 (e.g. sudo apt-get install -y $2), or set PYTHON to an interpreter that can create venvs"
  fi
  log "$1: installing $2 with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh image has no package lists.
  apt-get update -qq || log "apt-get update failed; trying the install with the package lists at hand"
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $2 >/dev/null
}

if ! command -v "$PY" >/dev/null 2>&1; then
  [[ -n ${PYTHON:-} ]] && die "PYTHON=$PY: no such command"
  apt_install "python3 not found" "python3 python3-venv"
fi

version="$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
  die "$PY is Python $version; the pinned packages need Python >= 3.10 (set PYTHON to a newer interpreter)"

# The stamp: what the venv was built from. Hashed with Python, present everywhere here.
want="$("$PY" - "$REQUIREMENTS" "$version" <<'EOF'
import hashlib, sys
with open(sys.argv[1], "rb") as f:
    print("python %s, requirements sha256 %s" % (sys.argv[2], hashlib.sha256(f.read()).hexdigest()))
EOF
)"
if [[ -x $VENV/bin/python && -f $STAMP && "$(cat "$STAMP")" == "$want" ]]; then
  log "ready: $VENV ($want)"
  exit 0
fi

# Two runs at once (two test commands) must not build the same venv together.
mkdir -p "$(dirname "$VENV")"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$VENV.lock"
  flock 9
  if [[ -x $VENV/bin/python && -f $STAMP && "$(cat "$STAMP")" == "$want" ]]; then
    log "ready: $VENV (built by a concurrent run)"
    exit 0
  fi
fi

log "building $VENV with $PY ($version)"
rm -rf "$VENV"
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
if ! "$PY" -m venv "$VENV" 2>"$errors"; then
  rm -rf "$VENV"
  cat "$errors" >&2
  apt_install "$PY cannot create a virtual environment (no ensurepip)" "python3-venv"
  "$PY" -m venv "$VENV"
fi

log "installing $(grep -c '^[a-zA-Z]' "$REQUIREMENTS") pinned packages from test/interop/python/requirements.txt"
# Wheels only: nothing is compiled, so it is quick and the same on every machine.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --only-binary=:all: -r "$REQUIREMENTS"

"$VENV/bin/python" - <<'EOF'
from importlib.metadata import version
import aiohttp, statefun  # noqa: F401  (fails here rather than in a test)
from statefun.request_reply_pb2 import ToFunction  # noqa: F401
from google.protobuf.internal import api_implementation
print("[interop/python] installed apache-flink-statefun %s, protobuf %s (%s implementation), aiohttp %s" % (
    version("apache-flink-statefun"), version("protobuf"), api_implementation.Type(), version("aiohttp")))
EOF

echo "$want" >"$STAMP"
log "ready: $VENV in $((SECONDS - STARTED)) s"
