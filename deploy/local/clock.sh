#!/usr/bin/env bash
# Run COMMAND with the clock of every process it starts moved (Debian's libfaketime):
#   clock.sh VARIANT COMMAND...
# VARIANT: see clock.py (+400d, saturday, dst, @YYYY-MM-DD HH:MM:SS). The servers are its own
# (ORBIT_LOCAL_DIR defaults to /var/tmp/orbit-clock-VARIANT, started by COMMAND's up.sh under
# the moved clock), never the ones of another run, which keep the real time.
[ $# -ge 2 ] || { echo "usage: $0 VARIANT COMMAND..." >&2; exit 2; }
variant="$1"
shift
slug="$(printf '%s' "$variant" | sed 's/^+/plus/; s/^-/minus/' | tr -c 'A-Za-z0-9' '-')"
export ORBIT_LOCAL_DIR="${ORBIT_LOCAL_DIR:-/var/tmp/orbit-clock-$slug}"
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v faketime >/dev/null || apt_install faketime
lib="$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n 1)"
[ -n "$lib" ] || die "no libfaketimeMT.so.1 after installing faketime"
# real_monotonic_sleep.c: sleeps on the (real) monotonic clock bypass libfaketime 0.9.10's
# broken translation of their deadlines.
command -v cc >/dev/null || apt_install gcc libc6-dev
shim="$STATE/real_monotonic_sleep.so"
if [ ! "$shim" -nt "$HERE/real_monotonic_sleep.c" ]; then
  cc -shared -fPIC -O2 -o "$shim" "$HERE/real_monotonic_sleep.c" || die "cannot build $shim"
fi
# Installed on the real clock: a download's TLS certificates are checked against it (a year
# ahead, Maven Central's or a mirror's certificate may already have expired).
bash "$HERE/postgres.sh" install
bash "$HERE/kafka.sh" install
bash "$HERE/dovecot.sh" install
bash "$HERE/seaweedfs.sh" install

offset="$(python3 "$HERE/clock.py" "$variant")"
# Servers of the real time would disagree with the moved clients: up.sh starts our own.
unset ORBIT_TEST_DATABASE_URL ORBIT_TEST_KAFKA_BOOTSTRAP ORBIT_TEST_IMAP_URL ORBIT_TEST_LMTP_URL
# One offset for every process (an "@" start would restart at each process's start). The
# monotonic clock stays real: asyncio's and Python's timers and timeouts run on it (Python's
# lock timeouts reach the kernel untranslated). The JVM is the exception (kafka.sh): its
# timed waits go through libfaketime, which only translates them right when the monotonic
# clock moves too, so it gets libfaketime alone and a moved monotonic clock.
export FAKETIME="$offset" FAKETIME_DONT_FAKE_MONOTONIC=1
export ORBIT_CLOCK_JVM_PRELOAD="$lib"
export LD_PRELOAD="$shim:$lib${LD_PRELOAD:+:$LD_PRELOAD}"
say "clock $variant: $(date -u '+%Y-%m-%d %H:%M:%S %A') UTC (offset ${offset}s), state in $ORBIT_LOCAL_DIR"
exec "$@"
