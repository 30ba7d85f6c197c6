#!/usr/bin/env bash
# LMS 146 on several machines, played on one: every piece a deployment spreads over hosts runs
# here as its own process on its own port, talking to the others over TCP as it would across a
# network. What runs (ports from CLUSTER_PORT, default 16400):
#
#   nginx            :+80   reverse proxy over the two app servers (the load balancer)
#   app1, app2       :+11 :+12  gunicorn, each a "web host"
#   worker1, worker2        Celery workers (background jobs and the bridge's jobs)
#   bridge0..        `flask bridge run --follow` (one per partition with BRIDGE_PARTITIONS > 1)
#   pgbouncer        :+2    transaction pooling in front of the primary
#   pg-primary       :+0    PostgreSQL, takes every write
#   pg-replica       :+1    PostgreSQL streaming replica (pg_basebackup), read-only queries
#   redis            :+3    rate-limit counters, Celery broker
#
# Usage: deploy/cluster.sh up|down|status|env
#        deploy/cluster.sh kill NAME     # SIGKILL a piece and its children (a host dying)
#        deploy/cluster.sh start NAME    # start one piece again (app1, worker2, bridge0, ...)
# Settings (environment): CLUSTER_DIR (/tmp/lms-cluster), CLUSTER_PORT (16400),
# APP_WORKERS (2 gunicorn workers per app server), APP_THREADS (4), WORKER_CONCURRENCY (2),
# BRIDGE_PARTITIONS (1), LMS_LOG_LEVEL (INFO).
# Needs: PostgreSQL server binaries, pgbouncer, nginx, redis-server, and `make install` done.
# Run as root (the database servers and pgbouncer are run as user postgres through runuser).
# The system's own PostgreSQL (5432) and Redis (6379) are not touched.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
W="${CLUSTER_DIR:-/tmp/lms-cluster}"
BASE="${CLUSTER_PORT:-16400}"
APP_WORKERS="${APP_WORKERS:-2}"
APP_THREADS="${APP_THREADS:-4}"
WORKER_CONCURRENCY="${WORKER_CONCURRENCY:-2}"
BRIDGE_PARTITIONS="${BRIDGE_PARTITIONS:-1}"
PG_PRIMARY=$((BASE + 0))
PG_REPLICA=$((BASE + 1))
PGBOUNCER=$((BASE + 2))
REDIS=$((BASE + 3))
APP1=$((BASE + 11))
APP2=$((BASE + 12))
NGINX=$((BASE + 80))
VENV="$ROOT/.venv/bin"
DB=lms146
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"

say() { printf '== %s\n' "$*"; }
die() { printf 'cluster.sh: %s\n' "$*" >&2; exit 1; }
as_postgres() { runuser -u postgres -- "$@"; }

check_tools() {
  local missing=()
  [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || missing+=(postgresql)
  command -v pgbouncer >/dev/null || missing+=(pgbouncer)
  command -v nginx >/dev/null || missing+=(nginx)
  command -v redis-server >/dev/null || missing+=(redis-server)
  if [ ${#missing[@]} -gt 0 ]; then
    die "missing: ${missing[*]}. Install them with: apt-get install -y ${missing[*]}"
  fi
  [ -x "$VENV/gunicorn" ] && [ -x "$VENV/celery" ] || die "no .venv in $ROOT: run make install"
  [ "$(id -u)" = 0 ] || die "run as root (servers run as user postgres through runuser)"
  id postgres >/dev/null 2>&1 || die "no user postgres (it comes with the postgresql package)"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {  # wait_port PORT NAME [SECONDS]
  local deadline=$((SECONDS + ${3:-60}))
  until ! port_free "$1"; do
    [ $SECONDS -lt $deadline ] || die "$2 did not start on port $1 (see $W/log/$2.log)"
    sleep 0.2
  done
}

pid_of() { cat "$W/run/$1.pid" 2>/dev/null || true; }
alive() { local pid; pid="$(pid_of "$1")"; [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

# --- the application's settings, the same on every host --------------------------------------

write_env() {
  local password secret
  password="$(cat "$W/secrets/db_password")"
  secret="$(cat "$W/secrets/secret_key")"
  cat >"$W/lms.env" <<EOF
# The LMS's settings on every app server, worker and bridge host (README: Configuration).
export LMS_DATABASE_URL=postgresql+psycopg://lms:$password@127.0.0.1:$PGBOUNCER/$DB
export LMS_DATABASE_PGBOUNCER=1
export LMS_DATABASE_REPLICA_URLS=postgresql+psycopg://lms:$password@127.0.0.1:$PG_REPLICA/$DB
export LMS_REDIS_URL=redis://127.0.0.1:$REDIS/0
export LMS_SECRET_KEY=$secret
export LMS_BASE_URL=http://127.0.0.1:$NGINX
export LMS_PROXY_HOPS=1
export LMS_PDF_SIGNING_DIR=$W/pdf-signing
export LMS_BRIDGE_PARTITIONS=$BRIDGE_PARTITIONS
export LMS_LOG_LEVEL=${LMS_LOG_LEVEL:-INFO}
# Not an LMS setting: migrations go to the primary itself (DDL does not belong in the pool).
export CLUSTER_PRIMARY_URL=postgresql+psycopg://lms:$password@127.0.0.1:$PG_PRIMARY/$DB
EOF
}

# --- PostgreSQL primary and replica ---------------------------------------------------------

pg_start() {  # pg_start NAME PORT
  as_postgres "$PGBIN/pg_ctl" -D "$W/pg/$1" -l "$W/log/pg-$1.log" -w -t 60 \
    -o "-p $2 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$W/run/pg" start >/dev/null
}

pg_stop() {
  [ -f "$W/pg/$1/postmaster.pid" ] || return 0
  as_postgres "$PGBIN/pg_ctl" -D "$W/pg/$1" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

psql_primary() { as_postgres "$PGBIN/psql" -h "$W/run/pg" -p "$PG_PRIMARY" -v ON_ERROR_STOP=1 -qAt "$@"; }

init_primary() {
  [ -d "$W/pg/primary" ] && return 0
  say "PostgreSQL primary: initdb"
  as_postgres "$PGBIN/initdb" -D "$W/pg/primary" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$W/log/pg-initdb.log"
  cat >"$W/pg/primary/pg_hba.conf" <<EOF
# Administration over the local socket; replication from the replica host; the app by password.
local all all trust
host replication postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
EOF
  cat >>"$W/pg/primary/postgresql.conf" <<EOF
wal_level = replica
max_wal_senders = 5
wal_keep_size = 256MB
max_connections = 100
hot_standby = on
hot_standby_feedback = on
EOF
}

create_database() {
  local password; password="$(cat "$W/secrets/db_password")"
  if [ "$(psql_primary -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'lms'")" != 1 ]; then
    say "PostgreSQL: role lms, database $DB"
    psql_primary -d postgres -c "CREATE ROLE lms LOGIN PASSWORD '$password'"
    psql_primary -d postgres -c "CREATE DATABASE $DB OWNER lms"
  fi
}

init_replica() {
  [ -d "$W/pg/replica" ] && return 0
  say "PostgreSQL replica: pg_basebackup from the primary"
  as_postgres "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY" -U postgres \
    -D "$W/pg/replica" -R -X stream -c fast >"$W/log/pg-basebackup.log" 2>&1
}

# --- pgbouncer, Redis, nginx ------------------------------------------------------------------

write_pgbouncer() {
  local password; password="$(cat "$W/secrets/db_password")"
  mkdir -p "$W/pgbouncer"
  printf '"lms" "%s"\n' "$password" >"$W/pgbouncer/userlist.txt"
  cat >"$W/pgbouncer/pgbouncer.ini" <<EOF
[databases]
$DB = host=127.0.0.1 port=$PG_PRIMARY dbname=$DB

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER
unix_socket_dir = $W/run/pg
auth_type = scram-sha-256
auth_file = $W/pgbouncer/userlist.txt
stats_users = lms
; A server connection serves one transaction, then the next client's.
pool_mode = transaction
; Clients: every app and worker process's SQLAlchemy pool (pool_size 5 + overflow 10).
max_client_conn = 1000
; Server connections per database and user: what PostgreSQL really runs at once.
default_pool_size = 20
reserve_pool_size = 5
ignore_startup_parameters = extra_float_digits
logfile = $W/log/pgbouncer.log
pidfile = $W/run/pgbouncer.pid
EOF
  chown -R postgres "$W/pgbouncer"
  chmod 600 "$W/pgbouncer/userlist.txt"
}

start_pgbouncer() {
  alive pgbouncer && return 0
  as_postgres pgbouncer -d -q "$W/pgbouncer/pgbouncer.ini"
  wait_port "$PGBOUNCER" pgbouncer
}

start_redis() {
  alive redis && return 0
  mkdir -p "$W/redis"
  redis-server --port "$REDIS" --bind 127.0.0.1 --dir "$W/redis" --daemonize yes \
    --pidfile "$W/run/redis.pid" --logfile "$W/log/redis.log" --appendonly yes --save ""
  wait_port "$REDIS" redis
}

write_nginx() {
  mkdir -p "$W/nginx/tmp"
  chown www-data "$W/nginx/tmp" 2>/dev/null || chmod 777 "$W/nginx/tmp"
  cat >"$W/nginx/nginx.conf" <<EOF
worker_processes 1;
user www-data;
error_log $W/log/nginx.log warn;
pid $W/run/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $W/nginx/tmp/body;
  proxy_temp_path $W/nginx/tmp/proxy;
  fastcgi_temp_path $W/nginx/tmp/fastcgi;
  uwsgi_temp_path $W/nginx/tmp/uwsgi;
  scgi_temp_path $W/nginx/tmp/scgi;
  # LMS_MAX_UPLOAD_MB (20) is the app's own limit; nginx lets that much through.
  client_max_body_size 21m;
  # A statement batch is kept in memory on its way through, not written to a temporary file.
  client_body_buffer_size 1m;
  upstream lms {
    # Each line is one app server host. A host that refuses connections is left out for 5 s.
    server 127.0.0.1:$APP1 max_fails=1 fail_timeout=5s;
    server 127.0.0.1:$APP2 max_fails=1 fail_timeout=5s;
    keepalive 16;
    # Shorter than the app servers' own keep-alive (gunicorn --keep-alive 75): nginx must drop
    # an idle connection before gunicorn does, or it may send a request on one gunicorn is
    # closing, get a reset, and take a healthy app server for a dead one for fail_timeout.
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:$NGINX;
    location / {
      proxy_pass http://lms;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$http_host;
      # A request no app server received (connection refused or reset before it was sent) is
      # tried on the other one; a POST an app server may have begun is not sent twice.
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
      proxy_connect_timeout 2s;
      proxy_read_timeout 300s;
    }
  }
}
EOF
}

start_nginx() {
  alive nginx && return 0
  nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/log/nginx.log"
  wait_port "$NGINX" nginx
}

# --- the application: app servers, workers, bridge followers --------------------------------

spawn() {  # spawn NAME COMMAND...: its own session (so kill takes its children), pid file, log
  # shellcheck disable=SC1091
  (cd "$ROOT" && source "$W/lms.env" && exec setsid "$@" </dev/null >>"$W/log/$NAME.log" 2>&1) &
  echo $! >"$W/run/$NAME.pid"
}

start_one() {
  local NAME="$1" port
  alive "$NAME" && { say "$NAME already runs (pid $(pid_of "$NAME"))"; return 0; }
  case "$NAME" in
    app1|app2)
      port=$APP1; [ "$NAME" = app2 ] && port=$APP2
      spawn "$VENV/gunicorn" --workers "$APP_WORKERS" --threads "$APP_THREADS" \
        --bind "127.0.0.1:$port" --graceful-timeout 20 --timeout 120 --keep-alive 75 \
        --log-level warning wsgi:app
      wait_port "$port" "$NAME" 90 ;;
    worker1|worker2)
      spawn "$VENV/celery" -A lms.jobs.worker worker -n "$NAME@%h" \
        --concurrency "$WORKER_CONCURRENCY" --loglevel WARNING ;;
    bridge*)
      local k="${NAME#bridge}"
      if [ "$BRIDGE_PARTITIONS" -gt 1 ]; then
        spawn "$VENV/flask" --app wsgi bridge run --follow --interval 1 --partition "$k"
      else
        spawn "$VENV/flask" --app wsgi bridge run --follow --interval 1
      fi ;;
    pgbouncer) start_pgbouncer ;;
    redis) start_redis ;;
    nginx) start_nginx ;;
    pg-primary) pg_start primary "$PG_PRIMARY" ;;
    pg-replica) pg_start replica "$PG_REPLICA" ;;
    *) die "no piece named $NAME" ;;
  esac
}

app_pieces() {
  echo app1 app2 worker1 worker2
  local k
  for ((k = 0; k < BRIDGE_PARTITIONS; k++)); do echo "bridge$k"; done
}

kill_one() {  # SIGKILL the piece's whole session: the host is gone, nothing is shut down cleanly
  local pid
  case "$1" in
    pg-primary|pg-replica) pid="$(head -n 1 "$W/pg/${1#pg-}/postmaster.pid" 2>/dev/null || true)" ;;
    *) pid="$(pid_of "$1")" ;;
  esac
  [ -n "$pid" ] || die "$1 is not running (no pid file)"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$W/run/$1.pid"
}

stop_one() {  # a clean stop: TERM, then KILL after 30 s
  local pid; pid="$(pid_of "$1")"
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$W/run/$1.pid"
}

# --- commands -------------------------------------------------------------------------------

up() {
  check_tools
  mkdir -p "$W"/{run,log,secrets,pg,pdf-signing}
  chmod 755 "$W" "$W/pg" "$W/log"
  chmod 700 "$W/secrets"
  # The database servers and pgbouncer (user postgres) write their data, logs and pid files.
  mkdir -p "$W/run/pg" && chown postgres "$W/pg" "$W/log" "$W/run" "$W/run/pg"
  [ -s "$W/secrets/db_password" ] || "$VENV/python" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$W/secrets/db_password"
  [ -s "$W/secrets/secret_key" ] || "$VENV/python" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$W/secrets/secret_key"
  if [ ! -f "$W/pg/primary/postmaster.pid" ]; then
    for p in "$PG_PRIMARY" "$PG_REPLICA" "$PGBOUNCER" "$REDIS" "$APP1" "$APP2" "$NGINX"; do
      port_free "$p" || die "port $p is taken (set CLUSTER_PORT to another base)"
    done
  fi
  write_env
  init_primary
  [ -f "$W/pg/primary/postmaster.pid" ] || { say "PostgreSQL primary on :$PG_PRIMARY"; pg_start primary "$PG_PRIMARY"; }
  create_database
  init_replica
  [ -f "$W/pg/replica/postmaster.pid" ] || { say "PostgreSQL replica on :$PG_REPLICA"; pg_start replica "$PG_REPLICA"; }
  say "pgbouncer (transaction mode) on :$PGBOUNCER"
  write_pgbouncer && start_pgbouncer
  say "Redis on :$REDIS"
  start_redis
  say "migrations (flask db upgrade, straight to the primary)"
  (cd "$ROOT" && source "$W/lms.env" && LMS_DATABASE_URL="$CLUSTER_PRIMARY_URL" \
    "$VENV/flask" --app wsgi db upgrade >>"$W/log/migrate.log" 2>&1) \
    || die "migrations failed (see $W/log/migrate.log)"
  for piece in $(app_pieces); do
    say "$piece"
    start_one "$piece"
  done
  say "nginx on :$NGINX -> app1 :$APP1, app2 :$APP2"
  write_nginx && start_nginx
  status
  echo "The LMS answers at http://127.0.0.1:$NGINX/  (settings: $W/lms.env; logs: $W/log/)"
}

down() {
  [ -d "$W" ] || { say "nothing under $W"; return 0; }
  stop_one nginx
  for f in "$W"/run/app*.pid "$W"/run/worker*.pid "$W"/run/bridge*.pid; do
    [ -f "$f" ] && stop_one "$(basename "$f" .pid)"
  done
  stop_one pgbouncer
  stop_one redis
  pg_stop replica
  pg_stop primary
  say "stopped (data kept in $W; remove the directory to start afresh)"
}

status() {
  local piece state ok=0 lag
  for piece in pg-primary pg-replica pgbouncer redis $(app_pieces) nginx; do
    case "$piece" in
      pg-primary) [ -f "$W/pg/primary/postmaster.pid" ] && kill -0 "$(head -n 1 "$W/pg/primary/postmaster.pid")" 2>/dev/null ;;
      pg-replica) [ -f "$W/pg/replica/postmaster.pid" ] && kill -0 "$(head -n 1 "$W/pg/replica/postmaster.pid")" 2>/dev/null ;;
      *) alive "$piece" ;;
    esac && state=up || { state=DOWN; ok=1; }
    printf '  %-11s %s\n' "$piece" "$state"
  done
  if [ -f "$W/pg/replica/postmaster.pid" ]; then
    lag="$(as_postgres "$PGBIN/psql" -h "$W/run/pg" -p "$PG_REPLICA" -d postgres -qAt -c \
      "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN '0 (caught up)' ELSE coalesce(round(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::numeric, 1)::text, '?') END" 2>/dev/null || echo '?')"
    printf '  replica replay lag: %s s\n' "$lag"
  fi
  return $ok
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) cat "$W/lms.env" ;;
  kill) [ -n "${2:-}" ] || die "kill NAME"; kill_one "$2" ;;
  start) [ -n "${2:-}" ] || die "start NAME"; write_env; start_one "$2" ;;
  *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
