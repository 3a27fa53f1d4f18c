#!/usr/bin/env bash
# Loads the seed programmes into the running ledger through its public
# interfaces (HTTP commands, and protobuf on the inbound topic for the
# Occitanie GIP's HR system): Centre-Val de Loire's €20M for 125 MSP,
# Occitanie's "Ma santé, Ma Région", Loir-et-Cher's "41 en bonne santé",
# Île-de-France's "Région Solidaire". The history and what in it is invented
# are in services/seed/src/scenario/. Every command carries an idempotency
# key, so running the script again changes nothing. Waits until the read API
# has projected everything, then prints one of the positions.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$LEDGER_ROOT"

"$LEDGER_ROOT/deploy/local/tokens.sh" >/dev/null
# The loader sends the Occitanie GIP's hires over Kafka as that HR system.
kafka_login rh-occitanie
log "loading the seed programmes (about 2,100 commands)"
positions="$("${CARGO_TARGET_DIR:-$LEDGER_ROOT/target}/release/ledger-seed" scenario --quiet \
    --token-file "$LEDGER_STATE_DIR/tokens/integrator" --source-system demo \
    --grants-url "http://127.0.0.1:$LEDGER_GRANTS_PORT" \
    --workforce-url "http://127.0.0.1:$LEDGER_WORKFORCE_PORT" \
    --centres-url "http://127.0.0.1:$LEDGER_CENTRES_PORT" \
    --obligations-url "http://127.0.0.1:$LEDGER_OBLIGATIONS_PORT")"

token="$(cat "$LEDGER_STATE_DIR/tokens/controller")"
for position in $positions; do
    curl -sf -o /dev/null -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$LEDGER_API_PORT/v1/balances?wait_for=$position&wait_ms=30000" \
        || die "the read API did not reach $position"
done
echo "$positions" | grep 'grants' | head -n 1
