#!/usr/bin/env bash
# A throwaway PostgreSQL (>= 15, Debian's packages) for development and tests.
#   postgres.sh install|start|stop|status|url [NAME]
#   postgres.sh restart NAME [DOWN_SECONDS]    (a crash: immediate stop, down a while, start)
# NAME: an instance of its own ($STATE/pg-NAME: data, port, log), for fault tests that
# restart their server; without it, the default instance in $STATE/pg.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME="${2:-}"
if [ -n "$NAME" ]; then
  [[ "$NAME" =~ ^[A-Za-z0-9_-]+$ ]] || die "instance name: letters, digits, - and _ only"
  PGDIR="$STATE/pg-$NAME"
else
  PGDIR="$STATE/pg"
fi
DATA="$PGDIR/data"
DATABASES="orbit_clients orbit_interactions orbit_billing orbit_notifications"

bindir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
    local version
    version="$(basename "$(dirname "$dir")")"
    if [ "${version%%.*}" -ge 15 ] && [ -x "$dir/initdb" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

# Run a server binary as the postgres OS user when we are root (initdb refuses root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd_install() {
  bindir >/dev/null || apt_install postgresql
  bindir >/dev/null || die "no PostgreSQL >= 15 after installing"
}

port() { cat "$PGDIR/port"; }
url() { echo "postgresql+asyncpg://postgres@127.0.0.1:$(port)/postgres"; }

running() { [ -f "$DATA/postmaster.pid" ] && as_pg "$(bindir)/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

cmd_start() {
  cmd_install
  local bin
  bin="$(bindir)"
  mkdir -p "$PGDIR"
  if [ "$(id -u)" = 0 ]; then chown postgres "$PGDIR"; fi
  if running; then
    url
    return
  fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-instructions >/dev/null
  fi
  local p sync=off
  p="$(remember_port "$PGDIR/port")"
  # A named instance is crashed on purpose (restart): a commit it acknowledged must survive
  # that, so it commits synchronously (fsync stays off: the OS itself does not crash).
  [ -z "$NAME" ] || sync=on
  as_pg "$bin/pg_ctl" -D "$DATA" -l "$PGDIR/server.log" -w -t 60 start -o \
    "-p $p -c listen_addresses=127.0.0.1 -k $PGDIR -c fsync=off -c synchronous_commit=$sync \
     -c full_page_writes=off -c max_connections=300" >/dev/null \
    || { tail -n 30 "$PGDIR/server.log" >&2; die "PostgreSQL did not start"; }
  local i
  for i in $(seq 1 120); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$p" -U postgres; then break; fi
    sleep 0.5
  done
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$p" -U postgres \
    || { tail -n 30 "$PGDIR/server.log" >&2; die "PostgreSQL does not answer on port $p"; }
  local db
  for db in $DATABASES; do
    if [ -z "$("$bin/psql" -h 127.0.0.1 -p "$p" -U postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
      "$bin/psql" -q -h 127.0.0.1 -p "$p" -U postgres -c "CREATE DATABASE $db" >/dev/null
    fi
  done
  url
}

cmd_stop() {
  local bin mode="${1:-fast}"
  bin="$(bindir 2>/dev/null)" || return 0
  if running; then
    as_pg "$bin/pg_ctl" -D "$DATA" -m "$mode" -w -t 60 stop >/dev/null || true
  fi
}

# What `pg_ctl restart -m immediate` does (every backend killed at once, no checkpoint; crash
# recovery at the next start), with the server left down DOWN_SECONDS in between.
cmd_restart() {
  [ -n "$NAME" ] || die "restart needs an instance NAME (never the default instance)"
  local down="${1:-0}"
  [[ "$down" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "DOWN_SECONDS: a number"
  running || die "instance $NAME is not running"
  cmd_stop immediate
  sleep "$down"
  cmd_start
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_restart "${3:-0}" ;;
  status) if running; then echo "running on port $(port)"; else echo "stopped"; exit 1; fi ;;
  url) url ;;
  *) echo "usage: $0 install|start|stop|status|url [NAME] | restart NAME [DOWN_SECONDS]" >&2
     exit 2 ;;
esac
