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

#[tokio::test]
async fn erasure_destroys_the_details_and_leaves_the_log_intact() {
    let ledger = TestLedger::start().await.unwrap();
    let persons = ledger.service_url("workforce", "/v1/persons");

    let bad = ledger
        .http
        .post(&persons)
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

    let registered = ledger
        .http
        .post(&persons)
        .json(&json!({"name": NAME, "rpps": RPPS}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status().as_u16(), 201);
    let person_id = registered.json::<Value>().await.unwrap()["person_id"]
        .as_str()
        .unwrap()
        .to_owned();

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
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM person_keys")
        .fetch_one(&store)
        .await
        .unwrap();
    assert_eq!((sealed, keys), (0, 0));

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
