#!/bin/sh
# Run once by the postgres image at initdb (docker-entrypoint-initdb.d): lets streaming replicas on the
# compose network connect for replication (the "replica" profile of docker-compose.yml), with a password.
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
