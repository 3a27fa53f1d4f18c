//! The read side against a scripted history: exact balances before and after
//! a revision, a cancellation that releases the unpaid part, payments over
//! two fiscal years, a breach and its recovery, a late correction seen
//! through `known_at`, headcounts at several dates — each figure a sum of
//! journal lines that point to their events.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::time::Duration;

use ledger_tests::{award, person, position, TestLedger};
use serde_json::{json, Value};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

fn payment(grant: &str, id: &str, cents: i64, date: &str) -> Value {
    json!({"grant_id": grant, "payment_id": id, "amount_cents": cents, "effective_date": date, "mandate_reference": format!("M-{id}")})
}

fn figures(balance: &Value) -> [i64; 6] {
    [
        "voted_cents",
        "committed_cents",
        "available_cents",
        "paid_cents",
        "remaining_to_pay_cents",
        "recovery_ordered_cents",
    ]
    .map(|k| balance[k].as_i64().unwrap_or(i64::MIN))
}

fn now() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap()
}

#[tokio::test]
async fn balances_and_their_journal_at_any_date_and_as_known_at_any_moment() {
    let ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    ledger
        .accepted("award-grant", award("g1", "cvl-msp", 600_000))
        .await;
    let mut g2 = award("g2", "cvl-msp", 300_000);
    g2["territory"] =
        json!({"region_code": "24", "departement_code": "37", "commune_code": "37261"});
    ledger.accepted("award-grant", g2).await;
    let revise = json!({"envelope_id": "cvl-msp", "delta_cents": 500_000, "vote_reference": "DM-2020-1", "effective_date": "2020-06-30"});
    ledger.accepted("revise-envelope", revise).await;
    ledger
        .accepted("make-payment", payment("g1", "p1", 200_000, "2022-12-20"))
        .await;
    ledger
        .accepted("make-payment", payment("g1", "p2", 100_000, "2023-01-10"))
        .await;
    ledger
        .accepted("make-payment", payment("g2", "p3", 50_000, "2023-03-01"))
        .await;
    let cancel =
        json!({"grant_id": "g2", "reason": "projet abandonné", "effective_date": "2023-06-30"});
    let last = ledger.accepted("cancel-grant", cancel).await;

    let balance = |as_of: &str| format!("/v1/envelopes/cvl-msp/balance?as_of={as_of}");
    // [voted, committed, available, paid, remaining to pay, recoveries]
    let before_revision = ledger.get_ok_after(&balance("2020-06-29"), &[last]).await;
    assert_eq!(
        figures(&before_revision),
        [1_000_000, 900_000, 100_000, 0, 900_000, 0]
    );
    let after_revision = ledger.get_ok(&balance("2020-06-30")).await;
    assert_eq!(
        figures(&after_revision),
        [1_500_000, 900_000, 600_000, 0, 900_000, 0]
    );
    let end_2022 = ledger.get_ok(&balance("2022-12-31")).await;
    assert_eq!(
        figures(&end_2022),
        [1_500_000, 900_000, 600_000, 200_000, 700_000, 0]
    );
    // The cancellation releases what g2 had not been paid: 250,000.
    let today = ledger.get_ok("/v1/envelopes/cvl-msp/balance").await;
    assert_eq!(
        figures(&today),
        [1_500_000, 650_000, 850_000, 350_000, 300_000, 0]
    );
    assert_eq!(today["grants"], 2);

    // Payments by fiscal year.
    let by_year = ledger
        .get_ok("/v1/balances?envelope_id=cvl-msp&group_by=fiscal_year")
        .await;
    let paid: Vec<(String, i64)> = by_year["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["key"].as_str().unwrap().to_owned(),
                b["paid_cents"].as_i64().unwrap(),
            )
        })
        .filter(|(_, paid)| *paid != 0)
        .collect();
    assert_eq!(
        paid,
        [("2022".to_owned(), 200_000), ("2023".to_owned(), 150_000)]
    );

    // By département where the money goes: g1 in 41, g2 in 37 (released).
    let by_dep = ledger
        .get_ok("/v1/balances?group_by=departement&programme_id=cvl-plan-urgence-sante")
        .await;
    let committed: Vec<(String, i64)> = by_dep["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["key"].as_str().unwrap().to_owned(),
                b["committed_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        committed,
        [
            ("".to_owned(), 0),
            ("37".to_owned(), 50_000),
            ("41".to_owned(), 600_000)
        ]
    );

    // The journal behind the balance: balanced lines, each with its event.
    let journal = ledger
        .get_ok("/v1/journal?envelope_id=cvl-msp&limit=1000")
        .await;
    let lines = journal["postings"].as_array().unwrap();
    assert_eq!(lines.len(), 2 * 8, "8 money events, 2 lines each");
    assert_eq!(
        lines
            .iter()
            .map(|l| l["amount_cents"].as_i64().unwrap())
            .sum::<i64>(),
        0
    );
    let voted: i64 = lines
        .iter()
        .filter(|l| l["account"] == "authorised")
        .map(|l| -l["amount_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(voted, 1_500_000);
    let first = &lines[0];
    let event = ledger
        .get_ok(&format!(
            "/v1/events/{}",
            first["event_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(event["event_type"], "EnvelopeOpened");
    assert_eq!(
        (event["topic"].clone(), event["offset"].clone()),
        (first["topic"].clone(), first["offset"].clone())
    );
    assert_eq!(event["hash"].as_str().unwrap().len(), 64);
    // Pages follow each other without gaps or repeats.
    let page1 = ledger
        .get_ok("/v1/journal?envelope_id=cvl-msp&limit=5")
        .await;
    let next = page1["next"].as_str().unwrap();
    let page2 = ledger
        .get_ok(&format!(
            "/v1/journal?envelope_id=cvl-msp&limit=5&after={next}"
        ))
        .await;
    assert_eq!(page2["postings"][0]["posting_seq"], lines[5]["posting_seq"]);
    // CSV for the finance system: a header and one row per line.
    let csv = ledger
        .http
        .get(ledger.api_url("/v1/journal?envelope_id=cvl-msp&format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 1 + 16);
    assert!(text.starts_with("posting_seq,event_id,line,account,amount_cents"));

    // A late correction: a payment dated 2022-12-31 recorded only now. As
    // known before it was recorded, 2022 closed with 200,000 paid; as known
    // now, with 210,000.
    ledger
        .accepted("make-payment", payment("g1", "p0", 10_000, "2023-01-05"))
        .await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let before = now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let late = ledger
        .accepted(
            "make-payment",
            payment("g1", "p-late", 10_000, "2022-12-31"),
        )
        .await;
    let as_known_before = ledger
        .get_ok_after(
            &format!("/v1/envelopes/cvl-msp/balance?as_of=2022-12-31&known_at={before}"),
            &[late],
        )
        .await;
    assert_eq!(as_known_before["paid_cents"], 200_000);
    let as_known_now = ledger
        .get_ok("/v1/envelopes/cvl-msp/balance?as_of=2022-12-31")
        .await;
    assert_eq!(as_known_now["paid_cents"], 210_000);

    // Bad parameters are refused with the one error shape, naming the field.
    for (path, field) in [
        ("/v1/balances?as_of=2022-13-01", "as_of"),
        ("/v1/balances?known_at=yesterday", "known_at"),
        ("/v1/balances?group_by=colour", "group_by"),
        ("/v1/journal?limit=0", "limit"),
    ] {
        let (status, body) = ledger.get(path).await.unwrap();
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_parameter");
        assert_eq!(body["error"]["field"], field, "{path}");
    }
    let (status, body) = ledger.get("/v1/events/not-a-uuid").await.unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_parameter"))
    );
    ledger.shutdown().await;
}

fn bursary(id: &str) -> Value {
    json!({
        "grant_id": id, "envelope_id": "cvl-msp", "beneficiary": {"person_id": person(&format!("interne-{id}"))},
        "kind": "GRANT_KIND_BURSARY", "amount_cents": 1_200_000, "purpose": "Bourse d'interne en médecine générale",
        "obligation": {"duration_months": 36, "territory": {"departement_code": "41"}, "recovery_rule": "RECOVERY_RULE_PRORATA",
                       "description": "Exercer trois ans en Loir-et-Cher"},
        "effective_date": "2021-09-01"})
}

#[tokio::test]
async fn a_breach_shows_as_a_breached_obligation_and_a_recovery_in_the_journal() {
    let ledger = TestLedger::with_envelope(10_000_000).await.unwrap();
    ledger.accepted("award-grant", bursary("b1")).await;
    ledger.accepted("award-grant", bursary("b2")).await;
    ledger
        .accepted(
            "make-payment",
            payment("b1", "b1-all", 1_200_000, "2023-10-05"),
        )
        .await;
    let start = |id: &str| {
        json!({
        "obligation_id": format!("o-{id}"), "grant_id": id, "beneficiary": {"person_id": person(&format!("interne-{id}"))},
        "territory": {"departement_code": "41"}, "duration_months": 36, "start_date": "2023-11-01"})
    };
    ledger
        .eventually_accepted("start-obligation", start("b1"))
        .await;
    let started = ledger
        .eventually_accepted("start-obligation", start("b2"))
        .await;
    let breach = json!({"obligation_id": "o-b1", "breached_on": "2024-11-01", "reason": "installation hors du département"});
    ledger.accepted("breach-obligation", breach).await;

    // The recovery is ordered by the grants service in reaction: wait for it.
    let mut recovered = Value::Null;
    for _ in 0..200 {
        let (status, body) = ledger.get("/v1/grants/b1").await.unwrap();
        recovered = body;
        if status == 200 && recovered["recovery_ordered_cents"] != 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // PRORATA: 1,200,000 × (1,096 − 366) / 1,096 → 799,270.
    assert_eq!(recovered["recovery_ordered_cents"], 799_270);
    assert_eq!(recovered["paid_cents"], 1_200_000);
    assert_eq!(recovered["state"], "breached");
    let journal = ledger
        .get_ok("/v1/journal?subject_id=b1&account=recoveries")
        .await;
    assert_eq!(journal["postings"][0]["amount_cents"], -799_270);
    assert_eq!(journal["postings"][0]["event_type"], "RecoveryOrdered");
    assert_eq!(journal["postings"][0]["fiscal_year"], 2024);

    let breached = ledger
        .get_ok_after("/v1/obligations?state=breached", &[started])
        .await;
    let rows = breached["obligations"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["obligation_id"], "o-b1");
    assert_eq!(
        (
            rows[0]["served_days"].as_i64(),
            rows[0]["obligation_days"].as_i64()
        ),
        (Some(366), Some(1096))
    );
    assert_eq!(rows[0]["end_date"], "2026-10-31");
    // Before the breach date, the same obligation was open.
    let open_then = ledger
        .get_ok("/v1/obligations?as_of=2024-10-31&state=open")
        .await;
    assert_eq!(open_then["obligations"].as_array().unwrap().len(), 2);
    let open_now = ledger
        .get_ok("/v1/obligations?state=open&due_before=2026-12-31")
        .await;
    assert_eq!(open_now["obligations"][0]["obligation_id"], "o-b2");
    ledger.shutdown().await;
}

fn centre(id: &str, commune: &str, dep: &str, opened_on: &str) -> Value {
    json!({
        "centre_id": id, "kind": "CENTRE_KIND_HEALTH_CENTRE", "finess": format!("{dep}0000012"),
        "name": format!("Centre de santé {id}"),
        "territory": {"region_code": "76", "departement_code": dep, "commune_code": commune},
        "operator": {"siret": "13002520500019", "name": "GIP Ma santé, Ma Région"},
        "programme_id": "occitanie-gip", "opened_on": opened_on})
}

fn hire(person: &str, centre: &str, profession: &str, fte: u32, start: &str) -> Value {
    json!({
        "person_id": ledger_tests::person(person), "employment_id": format!("e-{person}"), "centre_id": centre,
        "employer": {"siret": "13002520500019", "name": "GIP Ma santé, Ma Région"},
        "profession": profession, "fte_milli": fte, "start_date": start})
}

#[tokio::test]
async fn headcounts_at_several_dates_by_centre_departement_and_profession() {
    let ledger = TestLedger::start().await.unwrap();
    let mut positions = vec![
        ledger
            .accepted("open-centre", centre("scv", "09257", "09", "2022-03-01"))
            .await,
        ledger
            .accepted("open-centre", centre("lussan", "30151", "30", "2022-06-01"))
            .await,
    ];
    const GP: &str = "PROFESSION_GENERAL_PRACTITIONER";
    const SECRETARY: &str = "PROFESSION_MEDICAL_SECRETARY";
    for body in [
        hire("p1", "scv", GP, 1000, "2022-03-01"),
        hire("p2", "scv", SECRETARY, 500, "2022-04-01"),
        hire("p3", "lussan", GP, 1000, "2022-06-01"),
    ] {
        positions.push(ledger.eventually_accepted("hire-professional", body).await);
    }
    let left = json!({"person_id": person("p1"), "employment_id": "e-p1", "left_on": "2022-08-31", "reason": "départ"});
    positions.push(ledger.accepted("record-departure", left).await);

    let total = |body: &Value| (body[0]["headcount"].as_i64(), body[0]["fte_milli"].as_i64());
    let at = |d: &str| format!("/v1/headcounts?as_of={d}");
    assert_eq!(
        ledger.get_ok_after(&at("2022-02-28"), &positions).await,
        json!([])
    );
    assert_eq!(
        total(&ledger.get_ok(&at("2022-04-01")).await),
        (Some(2), Some(1500))
    );
    // The last working day still counts.
    assert_eq!(
        total(&ledger.get_ok(&at("2022-08-31")).await),
        (Some(3), Some(2500))
    );
    assert_eq!(
        total(&ledger.get_ok(&at("2022-09-01")).await),
        (Some(2), Some(1500))
    );
    let by_dep = ledger
        .get_ok("/v1/headcounts?as_of=2022-09-01&group_by=departement")
        .await;
    assert_eq!(
        by_dep,
        json!([{"key": "09", "headcount": 1, "fte_milli": 500}, {"key": "30", "headcount": 1, "fte_milli": 1000}])
    );
    let by_profession = ledger
        .get_ok("/v1/headcounts?as_of=2022-09-01&group_by=profession")
        .await;
    assert_eq!(by_profession[0]["key"], GP);
    assert_eq!(by_profession[1]["key"], SECRETARY);
    let centres = ledger.get_ok("/v1/centres?as_of=2022-05-01").await["centres"].clone();
    assert_eq!(centres.as_array().unwrap().len(), 1, "Lussan opens in June");
    ledger.shutdown().await;
}

fn msp(id: &str, commune: &str, opened_on: &str) -> Value {
    json!({
        "centre_id": id, "kind": "CENTRE_KIND_MSP", "finess": "410000012",
        "name": format!("MSP {id}"),
        "territory": {"region_code": "24", "departement_code": "41", "commune_code": commune},
        "operator": {"siret": "21410018200010", "name": "Commune de Blois"},
        "programme_id": "cvl-plan-urgence-sante", "opened_on": opened_on})
}

#[tokio::test]
async fn targets_progress_members_activity_posts_and_guarantees_at_a_date() {
    let ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    let target = json!({"programme_id": "cvl-plan-urgence-sante", "target_id": "msp-2025",
        "metric": "TARGET_METRIC_MSP_OPEN", "value": 3, "deadline": "2025-12-31",
        "description": "125 MSP by the end of 2025 (scaled down)"});
    let mut positions = vec![ledger.accepted("set-target", target).await];
    for (id, commune, opened) in [
        ("blois", "41018", "2019-01-15"),
        ("vendome", "41269", "2020-09-01"),
        ("romorantin", "41194", "2024-03-01"),
    ] {
        positions.push(
            ledger
                .accepted("open-centre", msp(id, commune, opened))
                .await,
        );
    }
    let close =
        json!({"centre_id": "vendome", "closed_on": "2023-12-31", "reason": "regroupement"});
    positions.push(ledger.accepted("close-centre", close).await);
    for (month, seen, consultations, to_date) in
        [("2023-01", 400, 900, 1_200), ("2023-02", 380, 850, 1_350)]
    {
        let report = json!({"centre_id": "blois", "month": month, "patients_seen": seen,
            "consultations": consultations, "patients_to_date": to_date});
        positions.push(ledger.accepted("report-activity", report).await);
    }
    for (member, college) in [
        ("m1", "collectivites"),
        ("m2", "collectivites"),
        ("m3", "etat"),
    ] {
        let join = json!({"grouping_id": "gip-test", "member_id": member,
            "member": {"siret": "21410018200010", "name": format!("Membre {member}")},
            "college": college, "joined_on": "2022-01-10"});
        positions.push(ledger.accepted("add-member", join).await);
    }
    let post = json!({"post_id": "post-1", "programme_id": "cvl-plan-urgence-sante", "centre_id": "blois",
        "employer": {"siret": "21410018200010", "name": "Commune de Blois"},
        "profession": "PROFESSION_GENERAL_PRACTITIONER", "fte_milli": 800, "opened_on": "2023-01-01"});
    positions.push(ledger.eventually_accepted("open-post", post).await);
    let hire = json!({"person_id": person("dr-1"), "employment_id": "e-1", "post_id": "post-1", "centre_id": "blois",
        "employer": {"siret": "21410018200010", "name": "Commune de Blois"},
        "profession": "PROFESSION_GENERAL_PRACTITIONER", "fte_milli": 800, "start_date": "2023-03-01"});
    positions.push(ledger.eventually_accepted("hire-professional", hire).await);
    let guarantee = json!({
        "guarantee_id": "gar-1", "envelope_id": "cvl-msp",
        "borrower": {"legal_entity": {"siret": "21410018200010", "name": "SISA de Blois"}},
        "lender": {"siret": "23450002300028", "name": "Banque"},
        "principal_cents": 5_000_000, "guaranteed_cents": 2_500_000,
        "start_date": "2021-01-01", "end_date": "2030-12-31", "purpose": "Extension de la MSP"});
    positions.push(ledger.accepted("grant-loan-guarantee", guarantee).await);
    let release = json!({"guarantee_id": "gar-1", "release": "GUARANTEE_RELEASE_REPAID", "called_cents": 0, "effective_date": "2025-01-01"});
    positions.push(ledger.accepted("release-loan-guarantee", release).await);

    let progress = |body: &Value| (body[0]["actual"].as_i64(), body[0]["reached"].as_bool());
    let targets = |d: &str| format!("/v1/targets?programme_id=cvl-plan-urgence-sante&as_of={d}");
    assert_eq!(
        progress(
            &ledger
                .get_ok_after(&targets("2020-12-31"), &positions)
                .await
        ),
        (Some(2), Some(false))
    );
    // Vendôme closed on its closing day; Romorantin opens in 2024.
    assert_eq!(
        progress(&ledger.get_ok(&targets("2023-12-31")).await),
        (Some(1), Some(false))
    );
    assert_eq!(
        progress(&ledger.get_ok(&targets("2025-12-31")).await),
        (Some(2), Some(false))
    );

    let members = ledger.get_ok("/v1/groupings/gip-test/members").await;
    assert_eq!(members["members"], 3);
    assert_eq!(
        members["colleges"],
        json!([{"college": "collectivites", "members": 2}, {"college": "etat", "members": 1}])
    );
    let blois = ledger
        .get_ok("/v1/centres?as_of=2023-02-28&kind=CENTRE_KIND_MSP&open=true")
        .await["centres"]
        .clone();
    let blois: Vec<&Value> = blois
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["centre_id"] == "blois")
        .collect();
    assert_eq!(
        (
            blois[0]["consultations"].as_i64(),
            blois[0]["patients_to_date"].as_i64()
        ),
        (Some(1_750), Some(1_350))
    );
    let posts = ledger.get_ok("/v1/posts?as_of=2023-02-01").await["posts"].clone();
    assert_eq!(
        (posts[0]["open"].as_bool(), posts[0]["filled"].as_bool()),
        (Some(true), Some(false))
    );
    let posts = ledger.get_ok("/v1/posts?as_of=2023-03-01").await["posts"].clone();
    assert_eq!(posts[0]["filled"], true);

    let exposure = |body: &Value| body["guarantee_exposure_cents"].as_i64();
    let balance = |d: &str| format!("/v1/envelopes/cvl-msp/balance?as_of={d}");
    assert_eq!(
        exposure(&ledger.get_ok(&balance("2024-12-31")).await),
        Some(2_500_000)
    );
    assert_eq!(
        exposure(&ledger.get_ok(&balance("2025-01-01")).await),
        Some(0)
    );
    let guarantees = ledger.get_ok("/v1/guarantees?as_of=2024-12-31").await["guarantees"].clone();
    assert_eq!(guarantees[0]["exposure_cents"], 2_500_000);
    // A guarantee never touches what is available to commit.
    assert_eq!(
        ledger.get_ok(&balance("2024-12-31")).await["available_cents"],
        1_000_000
    );
    ledger.shutdown().await;
}

#[tokio::test]
async fn every_read_keeps_the_wait_for_promise_for_one_position_or_several() {
    let ledger = TestLedger::with_envelope(10_000_000).await.unwrap();
    let (_, first) = ledger
        .command("award-grant", None, &award("w1", "cvl-msp", 1_000))
        .await
        .unwrap();
    let (_, second) = ledger
        .command("award-grant", None, &award("w2", "cvl-msp", 2_000))
        .await
        .unwrap();
    let both = format!("{},{}", position(&first), position(&second));
    // Routes that used to ignore wait_for now wait, for every position.
    for route in [
        "/v1/loans",
        "/v1/guarantees",
        "/v1/posts",
        "/v1/groupings/gip/members",
    ] {
        let (status, body) = ledger
            .get(&format!("{route}?wait_for={both}&wait_ms=20000"))
            .await
            .unwrap();
        assert_eq!(status, 200, "{route}: {body}");
        // A position the view cannot have reached: a bounded wait, then 503.
        let far = format!("{}:0:999999999", ledger.topics.grants);
        let (status, body) = ledger
            .get(&format!("{route}?wait_for={far}&wait_ms=100"))
            .await
            .unwrap();
        assert_eq!(status, 503, "{route}: {body}");
        assert_eq!(body["error"]["code"], "projection_lagging");
    }
    // A position in no partition the view follows (a mistyped topic, say)
    // can never be reached: 404 at once, naming the parameter, not a wait.
    let started = std::time::Instant::now();
    let (status, body) = ledger
        .get("/v1/balances?wait_for=ledger.nothing.v1:0:1&wait_ms=20000")
        .await
        .unwrap();
    assert_eq!(
        (status, &body["error"]["code"], &body["error"]["field"]),
        (
            404,
            &serde_json::json!("not_found"),
            &serde_json::json!("wait_for")
        ),
        "{body}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let (status, body) = ledger
        .get(&format!("/v1/grants?wait_for={both}&wait_ms=20000"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["grants"].as_array().unwrap().len(),
        2,
        "both are visible"
    );
    let (status, body) = ledger
        .get(&format!("/v1/grants?wait_for={},garbage", position(&first)))
        .await
        .unwrap();
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "wait_for");
    let (status, body) = ledger.get("/v1/grants?wait_ms=40000").await.unwrap();
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "wait_ms");
    ledger.shutdown().await;
}
