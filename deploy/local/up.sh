#!/usr/bin/env bash
# Command 1: brings up the whole ledger on this machine.
#
#   Kafka (KRaft) and PostgreSQL on loopback, installed on first use;
#   the four emitting services (grants, workforce, centres, obligations),
#   the inbound gateway, the projector and the read API, release builds;
#   the seed programmes (deploy/local/demo.sh), submitted over HTTP and the
#   inbound Kafka topic.
#
# Running it again is harmless: what runs keeps running, the demo's
# idempotency keys make its commands no-ops. Stop with deploy/local/down.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$LEDGER_ROOT"

"$LEDGER_ROOT/deploy/local/stack.sh" up
log "building the services, release (the first build takes several minutes)"
cargo build --release --bins --locked
"$LEDGER_ROOT/deploy/local/services.sh" start
"$LEDGER_ROOT/deploy/local/demo.sh" >/dev/null

API="http://127.0.0.1:$LEDGER_API_PORT"
cat <<MSG

The programme ledger is up.

  dashboard      $API/               (log in with the controller's token below; docs/dashboard.md)
  read API       $API               (balances, journal, headcounts, targets; OpenAPI at /openapi.json)
  grants         http://127.0.0.1:$LEDGER_GRANTS_PORT   (commands: POST /v1/commands/<name>)
  workforce      http://127.0.0.1:$LEDGER_WORKFORCE_PORT   centres http://127.0.0.1:$LEDGER_CENTRES_PORT   obligations http://127.0.0.1:$LEDGER_OBLIGATIONS_PORT
  projector      http://127.0.0.1:$LEDGER_PROJECTOR_PORT/status   (positions, faults)
  kafka          $LEDGER_KAFKA_BROKERS       (topics ledger.*.v1)
  postgresql     127.0.0.1:$LEDGER_PG_PORT, TLS only   (roles and passwords: $LEDGER_SECRETS_DIR/pg/, URL of one: source deploy/local/env.sh; pg_url ledger_api)
  logs           $LEDGER_STATE_DIR/logs/

Every /v1 route needs a bearer token (docs/api.md); the local ones, one per
role, are in $LEDGER_STATE_DIR/tokens/:

  export CONTROLLER="\$(cat $LEDGER_STATE_DIR/tokens/controller)" INTEGRATOR="\$(cat $LEDGER_STATE_DIR/tokens/integrator)" OPS="\$(cat $LEDGER_STATE_DIR/tokens/ops)"

The seed programmes are loaded and projected. Try:

  curl -s -H "Authorization: Bearer \$CONTROLLER" '$API/v1/envelopes/cvl-msp-2018/balance'
  curl -s -H "Authorization: Bearer \$CONTROLLER" '$API/v1/targets?programme_id=cvl-plan-urgence-sante&as_of=2025-12-31'
  curl -s -H "Authorization: Bearer \$CONTROLLER" '$API/v1/headcounts?programme_id=occitanie-ma-sante-ma-region&group_by=profession&as_of=2023-07-17'
  curl -s -H "Authorization: Bearer \$CONTROLLER" '$API/v1/groupings/gip-ma-sante-ma-region/members'
  curl -s -H "Authorization: Bearer \$CONTROLLER" '$API/v1/obligations?state=breached'
  curl -s -H "Authorization: Bearer \$CONTROLLER" '$API/v1/balances?group_by=funder'
  curl -s -H "Authorization: Bearer \$CONTROLLER" '$API/v1/journal?envelope_id=cd41-plan-sante-2022&format=csv'
  curl -s -H "Authorization: Bearer \$OPS" '$API/v1/status'
  curl -s '$API/openapi.json'

The Centre-Val de Loire envelope is committed to the last cent: another MSP
is refused (409 envelope_overcommitted) and nothing is appended. Loir-et-Cher
still has room; register a doctor with the personal-data store (commands
name persons only by the pseudonym it issues), award an installation aid
and watch its balance move:

  PERSON="\$(curl -s -X POST http://127.0.0.1:$LEDGER_WORKFORCE_PORT/v1/persons \\
    -H "Authorization: Bearer \$INTEGRATOR" -H 'Content-Type: application/json' \\
    -H 'Idempotency-Key: person-try-1' -d '{"name": "Dr Exemple", "rpps": "10000000019"}' \\
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["person_id"])')"
  curl -s -X POST http://127.0.0.1:$LEDGER_GRANTS_PORT/v1/commands/award-grant \\
    -H "Authorization: Bearer \$INTEGRATOR" \\
    -H 'Content-Type: application/json' -H 'Idempotency-Key: try-1' \\
    -d '{"grant_id": "cd41-aide-installation-9", "envelope_id": "cd41-plan-sante-2022-investissement",
         "beneficiary": {"person_id": "'"\$PERSON"'"}, "kind": "GRANT_KIND_INSTALLATION_AID",
         "amount_cents": 1500000, "purpose": "Aide à l installation", "measure_code": "axe-4",
         "territory": {"region_code": "24", "departement_code": "41"}, "effective_date": "2026-03-02"}'
  curl -s -H "Authorization: Bearer \$CONTROLLER" '$API/v1/envelopes/cd41-plan-sante-2022-investissement/balance?wait_for=<topic:partition:offset from the answer>'

Stop everything with deploy/local/down.sh.
MSG
