#!/usr/bin/env bash
# Makes the compose stack's secrets, once, in deploy/compose/secrets/ (kept
# out of git):
#   - a certificate authority (ca.pem; its key ca.key is mounted nowhere) and
#     a certificate signed by it for each server: Kafka (kafka.p12, valid for
#     `kafka`, `localhost` and 127.0.0.1) and PostgreSQL (pg_server.pem and
#     pg_server.key, valid for `postgres`, `localhost` and 127.0.0.1);
#   - a SCRAM password per Kafka user (kafka_<user>): the broker's own login
#     `admin`, and every principal of deploy/local/kafka/acls.txt but the test
#     suite's, which compose.yaml's kafka-init creates with those ACLs;
#   - the PostgreSQL passwords, one per role of postgres-init/10-roles.sh;
#   - the bearer tokens and the services' tokens file (made by
#     deploy/local/tokens.sh, the same format and roles as the local stack:
#     controller, ops, integrator for source system "demo", gateway for the
#     inbound gateway).
# Running it again keeps what exists.
#
# The directory is readable by you only; the files in it are readable by the
# containers' users (compose mounts each file, not the directory), except the
# keys only root reads (ca.key; pg_server.key, which the postgres container
# copies for its server as root before it starts).
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

# Kafka users: keep this list, compose.yaml's secrets and acls.txt in step
# (kafka-init stops on a principal of acls.txt without a password here).
KAFKA_USERS=(admin ledger-grants ledger-workforce ledger-centres ledger-obligations ledger-inbound
    ledger-projector ledger-api ledgerctl rh-occitanie)
for user in "${KAFKA_USERS[@]}"; do
    password "kafka_$user"
done
password kafka_keystore_password

# The certificate authority, then one server certificate per server.
(
    umask 077
    if [ ! -s "$dir/ca.pem" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ledger compose CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
    fi
    # server NAME CN HOST: NAME.pem and NAME.key, for HOST, localhost and 127.0.0.1.
    server() {
        [ -s "$dir/$1.pem" ] && return 0
        openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$dir/$1.key" -out "$dir/$1.csr" 2>/dev/null
        openssl x509 -req -days 825 -in "$dir/$1.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
            -extfile <(printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' "$3") \
            -out "$dir/$1.pem" 2>/dev/null
        rm -f "$dir/$1.csr"
    }
    # The broker's certificate is also its identity on the controller
    # listener (CN=ledger-kafka, a super user there).
    server kafka ledger-kafka kafka
    server pg_server ledger-postgres postgres
    if [ ! -s "$dir/kafka.p12" ]; then
        openssl pkcs12 -export -name kafka -in "$dir/kafka.pem" -inkey "$dir/kafka.key" \
            -passout "file:$dir/kafka_keystore_password" -out "$dir/kafka.p12"
    fi
)

# Tokens: deploy/local/tokens.sh writes <state>/tokens/<name> and <state>/tokens.conf.
LEDGER_STATE_DIR="$dir/state" "$here/../local/tokens.sh" >/dev/null
cp "$dir/state/tokens.conf" "$dir/tokens.conf"
for name in controller ops integrator gateway; do
    cp "$dir/state/tokens/$name" "$dir/${name}_token"
done
chmod 644 "$dir"/pg_*_password "$dir"/kafka_* "$dir"/tokens.conf "$dir"/*_token \
    "$dir"/ca.pem "$dir"/kafka.p12 "$dir"/pg_server.pem
chmod 600 "$dir"/ca.key "$dir"/kafka.key "$dir"/pg_server.key
echo "$dir"
