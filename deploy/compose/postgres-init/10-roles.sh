#!/bin/bash
# Run once by the postgres image when it initialises an empty data
# directory (docker-entrypoint-initdb.d), as the superuser. Makes the roles
# and databases of deploy/k8s/20-postgres.yaml and 21-persons-postgres.yaml,
# on one server:
#   ledger          owns the read model `ledger`: the projector (which runs
#                   the migrations) and ledgerctl (rebuild, verify, swap);
#   ledger_reader   the read API's role: reads every table of the read model
#                   (pg_read_all_data), changes none, creates nothing, and
#                   the API never migrates;
#   ledger_persons  owns the personal-data store `ledger_persons` (the
#                   sealed details), which no other role may even connect to;
# 20-person-keys.sh adds the store's key database and its role.
# Passwords come from the compose secrets (deploy/compose/secrets.sh);
# connections are TLS only (postgres/pg_hba.conf).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v ledger="$(cat /run/secrets/pg_ledger_password)" \
    -v reader="$(cat /run/secrets/pg_reader_password)" \
    -v persons="$(cat /run/secrets/pg_persons_password)" <<'SQL'
CREATE ROLE ledger LOGIN PASSWORD :'ledger';
CREATE DATABASE ledger OWNER ledger;
CREATE ROLE ledger_reader LOGIN PASSWORD :'reader' IN ROLE pg_read_all_data;
CREATE ROLE ledger_persons LOGIN PASSWORD :'persons';
CREATE DATABASE ledger_persons OWNER ledger_persons;
REVOKE ALL ON DATABASE ledger, ledger_persons FROM PUBLIC;
GRANT CONNECT ON DATABASE ledger TO ledger, ledger_reader;
GRANT CONNECT ON DATABASE ledger_persons TO ledger_persons;
SQL
