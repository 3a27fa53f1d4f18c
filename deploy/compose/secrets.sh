#!/usr/bin/env bash
# Makes the compose stack's secrets, once, in deploy/compose/secrets/ (kept
# out of git): PostgreSQL passwords, the bearer tokens and the services'
# tokens file (made by deploy/local/tokens.sh, the same format and roles as
# the local stack: controller, ops, integrator for source system "demo",
# gateway for the inbound gateway). Running it again keeps what exists.
#
# The directory is readable by you only; the files in it are readable by the
# containers' users (compose mounts each file, not the directory).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$here/secrets"
mkdir -p "$dir"
chmod 700 "$dir"

password() {
    [ -s "$dir/$1" ] || python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >"$dir/$1"
}
password pg_superuser_password
password pg_ledger_password
password pg_persons_password
password pg_reader_password

# Tokens: deploy/local/tokens.sh writes <state>/tokens/<name> and <state>/tokens.conf.
LEDGER_STATE_DIR="$dir/state" "$here/../local/tokens.sh" >/dev/null
cp "$dir/state/tokens.conf" "$dir/tokens.conf"
for name in controller ops integrator gateway; do
    cp "$dir/state/tokens/$name" "$dir/${name}_token"
done
chmod 644 "$dir"/pg_*_password "$dir"/tokens.conf "$dir"/*_token
echo "$dir"
