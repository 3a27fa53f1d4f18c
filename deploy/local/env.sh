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

# What clients use to reach the stack.
export LEDGER_KAFKA_BROKERS="${LEDGER_KAFKA_BROKERS:-127.0.0.1:$LEDGER_KAFKA_PORT}"
export LEDGER_DATABASE_URL="${LEDGER_DATABASE_URL:-postgres://ledger:ledger@127.0.0.1:$LEDGER_PG_PORT/ledger}"

# PostgreSQL refuses to run as root: as root the cluster belongs to the
# `postgres` system user and lives outside the checkout, whose parent folders
# that user may not be allowed to enter.
if [ "$(id -u)" = 0 ]; then
    LEDGER_PG_DIR="${LEDGER_PG_DIR:-/var/tmp/ledger-pg-$(printf '%s' "$LEDGER_STATE_DIR" | md5sum | cut -c1-10)}"
else
    LEDGER_PG_DIR="${LEDGER_PG_DIR:-$LEDGER_STATE_DIR/pg}"
fi
export LEDGER_PG_DIR

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }
