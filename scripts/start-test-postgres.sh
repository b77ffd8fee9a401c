#!/usr/bin/env bash
# Installs (where missing) and starts the machine's PostgreSQL 15 with pgvector for the integration tests,
# and prints the admin URL the tests use to create one throwaway database per test file; then starts a
# streaming replica of it (start-test-replica.sh) and prints that one's URL too.
# Used by .ci/run; needs root and Debian's apt. Usage: eval "$(scripts/start-test-postgres.sh)"
set -euo pipefail
# Everything but the final export line goes to stderr, so the caller's eval sees only that line.
exec 3>&1 1>&2
here=$(cd "$(dirname "$0")" && pwd)
export DEBIAN_FRONTEND=noninteractive
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null
fi
major=$(ls /usr/lib/postgresql | sort -n | tail -1)
bash "$here/../infra/install-pgvector.sh" "$major"
pg_ctlcluster "$major" main start 3>&- || true  # the server must not inherit the caller's pipe
for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cbmir_test') THEN
    CREATE ROLE cbmir_test LOGIN SUPERUSER PASSWORD 'cbmir_test';
  END IF;
END $$;
SQL
echo "export CBMIR_TEST_DATABASE_URL=postgres://cbmir_test:cbmir_test@127.0.0.1:5432/postgres" >&3
# A streaming replica of it on port 5433, for the read-replica tests (DATABASE_READ_URL).
bash "$here/start-test-replica.sh" >&3
