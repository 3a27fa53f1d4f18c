#!/usr/bin/env bash
# Benchmark: rebuilding the read model from the log (ledgerctl rebuild: the
# projection engine, partitions in parallel, indexes built at the end) beside,
# in the same run on the same machine, Kafka's own consumer perf tool reading
# the same topics and PostgreSQL's own COPY loading exactly the rows the
# rebuild wrote (every table, same rows, into bare tables) — and the ratios.
# Not a test: it prints figures and asserts nothing about speed.
#
#   tests/bench/replay.sh [events=1000000]
#
# The history is synthetic (ledger-seed synthetic --via direct) in a
# namespace of its own; the rebuild goes into a database of its own.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../deploy/local/env.sh"
cd "$LEDGER_ROOT"
events="${1:-1000000}"
ns="bench$(date +%s)"
# A funder's history is about 1,750 events with the sizes below (a little
# more than the generator's own estimate, so that the count is reached).
funders=$(( (events + 1749) / 1750 ))

"$LEDGER_ROOT/deploy/local/stack.sh" up >/dev/null
# Benchmarks log in as the broker's admin: their namespaces are their own.
kafka_login admin
LEDGER_DATABASE_URL="$(pg_url ledger)"
cargo build --release --locked -p ledger-seed -p ledger-ctl >/dev/null
log "generating about $events events in namespace $ns"
target/release/ledger-seed synthetic --quiet --seed 7 --funders "$funders" --beneficiaries 100 --professionals 40 \
    --via direct --topic-namespace "$ns" --create-topics "$LEDGER_TOPIC_PARTITIONS" --transactional-prefix "$ns" \
    --concurrency 512

psql_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
database="ledger_$ns"
"$psql_bin" "$LEDGER_DATABASE_URL" -qc "CREATE DATABASE $database" >/dev/null
bench_url="$(pg_url ledger "$database")"

log "rebuilding the read model from the log"
ours="$(target/release/ledgerctl --json --topic-namespace "$ns" --database-url "$bench_url" rebuild --schema rebuilt)"
read -r count secs index_secs < <(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["events"], d["seconds"], d["index_seconds"])' <<<"$ours")
rate="$(python3 -c "print(round($count / $secs))")"
echo "ledgerctl rebuild: $count events in ${secs}s (of which ${index_secs}s building indexes): $rate events/s"

log "kafka-consumer-perf-test on the same topics"
perf="$(java -cp "$LEDGER_KAFKA_LIB/*" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$LEDGER_KAFKA_BROKERS" --consumer.config "$LEDGER_KAFKA_ADMIN_PROPERTIES" \
    --include "$ns\\.ledger\\.(grants|workforce|centres|obligations)\\.v1" --num-records "$count" --timeout 60000 2>/dev/null | tail -n 1)"
# start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
kafka_rate="$(awk -F', *' '{printf "%.0f", $6}' <<<"$perf")"
echo "kafka-consumer-perf-test: $count records: $kafka_rate records/s"

log "PostgreSQL COPY of exactly the rows the rebuild wrote"
dump="$(mktemp -d)"
chmod 777 "$dump"
# Every table the rebuild filled (bookkeeping included), as the migrations
# have them now.
tables="$("$psql_bin" "$bench_url" -Atc "SELECT tablename FROM pg_tables WHERE schemaname = 'rebuilt' ORDER BY 1" | tr '\n' ' ')"
rows=0
"$psql_bin" "$bench_url" -qc "CREATE SCHEMA copybase" >/dev/null
for t in $tables; do
    "$psql_bin" "$bench_url" -qc "\\copy rebuilt.$t TO '$dump/$t.tsv'" >/dev/null
    # Generated columns (programmes.funder) are not copied out; the bare
    # table computes them as the rebuilt one does.
    "$psql_bin" "$bench_url" -qc "CREATE TABLE copybase.$t (LIKE rebuilt.$t INCLUDING GENERATED)" >/dev/null
done
copy_secs=0
for t in $tables; do
    n="$(wc -l <"$dump/$t.tsv")"
    rows=$((rows + n))
    start="$(date +%s.%N)"
    "$psql_bin" "$bench_url" -qc "\\copy copybase.$t FROM '$dump/$t.tsv'" >/dev/null
    end="$(date +%s.%N)"
    secs_t="$(python3 -c "print(round($end - $start, 3))")"
    copy_secs="$(python3 -c "print(round($copy_secs + $secs_t, 3))")"
    if [ "$n" -gt 0 ]; then echo "    COPY $t: $n rows in ${secs_t}s"; fi
done
rm -rf "$dump"
copy_rate="$(python3 -c "print(round($rows / $copy_secs))")"
echo "PostgreSQL COPY: the rebuild's $rows rows (every table) in ${copy_secs}s: $copy_rate rows/s"

python3 -c "print(f'ratios: rebuild ÷ Kafka consumer = {$rate / $kafka_rate:.3f} (events/s over records/s); COPY time ÷ rebuild time = {$copy_secs / $secs:.3f} (target ≥ 0.5); rebuild = {$rate:,} events/s (target ≥ 100,000)')"
if [ -z "${KEEP_BENCH_DATABASE:-}" ]; then
    "$psql_bin" "$LEDGER_DATABASE_URL" -qc "DROP DATABASE $database" >/dev/null || true
else
    echo "kept: $bench_url"
fi
