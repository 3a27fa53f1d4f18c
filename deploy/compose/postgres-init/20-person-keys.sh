#!/bin/bash
# The personal-data store's key database (deploy/k8s/22-person-keys-postgres.yaml),
# apart from the sealed details: role `ledger_person_keys` owns database
# `ledger_person_keys`, which no other role may even connect to (the details'
# role ledger_persons neither), and it may not connect to the details
# (10-roles.sh grants ledger_persons alone). docs/security.md, "Personal data".
#
# Run by the postgres image after 10-roles.sh when it initialises an empty
# data directory. Safe to run again, and that is how a volume initialised
# before the key database gets it:
#   docker compose -f deploy/compose/compose.yaml up -d postgres
#   docker compose -f deploy/compose/compose.yaml exec postgres /docker-entrypoint-initdb.d/20-person-keys.sh
set -euo pipefail
export PGPASSWORD="${PGPASSWORD:-$(cat /run/secrets/pg_superuser_password)}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    -v person_keys="$(cat /run/secrets/pg_person_keys_password)" <<'SQL'
SELECT 'CREATE ROLE ledger_person_keys LOGIN'
    WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ledger_person_keys') \gexec
ALTER ROLE ledger_person_keys PASSWORD :'person_keys';
SELECT 'CREATE DATABASE ledger_person_keys OWNER ledger_person_keys'
    WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'ledger_person_keys') \gexec
REVOKE ALL ON DATABASE ledger_person_keys FROM PUBLIC;
GRANT CONNECT ON DATABASE ledger_person_keys TO ledger_person_keys;
SQL
