#!/usr/bin/env bash
# Start PostgreSQL, Kafka, dovecot (IMAP, LMTP) and SeaweedFS (S3) for the tests; write
# $STATE/env with the variables the tests read.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

timed() {
  local label="$1" started out
  shift
  started=$(date +%s.%N)
  out="$("$@")"
  say "$label ready in $(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')") s"
  echo "$out" | tail -n 1
}

pg_url="$(timed "PostgreSQL" bash "$HERE/postgres.sh" start)"
# Each test run starts from an empty Kafka (old topics and consumer offsets would only slow
# consumers down); the jars stay cached.
bash "$HERE/kafka.sh" reset main
kafka="$(timed "Kafka" bash "$HERE/kafka.sh" start main)"
read -r imap lmtp mail_password <<<"$(timed "dovecot" bash "$HERE/dovecot.sh" start)"
timed "SeaweedFS" bash "$HERE/seaweedfs.sh" start main >/dev/null
{
  printf 'ORBIT_TEST_DATABASE_URL=%s\nORBIT_TEST_KAFKA_BOOTSTRAP=%s\n' "$pg_url" "$kafka"
  printf 'ORBIT_TEST_IMAP_URL=%s\nORBIT_TEST_LMTP_URL=%s\nORBIT_TEST_IMAP_PASSWORD=%s\n' \
    "$imap" "$lmtp" "$mail_password"
  bash "$HERE/seaweedfs.sh" env main
} > "$STATE/env"
say "servers up: $STATE/env"
