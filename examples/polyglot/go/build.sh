#!/usr/bin/env bash
# Builds the Go function server of the polyglot shop (this folder; the official StateFun Go
# SDK, pinned in go.mod and go.sum) into .cache/examples/polyglot/go/functions.
#
# Idempotent and fast when already done: the binary carries a stamp (the Go version and the
# sources' hash); when it matches, nothing runs. Modules come from the Go module cache or
# the Go module proxy ($GOPROXY), checked against go.sum.
#
#   bash examples/polyglot/go/build.sh
#   GO=/opt/go/bin/go bash examples/polyglot/go/build.sh
#
# The Go toolchain: $GO, else `go` on the PATH, else /usr/local/go/bin/go, else the one
# scripts/interop/setup-go.sh fetched into .cache/interop/go/toolchain. With none of them it
# exits with status 3 and says how to get one (run.sh then runs setup-go.sh and retries).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
SRC="$ROOT/examples/polyglot/go"
OUT="$ROOT/.cache/examples/polyglot/go"
BIN="$OUT/functions"
STAMP="$OUT/functions.stamp"

log() { echo "[polyglot/go] $*"; }
die() { # MESSAGE [STATUS]
  echo "[polyglot/go] error: $1" >&2
  exit "${2:-1}"
}

need="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$SRC/go.mod")"
usable() { # GO_BINARY: prints its version (1.26.8) when it is at least $need
  local version
  version="$("$1" env GOVERSION 2>/dev/null)" || return 1
  version="${version#go}"
  [[ "$(printf '%s\n%s\n' "$need" "${version%%[-+ ]*}" | sort -V | head -n1)" == "$need" ]] || return 1
  echo "$version"
}

candidates=()
if [[ -n ${GO:-} ]]; then
  candidates=("$GO")
else
  command -v go >/dev/null 2>&1 && candidates+=("$(command -v go)")
  candidates+=(/usr/local/go/bin/go "$ROOT"/.cache/interop/go/toolchain/*/bin/go)
fi
GO_BIN=""
for candidate in "${candidates[@]}"; do
  if [[ -x $candidate ]] && version="$(usable "$candidate")"; then
    GO_BIN="$candidate"
    break
  fi
done
[[ -n $GO_BIN ]] || die "no Go toolchain >= $need (tried ${candidates[*]}): install Go from https://go.dev/dl, or run \`bash scripts/interop/setup-go.sh\`, which fetches one into .cache/interop/go/toolchain" 3

want="go $version, sources sha256 $(cd "$SRC" && cat go.mod go.sum ./*.go build.sh | sha256sum | cut -d' ' -f1)"
if [[ -x $BIN && -f $STAMP && "$(cat "$STAMP")" == "$want" ]]; then
  log "ready: $BIN"
  exit 0
fi

mkdir -p "$OUT"
exec 9>"$OUT/build.lock"
flock 9 # two runs at once (run.sh and a test) must not build together
if [[ -x $BIN && -f $STAMP && "$(cat "$STAMP")" == "$want" ]]; then
  log "ready: $BIN (built by a concurrent run)"
  exit 0
fi

log "building $BIN with $GO_BIN ($version)"
cd "$SRC"
CGO_ENABLED=0 "$GO_BIN" build -mod=readonly -buildvcs=false -trimpath -o "$BIN.tmp" . ||
  die "go build failed (the modules come from the Go module proxy: is it reachable? GOPROXY=$("$GO_BIN" env GOPROXY))"
mv -f "$BIN.tmp" "$BIN"
echo "$want" >"$STAMP"
log "ready: $BIN"
