#!/usr/bin/env bash
# The local infrastructure: one Apache Kafka broker in KRaft mode and one
# PostgreSQL server, both as plain processes on loopback (no container engine).
#
#   deploy/local/stack.sh up      install if needed, start, create topics, wait
#   deploy/local/stack.sh down    stop both (data is kept)
#   deploy/local/stack.sh status  say what runs
#   deploy/local/stack.sh reset   stop and delete all data
#
# Every subcommand can be run twice: it only does what is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

KAFKA_DIR="$LEDGER_STATE_DIR/kafka"
LOG_DIR="$LEDGER_STATE_DIR/logs"

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# Runs a PostgreSQL tool as the cluster's owner.
pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

kafka_pid() {
    local pid
    pid="$(cat "$KAFKA_DIR/kafka.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

kafka_java() {
    java -Xms256m -Xmx1g -XX:+UseG1GC -Dlog4j2.configurationFile="$LEDGER_ROOT/deploy/local/kafka/log4j2.properties" \
        -cp "$LEDGER_KAFKA_LIB/*" "$@"
}

# The local certificate authority, and a certificate signed by it for each
# server (Kafka, PostgreSQL), valid for 127.0.0.1 and localhost.
tls_up() {
    mkdir -p "$LEDGER_TLS_DIR"
    chmod 700 "$LEDGER_TLS_DIR"
    if [ ! -f "$LEDGER_TLS_DIR/ca.pem" ]; then
        log "making the local certificate authority ($LEDGER_TLS_DIR)"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ledger local CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -keyout "$LEDGER_TLS_DIR/ca.key" -out "$LEDGER_TLS_DIR/ca.pem" 2>/dev/null
    fi
    local name
    for name in kafka postgres; do
        [ -f "$LEDGER_TLS_DIR/$name.pem" ] && continue
        openssl req -newkey rsa:2048 -nodes -subj "/CN=ledger-$name" \
            -keyout "$LEDGER_TLS_DIR/$name.key" -out "$LEDGER_TLS_DIR/$name.csr" 2>/dev/null
        openssl x509 -req -days 825 -in "$LEDGER_TLS_DIR/$name.csr" \
            -CA "$LEDGER_TLS_DIR/ca.pem" -CAkey "$LEDGER_TLS_DIR/ca.key" -CAcreateserial \
            -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n') \
            -out "$LEDGER_TLS_DIR/$name.pem" 2>/dev/null
        rm -f "$LEDGER_TLS_DIR/$name.csr"
    done
    if [ ! -f "$LEDGER_TLS_DIR/kafka.p12" ]; then
        openssl pkcs12 -export -name kafka -in "$LEDGER_TLS_DIR/kafka.pem" -inkey "$LEDGER_TLS_DIR/kafka.key" \
            -passout "pass:$(secret kafka-keystore)" -out "$LEDGER_TLS_DIR/kafka.p12"
    fi
}

# One Ed25519 signing key per emitting service (PKCS#8 PEM, readable by its
# owner only) and the key ring that says which public key signs for which
# context (docs/security.md). Existing keys are kept: events they signed must
# go on verifying.
keys_up() {
    mkdir -p "$LEDGER_KEYS_DIR"
    chmod 700 "$LEDGER_KEYS_DIR"
    local context ring="$LEDGER_KEYS_DIR/trusted.txt"
    [ -f "$ring" ] || printf '# key id  context  Ed25519 public key (hex); made by deploy/local/stack.sh\n' > "$ring"
    for context in grants workforce centres obligations; do
        [ -f "$LEDGER_KEYS_DIR/$context.pem" ] && continue
        log "making the signing key of $context"
        (umask 077; openssl genpkey -algorithm ed25519 -out "$LEDGER_KEYS_DIR/$context.pem")
        printf '%s-1  %s  %s\n' "$context" "$context" \
            "$(openssl pkey -in "$LEDGER_KEYS_DIR/$context.pem" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')" \
            >> "$ring"
    done
    # The personal-data store's pseudonym key: the store issues pseudonyms
    # under it, the writers whose commands name persons check them with it.
    [ -f "$LEDGER_KEYS_DIR/pseudonyms.key" ] || {
        log "making the pseudonym key"
        (umask 077; openssl rand -hex 32 > "$LEDGER_KEYS_DIR/pseudonyms.key")
    }
}

# A password of the stack, made on first use, readable by its owner only.
secret() {
    local file="$LEDGER_SECRETS_DIR/$1"
    if [ ! -f "$file" ]; then
        mkdir -p "$(dirname "$file")"
        chmod 700 "$LEDGER_SECRETS_DIR"
        (umask 077; openssl rand -hex 24 > "$file")
    fi
    cat "$file"
}

# Every client listener is SASL_SSL (SCRAM-SHA-512 over TLS); the controller
# listener takes TLS with a client certificate, which only the broker has.
# No plaintext listener remains. Nothing is allowed that no ACL allows.
write_kafka_config() {
    local admin_password keystore_password
    admin_password="$(secret kafka/admin)"
    keystore_password="$(secret kafka-keystore)"
    (umask 077; cat > "$KAFKA_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$LEDGER_KAFKA_CONTROLLER_PORT
listeners=SASL_SSL://127.0.0.1:$LEDGER_KAFKA_PORT,CONTROLLER://127.0.0.1:$LEDGER_KAFKA_CONTROLLER_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$LEDGER_KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_password";
ssl.keystore.type=PKCS12
ssl.keystore.location=$LEDGER_TLS_DIR/kafka.p12
ssl.keystore.password=$keystore_password
ssl.truststore.type=PEM
ssl.truststore.location=$LEDGER_TLS_DIR/ca.pem
listener.name.controller.ssl.client.auth=required
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:CN=ledger-kafka
log.dirs=$KAFKA_DIR/data
num.partitions=$LEDGER_TOPIC_PARTITIONS
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# The ledger's topics keep everything; this is the broker-wide default too.
log.retention.ms=-1
PROPS
    )
    # How the project's scripts (and Kafka's own tools) log in as admin.
    (umask 077; cat > "$LEDGER_KAFKA_ADMIN_PROPERTIES" <<PROPS
bootstrap.servers=$LEDGER_KAFKA_BROKERS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_password";
ssl.truststore.type=PEM
ssl.truststore.location=$LEDGER_TLS_DIR/ca.pem
PROPS
    )
}

# The SCRAM users and ACLs of deploy/local/kafka/acls.txt.
principals_up() {
    log "kafka users and ACLs ($LEDGER_ROOT/deploy/local/kafka/acls.txt)"
    kafka_java "$LEDGER_ROOT/deploy/local/kafka/Principals.java" "$LEDGER_KAFKA_ADMIN_PROPERTIES" \
        "$LEDGER_ROOT/deploy/local/kafka/acls.txt" "$LEDGER_SECRETS_DIR/kafka" >/dev/null
}

kafka_up() {
    if [ -n "$(kafka_pid)" ]; then
        log "kafka already running (pid $(kafka_pid))"
    else
        if port_open "$LEDGER_KAFKA_PORT"; then
            die "port $LEDGER_KAFKA_PORT is taken by another process; set LEDGER_KAFKA_PORT"
        fi
        mkdir -p "$KAFKA_DIR" "$LOG_DIR"
        if [ -f "$KAFKA_DIR/data/meta.properties" ] && [ ! -f "$KAFKA_DIR/secured" ]; then
            die "$KAFKA_DIR holds a broker from before SASL_SSL; run deploy/local/stack.sh reset (deletes the local data)"
        fi
        write_kafka_config
        if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
            log "formatting kafka storage"
            local cluster_id
            cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid | tail -n 1)"
            # The broker's own login must exist before it starts.
            kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
                --add-scram "SCRAM-SHA-512=[name=admin,password=$(secret kafka/admin)]" >/dev/null
            touch "$KAFKA_DIR/secured"
        fi
        log "starting kafka on 127.0.0.1:$LEDGER_KAFKA_PORT"
        nohup java -Xms256m -Xmx1g -XX:+UseG1GC \
            -Dlog4j2.configurationFile="$LEDGER_ROOT/deploy/local/kafka/log4j2.properties" \
            -cp "$LEDGER_KAFKA_LIB/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
            >>"$LOG_DIR/kafka.log" 2>&1 &
        echo $! > "$KAFKA_DIR/kafka.pid"
    fi
    local waited=0
    until port_open "$LEDGER_KAFKA_PORT"; do
        [ -n "$(kafka_pid)" ] || die "kafka exited; see $LOG_DIR/kafka.log"
        [ "$waited" -lt 120 ] || die "kafka did not open its port in 60 s; see $LOG_DIR/kafka.log"
        sleep 0.5; waited=$((waited + 1))
    done
}

topics_up() {
    local existing wanted missing=()
    existing="$(kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$LEDGER_KAFKA_BROKERS" \
        --command-config "$LEDGER_KAFKA_ADMIN_PROPERTIES" --list 2>/dev/null)" \
        || die "kafka does not answer on $LEDGER_KAFKA_BROKERS"
    for wanted in grants workforce centres obligations deadletter; do
        grep -qx "ledger.$wanted.v1" <<<"$existing" || missing+=("ledger.$wanted.v1")
    done
    # Each source system has an inbound and a results topic of its own.
    for wanted in $LEDGER_SOURCE_SYSTEMS; do
        grep -qx "ledger.inbound.v1.$wanted" <<<"$existing" || missing+=("ledger.inbound.v1.$wanted")
        grep -qx "ledger.results.v1.$wanted" <<<"$existing" || missing+=("ledger.results.v1.$wanted")
    done
    for topic in "${missing[@]}"; do
        log "creating topic $topic ($LEDGER_TOPIC_PARTITIONS partitions, infinite retention)"
        kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$LEDGER_KAFKA_BROKERS" \
            --command-config "$LEDGER_KAFKA_ADMIN_PROPERTIES" --create --if-not-exists --topic "$topic" --partitions "$LEDGER_TOPIC_PARTITIONS" \
            --replication-factor 1 --config retention.ms=-1 --config retention.bytes=-1 \
            --config cleanup.policy=delete --config min.insync.replicas=1 >/dev/null
    done
}

# Password logins only (scram-sha-256), and over TCP only with TLS.
write_pg_access() {
    cat > "$LEDGER_PG_DIR/pg_hba.conf" <<HBA
# Written by deploy/local/stack.sh: no trust, no plaintext TCP.
local    all  all                 scram-sha-256
hostssl  all  all  127.0.0.1/32   scram-sha-256
hostssl  all  all  ::1/128        scram-sha-256
HBA
    cp "$LEDGER_TLS_DIR/postgres.pem" "$LEDGER_PG_DIR/server.pem"
    cp "$LEDGER_TLS_DIR/postgres.key" "$LEDGER_PG_DIR/server.key"
    chmod 600 "$LEDGER_PG_DIR/server.key"
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$LEDGER_PG_DIR/pg_hba.conf" "$LEDGER_PG_DIR/server.pem" "$LEDGER_PG_DIR/server.key"
    fi
}

# Runs SQL as the cluster's superuser `ledger`.
pg_admin_sql() {
    "$(pg_bindir)/psql" "$(pg_url ledger postgres)" -v ON_ERROR_STOP=1 -Atq "$@"
}

# The roles of docs/security.md: the projector owns the read model (and
# migrates it), the read API may only read it, the personal-data store owns
# its own database and, under another role, its key database, which no other
# role may even connect to.
pg_roles_up() {
    local role
    for role in ledger_projector ledger_api ledger_persons ledger_person_keys; do
        pg_admin_sql -c "DO \$\$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN CREATE ROLE $role LOGIN; END IF;
            END \$\$" -c "ALTER ROLE $role PASSWORD '$(secret "pg/$role")'"
    done
    pg_admin_sql -c "GRANT pg_read_all_data TO ledger_api"
    local db owner
    for db in "ledger ledger_projector" "ledger_persons ledger_persons" "ledger_person_keys ledger_person_keys"; do
        read -r db owner <<<"$db"
        if ! pg_admin_sql -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
            pg_admin_sql -c "CREATE DATABASE $db OWNER $owner"
        fi
        pg_admin_sql -c "ALTER DATABASE $db OWNER TO $owner" -c "REVOKE ALL ON DATABASE $db FROM PUBLIC" \
            -c "GRANT CONNECT ON DATABASE $db TO $owner"
    done
    pg_admin_sql -c "GRANT CONNECT ON DATABASE ledger TO ledger_api"
}

# The identity of this stack's state directory, made once. A cluster records
# the identity of the stack that made it: its passwords live only there.
stack_id() {
    [ -f "$LEDGER_STATE_DIR/stack-id" ] || { mkdir -p "$LEDGER_STATE_DIR"; od -An -N8 -tx8 /dev/urandom | tr -d ' ' > "$LEDGER_STATE_DIR/stack-id"; }
    cat "$LEDGER_STATE_DIR/stack-id"
}

# As root the cluster lives outside the checkout (see env.sh), so it outlives
# the checkout: a new clone at the same path finds the cluster of the old one,
# whose passwords went with the old `.stack/`. Such a cluster (or one from
# before password logins, which recorded no identity) can never be logged into
# again; it is removed and made anew rather than left to fail every login.
pg_claim_dir() {
    local bin
    [ -f "$LEDGER_PG_DIR/data/PG_VERSION" ] || return 0
    [ "$(cat "$LEDGER_PG_DIR/stack-id" 2>/dev/null)" = "$(stack_id)" ] && return 0
    warn "$LEDGER_PG_DIR holds a cluster made by another stack (an earlier checkout at this path, or from before password logins); its logins are lost: removing it"
    bin="$(pg_bindir)"
    pg_as_owner "$bin/pg_ctl" -D "$LEDGER_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$LEDGER_PG_DIR"
}

pg_up() {
    local bin
    bin="$(pg_bindir)"
    mkdir -p "$LOG_DIR"
    pg_claim_dir
    if [ ! -f "$LEDGER_PG_DIR/data/PG_VERSION" ]; then
        log "initialising postgresql in $LEDGER_PG_DIR"
        mkdir -p "$LEDGER_PG_DIR"
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$LEDGER_PG_DIR"
        local pwfile="$LEDGER_PG_DIR/initdb.pw"
        (umask 077; secret pg/ledger > "$pwfile")
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$pwfile"
        pg_as_owner "$bin/initdb" -D "$LEDGER_PG_DIR/data" -U ledger --auth=scram-sha-256 --pwfile="$pwfile" \
            -E UTF8 --locale=C.UTF-8 >/dev/null
        rm -f "$pwfile"
        stack_id > "$LEDGER_PG_DIR/stack-id"
    fi
    write_pg_access
    if pg_as_owner "$bin/pg_ctl" -D "$LEDGER_PG_DIR/data" status >/dev/null 2>&1; then
        log "postgresql already running"
    else
        if port_open "$LEDGER_PG_PORT"; then
            die "port $LEDGER_PG_PORT is taken by another process; set LEDGER_PG_PORT"
        fi
        log "starting postgresql on 127.0.0.1:$LEDGER_PG_PORT (TLS, scram-sha-256)"
        pg_as_owner "$bin/pg_ctl" -D "$LEDGER_PG_DIR/data" -l "$LEDGER_PG_DIR/postgresql.log" -w -t 60 \
            -o "-p $LEDGER_PG_PORT -k $LEDGER_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 \
                -c hba_file=$LEDGER_PG_DIR/pg_hba.conf -c ssl=on -c ssl_cert_file=$LEDGER_PG_DIR/server.pem \
                -c ssl_key_file=$LEDGER_PG_DIR/server.key -c password_encryption=scram-sha-256" \
            start >/dev/null
    fi
    pg_roles_up
}

up() {
    "$LEDGER_ROOT/deploy/local/install.sh" kafka
    "$LEDGER_ROOT/deploy/local/install.sh" postgres
    "$LEDGER_ROOT/deploy/local/install.sh" libssl
    tls_up
    keys_up
    kafka_up
    pg_up
    topics_up
    principals_up
    log "kafka:      $LEDGER_KAFKA_BROKERS"
    log "postgresql: 127.0.0.1:$LEDGER_PG_PORT, TLS only (roles and passwords: $LEDGER_SECRETS_DIR/pg/; URL of one: pg_url ROLE, from deploy/local/env.sh)"
}

down() {
    local pid bin
    pid="$(kafka_pid)"
    if [ -n "$pid" ]; then
        log "stopping kafka (pid $pid)"
        kill "$pid"
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$KAFKA_DIR/kafka.pid"
    bin="$(pg_bindir)"
    if [ -n "$bin" ] && [ -f "$LEDGER_PG_DIR/data/PG_VERSION" ] \
        && pg_as_owner "$bin/pg_ctl" -D "$LEDGER_PG_DIR/data" status >/dev/null 2>&1; then
        log "stopping postgresql"
        pg_as_owner "$bin/pg_ctl" -D "$LEDGER_PG_DIR/data" -m fast -w stop >/dev/null
    fi
}

status() {
    local pid
    pid="$(kafka_pid)"
    if [ -n "$pid" ]; then echo "kafka:      running (pid $pid) on $LEDGER_KAFKA_BROKERS"; else echo "kafka:      stopped"; fi
    if port_open "$LEDGER_PG_PORT"; then echo "postgresql: running on 127.0.0.1:$LEDGER_PG_PORT"; else echo "postgresql: stopped"; fi
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    reset) down; rm -rf "$LEDGER_STATE_DIR/stack-id" "$KAFKA_DIR" "$LEDGER_PG_DIR" "$LEDGER_SNAPSHOT_DIR" "$LEDGER_TLS_DIR" "$LEDGER_SECRETS_DIR" "$LEDGER_KEYS_DIR" ;;
    *) echo "usage: $0 up|down|status|reset" >&2; exit 2 ;;
esac
