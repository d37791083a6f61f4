# Start and stop the real services on 127.0.0.1 (no systemd on these machines). Source, then call
# services_start / services_stop. Exports ONEGRID_POSTGRES_URL and ONEGRID_REDIS_URL.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
# A port that nothing listens on yet: the preferred one if free, else one the kernel picks.
free_port() {
  python3 - "$1" <<'PY'
import socket, sys
preferred = int(sys.argv[1])
for port in (preferred, 0):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(s.getsockname()[1])
        break
PY
}
PG_PORT=${PG_PORT:-$(free_port 55432)}
REDIS_PORT=${REDIS_PORT:-$(free_port 56379)}
SERVICES_DIR=${SERVICES_DIR:-/tmp/onegrid-services}

services_start() {
  mkdir -p "$SERVICES_DIR"
  chmod 755 "$SERVICES_DIR"  # the postgres user must reach its data directory inside
  if [ -x "$PG_BIN/pg_ctl" ]; then
    local data="$SERVICES_DIR/pg"
    if [ ! -d "$data" ]; then
      install -d -o postgres -g postgres "$data"
      su postgres -c "$PG_BIN/initdb -D $data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
    fi
    chown -R postgres:postgres "$data"
    su postgres -c "$PG_BIN/pg_ctl -D $data -l $data/server.log -o '-p $PG_PORT -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200' -w start" >/dev/null
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='onegrid'" | grep -q 1 \
      || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE onegrid"
    export ONEGRID_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/onegrid"
    echo "PostgreSQL on 127.0.0.1:$PG_PORT"
  fi
  if command -v redis-server >/dev/null; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log"
    export ONEGRID_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    echo "Redis on 127.0.0.1:$REDIS_PORT"
  fi
}

services_stop() {
  if [ -d "$SERVICES_DIR/pg" ]; then
    su postgres -c "$PG_BIN/pg_ctl -D $SERVICES_DIR/pg -m fast stop" >/dev/null 2>&1 || true
  fi
  if [ -f "$SERVICES_DIR/redis.pid" ]; then
    kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true
  fi
}
