//! Personal data never stands in the log; erasing a person makes their
//! details unreadable for good while the log and its hash chains stay intact.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::time::Duration;

use ledger_domain::chain::StreamHeads;
use ledger_tests::TestLedger;
use prost::Message;
use serde_json::{json, Value};

const NAME: &str = "Dr Camille Fontaine-Durand";
const RPPS: &str = "10101234567";

/// Registers the test's person under `key`; returns the new pseudonym.
async fn register(ledger: &TestLedger, key: &str) -> String {
    let registered = ledger
        .http
        .post(ledger.service_url("workforce", "/v1/persons"))
        .header("Idempotency-Key", key)
        .json(&json!({"name": NAME, "rpps": RPPS}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status().as_u16(), 201);
    registered.json::<Value>().await.unwrap()["person_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn erasure_destroys_the_details_and_leaves_the_log_intact() {
    let ledger = TestLedger::start().await.unwrap();
    let persons = ledger.service_url("workforce", "/v1/persons");

    let bad = ledger
        .http
        .post(&persons)
        .header("Idempotency-Key", "reg-bad")
        .json(&json!({"name": NAME, "rpps": "123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["field"], "rpps");
    assert!(
        !body.to_string().contains("123\""),
        "an RPPS is never echoed"
    );

    let person_id = register(&ledger, "reg-1").await;

    let centre = json!({
        "centre_id": "lussan", "kind": "CENTRE_KIND_HEALTH_CENTRE", "name": "Centre de santé de Lussan",
        "territory": {"region_code": "76", "departement_code": "30", "commune_code": "30151"}, "opened_on": "2022-06-01"});
    assert_eq!(
        ledger
            .command("open-centre", None, &centre)
            .await
            .unwrap()
            .0,
        201
    );
    let hire = json!({
        "person_id": person_id, "employment_id": "e-1", "centre_id": "lussan",
        "employer": {"siret": "13002520500019", "name": "GIP Ma santé, Ma Région"},
        "profession": "PROFESSION_GENERAL_PRACTITIONER", "fte_milli": 800, "start_date": "2022-06-01"});
    let mut hired = 0;
    for _ in 0..200 {
        hired = ledger
            .command("hire-professional", None, &hire)
            .await
            .unwrap()
            .0;
        if hired == 201 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hired, 201);

    let person_url = format!("{persons}/{person_id}");
    let details: Value = ledger
        .http
        .get(&person_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (details["name"].as_str(), details["rpps"].as_str()),
        (Some(NAME), Some(RPPS))
    );

    let before = ledger.events(&ledger.topics.workforce).await.unwrap();
    let bytes: Vec<u8> = before.iter().flat_map(|e| e.encode_to_vec()).collect();
    for secret in [NAME.as_bytes(), RPPS.as_bytes()] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret),
            "personal data in the log"
        );
    }
    assert_eq!(
        before[0].stream.as_ref().unwrap().id,
        person_id,
        "events carry the pseudonym only"
    );

    let erased = ledger.http.delete(&person_url).send().await.unwrap();
    assert_eq!(erased.status().as_u16(), 204);
    let gone = ledger.http.get(&person_url).send().await.unwrap();
    assert_eq!(gone.status().as_u16(), 410);
    assert_eq!(
        gone.json::<Value>().await.unwrap()["error"]["code"],
        "person_erased"
    );
    assert_eq!(
        ledger
            .http
            .delete(&person_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        204,
        "erasing twice is harmless"
    );
    let store = sqlx::PgPool::connect(&ledger.persons_database_url)
        .await
        .unwrap();
    let sealed: i64 = sqlx::query_scalar("SELECT count(*) FROM persons")
        .fetch_one(&store)
        .await
        .unwrap();
    // The keys are in a database of their own, not beside the details.
    let legacy: i64 = sqlx::query_scalar("SELECT count(*) FROM person_keys")
        .fetch_one(&store)
        .await
        .unwrap();
    let key_store = sqlx::PgPool::connect(&ledger.person_keys_database_url)
        .await
        .unwrap();
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM person_keys")
        .fetch_one(&key_store)
        .await
        .unwrap();
    assert_eq!((sealed, legacy, keys), (0, 0, 0));

    // The log is exactly as it was and every chain still verifies.
    let after = ledger.events(&ledger.topics.workforce).await.unwrap();
    assert_eq!(before, after);
    let mut heads = StreamHeads::default();
    assert!(after.iter().all(|e| heads.advance(e).is_ok()));
    // And the pseudonymous person's history goes on.
    let leave = json!({"person_id": person_id, "employment_id": "e-1", "left_on": "2023-06-30"});
    assert_eq!(
        ledger
            .command("record-departure", None, &leave)
            .await
            .unwrap()
            .0,
        201
    );
    ledger.shutdown().await;
}

/// Personal data is for callers with the `persons` role, for the source
/// system that registered the person only; a repeated registration gives the
/// same pseudonym; every access is in a log ops can read.
#[tokio::test]
async fn persons_are_read_only_by_their_own_source_system_and_every_read_is_logged() {
    let ledger = TestLedger::start().await.unwrap();
    let persons = ledger.service_url("workforce", "/v1/persons");
    let as_caller = |name: &str| ledger_tests::client_with_token(&ledger.token(name)).unwrap();
    let (a, b, integrator, ops) = (
        as_caller("dpo-a"),
        as_caller("dpo-b"),
        as_caller("integrator"),
        as_caller("ops"),
    );

    let register = |client: reqwest::Client, key: &'static str, rpps: &'static str| {
        let persons = persons.clone();
        async move {
            let response = client
                .post(&persons)
                .header("Idempotency-Key", key)
                .json(&json!({"name": NAME, "rpps": rpps}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    // An integrator without the persons role may not register anyone.
    assert_eq!(register(integrator.clone(), "k1", RPPS).await.0, 403);
    let (status, first) = register(a.clone(), "k1", RPPS).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = register(a.clone(), "k1", RPPS).await;
    assert_eq!(
        (status, &again["person_id"]),
        (200, &first["person_id"]),
        "{again}"
    );
    let (status, conflict) = register(a.clone(), "k1", "10101234568").await;
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(conflict["error"]["code"], "idempotency_conflict");
    assert!(
        !conflict.to_string().contains("1010123456"),
        "no RPPS echoed: {conflict}"
    );
    let id = first["person_id"].as_str().unwrap().to_owned();
    let url = format!("{persons}/{id}");

    // Its own source system sees it; another one, or an integrator, does not.
    let read = |client: reqwest::Client| {
        let url = url.clone();
        async move { client.get(&url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(read(a.clone()).await, 200);
    assert_eq!(read(b.clone()).await, 404, "another source system");
    assert_eq!(read(integrator.clone()).await, 403, "no persons role");
    let erased_by_b = b.delete(&url).send().await.unwrap().status().as_u16();
    assert_eq!(erased_by_b, 404, "another source system cannot erase");
    assert_eq!(read(a.clone()).await, 200, "still there");

    // Ops see who looked, and never the details.
    let log: Value = ops
        .get(format!("{url}/access-log"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries: Vec<(String, String, String)> = log["accesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_owned();
            (s("caller"), s("action"), s("outcome"))
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("dpo-a", "register", "registered"),
        ("dpo-a", "read", "shown"),
        ("dpo-b", "read", "unknown"),
        ("dpo-b", "erase", "unknown"),
        ("dpo-a", "read", "shown"),
    ]
    .iter()
    .map(|(c, a, o)| (c.to_string(), a.to_string(), o.to_string()))
    .collect();
    assert_eq!(entries, expected);
    assert!(
        !log.to_string().contains(NAME) && !log.to_string().contains(RPPS),
        "{log}"
    );
    let status = a
        .get(format!("{url}/access-log"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 403, "the access log is for ops");
    ledger.shutdown().await;
}

/// A command names a person by a pseudonym the store issued, nothing else:
/// an id made up by the caller, a UUID of its own, one issued under another
/// key or an RPPS number is refused (422 on the field, the value never
/// repeated, nothing appended), in every context whose commands name
/// persons; the store's own pseudonym is accepted.
#[tokio::test]
async fn commands_name_persons_only_by_pseudonyms_the_store_issued() {
    let ledger = TestLedger::with_envelope(100_000_000).await.unwrap();
    let other_store = ledger_domain::pseudonyms::PseudonymKeys::parse(&"ab".repeat(32)).unwrap();
    let made_up = [
        "medecin-41-009".to_owned(),
        "0193a2b4-5c6d-4e7f-8a9b-0c1d2e3f4a5b".to_owned(),
        other_store.issue([9; 8]),
        RPPS.to_owned(),
    ];
    let hire = |person_id: &str| {
        json!({"person_id": person_id, "employment_id": "e-1", "centre_id": "lussan",
               "employer": {"siret": "13002520500019", "name": "GIP Ma santé, Ma Région"},
               "profession": "PROFESSION_GENERAL_PRACTITIONER", "fte_milli": 800, "start_date": "2022-06-01"})
    };
    let bursary = |person_id: &str| {
        json!({"grant_id": "bourse-1", "envelope_id": "cvl-msp", "beneficiary": {"person_id": person_id},
               "kind": "GRANT_KIND_BURSARY", "amount_cents": 1_200_000, "purpose": "Contrat d'engagement de service public",
               "territory": {"departement_code": "41"}, "effective_date": "2023-09-01"})
    };
    let loan = |person_id: &str| {
        json!({"loan_id": "pret-1", "envelope_id": "cvl-msp", "borrower": {"person_id": person_id},
               "principal_cents": 1_200_000, "rate_basis_points": 0, "term_months": 12,
               "first_repayment_date": "2024-01-05", "purpose": "Prêt d'honneur", "effective_date": "2023-12-01"})
    };
    for id in &made_up {
        for (command, body, field) in [
            ("hire-professional", hire(id), "person_id"),
            ("award-grant", bursary(id), "beneficiary.person_id"),
            ("grant-loan", loan(id), "borrower.person_id"),
        ] {
            let answer = ledger.refused(command, &body, 422, "invalid_field").await;
            assert_eq!(answer["error"]["field"], field, "{command}: {answer}");
            assert!(
                !answer.to_string().contains(id.as_str()),
                "{command} echoed the id: {answer}"
            );
        }
    }
    let rpps = ledger
        .refused("hire-professional", &hire(RPPS), 422, "invalid_field")
        .await;
    assert!(rpps.to_string().contains("RPPS"), "says why: {rpps}");

    // Registered: the store's pseudonym is accepted by the grants service
    // (and the first refusals appended nothing: the grant is new).
    let person_id = register(&ledger, "reg-pseudonym").await;
    let (status, accepted) = ledger
        .command("award-grant", None, &bursary(&person_id))
        .await
        .unwrap();
    assert_eq!(status, 201, "{accepted}");
    assert_eq!(accepted["events"][0]["stream_version"], 1, "{accepted}");
}
