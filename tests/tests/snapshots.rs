//! Writers restored from snapshots: the same answers, rules and chains as a
//! writer that read its whole topic, and a snapshot the topic does not
//! confirm is set aside, never trusted.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::{path::PathBuf, time::Duration};

use ledger_domain::chain::StreamHeads;
use ledger_tests::{award, declare_programme, open_envelope, person, TestLedger};
use serde_json::{json, Value};

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ledger-snapshots-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn send(ledger: &TestLedger, command: &str, key: &str, body: Value) -> (u16, Value) {
    ledger.command(command, Some(key), &body).await.unwrap()
}

async fn accepted(ledger: &TestLedger, command: &str, key: &str, body: Value) -> Value {
    let (status, answer) = send(ledger, command, key, body).await;
    assert_eq!(status, 201, "{command}: {answer}");
    answer
}

/// Retries until the command gets `status`: another context's event may
/// not have reached the service yet.
async fn eventually(ledger: &TestLedger, command: &str, key: &str, body: Value, status: u16) {
    for _ in 0..200 {
        if send(ledger, command, key, body.clone()).await.0 == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{command} never answered {status}");
}

async fn setup(ledger: &TestLedger, envelope_cents: i64) {
    accepted(ledger, "declare-programme", "p", declare_programme()).await;
    accepted(
        ledger,
        "open-envelope",
        "e",
        open_envelope("cvl-msp", envelope_cents),
    )
    .await;
}

fn snapshot_file(dir: &std::path::Path, topic: &str) -> PathBuf {
    dir.join(format!("{topic}.snapshot"))
}

/// An award carrying the obligation terms [`obligation`] starts on.
fn award_with_terms(id: &str, cents: i64) -> Value {
    let mut award = award(id, "cvl-msp", cents);
    award["obligation"] = json!({"duration_months": 36, "territory": {"departement_code": "41"},
                                 "recovery_rule": "RECOVERY_RULE_PRORATA"});
    award
}

fn obligation(id: &str, grant: &str) -> Value {
    json!({"obligation_id": id, "grant_id": grant, "beneficiary": {"person_id": person("p-1")},
           "territory": {"departement_code": "41"}, "duration_months": 36, "start_date": "2023-11-01"})
}

#[tokio::test]
async fn a_writer_restored_from_a_snapshot_answers_and_decides_as_if_it_had_read_everything() {
    let mut ledger = TestLedger::empty().await.unwrap();
    let dir = scratch();
    // A snapshot every 3 events: some are taken while commands flow.
    ledger.snapshots = Some((dir.clone(), 3));
    ledger.start_emitter("grants").await.unwrap();
    ledger.start_emitter("obligations").await.unwrap();
    setup(&ledger, 1_000).await;
    let first = accepted(&ledger, "award-grant", "a1", award_with_terms("g1", 600)).await;
    eventually(
        &ledger,
        "start-obligation",
        "o1",
        obligation("o1", "g1"),
        201,
    )
    .await;
    ledger.stop_emitter("grants").await;
    ledger.stop_emitter("obligations").await;
    assert!(snapshot_file(&dir, &ledger.topics.grants).exists());
    assert!(snapshot_file(&dir, &ledger.topics.obligations).exists());

    // Events the snapshots do not hold: written with snapshots off.
    ledger.snapshots = None;
    ledger.start_emitter("grants").await.unwrap();
    let second = accepted(&ledger, "award-grant", "a2", award_with_terms("g2", 300)).await;
    ledger.stop_emitter("grants").await;

    ledger.snapshots = Some((dir.clone(), 1_000));
    ledger.start_emitter("grants").await.unwrap();
    ledger.start_emitter("obligations").await.unwrap();

    // The same answers to the same commands, from the snapshot and the tail.
    // (A replay gets the first call's status and body.)
    let (status, again) = send(&ledger, "award-grant", "a1", award_with_terms("g1", 600)).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again, first);
    let (status, again) = send(&ledger, "award-grant", "a2", award_with_terms("g2", 300)).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again, second);
    let (status, conflict) = send(&ledger, "award-grant", "a1", award("g9", "cvl-msp", 1)).await;
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(conflict["error"]["code"], "idempotency_conflict");

    // The envelope has exactly 1,000 − 600 − 300 = 100 cents left.
    let (status, refused) = send(&ledger, "award-grant", "a3", award("g3", "cvl-msp", 101)).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "envelope_overcommitted");
    accepted(&ledger, "award-grant", "a4", award("g3", "cvl-msp", 100)).await;

    // The obligations service resumed following grants where its snapshot
    // left off: it learns g2 (awarded after), and o1 is still known.
    eventually(
        &ledger,
        "start-obligation",
        "o2",
        obligation("o2", "g2"),
        201,
    )
    .await;
    let (status, replay) = send(&ledger, "start-obligation", "o1", obligation("o1", "g1")).await;
    assert_eq!(status, 201, "{replay}");
    assert_eq!(replay["events"][0]["stream"]["id"], "o1");

    // Stream versions went on without a gap: the chain verifies end to end.
    let mut heads = StreamHeads::default();
    for event in ledger.grants_events().await.unwrap() {
        heads.advance(&event).unwrap();
    }
    let awards = ledger
        .grants_events()
        .await
        .unwrap()
        .iter()
        .filter(|e| e.command_id.starts_with('a'))
        .count();
    assert_eq!(awards, 3, "a1, a2 and a4, each once");
    ledger.shutdown().await;
    std::fs::remove_dir_all(dir).ok();
}

/// Rewrites the label of a snapshot file so that it claims to be `topic`'s:
/// what a snapshot of a deleted and recreated topic looks like. The layout
/// is magic (8 bytes), format (u32 LE), label length (u32 LE), label, rest.
fn relabel(bytes: &[u8], topic: &str) -> Vec<u8> {
    let len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let old = std::str::from_utf8(&bytes[16..16 + len]).unwrap();
    let (_, state_type) = old.split_once(' ').unwrap();
    let label = format!("{topic} {state_type}");
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&(label.len() as u32).to_le_bytes());
    out.extend_from_slice(label.as_bytes());
    out.extend_from_slice(&bytes[16 + len..]);
    out
}

#[tokio::test]
async fn a_snapshot_the_topic_does_not_confirm_or_a_damaged_one_is_set_aside() {
    // Ledger A: 900 of the envelope's 1,000 committed, snapshot taken.
    let mut a = TestLedger::empty().await.unwrap();
    let dir_a = scratch();
    a.snapshots = Some((dir_a.clone(), 1_000));
    a.start_emitter("grants").await.unwrap();
    setup(&a, 1_000).await;
    accepted(&a, "award-grant", "a1", award("g1", "cvl-msp", 900)).await;
    a.stop_emitter("grants").await;
    let snapshot_a = std::fs::read(snapshot_file(&dir_a, &a.topics.grants)).unwrap();

    // Ledger B: only 100 committed. A's snapshot, passed off as B's, must
    // not be believed: B's topic does not hold A's last events.
    let mut b = TestLedger::empty().await.unwrap();
    let dir_b = scratch();
    b.snapshots = Some((dir_b.clone(), 1_000));
    b.start_emitter("grants").await.unwrap();
    setup(&b, 1_000).await;
    accepted(&b, "award-grant", "b1", award("g1", "cvl-msp", 100)).await;
    b.stop_emitter("grants").await;
    let path_b = snapshot_file(&dir_b, &b.topics.grants);
    std::fs::write(&path_b, relabel(&snapshot_a, &b.topics.grants)).unwrap();
    b.start_emitter("grants").await.unwrap();
    accepted(&b, "award-grant", "b2", award("g2", "cvl-msp", 500)).await;
    b.stop_emitter("grants").await;

    // A damaged snapshot (cut short) is set aside too: 400 are left, not 900.
    let good = std::fs::read(&path_b).unwrap();
    std::fs::write(&path_b, &good[..good.len() - 10]).unwrap();
    b.start_emitter("grants").await.unwrap();
    let (status, refused) = send(&b, "award-grant", "b3", award("g3", "cvl-msp", 401)).await;
    assert_eq!(status, 409, "{refused}");
    accepted(&b, "award-grant", "b4", award("g3", "cvl-msp", 400)).await;

    a.shutdown().await;
    b.shutdown().await;
    std::fs::remove_dir_all(dir_a).ok();
    std::fs::remove_dir_all(dir_b).ok();
}
