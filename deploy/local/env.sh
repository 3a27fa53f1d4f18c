# Settings of the local stack, sourced by every script in deploy/local and by
# tests/run.sh. Each can be overridden from the environment.

LEDGER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export LEDGER_ROOT

# Where the stack keeps data, logs and pid files, and where downloads are cached.
export LEDGER_STATE_DIR="${LEDGER_STATE_DIR:-$LEDGER_ROOT/.stack}"
# Snapshots of the emitting services' state (safe to delete at any time).
export LEDGER_SNAPSHOT_DIR="${LEDGER_SNAPSHOT_DIR:-$LEDGER_STATE_DIR/snapshots}"
export LEDGER_CACHE_DIR="${LEDGER_CACHE_DIR:-$HOME/.cache/ledger}"

# Loopback ports chosen away from the usual defaults (9092, 5432, 8080).
export LEDGER_KAFKA_PORT="${LEDGER_KAFKA_PORT:-29092}"
export LEDGER_KAFKA_CONTROLLER_PORT="${LEDGER_KAFKA_CONTROLLER_PORT:-29093}"
export LEDGER_PG_PORT="${LEDGER_PG_PORT:-25432}"
export LEDGER_API_PORT="${LEDGER_API_PORT:-18080}"
export LEDGER_GRANTS_PORT="${LEDGER_GRANTS_PORT:-18081}"
export LEDGER_PROJECTOR_PORT="${LEDGER_PROJECTOR_PORT:-18082}"
export LEDGER_WORKFORCE_PORT="${LEDGER_WORKFORCE_PORT:-18083}"
export LEDGER_CENTRES_PORT="${LEDGER_CENTRES_PORT:-18084}"
export LEDGER_OBLIGATIONS_PORT="${LEDGER_OBLIGATIONS_PORT:-18085}"
export LEDGER_INBOUND_PORT="${LEDGER_INBOUND_PORT:-18086}"

# Kafka 4.3.1 for every artefact: kafka-tools does not resolve at 4.4.0.
export LEDGER_KAFKA_VERSION="4.3.1"
export LEDGER_KAFKA_LIB="$LEDGER_CACHE_DIR/kafka-$LEDGER_KAFKA_VERSION/lib"
export LEDGER_TOPIC_PARTITIONS="${LEDGER_TOPIC_PARTITIONS:-6}"
# The external systems that send commands over Kafka on this stack, each
# with its Kafka user (acls.txt) and its own inbound and results topics.
export LEDGER_SOURCE_SYSTEMS="rh-occitanie"

# Certificates (made by stack.sh: a local CA, one certificate per server) and
# passwords (one file per Kafka user or PostgreSQL role, made on first use).
export LEDGER_TLS_DIR="${LEDGER_TLS_DIR:-$LEDGER_STATE_DIR/tls}"
export LEDGER_SECRETS_DIR="${LEDGER_SECRETS_DIR:-$LEDGER_STATE_DIR/secrets}"
# The emitting services' signing keys (one PEM each) and the key ring every
# reader checks events against (public: it holds public keys only).
export LEDGER_KEYS_DIR="${LEDGER_KEYS_DIR:-$LEDGER_STATE_DIR/keys}"
export LEDGER_TRUSTED_KEYS_FILE="$LEDGER_KEYS_DIR/trusted.txt"
# Kafka's own tools log in as admin with this file (--command-config).
export LEDGER_KAFKA_ADMIN_PROPERTIES="$LEDGER_SECRETS_DIR/kafka-admin.properties"

# What clients use to reach the stack: SASL_SSL, trusting the local CA. The
# login (user and password) is each program's own: see kafka_login.
export LEDGER_KAFKA_BROKERS="${LEDGER_KAFKA_BROKERS:-127.0.0.1:$LEDGER_KAFKA_PORT}"
export LEDGER_KAFKA_SECURITY_PROTOCOL=SASL_SSL
export LEDGER_KAFKA_CA_FILE="$LEDGER_TLS_DIR/ca.pem"

# PostgreSQL: TLS checked against the local CA, a password per role
# (ledger: the cluster's superuser; ledger_projector, ledger_api,
# ledger_persons: see pg_roles_up in stack.sh). The URL of one role:
#   pg_url ROLE [DATABASE]
pg_url() {
    local password
    password="$(cat "$LEDGER_SECRETS_DIR/pg/$1" 2>/dev/null || true)"
    printf 'postgres://%s:%s@127.0.0.1:%s/%s?sslmode=verify-full&sslrootcert=%s' \
        "$1" "$password" "$LEDGER_PG_PORT" "${2:-ledger}" "$LEDGER_TLS_DIR/ca.pem"
}

# PostgreSQL refuses to run as root: as root the cluster belongs to the
# `postgres` system user and lives outside the checkout, whose parent folders
# that user may not be allowed to enter.
if [ "$(id -u)" = 0 ]; then
    LEDGER_PG_DIR="${LEDGER_PG_DIR:-/var/tmp/ledger-pg-$(printf '%s' "$LEDGER_STATE_DIR" | md5sum | cut -c1-10)}"
else
    LEDGER_PG_DIR="${LEDGER_PG_DIR:-$LEDGER_STATE_DIR/pg}"
fi
export LEDGER_PG_DIR

# Exports the Kafka login of one user of deploy/local/kafka/acls.txt (or admin).
kafka_login() {
    [ -f "$LEDGER_SECRETS_DIR/kafka/$1" ] || die "no Kafka user $1 on this stack (deploy/local/stack.sh up makes them)"
    export LEDGER_KAFKA_SASL_USERNAME="$1"
    LEDGER_KAFKA_SASL_PASSWORD="$(cat "$LEDGER_SECRETS_DIR/kafka/$1")"
    export LEDGER_KAFKA_SASL_PASSWORD
}

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }
