#!/usr/bin/env bash
# Benchmark: commands accepted per second end to end (HTTP → grants service →
# Kafka transaction, acks=all, idempotent) beside Kafka's own producer perf
# tool on the same broker, same run, similar record size, acks=all,
# idempotent — and the ratio. Not a test: it prints figures, it asserts
# nothing about speed.
#
#   tests/bench/commands.sh [commands] [concurrency]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../deploy/local/env.sh"
cd "$LEDGER_ROOT"
commands="${1:-20000}"
concurrency="${2:-64}"

"$LEDGER_ROOT/deploy/local/stack.sh" up >/dev/null
# Benchmarks log in as the broker's admin: their namespaces are their own.
kafka_login admin
cargo build --release --locked -p ledger-tests --bin bench-commands
ours="$(target/release/bench-commands "$commands" "$concurrency")"
echo "$ours" | head -n 1
rate="$(sed -n 's/^ledger_commands_per_sec=//p' <<<"$ours")"
size="$(sed -n 's/^ledger_event_bytes=//p' <<<"$ours")"

topic="bench.perf.$(date +%s)"
java -cp "$LEDGER_KAFKA_LIB/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$LEDGER_KAFKA_BROKERS" \
    --command-config "$LEDGER_KAFKA_ADMIN_PROPERTIES" --create --topic "$topic" --partitions "$LEDGER_TOPIC_PARTITIONS" --replication-factor 1 >/dev/null
perf="$(java -cp "$LEDGER_KAFKA_LIB/*" org.apache.kafka.tools.ProducerPerformance \
    --topic "$topic" --num-records "$commands" --record-size "${size:-400}" --throughput -1 \
    --producer.config "$LEDGER_KAFKA_ADMIN_PROPERTIES" --producer-props bootstrap.servers="$LEDGER_KAFKA_BROKERS" acks=all enable.idempotence=true 2>/dev/null | tail -n 1)"
echo "kafka-producer-perf-test: $perf"
kafka_rate="$(sed -E 's/.* records sent, ([0-9.]+) records\/sec.*/\1/' <<<"$perf")"
java -cp "$LEDGER_KAFKA_LIB/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$LEDGER_KAFKA_BROKERS" \
    --command-config "$LEDGER_KAFKA_ADMIN_PROPERTIES" --delete --topic "$topic" >/dev/null 2>&1 || true
awk -v ours="$rate" -v theirs="$kafka_rate" \
    'BEGIN { printf "ratio: ledger commands/s ÷ Kafka producer records/s = %.0f ÷ %.0f = %.3f\n", ours, theirs, ours / theirs }'
