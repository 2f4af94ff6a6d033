#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks (Debian's «postgresql» package).
#
#   tools/pg_cluster.sh start DIR   initdb into DIR, serve on a unix socket in DIR only (no TCP port),
#                                   print the database URL (postgresql+psycopg://…) on stdout
#   tools/pg_cluster.sh stop DIR    stop it and delete DIR
#
# initdb refuses to run as root: as root the cluster belongs to the «postgres» system user the
# package creates (or «nobody»), and is run through runuser. Trust authentication on a socket
# that only this machine can reach, in a folder made for it: nothing here is a real server.
set -euo pipefail

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] || { echo "PostgreSQL server binaries not found" >&2; return 1; }
  echo "$dir"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$OWNER" -- "$@"
  else
    "$@"
  fi
}

action=${1:?start|stop}
dir=${2:?folder}
BIN=$(bindir)
OWNER=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  OWNER=nobody
  id postgres >/dev/null 2>&1 && OWNER=postgres
fi

case "$action" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown "$OWNER" "$dir"
    chmod 700 "$dir"
    as_owner "$BIN/initdb" -D "$dir/data" -U baocaoxa --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync stays on: the durability the store relies on is the server's default one
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=60 -c deadlock_timeout=100ms" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql+psycopg://baocaoxa@/postgres?host=$dir"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
