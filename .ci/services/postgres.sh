# PostgreSQL through unixODBC for palfa-tracker's results-database tests.
#
# Sourced by .ci/run (bash, `set -euo pipefail`, as root, Debian 12). Installs
# postgresql, unixodbc (odbcinst) and odbc-postgresql (the driver) from Debian's packages
# if they are missing, makes a throwaway cluster with `initdb` (as the
# `postgres` user) in a temporary directory, starts it with `pg_ctl` on a free
# loopback port (TCP on 127.0.0.1 only, password authentication) and makes a
# user `palfa` with a random password. Exports:
#
# - PALFA_TEST_ODBC: the ODBC connection string (no password), e.g.
#   `Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=…;Database=postgres`
# - PALFA_TEST_ODBC_USER, PALFA_TEST_ODBC_PASSWORD: the login
# - PALFA_TEST_PG_CTL: a command that runs this cluster's pg_ctl as `postgres`
#   (the tests stop and restart the server with it; with sudo when not root)
# - PALFA_TEST_PG_DIR: the cluster's directory (data, server.log)
# - PALFA_TEST_PG=1: the tests that need PostgreSQL run, and fail if it is
#   not reachable.
#
# Run it alone with `bash -c 'set -euo pipefail; source .ci/services/postgres.sh; env | grep PALFA_TEST'`.
# The server runs until it is stopped: `$PALFA_TEST_PG_CTL stop`.

palfa_postgres_setup() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "postgres.sh: needs root (or sudo) to install and start PostgreSQL" >&2
      return 1
    fi
  fi
  local pkgs="postgresql unixodbc odbc-postgresql" missing="" p
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "postgres.sh: installing$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
  fi
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -x "$bin/initdb" ] || { echo "postgres.sh: initdb not found under /usr/lib/postgresql" >&2; return 1; }
  odbcinst -q -d -n "PostgreSQL Unicode" >/dev/null 2>&1 || {
    echo "postgres.sh: the ODBC driver 'PostgreSQL Unicode' is not registered (odbc-postgresql)" >&2
    return 1
  }

  local dir port pw
  dir="$(mktemp -d /tmp/palfa-pg.XXXXXX)"
  chmod 755 "$dir"
  # A loopback port nothing listens on, and a random password (hex).
  local tries=0
  while :; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    tries=$((tries + 1))
    [ "$tries" -lt 50 ] || { echo "postgres.sh: no free port found" >&2; return 1; }
  done
  pw="$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
  mkdir -p "$dir/data" "$dir/sock"
  $sudo chown -R postgres:postgres "$dir"
  $sudo runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
    echo "postgres.sh: initdb failed:" >&2; tail -n 20 "$dir/initdb.log" >&2; return 1; }
  $sudo tee -a "$dir/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/sock'
fsync = off
CONF
  export PALFA_TEST_PG_CTL="$sudo runuser -u postgres -- $bin/pg_ctl -D $dir/data -l $dir/server.log -w -t 60"
  $PALFA_TEST_PG_CTL start >/dev/null || {
    echo "postgres.sh: the server did not start:" >&2; tail -n 20 "$dir/server.log" >&2; return 1; }
  $sudo runuser -u postgres -- psql -h "$dir/sock" -p "$port" -U postgres -q -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE palfa LOGIN CREATEDB PASSWORD '$pw'" >/dev/null
  $sudo runuser -u postgres -- psql -h "$dir/sock" -p "$port" -U postgres -q -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE palfa OWNER palfa" >/dev/null

  export PALFA_TEST_ODBC="Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=$port;Database=palfa"
  export PALFA_TEST_ODBC_USER=palfa
  export PALFA_TEST_ODBC_PASSWORD="$pw"
  export PALFA_TEST_PG_DIR="$dir"
  export PALFA_TEST_PG=1
  echo "postgres.sh: PostgreSQL up on 127.0.0.1:$port (data and logs in $dir)"
}

palfa_postgres_setup
