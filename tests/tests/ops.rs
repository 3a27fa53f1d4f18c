//! Operations on the real log: the hash-chain audit holds on an honest log
//! and names precisely an event forged into it.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::time::Duration;

use ledger_ctl::audit::audit_topic;
use ledger_kafka::{
    rdkafka::{
        producer::{FutureProducer, FutureRecord},
        ClientConfig,
    },
    KafkaConfig,
};
use ledger_proto::v1::event_envelope::Payload;
use ledger_tests::{award, brokers, TestLedger};
use prost::Message;

#[tokio::test]
async fn the_chain_audit_holds_on_the_log_and_names_a_forged_event() {
    let ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    for (id, cents) in [("g1", 100_000), ("g2", 200_000)] {
        let (status, body) = ledger
            .command("award-grant", None, &award(id, "cvl-msp", cents))
            .await
            .unwrap();
        assert_eq!(status, 201, "{body}");
    }
    let kafka = KafkaConfig::new(brokers());
    let honest = audit_topic(&kafka, &ledger.topics.grants, |_| {})
        .await
        .unwrap();
    assert_eq!(honest.events, 4, "programme, envelope, two awards");
    assert!(honest.broken.is_empty(), "{:?}", honest.broken);

    // Forge: a copy of g1's award that claims to follow it, with the amount
    // raised after sealing; appended by a producer that is not the writer.
    let events = ledger.grants_events().await.unwrap();
    let original = events
        .iter()
        .find(|e| e.stream.as_ref().is_some_and(|s| s.id == "g1"))
        .unwrap();
    let mut forged = original.clone();
    forged.event_id = "01930000-0000-7000-8000-00000000f0f0".into();
    forged.stream_version += 1;
    forged.prev_hash = original.hash.clone();
    if let Some(Payload::GrantAwarded(g)) = forged.payload.as_mut() {
        g.amount_cents = 900_000;
    }
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .unwrap();
    let bytes = forged.encode_to_vec();
    let delivered = producer
        .send(
            FutureRecord::to(&ledger.topics.grants)
                .key("cvl-msp")
                .payload(&bytes),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let (partition, offset) = (delivered.partition, delivered.offset);
    let audit = audit_topic(&kafka, &ledger.topics.grants, |_| {})
        .await
        .unwrap();
    assert_eq!(audit.broken.len(), 1, "{:?}", audit.broken);
    let broken = &audit.broken[0];
    assert_eq!((broken.partition, broken.offset), (partition, offset));
    assert_eq!(
        broken.event_id.as_deref(),
        Some("01930000-0000-7000-8000-00000000f0f0")
    );
    assert!(broken.why.starts_with("content altered"), "{}", broken.why);
    ledger.shutdown().await;
}
