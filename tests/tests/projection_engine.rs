//! The projection engine on the real stack: a poison event stops exactly
//! its partition at its offset while the others keep moving, and an
//! instance that lost a partition cannot write to it.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::{sync::Arc, time::Duration};

use ledger_kafka::rdkafka::producer::{FutureProducer, FutureRecord};
use ledger_proto::v1::{event_envelope::Payload, EventEnvelope, PaymentMade, StreamRef};
use ledger_readmodel::{Claims, ErrorClass, PartitionKey, Projection, Record};
use ledger_tests::{award, kafka, open_envelope, position, TestLedger};
use prost::Message;
use serde_json::Value;

/// An event that decodes and would apply, except that it pays a grant that
/// does not exist.
fn poison(envelope_id: &str) -> EventEnvelope {
    let mut event = EventEnvelope {
        event_id: "01930000-0000-7000-8000-00000000dead".into(),
        stream: Some(StreamRef {
            r#type: "envelope".into(),
            id: envelope_id.into(),
        }),
        stream_version: 99,
        effective_date: "2024-03-01".into(),
        recorded_at: Some(ledger_proto::Timestamp {
            seconds: 1_709_290_000,
            nanos: 0,
        }),
        payload: Some(Payload::PaymentMade(PaymentMade {
            grant_id: "ghost".into(),
            envelope_id: envelope_id.into(),
            amount_cents: 1,
            ..Default::default()
        })),
        ..Default::default()
    };
    // Signed by the grants service's own key: a record that cannot apply
    // because of what it says, not because of who wrote it.
    ledger_domain::chain::seal(&mut event, vec![0; 32], &ledger_tests::signer("grants"));
    event
}

async fn partition_of(answer: &Value) -> i64 {
    answer["events"][0]["partition"].as_i64().unwrap()
}

#[tokio::test]
async fn a_poison_event_stops_exactly_its_partition_at_its_offset() {
    let ledger = TestLedger::with_envelope(10_000_000).await.unwrap();
    // The envelope's partition, and another envelope on another partition.
    let (_, first) = ledger
        .command("award-grant", Some("a1"), &award("g1", "cvl-msp", 1_000))
        .await
        .unwrap();
    let poisoned = partition_of(&first).await;
    let mut other = None;
    for i in 0..20 {
        let id = format!("other-{i}");
        let (status, answer) = ledger
            .command("open-envelope", Some(&id), &open_envelope(&id, 5_000_000))
            .await
            .unwrap();
        assert_eq!(status, 201, "{answer}");
        if partition_of(&answer).await != poisoned {
            other = Some(id);
            break;
        }
    }
    let other = other.expect("an envelope on another partition");
    let before = ledger
        .balance_after("cvl-msp", &position(&first))
        .await
        .unwrap();
    assert_eq!(before["committed_cents"], 1_000);

    let producer: FutureProducer = kafka().admin().create().unwrap();
    let bytes = poison("cvl-msp").encode_to_vec();
    let delivered = producer
        .send(
            FutureRecord::to(&ledger.topics.grants)
                .partition(poisoned as i32)
                .key("cvl-msp")
                .payload(&bytes),
            Duration::from_secs(10),
        )
        .await
        .unwrap();

    // After the poison: an award behind it on its partition, and one on the
    // other partition.
    let (status, behind) = ledger
        .command("award-grant", Some("a2"), &award("g2", "cvl-msp", 2_000))
        .await
        .unwrap();
    assert_eq!(status, 201, "{behind}");
    let (status, elsewhere) = ledger
        .command("award-grant", Some("a3"), &award("g3", &other, 3_000))
        .await
        .unwrap();
    assert_eq!(status, 201, "{elsewhere}");
    let moving = ledger
        .balance_after(&other, &position(&elsewhere))
        .await
        .unwrap();
    assert_eq!(
        moving["committed_cents"], 3_000,
        "the other partition keeps moving"
    );

    // The fault names the partition, the offset and the event.
    let mut fault = None;
    for _ in 0..100 {
        let (status, body) = ledger.get("/v1/status").await.unwrap();
        assert_eq!(status, 200, "{body}");
        if let Some(f) = body["faults"].as_array().and_then(|f| f.first()).cloned() {
            fault = Some(f);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let fault = fault.expect("a fault is recorded");
    assert_eq!(fault["topic"], ledger.topics.grants.as_str());
    assert_eq!(fault["partition"], poisoned);
    assert_eq!(fault["offset"], delivered.offset);
    assert_eq!(fault["event_id"], "01930000-0000-7000-8000-00000000dead");
    assert!(
        fault["error"]
            .as_str()
            .unwrap()
            .contains("unknown grant ghost"),
        "{fault}"
    );
    // A genuine event that cannot apply is not acknowledged away.
    let (ring, kafka) = (ledger_tests::key_ring(), kafka());
    let refused = ledger_ctl::acknowledge::acknowledge(ledger_ctl::acknowledge::Acknowledgement {
        database_url: &ledger.database_url,
        projection: "ledger",
        topic: &ledger.topics.grants,
        partition: poisoned as i32,
        offset: delivered.offset,
        reason: "skip it",
        by: "ops",
        kafka: &kafka,
        ring: &ring,
    })
    .await;
    assert!(
        matches!(
            refused,
            Err(ledger_ctl::acknowledge::AcknowledgeError::SignedEvent { .. })
        ),
        "{refused:?}"
    );
    let faults: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_faults")
        .fetch_one(&ledger.pool)
        .await
        .unwrap();
    assert_eq!(faults, 1, "only the poisoned partition is stopped");

    // The partition stands exactly at the poison: nothing before it lost,
    // nothing after it applied, and the balance is not silently wrong.
    let next: i64 = sqlx::query_scalar(
        "SELECT next_offset FROM projection_offsets WHERE topic = $1 AND partition = $2",
    )
    .bind(&ledger.topics.grants)
    .bind(poisoned as i32)
    .fetch_one(&ledger.pool)
    .await
    .unwrap();
    assert_eq!(next, delivered.offset);
    let (status, stuck) = ledger.get("/v1/envelopes/cvl-msp/balance").await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(stuck["committed_cents"], 1_000, "g2 is behind the poison");
    let g2: i64 = sqlx::query_scalar("SELECT count(*) FROM grants WHERE grant_id = 'g2'")
        .fetch_one(&ledger.pool)
        .await
        .unwrap();
    assert_eq!(g2, 0);
    ledger.shutdown().await;
}

fn declared(i: u32) -> Record {
    let event = EventEnvelope {
        event_id: format!("01930000-0000-7000-8000-0000000000{i:02}"),
        stream: Some(StreamRef {
            r#type: "programme".into(),
            id: format!("p{i}"),
        }),
        stream_version: 1,
        effective_date: "2024-01-01".into(),
        recorded_at: Some(ledger_proto::Timestamp {
            seconds: 1_704_100_000,
            nanos: 0,
        }),
        payload: Some(Payload::ProgrammeDeclared(
            ledger_proto::v1::ProgrammeDeclared {
                programme_id: format!("p{i}"),
                name: "p".into(),
                period_start: "2024-01-01".into(),
                period_end: "2028-12-31".into(),
                ..Default::default()
            },
        )),
        ..Default::default()
    };
    // Straight to the engine: these records are not read from a topic.
    Record {
        topic: Arc::from("t"),
        partition: 0,
        offset: i64::from(i),
        body: ledger_readmodel::Body::Event(Box::new(event)),
    }
}

#[tokio::test]
async fn partitions_are_shared_and_an_instance_that_lost_one_cannot_write_it() {
    let ledger = TestLedger::empty().await.unwrap();
    let pool = ledger_readmodel::connect(&ledger.database_url, 4)
        .await
        .unwrap();
    let lease = Duration::from_secs(30);
    let a = Projection::new("p", pool.clone(), "a").with_lease(lease);
    let b = Projection::new("p", pool.clone(), "b").with_lease(lease);
    let all: Vec<PartitionKey> = (0..4).map(|p| (Arc::from("t"), p)).collect();
    a.register_partitions(&all).await.unwrap();

    let (mut held_a, mut held_b) = (Claims::new(), Claims::new());
    a.balance(&all, &mut held_a).await.unwrap();
    assert_eq!(held_a.len(), 4, "alone, a takes everything");
    b.balance(&all, &mut held_b).await.unwrap();
    assert_eq!(held_b.len(), 0, "a's leases still run");
    a.balance(&all, &mut held_a).await.unwrap();
    assert_eq!(held_a.len(), 2, "a gives up what is beyond its share");
    b.balance(&all, &mut held_b).await.unwrap();
    assert_eq!(held_b.len(), 2, "b takes what a gave up");
    assert!(held_a.keys().all(|k| !held_b.contains_key(k)));

    // a applies to its partition 0 (if it holds it) or whichever it holds.
    let mine = held_a.keys().min().cloned().unwrap();
    let mut record = declared(1);
    record.partition = mine.1;
    let applied = a.apply(&held_a, &[record.clone()]).await.unwrap();
    assert_eq!(applied.events, 1);

    // b takes everything (as if a had stalled past its lease and b had
    // claimed it): a's next write is fenced and writes nothing.
    let stolen = b.claim_all(&all).await.unwrap();
    let mut late = declared(2);
    late.partition = mine.1;
    late.offset = 2;
    let err = a.apply(&held_a, &[late.clone()]).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Fenced, "{err}");
    let programmes: i64 = sqlx::query_scalar("SELECT count(*) FROM programmes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(programmes, 1, "the fenced write left nothing");
    // The new owner goes on from where a stopped.
    let applied = b.apply(&stolen, &[record, late]).await.unwrap();
    assert_eq!(
        applied.events, 1,
        "the record a applied is not applied twice"
    );
    let programmes: i64 = sqlx::query_scalar("SELECT count(*) FROM programmes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(programmes, 2);
    pool.close().await;
    ledger.shutdown().await;
}
