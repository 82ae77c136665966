#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the job-store tests and prints its URL
# (postgres://postgres@127.0.0.1:PORT/postgres). Installs Debian's postgresql package if needed.
#   bash scripts/postgres-test-server.sh start <folder>   → prints the URL
#   bash scripts/postgres-test-server.sh stop <folder>
#   bash scripts/postgres-test-server.sh down <folder>   → a fast shutdown (clients see 57P01), data kept
#   bash scripts/postgres-test-server.sh up <folder>     → the same server back on its port
set -euo pipefail
action="$1"; dir="$2"
cd /  # the postgres user may not be able to enter the caller's directory
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
run() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$action" = down ]; then
  run "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  exit 0
fi
if [ "$action" = up ]; then
  run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  exit 0
fi
if [ "$action" = stop ]; then
  if [ -f "$dir/data/postmaster.pid" ]; then
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null
    else "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null; fi
  fi
  exit 0
fi
if [ -z "$bin" ]; then
  echo "==> apt-get install postgresql" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$dir"
echo "$port" > "$dir/port"
if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; chmod 700 "$dir"; fi
user=$([ "$(id -u)" -eq 0 ] && echo postgres || id -un)
run "$bin/initdb" -D "$dir/data" -U "$user" -A trust >/dev/null
run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
[ "$user" = postgres ] || run "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$user" postgres 2>/dev/null || true
echo "postgres://$user@127.0.0.1:$port/postgres"
