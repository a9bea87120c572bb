#!/usr/bin/env bash
# Local development stack for Youfu: PostgreSQL 15, Apache Kafka 3.9 (KRaft,
# single node) and the Temporal dev server, all bound to 127.0.0.1.
#
#   bash deploy/local/stack.sh up               install what is missing, start what is stopped, wait until healthy
#   bash deploy/local/stack.sh down             stop what this script started (graceful, then SIGKILL)
#   bash deploy/local/stack.sh status           running/stopped + address of each component
#   bash deploy/local/stack.sh logs [component] [-f]   last lines of a component's log (all when omitted); -f follows
#
# Components: postgres | kafka | temporal. Everything is local-dev only
# (trust auth, fsync off, dev-mode Temporal): never use this for production.
#
# Environment:
#   YOUFU_CACHE      downloads, jars, binaries (default ~/.cache/youfu; survives between runs)
#   YOUFU_STATE      data, pid files, logs (default <repo>/.local/stack; gitignored)
#   YOUFU_PG_PORT (55432)  YOUFU_PG_FAST (1)  YOUFU_PG_SHARED_BUFFERS (512MB)  YOUFU_PG_BIN (/usr/lib/postgresql/15/bin)
#   YOUFU_KAFKA_PORT (9092)  YOUFU_KAFKA_CONTROLLER_PORT (9093)  YOUFU_KAFKA_VERSION (3.9.2)
#   YOUFU_TEMPORAL_PORT (7233)  YOUFU_TEMPORAL_UI_PORT (8233)  YOUFU_CODEC_PORT (8234, the UI's codec endpoint; npm start serves it)  YOUFU_TEMPORAL_CLI_VERSION (v1.5.1)
#   YOUFU_TEMPORAL_PREBUILT  a temporal binary to copy instead of building (default $CACHE/temporal-build/temporal)
#   YOUFU_READY_TIMEOUT  seconds to wait for each component to become healthy (default 120)
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${YOUFU_CACHE:-$HOME/.cache/youfu}
STATE=${YOUFU_STATE:-$ROOT/.local/stack}
RUN=$STATE/run
LOGS=$STATE/logs
READY_TIMEOUT=${YOUFU_READY_TIMEOUT:-120}

PG_BIN=${YOUFU_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${YOUFU_PG_PORT:-55432}
# As root, the server runs as the OS user `postgres`, which must be able to reach its data folder.
# When $STATE lies under a folder others cannot traverse (e.g. a clone under /root), the cluster
# lives in /var/lib/youfu-stack/<hash of $STATE> instead.
world_traversable() {
  local d=$1
  while [[ $d != / && $d != . ]]; do
    if [[ -e $d ]]; then [[ $(stat -c %A "$d") == ?????????[xt]* ]] || return 1; fi
    d=$(dirname "$d")
  done
}
if [[ -n ${YOUFU_PG_STATE:-} ]]; then PG_HOME=$YOUFU_PG_STATE
elif [[ $(id -u) -eq 0 ]] && ! world_traversable "$STATE"; then
  PG_HOME=/var/lib/youfu-stack/$(printf '%s' "$STATE" | md5sum | cut -c1-12)
else PG_HOME=$STATE; fi
PG_DATA=$PG_HOME/pg
PG_SOCK=$PG_HOME/pg-sock
PG_LOG=$PG_HOME/postgres.log

KAFKA_VERSION=${YOUFU_KAFKA_VERSION:-3.9.2}
KAFKA_PORT=${YOUFU_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${YOUFU_KAFKA_CONTROLLER_PORT:-9093}
KAFKA_LIB=$CACHE/kafka-$KAFKA_VERSION/lib
KAFKA_DIR=$STATE/kafka
KAFKA_PROPS=$KAFKA_DIR/server.properties
KAFKA_LOG=$LOGS/kafka.log        # log4j (server, controller, state-change)
KAFKA_OUT=$LOGS/kafka.out        # JVM stdout/stderr

TEMPORAL_PORT=${YOUFU_TEMPORAL_PORT:-7233}
TEMPORAL_UI_PORT=${YOUFU_TEMPORAL_UI_PORT:-8233}
TEMPORAL_CLI_VERSION=${YOUFU_TEMPORAL_CLI_VERSION:-v1.5.1}
TEMPORAL_BIN=$CACHE/bin/temporal
TEMPORAL_PREBUILT=${YOUFU_TEMPORAL_PREBUILT:-$CACHE/temporal-build/temporal}
TEMPORAL_DIR=$STATE/temporal
TEMPORAL_LOG=$LOGS/temporal.log
TEMPORAL_NAMESPACE=youfu

COMPONENTS=(postgres kafka temporal)

# ---------------------------------------------------------------- helpers

CURRENT=stack
log() { printf '[%s] %s\n' "$CURRENT" "$*"; }
die() { printf '[%s] ERROR: %s\n' "$CURRENT" "$*" >&2; exit 1; }
trap 'printf "[%s] ERROR: command failed (exit %s) at stack.sh:%s: %s\n" "$CURRENT" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# timed COMPONENT PHASE CMD...: runs CMD with $CURRENT set, prints the phase's elapsed seconds.
timed() {
  local component=$1 phase=$2 t0
  shift 2
  CURRENT=$component
  t0=$(now)
  "$@"
  log "$phase: $(elapsed "$t0")s"
  CURRENT=stack
}

is_root() { [[ $(id -u) -eq 0 ]]; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Refuse to start when something that is not ours already listens on the port.
require_free_port() {
  if port_open "$1"; then die "port 127.0.0.1:$1 is already in use by another process (set $2 to move it)"; fi
}

APT_UPDATED=0
apt_install() {
  is_root || die "cannot apt-get install $* without root; install it yourself"
  if [[ $APT_UPDATED == 0 ]]; then
    log "apt-get update"
    apt-get update -q >/dev/null || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null || die "apt-get install $* failed"
}

# pid_alive PIDFILE MARKER: the pid in PIDFILE runs and its command line contains MARKER
# (guards against a recycled pid after a reboot or crash).
pid_alive() {
  local pid
  [[ -f $1 ]] || return 1
  pid=$(<"$1")
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2"
}

# launch PIDFILE LOGFILE CMD...: starts CMD detached (own session, no stdin, lock fd closed).
launch() {
  local pidfile=$1 logfile=$2
  shift 2
  nohup setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  echo $! >"$pidfile"
}

# stop_pid NAME PIDFILE MARKER GRACE: SIGTERM, wait GRACE seconds, then SIGKILL.
stop_pid() {
  local name=$1 pidfile=$2 marker=$3 grace=$4 pid i
  if ! pid_alive "$pidfile" "$marker"; then
    log "not running"
    rm -f "$pidfile"
    return 0
  fi
  pid=$(<"$pidfile")
  log "stopping $name (pid $pid, SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 5; i++)); do
    pid_alive "$pidfile" "$marker" || break
    sleep 0.2
  done
  if pid_alive "$pidfile" "$marker"; then
    log "still running after ${grace}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
}

# wait_until DESCRIPTION LOGFILE CHECK-CMD... [-- ALIVE-CMD...]: polls CHECK until it succeeds,
# failing early when ALIVE (the process) stops and after READY_TIMEOUT seconds.
wait_until() {
  local what=$1 logfile=$2 deadline check=() alive=()
  shift 2
  while [[ $# -gt 0 && $1 != -- ]]; do check+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift && alive=("$@")
  deadline=$((SECONDS + READY_TIMEOUT))
  until "${check[@]}" >/dev/null 2>&1; do
    if [[ ${#alive[@]} -gt 0 ]] && ! "${alive[@]}"; then
      tail -n 30 "$logfile" >&2 || true
      die "$what: the process exited during startup (log: $logfile)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$logfile" >&2 || true
      die "$what: not healthy after ${READY_TIMEOUT}s (log: $logfile)"
    fi
    sleep 0.3
  done
}

# ---------------------------------------------------------------- postgres

# initdb refuses to run as root, so as root every server-side command runs as
# the OS user `postgres` (created by the Debian package) and owns the data dir.
as_pg() {
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_install() {
  if [[ ! -x $PG_BIN/initdb ]]; then
    log "PostgreSQL 15 not found at $PG_BIN: installing the Debian package"
    apt_install postgresql
    [[ -x $PG_BIN/initdb ]] || die "apt installed postgresql but $PG_BIN/initdb is missing (not Debian 12 / PostgreSQL 15?)"
  fi
}

pg_running() { [[ -f $PG_DATA/PG_VERSION ]] && as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }
pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -t 2; }
psql_admin() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"; }

pg_init() {
  [[ -f $PG_DATA/PG_VERSION ]] && return 0
  log "initdb $PG_DATA"
  if is_root; then
    mkdir -p "$PG_DATA"
    chown postgres: "$PG_DATA"
    as_pg test -x "$PG_DATA" || die "user postgres cannot reach $PG_DATA; set YOUFU_PG_STATE to a folder it can reach"
  fi
  chmod 700 "$PG_DATA" 2>/dev/null || true
  # Trust on loopback only (listen_addresses=127.0.0.1 below): local development, no passwords.
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 ||
    { tail -n 20 "$LOGS/initdb.log" >&2; die "initdb failed (log: $LOGS/initdb.log)"; }
}

# The admin roles (postgres, youfu) are trusted on loopback; every service role must log in with
# its password (scram-sha-256), as in production.
pg_hba() {
  cat >"$PG_DATA/pg_hba.conf" <<'HBA'
local all all                  trust
host  all postgres 127.0.0.1/32 trust
host  all youfu    127.0.0.1/32 trust
host  all all      127.0.0.1/32 scram-sha-256
host  all all      ::1/128      scram-sha-256
HBA
  is_root && chown postgres: "$PG_DATA/pg_hba.conf"
  return 0
}

pg_start() {
  if pg_running; then
    pg_hba && as_pg "$PG_BIN/pg_ctl" reload -D "$PG_DATA" >/dev/null
    log "already running"; return 0
  fi
  require_free_port "$PG_PORT" YOUFU_PG_PORT
  pg_init
  pg_hba
  mkdir -p "$PG_SOCK"
  touch "$PG_LOG"
  is_root && chown postgres: "$PG_SOCK" "$PG_LOG"
  local opts="-p $PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1 -c max_connections=300"
  # Room for a registry of 100,000s of persons in memory (the default 128 MB is too little for the
  # adjustment bench's working set); YOUFU_PG_SHARED_BUFFERS overrides.
  opts+=" -c shared_buffers=${YOUFU_PG_SHARED_BUFFERS:-512MB} -c work_mem=16MB"
  # Statement statistics for the benchmarks' "where the time goes" (pg_stat_statements, in contrib).
  opts+=" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
  # Durability off for speed: fsync/full_page_writes/synchronous_commit=off can lose or corrupt
  # data on a crash. NOT acceptable for production; fine for a throwaway local/test cluster.
  # On by default in this local script; YOUFU_PG_FAST=0 keeps PostgreSQL's safe defaults.
  if [[ ${YOUFU_PG_FAST:-1} == 1 ]]; then
    opts+=" -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
  fi
  log "starting on 127.0.0.1:$PG_PORT"
  as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -W -o "$opts" 9>&- >/dev/null ||
    die "pg_ctl start failed (log: $PG_LOG)"
}

pg_wait() {
  wait_until "postgres" "$PG_LOG" pg_ready -- pg_running
  # Application role and database (idempotent).
  psql_admin <<SQL
SELECT 'CREATE ROLE youfu SUPERUSER LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'youfu') \gexec
SELECT 'CREATE DATABASE youfu OWNER youfu'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'youfu') \gexec
SQL
}

pg_stop() {
  if ! pg_running; then log "not running"; return 0; fi
  log "stopping (pg_ctl stop -m fast)"
  as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 >/dev/null
}

pg_status() { pg_running && echo "running" || echo "stopped"; }
pg_address() { echo "postgres://youfu@127.0.0.1:$PG_PORT/youfu"; }

# ---------------------------------------------------------------- kafka

KAFKA_PID=$RUN/kafka.pid

kafka_install() {
  [[ -f $KAFKA_LIB/.complete ]] && return 0
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
  log "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION with mvn into $KAFKA_LIB"
  local tmp=$KAFKA_LIB.tmp
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # -f: the pom lives in the repo, but Maven's target/ is not written for dependency:copy-dependencies.
  if ! mvn -q -B -Dstyle.color=never -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime -DoutputDirectory="$tmp" >"$LOGS/kafka-mvn.log" 2>&1; then
    tail -n 20 "$LOGS/kafka-mvn.log" >&2
    die "mvn could not resolve Kafka $KAFKA_VERSION (log: $LOGS/kafka-mvn.log)"
  fi
  compgen -G "$tmp/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null || die "mvn finished but kafka_2.13-$KAFKA_VERSION.jar is missing"
  rm -rf "$KAFKA_LIB"
  mv "$tmp" "$KAFKA_LIB"
  touch "$KAFKA_LIB/.complete"
}

# The broker and its tools run from the jars in $KAFKA_LIB, logging through deploy/local/kafka/log4j.properties.
kafka_jvm() {
  KAFKA_JVM=(java -Xmx512m -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
    -Dlog4j.configuration="file:$HERE/kafka/log4j.properties" -Dkafka.logs.dir="$LOGS"
    -cp "$KAFKA_LIB/*")
}

kafka_write_config() {
  mkdir -p "$KAFKA_DIR/data"
  cat >"$KAFKA_PROPS" <<EOF
# Generated by deploy/local/stack.sh on every start; edit the script, not this file.
# Single-node combined KRaft (broker + controller), local development only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Fewer internal partitions than the default 50: the first consumer group / transaction comes up faster.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
# auto.create.topics.enable stays at its default (true); the services create their topics explicitly.
EOF
}

kafka_format() {
  [[ -f $KAFKA_DIR/data/meta.properties ]] && return 0
  local id
  if [[ ! -s $KAFKA_DIR/cluster.id ]]; then
    "${KAFKA_JVM[@]}" kafka.tools.StorageTool random-uuid >"$KAFKA_DIR/cluster.id" 2>>"$KAFKA_OUT" || die "StorageTool random-uuid failed (log: $KAFKA_OUT)"
  fi
  id=$(<"$KAFKA_DIR/cluster.id")
  log "formatting storage (cluster id $id)"
  "${KAFKA_JVM[@]}" kafka.tools.StorageTool format -t "$id" -c "$KAFKA_PROPS" --ignore-formatted >>"$KAFKA_OUT" 2>&1 ||
    die "StorageTool format failed (log: $KAFKA_OUT)"
}

kafka_running() { pid_alive "$KAFKA_PID" "$KAFKA_PROPS"; }

kafka_start() {
  if kafka_running; then log "already running"; return 0; fi
  require_free_port "$KAFKA_PORT" YOUFU_KAFKA_PORT
  require_free_port "$KAFKA_CONTROLLER_PORT" YOUFU_KAFKA_CONTROLLER_PORT
  kafka_jvm
  kafka_write_config
  kafka_format
  log "starting on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)"
  launch "$KAFKA_PID" "$KAFKA_OUT" "${KAFKA_JVM[@]}" kafka.Kafka "$KAFKA_PROPS"
}

kafka_metadata_ok() {
  (cd "$ROOT" && npx --no-install tsx "$HERE/kafka-ready.ts" --brokers "127.0.0.1:$KAFKA_PORT" --timeout "$READY_TIMEOUT")
}

kafka_wait() {
  wait_until "kafka" "$KAFKA_LOG" port_open "$KAFKA_PORT" -- kafka_running
  kafka_metadata_ok || die "the broker port answers but a metadata request (listTopics) failed (log: $KAFKA_LOG)"
}

kafka_stop() { stop_pid kafka "$KAFKA_PID" "$KAFKA_PROPS" 45; }
kafka_status() { kafka_running && echo "running" || echo "stopped"; }
kafka_address() { echo "127.0.0.1:$KAFKA_PORT"; }

# ---------------------------------------------------------------- temporal

TEMPORAL_PID=$RUN/temporal.pid

temporal_install() {
  [[ -x $TEMPORAL_BIN ]] && return 0
  mkdir -p "$CACHE/bin"
  # Someone (e.g. a developer's manual build) may be compiling the CLI right now: never start a
  # second `go install` next to it on 2 cores; wait for it and use its result.
  if pgrep -f "go install" >/dev/null; then
    log "a 'go install' is running (pids: $(pgrep -f 'go install' | tr '\n' ' ')); waiting for it to finish"
    while pgrep -f "go install" >/dev/null; do sleep 10; done
  fi
  if [[ -x $TEMPORAL_PREBUILT ]]; then
    log "copying prebuilt $TEMPORAL_PREBUILT"
    cp "$TEMPORAL_PREBUILT" "$TEMPORAL_BIN.tmp"
    mv "$TEMPORAL_BIN.tmp" "$TEMPORAL_BIN"
  else
    command -v go >/dev/null || die "Go is not installed: cannot build the Temporal CLI"
    log "building the Temporal CLI $TEMPORAL_CLI_VERSION with go install: this takes a few minutes on 2 cores (once; cached in $CACHE/bin)"
    if ! GOFLAGS=-mod=mod GOBIN="$CACHE/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" \
      >"$LOGS/temporal-build.log" 2>&1; then
      tail -n 20 "$LOGS/temporal-build.log" >&2
      die "go install github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION failed (log: $LOGS/temporal-build.log)"
    fi
  fi
  "$TEMPORAL_BIN" --version >/dev/null 2>&1 || { rm -f "$TEMPORAL_BIN"; die "$TEMPORAL_BIN does not run"; }
  log "$("$TEMPORAL_BIN" --version)"
}

temporal_running() { pid_alive "$TEMPORAL_PID" "$TEMPORAL_DIR/temporal.db"; }

temporal_start() {
  if temporal_running; then log "already running"; return 0; fi
  require_free_port "$TEMPORAL_PORT" YOUFU_TEMPORAL_PORT
  require_free_port "$TEMPORAL_UI_PORT" YOUFU_TEMPORAL_UI_PORT
  mkdir -p "$TEMPORAL_DIR"
  log "starting dev server on 127.0.0.1:$TEMPORAL_PORT (UI :$TEMPORAL_UI_PORT)"
  launch "$TEMPORAL_PID" "$TEMPORAL_LOG" "$TEMPORAL_BIN" server start-dev \
    --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --db-filename "$TEMPORAL_DIR/temporal.db" --namespace "$TEMPORAL_NAMESPACE" --log-level warn \
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
    --ui-codec-endpoint "http://127.0.0.1:${YOUFU_CODEC_PORT:-8234}"
}

temporal_cli() { "$TEMPORAL_BIN" "$@" --address "127.0.0.1:$TEMPORAL_PORT" --command-timeout 5s; }
temporal_healthy() {
  temporal_cli operator cluster health &&
    temporal_cli operator namespace describe --namespace "$TEMPORAL_NAMESPACE"
}

temporal_wait() { wait_until "temporal" "$TEMPORAL_LOG" temporal_healthy -- temporal_running; }
temporal_stop() { stop_pid temporal "$TEMPORAL_PID" "$TEMPORAL_DIR/temporal.db" 20; }
temporal_status() { temporal_running && echo "running" || echo "stopped"; }
temporal_address() { echo "127.0.0.1:$TEMPORAL_PORT namespace $TEMPORAL_NAMESPACE, Web UI http://127.0.0.1:$TEMPORAL_UI_PORT"; }

# ---------------------------------------------------------------- commands

component_fn() {
  case $1 in
    postgres | pg) echo pg ;;
    kafka) echo kafka ;;
    temporal) echo temporal ;;
    *) CURRENT=stack die "unknown component '$1' (expected: ${COMPONENTS[*]})" ;;
  esac
}

component_log() {
  case $1 in
    postgres | pg) echo "$PG_LOG" ;;
    kafka) echo "$KAFKA_LOG" ;;
    temporal) echo "$TEMPORAL_LOG" ;;
  esac
}

prepare_dirs() {
  mkdir -p "$CACHE" "$STATE" "$RUN" "$LOGS"
  chmod 755 "$STATE"
  # One stack.sh up/down at a time per state directory (daemons are started with fd 9 closed).
  exec 9>"$RUN/stack.lock"
  flock -w 600 9 || die "another stack.sh holds $RUN/stack.lock"
}

cmd_up() {
  local t0 c
  t0=$(now)
  # Install + start each component (pg and kafka boot while the next one installs), then wait.
  for c in pg kafka temporal; do
    timed "$(component_name $c)" install "${c}_install"
    timed "$(component_name $c)" start "${c}_start"
  done
  for c in pg kafka temporal; do
    timed "$(component_name $c)" ready "${c}_wait"
  done
  log "up: $(elapsed "$t0")s total"
  cat <<EOF

Local stack is up:
  YOUFU_PG_URL=$(pg_address)
  Kafka        $(kafka_address)   (YOUFU_KAFKA_BROKERS=$(kafka_address))
  Temporal     127.0.0.1:$TEMPORAL_PORT namespace $TEMPORAL_NAMESPACE   (YOUFU_TEMPORAL_ADDRESS=127.0.0.1:$TEMPORAL_PORT)
  Web UI       http://127.0.0.1:$TEMPORAL_UI_PORT
Logs: $LOGS   (bash deploy/local/stack.sh logs <component>)
EOF
}

component_name() { case $1 in pg) echo postgres ;; *) echo "$1" ;; esac; }

cmd_down() {
  local c
  for c in temporal kafka pg; do
    CURRENT=$(component_name $c)
    "${c}_stop"
  done
  CURRENT=stack
}

cmd_status() {
  local c
  for c in pg kafka temporal; do
    printf '%-9s %-8s %s\n' "$(component_name $c)" "$("${c}_status")" "$("${c}_address")"
  done
}

cmd_logs() {
  local follow=0 names=() args=() c f
  for c in "$@"; do
    if [[ $c == -f ]]; then follow=1; else names+=("$c"); fi
  done
  [[ ${#names[@]} -gt 0 ]] || names=("${COMPONENTS[@]}")
  args=(-n "${YOUFU_LOG_LINES:-100}")
  [[ $follow == 1 ]] && args+=(-F)
  local files=()
  for c in "${names[@]}"; do
    component_fn "$c" >/dev/null
    f=$(component_log "$c")
    [[ -f $f ]] && files+=("$f") || echo "($c: no log yet at $f)" >&2
  done
  [[ ${#files[@]} -gt 0 ]] || return 0
  exec tail "${args[@]}" "${files[@]}"
}

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; }

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case $cmd in
    up) prepare_dirs; cmd_up ;;
    down) prepare_dirs; cmd_down ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
