# Shared by the deploy/local scripts: where state lives, ports, waiting, logging.
# State (jars, data, pids, ports) lives in ORBIT_LOCAL_DIR, default /var/tmp/orbit-local: a
# temp/cache folder the `postgres` OS user can reach when the scripts run as root.
set -euo pipefail
shopt -s inherit_errexit

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${ORBIT_LOCAL_DIR:-/var/tmp/orbit-local}"
mkdir -p "$STATE"
chmod 755 "$STATE"

say() { printf '[orbit-local] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# A free TCP port on the loopback interface.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_is_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
# Like the servers themselves: a port whose old connections linger in TIME_WAIT is free.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

# The port remembered in FILE if it is still free (or ours), else a new free one.
remember_port() {
  local file="$1" port
  if [ -s "$file" ] && port_is_free "$(cat "$file")"; then
    cat "$file"
    return
  fi
  port="$(free_port)"
  echo "$port" > "$file"
  echo "$port"
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Stop the process of the pid FILE: TERM, up to 30 s to exit, then KILL; the file removed.
stop_pid() {
  local file="$1" pid i
  pid_alive "$file" || { rm -f "$file"; return 0; }
  pid="$(cat "$file")"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

apt_install() {
  [ "$(id -u)" = 0 ] || die "need root to apt-get install $*"
  say "installing $* (apt)"
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -f "$STATE/.apt-updated" ]; then
    apt-get update -qq >/dev/null
    touch "$STATE/.apt-updated"
  fi
  apt-get install -y -qq "$@" >/dev/null
}
