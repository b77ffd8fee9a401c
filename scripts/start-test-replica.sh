#!/usr/bin/env bash
# Starts a PostgreSQL streaming replica of the test server (scripts/start-test-postgres.sh) on port 5433:
# a second cluster made by pg_basebackup -R from the primary, hot standby, read-only. The read-replica
# integration tests (DATABASE_READ_URL) run against it, and stop and start it to test the fallback.
# Prints the replica's admin URL. Usage: eval "$(scripts/start-test-replica.sh)" after start-test-postgres.sh.
set -euo pipefail
exec 3>&1 1>&2
major=$(ls /usr/lib/postgresql | sort -n | tail -1)
bin=/usr/lib/postgresql/$major/bin
dir=/var/lib/postgresql/cbmir-test-replica
port=5433
if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
  if [ ! -f "$dir/standby.signal" ]; then
    rm -rf "$dir"
    runuser -u postgres -- env PGPASSWORD=cbmir_test "$bin/pg_basebackup" -h 127.0.0.1 -p 5432 -U cbmir_test -D "$dir" -R -X stream -c fast
    # Debian keeps a cluster's configuration under /etc: the copy gets a minimal one of its own.
    cat > "$dir/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
CONF
    cp "/etc/postgresql/$major/main/pg_hba.conf" "$dir/pg_hba.conf"
    chown postgres:postgres "$dir/postgresql.conf" "$dir/pg_hba.conf"
  fi
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w start 3>&- >/dev/null
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 1; done
echo "export CBMIR_TEST_REPLICA_URL=postgres://cbmir_test:cbmir_test@127.0.0.1:$port/postgres" >&3
