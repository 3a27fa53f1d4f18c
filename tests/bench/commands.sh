#!/usr/bin/env bash
# Benchmark: commands accepted per second end to end (HTTP → grants service →
# Kafka transaction, acks=all, idempotent) beside Kafka's own producer perf
# tool on the same broker, same run, similar record size, acks=all,
# idempotent — and the ratio. Not a test: it prints figures, it asserts
# nothing about speed.
#
#   tests/bench/commands.sh [commands] [concurrency] [batch]
#
# batch > 1: the commands go as protobuf CommandBatches of that size to
# POST /v1/commands:batch, `concurrency` batches in flight.
#
# The baselines run at steady state: at least 500,000 records (the JVM's
# warm-up flatters a short run), once plain and once with a transaction
# every 100 ms, as the writer commits (group commit under load).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../deploy/local/env.sh"
cd "$LEDGER_ROOT"
commands="${1:-20000}"
concurrency="${2:-64}"
batch="${3:-1}"
baseline_records=$(( commands > 500000 ? commands : 500000 ))

"$LEDGER_ROOT/deploy/local/stack.sh" up >/dev/null
# Benchmarks log in as the broker's admin: their namespaces are their own.
kafka_login admin
# The harness creates a database per run: the cluster's superuser's login.
export LEDGER_DATABASE_URL="$(pg_url ledger)"
cargo build --release --locked -p ledger-tests --bin bench-commands
ours="$(target/release/bench-commands "$commands" "$concurrency" "$batch")"
echo "$ours" | head -n 1
rate="$(sed -n 's/^ledger_commands_per_sec=//p' <<<"$ours")"
size="$(sed -n 's/^ledger_event_bytes=//p' <<<"$ours")"

topic="bench.perf.$(date +%s)"
java -cp "$LEDGER_KAFKA_LIB/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$LEDGER_KAFKA_BROKERS" \
    --command-config "$LEDGER_KAFKA_ADMIN_PROPERTIES" --create --topic "$topic" --partitions "$LEDGER_TOPIC_PARTITIONS" --replication-factor 1 >/dev/null
perf() {
    java -cp "$LEDGER_KAFKA_LIB/*" org.apache.kafka.tools.ProducerPerformance \
        --topic "$topic" --num-records "$baseline_records" --record-size "${size:-400}" --throughput -1 "$@" \
        --producer.config "$LEDGER_KAFKA_ADMIN_PROPERTIES" --producer-props bootstrap.servers="$LEDGER_KAFKA_BROKERS" acks=all enable.idempotence=true 2>/dev/null | tail -n 1
}
plain="$(perf)"
echo "kafka-producer-perf-test: $plain"
transactional="$(perf --transactional-id "bench-perf-$(date +%s)" --transaction-duration-ms 100)"
echo "kafka-producer-perf-test, transactions every 100 ms: $transactional"
records_per_sec() { sed -E 's/.* records sent, ([0-9.]+) records\/sec.*/\1/' <<<"$1"; }
java -cp "$LEDGER_KAFKA_LIB/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$LEDGER_KAFKA_BROKERS" \
    --command-config "$LEDGER_KAFKA_ADMIN_PROPERTIES" --delete --topic "$topic" >/dev/null 2>&1 || true
awk -v ours="$rate" -v plain="$(records_per_sec "$plain")" -v tx="$(records_per_sec "$transactional")" \
    'BEGIN { printf "ratio: ledger commands/s ÷ Kafka producer records/s = %.0f ÷ %.0f = %.3f (plain), ÷ %.0f = %.3f (transactional)\n", ours, plain, ours / plain, tx, ours / tx }'
