#!/usr/bin/env bash
# Stop every server deploy/local started (never fails).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
set +e
for dir in "$STATE"/kafka-*/; do
  [ -d "$dir" ] || continue
  name="$(basename "$dir")"
  [ "$name" = kafka-lib ] && continue
  bash "$HERE/kafka.sh" stop "${name#kafka-}"
done
for dir in "$STATE"/pg-*/; do
  [ -d "$dir" ] || continue
  name="$(basename "$dir")"
  bash "$HERE/postgres.sh" stop "${name#pg-}"
done
bash "$HERE/postgres.sh" stop
bash "$HERE/dovecot.sh" stop
for dir in "$STATE"/seaweedfs-*/; do
  [ -d "$dir" ] || continue
  name="$(basename "$dir")"
  bash "$HERE/seaweedfs.sh" stop "${name#seaweedfs-}"
done
rm -f "$STATE/env"
exit 0
