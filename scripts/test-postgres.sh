#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: Debian's `postgresql` package (installed when
# missing and running as root), a cluster under /tmp owned by the `postgres` user, listening
# on 127.0.0.1 only, trust authentication for loopback (nothing else can reach it).
#   scripts/test-postgres.sh start   # prints the admin URL on stdout (export it as
#                                    # KABUTO_TEST_POSTGRES_URL; tests create their own databases)
#   scripts/test-postgres.sh stop
set -euo pipefail
dir=/tmp/kabuto-test-postgres
# Below the kernel's ephemeral port range (32768 and up by default), which client sockets use.
port=${KABUTO_TEST_POSTGRES_PORT:-25432}
url="postgres://postgres@127.0.0.1:$port/postgres"

bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
start)
  if [ -z "$(bin_dir)" ] && [ "$(id -u)" = 0 ]; then
    echo "installing postgresql" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1; }
  fi
  bin=$(bin_dir)
  [ -n "$bin" ] || { echo "PostgreSQL is not installed and cannot be installed here" >&2; exit 1; }
  if as_postgres "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    echo "$url"; exit 0
  fi
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  as_postgres "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
  as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on -c max_connections=200" start >/dev/null
  echo "$url"
  ;;
stop)
  bin=$(bin_dir)
  [ -n "$bin" ] && as_postgres "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
