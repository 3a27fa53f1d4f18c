#!/usr/bin/env bash
# Benchmark: live freshness. A steady open-loop load of award commands over
# HTTP (default 2,000 a second for 30 s) into the grants service; for every
# command, the time from its 201 to the projection's stored offset passing
# its event (p50, p99, max). Beside it, in the same run on the same broker,
# Kafka's own end-to-end latency tool (produce → consume, acks=all), the
# floor any projection sits on. Not a test: it prints figures.
#
#   tests/bench/freshness.sh [commands/s] [seconds]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../deploy/local/env.sh"
cd "$LEDGER_ROOT"
rate="${1:-2000}"
seconds="${2:-30}"

"$LEDGER_ROOT/deploy/local/stack.sh" up >/dev/null
# Benchmarks log in as the broker's admin: their namespaces are their own.
kafka_login admin
# The harness creates a database per run: the cluster's superuser's login.
export LEDGER_DATABASE_URL="$(pg_url ledger)"
cargo build --release --locked -p ledger-tests --bin bench-freshness
ours="$(target/release/bench-freshness "$rate" "$seconds")"
echo "ledger: $ours"

topic="bench.e2e.$(date +%s)"
java -cp "$LEDGER_KAFKA_LIB/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$LEDGER_KAFKA_BROKERS" \
    --command-config "$LEDGER_KAFKA_ADMIN_PROPERTIES" --create --topic "$topic" --partitions 1 --replication-factor 1 >/dev/null
# broker_list topic num_messages producer_acks message_size_bytes
e2e="$(java -cp "$LEDGER_KAFKA_LIB/*" org.apache.kafka.tools.EndToEndLatency \
    "$LEDGER_KAFKA_BROKERS" "$topic" 5000 all 400 "$LEDGER_KAFKA_ADMIN_PROPERTIES" 2>/dev/null | tail -n 2 | tr '\n' ' ')"
echo "kafka end-to-end latency (5,000 records, acks=all, one at a time): $e2e"
java -cp "$LEDGER_KAFKA_LIB/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$LEDGER_KAFKA_BROKERS" \
    --command-config "$LEDGER_KAFKA_ADMIN_PROPERTIES" --delete --topic "$topic" >/dev/null 2>&1 || true
p99="$(sed -n 's/.*freshness_p99_ms=\([0-9.]*\).*/\1/p' <<<"$ours")"
kafka_p99="$(sed -n 's/.*99th = \([0-9.]*\).*/\1/p' <<<"$e2e")"
if [ -n "$kafka_p99" ]; then
    python3 -c "print(f'p99: ledger command 201 → read model {$p99} ms beside Kafka produce → consume {$kafka_p99} ms (target: ledger p99 < 25 ms)')"
fi
