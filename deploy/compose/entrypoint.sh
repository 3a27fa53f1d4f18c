#!/bin/sh
# The images' entrypoint: reads the secrets that compose (or any runtime)
# mounts as files into the variables the services read, then runs the
# program. NAME_FILE=/run/secrets/x sets NAME to the file's content, for the
# secrets below only; every other variable passes through untouched.
# LEDGER_PERSON_KEYS_DATABASE_URL is one: the URL carries its role's password.
set -eu
for name in PGPASSWORD LEDGER_INBOUND_TOKEN LEDGER_KAFKA_SASL_PASSWORD LEDGER_PERSON_KEYS_DATABASE_URL; do
    eval "file=\${${name}_FILE:-}"
    if [ -n "$file" ]; then
        [ -r "$file" ] || { echo "ledger-entrypoint: cannot read ${name}_FILE=$file" >&2; exit 1; }
        value="$(cat "$file")"
        export "$name=$value"
        unset "${name}_FILE"
    fi
done
exec "$@"
