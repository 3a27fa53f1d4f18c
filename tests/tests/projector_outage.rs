//! PostgreSQL crashes (`pg_ctl stop -m immediate`) and comes back while
//! events flow: the projector waits the outage out and ends with exact
//! balances, records the outage, and faults no partition. The database is a
//! server of this test's own, so the shared stack is never touched.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::{collections::HashMap, time::Duration};

use ledger_tests::{award, declare_programme, open_envelope, PrivatePostgres, TestLedger};
use sqlx::postgres::PgPoolOptions;

const AWARDS: i64 = 240;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_crash_during_projection_is_waited_out_not_faulted() {
    let pg = PrivatePostgres::start().unwrap();
    let mut ledger = TestLedger::empty().await.unwrap();
    ledger.database_url = pg.url();
    // The private server has no roles of its own: the API reads as its owner.
    ledger.reader_database_url = pg.url();
    ledger.start_grants().await.unwrap();
    for (command, key, body) in [
        ("declare-programme", "p", declare_programme()),
        (
            "open-envelope",
            "e",
            open_envelope("cvl-msp", 2_000_000_000),
        ),
    ] {
        let (status, answer) = ledger.command(command, Some(key), &body).await.unwrap();
        assert_eq!(status, 201, "{answer}");
    }
    ledger.start_projector().await.unwrap();
    ledger.start_api().await.unwrap();

    let mut highest: HashMap<i64, i64> = HashMap::new();
    for chunk in (1..=AWARDS).collect::<Vec<_>>().chunks(10) {
        if chunk[0] == 81 {
            pg.crash().unwrap();
        }
        if chunk[0] == 121 {
            // The read API says the read model is unavailable rather than
            // serve anything.
            let (status, body) = ledger.get("/v1/status").await.unwrap();
            assert_eq!(status, 503, "{body}");
            assert_eq!(body["error"]["code"], "read_model_unavailable", "{body}");
            // Long enough for the projector to give up waiting for a
            // connection (and show the outage) more than once.
            tokio::time::sleep(Duration::from_secs(6)).await;
            pg.up().unwrap();
        }
        let answers = futures::future::join_all(chunk.iter().map(|&i| {
            let ledger = &ledger;
            async move {
                let body = award(&format!("g-{i}"), "cvl-msp", 100_000 + i);
                ledger
                    .command("award-grant", Some(&format!("k-{i}")), &body)
                    .await
                    .unwrap()
            }
        }))
        .await;
        for (status, body) in answers {
            assert_eq!(status, 201, "commands do not need the read model: {body}");
            let e = &body["events"][0];
            let slot = highest.entry(e["partition"].as_i64().unwrap()).or_insert(0);
            *slot = (*slot).max(e["offset"].as_i64().unwrap());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&pg.url())
        .await
        .unwrap();
    let topic = ledger.topics.grants.clone();
    let mut caught_up = false;
    for _ in 0..600 {
        let rows: Vec<(i32, i64)> = sqlx::query_as(
            "SELECT partition, next_offset FROM projection_offsets WHERE topic = $1",
        )
        .bind(&topic)
        .fetch_all(&pool)
        .await
        .unwrap_or_default();
        let at: HashMap<i64, i64> = rows.into_iter().map(|(p, n)| (i64::from(p), n)).collect();
        if highest
            .iter()
            .all(|(p, o)| at.get(p).is_some_and(|n| n > o))
        {
            caught_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(caught_up, "the projector caught up after the outage");

    let expected: i64 = (1..=AWARDS).map(|i| 100_000 + i).sum();
    let (committed, grants): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT committed_cents FROM envelopes WHERE envelope_id = 'cvl-msp'),
                (SELECT count(*) FROM grants)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(grants, AWARDS, "nothing lost, nothing doubled");
    assert_eq!(committed, expected);
    let journal: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(amount_cents), 0)::int8 FROM postings WHERE account = 'committed_unpaid'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(journal, expected, "the journal agrees to the cent");
    let faults: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_faults")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(faults, 0, "an outage is not a bad event");
    let outages: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_outages")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(outages >= 1, "the outage is on record for ops");
    let (status, body) = ledger.get("/v1/status").await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body["faults"].as_array().unwrap().is_empty(), "{body}");
    assert!(
        !body["outages"].as_array().unwrap().is_empty(),
        "ops see the outage: {body}"
    );
    pool.close().await;
    ledger.shutdown().await;
}
