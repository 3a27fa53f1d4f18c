#!/bin/bash
# Run by kafka-init at every `up`, as the broker's admin, before any ledger
# program starts; every step can be run again and changes nothing then:
#   1. the topics, with their designed settings (infinite retention, never
#      compacted): the four event topics, the dead letters, and one inbound
#      and one results topic per source system — the systems that have an
#      inbound topic in acls.txt, which are those of LEDGER_INBOUND_ALLOW in
#      compose.yaml (the gateway refuses to start without their topics);
#   2. a SCRAM-SHA-512 user per principal of acls.txt, its password from
#      /run/secrets/kafka_<user> (deploy/compose/secrets.sh);
#   3. the ACLs of acls.txt: deploy/local/kafka/acls.txt, the local stack's
#      table and deploy/k8s/12-kafka-users.yaml's reference. Its test login
#      (ledger-tests) is left out.
# Environment: KAFKA_TOPIC_PARTITIONS (12 if unset).
set -euo pipefail
secrets=/run/secrets
acls=/etc/ledger/acls.txt
props=/tmp/admin.properties
bin=/opt/kafka/bin

die() { echo "kafka-init: $*" >&2; exit 1; }
# kafka TOOL ARGS...: one of Kafka's tools, logged in as admin.
kafka() { "$bin/$1" --bootstrap-server kafka:9092 --command-config "$props" "${@:2}"; }
# quietly COMMAND...: its output only when it fails (Kafka's tools print
# their errors on stdout).
quietly() { local out; out="$("$@" 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }; }

[ -r "$acls" ] || die "cannot read $acls"
(
    umask 077
    cat >"$props" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(cat "$secrets/kafka_admin")";
ssl.truststore.type=PEM
ssl.truststore.location=$secrets/ca.pem
PROPS
)

# The table's rows, comments, blank lines and the test login left out:
# principal, resource type, pattern, name, operations.
rows() { awk '!/^[[:space:]]*(#|$)/ && $1 != "ledger-tests"' "$acls"; }

# 1. Topics.
topics=(ledger.grants.v1 ledger.workforce.v1 ledger.centres.v1 ledger.obligations.v1 ledger.deadletter.v1)
for system in $(rows | awk '$2 == "topic" && $3 == "literal" && $4 ~ /^ledger\.inbound\.v1\./ { sub(/^ledger\.inbound\.v1\./, "", $4); print $4 }' | sort -u); do
    topics+=("ledger.inbound.v1.$system" "ledger.results.v1.$system")
done
for topic in "${topics[@]}"; do
    kafka kafka-topics.sh --create --if-not-exists --topic "$topic" \
        --partitions "${KAFKA_TOPIC_PARTITIONS:-12}" --replication-factor 1 \
        --config retention.ms=-1 --config retention.bytes=-1 \
        --config cleanup.policy=delete --config min.insync.replicas=1
done

# 2. Users.
for user in $(rows | awk '{ print $1 }' | sort -u); do
    [ -s "$secrets/kafka_$user" ] \
        || die "no password for Kafka user $user: add it to deploy/compose/secrets.sh and to kafka-init's secrets in compose.yaml"
    quietly kafka kafka-configs.sh --alter --entity-type users --entity-name "$user" \
        --add-config "SCRAM-SHA-512=[password=$(cat "$secrets/kafka_$user")]"
    echo "kafka user $user"
done

# 3. ACLs: one call per principal, resource type, pattern and operations.
declare -A resources=()
while read -r principal type pattern name operations; do
    case "$type" in
        topic) flag=--topic ;;
        group) flag=--group ;;
        transactional-id) flag=--transactional-id ;;
        *) die "unknown resource type $type in $acls" ;;
    esac
    case "$pattern" in literal|prefixed) ;; *) die "unknown pattern $pattern in $acls" ;; esac
    resources["$principal $flag $pattern $operations"]+=" $flag $name"
done < <(rows)
for key in "${!resources[@]}"; do
    read -r principal flag pattern operations <<<"$key"
    read -ra names <<<"${resources[$key]}"
    ops=()
    IFS=, read -ra list <<<"$operations"
    for op in "${list[@]}"; do ops+=(--operation "$op"); done
    quietly kafka kafka-acls.sh --add --allow-principal "User:$principal" \
        --resource-pattern-type "$pattern" "${names[@]}" "${ops[@]}"
    echo "kafka ACL User:$principal ${ops[*]} on $pattern${resources[$key]}"
done
