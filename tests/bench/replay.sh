#!/usr/bin/env bash
# Benchmark: rebuilding the read model from the log (ledgerctl rebuild:
# parallel readers, batched transactions) beside, in the same run on the same
# machine, Kafka's own consumer perf tool reading the same topics and
# PostgreSQL's own COPY loading the same number of rows — and the ratios. Not
# a test: it prints figures and asserts nothing about speed.
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
cargo build --release --locked -p ledger-seed -p ledger-ctl >/dev/null
log "generating about $events events in namespace $ns"
target/release/ledger-seed synthetic --quiet --seed 7 --funders "$funders" --beneficiaries 100 --professionals 40 \
    --via direct --topic-namespace "$ns" --create-topics "$LEDGER_TOPIC_PARTITIONS" --transactional-prefix "$ns" \
    --concurrency 512

psql_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
database="ledger_$ns"
"$psql_bin" "$LEDGER_DATABASE_URL" -qc "CREATE DATABASE $database" >/dev/null
bench_url="${LEDGER_DATABASE_URL%/*}/$database"

log "rebuilding the read model from the log"
ours="$(target/release/ledgerctl --json --topic-namespace "$ns" --database-url "$bench_url" rebuild --schema rebuilt)"
read -r count secs < <(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["events"], d["seconds"])' <<<"$ours")
rate="$(python3 -c "print(round($count / $secs))")"
echo "ledgerctl rebuild: $count events in ${secs}s: $rate events/s (read, decoded, projected: journal lines, views, offsets)"

log "kafka-consumer-perf-test on the same topics"
perf="$(java -cp "$LEDGER_KAFKA_LIB/*" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$LEDGER_KAFKA_BROKERS" \
    --include "$ns\\.ledger\\.(grants|workforce|centres|obligations)\\.v1" --num-records "$count" --timeout 60000 2>/dev/null | tail -n 1)"
# start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
kafka_rate="$(awk -F', *' '{printf "%.0f", $6}' <<<"$perf")"
echo "kafka-consumer-perf-test: $count records: $kafka_rate records/s"

log "PostgreSQL COPY of $count rows"
rows="$(mktemp)"
python3 - "$count" >"$rows" <<'PY'
import sys, uuid
n = int(sys.argv[1])
for i in range(n):
    print(f"{uuid.UUID(int=i)},{i % 2 + 1},available,{i * 7 % 100000},env-{i % 500},prog-{i % 500},24,41,2024,g-{i},2024-05-01,2024-05-01 12:00:00+00")
PY
"$psql_bin" "$bench_url" -qc "CREATE TABLE copy_bench (event_id uuid, line smallint, account text, amount_cents bigint,
    envelope_id text, programme_id text, region_code text, departement_code text, fiscal_year int, subject_id text,
    effective_date date, recorded_at timestamptz)" >/dev/null
start="$(date +%s.%N)"
"$psql_bin" "$bench_url" -qc "\\copy copy_bench FROM '$rows' CSV" >/dev/null
end="$(date +%s.%N)"
rm -f "$rows"
copy_rate="$(python3 -c "print(round($count / ($end - $start)))")"
echo "PostgreSQL COPY: $count rows shaped like journal lines: $copy_rate rows/s"

python3 -c "print(f'ratios: rebuild ÷ Kafka consumer = {$rate / $kafka_rate:.3f}; rebuild ÷ COPY = {$rate / $copy_rate:.3f}')"
"$psql_bin" "$LEDGER_DATABASE_URL" -qc "DROP DATABASE $database" >/dev/null || true
