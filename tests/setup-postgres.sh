#!/usr/bin/env bash
# Makes a local PostgreSQL ready for the tests: installs it if missing (Debian), starts it, and creates the
# role the tests use (it creates one database per test class). Idempotent. Needs root for install/start.
# Connection used by the tests (override with JOBSCHEDULER_TEST_POSTGRES):
#   Host=127.0.0.1;Port=5432;Username=jobscheduler;Password=jobscheduler;Database=postgres
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "Installing PostgreSQL..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "Starting PostgreSQL..."
  service postgresql start
  for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 1
  done
fi
pg_isready -h 127.0.0.1 -p 5432

su postgres -c "psql -v ON_ERROR_STOP=1 -q" <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jobscheduler') THEN
    CREATE ROLE jobscheduler LOGIN PASSWORD 'jobscheduler' CREATEDB;
  ELSE
    ALTER ROLE jobscheduler LOGIN PASSWORD 'jobscheduler' CREATEDB;
  END IF;
END
$$;
SQL
echo "PostgreSQL is ready for the tests (role jobscheduler)."
