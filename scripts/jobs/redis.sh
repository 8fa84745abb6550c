#!/usr/bin/env bash
# Starts or stops a throwaway Redis server for the job-queue tests and benchmarks.
#
#   scripts/jobs/redis.sh start     # prints the URL to export as ESCI_TEST_REDIS_URL
#   scripts/jobs/redis.sh restart   # stop and start on the same port and data (AOF replayed)
#   scripts/jobs/redis.sh stop      # stops it and deletes its directory
#   scripts/jobs/redis.sh url
#
# The server lives in its own directory ($ESCI_REDIS_DIR, default /tmp/esci-redis) on its own port
# ($ESCI_REDIS_PORT, else the first free port from 63790 up, remembered in the directory), listens
# on 127.0.0.1 only, and writes an append-only file synced on every write (appendfsync always), so
# a restart — even after kill -9 — loses no enqueued shard or result, as BullMQ's docs ask of a
# production Redis (maxmemory-policy noeviction too). Debian's redis-server: apt-get install -y redis-server.
set -euo pipefail

DIR="${ESCI_REDIS_DIR:-/tmp/esci-redis}"
BIN="${REDIS_SERVER:-redis-server}"

# shellcheck source=../ports.sh
. "$(dirname "${BASH_SOURCE[0]}")/../ports.sh"
url() { echo "redis://127.0.0.1:$(cat "$DIR/port")/0"; }
running() { [ -f "$DIR/redis.pid" ] && kill -0 "$(cat "$DIR/redis.pid")" 2>/dev/null; }

launch() {
  "$BIN" --port "$(cat "$DIR/port")" --bind 127.0.0.1 --dir "$DIR" --daemonize yes \
    --pidfile "$DIR/redis.pid" --logfile "$DIR/server.log" --appendonly yes --appendfsync always \
    --save "" --maxmemory-policy noeviction >/dev/null
  for _ in $(seq 1 100); do
    port_in_use "$(cat "$DIR/port")" && running && return 0
    sleep 0.05
  done
  echo "redis-server did not start; see $DIR/server.log" >&2
  exit 1
}

halt() {
  if running; then
    local pid
    pid="$(cat "$DIR/redis.pid")"
    kill "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  fi
}

case "${1:-}" in
  start)
    if ! running; then
      rm -rf "$DIR"
      mkdir -p "$DIR"
      echo "${ESCI_REDIS_PORT:-$(free_port 63790)}" >"$DIR/port"
      launch
    fi
    url
    ;;
  restart)
    halt
    launch
    url
    ;;
  stop)
    halt
    rm -rf "$DIR"
    ;;
  url)
    url
    ;;
  *)
    echo "usage: $0 start|restart|stop|url" >&2
    exit 2
    ;;
esac
