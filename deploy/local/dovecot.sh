#!/usr/bin/env bash
# A throwaway IMAP server (Debian's dovecot) for the "email in" tests: IMAP and LMTP on free
# loopback ports, no TLS, any user name with one password (each test its own mailbox),
# maildirs under $STATE/dovecot/mail.
#   dovecot.sh install|start|stop|status|url
# `start` prints `imap://127.0.0.1:PORT lmtp://127.0.0.1:PORT PASSWORD` (its last line).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DIR="$STATE/dovecot"
CONF="$DIR/dovecot.conf"
PASSWORD="orbit-mail"

cmd_install() {
  if [ ! -x /usr/sbin/dovecot ] || [ ! -d /usr/lib/dovecot/modules ] \
      || [ ! -x /usr/lib/dovecot/imap ] || [ ! -x /usr/lib/dovecot/lmtp ]; then
    apt_install dovecot-imapd dovecot-lmtpd
  fi
}

running() { [ -s "$DIR/run/master.pid" ] && kill -0 "$(cat "$DIR/run/master.pid")" 2>/dev/null; }

addresses() {
  echo "imap://127.0.0.1:$(cat "$DIR/imap.port") lmtp://127.0.0.1:$(cat "$DIR/lmtp.port") $PASSWORD"
}

configure() {
  local imap lmtp mail_user mail_group internal login
  mkdir -p "$DIR/run" "$DIR/state" "$DIR/mail"
  imap="$(remember_port "$DIR/imap.port")"
  lmtp="$(remember_port "$DIR/lmtp.port")"
  if [ "$(id -u)" = 0 ]; then
    # dovecot runs its mail processes as an ordinary user (never root), its login and
    # internal processes as the users Debian's package created
    mail_user=nobody mail_group=nogroup internal=dovecot login=dovenull
    chown -R "$mail_user:$mail_group" "$DIR/mail"
  else
    mail_user="$(id -un)" mail_group="$(id -gn)" internal="$mail_user" login="$mail_user"
  fi
  cat > "$CONF" <<CONF
# written by deploy/local/dovecot.sh
base_dir = $DIR/run
state_dir = $DIR/state
log_path = $DIR/dovecot.log
info_log_path = $DIR/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Ln
default_internal_user = $internal
default_internal_group = $mail_group
default_login_user = $login
first_valid_uid = 1
mail_location = maildir:$DIR/mail/%u
mail_uid = $mail_user
mail_gid = $mail_group
postmaster_address = postmaster@localhost
passdb {
  driver = static
  args = password=$PASSWORD
}
userdb {
  driver = static
  args = home=$DIR/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $lmtp
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
CONF
}

cmd_start() {
  cmd_install
  if running; then
    addresses
    return
  fi
  configure
  /usr/sbin/dovecot -c "$CONF" || { tail -n 30 "$DIR/dovecot.log" >&2; die "dovecot did not start"; }
  local i port
  port="$(cat "$DIR/imap.port")"
  for i in $(seq 1 100); do
    if ! port_is_free "$port" && ! port_is_free "$(cat "$DIR/lmtp.port")"; then break; fi
    sleep 0.1
  done
  python3 - "$port" <<'PY' || { tail -n 30 "$DIR/dovecot.log" >&2; die "dovecot does not answer"; }
import imaplib, sys
imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=10).logout()
PY
  addresses
}

cmd_stop() {
  running || return 0
  local pid i
  pid="$(cat "$DIR/run/master.pid")"
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) if running; then echo "running: $(addresses)"; else echo "stopped"; exit 1; fi ;;
  url) addresses ;;
  *) echo "usage: $0 install|start|stop|status|url" >&2; exit 2 ;;
esac
