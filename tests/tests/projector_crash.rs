//! The projector killed with SIGKILL in the middle of a stream of events and
//! restarted ends with exact balances: nothing lost, nothing counted twice.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::time::Duration;

use ledger_tests::{
    award, declare_programme, open_envelope, position, spawn_projector_process, TestLedger,
};

const AWARDS: usize = 600;
const SERVICE: &str = env!("CARGO_BIN_EXE_test-service");

async fn projected_grants(ledger: &TestLedger) -> i64 {
    // The table exists once the first projector has migrated the database.
    sqlx::query_scalar("SELECT count(*) FROM grants")
        .fetch_one(&ledger.pool)
        .await
        .unwrap_or(0)
}

fn sigkill(child: &mut ledger_tests::ChildGuard) {
    child.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_mid_stream_resumes_without_loss_or_double_count() {
    let mut ledger = TestLedger::empty().await.expect("stack up");
    ledger.start_grants().await.unwrap();
    ledger.start_api().await.unwrap();
    let (_, programme) = ledger
        .command("declare-programme", Some("p"), &declare_programme())
        .await
        .unwrap();
    ledger
        .command(
            "open-envelope",
            Some("e"),
            &open_envelope("cvl-msp", 2_000_000_000),
        )
        .await
        .unwrap();

    // Amounts 1..=600 cents plus a per-award offset make every award distinct,
    // so a lost or doubled one shows in the total.
    let expected_total: i64 = (1..=AWARDS as i64).map(|i| 100_000 + i).sum();

    // One event per transaction: the kill lands between many small commits.
    let mut projector = spawn_projector_process(SERVICE, &ledger, 1).unwrap();

    let writer = {
        let ledger = &ledger;
        async move {
            // Awards of one chunk commit in any order: keep the highest offset.
            let mut last: Option<(i64, String)> = None;
            for chunk in (1..=AWARDS).collect::<Vec<_>>().chunks(20) {
                let answers = futures::future::join_all(chunk.iter().map(|&i| async move {
                    let body = award(&format!("g-{i}"), "cvl-msp", 100_000 + i as i64);
                    ledger
                        .command("award-grant", Some(&format!("k-{i}")), &body)
                        .await
                        .unwrap()
                }))
                .await;
                for (status, body) in answers {
                    assert_eq!(status, 201, "{body}");
                    let offset = body["events"][0]["offset"].as_i64().unwrap();
                    if last.as_ref().is_none_or(|(o, _)| offset > *o) {
                        last = Some((offset, position(&body)));
                    }
                }
            }
            last.map(|(_, at)| at).unwrap()
        }
    };
    let killer = async {
        let mut kills = 0;
        let mut killed_at = Vec::new();
        while kills < 2 {
            if let Some(status) = projector.0.try_wait().expect("projector status") {
                panic!("the projector exited by itself: {status}");
            }
            let done = projected_grants(&ledger).await;
            if done > (kills as i64 + 1) * 40 {
                sigkill(&mut projector);
                killed_at.push(done);
                kills += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
                projector = spawn_projector_process(SERVICE, &ledger, 1).unwrap();
            } else {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        killed_at
    };
    let (last, killed_at) = tokio::join!(writer, killer);
    assert_eq!(killed_at.len(), 2);
    assert!(
        killed_at.iter().all(|&n| n < AWARDS as i64),
        "each kill landed mid-stream: {killed_at:?}"
    );

    let balance = ledger.balance_after("cvl-msp", &last).await.unwrap();
    assert_eq!(balance["committed_cents"], expected_total, "{balance}");
    assert_eq!(balance["available_cents"], 2_000_000_000 - expected_total);
    assert_eq!(balance["grants"], AWARDS as i64);
    // The programme's event sits on another partition: wait for it as well.
    ledger
        .balance_after("cvl-msp", &position(&programme))
        .await
        .unwrap();
    // The facts (the writer's checkpoints come on top, as the log holds them).
    let indexed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type <> 'ChainCheckpoint'")
            .fetch_one(&ledger.pool)
            .await
            .unwrap();
    assert_eq!(indexed, AWARDS as i64 + 2);

    sigkill(&mut projector);
    ledger.shutdown().await;
}
