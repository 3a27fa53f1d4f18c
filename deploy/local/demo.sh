#!/usr/bin/env bash
# Submits the demo history through the public HTTP interface of the grants
# service: Région Centre-Val de Loire's Plan Urgence Santé (2018) and its
# €20M envelope for maisons de santé pluriprofessionnelles (MSP), with a few
# awards.
#
# Source: shared/seeds/000 (the €20M envelope, the MSP programme). The vote
# reference, the award amounts, dates and beneficiaries are INVENTED for the
# demo; commune codes are the real INSEE codes of the towns named; SIRETs are
# invented (Luhn-valid). Every command carries an Idempotency-Key, so running
# the script again changes nothing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

GRANTS="http://127.0.0.1:$LEDGER_GRANTS_PORT"
LAST_POSITION=""
# The demo loader is an integrator acting for source system "demo".
"$LEDGER_ROOT/deploy/local/tokens.sh" >/dev/null
TOKEN="$(cat "$LEDGER_STATE_DIR/tokens/integrator")"

send() {
    local command="$1" key="$2" body="$3" answer status
    answer="$(curl -sS -w '\n%{http_code}' -X POST "$GRANTS/v1/commands/$command" \
        -H 'Content-Type: application/json' -H "Idempotency-Key: $key" \
        -H "Authorization: Bearer $TOKEN" -H 'X-Source-System: demo' -H 'X-Actor: demo-loader' --data "$body")"
    status="$(tail -n 1 <<<"$answer")"
    answer="$(sed '$d' <<<"$answer")"
    case "$status" in
        201) LAST_POSITION="$(python3 -c 'import json,sys; e=json.load(sys.stdin)["events"][0]; print("%s:%s:%s" % (e["topic"], e["partition"], e["offset"]))' <<<"$answer")" ;;
        *) die "$command $key refused ($status): $answer" ;;
    esac
}

award() { # key grant-id commune-insee commune-name amount-cents date
    send award-grant "$1" "{
        \"grant_id\": \"$2\", \"envelope_id\": \"cvl-msp-2018\",
        \"beneficiary\": {\"legal_entity\": {\"siret\": \"$7\", \"name\": \"Commune de $4\"}},
        \"kind\": \"GRANT_KIND_SUBSIDY\", \"amount_cents\": $5,
        \"purpose\": \"Création de la maison de santé pluriprofessionnelle de $4\",
        \"measure_code\": \"msp\",
        \"territory\": {\"region_code\": \"24\", \"departement_code\": \"${3:0:2}\", \"commune_code\": \"$3\"},
        \"decision_reference\": \"CP-$6\", \"effective_date\": \"$6\"}"
}

log "loading the demo: Centre-Val de Loire, Plan Urgence Santé"
send declare-programme demo-cvl-programme '{
    "programme_id": "cvl-plan-urgence-sante",
    "funder": {"kind": "FUNDER_KIND_REGION", "code": "24", "name": "Région Centre-Val de Loire"},
    "name": "Plan Urgence Santé",
    "period_start": "2018-01-01", "period_end": "2028-12-31",
    "axes": [
        {"code": "former", "title": "Former plus de professionnels de santé"},
        {"code": "acces", "title": "Faciliter l accès aux soins", "measures": [
            {"code": "msp", "title": "Maisons de santé pluriprofessionnelles"},
            {"code": "telemedecine", "title": "Aménagement numérique et télémédecine"}]}
    ],
    "effective_date": "2018-01-01"}'
send open-envelope demo-cvl-envelope '{
    "envelope_id": "cvl-msp-2018", "programme_id": "cvl-plan-urgence-sante",
    "measure_code": "msp", "kind": "AUTHORISATION_KIND_AP",
    "amount_cents": 2000000000,
    "period_start": "2018-01-01", "period_end": "2025-12-31",
    "vote_reference": "DAP 18.01.01 (invented)", "label": "MSP — enveloppe de 20 M€",
    "territory": {"region_code": "24"}, "effective_date": "2018-03-16"}'
award demo-cvl-a1 msp-vendome       41269 Vendôme              45000000 2019-02-08 21410269000010
award demo-cvl-a2 msp-romorantin    41194 Romorantin-Lanthenay 38500000 2019-06-14 21410194000010
award demo-cvl-a3 msp-chateaudun    28088 Châteaudun           41250000 2020-03-06 21280088000016
award demo-cvl-a4 msp-issoudun      36088 Issoudun             29900000 2021-09-24 21360088000016
award demo-cvl-a5 msp-pithiviers    45252 Pithiviers           33075000 2022-11-18 21450252000015
echo "$LAST_POSITION"
