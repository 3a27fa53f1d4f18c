#!/bin/bash
# The compose stack's Kafka broker, run in the apache/kafka image as its own
# user: the local stack's broker (deploy/local/stack.sh) on the compose
# network. Every client listener is SASL_SSL (SCRAM-SHA-512 over TLS, the
# certificate of deploy/compose/secrets.sh); the controller listener is on
# loopback, TLS with a client certificate that only the broker has; the ACL
# authoriser refuses whatever no ACL allows (kafka-init applies
# deploy/local/kafka/acls.txt). No plaintext listener. The broker's own
# login, `admin`, is created with the storage, before the broker first starts.
#
# Environment: CLUSTER_ID, KAFKA_HOST_PORT (the host's port for the HOST
# listener, advertised as 127.0.0.1:KAFKA_HOST_PORT), KAFKA_HEAP_OPTS.
set -euo pipefail
secrets=/run/secrets
data=/var/lib/kafka/data
conf=/tmp/server.properties
admin_password="$(cat "$secrets/kafka_admin")"
keystore_password="$(cat "$secrets/kafka_keystore_password")"
jaas="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$admin_password\";"

if [ -f "$data/meta.properties" ]; then
    echo "kafka: the volume holds a broker from before SASL_SSL; delete it (docker compose down -v deletes all the data)" >&2
    exit 1
fi

umask 077
cat >"$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
# INTERNAL: the services on the compose network; HOST: tools on the host
# (ledgerctl, ledger-seed built with cargo), through the published port.
listeners=INTERNAL://:9092,HOST://:29092,CONTROLLER://127.0.0.1:9093
advertised.listeners=INTERNAL://kafka:9092,HOST://127.0.0.1:${KAFKA_HOST_PORT:-29092}
listener.security.protocol.map=INTERNAL:SASL_SSL,HOST:SASL_SSL,CONTROLLER:SSL
inter.broker.listener.name=INTERNAL
controller.listener.names=CONTROLLER
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.internal.scram-sha-512.sasl.jaas.config=$jaas
listener.name.host.scram-sha-512.sasl.jaas.config=$jaas
ssl.keystore.type=PKCS12
ssl.keystore.location=$secrets/kafka.p12
ssl.keystore.password=$keystore_password
ssl.truststore.type=PEM
ssl.truststore.location=$secrets/ca.pem
listener.name.controller.ssl.client.auth=required
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:CN=ledger-kafka
log.dirs=$data/kraft
auto.create.topics.enable=false
# The log is the source of truth: nothing expires.
log.retention.ms=-1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS

# How the health check (and a shell in the container) logs in as admin.
cat >/tmp/admin.properties <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$jaas
ssl.truststore.type=PEM
ssl.truststore.location=$secrets/ca.pem
PROPS

if [ ! -f "$data/kraft/meta.properties" ]; then
    /opt/kafka/bin/kafka-storage.sh format -t "$CLUSTER_ID" -c "$conf" \
        --add-scram "SCRAM-SHA-512=[name=admin,password=$admin_password]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$conf"
