//! A loan through its whole life on the real stack: granted, repaid on
//! schedule, late, repaid early, written off; outstanding principal and
//! arrears at any date and as known at any moment; the balances and the
//! journal at each step; and a rebuild from the log equal to the live view.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use ledger_tests::{person, TestLedger};
use serde_json::{json, Value};

/// €12,000 at 0 % over twelve months from 2024-01-05: €1,000 a month.
fn loan() -> Value {
    json!({"loan_id": "l1", "envelope_id": "cvl-msp", "borrower": {"person_id": person("p-psi-1")},
           "principal_cents": 1_200_000, "rate_basis_points": 0, "term_months": 12,
           "first_repayment_date": "2024-01-05", "purpose": "Prêt d'honneur : installation",
           "effective_date": "2023-12-01"})
}

fn repay(id: &str, principal_cents: i64, on: &str) -> Value {
    json!({"loan_id": "l1", "repayment_id": id, "principal_cents": principal_cents,
           "receipt_reference": format!("REL-{id}"), "effective_date": on})
}

/// The loan's figures at `path` once `position` is projected.
async fn loan_at(ledger: &TestLedger, path: &str, position: &str) -> Value {
    let (status, body) = ledger
        .get(&format!("{path}&wait_for={position}&wait_ms=20000"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn figures(loan: &Value) -> [i64; 5] {
    [
        "repaid_cents",
        "outstanding_cents",
        "due_cents",
        "arrears_cents",
        "repaid_ahead_cents",
    ]
    .map(|k| loan[k].as_i64().unwrap_or(i64::MIN))
}

#[tokio::test]
async fn a_loan_is_repaid_late_then_early_then_written_off() {
    let ledger = TestLedger::with_envelope(10_000_000).await.unwrap();
    ledger.accepted("grant-loan", loan()).await;
    ledger
        .accepted("repay-loan", repay("2024-01", 100_000, "2024-01-05"))
        .await;
    let feb = ledger
        .accepted("repay-loan", repay("2024-02", 100_000, "2024-02-06"))
        .await;
    // March is not paid: at the end of March one instalment is in arrears.
    let march = loan_at(&ledger, "/v1/loans/l1?as_of=2024-03-31", &feb).await;
    assert_eq!(
        figures(&march),
        [200_000, 1_000_000, 300_000, 100_000, 0],
        "{march}"
    );
    assert_eq!(march["state"], "in_arrears");
    assert_eq!(march["next_due_date"], "2024-03-05");
    let before_early = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();

    // Bad repayments change nothing: the same id again, nothing repaid,
    // more than is owed, an unknown loan.
    ledger
        .refused(
            "repay-loan",
            &repay("2024-02", 100_000, "2024-04-10"),
            409,
            "already_exists",
        )
        .await;
    ledger
        .refused(
            "repay-loan",
            &repay("x", 0, "2024-04-10"),
            422,
            "invalid_field",
        )
        .await;
    ledger
        .refused(
            "repay-loan",
            &repay("x", 1_000_001, "2024-04-10"),
            409,
            "invalid_state",
        )
        .await;
    let mut unknown = repay("x", 1, "2024-04-10");
    unknown["loan_id"] = json!("l-unknown");
    ledger
        .refused("repay-loan", &unknown, 422, "not_found")
        .await;

    // An early repayment of €5,000 on 10 April covers March to July.
    let early = ledger
        .accepted("repay-loan", repay("2024-04", 500_000, "2024-04-10"))
        .await;
    let april = loan_at(&ledger, "/v1/loans/l1?as_of=2024-04-30", &early).await;
    assert_eq!(
        figures(&april),
        [700_000, 500_000, 400_000, 0, 300_000],
        "{april}"
    );
    assert_eq!(april["state"], "current");
    assert_eq!(april["next_due_date"], "2024-08-05");
    let covered: Vec<i64> = april["schedule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["repaid_cents"].as_i64().unwrap())
        .collect();
    assert_eq!(
        covered,
        [100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 0, 0, 0, 0, 0]
    );
    // As known before the early repayment was recorded, two instalments
    // were in arrears at the end of April.
    let known = loan_at(
        &ledger,
        &format!(
            "/v1/loans/l1?as_of=2024-04-30&known_at={}",
            before_early.replace('+', "%2B")
        ),
        &early,
    )
    .await;
    assert_eq!(
        figures(&known),
        [200_000, 1_000_000, 400_000, 200_000, 0],
        "{known}"
    );
    // Nothing more is paid: at the end of 2024, August to December are due.
    let (_, list) = ledger
        .get("/v1/loans?envelope_id=cvl-msp&as_of=2024-12-31")
        .await
        .unwrap();
    assert_eq!(
        figures(&list["loans"][0]),
        [700_000, 500_000, 1_200_000, 500_000, 0],
        "{list}"
    );

    // The borrower's business fails: what is left is written off in 2025.
    let write_off = json!({"loan_id": "l1", "decision_reference": "DCP-2025-031",
        "reason": "Liquidation judiciaire", "effective_date": "2025-03-01"});
    let mut unexplained = write_off.clone();
    unexplained["decision_reference"] = json!("");
    ledger
        .refused("write-off-loan", &unexplained, 422, "invalid_field")
        .await;
    let off = ledger.accepted("write-off-loan", write_off.clone()).await;
    let ended = loan_at(&ledger, "/v1/loans/l1?as_of=2025-12-31", &off).await;
    assert_eq!(
        (
            ended["state"].as_str(),
            ended["written_off_cents"].as_i64(),
            ended["outstanding_cents"].as_i64(),
            ended["arrears_cents"].as_i64(),
        ),
        (Some("written_off"), Some(500_000), Some(0), Some(0)),
        "{ended}"
    );
    assert_eq!(ended["movements"].as_array().unwrap().len(), 4);
    ledger
        .refused("write-off-loan", &write_off, 409, "invalid_state")
        .await;
    ledger
        .refused(
            "repay-loan",
            &repay("2025-03", 1, "2025-03-02"),
            409,
            "invalid_state",
        )
        .await;

    // The books: lent in 2023, repaid in 2024, written off in 2025; the
    // loan stays committed on its envelope throughout.
    let year = |y: i32| {
        let ledger = &ledger;
        async move {
            let (status, body) = ledger
                .get(&format!("/v1/balances?fiscal_year={y}"))
                .await
                .unwrap();
            assert_eq!(status, 200, "{body}");
            body["balances"][0].clone()
        }
    };
    let keys = [
        "loans_cents",
        "loans_repaid_cents",
        "loans_written_off_cents",
        "loans_outstanding_cents",
        "committed_to_date_cents",
        "available_cents",
    ];
    let books: Vec<Vec<i64>> = [year(2023).await, year(2024).await, year(2025).await]
        .iter()
        .map(|b| keys.map(|k| b[k].as_i64().unwrap_or(i64::MIN)).to_vec())
        .collect();
    assert_eq!(
        books,
        [
            vec![1_200_000, 0, 0, 1_200_000, 1_200_000, 8_800_000],
            vec![0, 700_000, 0, 500_000, 1_200_000, 8_800_000],
            vec![0, 0, 500_000, 0, 1_200_000, 8_800_000],
        ]
    );
    // Each step's journal lines on the loan.
    let (_, journal) = ledger
        .get("/v1/journal?subject_id=l1&limit=100")
        .await
        .unwrap();
    let lines: Vec<(String, i64)> = journal["postings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["account"].as_str().unwrap().to_owned(),
                p["amount_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    let of = |account: &str| -> i64 {
        lines
            .iter()
            .filter(|(a, _)| a == account)
            .map(|(_, c)| c)
            .sum()
    };
    assert_eq!(lines.len(), 2 + 3 * 2 + 2, "{lines:?}");
    assert_eq!(
        [
            of("loans"),
            of("loans_repaid"),
            of("loans_written_off"),
            of("available")
        ],
        [0, 700_000, 500_000, -1_200_000]
    );

    // Replayed from the log into a shadow schema, the books are the same.
    let checks = ledger.rebuilt_equal("shadow_loans").await;
    assert!(checks
        .iter()
        .any(|c| c.table == "loan_movements" && c.shadow_rows == 4));
    ledger.shutdown().await;
}
