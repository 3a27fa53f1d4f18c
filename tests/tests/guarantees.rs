//! A loan guarantee through its whole life on the real stack: capped by
//! its programme's share, its exposure following the lender's schedule and
//! reports, a call that pays the lender from the envelope within what is
//! left, and the claim on the borrower with a titre's lifecycle; the
//! register a controller attaches to the budget; and a rebuild from the log
//! equal to the live view.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use ledger_tests::{award, TestLedger};
use serde_json::{json, Value};

/// A €400,000 bank loan repaid €100,000 a year from 2024, half guaranteed.
fn guarantee(guaranteed_cents: i64) -> Value {
    let schedule = [2024, 2025, 2026, 2027]
        .map(|y| json!({"due_date": format!("{y}-01-01"), "amount_cents": 10_000_000}));
    json!({"guarantee_id": "gar-1", "envelope_id": "cvl-msp",
           "borrower": {"legal_entity": {"siret": "21410018200010", "name": "SISA de Blois"}},
           "lender": {"siret": "23450002300028", "name": "Banque régionale"},
           "principal_cents": 40_000_000, "guaranteed_cents": guaranteed_cents,
           "start_date": "2023-01-01", "end_date": "2027-12-31", "purpose": "Extension de la MSP",
           "effective_date": "2023-01-01",
           "lender_schedule": schedule})
}

async fn register(ledger: &TestLedger, as_of: &str, position: &str) -> Value {
    let (status, body) = ledger
        .get(&format!(
            "/v1/guarantees?envelope_id=cvl-msp&as_of={as_of}&wait_for={position}&wait_ms=20000"
        ))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    body["guarantees"][0].clone()
}

fn exposure(row: &Value) -> [i64; 2] {
    ["outstanding_principal_cents", "exposure_cents"].map(|k| row[k].as_i64().unwrap_or(i64::MIN))
}

#[tokio::test]
async fn a_guarantee_follows_its_loan_is_called_and_its_claim_recovered() {
    let ledger = TestLedger::with_envelope(30_000_000).await.unwrap();
    // The programme's rule: at most half of the principal.
    let answer = ledger
        .refused(
            "grant-loan-guarantee",
            &guarantee(20_000_001),
            422,
            "invalid_field",
        )
        .await;
    assert_eq!(answer["error"]["field"], "guaranteed_cents", "{answer}");
    let granted = ledger
        .accepted("grant-loan-guarantee", guarantee(20_000_000))
        .await;
    let row = register(&ledger, "2023-06-30", &granted).await;
    assert_eq!(row["share_basis_points"], 5_000, "{row}");
    assert_eq!(exposure(&row), [40_000_000, 20_000_000]);
    // By mid-2024 the schedule has one instalment repaid.
    let row = register(&ledger, "2024-06-30", &granted).await;
    assert_eq!(exposure(&row), [30_000_000, 15_000_000]);

    // The lender reports the borrower a year behind at the end of 2024;
    // the schedule amortises on from there.
    let report = json!({"guarantee_id": "gar-1", "report_id": "2024-12", "outstanding_principal_cents": 40_000_000,
                        "reference": "Relevé du 31/12/2024", "effective_date": "2024-12-31"});
    let mut too_much = report.clone();
    too_much["outstanding_principal_cents"] = json!(40_000_001);
    ledger
        .refused("report-guaranteed-loan", &too_much, 422, "invalid_field")
        .await;
    let reported = ledger
        .accepted("report-guaranteed-loan", report.clone())
        .await;
    ledger
        .refused("report-guaranteed-loan", &report, 409, "already_exists")
        .await;
    let row = register(&ledger, "2024-12-31", &reported).await;
    assert_eq!(exposure(&row), [40_000_000, 20_000_000]);
    let row = register(&ledger, "2025-06-30", &reported).await;
    assert_eq!(exposure(&row), [30_000_000, 15_000_000]);

    // Most of the envelope is committed elsewhere: €300,000 voted, €200,000
    // awarded, so a call finds €100,000 left to commit.
    ledger
        .accepted("award-grant", award("g1", "cvl-msp", 20_000_000))
        .await;
    let call = |cents: i64| {
        json!({"guarantee_id": "gar-1", "called_cents": cents, "mandate_reference": "M-2025-611",
               "title_reference": "T-2025-212", "effective_date": "2025-06-30"})
    };
    // Never beyond the exposure at the date, nor beyond the envelope.
    ledger
        .refused(
            "call-loan-guarantee",
            &call(15_000_001),
            409,
            "invalid_state",
        )
        .await;
    ledger
        .refused(
            "call-loan-guarantee",
            &call(10_000_001),
            409,
            "envelope_overcommitted",
        )
        .await;
    let called = ledger
        .accepted("call-loan-guarantee", call(10_000_000))
        .await;
    ledger
        .refused("call-loan-guarantee", &call(1), 409, "invalid_state")
        .await;
    let row = register(&ledger, "2025-12-31", &called).await;
    assert_eq!(
        (
            row["release"].as_str(),
            row["called_cents"].as_i64(),
            row["exposure_cents"].as_i64(),
            row["claim_outstanding_cents"].as_i64(),
        ),
        (
            Some("GUARANTEE_RELEASE_CALLED"),
            Some(10_000_000),
            Some(0),
            Some(10_000_000)
        ),
        "{row}"
    );

    // The claim on the borrower: a plan, an instalment received, a waiver.
    let plan = json!({"guarantee_id": "gar-1", "recovery_id": "call", "decision_reference": "ECH-2025-9",
        "effective_date": "2025-07-15", "instalments": [
            {"due_date": "2025-09-01", "amount_cents": 5_000_000},
            {"due_date": "2026-03-01", "amount_cents": 5_000_000}]});
    ledger.accepted("schedule-recovery", plan).await;
    let receive = |cents: i64| {
        json!({"guarantee_id": "gar-1", "recovery_id": "call", "amount_cents": cents,
               "receipt_reference": "ENC-2025-77", "effective_date": "2025-09-02"})
    };
    ledger
        .refused(
            "receive-recovery",
            &receive(10_000_001),
            409,
            "invalid_state",
        )
        .await;
    ledger
        .accepted("receive-recovery", receive(5_000_000))
        .await;
    let waived = ledger
        .accepted(
            "adjust-recovery",
            json!({"guarantee_id": "gar-1", "recovery_id": "call", "adjustment": "RECOVERY_ADJUSTMENT_WAIVED",
                   "amount_cents": 1_000_000, "decision_reference": "DCD-2025-11", "reason": "situation de la SISA",
                   "effective_date": "2025-11-15"}),
        )
        .await;
    let row = register(&ledger, "2025-12-31", &waived).await;
    assert_eq!(
        (
            row["claim_received_cents"].as_i64(),
            row["claim_outstanding_cents"].as_i64()
        ),
        (Some(5_000_000), Some(4_000_000)),
        "{row}"
    );
    let (status, titres) = ledger
        .get("/v1/guarantees/gar-1/recoveries?as_of=2026-06-30")
        .await
        .unwrap();
    assert_eq!(status, 200, "{titres}");
    let claim = &titres[0];
    assert_eq!(
        [
            "ordered_cents",
            "received_cents",
            "waived_cents",
            "outstanding_cents",
            "arrears_cents"
        ]
        .map(|k| claim[k].as_i64().unwrap_or(i64::MIN)),
        [10_000_000, 5_000_000, 1_000_000, 4_000_000, 4_000_000],
        "{claim}"
    );
    let (status, _) = ledger
        .get("/v1/guarantees/gar-unknown/recoveries")
        .await
        .unwrap();
    assert_eq!(status, 404);

    // The books: the call is committed and paid on the envelope (nothing is
    // left to commit), the memo exposure is gone, the claim is a recovery.
    let (_, balances) = ledger
        .get("/v1/balances?envelope_id=cvl-msp&fiscal_year=2025")
        .await
        .unwrap();
    let year = &balances["balances"][0];
    assert_eq!(
        [
            "available_cents",
            "paid_cents",
            "guarantee_exposure_cents",
            "recovery_ordered_cents",
            "recovery_received_cents",
            "recovery_waived_cents",
            "recovery_outstanding_cents"
        ]
        .map(|k| year[k].as_i64().unwrap_or(i64::MIN)),
        [0, 10_000_000, 0, 10_000_000, 5_000_000, 1_000_000, 4_000_000],
        "{year}"
    );

    // Replayed from the log into a shadow schema, the books are the same.
    let checks = ledger.rebuilt_equal("shadow_guarantees").await;
    for (table, rows) in [
        ("guarantee_schedule", 4),
        ("guarantee_reports", 1),
        ("recovery_movements", 3),
    ] {
        assert!(
            checks
                .iter()
                .any(|c| c.table == table && c.shadow_rows == rows),
            "{table}: {checks:?}"
        );
    }
    ledger.shutdown().await;
}
