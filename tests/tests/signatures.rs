//! Only a topic's writer can produce its events: a record with a correct
//! hash but no valid signature is refused by the projector (which stops its
//! partition at it), by the services that follow the topic (a forged breach
//! orders no recovery) and by the writer itself, which starts anyway and
//! leaves the record out.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::time::Duration;

use ledger_kafka::rdkafka::producer::{FutureProducer, FutureRecord};
use ledger_proto::v1::{event_envelope::Payload, EventEnvelope, ObligationBreached, StreamRef};
use ledger_tests::{award, bursary, bursary_payment, kafka, position, TestLedger};
use prost::Message;
use serde_json::Value;

async fn produce(topic: &str, key: &str, bytes: &[u8]) -> (i32, i64) {
    let producer: FutureProducer = kafka().admin().create().unwrap();
    let delivered = producer
        .send(
            FutureRecord::to(topic).key(key).payload(bytes),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    (delivered.partition, delivered.offset)
}

/// A new stream's first event, hashed correctly; signed by `signer` if
/// given, else carrying a made-up signature under the writer's key id.
fn forged(stream_type: &str, id: &str, payload: Payload, signer: Option<&str>) -> EventEnvelope {
    let mut event = EventEnvelope {
        event_id: format!("01930000-0000-7000-8000-{:0>12}", id.len()),
        stream: Some(StreamRef {
            r#type: stream_type.into(),
            id: id.into(),
        }),
        stream_version: 1,
        effective_date: "2024-11-01".into(),
        recorded_at: Some(ledger_proto::Timestamp {
            seconds: 1_730_419_200,
            nanos: 0,
        }),
        source_system: "sirh".into(),
        command_id: format!("forged-{id}"),
        schema_version: 1,
        payload: Some(payload),
        ..Default::default()
    };
    match signer {
        Some(context) => {
            ledger_domain::chain::seal(&mut event, Vec::new(), &ledger_tests::signer(context))
        }
        None => {
            event.signing_key_id = "grants-1".into();
            event.hash = ledger_domain::chain::event_hash(&event);
            event.signature = vec![7; 64];
        }
    }
    event
}

#[tokio::test]
async fn a_forged_event_with_a_correct_hash_is_refused_by_projector_and_writer() {
    let mut ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    let award_g9 = |cents| award("g9", "cvl-msp", cents);
    let grant = ledger_proto::v1::GrantAwarded {
        grant_id: "g9".into(),
        envelope_id: "cvl-msp".into(),
        amount_cents: 900_000,
        ..Default::default()
    };
    let event = forged("grant", "g9", Payload::GrantAwarded(grant), None);
    let (partition, offset) =
        produce(&ledger.topics.grants, "cvl-msp", &event.encode_to_vec()).await;

    // The projector stops that partition at the forged record and says why.
    let mut fault = Value::Null;
    for _ in 0..100 {
        let (_, body) = ledger.get("/v1/status").await.unwrap();
        if let Some(f) = body["faults"].as_array().and_then(|f| f.first()).cloned() {
            fault = f;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(fault["partition"], partition, "{fault}");
    assert_eq!(fault["offset"], offset, "{fault}");
    assert!(
        fault["error"]
            .as_str()
            .unwrap_or_default()
            .contains("signature"),
        "{fault}"
    );

    // The grants service restarts although its topic holds a record it did
    // not write, and knows nothing of g9: the real award goes through, for
    // what is left in the envelope as the service sees it.
    ledger.stop_grants().await;
    ledger.start_grants().await.unwrap();
    let (status, answer) = ledger
        .command("award-grant", None, &award_g9(1_000_000))
        .await
        .unwrap();
    assert_eq!(status, 201, "the forged award did not count: {answer}");

    // Ops look at the record and acknowledge it: the audit entry is
    // written, and the partition moves on to the real award behind it.
    let ring = ledger_tests::key_ring();
    let kafka = kafka();
    let ack = |reason: &'static str, offset: i64| ledger_ctl::acknowledge::Acknowledgement {
        database_url: &ledger.database_url,
        projection: "ledger",
        topic: &ledger.topics.grants,
        partition,
        offset,
        reason,
        by: "ops-on-call",
        kafka: &kafka,
        ring: &ring,
    };
    let wrong = ledger_ctl::acknowledge::acknowledge(ack("wrong place", offset + 1)).await;
    assert!(wrong.is_err(), "only the offset the partition stopped at");
    let done =
        ledger_ctl::acknowledge::acknowledge(ack("forged award, incident 2026-12-02", offset))
            .await
            .unwrap();
    assert!(done.refused_because.contains("signature"), "{done:?}");
    let balance = ledger
        .balance_after("cvl-msp", &position(&answer))
        .await
        .unwrap();
    assert_eq!(balance["committed_cents"], 1_000_000, "{balance}");
    let (by, reason): (String, String) = sqlx::query_as(
        "SELECT acknowledged_by, reason FROM ledger_ops.acknowledged_records WHERE topic = $1 AND \"offset\" = $2",
    )
    .bind(&ledger.topics.grants)
    .bind(offset)
    .fetch_one(&ledger.pool)
    .await
    .unwrap();
    assert_eq!(
        (by.as_str(), reason.as_str()),
        ("ops-on-call", "forged award, incident 2026-12-02")
    );
    let (status, body) = ledger.get("/v1/status").await.unwrap();
    assert!(
        body["faults"].as_array().is_some_and(|f| f.is_empty()),
        "{status} {body}"
    );
    ledger.shutdown().await;
}

#[tokio::test]
async fn random_bytes_in_a_writers_own_topic_do_not_stop_it() {
    let mut ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    let junk: Vec<u8> = (0u8..64).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
    produce(&ledger.topics.grants, "cvl-msp", &junk).await;
    ledger.stop_grants().await;
    ledger.start_grants().await.unwrap();
    let (status, answer) = ledger
        .command("award-grant", None, &award("g1", "cvl-msp", 1_000))
        .await
        .unwrap();
    assert_eq!(status, 201, "{answer}");
    // The service says what it left out, for ops.
    let status: Value = ledger
        .http
        .get(ledger.service_url("grants", "/v1/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refused = status["refused_records"].as_array().unwrap();
    assert!(
        refused
            .iter()
            .any(|r| r["topic"] == ledger.topics.grants.as_str()
                && r["why"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("not a ledger.v1.EventEnvelope")),
        "{status}"
    );
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_forged_breach_orders_no_recovery_and_a_real_one_does() {
    let ledger = TestLedger::with_envelope(10_000_000).await.unwrap();
    for (command, body) in [
        ("award-grant", bursary("b1")),
        ("make-payment", bursary_payment("b1")),
    ] {
        let (status, answer) = ledger.command(command, None, &body).await.unwrap();
        assert_eq!(status, 201, "{command}: {answer}");
    }
    let breach = |obligation: &str| ObligationBreached {
        obligation_id: obligation.into(),
        grant_id: "b1".into(),
        breached_on: "2024-11-01".into(),
        reason: "installation hors du département".into(),
        served_days: 366,
        obligation_days: 1096,
    };
    // Two forgeries on the obligations topic: a made-up signature, and a
    // real one by the grants service's key, which may not sign breaches.
    for (id, signer) in [("o-forged-1", None), ("o-forged-2", Some("grants"))] {
        let event = forged(
            "obligation",
            id,
            Payload::ObligationBreached(breach(id)),
            signer,
        );
        produce(&ledger.topics.obligations, id, &event.encode_to_vec()).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, grant) = ledger.get("/v1/grants/b1").await.unwrap();
    assert_eq!(grant["recovery_ordered_cents"], 0, "{grant}");

    // The real thing, through the obligations service, does order one: the
    // grants service is following, and the test could have failed above.
    ledger.start_and_breach_obligation("b1").await.unwrap();
    let grant = ledger.grant_once_recovered("b1").await.unwrap();
    assert_eq!(grant["recovery_ordered_cents"], 799_270, "{grant}");
    ledger.shutdown().await;
}
