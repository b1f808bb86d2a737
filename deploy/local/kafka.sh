#!/usr/bin/env bash
# Apache Kafka 4.x, one KRaft node (broker + controller), from its own jars on Maven Central.
#   kafka.sh install|start|stop|reset|status|bootstrap|pid [NAME]    (NAME: instance, default main)
# Instances live side by side in $STATE/kafka-NAME; a restarted instance keeps its ports and data.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAME="${2:-main}"
DIR="$STATE/kafka-$NAME"
LIB="$STATE/kafka-lib"
POM="$HERE/kafka-pom.xml"

cmd_install() {
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
  local stamp
  stamp="$(sha256sum "$POM" | cut -c1-16)"
  if [ -f "$LIB/.stamp" ] && [ "$(cat "$LIB/.stamp")" = "$stamp" ]; then
    return
  fi
  say "resolving Kafka's jars from Maven Central"
  rm -rf "$LIB"
  mkdir -p "$LIB"
  mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
    -DoutputDirectory="$LIB" -DincludeScope=runtime >"$STATE/kafka-mvn.log" 2>&1 \
    || { tail -n 40 "$STATE/kafka-mvn.log" >&2; die "could not resolve Kafka's jars"; }
  echo "$stamp" > "$LIB/.stamp"
}

bootstrap() { echo "127.0.0.1:$(cat "$DIR/broker.port")"; }

JAVA_OPTS=(-Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$HERE/kafka-log4j2.properties" "-Dkafka.logs.dir=$DIR"
  -cp "$LIB/*")

configure() {
  mkdir -p "$DIR"
  local broker controller
  broker="$(remember_port "$DIR/broker.port")"
  controller="$(remember_port "$DIR/controller.port")"
  cat > "$DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$broker,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$broker
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DIR/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.flush.interval.messages=1000000
PROPS
  if [ ! -f "$DIR/data/meta.properties" ]; then
    local cluster
    cluster="$(java "${JAVA_OPTS[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    java "${JAVA_OPTS[@]}" kafka.tools.StorageTool format -t "$cluster" -c "$DIR/server.properties" \
      --standalone >"$DIR/format.log" 2>&1 || { cat "$DIR/format.log" >&2; die "format failed"; }
  fi
}

cmd_start() {
  cmd_install
  if pid_alive "$DIR/pid"; then
    bootstrap
    return
  fi
  configure
  : > "$DIR/server.log"
  # Under a moved clock (clock.sh) the JVM gets libfaketime alone, its monotonic clock moved
  # too: libfaketime 0.9.10 turns the JVM's timed waits on a real monotonic clock into busy
  # loops (a core spinning). Started directly (env execs), so the pid file holds the JVM's.
  local jvm=(env)
  if [ -n "${ORBIT_CLOCK_JVM_PRELOAD:-}" ]; then
    jvm=(env -u FAKETIME_DONT_FAKE_MONOTONIC "LD_PRELOAD=$ORBIT_CLOCK_JVM_PRELOAD")
  fi
  "${jvm[@]}" java "${JAVA_OPTS[@]}" kafka.Kafka "$DIR/server.properties" >"$DIR/stdout.log" 2>&1 </dev/null &
  echo $! > "$DIR/pid"
  disown
  local port i
  port="$(cat "$DIR/broker.port")"
  for i in $(seq 1 240); do
    if ! pid_alive "$DIR/pid"; then
      tail -n 40 "$DIR/server.log" "$DIR/stdout.log" >&2
      die "Kafka ($NAME) exited while starting"
    fi
    if grep -q "Kafka Server started" "$DIR/server.log" 2>/dev/null && ! port_is_free "$port"; then
      bootstrap
      return
    fi
    sleep 0.5
  done
  tail -n 40 "$DIR/server.log" >&2
  die "Kafka ($NAME) did not start within 120 s"
}

cmd_stop() { stop_pid "$DIR/pid"; }

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  reset) cmd_stop; rm -rf "$DIR/data" ;;
  status) if pid_alive "$DIR/pid"; then echo "running at $(bootstrap)"; else echo "stopped"; exit 1; fi ;;
  bootstrap) bootstrap ;;
  # The broker's JVM (fault tests kill -9 or SIGSTOP it); exit 1 when it is not running.
  pid) if pid_alive "$DIR/pid"; then cat "$DIR/pid"; else echo "stopped" >&2; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|reset|status|bootstrap|pid [NAME]" >&2; exit 2 ;;
esac
