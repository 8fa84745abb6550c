#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL server for the catalog-store tests and benchmarks.
#
#   scripts/search/postgres.sh start   # prints the URL to export as ESCI_TEST_POSTGRES_URL
#   scripts/search/postgres.sh stop    # stops it and deletes its data directory
#   scripts/search/postgres.sh url
#
# The cluster lives in its own directory ($ESCI_PG_DIR, default /tmp/esci-pg) on its own port
# ($ESCI_PG_PORT, else the first free port from 54329 up, remembered in the directory), listens on
# 127.0.0.1 only and trusts local connections, so it never touches Debian's `main` cluster, and
# two runs with different directories (.ci/run uses a fresh one) never stop each other's server. PostgreSQL refuses to
# run as root, so when run as root the server runs as the `postgres` user that Debian's package
# creates. fsync stays on: the crash-safety test kills a writer, not the server, but the server
# should behave as a real one would. Run scripts/search/install-pgvector.sh first.
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
DIR="${ESCI_PG_DIR:-/tmp/esci-pg}"
DB="${ESCI_PG_DB:-esci_test}"

# shellcheck source=../ports.sh
. "$(dirname "${BASH_SOURCE[0]}")/../ports.sh"
url() { echo "postgres://postgres@127.0.0.1:$(cat "$DIR/port")/$DB"; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() {
  [ -f "$DIR/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1
}

case "${1:-}" in
  start)
    if ! running; then
      rm -rf "$DIR"
      mkdir -p "$DIR"
      PORT="${ESCI_PG_PORT:-$(free_port 54329)}"
      echo "$PORT" >"$DIR/port"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
      as_pg "$PG_BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log"
      as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=50" start >/dev/null
      as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
    fi
    url
    ;;
  stop)
    if running; then as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null; fi
    rm -rf "$DIR"
    ;;
  url)
    url
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
