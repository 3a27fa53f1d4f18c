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
#   - the PostgreSQL passwords, one per role of postgres-init/ (10-roles.sh,
#     20-person-keys.sh), and the key database's URL with its role and
#     password in it (pg_person_keys_url: the workforce service's PGUSER and
#     PGPASSWORD are the details' role's);
#   - the bearer tokens and the services' tokens file (made by
#     deploy/local/tokens.sh, the same format and roles as the local stack:
#     controller, ops, integrator for source system "demo", gateway for the
#     inbound gateway);
#   - an Ed25519 signing key per emitting service (signing_<context>.pem,
#     PKCS#8 PEM, mounted into that service only) and the key ring every
#     reader checks events against (trusted_keys.txt, public keys only), the
#     local stack's recipe (deploy/local/stack.sh keys_up; docs/security.md);
#   - the personal-data store's pseudonym key (pseudonym.key: 32 random bytes
#     in hex, one line), under which the store (in workforce) issues
#     pseudonyms and grants, workforce and obligations check them; mounted
#     into those three only.
# Running it again keeps what exists. A signing key deleted here is made anew
# under the next free key id (<context>-2, ...) and the old line stays in the
# ring, so that the events it signed go on verifying: that is a rotation.
# Never delete pseudonym.key: a new one would not verify the pseudonyms
# issued under the old, and every command naming those persons would be
# refused. To rotate it, put a new key on its first line and keep the old
# ones below (the first issues, every one verifies).
#
# The directory is readable by you only; the files in it are readable by the
# containers' users (compose mounts each file, not the directory, and cannot
# change a mounted file's owner), the signing keys too, each mounted into its
# own service only, and the pseudonym key, mounted into its three; except the
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
password pg_person_keys_password
# Made again from the password at every run; token_urlsafe's characters need
# no escaping in a URL.
printf 'postgres://ledger_person_keys:%s@postgres:5432/ledger_person_keys?sslmode=verify-full&sslrootcert=/run/secrets/ca.pem\n' \
    "$(cat "$dir/pg_person_keys_password")" >"$dir/pg_person_keys_url"

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

# Signing keys: one per emitting service, and its line in the ring (key id,
# context, public key in hex: the last 32 bytes of the DER public key).
ring="$dir/trusted_keys.txt"
[ -s "$ring" ] || printf '# key id  context  Ed25519 public key (hex); made by deploy/compose/secrets.sh\n' >"$ring"
for context in grants workforce centres obligations; do
    key="$dir/signing_$context.pem"
    [ -s "$key" ] || (umask 077; openssl genpkey -algorithm ed25519 -out "$key")
    public="$(openssl pkey -in "$key" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')"
    grep -q " $public\$" "$ring" && continue
    n=1
    while grep -q "^$context-$n " "$ring"; do n=$((n + 1)); done
    printf '%s-%s  %s  %s\n' "$context" "$n" "$context" "$public" >>"$ring"
done

# The pseudonym key, made once and never again (see above).
[ -s "$dir/pseudonym.key" ] || (umask 077; openssl rand -hex 32 >"$dir/pseudonym.key")

# Tokens: deploy/local/tokens.sh writes <state>/tokens/<name> and <state>/tokens.conf.
LEDGER_STATE_DIR="$dir/state" "$here/../local/tokens.sh" >/dev/null
cp "$dir/state/tokens.conf" "$dir/tokens.conf"
for name in controller ops integrator gateway; do
    cp "$dir/state/tokens/$name" "$dir/${name}_token"
done
chmod 644 "$dir"/pg_*_password "$dir"/pg_person_keys_url "$dir"/kafka_* "$dir"/tokens.conf "$dir"/*_token \
    "$dir"/ca.pem "$dir"/kafka.p12 "$dir"/pg_server.pem "$dir"/signing_*.pem "$dir"/trusted_keys.txt "$dir"/pseudonym.key
chmod 600 "$dir"/ca.key "$dir"/kafka.key "$dir"/pg_server.key
echo "$dir"
