#!/usr/bin/env bash
# SeaweedFS, an S3-compatible object store (the documents' store of the tests), built from its
# Go module (the Go module proxy) and run as one `weed server` (master, volume, filer, S3).
#   seaweedfs.sh install|start|stop|reset|status|endpoint|env [NAME]    (NAME: instance, default main)
# The binary is built once into $ORBIT_CACHE_DIR (default ~/.cache/orbit), shared by every
# ORBIT_LOCAL_DIR; an instance lives in $STATE/seaweedfs-NAME and keeps its ports and data.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME="${2:-main}"
DIR="$STATE/seaweedfs-$NAME"
MODULE="github.com/seaweedfs/seaweedfs"
VERSION="v0.0.0-20261109003541-7506e5f91cd6"
CACHE="${ORBIT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/orbit}"
WEED="$CACHE/seaweedfs-$VERSION/weed"
# The keys the tests sign with (a throwaway store on loopback).
ACCESS_KEY="orbit-test"
SECRET_KEY="orbit-test-secret-key"

cmd_install() {
  [ -x "$WEED" ] && return
  command -v go >/dev/null || apt_install golang-go
  say "building SeaweedFS $VERSION from the Go module proxy (several minutes, once)"
  mkdir -p "$(dirname "$WEED")"
  # Its go.mod has replace directives, so `go install module@version` refuses it: the
  # module's source (from the proxy, checked against the checksum database) is built in
  # place instead.
  local src
  src="$(GOFLAGS=-mod=mod go mod download -json "$MODULE@$VERSION" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')" \
    || die "could not download $MODULE@$VERSION"
  (cd "$src/weed" && go build -o "$WEED.partial" .) >"$CACHE/seaweedfs-build.log" 2>&1 \
    || { tail -n 40 "$CACHE/seaweedfs-build.log" >&2; die "could not build SeaweedFS"; }
  mv "$WEED.partial" "$WEED"
}

endpoint() { echo "http://127.0.0.1:$(cat "$DIR/s3.port")"; }

env_lines() {
  printf 'ORBIT_TEST_S3_ENDPOINT=%s\nORBIT_TEST_S3_ACCESS_KEY=%s\nORBIT_TEST_S3_SECRET_KEY=%s\n' \
    "$(endpoint)" "$ACCESS_KEY" "$SECRET_KEY"
}

configure() {
  mkdir -p "$DIR/data"
  local name
  # Every port explicit (a gRPC port is otherwise its HTTP port + 10000, maybe not free).
  for name in master master.grpc volume volume.grpc filer filer.grpc s3 s3.grpc; do
    remember_port "$DIR/$name.port" >/dev/null
  done
  cat > "$DIR/s3.json" <<JSON
{"identities": [{"name": "orbit", "credentials": [{"accessKey": "$ACCESS_KEY",
  "secretKey": "$SECRET_KEY"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
}

port() { cat "$DIR/$1.port"; }

cmd_start() {
  cmd_install
  if pid_alive "$DIR/pid"; then
    endpoint
    return
  fi
  configure
  "$WEED" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$DIR/data" -volume.max=32 \
    -master.volumeSizeLimitMB=64 -master.telemetry=false \
    -master.port="$(port master)" -master.port.grpc="$(port master.grpc)" \
    -volume.port="$(port volume)" -volume.port.grpc="$(port volume.grpc)" \
    -filer -filer.port="$(port filer)" -filer.port.grpc="$(port filer.grpc)" \
    -filer.localSocket="$DIR/filer.sock" \
    -s3 -s3.port="$(port s3)" -s3.port.grpc="$(port s3.grpc)" -s3.localSocket="$DIR/s3.sock" \
    -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$DIR/s3.json" \
    >"$DIR/server.log" 2>&1 </dev/null &
  echo $! > "$DIR/pid"
  disown
  # Ready when a file can be written (a volume server has joined the master) and the S3
  # gateway answers.
  local i probe="http://127.0.0.1:$(port filer)/.orbit-ready/probe"
  for i in $(seq 1 240); do
    if ! pid_alive "$DIR/pid"; then
      tail -n 40 "$DIR/server.log" >&2
      die "SeaweedFS ($NAME) exited while starting"
    fi
    if curl -sf -o /dev/null -F "file=@$DIR/s3.json" "$probe" 2>/dev/null \
      && curl -s -o /dev/null "$(endpoint)/" 2>/dev/null; then
      curl -s -o /dev/null -X DELETE "$probe" || true
      endpoint
      return
    fi
    sleep 0.5
  done
  tail -n 40 "$DIR/server.log" >&2
  die "SeaweedFS ($NAME) did not start within 120 s"
}

cmd_stop() { stop_pid "$DIR/pid"; }

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  reset) cmd_stop; rm -rf "$DIR/data" ;;
  status) if pid_alive "$DIR/pid"; then echo "running at $(endpoint)"; else echo "stopped"; exit 1; fi ;;
  endpoint) endpoint ;;
  # The lines of $STATE/env the tests read (up.sh).
  env) env_lines ;;
  *) echo "usage: $0 install|start|stop|reset|status|endpoint|env [NAME]" >&2; exit 2 ;;
esac
