#!/usr/bin/env bash
# Builds (once) and starts FerretDB v1 — a MongoDB wire-protocol server on SQLite — for tests and CI.
# Real deployments point MONGODB_URL at MongoDB instead.
#   scripts/ferretdb.sh start <port> <data-dir>   → prints the pid; logs to <data-dir>/ferretdb.log
set -euo pipefail
VERSION=v1.24.2
MODULE=github.com/FerretDB/FerretDB
BIN_DIR="${TRICKLE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/trickle}"
BIN="$BIN_DIR/ferretdb-$VERSION"

build() {
  [ -x "$BIN" ] && return 0
  command -v go >/dev/null || { echo "FerretDB needs Go to build: install Go 1.22+ or set MONGODB_URL to a MongoDB server." >&2; exit 1; }
  mkdir -p "$BIN_DIR"
  # `go install $MODULE/cmd/ferretdb@$VERSION` builds a binary that panics without build/version/version.txt
  # (the module zip lacks it), so build from a writable copy of the downloaded module instead.
  local dir src
  dir=$(go mod download -json "$MODULE@$VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "could not download $MODULE@$VERSION from the Go module proxy" >&2; exit 1; }
  src=$(mktemp -d)
  cp -r "$dir/." "$src"
  chmod -R u+w "$src"
  echo "$VERSION" > "$src/build/version/version.txt"
  (cd "$src" && GOFLAGS=-buildvcs=false go build -o "$BIN.tmp" ./cmd/ferretdb)
  mv "$BIN.tmp" "$BIN"
  rm -rf "$src"
}

case "${1:-}" in
  build) build; echo "$BIN" ;;
  start)
    port="${2:?port}"; data="${3:?data dir}"
    build
    mkdir -p "$data"
    "$BIN" --handler=sqlite --sqlite-url="file:$data/" --listen-addr="127.0.0.1:$port" \
      --debug-addr=127.0.0.1:0 --state-dir="$data" --telemetry=disable --log-level=warn \
      >"$data/ferretdb.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$pid"; exit 0; fi
      kill -0 "$pid" 2>/dev/null || { cat "$data/ferretdb.log" >&2; exit 1; }
      sleep 0.1
    done
    echo "FerretDB did not listen on 127.0.0.1:$port within 10 s" >&2; cat "$data/ferretdb.log" >&2; exit 1 ;;
  *) echo "usage: $0 build | start <port> <data-dir>" >&2; exit 2 ;;
esac
