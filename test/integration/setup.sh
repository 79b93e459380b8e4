#!/usr/bin/env bash
# Sets up what `npm run test:integration` needs, and says what it does. Idempotent: a second run reuses
# what is there and takes seconds.
#
#   - PostgreSQL from Debian's packages (installed if missing), a PRIVATE cluster of the postgres user in
#     $TAP_CRM_IT_PG_DIR (default /tmp/tap-crm-it-pg-<port>), on 127.0.0.1:$TAP_CRM_IT_PG_PORT (default
#     55432) only, with password auth, independent of any system cluster; a role and a database for the tests.
#   - Python virtual environments under .venv/ with the versions pinned in test/integration/requirements/:
#     meltano, singer-tools (singer-check-tap), pipelinewise-target-postgres, PyAirbyte, meltano-map-transform, dlt; and the loaders of meltano.yml
#     (MeltanoLabs target-postgres, target-jsonl), installed by `meltano install` itself, with those pins as
#     constraints, in a copy of the project: .venv/meltano-project/.meltano/loaders/ (Meltano rewrites the
#     meltano.yml it works on, so never the repository's own).
#   - test/integration/.env.integration: the connection facts and tool paths that the tests read, and the
#     Python interpreter with which pip.test.ts makes a fresh virtual environment for `pip install .`.
#
# `bash test/integration/setup.sh stop` stops the private cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/test/integration
REQ=$HERE/requirements
VENV=$ROOT/.venv
ENV_FILE=$HERE/.env.integration

PG_HOST=127.0.0.1
PG_PORT=${TAP_CRM_IT_PG_PORT:-55432}
PG_DIR=${TAP_CRM_IT_PG_DIR:-/tmp/tap-crm-it-pg-$PG_PORT}
PG_SUPERPASS=tap-crm-it-super
PG_USER=tap_crm_it
PG_PASSWORD=tap-crm-it
PG_DATABASE=tap_crm_it
PYTHON=${TAP_CRM_IT_PYTHON:-python3}

say() { echo "[integration setup] $*"; }
die() { echo "[integration setup] ERROR: $*" >&2; exit 1; }

# Runs a command as the owner of the cluster: the postgres user when we are root (the server refuses to
# run as root), else ourselves.
as_owner() {
  if [ "$(id -u)" = 0 ]; then "$(command -v runuser || echo /usr/sbin/runuser)" -u postgres -- "$@"; else "$@"; fi
}

pg_bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/psql" ]; then echo "$d"; fi
}

# ---------------------------------------------------------------------------------------------- PostgreSQL
install_postgres() {
  if [ -n "$(pg_bin_dir)" ]; then
    say "PostgreSQL: found $(pg_bin_dir)"
    return
  fi
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed and I am not root: run 'apt-get install postgresql' as root"
  say "PostgreSQL: installing Debian's postgresql (apt-get update; apt-get install postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  [ -n "$(pg_bin_dir)" ] || die "apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/initdb"
  say "PostgreSQL: installed $(pg_bin_dir)"
}

psql_super() {
  PGPASSWORD=$PG_SUPERPASS "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -At "$@"
}

start_cluster() {
  PG_BIN=$(pg_bin_dir)
  local data=$PG_DIR/data
  if "$PG_BIN/pg_isready" -q -t 5 -h "$PG_HOST" -p "$PG_PORT"; then
    if psql_super -c 'select 1' >/dev/null 2>&1; then
      say "PostgreSQL: the private cluster is already running on $PG_HOST:$PG_PORT ($data)"
      return
    fi
    die "something else listens on $PG_HOST:$PG_PORT and refuses the test cluster's password; set TAP_CRM_IT_PG_PORT to a free port"
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then die "no postgres user (Debian's postgresql package creates it)"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    say "PostgreSQL: initdb of a private cluster in $data (superuser postgres, scram-sha-256 password auth)"
    rm -rf "$PG_DIR"
    mkdir -p "$PG_DIR"
    printf '%s\n' "$PG_SUPERPASS" > "$PG_DIR/superpass"
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$PG_DIR"; fi
    chmod 700 "$PG_DIR"
    as_owner "$PG_BIN/initdb" -D "$data" -U postgres --pwfile="$PG_DIR/superpass" --auth=scram-sha-256 \
      -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
    rm -f "$PG_DIR/superpass"
    # A throwaway test cluster: loopback only, its own socket directory, durability traded for speed.
    as_owner tee -a "$data/postgresql.conf" >/dev/null <<EOF

# test/integration/setup.sh
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
EOF
  fi
  say "PostgreSQL: starting the private cluster on $PG_HOST:$PG_PORT (log: $PG_DIR/server.log)"
  as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null \
    || { tail -n 30 "$PG_DIR/server.log" >&2 || true; die "pg_ctl start failed"; }
}

create_database() {
  if [ "$(psql_super -c "select count(*) from pg_roles where rolname = '$PG_USER'")" = 0 ]; then
    say "PostgreSQL: creating role $PG_USER"
    psql_super -c "create role $PG_USER login password '$PG_PASSWORD'"
  fi
  if [ "$(psql_super -c "select count(*) from pg_database where datname = '$PG_DATABASE'")" = 0 ]; then
    say "PostgreSQL: creating database $PG_DATABASE"
    psql_super -c "create database $PG_DATABASE owner $PG_USER"
  fi
  # Sessions in UTC, whatever the machine's zone: the tests compare timestamp columns with UTC instants.
  psql_super -c "alter database $PG_DATABASE set timezone to 'UTC'"
  say "PostgreSQL: database $PG_DATABASE on $PG_HOST:$PG_PORT, user $PG_USER (sessions in UTC)"
}

stop_cluster() {
  PG_BIN=$(pg_bin_dir)
  [ -n "$PG_BIN" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || { say "no private cluster running in $PG_DIR"; return; }
  as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop
}

# -------------------------------------------------------------------------------------------------- Python
# shellcheck source=make-venv.sh
source "$HERE/make-venv.sh"

PLUGINS=$VENV/meltano-project/.meltano
meltano_env() {
  env MELTANO_SEND_ANONYMOUS_USAGE_STATS=false MELTANO_CLI_DISABLE_VERSION_CHECK=true "$@"
}

# The loaders of meltano.yml, installed the way a user does (`meltano install`), with the full pins as
# uv constraints. Meltano skips a plugin whose pip_url has not changed.
# Meltano reinstalls a plugin when its pip_url changes, not when the constraints do: --clean then.
install_loaders() {
  local loader stamp clean=()
  mkdir -p "$VENV/meltano-project"
  cp "$ROOT/meltano.yml" "$VENV/meltano-project/meltano.yml"
  stamp=$(cat "$ROOT/meltano.yml" "$REQ/target-postgres.txt" "$REQ/target-jsonl.txt" "$VENV/meltano/.tap-crm-stamp" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$VENV/meltano-project/.tap-crm-stamp" 2>/dev/null)" != "$stamp" ]; then clean=(--clean); fi
  for loader in target-postgres target-jsonl; do
    say "Meltano: meltano install ${clean[*]:+--clean }--plugin-type loader $loader (constraints: requirements/$loader.txt)"
    meltano_env UV_CONSTRAINT="$REQ/$loader.txt" PIP_CONSTRAINT="$REQ/$loader.txt" \
      bash -c 'cd "$1" && shift && exec "$@"' - "$VENV/meltano-project" \
      "$VENV/meltano/bin/meltano" --log-level=warning install "${clean[@]}" --plugin-type loader "$loader" \
      || die "meltano install of $loader failed"
    [ -x "$PLUGINS/loaders/$loader/venv/bin/$loader" ] || die "meltano install left no $loader executable"
  done
  echo "$stamp" > "$VENV/meltano-project/.tap-crm-stamp"
}

# ---------------------------------------------------------------------------------------------------- main
if [ "${1:-}" = stop ]; then
  stop_cluster
  exit 0
fi

started=$(date +%s)
rm -f "$ENV_FILE"

install_postgres
start_cluster
create_database

command -v "$PYTHON" >/dev/null || die "no $PYTHON on the PATH (set TAP_CRM_IT_PYTHON)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || die "$PYTHON is $("$PYTHON" --version 2>&1); meltano 4 needs Python >= 3.10 (set TAP_CRM_IT_PYTHON)"
say "Python: $(command -v "$PYTHON") ($("$PYTHON" --version 2>&1))"
mkdir -p "$VENV"
make_venv meltano "$REQ/meltano.txt"
make_venv singer-tools "$REQ/singer-tools.txt"
make_venv pipelinewise-target-postgres "$REQ/pipelinewise-target-postgres.txt"
make_venv pyairbyte "$REQ/pyairbyte.txt"
make_venv meltano-map-transform "$REQ/meltano-map-transform.txt"
make_venv dlt "$REQ/dlt.txt"
install_loaders

cat > "$ENV_FILE.tmp" <<EOF
# Written by test/integration/setup.sh; read by test/integration/env.ts.
TAP_CRM_IT_PG_HOST=$PG_HOST
TAP_CRM_IT_PG_PORT=$PG_PORT
TAP_CRM_IT_PG_USER=$PG_USER
TAP_CRM_IT_PG_PASSWORD=$PG_PASSWORD
TAP_CRM_IT_PG_DATABASE=$PG_DATABASE
TAP_CRM_IT_PSQL=$PG_BIN/psql
TAP_CRM_IT_MELTANO=$VENV/meltano/bin/meltano
TAP_CRM_IT_MELTANO_LOADERS=$PLUGINS/loaders
TAP_CRM_IT_TARGET_POSTGRES=$PLUGINS/loaders/target-postgres/venv/bin/target-postgres
TAP_CRM_IT_TARGET_JSONL=$PLUGINS/loaders/target-jsonl/venv/bin/target-jsonl
TAP_CRM_IT_SINGER_CHECK_TAP=$VENV/singer-tools/bin/singer-check-tap
TAP_CRM_IT_PIPELINEWISE_TARGET_POSTGRES=$VENV/pipelinewise-target-postgres/bin/target-postgres
TAP_CRM_IT_PYAIRBYTE=$VENV/pyairbyte/bin/python
TAP_CRM_IT_MELTANO_MAP_TRANSFORM=$VENV/meltano-map-transform/bin/meltano-map-transform
TAP_CRM_IT_DLT=$VENV/dlt/bin/python
TAP_CRM_IT_PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)')
EOF
mv "$ENV_FILE.tmp" "$ENV_FILE"
say "wrote ${ENV_FILE#"$ROOT"/} ($(( $(date +%s) - started )) s)"
