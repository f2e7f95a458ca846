#!/usr/bin/env bash
# Make sure MariaDB, Redis and the search server answer; start each one that is installed but stopped.
# Usage: scripts/services.sh [up|down-search]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
ES_PORT=${ES_PORT:-9200}
NOIDA_DIR=${NOIDA_DIR:-var/noida}

wait_for() {  # wait_for NAME CMD...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then echo "  $name: up"; return 0; fi
    sleep 1
  done
  echo "  $name: did not answer after 60 s" >&2
  return 1
}

mariadb_up() { mysqladmin --protocol=tcp -h127.0.0.1 -uroot ping >/dev/null 2>&1 || mysqladmin ping >/dev/null 2>&1; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }
search_up() { curl -sf "http://127.0.0.1:${ES_PORT}/" >/dev/null; }

case "${1:-up}" in
  up)
    echo "services:"
    if ! mariadb_up; then
      command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || { echo "MariaDB is not installed (apt-get install mariadb-server)" >&2; exit 1; }
      start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    fi
    wait_for mariadb mariadb_up
    if ! redis_up; then
      command -v redis-server >/dev/null || { echo "Redis is not installed (apt-get install redis-server)" >&2; exit 1; }
      mkdir -p /var/lib/redis /var/log/redis
      redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
    fi
    wait_for redis redis_up
    if ! search_up; then
      mkdir -p "$NOIDA_DIR"
      "$VENV/bin/noida-db" up --only elasticsearch --host 127.0.0.1 --elasticsearch-port "$ES_PORT" \
        --data-dir "$NOIDA_DIR" >"$NOIDA_DIR.up.log" 2>&1 || { cat "$NOIDA_DIR.up.log" >&2; exit 1; }
    fi
    wait_for search search_up
    ;;
  down-search)
    "$VENV/bin/noida-db" down --data-dir "$NOIDA_DIR" || true
    ;;
  *) echo "usage: $0 [up|down-search]" >&2; exit 2 ;;
esac
