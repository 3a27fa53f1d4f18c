//! The figures controllers sign: funders told apart by kind and code,
//! fiscal years as flows and year-end stocks, territories that add up to the
//! whole, and facts that cannot be dated after the day they are recorded.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use ledger_tests::{award, declare_programme, open_envelope, TestLedger};
use serde_json::{json, Value};

/// The balances at `path` once every position given is applied.
async fn balances(ledger: &TestLedger, path: &str, after: &[String]) -> Vec<Value> {
    for p in after {
        let (status, body) = ledger
            .get(&format!("/v1/balances?wait_for={p}&wait_ms=20000"))
            .await
            .unwrap();
        assert_eq!(status, 200, "waiting for {p}: {body}");
    }
    let (status, body) = ledger.get(path).await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body["balances"].as_array().unwrap().clone()
}

fn payment(id: &str, cents: i64, date: &str, fiscal_year: i32) -> Value {
    json!({"grant_id": "g1", "payment_id": id, "amount_cents": cents, "effective_date": date,
           "fiscal_year": fiscal_year, "mandate_reference": format!("M-{id}")})
}

/// Sends a command that must be refused with `status` and `code`; returns
/// the answer.
/// A CSV export of the read API.
async fn csv(ledger: &TestLedger, path: &str) -> String {
    let answer = ledger.http.get(ledger.api_url(path)).send().await.unwrap();
    assert_eq!(answer.status(), 200, "{path}");
    answer.text().await.unwrap()
}

/// `key: [figures…]` for each row, in the order `names` lists.
fn rows(balances: &[Value], names: &[&str]) -> Vec<(String, Vec<i64>)> {
    balances
        .iter()
        .map(|b| {
            let key = b["key"].as_str().unwrap().to_owned();
            let figures = names
                .iter()
                .map(|n| {
                    b[*n]
                        .as_i64()
                        .unwrap_or_else(|| panic!("{n} missing in {b}"))
                })
                .collect();
            (key, figures)
        })
        .collect()
}

#[tokio::test]
async fn a_region_and_a_departement_with_the_same_code_are_two_funders() {
    let ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    // The Dordogne is département 24, Centre-Val de Loire region 24.
    let mut dordogne = declare_programme();
    dordogne["programme_id"] = json!("dordogne-medecins");
    dordogne["funder"] = json!({"kind": "FUNDER_KIND_DEPARTEMENT", "code": "24", "name": "Département de la Dordogne"});
    ledger.accepted("declare-programme", dordogne).await;
    let mut envelope = open_envelope("dordogne-ae", 250_000);
    envelope["programme_id"] = json!("dordogne-medecins");
    envelope["kind"] = json!("AUTHORISATION_KIND_AE");
    envelope["imputation"] =
        json!({"section": "BUDGET_SECTION_FONCTIONNEMENT", "chapitre": "65", "nature": "6574"});
    envelope["territory"] = json!({"region_code": "75", "departement_code": "24"});
    let last = ledger.accepted("open-envelope", envelope).await;

    let by_funder = balances(&ledger, "/v1/balances?group_by=funder", &[last]).await;
    assert_eq!(
        rows(&by_funder, &["voted_cents"]),
        [
            ("departement:24".to_owned(), vec![250_000]),
            ("region:24".to_owned(), vec![1_000_000])
        ]
    );
    let region = balances(&ledger, "/v1/balances?funder=region:24", &[]).await;
    assert_eq!(
        rows(&region, &["voted_cents"]),
        [("all".into(), vec![1_000_000])]
    );

    // A bare code is ambiguous: refused, naming the forms that are not.
    let (status, body) = ledger.get("/v1/balances?funder=24").await.unwrap();
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_parameter");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("region:24"),
        "{body}"
    );

    // The journal's lines (and its CSV) name the funder the same way.
    let (status, journal) = ledger
        .get("/v1/journal?funder=departement:24")
        .await
        .unwrap();
    assert_eq!(status, 200, "{journal}");
    let funders: Vec<&str> = journal["postings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["funder"].as_str().unwrap())
        .collect();
    assert_eq!(funders, ["departement:24", "departement:24"]);
    let csv = csv(&ledger, "/v1/journal?funder=departement:24&format=csv").await;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|c| *c == "funder").unwrap();
    assert!(
        lines.all(|l| l.split(',').nth(column) == Some("departement:24")),
        "{csv}"
    );
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_fiscal_year_shows_its_flows_and_its_year_end_stocks() {
    let ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    // Voted 2018; g1 committed in 2019 and paid over 2019–2021, one
    // mandat of 2020 issued in the closing period (January 2021).
    ledger
        .accepted("award-grant", award("g1", "cvl-msp", 700_000))
        .await;
    ledger
        .accepted("make-payment", payment("p1", 100_000, "2019-09-10", 2019))
        .await;
    ledger
        .accepted("make-payment", payment("p2", 150_000, "2020-06-10", 2020))
        .await;
    ledger
        .accepted("make-payment", payment("p3", 50_000, "2021-01-20", 2020))
        .await;
    let last = ledger
        .accepted("make-payment", payment("p4", 300_000, "2021-05-10", 2021))
        .await;

    // A mandat of January may belong to the last year, never to an older one.
    let body = ledger
        .refused(
            "make-payment",
            &payment("p5", 1, "2021-01-20", 2019),
            422,
            "invalid_field",
        )
        .await;
    assert_eq!(body["error"]["field"], "fiscal_year");

    let names = [
        "voted_cents",
        "voted_to_date_cents",
        "committed_cents",
        "paid_cents",
        "paid_to_date_cents",
        "remaining_to_pay_cents",
        "available_cents",
    ];
    let by_year = balances(&ledger, "/v1/balances?group_by=fiscal_year", &[last]).await;
    assert_eq!(
        rows(&by_year, &names),
        [
            (
                "2018".into(),
                vec![1_000_000, 1_000_000, 0, 0, 0, 0, 1_000_000]
            ),
            (
                "2019".into(),
                vec![0, 1_000_000, 700_000, 100_000, 100_000, 600_000, 300_000]
            ),
            (
                "2020".into(),
                vec![0, 1_000_000, 0, 200_000, 300_000, 400_000, 300_000]
            ),
            (
                "2021".into(),
                vec![0, 1_000_000, 0, 300_000, 600_000, 100_000, 300_000]
            ),
        ]
    );
    // One year asked alone is that year's row.
    let year_2020 = balances(&ledger, "/v1/balances?fiscal_year=2020", &[]).await;
    assert_eq!(
        rows(&year_2020, &names),
        [("all".to_owned(), rows(&by_year, &names)[2].1.clone())]
    );
    // The journal behind 2020's payments: the two mandats of fiscal 2020.
    let (_, journal) = ledger
        .get("/v1/journal?fiscal_year=2020&account=paid")
        .await
        .unwrap();
    let paid: Vec<i64> = journal["postings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["amount_cents"].as_i64().unwrap())
        .collect();
    assert_eq!(paid, [150_000, 50_000]);
    ledger.shutdown().await;
}

#[tokio::test]
async fn territories_never_show_a_negative_stock_and_add_up_to_the_whole() {
    // The envelope is the region's; its grants go to two départements.
    let ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    ledger
        .accepted("award-grant", award("g1", "cvl-msp", 600_000))
        .await;
    let mut g2 = award("g2", "cvl-msp", 300_000);
    g2["territory"] =
        json!({"region_code": "24", "departement_code": "37", "commune_code": "37261"});
    ledger.accepted("award-grant", g2).await;
    let last = ledger
        .accepted(
            "make-payment",
            json!({"grant_id": "g2", "payment_id": "p1", "amount_cents": 120_000,
               "effective_date": "2020-02-03", "mandate_reference": "M-1"}),
        )
        .await;

    let names = [
        "voted_cents",
        "committed_cents",
        "available_cents",
        "paid_cents",
        "remaining_to_pay_cents",
    ];
    let by_dep = balances(&ledger, "/v1/balances?group_by=departement", &[last]).await;
    assert_eq!(
        rows(&by_dep, &names),
        [
            // The envelope's own territory (the region, no département).
            ("".into(), vec![1_000_000, 0, 100_000, 0, 0]),
            ("37".into(), vec![0, 300_000, 0, 120_000, 180_000]),
            ("41".into(), vec![0, 600_000, 0, 0, 600_000]),
        ]
    );
    let whole = balances(&ledger, "/v1/balances", &[]).await;
    let total = rows(&whole, &names).remove(0).1;
    let summed: Vec<i64> = (0..names.len())
        .map(|i| rows(&by_dep, &names).iter().map(|(_, f)| f[i]).sum())
        .collect();
    assert_eq!(summed, total);
    assert_eq!(total, [1_000_000, 900_000, 100_000, 120_000, 780_000]);
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_fact_dated_after_today_is_refused_and_appends_nothing() {
    let ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    let today = ledger_domain::dates::paris_day(time::OffsetDateTime::now_utc());
    let tomorrow = ledger_domain::dates::format_date(today.next_day().unwrap());
    let today = ledger_domain::dates::format_date(today);

    // An envelope whose period runs through today.
    let mut current = open_envelope("cvl-courant", 1_000_000);
    current["period_start"] = json!("2026-01-01");
    current["period_end"] = json!("2028-12-31");
    current["effective_date"] = json!("2026-01-15");
    ledger.accepted("open-envelope", current).await;

    let mut future = award("g1", "cvl-courant", 100_000);
    future["effective_date"] = json!(tomorrow);
    let (status, body) = ledger.command("award-grant", None, &future).await.unwrap();
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "effective_date_in_future");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&tomorrow),
        "{body}"
    );

    // Dated today, it is a fact: accepted. A deadline may lie ahead.
    let mut award_today = award("g1", "cvl-courant", 100_000);
    award_today["effective_date"] = json!(today);
    let last = ledger.accepted("award-grant", award_today).await;
    let target = json!({"programme_id": "cvl-plan-urgence-sante", "target_id": "msp-2028",
        "metric": "TARGET_METRIC_MSP_OPEN", "value": 125, "deadline": "2028-12-31",
        "description": "125 MSP fin 2028", "effective_date": today});
    ledger.accepted("set-target", target).await;

    ledger
        .refused(
            "make-payment",
            &json!({"grant_id": "g1", "payment_id": "p1",
            "amount_cents": 10_000, "effective_date": tomorrow, "mandate_reference": "M-1"}),
            422,
            "effective_date_in_future",
        )
        .await;

    // Nothing of the refused commands reached the log or the balance.
    let whole = balances(&ledger, "/v1/balances", &[last]).await;
    assert_eq!(
        rows(&whole, &["committed_cents", "paid_cents"]),
        [("all".into(), vec![100_000, 0])]
    );
    // The programme, its CP votes, two envelopes, the award of today and
    // the target.
    let grants_events = ledger.grants_events().await.unwrap();
    assert_eq!(grants_events.len(), ledger_tests::CREDIT_YEARS.count() + 5);
    assert!(grants_events.iter().all(|e| e.effective_date <= today));
    ledger.shutdown().await;
}

/// The grant's view once `ready` holds of it (or after about ten seconds).
async fn grant_when(ledger: &TestLedger, grant_id: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let mut grant = Value::Null;
    for _ in 0..200 {
        let (status, body) = ledger.get(&format!("/v1/grants/{grant_id}")).await.unwrap();
        grant = body;
        if status == 200 && ready(&grant) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    grant
}

#[tokio::test]
async fn lapse_breach_and_closure_release_what_is_unpaid_and_stop_what_follows() {
    let ledger = TestLedger::with_envelope(2_000_000).await.unwrap();
    // A subsidy valid until the end of 2022, paid a third, lapses in 2023.
    let mut g1 = award("g1", "cvl-msp", 300_000);
    g1["deadline"] = json!("2022-12-31");
    ledger.accepted("award-grant", g1).await;
    ledger
        .accepted("make-payment", payment("p1", 100_000, "2021-03-01", 2021))
        .await;
    let lapse = |on: &str| {
        json!({"grant_id": "g1", "outcome": "GRANT_OUTCOME_LAPSED", "reason": "délai de validité expiré",
               "decision_reference": "AR-2023-02", "effective_date": on})
    };
    ledger
        .refused("close-grant", &lapse("2022-12-31"), 409, "invalid_state")
        .await;
    let lapsed = ledger.accepted("close-grant", lapse("2023-01-15")).await;
    ledger
        .refused(
            "make-payment",
            &payment("p2", 1, "2023-02-01", 2023),
            409,
            "invalid_state",
        )
        .await;

    // A bursary paid in part, whose obligation is breached: the grants
    // service orders the recovery and closes the grant, releasing the rest.
    ledger
        .accepted("award-grant", ledger_tests::bursary("b1"))
        .await;
    let mut partial = ledger_tests::bursary_payment("b1");
    partial["amount_cents"] = json!(400_000);
    ledger.accepted("make-payment", partial).await;
    ledger.start_and_breach_obligation("b1").await.unwrap();
    let breached = grant_when(&ledger, "b1", |g| g["state"] == "breached").await;
    assert_eq!(breached["state"], "breached", "{breached}");
    // 400,000 × 730 unserved days / 1,096, rounded half up.
    assert_eq!(breached["recovery_ordered_cents"], 266_423);
    assert_eq!(
        [
            &breached["committed_cents"],
            &breached["remaining_to_pay_cents"]
        ],
        [400_000, 0]
    );
    ledger
        .refused(
            "make-payment",
            &json!({"grant_id": "b1", "payment_id": "late",
            "amount_cents": 1, "effective_date": "2024-12-02", "mandate_reference": "M-late"}),
            409,
            "invalid_state",
        )
        .await;
    // Exactly once: one recovery and one closure for the one breach.
    let events = ledger.grants_events().await.unwrap();
    let reactions: Vec<&str> = events
        .iter()
        .filter(|e| e.source_system == "ledger")
        .map(|e| e.payload.as_ref().unwrap().type_name())
        .collect();
    assert_eq!(reactions, ["RecoveryOrdered", "GrantClosed"]);

    // The envelope closes: what was left to commit is cancelled, and no
    // commitment may follow.
    let close = json!({"envelope_id": "cvl-msp", "vote_reference": "CR-2025-12 clôture",
                       "reason": "fin du plan", "effective_date": "2025-12-31"});
    let closed = ledger.accepted("close-envelope", close).await;
    ledger
        .refused(
            "award-grant",
            &award("g3", "cvl-msp", 1),
            409,
            "invalid_state",
        )
        .await;

    let g1 = grant_when(&ledger, "g1", |g| g["state"] == "lapsed").await;
    assert_eq!(g1["state"], "lapsed", "{g1}");
    let whole = balances(&ledger, "/v1/balances", &[lapsed, closed]).await;
    assert_eq!(
        rows(
            &whole,
            &[
                "voted_cents",
                "committed_cents",
                "available_cents",
                "cancelled_cents",
                "paid_cents",
                "remaining_to_pay_cents",
                "recovery_ordered_cents"
            ]
        ),
        [(
            "all".into(),
            vec![2_000_000, 500_000, 0, 1_500_000, 500_000, 0, 266_423]
        )]
    );
    // As of before the lapse, g1 was still active with 200,000 to pay.
    let before = grant_when(&ledger, "g1?as_of=2023-01-14", |_| true).await;
    assert_eq!(
        [&before["state"], &before["remaining_to_pay_cents"]],
        [&json!("active"), &json!(200_000)]
    );
    ledger.shutdown().await;
}

#[tokio::test]
async fn payments_are_bounded_by_the_credits_of_their_chapter_and_year() {
    let ledger = TestLedger::start().await.unwrap();
    ledger
        .accepted("declare-programme", declare_programme())
        .await;
    // An AP needs its imputation, in the investment section.
    let mut bare = open_envelope("cvl-msp", 1_000_000);
    bare.as_object_mut().unwrap().remove("imputation");
    let (status, body) = ledger.command("open-envelope", None, &bare).await.unwrap();
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("imputation")),
        "{body}"
    );
    let mut misplaced = open_envelope("cvl-msp", 1_000_000);
    misplaced["imputation"]["section"] = json!("BUDGET_SECTION_FONCTIONNEMENT");
    let (status, body) = ledger
        .command("open-envelope", None, &misplaced)
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("imputation.section")),
        "{body}"
    );
    let mut envelope = open_envelope("cvl-msp", 1_000_000);
    envelope["cp_schedule"] = json!([{"fiscal_year": 2024, "amount_cents": 500_000},
                                     {"fiscal_year": 2025, "amount_cents": 500_000}]);
    ledger.accepted("open-envelope", envelope).await;
    ledger
        .accepted("award-grant", award("g1", "cvl-msp", 1_000_000))
        .await;
    ledger
        .accepted("vote-credits", ledger_tests::vote_credits(2024, 300_000))
        .await;

    // Ten payments of 50,000 at once against 300,000 of CP: six pass.
    let pay = |n: usize| {
        json!({"grant_id": "g1", "payment_id": format!("p{n}"), "amount_cents": 50_000,
               "effective_date": "2024-06-03", "mandate_reference": format!("M-{n}")})
    };
    let answers = futures::future::join_all((0..10).map(|n| {
        let body = pay(n);
        let ledger = &ledger;
        async move { ledger.command("make-payment", None, &body).await.unwrap() }
    }))
    .await;
    let accepted_count = answers.iter().filter(|(s, _)| *s == 201).count();
    let refusals: Vec<&str> = answers
        .iter()
        .filter(|(s, _)| *s != 201)
        .map(|(s, b)| {
            assert_eq!(*s, 409, "{b}");
            b["error"]["code"].as_str().unwrap()
        })
        .collect();
    assert_eq!(accepted_count, 6);
    assert_eq!(refusals, ["payment_credits_exhausted"; 4]);

    // A décision modificative adds 100,000: two more pass. It cannot take
    // the CP below what is mandated.
    let mut dm = ledger_tests::vote_credits(2024, 100_000);
    dm["vote"] = json!("CREDIT_VOTE_DECISION_MODIFICATIVE");
    dm["vote_reference"] = json!("DM1 2024");
    ledger.accepted("vote-credits", dm).await;
    for n in 10..13 {
        let (status, _) = ledger.command("make-payment", None, &pay(n)).await.unwrap();
        assert_eq!(status, if n < 12 { 201 } else { 409 });
    }
    ledger
        .refused(
            "vote-credits",
            &ledger_tests::vote_credits(2024, -1),
            409,
            "invalid_state",
        )
        .await;
    // No CP at all for 2025.
    let mut next_year = pay(20);
    next_year["effective_date"] = json!("2025-03-03");
    ledger
        .refused("make-payment", &next_year, 409, "payment_credits_exhausted")
        .await;
    let position = ledger_tests::position(
        &ledger
            .command(
                "vote-credits",
                None,
                &ledger_tests::vote_credits(2025, 1_000),
            )
            .await
            .unwrap()
            .1,
    );

    let (status, body) = ledger
        .get(&format!(
            "/v1/credits?funder=region:24&wait_for={position}&wait_ms=20000"
        ))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let lines: Vec<(i64, i64, i64, i64, Option<i64>)> = body["credits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["fiscal_year"].as_i64().unwrap(),
                c["voted_cents"].as_i64().unwrap(),
                c["mandated_cents"].as_i64().unwrap(),
                c["available_cents"].as_i64().unwrap(),
                c["execution_basis_points"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (2024, 400_000, 400_000, 0, Some(10_000)),
            (2025, 1_000, 0, 1_000, Some(0))
        ]
    );

    // The état des AP/AE: the envelope's schedule against its payments.
    let (status, etat) = ledger.get("/v1/etat-ap-ae?funder=region:24").await.unwrap();
    assert_eq!(status, 200, "{etat}");
    let row = &etat["envelopes"][0];
    assert_eq!(
        [
            &row["chapitre"],
            &row["voted_cents"],
            &row["committed_cents"],
            &row["paid_to_date_cents"],
            &row["remaining_to_pay_cents"]
        ],
        [
            &json!("204"),
            &json!(1_000_000),
            &json!(1_000_000),
            &json!(400_000),
            &json!(600_000)
        ]
    );
    assert_eq!(
        row["cp_schedule"],
        json!([{"fiscal_year": 2024, "scheduled_cents": 500_000, "paid_cents": 400_000},
               {"fiscal_year": 2025, "scheduled_cents": 500_000, "paid_cents": 0}])
    );
    let csv = csv(&ledger, "/v1/etat-ap-ae?funder=region:24&format=csv").await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].ends_with("2024=500000/400000;2025=500000/0"),
        "{csv}"
    );
    // The journal names the imputation of every line.
    let (_, journal) = ledger
        .get("/v1/journal?account=paid&limit=1")
        .await
        .unwrap();
    assert_eq!(journal["postings"][0]["nature"], "204142");
    ledger.shutdown().await;
}
