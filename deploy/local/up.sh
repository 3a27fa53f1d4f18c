#!/usr/bin/env bash
# Command 1: brings up the whole ledger on this machine.
#
#   Kafka (KRaft) and PostgreSQL on loopback, installed on first use;
#   the four emitting services (grants, workforce, centres, obligations),
#   the projector and the read API, built from source;
#   the demo history (deploy/local/demo.sh), submitted over HTTP.
#
# Running it again is harmless: what runs keeps running, the demo's
# idempotency keys make its commands no-ops. Stop with deploy/local/down.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$LEDGER_ROOT"

"$LEDGER_ROOT/deploy/local/stack.sh" up
log "building the services (first build takes a few minutes)"
cargo build --bins --locked
"$LEDGER_ROOT/deploy/local/services.sh" start
position="$("$LEDGER_ROOT/deploy/local/demo.sh")"

API="http://127.0.0.1:$LEDGER_API_PORT"
cat <<MSG

The programme ledger is up.

  read API       $API               (balances, journal, headcounts, targets; OpenAPI at /openapi.json)
  grants         http://127.0.0.1:$LEDGER_GRANTS_PORT   (commands: POST /v1/commands/<name>)
  workforce      http://127.0.0.1:$LEDGER_WORKFORCE_PORT   centres http://127.0.0.1:$LEDGER_CENTRES_PORT   obligations http://127.0.0.1:$LEDGER_OBLIGATIONS_PORT
  projector      http://127.0.0.1:$LEDGER_PROJECTOR_PORT/status   (positions, faults)
  kafka          $LEDGER_KAFKA_BROKERS       (topics ledger.*.v1)
  postgresql     $LEDGER_DATABASE_URL
  logs           $LEDGER_STATE_DIR/logs/

Every /v1 route needs a bearer token (docs/api.md); the local ones, one per
role, are in $LEDGER_STATE_DIR/tokens/:

  export CONTROLLER="\$(cat $LEDGER_STATE_DIR/tokens/controller)" INTEGRATOR="\$(cat $LEDGER_STATE_DIR/tokens/integrator)" OPS="\$(cat $LEDGER_STATE_DIR/tokens/ops)"

Try, once the demo is projected:

  curl -s -H "Authorization: Bearer \$CONTROLLER" '$API/v1/envelopes/cvl-msp-2018/balance?wait_for=$position'
  curl -s -H "Authorization: Bearer \$CONTROLLER" '$API/v1/balances?group_by=departement'
  curl -s -H "Authorization: Bearer \$CONTROLLER" '$API/v1/journal?envelope_id=cvl-msp-2018'
  curl -s -H "Authorization: Bearer \$OPS" '$API/v1/status'
  curl -s '$API/openapi.json'

Award another MSP and watch the balance move:

  curl -s -X POST http://127.0.0.1:$LEDGER_GRANTS_PORT/v1/commands/award-grant \\
    -H "Authorization: Bearer \$INTEGRATOR" \\
    -H 'Content-Type: application/json' -H 'Idempotency-Key: try-1' \\
    -d '{"grant_id": "msp-chinon", "envelope_id": "cvl-msp-2018",
         "beneficiary": {"legal_entity": {"siret": "21370072000013", "name": "Commune de Chinon"}},
         "kind": "GRANT_KIND_SUBSIDY", "amount_cents": 25000000, "purpose": "MSP de Chinon",
         "territory": {"region_code": "24", "departement_code": "37", "commune_code": "37072"},
         "effective_date": "2023-05-12"}'

Stop everything with deploy/local/down.sh.
MSG
