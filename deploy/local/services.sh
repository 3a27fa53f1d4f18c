#!/usr/bin/env bash
# Starts or stops the ledger's services as background processes on the local
# stack, from the binaries `cargo build --release --bins` leaves in
# target/release. Each logs into Kafka as its own user (acls.txt).
#
#   deploy/local/services.sh start|stop|status
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

RUN_DIR="$LEDGER_STATE_DIR/run"
LOG_DIR="$LEDGER_STATE_DIR/logs"
BIN_DIR="${CARGO_TARGET_DIR:-$LEDGER_ROOT/target}/release"

# name, binary, Kafka user, health URL
SERVICES=(
    "grants grants ledger-grants http://127.0.0.1:$LEDGER_GRANTS_PORT/readyz"
    "workforce workforce ledger-workforce http://127.0.0.1:$LEDGER_WORKFORCE_PORT/readyz"
    "centres centres ledger-centres http://127.0.0.1:$LEDGER_CENTRES_PORT/readyz"
    "obligations obligations ledger-obligations http://127.0.0.1:$LEDGER_OBLIGATIONS_PORT/readyz"
    "inbound inbound ledger-inbound http://127.0.0.1:$LEDGER_INBOUND_PORT/readyz"
    "projector projector ledger-projector http://127.0.0.1:$LEDGER_PROJECTOR_PORT/readyz"
    "api ledger-api ledger-api http://127.0.0.1:$LEDGER_API_PORT/readyz"
)

pid_of() {
    local pid
    pid="$(cat "$RUN_DIR/$1.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

start() {
    mkdir -p "$RUN_DIR" "$LOG_DIR"
    export LEDGER_GRANTS_LISTEN="127.0.0.1:$LEDGER_GRANTS_PORT"
    export LEDGER_WORKFORCE_LISTEN="127.0.0.1:$LEDGER_WORKFORCE_PORT"
    export LEDGER_CENTRES_LISTEN="127.0.0.1:$LEDGER_CENTRES_PORT"
    export LEDGER_OBLIGATIONS_LISTEN="127.0.0.1:$LEDGER_OBLIGATIONS_PORT"
    export LEDGER_INBOUND_LISTEN="127.0.0.1:$LEDGER_INBOUND_PORT"
    export LEDGER_PROJECTOR_LISTEN="127.0.0.1:$LEDGER_PROJECTOR_PORT"
    export LEDGER_API_LISTEN="127.0.0.1:$LEDGER_API_PORT"
    # Each service on its own PostgreSQL role (docs/security.md).
    LEDGER_PROJECTOR_DATABASE_URL="$(pg_url ledger_projector)"
    LEDGER_API_DATABASE_URL="$(pg_url ledger_api)"
    LEDGER_PERSONS_DATABASE_URL="$(pg_url ledger_persons ledger_persons)"
    LEDGER_PERSON_KEYS_DATABASE_URL="$(pg_url ledger_person_keys ledger_person_keys)"
    export LEDGER_PERSONS_DATABASE_URL LEDGER_PERSON_KEYS_DATABASE_URL
    # Who may send what over Kafka (ledger_seed::DEMO_INBOUND_ALLOW; a unit
    # test keeps the two equal). Each system named reads and writes its own
    # topics, ledger.inbound.v1.<system> and ledger.results.v1.<system>.
    export LEDGER_INBOUND_ALLOW="rh-occitanie=open-post,hire-professional,record-departure"
    LEDGER_TOKENS_FILE="$("$LEDGER_ROOT/deploy/local/tokens.sh")"
    export LEDGER_TOKENS_FILE
    LEDGER_INBOUND_TOKEN="$(cat "$LEDGER_STATE_DIR/tokens/gateway")"
    export LEDGER_INBOUND_TOKEN
    local entry name bin user url
    for entry in "${SERVICES[@]}"; do
        read -r name bin user url <<<"$entry"
        if [ -n "$(pid_of "$name")" ]; then
            log "$name already running (pid $(pid_of "$name"))"
            continue
        fi
        [ -x "$BIN_DIR/$bin" ] || die "$BIN_DIR/$bin is missing: run cargo build --release --bins"
        log "starting $name (kafka user $user)"
        (
            kafka_login "$user"
            case "$name" in
                projector) export LEDGER_DATABASE_URL="$LEDGER_PROJECTOR_DATABASE_URL" ;;
                api) export LEDGER_DATABASE_URL="$LEDGER_API_DATABASE_URL" ;;
                *) unset LEDGER_DATABASE_URL ;;
            esac
            # Each writer holds its own signing key, and no other.
            case "$name" in
                grants | workforce | centres | obligations)
                    export LEDGER_SIGNING_KEY_FILE="$LEDGER_KEYS_DIR/$name.pem" ;;
                *) unset LEDGER_SIGNING_KEY_FILE ;;
            esac
            # The store (in workforce) issues pseudonyms, and the writers
            # whose commands name persons check them; centres needs no key.
            case "$name" in
                grants | workforce | obligations)
                    export LEDGER_PSEUDONYM_KEY_FILE="$LEDGER_KEYS_DIR/pseudonyms.key" ;;
                *) unset LEDGER_PSEUDONYM_KEY_FILE ;;
            esac
            exec nohup "$BIN_DIR/$bin" >>"$LOG_DIR/$name.log" 2>&1
        ) &
        echo $! > "$RUN_DIR/$name.pid"
    done
    for entry in "${SERVICES[@]}"; do
        read -r name bin user url <<<"$entry"
        for _ in $(seq 1 120); do
            curl -fsS "$url" >/dev/null 2>&1 && break
            [ -n "$(pid_of "$name")" ] || die "$name exited; see $LOG_DIR/$name.log"
            sleep 0.5
        done
        curl -fsS "$url" >/dev/null 2>&1 || die "$name is not ready after 60 s; see $LOG_DIR/$name.log"
    done
}

stop() {
    local entry name bin user url pid
    for entry in "${SERVICES[@]}"; do
        read -r name bin user url <<<"$entry"
        pid="$(pid_of "$name")"
        if [ -n "$pid" ]; then
            log "stopping $name (pid $pid)"
            kill "$pid"
            for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$RUN_DIR/$name.pid"
    done
}

status() {
    local entry name bin user url pid
    for entry in "${SERVICES[@]}"; do
        read -r name bin user url <<<"$entry"
        pid="$(pid_of "$name")"
        if [ -n "$pid" ]; then printf '%-10s running (pid %s)\n' "$name:" "$pid"; else printf '%-10s stopped\n' "$name:"; fi
    done
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
