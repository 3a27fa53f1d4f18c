//! Titres de recette through their whole life: ordered, reduced, received
//! under a repayment plan, waived, written off; outstanding never below zero,
//! arrears at a date, the grant's net cost; and the ids and source system
//! the ledger keeps for its own breach recoveries.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use ledger_tests::{bursary, bursary_payment, TestLedger};
use serde_json::{json, Value};

fn adjust(kind: &str, cents: i64, reference: &str, on: &str) -> Value {
    json!({"grant_id": "b1", "recovery_id": "r1", "adjustment": kind, "amount_cents": cents,
           "decision_reference": reference, "reason": "décision de l'assemblée", "effective_date": on})
}

fn receive(id: &str, cents: i64, on: &str) -> Value {
    json!({"grant_id": "b1", "recovery_id": "r1", "amount_cents": cents,
           "receipt_reference": format!("ENC-{id}"), "effective_date": on})
}

#[tokio::test]
async fn a_titre_de_recette_is_reduced_paid_by_plan_waived_and_written_off() {
    let ledger = TestLedger::with_envelope(2_000_000).await.unwrap();
    ledger.accepted("award-grant", bursary("b1")).await;
    ledger.accepted("make-payment", bursary_payment("b1")).await;

    // The ids of breach recoveries and the ledger's source system are the
    // ledger's own: an integrator cannot pre-empt a breach's recovery.
    let order = |id: &str| {
        json!({"grant_id": "b1", "recovery_id": id, "amount_cents": 600_000,
               "reason": "RECOVERY_REASON_OVERPAYMENT", "title_reference": "T-2024-1",
               "effective_date": "2024-01-10"})
    };
    let answer = ledger
        .refused(
            "order-recovery",
            &order("breach-o-b1"),
            422,
            "invalid_field",
        )
        .await;
    assert_eq!(answer["error"]["field"], "recovery_id");
    let posing = ledger
        .http
        .post(ledger.command_url("order-recovery"))
        .header("X-Source-System", "ledger")
        .json(&order("r0"))
        .send()
        .await
        .unwrap();
    assert_eq!(posing.status(), 422);
    let answer: Value = posing.json().await.unwrap();
    assert_eq!(answer["error"]["field"], "source_system", "{answer}");

    // 600,000 ordered, then reduced by 100,000 (annulation partielle).
    ledger.accepted("order-recovery", order("r1")).await;
    ledger
        .accepted(
            "adjust-recovery",
            adjust(
                "RECOVERY_ADJUSTMENT_REDUCED",
                100_000,
                "T-2024-1-R",
                "2024-02-01",
            ),
        )
        .await;
    ledger
        .accepted("receive-recovery", receive("1", 100_000, "2024-03-01"))
        .await;
    // The 400,000 left in four quarterly instalments.
    let plan = json!({"grant_id": "b1", "recovery_id": "r1", "decision_reference": "ECH-2024-3",
        "effective_date": "2024-03-15", "instalments": [
            {"due_date": "2024-04-01", "amount_cents": 100_000},
            {"due_date": "2024-07-01", "amount_cents": 100_000},
            {"due_date": "2024-10-01", "amount_cents": 100_000},
            {"due_date": "2025-01-01", "amount_cents": 100_000}]});
    let mut short = plan.clone();
    short["instalments"][3]["amount_cents"] = json!(99_999);
    let answer = ledger
        .refused("schedule-recovery", &short, 422, "invalid_field")
        .await;
    assert_eq!(answer["error"]["field"], "instalments", "{answer}");
    ledger.accepted("schedule-recovery", plan).await;
    ledger
        .accepted("receive-recovery", receive("2", 100_000, "2024-04-02"))
        .await;
    // A remise gracieuse needs its deliberation; it forgives 50,000.
    ledger
        .refused(
            "adjust-recovery",
            &adjust("RECOVERY_ADJUSTMENT_WAIVED", 50_000, "", "2024-08-01"),
            422,
            "invalid_field",
        )
        .await;
    let waived = ledger
        .accepted(
            "adjust-recovery",
            adjust(
                "RECOVERY_ADJUSTMENT_WAIVED",
                50_000,
                "DCD-2024-07",
                "2024-08-01",
            ),
        )
        .await;
    // Never more than what is outstanding (250,000).
    ledger
        .refused(
            "adjust-recovery",
            &adjust(
                "RECOVERY_ADJUSTMENT_WRITTEN_OFF",
                250_001,
                "ANV-2025-1",
                "2025-02-01",
            ),
            409,
            "invalid_state",
        )
        .await;

    let (status, body) = ledger
        .get(&format!("/v1/balances?wait_for={waived}&wait_ms=20000"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let (_, recoveries) = ledger
        .get("/v1/grants/b1/recoveries?as_of=2024-12-31")
        .await
        .unwrap();
    let r1 = &recoveries[0];
    let figures = [
        "ordered_cents",
        "reduced_cents",
        "received_cents",
        "waived_cents",
        "written_off_cents",
        "outstanding_cents",
        "arrears_cents",
    ]
    .map(|k| r1[k].as_i64().unwrap_or(i64::MIN));
    assert_eq!(
        figures,
        [500_000, 100_000, 200_000, 50_000, 0, 250_000, 200_000],
        "{r1}"
    );
    // The receipt after the plan settles its first instalment; the waiver
    // comes off the last; two instalments are due and unpaid.
    let plan: Vec<(i64, i64)> = r1["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["received_cents"].as_i64().unwrap(),
                i["arrears_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(plan, [(100_000, 0), (0, 100_000), (0, 100_000), (0, 0)]);

    // What is left is written off in 2025: nothing outstanding, no arrears.
    let last = ledger
        .accepted(
            "adjust-recovery",
            adjust(
                "RECOVERY_ADJUSTMENT_WRITTEN_OFF",
                250_000,
                "ANV-2025-1",
                "2025-02-01",
            ),
        )
        .await;
    let (status, grant) = ledger
        .get(&format!("/v1/grants/b1?wait_for={last}&wait_ms=20000"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{grant}");
    assert_eq!(
        [
            "paid_cents",
            "recovery_ordered_cents",
            "recovery_received_cents",
            "recovery_outstanding_cents",
            "net_cost_cents"
        ]
        .map(|k| grant[k].as_i64().unwrap_or(i64::MIN)),
        [1_200_000, 500_000, 200_000, 0, 1_000_000]
    );
    let (_, balances) = ledger.get("/v1/balances?fiscal_year=2025").await.unwrap();
    let year = &balances["balances"][0];
    assert_eq!(
        [
            "recovery_written_off_cents",
            "recovery_waived_cents",
            "recovery_outstanding_cents"
        ]
        .map(|k| year[k].as_i64().unwrap_or(i64::MIN)),
        [250_000, 0, 0],
        "{year}"
    );
    ledger
        .refused(
            "receive-recovery",
            &receive("3", 1, "2025-03-01"),
            409,
            "invalid_state",
        )
        .await;
    ledger.shutdown().await;
}
