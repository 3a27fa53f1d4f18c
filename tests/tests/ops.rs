//! Operations on the real log: the hash-chain audit holds on an honest log
//! and names precisely an event forged into it; rebuilds into a shadow
//! schema equal the live view, give the books as of a date, and survive a
//! kill.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::time::Duration;

use ledger_ctl::{
    audit::audit_topic,
    rebuild::{pool_in, rebuild, verify, Plan},
};
use ledger_kafka::rdkafka::producer::{FutureProducer, FutureRecord};
use ledger_proto::v1::event_envelope::Payload;
use ledger_tests::{award, kafka, key_ring, TestLedger};
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
    let kafka = kafka();
    let honest = grants_audit(&kafka, &ledger).await;
    assert_eq!(
        honest.events,
        4 + ledger_tests::CREDIT_YEARS.count() as u64,
        "programme, envelope, its CP votes, two awards"
    );
    assert!(honest.broken.is_empty(), "{:?}", honest.broken);

    // Forge: a copy of g1's award that claims to follow it, with the amount
    // raised, its hash computed correctly, appended by a producer that
    // holds Kafka access but not the grants service's signing key. Another
    // stream gets an event signed with the key of another writer.
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
    forged.hash = ledger_domain::chain::event_hash(&forged);
    let g2 = events
        .iter()
        .find(|e| e.stream.as_ref().is_some_and(|s| s.id == "g2"))
        .unwrap();
    let mut other_writer = g2.clone();
    other_writer.event_id = "01930000-0000-7000-8000-00000000f0f1".into();
    other_writer.stream_version += 1;
    ledger_domain::chain::seal(
        &mut other_writer,
        g2.hash.clone(),
        &ledger_tests::signer("workforce"),
    );

    let producer: FutureProducer = kafka.admin().create().unwrap();
    let mut at = Vec::new();
    for event in [&forged, &other_writer] {
        let bytes = event.encode_to_vec();
        let delivered = producer
            .send(
                FutureRecord::to(&ledger.topics.grants)
                    .key("cvl-msp")
                    .payload(&bytes),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        at.push((delivered.partition, delivered.offset));
    }
    let audit = grants_audit(&kafka, &ledger).await;
    // Both are reported, each with its place and why.
    assert_eq!(audit.broken.len(), 2, "{:?}", audit.broken);
    let broken = &audit.broken[0];
    assert_eq!((broken.partition, broken.offset), at[0]);
    assert_eq!(
        broken.event_id.as_deref(),
        Some("01930000-0000-7000-8000-00000000f0f0")
    );
    assert!(
        broken.why.contains("signature does not match"),
        "{}",
        broken.why
    );
    let broken = &audit.broken[1];
    assert_eq!((broken.partition, broken.offset), at[1]);
    assert!(
        broken.why.contains("trusted for workforce, not for grants"),
        "{}",
        broken.why
    );
    ledger.shutdown().await;
}

/// The chain audit of the grants topic, on the log alone.
async fn grants_audit(
    kafka: &ledger_kafka::KafkaConfig,
    ledger: &TestLedger,
) -> ledger_ctl::audit::TopicAudit {
    audit_topic(
        kafka,
        &key_ring(),
        &ledger.topics.grants,
        Default::default(),
        |_| {},
    )
    .await
    .unwrap()
}

async fn history(ledger: &TestLedger, awards: usize) -> String {
    let mut last = String::new();
    for i in 0..awards {
        let (status, body) = ledger
            .command(
                "award-grant",
                None,
                &award(&format!("g{i}"), "cvl-msp", 1_000 + i as i64),
            )
            .await
            .unwrap();
        assert_eq!(status, 201, "{body}");
        last = ledger_tests::position(&body);
    }
    let payment = serde_json::json!({"grant_id": "g0", "payment_id": "p0", "amount_cents": 1_000,
        "effective_date": "2023-02-01", "mandate_reference": "M-0"});
    let (status, body) = ledger
        .command("make-payment", None, &payment)
        .await
        .unwrap();
    assert_eq!(status, 201, "{body}");
    last = ledger_tests::position(&body).max(last);
    let (status, body) = ledger
        .get(&format!("/v1/balances?wait_for={last}&wait_ms=20000"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    last
}

#[tokio::test]
async fn a_rebuild_equals_the_live_view_and_verify_sees_a_tampered_row() {
    let ledger = TestLedger::with_envelope(100_000_000).await.unwrap();
    history(&ledger, 20).await;
    // A grant closed under-spent: its closure and release are rebuilt too.
    let close = serde_json::json!({"grant_id": "g1", "outcome": "GRANT_OUTCOME_SETTLED",
        "reason": "projet réalisé pour moins", "effective_date": "2023-03-01"});
    let (status, body) = ledger.command("close-grant", None, &close).await.unwrap();
    assert_eq!(status, 201, "{body}");
    let (status, body) = ledger
        .get(&format!(
            "/v1/balances?wait_for={}&wait_ms=20000",
            ledger_tests::position(&body)
        ))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let kafka = kafka();
    let done = rebuild(
        Plan {
            database_url: &ledger.database_url,
            schema: "shadow",
            projection: "ledger",
            kafka: &kafka,
            topics: &ledger.topics,
            ring: &key_ring(),
            until: None,
            batch: 100,
        },
        |_| {},
    )
    .await
    .unwrap();
    // The programme, the envelope and its CP votes, the history, the closure.
    assert_eq!(
        done.events,
        2 + ledger_tests::CREDIT_YEARS.count() as u64 + 20 + 1 + 1
    );
    let checks = verify(&ledger.database_url, "public", "shadow")
        .await
        .unwrap();
    assert!(checks.iter().all(|c| c.equal), "{checks:?}");
    assert_eq!(
        checks
            .iter()
            .find(|c| c.table == "postings")
            .unwrap()
            .shadow_rows,
        2 * 23
    );
    assert!(checks
        .iter()
        .any(|c| c.table == "grant_closures" && c.shadow_rows == 1));

    sqlx::query("UPDATE public.grants SET amount_cents = amount_cents + 1 WHERE grant_id = 'g3'")
        .execute(&ledger.pool)
        .await
        .unwrap();
    let checks = verify(&ledger.database_url, "public", "shadow")
        .await
        .unwrap();
    let different: Vec<&str> = checks
        .iter()
        .filter(|c| !c.equal)
        .map(|c| c.table.as_str())
        .collect();
    assert_eq!(different, ["grants"]);
    let grants = checks.iter().find(|c| c.table == "grants").unwrap();
    assert!(
        grants.only_live[0].contains("\"g3\""),
        "{:?}",
        grants.only_live
    );
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_rebuild_until_a_date_gives_the_books_the_api_shows_as_of_that_date() {
    let ledger = TestLedger::with_envelope(100_000_000).await.unwrap();
    history(&ledger, 3).await;
    let kafka = kafka();
    let until = time::macros::date!(2022 - 12 - 31);
    let done = rebuild(
        Plan {
            database_url: &ledger.database_url,
            schema: "books_2022",
            projection: "ledger",
            kafka: &kafka,
            topics: &ledger.topics,
            ring: &key_ring(),
            until: Some(until),
            batch: 100,
        },
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(done.skipped, 1, "the 2023 payment is left out");
    let shadow = pool_in(&ledger.database_url, "books_2022", 2)
        .await
        .unwrap();
    let books = ledger_readmodel::queries::envelope_balance(&shadow, "cvl-msp", Default::default())
        .await
        .unwrap()
        .unwrap();
    let (_, api) = ledger
        .get("/v1/envelopes/cvl-msp/balance?as_of=2022-12-31")
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&books).unwrap()["paid_cents"],
        api["paid_cents"]
    );
    for figure in [
        "voted_cents",
        "committed_cents",
        "available_cents",
        "paid_cents",
        "remaining_to_pay_cents",
        "grants",
    ] {
        assert_eq!(
            serde_json::to_value(&books).unwrap()[figure],
            api[figure],
            "{figure}"
        );
    }
    assert_eq!(api["paid_cents"], 0);
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_rebuild_killed_midway_and_started_again_completes_exactly() {
    let ledger = TestLedger::with_envelope(100_000_000).await.unwrap();
    history(&ledger, 150).await;
    let mut child = ledger_tests::ChildGuard(
        std::process::Command::new(env!("CARGO_BIN_EXE_test-rebuild"))
            .args([&ledger.database_url, "resumed", &ledger.namespace])
            .spawn()
            .unwrap(),
    );
    // Kill it once some batches are in (or after a moment, whichever first).
    for _ in 0..100 {
        let written: Option<i64> =
            sqlx::query_scalar("SELECT sum(next_offset)::bigint FROM resumed.projection_offsets")
                .fetch_one(&ledger.pool)
                .await
                .unwrap_or(None);
        if written.unwrap_or(0) > 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill();
    ledger.rebuilt_equal("resumed").await;
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_dead_letter_redriven_goes_back_to_the_gateway() {
    let mut ledger = TestLedger::start().await.unwrap();
    ledger.start_inbound("demo=*").await.unwrap();
    let producer: FutureProducer = kafka().admin().create().unwrap();
    producer
        .send(
            FutureRecord::to(&ledger.topics.inbound_of("demo"))
                .key("k-1")
                .payload(&b"not a command"[..]),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let kafka = kafka();
    let letters = |n: usize| {
        let (kafka, topics) = (kafka.clone(), ledger.topics.clone());
        async move {
            for _ in 0..200 {
                let found = ledger_ctl::deadletters::list(&kafka, &topics, 0)
                    .await
                    .unwrap();
                if found.len() >= n {
                    return found;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("fewer than {n} dead letters");
        }
    };
    let first = letters(1).await;
    assert_eq!(first[0].1.value, b"not a command");
    // The suite's login stands for both ledgerctl's and the system's here.
    let (sent, next) = ledger_ctl::deadletters::redrive(&kafka, &kafka, &ledger.topics, "demo", 0)
        .await
        .unwrap();
    assert_eq!((sent, next), (1, first[0].0 + 1));
    // Still undecodable: answered again, as a new dead letter of the
    // re-driven record, never dropped.
    let both = letters(2).await;
    assert_eq!(both.len(), 2);
    assert_eq!(both[1].1.value, b"not a command");
    let at = |l: &ledger_proto::v1::DeadLetter| (l.source_partition, l.source_offset);
    assert_ne!(at(&both[1].1), at(&both[0].1), "a record of its own");
    ledger.shutdown().await;
}

#[tokio::test]
async fn after_a_swap_the_running_projector_and_api_serve_the_new_tables_without_a_restart() {
    let ledger = TestLedger::with_envelope(100_000_000).await.unwrap();
    history(&ledger, 10).await;
    let kafka = kafka();
    rebuild(
        Plan {
            database_url: &ledger.database_url,
            schema: "fresh",
            projection: "ledger",
            kafka: &kafka,
            topics: &ledger.topics,
            ring: &key_ring(),
            until: None,
            batch: 100,
        },
        |_| {},
    )
    .await
    .unwrap();
    ledger_ctl::rebuild::swap(&ledger.database_url, "public", "fresh", "retired")
        .await
        .unwrap();

    // The projector writes a new award into the swapped-in tables, and the
    // API (same process, same pool as before) reads it from there.
    let (status, body) = ledger
        .command("award-grant", None, &award("after-swap", "cvl-msp", 7_000))
        .await
        .unwrap();
    assert_eq!(status, 201, "{body}");
    let balance = ledger
        .balance_after("cvl-msp", &ledger_tests::position(&body))
        .await
        .unwrap();
    let expected: i64 = (0..10).map(|i| 1_000 + i).sum::<i64>() + 7_000;
    assert_eq!(balance["committed_cents"], expected, "{balance}");
    let (status, grant) = ledger.get("/v1/grants/after-swap").await.unwrap();
    assert_eq!(status, 200, "{grant}");
    let in_new: i64 =
        sqlx::query_scalar("SELECT count(*) FROM public.grants WHERE grant_id = 'after-swap'")
            .fetch_one(&ledger.pool)
            .await
            .unwrap();
    let in_old: i64 =
        sqlx::query_scalar("SELECT count(*) FROM retired.grants WHERE grant_id = 'after-swap'")
            .fetch_one(&ledger.pool)
            .await
            .unwrap();
    assert_eq!(
        (in_new, in_old),
        (1, 0),
        "the projector moved to the new tables"
    );
    ledger.shutdown().await;
}

/// A log whose tail is gone still verifies link by link up to where it
/// stops; what shows the loss is the read model, which projected events the
/// log no longer holds. Simulated here from the other side: the read model
/// is made to have seen one event further than the log ends.
#[tokio::test]
async fn verify_against_the_read_model_reports_a_removed_tail() {
    let ledger = TestLedger::with_envelope(100_000_000).await.unwrap();
    let last = history(&ledger, 5).await;
    let kafka = kafka();
    let projected = ledger_ctl::audit::Projected::load(&ledger.database_url, &ledger.topics.grants)
        .await
        .unwrap();
    assert!(!projected.last.is_empty());
    let intact = audit_topic(
        &kafka,
        &key_ring(),
        &ledger.topics.grants,
        projected,
        |_| {},
    )
    .await
    .unwrap();
    assert!(intact.broken.is_empty(), "{:?}", intact.broken);

    // The last projected event of the partition `last` points at, moved
    // past the log's end: as if the log had lost it.
    let partition: i32 = last.split(':').nth(1).unwrap().parse().unwrap();
    sqlx::query(
        "UPDATE events SET \"offset\" = \"offset\" + 1000 WHERE topic = $1 AND partition = $2
           AND \"offset\" = (SELECT max(\"offset\") FROM events WHERE topic = $1 AND partition = $2)",
    )
    .bind(&ledger.topics.grants)
    .bind(partition)
    .execute(&ledger.pool)
    .await
    .unwrap();
    let projected = ledger_ctl::audit::Projected::load(&ledger.database_url, &ledger.topics.grants)
        .await
        .unwrap();
    let audit = audit_topic(
        &kafka,
        &key_ring(),
        &ledger.topics.grants,
        projected,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(audit.broken.len(), 1, "{:?}", audit.broken);
    assert_eq!(audit.broken[0].partition, partition);
    assert!(
        audit.broken[0].why.starts_with("tail removed"),
        "{}",
        audit.broken[0].why
    );
    ledger.shutdown().await;
}

/// The writer signs a checkpoint of its heads into its own log, so a log
/// whose tail is gone shows it on its own, without the read model: here a
/// copy of the grants topic, record for record at the same offsets, is
/// audited whole (it holds) and without the last award's record (the
/// checkpoint written with it, on another partition, says that stream had
/// come further).
#[tokio::test]
async fn verify_chain_finds_a_removed_tail_from_the_writers_checkpoints() {
    let mut ledger = TestLedger::empty().await.unwrap();
    ledger.checkpoint_every = 1;
    let ledger = ledger.start_all().await.unwrap();
    ledger
        .accepted("declare-programme", ledger_tests::declare_programme())
        .await;
    const ENVELOPES: [&str; 4] = ["env-a", "env-b", "env-c", "env-d"];
    for (i, envelope) in ENVELOPES.into_iter().enumerate() {
        ledger
            .accepted(
                "open-envelope",
                ledger_tests::open_envelope(envelope, 1_000_000),
            )
            .await;
        ledger
            .accepted("award-grant", award(&format!("g{i}"), envelope, 1_000))
            .await;
    }
    let kafka = kafka();
    let records = read_all(&kafka, &ledger.topics.grants).await;
    let checkpoints: Vec<_> = records
        .iter()
        .filter(|r| is_checkpoint(&r.payload))
        .collect();
    assert!(!checkpoints.is_empty(), "every batch wrote a checkpoint");
    let on = checkpoints[0].partition;
    // One more award, on a partition other than the checkpoints'.
    let envelope = ENVELOPES
        .into_iter()
        .find(|e| {
            records
                .iter()
                .any(|r| r.partition != on && r.key.as_deref() == Some(e.as_bytes()))
        })
        .expect("an envelope on another partition than the checkpoints'");
    let last = ledger
        .accepted("award-grant", award("g-last", envelope, 1_000))
        .await;
    let partition: i32 = last.split(':').nth(1).unwrap().parse().unwrap();
    let offset: i64 = last.split(':').nth(2).unwrap().parse().unwrap();
    let records = read_all(&kafka, &ledger.topics.grants).await;

    let whole = copy_of(&ledger, "w", &records).await;
    let audit = audit_topic(&kafka, &key_ring(), &whole, Default::default(), |_| {})
        .await
        .unwrap();
    assert!(
        audit.broken.is_empty(),
        "the copy holds: {:?}",
        audit.broken
    );

    let kept: Vec<_> = records
        .iter()
        .filter(|r| (r.partition, r.offset) != (partition, offset))
        .cloned()
        .collect();
    assert_eq!(kept.len(), records.len() - 1);
    let cut = copy_of(&ledger, "c", &kept).await;
    let audit = audit_topic(&kafka, &key_ring(), &cut, Default::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(audit.broken.len(), 1, "{:?}", audit.broken);
    let broken = &audit.broken[0];
    assert_eq!(
        broken.partition, on,
        "reported at the checkpoint that saw it"
    );
    assert!(
        broken
            .why
            .starts_with("tail removed: stream grant/g-last ends at version 0"),
        "{}",
        broken.why
    );
    ledger.shutdown().await;
}

fn is_checkpoint(payload: &[u8]) -> bool {
    matches!(
        ledger_proto::v1::EventEnvelope::decode(payload).map(|e| e.payload),
        Ok(Some(Payload::ChainCheckpoint(_)))
    )
}

async fn read_all(kafka: &ledger_kafka::KafkaConfig, topic: &str) -> Vec<ledger_kafka::ReadRecord> {
    ledger_kafka::read_to_end(kafka, topic, Vec::new(), |all, record| {
        all.push(record.clone());
        Ok(())
    })
    .await
    .unwrap()
}

/// A copy of `records` in a topic of its own, each at the offset it had: a
/// run of consecutive offsets goes in one transaction, whose commit marker
/// takes the next offset, as the writer's did.
async fn copy_of(ledger: &TestLedger, tag: &str, records: &[ledger_kafka::ReadRecord]) -> String {
    let topics = ledger_kafka::Topics::new(&format!("{}{tag}", ledger.namespace));
    ledger_kafka::ensure_topics(&kafka(), &topics.specs(3), 1)
        .await
        .unwrap();
    let producer =
        ledger_kafka::TxProducer::connect(&kafka(), &kafka().own_transactional_id(&topics, "copy"))
            .await
            .unwrap();
    let mut sorted: Vec<_> = records.to_vec();
    sorted.sort_by_key(|r| (r.partition, r.offset));
    let mut runs: Vec<Vec<&ledger_kafka::ReadRecord>> = Vec::new();
    for record in &sorted {
        match runs.last_mut() {
            Some(run)
                if run.last().is_some_and(|r| {
                    r.partition == record.partition && r.offset + 1 == record.offset
                }) =>
            {
                run.push(record)
            }
            _ => runs.push(vec![record]),
        }
    }
    for run in runs {
        let outbound: Vec<_> = run
            .iter()
            .map(|r| ledger_kafka::OutboundRecord {
                topic: topics.grants.clone(),
                key: String::from_utf8(r.key.clone().unwrap_or_default()).unwrap(),
                payload: r.payload.clone(),
                event_type: "copy".into(),
            })
            .collect();
        let positions = producer.append(&outbound).await.unwrap();
        for (r, p) in run.iter().zip(&positions) {
            assert_eq!(
                (p.partition, p.offset),
                (r.partition, r.offset),
                "copied in place"
            );
        }
    }
    topics.grants
}

/// With the services' defaults, one transaction that moves a thousand
/// streams (a batch of a thousand awards) carries as many checkpoints as
/// it takes, each below the largest event, and together they name every
/// stream at its head.
#[tokio::test]
async fn a_transaction_of_a_thousand_streams_is_covered_by_its_checkpoints() {
    let ledger = TestLedger::with_envelope(100_000_000).await.unwrap();
    let commands: Vec<_> = (0..1_000)
        .map(|i| {
            serde_json::json!({"command_id": format!("many-{i}"),
                "award_grant": award(&format!("many-{i}"), "cvl-msp", 1_000)})
        })
        .collect();
    let response = ledger
        .http
        .post(ledger.service_url("grants", "/v1/commands:batch"))
        .json(&serde_json::json!({ "commands": commands }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert!(answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["outcome"] == "accepted"));

    let kafka = kafka();
    let mut covered = std::collections::HashSet::new();
    for record in read_all(&kafka, &ledger.topics.grants).await {
        let event = ledger_proto::v1::EventEnvelope::decode(record.payload.as_slice()).unwrap();
        if let Some(Payload::ChainCheckpoint(checkpoint)) = event.payload {
            assert!(
                record.payload.len() < 64 * 1024,
                "{} bytes",
                record.payload.len()
            );
            covered.extend(
                checkpoint
                    .heads
                    .into_iter()
                    .filter_map(|h| h.stream)
                    .map(|s| s.id),
            );
        }
    }
    let named = (0..1_000)
        .filter(|i| covered.contains(&format!("many-{i}")))
        .count();
    assert!(
        named >= 850,
        "the busy transaction's checkpoints name {named} of 1,000 grants"
    );
    let audit = audit_topic(
        &kafka,
        &key_ring(),
        &ledger.topics.grants,
        Default::default(),
        |_| {},
    )
    .await
    .unwrap();
    assert!(audit.broken.is_empty(), "{:?}", audit.broken);
    ledger.shutdown().await;
}
