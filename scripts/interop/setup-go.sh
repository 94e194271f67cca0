#!/usr/bin/env bash
# Prepares the Go side of the interop tests: builds the function server of test/interop/go
# (the official StateFun Go SDK, pinned in its go.mod and go.sum) into
# .cache/interop/go/functions.
#
# Idempotent and fast when already done: the binary carries a stamp (the Go version and the
# sources' hash); when it matches, nothing runs. Modules come from the Go module proxy
# ($GOPROXY), checked against go.sum; -mod=readonly means a go.mod that needs changes fails
# instead of being rewritten.
#
#   bash scripts/interop/setup-go.sh          # what `npm test` runs first
#   GO=/opt/go/bin/go bash scripts/interop/setup-go.sh
#
# With no `go` (or one older than go.mod asks for), it fetches the Go toolchain, itself a Go
# module (golang.org/toolchain), from the Go module proxy into .cache/interop/go/toolchain,
# checks its pinned sha256, and says so (GOPROXY_URL overrides https://proxy.golang.org there).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SELF="$ROOT/scripts/interop/setup-go.sh"
SRC="$ROOT/test/interop/go"
OUT="$ROOT/.cache/interop/go"
BIN="$OUT/functions"
STAMP="$OUT/functions.stamp"
STARTED=$SECONDS

# The toolchain fetched when the machine has no usable Go (sha256 of the proxy's zips).
TOOLCHAIN=go1.26.8
declare -A TOOLCHAIN_SHA256=(
  [amd64]=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7
  [arm64]=02b36b6787b3ac767668f630e2998df45a3b1f9ffee08d1bf3ef6487cd658d99
)

log() { echo "[interop/go] $*"; }
# Two runs at once (two test commands) must not fetch or build together.
lock() {
  mkdir -p "$OUT"
  exec 9>"$OUT/build.lock"
  flock 9
}
die() {
  echo "[interop/go] error: $*" >&2
  exit 1
}

# The lowest Go that go.mod accepts, e.g. 1.22.
need="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$SRC/go.mod")"
[[ -n $need ]] || die "no go directive in $SRC/go.mod"

usable() { # GO_BINARY: prints its version (1.26.8) when it is at least $need
  local version
  version="$("$1" env GOVERSION 2>/dev/null)" || return 1
  version="${version#go}"
  [[ "$(printf '%s\n%s\n' "$need" "${version%%[-+ ]*}" | sort -V | head -n1)" == "$need" ]] || return 1
  echo "$version"
}

fetch_toolchain() { # prints the path of the fetched go binary
  local arch dir zip url
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "no usable Go (>= $need) and no pinned toolchain for $(uname -m): install Go from https://go.dev/dl" ;;
  esac
  dir="$OUT/toolchain/$TOOLCHAIN.linux-$arch"
  if [[ ! -x $dir/bin/go ]]; then
    url="${GOPROXY_URL:-https://proxy.golang.org}/golang.org/toolchain/@v/v0.0.1-$TOOLCHAIN.linux-$arch.zip"
    log "no usable Go (>= $need): fetching the $TOOLCHAIN toolchain module from $url" >&2
    command -v unzip >/dev/null 2>&1 || die "unzip is needed to unpack the Go toolchain (or install Go >= $need)"
    zip="$(mktemp)"
    curl -fsSL --retry 3 -o "$zip" "$url" || die "could not download $url"
    echo "${TOOLCHAIN_SHA256[$arch]}  $zip" | sha256sum -c --quiet - >&2 || die "sha256 mismatch for $url"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    unzip -q "$zip" -d "$dir.tmp" && rm -f "$zip"
    rm -rf "$dir" && mv "$dir.tmp/golang.org/toolchain@v0.0.1-$TOOLCHAIN.linux-$arch" "$dir" && rm -rf "$dir.tmp"
  fi
  echo "$dir/bin/go"
}

GO_FROM_ENV="${GO:-}"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
if ! version="$(usable "$GO")"; then
  [[ -n $GO_FROM_ENV ]] && die "GO=$GO is not a Go >= $need"
  lock
  GO="$(fetch_toolchain)"
  version="$(usable "$GO")" || die "the fetched toolchain $GO does not run"
fi

# The stamp: what the binary was built from.
want="go $version, sources sha256 $(cd "$SRC" && cat go.mod go.sum ./*.go "$SELF" | sha256sum | cut -d' ' -f1)"
if [[ -x $BIN && -f $STAMP && "$(cat "$STAMP")" == "$want" ]]; then
  log "ready: $BIN ($want)"
  exit 0
fi

lock
if [[ -x $BIN && -f $STAMP && "$(cat "$STAMP")" == "$want" ]]; then
  log "ready: $BIN (built by a concurrent run)"
  exit 0
fi

cd "$SRC"
log "downloading the modules of test/interop/go/go.mod from ${GOPROXY:-$("$GO" env GOPROXY)} (checked against go.sum)"
if ! fetched="$("$GO" mod download -x 2>&1)"; then
  echo "$fetched" >&2
  die "go mod download failed (is the Go module proxy reachable? GOPROXY=$("$GO" env GOPROXY))"
fi
sed -n 's/^# get \(.*\.zip\): 200 OK.*/[interop\/go]   fetched \1/p' <<<"$fetched"
log "building $BIN with $GO ($version)"
CGO_ENABLED=0 "$GO" build -mod=readonly -buildvcs=false -trimpath -o "$BIN.tmp" .
mv -f "$BIN.tmp" "$BIN"
echo "$want" >"$STAMP"
log "ready: $BIN in $((SECONDS - STARTED)) s"
