//! The write side's invariants, each against the real broker: a refused
//! command gets a machine-readable error and leaves nothing on any topic.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::time::Duration;

use ledger_proto::v1::{event_envelope::Payload, GrantOutcome};
use ledger_tests::{award, person, position, TestLedger};
use serde_json::{json, Value};

const SERVICE: &str = env!("CARGO_BIN_EXE_test-service");

async fn ledger_with_envelope(amount_cents: i64) -> TestLedger {
    TestLedger::with_envelope(amount_cents)
        .await
        .expect("stack up")
}

async fn expect(
    ledger: &TestLedger,
    command: &str,
    body: Value,
    status: u16,
    code: Option<&str>,
) -> Value {
    let (got, answer) = ledger.command(command, None, &body).await.unwrap();
    assert_eq!(got, status, "{command}: {answer}");
    if let Some(code) = code {
        assert_eq!(answer["error"]["code"], code, "{command}: {answer}");
    }
    answer
}

/// Retries a command until it gets `status` (another context's event may not
/// have reached the service yet), for at most 10 s.
async fn eventually(ledger: &TestLedger, command: &str, body: Value, status: u16) -> Value {
    for _ in 0..200 {
        let (got, answer) = ledger.command(command, None, &body).await.unwrap();
        if got == status {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{command} never answered {status}");
}

fn payment(grant: &str, id: &str, cents: i64, date: &str) -> Value {
    json!({"grant_id": grant, "payment_id": id, "amount_cents": cents, "effective_date": date, "mandate_reference": format!("M-{id}")})
}

fn recovery(id: &str, cents: i64) -> Value {
    json!({"grant_id": "g", "recovery_id": id, "amount_cents": cents, "reason": "RECOVERY_REASON_OVERPAYMENT", "effective_date": "2024-02-01"})
}

fn count(events: &[ledger_proto::v1::EventEnvelope], kind: &str) -> usize {
    events
        .iter()
        .filter(|e| e.payload.as_ref().is_some_and(|p| p.type_name() == kind))
        .count()
}

#[tokio::test]
async fn a_grant_is_never_paid_beyond_its_amount_nor_after_cancellation_nor_recovered_beyond_payments(
) {
    let ledger = ledger_with_envelope(1_000_000).await;
    expect(
        &ledger,
        "award-grant",
        award("g", "cvl-msp", 600_000),
        201,
        None,
    )
    .await;
    expect(
        &ledger,
        "make-payment",
        payment("g", "p1", 200_000, "2022-12-20"),
        201,
        None,
    )
    .await;
    expect(
        &ledger,
        "make-payment",
        payment("g", "p2", 400_001, "2023-01-10"),
        409,
        Some("invalid_state"),
    )
    .await;
    expect(
        &ledger,
        "make-payment",
        payment("g", "p1", 1, "2023-01-10"),
        409,
        Some("already_exists"),
    )
    .await;
    expect(
        &ledger,
        "order-recovery",
        recovery("r1", 200_001),
        409,
        Some("invalid_state"),
    )
    .await;
    expect(
        &ledger,
        "order-recovery",
        recovery("r1", 150_000),
        201,
        None,
    )
    .await;
    let receipt = |cents| json!({"grant_id": "g", "recovery_id": "r1", "amount_cents": cents, "effective_date": "2024-03-01"});
    expect(
        &ledger,
        "receive-recovery",
        receipt(150_001),
        409,
        Some("invalid_state"),
    )
    .await;
    expect(&ledger, "receive-recovery", receipt(150_000), 201, None).await;
    let amend = json!({"grant_id": "g", "amount_delta_cents": -100_000, "reason": "révision du plan de financement", "effective_date": "2023-02-01"});
    expect(&ledger, "amend-grant", amend, 201, None).await;
    let cancel =
        json!({"grant_id": "g", "reason": "projet abandonné", "effective_date": "2023-06-30"});
    let cancelled = expect(&ledger, "cancel-grant", cancel.clone(), 201, None).await;
    expect(&ledger, "cancel-grant", cancel, 409, Some("invalid_state")).await;
    expect(
        &ledger,
        "make-payment",
        payment("g", "p3", 1, "2023-07-01"),
        409,
        Some("invalid_state"),
    )
    .await;

    let events = ledger.grants_events().await.unwrap();
    assert_eq!(count(&events, "PaymentMade"), 1);
    assert_eq!(count(&events, "RecoveryOrdered"), 1);
    assert_eq!(count(&events, "RecoveryReceived"), 1);
    let released = events.iter().find_map(|e| match &e.payload {
        Some(Payload::GrantCancelled(c)) => Some(c.released_cents),
        _ => None,
    });
    assert_eq!(
        released,
        Some(300_000),
        "amount 500,000 after amendment, 200,000 paid"
    );

    let balance = ledger
        .balance_after("cvl-msp", &position(&cancelled))
        .await
        .unwrap();
    assert_eq!(balance["committed_cents"], 200_000);
    assert_eq!(balance["paid_cents"], 200_000);
    assert_eq!(balance["remaining_to_pay_cents"], 0);
    assert_eq!(balance["available_cents"], 800_000);
    assert_eq!(balance["recovery_ordered_cents"], 150_000);
    assert_eq!(balance["recovery_received_cents"], 150_000);
    ledger.shutdown().await;
}

#[tokio::test]
async fn an_envelope_revision_never_goes_below_commitments_and_loans_commit() {
    let ledger = ledger_with_envelope(1_000_000).await;
    expect(
        &ledger,
        "award-grant",
        award("g", "cvl-msp", 700_000),
        201,
        None,
    )
    .await;
    let revise = |delta: i64| json!({"envelope_id": "cvl-msp", "delta_cents": delta, "vote_reference": "DM-2020-1", "effective_date": "2020-06-30"});
    expect(
        &ledger,
        "revise-envelope",
        revise(-300_001),
        409,
        Some("envelope_overcommitted"),
    )
    .await;
    expect(&ledger, "revise-envelope", revise(-200_000), 201, None).await;
    let loan = |principal: i64| {
        json!({
        "loan_id": "pret-1", "envelope_id": "cvl-msp",
        "borrower": {"legal_entity": {"siret": "21410018200010", "name": "SISA de Blois"}},
        "principal_cents": principal, "rate_basis_points": 0, "term_months": 60,
        "first_repayment_date": "2021-01-05", "purpose": "Prêt santé initiative", "effective_date": "2020-09-01"})
    };
    expect(
        &ledger,
        "grant-loan",
        loan(100_001),
        409,
        Some("envelope_overcommitted"),
    )
    .await;
    let granted = expect(&ledger, "grant-loan", loan(100_000), 201, None).await;
    let balance = ledger
        .balance_after("cvl-msp", &position(&granted))
        .await
        .unwrap();
    assert_eq!(
        (
            balance["voted_cents"].as_i64(),
            balance["committed_cents"].as_i64()
        ),
        (Some(800_000), Some(800_000))
    );

    // A guarantee is off-balance: it never consumes the envelope.
    let guarantee = json!({
        "guarantee_id": "gar-1", "envelope_id": "cvl-msp",
        "borrower": {"legal_entity": {"siret": "21410018200010", "name": "SISA de Blois"}},
        "lender": {"siret": "23450002300028", "name": "Banque"},
        "principal_cents": 5_000_000, "guaranteed_cents": 2_500_000,
        "start_date": "2021-01-01", "end_date": "2030-12-31", "purpose": "Extension de la MSP"});
    expect(&ledger, "grant-loan-guarantee", guarantee, 201, None).await;
    let release = json!({"guarantee_id": "gar-1", "release": "GUARANTEE_RELEASE_CALLED", "called_cents": 2_500_001, "effective_date": "2025-01-01"});
    expect(
        &ledger,
        "release-loan-guarantee",
        release,
        422,
        Some("invalid_field"),
    )
    .await;
    ledger.shutdown().await;
}

fn centre(id: &str, commune: &str, dep: &str) -> Value {
    json!({
        "centre_id": id, "kind": "CENTRE_KIND_HEALTH_CENTRE", "finess": format!("{dep}0000012"),
        "name": format!("Centre de santé {id}"),
        "territory": {"region_code": "76", "departement_code": dep, "commune_code": commune},
        "operator": {"siret": "13002520500019", "name": "GIP Ma santé, Ma Région"},
        "opened_on": "2022-03-01"})
}

fn hire(person: &str, employment: &str, centre: &str, post: &str) -> Value {
    json!({
        "person_id": ledger_tests::person(person), "employment_id": employment, "post_id": post, "centre_id": centre,
        "employer": {"siret": "13002520500019", "name": "GIP Ma santé, Ma Région"},
        "profession": "PROFESSION_GENERAL_PRACTITIONER", "fte_milli": 1000, "start_date": "2022-03-01"})
}

#[tokio::test]
async fn headcounts_need_open_centres_and_never_go_negative() {
    let ledger = TestLedger::start().await.unwrap();
    // Sainte-Croix-Volvestre (Ariège) and Lussan (Gard): the GIP's first centres.
    expect(
        &ledger,
        "open-centre",
        centre("scv", "09257", "09"),
        201,
        None,
    )
    .await;
    expect(
        &ledger,
        "open-centre",
        centre("lussan", "30151", "30"),
        201,
        None,
    )
    .await;
    expect(
        &ledger,
        "open-centre",
        centre("bad", "30151", "09"),
        422,
        Some("invalid_field"),
    )
    .await;
    let mut bad_finess = centre("bad", "09257", "09");
    bad_finess["finess"] = json!("0900000");
    let refused = expect(
        &ledger,
        "open-centre",
        bad_finess,
        422,
        Some("invalid_field"),
    )
    .await;
    assert_eq!(refused["error"]["field"], "finess");

    expect(
        &ledger,
        "hire-professional",
        hire("p-1", "e-1", "nowhere", ""),
        422,
        Some("not_found"),
    )
    .await;
    let post = json!({
        "post_id": "scv-mg-1", "centre_id": "scv", "profession": "PROFESSION_GENERAL_PRACTITIONER", "fte_milli": 1000,
        "employer": {"siret": "13002520500019", "name": "GIP Ma santé, Ma Région"}, "opened_on": "2022-02-15"});
    eventually(&ledger, "open-post", post, 201).await;
    expect(
        &ledger,
        "hire-professional",
        hire("p-1", "e-1", "scv", "scv-mg-1"),
        201,
        None,
    )
    .await;
    expect(
        &ledger,
        "hire-professional",
        hire("p-2", "e-1", "scv", "scv-mg-1"),
        409,
        Some("invalid_state"),
    )
    .await;
    let mut wrong_siret = hire("p-3", "e-1", "scv", "");
    wrong_siret["employer"]["siret"] = json!("13002520500018");
    expect(
        &ledger,
        "hire-professional",
        wrong_siret,
        422,
        Some("invalid_field"),
    )
    .await;

    let leave =
        json!({"person_id": person("p-1"), "employment_id": "e-1", "left_on": "2023-03-31"});
    expect(&ledger, "record-departure", leave.clone(), 201, None).await;
    expect(&ledger, "record-departure", leave, 422, Some("not_found")).await;

    expect(
        &ledger,
        "close-centre",
        json!({"centre_id": "lussan", "closed_on": "2024-01-31", "reason": "test"}),
        201,
        None,
    )
    .await;
    // Wait until the workforce service has seen the closure, with a probe
    // that can never be appended (its FTE is invalid, checked after the centre).
    let probe = json!({
        "post_id": "probe", "centre_id": "lussan", "profession": "PROFESSION_GENERAL_PRACTITIONER", "fte_milli": 0,
        "employer": {"siret": "13002520500019", "name": "GIP"}, "opened_on": "2024-02-01"});
    eventually(&ledger, "open-post", probe, 409).await;
    expect(
        &ledger,
        "hire-professional",
        hire("p-4", "e-1", "lussan", ""),
        409,
        Some("invalid_state"),
    )
    .await;

    let workforce = ledger.events(&ledger.topics.workforce).await.unwrap();
    assert_eq!(count(&workforce, "ProfessionalHired"), 1);
    assert_eq!(count(&workforce, "ProfessionalLeft"), 1);
    assert_eq!(count(&workforce, "PostOpened"), 1);
    assert!(workforce.iter().all(|e| e.source_system == "http"));
    let centres = ledger.events(&ledger.topics.centres).await.unwrap();
    assert_eq!(centres.len(), 3);
    ledger.shutdown().await;
}

#[tokio::test]
async fn no_obligation_on_an_unknown_grant() {
    let ledger = ledger_with_envelope(10_000_000).await;
    let start = json!({
        "obligation_id": "o-1", "grant_id": "g", "beneficiary": {"person_id": person("p-9")},
        "territory": {"departement_code": "41"}, "duration_months": 36, "start_date": "2023-11-01"});
    expect(
        &ledger,
        "start-obligation",
        start.clone(),
        422,
        Some("not_found"),
    )
    .await;
    let mut terms = award("g", "cvl-msp", 1_000);
    terms["obligation"] = json!({"duration_months": 36, "territory": {"departement_code": "41"},
                                 "recovery_rule": "RECOVERY_RULE_FULL"});
    expect(&ledger, "award-grant", terms, 201, None).await;
    let started = eventually(&ledger, "start-obligation", start, 201).await;
    assert_eq!(started["events"][0]["event_type"], "ObligationStarted");
    let obligations = ledger.events(&ledger.topics.obligations).await.unwrap();
    let Some(Payload::ObligationStarted(o)) = &obligations[0].payload else {
        panic!()
    };
    assert_eq!(o.end_date, "2026-10-31");
    ledger.shutdown().await;
}

#[tokio::test]
async fn an_expected_version_refuses_a_stream_that_moved() {
    let ledger = ledger_with_envelope(1_000_000).await;
    expect(
        &ledger,
        "award-grant",
        award("g", "cvl-msp", 1_000),
        201,
        None,
    )
    .await;
    let send = |version: &str, id: &str| {
        ledger
            .http
            .post(ledger.command_url("make-payment"))
            .header("X-Expected-Version", version)
            .json(&payment("g", id, 10, "2022-05-01"))
            .send()
    };
    let stale = send("0", "p1").await.unwrap();
    assert_eq!(stale.status().as_u16(), 409);
    let body: Value = stale.json().await.unwrap();
    assert_eq!(body["error"]["code"], "version_conflict");
    let fresh = send("1", "p1").await.unwrap();
    assert_eq!(fresh.status().as_u16(), 201);
    let body: Value = fresh.json().await.unwrap();
    assert_eq!(body["events"][0]["stream_version"], 2);
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_second_instance_fences_the_first() {
    let mut ledger = ledger_with_envelope(1_000_000).await;
    // A second grants service with the same transactional id takes over.
    let newer = ledger.build_emitter("grants").await.unwrap();
    let answer = expect(
        &ledger,
        "award-grant",
        award("zombie", "cvl-msp", 5),
        503,
        Some("log_unavailable"),
    )
    .await;
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("nothing was recorded"));
    ledger.stop_grants().await;
    ledger.adopt_emitter("grants", newer);
    expect(
        &ledger,
        "award-grant",
        award("alive", "cvl-msp", 5),
        201,
        None,
    )
    .await;
    let grants: Vec<String> = ledger
        .grants_events()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.payload {
            Some(Payload::GrantAwarded(g)) => Some(g.grant_id),
            _ => None,
        })
        .collect();
    assert_eq!(grants, ["alive"], "the fenced instance appended nothing");
    ledger.shutdown().await;
}

/// A €12,000 bursary paid €500 a month, with a 3-year PRORATA obligation in
/// Loir-et-Cher (seed 002), and its breach.
fn bursary(id: &str, rule: &str) -> Value {
    let schedule: Vec<Value> = (0..24)
        .map(|m| json!({"due_date": format!("{}-{:02}-05", 2021 + (8 + m) / 12, (8 + m) % 12 + 1), "amount_cents": 50_000}))
        .collect();
    json!({
        "grant_id": id, "envelope_id": "cvl-msp", "beneficiary": {"person_id": person(&format!("interne-{id}"))},
        "kind": "GRANT_KIND_BURSARY", "amount_cents": 1_200_000, "purpose": "Bourse d'interne en médecine générale",
        "schedule": schedule,
        "obligation": {"duration_months": 36, "territory": {"departement_code": "41"}, "recovery_rule": rule,
                       "description": "Exercer trois ans en Loir-et-Cher"},
        "effective_date": "2021-09-01"})
}

async fn pay_in_full(ledger: &TestLedger, grant: &str) {
    for m in 0..24 {
        let date = format!("{}-{:02}-05", 2021 + (8 + m) / 12, (8 + m) % 12 + 1);
        expect(
            ledger,
            "make-payment",
            payment(grant, &format!("{grant}-m{m}"), 50_000, &date),
            201,
            None,
        )
        .await;
    }
}

/// Recovery orders on the grants topic, with their effective dates.
async fn recoveries(ledger: &TestLedger) -> Vec<(String, ledger_proto::v1::RecoveryOrdered)> {
    ledger
        .grants_events()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.payload {
            Some(Payload::RecoveryOrdered(r)) => Some((e.effective_date, r)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_breach_orders_its_recovery_exactly_once_even_when_the_grants_service_is_killed() {
    let mut ledger = ledger_with_envelope(100_000_000).await;
    // The grants service runs as a process of its own, to be killed for real.
    ledger.stop_grants().await;
    let port = ledger_tests::free_port().unwrap();
    let mut grants = ledger
        .spawn_emitter_process(SERVICE, "grants", port)
        .await
        .unwrap();

    for (id, rule) in [
        ("b-prorata", "RECOVERY_RULE_PRORATA"),
        ("b-full", "RECOVERY_RULE_FULL"),
    ] {
        expect(&ledger, "award-grant", bursary(id, rule), 201, None).await;
        pay_in_full(&ledger, id).await;
        let start = json!({
            "obligation_id": format!("o-{id}"), "grant_id": id, "beneficiary": {"person_id": person(&format!("interne-{id}"))},
            "territory": {"departement_code": "41"}, "duration_months": 36, "start_date": "2023-11-01"});
        eventually(&ledger, "start-obligation", start, 201).await;
    }

    let breach = |id: &str| json!({"obligation_id": format!("o-{id}"), "breached_on": "2024-11-01", "reason": "installation hors du département"});
    expect(&ledger, "breach-obligation", breach("b-prorata"), 201, None).await;
    // Kill the grants service right after the second breach is recorded,
    // whether or not it has reacted yet, then start it again.
    expect(&ledger, "breach-obligation", breach("b-full"), 201, None).await;
    grants.kill();
    let mut grants = ledger
        .spawn_emitter_process(SERVICE, "grants", port)
        .await
        .unwrap();
    // And once more, for good measure, after it has certainly caught up.
    for _ in 0..200 {
        if recoveries(&ledger).await.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    grants.kill();
    let _grants = ledger
        .spawn_emitter_process(SERVICE, "grants", port)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut found = recoveries(&ledger).await;
    found.sort_by(|a, b| a.1.grant_id.cmp(&b.1.grant_id));
    assert_eq!(found.len(), 2, "one recovery per breach: {found:?}");
    // FULL: everything paid.
    assert_eq!(
        (found[0].1.grant_id.as_str(), found[0].1.amount_cents),
        ("b-full", 1_200_000)
    );
    // PRORATA: 1,200,000 × (1,096 − 366) / 1,096 = 799,270.07… → 799,270.
    assert_eq!(
        (found[1].1.grant_id.as_str(), found[1].1.amount_cents),
        ("b-prorata", 799_270)
    );
    for (effective_date, recovery) in &found {
        assert_eq!(effective_date, "2024-11-01");
        assert_eq!(
            recovery.reason(),
            ledger_proto::v1::RecoveryReason::ObligationBreach
        );
        assert!(!recovery.cause_event_id.is_empty());
    }
    // And one closure per breach, which stops the grant's payments.
    let closures = ledger
        .grants_events()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(&e.payload, Some(Payload::GrantClosed(c)) if c.outcome() == GrantOutcome::Breached))
        .count();
    assert_eq!(closures, 2);
    ledger.shutdown().await;
}

#[tokio::test]
async fn no_command_is_too_large_to_append_and_the_service_keeps_serving() {
    let ledger = TestLedger::with_envelope(1_000_000_000).await.unwrap();
    // A purpose longer than any person writes: refused, naming the field.
    let mut long = award("g-long", "cvl-msp", 1_000);
    long["purpose"] = Value::String("x".repeat(10_000));
    let refused = expect(&ledger, "award-grant", long, 422, Some("invalid_field")).await;
    assert_eq!(refused["error"]["field"], "purpose", "{refused}");
    assert!(
        !refused.to_string().contains("xxxxxxxxxx"),
        "the rejected value is not echoed"
    );
    // 900 kB: refused before it is read, in the one error shape.
    let mut huge = award("g-huge", "cvl-msp", 1_000);
    huge["purpose"] = Value::String("y".repeat(900_000));
    let refused = expect(&ledger, "award-grant", huge, 413, Some("body_rejected")).await;
    assert!(refused["error"]["message"].is_string(), "{refused}");
    // Nothing was appended, and the service still serves.
    let ok = expect(
        &ledger,
        "award-grant",
        award("g-ok", "cvl-msp", 1_000),
        201,
        None,
    )
    .await;
    let balance = ledger
        .balance_after("cvl-msp", &position(&ok))
        .await
        .unwrap();
    assert_eq!(balance["committed_cents"], 1_000);
    assert_eq!(balance["grants"], 1);
    ledger.shutdown().await;
}

/// A batch is decided in order (a payment after the award it pays, in the
/// same batch, is accepted) and answers one result per command: a rejected
/// command appends nothing and does not stop the next; a command of another
/// service or without its idempotency key is refused on its own; sent again,
/// the batch changes nothing and gives the same answers. As protobuf too.
#[tokio::test]
async fn a_batch_is_decided_in_order_with_one_result_per_command() {
    let ledger = ledger_with_envelope(1_000_000).await;
    let payment = json!({"grant_id": "bg1", "payment_id": "bp1", "amount_cents": 100_000,
        "effective_date": "2023-02-01", "mandate_reference": "M-B1"});
    let centre = json!({"centre_id": "lussan", "kind": "CENTRE_KIND_HEALTH_CENTRE", "name": "Lussan",
        "territory": {"region_code": "76", "departement_code": "30", "commune_code": "30151"}, "opened_on": "2022-06-01"});
    let batch = json!({"commands": [
        {"command_id": "b-award", "award_grant": award("bg1", "cvl-msp", 600_000)},
        {"command_id": "b-pay", "make_payment": payment},
        {"command_id": "b-over", "award_grant": award("bg2", "cvl-msp", 600_000)},
        {"command_id": "b-centre", "open_centre": centre},
        {"command_id": "", "award_grant": award("bg4", "cvl-msp", 1)},
        {"command_id": "b-rest", "award_grant": award("bg3", "cvl-msp", 400_000)},
    ]});
    let url = ledger.service_url("grants", "/v1/commands:batch");
    let send = || async {
        let response = ledger.http.post(&url).json(&batch).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };
    let (status, first) = send().await;
    assert_eq!(status, 200, "{first}");
    let results = first["results"].as_array().unwrap();
    let outcomes: Vec<(&str, &str, Option<&str>)> = results
        .iter()
        .map(|r| {
            (
                r["command_id"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
                r["error"]["code"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("b-award", "accepted", None),
            ("b-pay", "accepted", None),
            ("b-over", "rejected", Some("envelope_overcommitted")),
            ("b-centre", "rejected", Some("unknown_command")),
            ("", "rejected", Some("invalid_field")),
            ("b-rest", "accepted", None),
        ]
    );
    assert_eq!(results[2]["status"], 409);
    assert_eq!(results[4]["error"]["field"], "commands[4].command_id");
    // In the batch's order, on the envelope's partition.
    let offsets: Vec<i64> = [0, 1, 5]
        .map(|i| results[i]["events"][0]["offset"].as_i64().unwrap())
        .into();
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");

    let (status, again) = send().await;
    assert_eq!(status, 200, "{again}");
    for i in [0, 1, 5] {
        assert_eq!(again["results"][i]["replayed"], true, "{again}");
        assert_eq!(again["results"][i]["events"], first["results"][i]["events"]);
    }
    assert_eq!(
        again["results"][2]["error"]["code"],
        "envelope_overcommitted"
    );

    // The envelope holds exactly what was accepted: €6,000 + €4,000.
    let position = format!(
        "{}:{}:{}",
        results[5]["events"][0]["topic"].as_str().unwrap(),
        results[5]["events"][0]["partition"],
        results[5]["events"][0]["offset"]
    );
    let (status, balance) = ledger
        .get(&format!(
            "/v1/envelopes/cvl-msp/balance?wait_for={position}&wait_ms=20000"
        ))
        .await
        .unwrap();
    assert_eq!(status, 200, "{balance}");
    assert_eq!(balance["committed_cents"], 1_000_000, "{balance}");

    // The same as protobuf: a CommandBatch in, a CommandBatchResult out.
    use prost::Message;
    let proto: ledger_proto::v1::CommandBatch = serde_json::from_value(batch.clone()).unwrap();
    let response = ledger
        .http
        .post(&url)
        .header("Content-Type", "application/x-protobuf")
        .header("Accept", "application/x-protobuf")
        .body(proto.encode_to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let answer =
        ledger_proto::v1::CommandBatchResult::decode(response.bytes().await.unwrap()).unwrap();
    let codes: Vec<_> = answer
        .results
        .iter()
        .map(|r| {
            r.rejection
                .as_ref()
                .map(|x| x.code.as_str())
                .unwrap_or("accepted")
        })
        .collect();
    assert_eq!(
        codes,
        [
            "accepted",
            "accepted",
            "envelope_overcommitted",
            "unknown_command",
            "invalid_field",
            "accepted"
        ]
    );

    // An empty batch is refused as a whole.
    let response = ledger
        .http
        .post(&url)
        .json(&json!({"commands": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    ledger.shutdown().await;
}
