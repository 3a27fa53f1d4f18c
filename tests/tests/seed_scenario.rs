//! The seed programmes, loaded through the public interfaces (HTTP and the
//! inbound topic), read back through the read API: the figures of the four
//! seed documents.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::{collections::HashMap, time::Duration};

use ledger_seed::{
    load::load,
    scenario::{seed_scenario, CVL, LOIR_ET_CHER, OCCITANIE},
};
use ledger_tests::{kafka, TestLedger};
use serde_json::Value;

async fn get(ledger: &TestLedger, path: &str) -> Value {
    let (status, body) = ledger.get(path).await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// Every row of a paged list (`path` with its query), `limit` a page,
/// following `next` to the end.
async fn every_page(ledger: &TestLedger, path: &str, limit: u32, field: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut after = String::new();
    loop {
        let page = get(ledger, &format!("{path}&limit={limit}{after}")).await;
        rows.extend(page[field].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return rows,
        }
    }
}

#[tokio::test]
async fn the_read_api_reproduces_the_seed_figures() {
    let mut ledger = TestLedger::start().await.unwrap();
    let report = ledger.load_seed().await.unwrap();
    assert_eq!(report.accepted, seed_scenario().len());
    assert!(
        report.inbound > 100,
        "the GIP's HR system goes through Kafka"
    );

    // The catalogue names every programme with its funder and envelopes.
    let programmes = get(&ledger, "/v1/programmes").await;
    let cvl = programmes
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["programme_id"] == CVL.programme_id)
        .unwrap();
    assert_eq!(cvl["funder"], "region:24");
    assert_eq!(cvl["funder_name"], "Région Centre-Val de Loire");
    let envelopes: Vec<&str> = cvl["envelopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["envelope_id"].as_str().unwrap())
        .collect();
    assert_eq!(envelopes, ["cvl-msp-2008", "cvl-msp-2013", CVL.envelope_id]);
    // Known before anything was recorded: no programme yet.
    let before = get(&ledger, "/v1/programmes?known_at=2001-01-01T00:00:00Z").await;
    assert_eq!(before, serde_json::json!([]));

    // Month by month, from the envelope's first line through the last: the
    // month's flows add up to the stocks, and the last month's stock is
    // the balance.
    let months = get(
        &ledger,
        &format!(
            "/v1/balances?envelope_id={}&group_by=month",
            CVL.envelope_id
        ),
    )
    .await;
    let months = months["balances"].as_array().unwrap();
    assert_eq!(months[0]["key"], "2018-02");
    let keys: Vec<&str> = months.iter().map(|m| m["key"].as_str().unwrap()).collect();
    for pair in keys.windows(2) {
        let (y, m) = pair[0].split_once('-').unwrap();
        let (y, m): (i32, u32) = (y.parse().unwrap(), m.parse().unwrap());
        let next = if m == 12 {
            format!("{}-01", y + 1)
        } else {
            format!("{y}-{:02}", m + 1)
        };
        assert_eq!(pair[1], next, "every month, none skipped");
    }
    let mut committed = 0;
    for m in months {
        committed += m["committed_cents"].as_i64().unwrap();
        assert_eq!(
            m["committed_to_date_cents"].as_i64().unwrap(),
            committed,
            "{m}"
        );
    }
    assert_eq!(committed, CVL.envelope_cents);

    // Every figure of a balance row links to the journal lines it sums:
    // following each link and adding the lines up gives the figure back
    // (credits of `authorised` and `recoveries` count negatively), and a
    // line leads to its event with its Kafka coordinates and hash.
    let rows = get(
        &ledger,
        &format!(
            "/v1/balances?programme_id={}&group_by=envelope",
            CVL.programme_id
        ),
    )
    .await;
    let row = rows["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == CVL.envelope_id)
        .unwrap();
    let links = row["journal"].as_object().unwrap();
    assert_eq!(links.len(), 20, "every figure: {links:?}");
    for (figure, link) in links {
        let lines = every_page(&ledger, link.as_str().unwrap(), 1000, "postings").await;
        let sum: i64 = lines
            .iter()
            .map(|l| l["amount_cents"].as_i64().unwrap())
            .sum();
        let negated = figure.starts_with("voted") || figure == "recovery_ordered_cents";
        let want = row[figure.as_str()].as_i64().unwrap();
        assert_eq!(if negated { -sum } else { sum }, want, "{figure}: {link}");
    }
    let committed = get(&ledger, links["committed_cents"].as_str().unwrap()).await;
    let line = &committed["postings"][0];
    assert_eq!(
        (&line["currency"], &row["currency"]),
        (&Value::from("EUR"), &Value::from("EUR"))
    );
    let event = get(
        &ledger,
        &format!("/v1/events/{}", line["event_id"].as_str().unwrap()),
    )
    .await;
    for field in ["topic", "partition", "offset", "event_type"] {
        assert_eq!(event[field], line[field], "{field}");
    }
    assert_eq!(event["hash"].as_str().unwrap().len(), 64);

    // The whole journal as CSV, streamed page after page: every line of the
    // JSON pages, in the same order, once.
    let seqs: Vec<String> = every_page(&ledger, "/v1/journal?", 1000, "postings")
        .await
        .iter()
        .map(|p| p["posting_seq"].to_string())
        .collect();
    // More than the 1,000 lines the export reads at a time.
    assert!(seqs.len() > 1_000, "{} lines", seqs.len());
    let csv = ledger
        .http
        .get(ledger.api_url("/v1/journal?format=csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(csv.starts_with("posting_seq,"));
    assert_eq!(rows, seqs);

    // Centre-Val de Loire: the €20M envelope committed in full, 125 MSP open
    // by the end of 2025, more than 1,000 professionals hosted.
    let envelope = get(
        &ledger,
        &format!("/v1/envelopes/{}/balance", CVL.envelope_id),
    )
    .await;
    // The Plan Urgence Santé's AP of 2018, committed to the cent; with the
    // AP of 2008 and 2013, the €20M voted for MSP since 2008, all
    // committed, over 125 awards.
    assert_eq!(envelope["voted_cents"], CVL.envelope_cents);
    assert_eq!(
        envelope["currency"], "EUR",
        "every amount says its currency"
    );
    assert_eq!(envelope["committed_cents"], CVL.envelope_cents);
    assert_eq!(envelope["available_cents"], 0);
    assert_eq!(envelope["grants"], 53);
    let msp = get(
        &ledger,
        &format!(
            "/v1/balances?programme_id={}&group_by=envelope",
            CVL.programme_id
        ),
    )
    .await;
    let by_envelope: Vec<(&str, i64, i64)> = msp["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["key"].as_str().unwrap(),
                b["voted_cents"].as_i64().unwrap(),
                b["available_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_envelope,
        [
            ("cvl-msp-2008", 600_000_000, 0),
            ("cvl-msp-2013", 600_000_000, 0),
            ("cvl-msp-2018", 800_000_000, 0),
        ]
    );
    assert_eq!(by_envelope.iter().map(|e| e.1).sum::<i64>(), CVL.msp_cents);
    let (_, grants) = ledger
        .get("/v1/grants?limit=1000&kind=GRANT_KIND_SUBSIDY&as_of=2025-12-31")
        .await
        .unwrap();
    let cvl_awards = grants["grants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| {
            g["grant_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("msp-cvl-"))
        })
        .count();
    assert_eq!(cvl_awards, CVL.msp);
    let targets = get(
        &ledger,
        &format!(
            "/v1/targets?programme_id={}&as_of=2025-12-31",
            CVL.programme_id
        ),
    )
    .await;
    let actual = |id: &str| {
        targets
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["target_id"] == id)
            .map(|t| (t["actual"].as_i64(), t["reached"].as_bool()))
    };
    assert_eq!(actual("msp-2025"), Some((Some(125), Some(true))));
    assert_eq!(actual("hosted-2025"), Some((Some(1_010), Some(true))));
    assert_eq!(actual("salaried-2028").map(|a| a.1), Some(Some(false)));

    // Occitanie, one year after the first centre opened: 11 centres, 66
    // health professionals (44 GPs, 1 midwife, 11 IPA, 10 nurses), 50,000
    // patients, 31
    // members in 4 colleges (18 at the start).
    let one_year = OCCITANIE.one_year_on;
    let centres = get(
        &ledger,
        &format!(
            "/v1/centres?programme_id={}&open=true&as_of={one_year}",
            OCCITANIE.programme_id
        ),
    )
    .await["centres"]
        .clone();
    let centres = centres.as_array().unwrap();
    assert_eq!(centres.len(), OCCITANIE.centres);
    assert_eq!(
        centres[0]["commune_code"], "09257",
        "the first: Sainte-Croix-Volvestre"
    );
    let patients: i64 = centres
        .iter()
        .map(|c| c["patients_to_date"].as_i64().unwrap())
        .sum();
    assert_eq!(patients, OCCITANIE.patients);
    let staff = get(
        &ledger,
        &format!(
            "/v1/headcounts?programme_id={}&group_by=profession&as_of={one_year}",
            OCCITANIE.programme_id
        ),
    )
    .await;
    let by_profession: HashMap<String, i64> = staff
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["key"].as_str().unwrap().to_owned(),
                h["headcount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_profession,
        HashMap::from([
            ("PROFESSION_GENERAL_PRACTITIONER".to_owned(), OCCITANIE.gps),
            ("PROFESSION_MIDWIFE".to_owned(), OCCITANIE.midwives),
            (
                "PROFESSION_ADVANCED_PRACTICE_NURSE".to_owned(),
                OCCITANIE.advanced_practice_nurses
            ),
            ("PROFESSION_NURSE".to_owned(), OCCITANIE.nurses),
        ])
    );
    // The document's 200 recruitments count médecins, infirmiers and
    // sages-femmes: the 66 employed, and the GP who left in February 2023
    // (a departure takes no recruitment back); the centres are a yearly
    // flow, all 11 opened since 2022.
    let targets = get(
        &ledger,
        &format!(
            "/v1/targets?programme_id={}&as_of={one_year}",
            OCCITANIE.programme_id
        ),
    )
    .await;
    let of = |id: &str| {
        targets
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["target_id"] == id)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        of("recrutes-200")["actual"].as_i64(),
        Some(
            OCCITANIE.gps
                + OCCITANIE.midwives
                + OCCITANIE.advanced_practice_nurses
                + OCCITANIE.nurses
                + 1
        )
    );
    let centres_yearly = of("centres-par-an");
    assert_eq!(centres_yearly["shape"], "TARGET_SHAPE_FLOW_PER_YEAR");
    assert_eq!(
        centres_yearly["actual"].as_i64(),
        Some(OCCITANIE.centres as i64),
        "{centres_yearly}"
    );
    let members = get(
        &ledger,
        &format!("/v1/groupings/{}/members", OCCITANIE.grouping_id),
    )
    .await;
    assert_eq!(members["members"], 31);
    let colleges: Vec<(String, i64)> = members["colleges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["college"].as_str().unwrap().to_owned(),
                c["members"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(colleges, OCCITANIE.colleges.map(|(c, n)| (c.to_owned(), n)));
    let founders = get(
        &ledger,
        &format!(
            "/v1/groupings/{}/members?as_of=2022-06-30",
            OCCITANIE.grouping_id
        ),
    )
    .await;
    assert_eq!(founders["members"], 18);
    let lussan = get(
        &ledger,
        &format!(
            "/v1/centres?programme_id={}&as_of=2023-09-30&departement=30",
            OCCITANIE.programme_id
        ),
    )
    .await["centres"]
        .clone();
    assert_eq!(lussan[0]["commune_code"], "30151", "the next: Lussan");

    // Loir-et-Cher: a bursary's obligation breached, and its recovery
    // ordered by the ledger: two thirds of €12,000.
    let mut recovered = Value::Null;
    for _ in 0..300 {
        recovered = get(
            &ledger,
            &format!("/v1/grants/{}", LOIR_ET_CHER.breached_grant),
        )
        .await;
        if recovered["recovery_ordered_cents"] != 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        recovered["recovery_ordered_cents"],
        LOIR_ET_CHER.recovery_cents
    );
    assert_eq!(recovered["paid_cents"], 1_200_000);
    let breached = get(&ledger, "/v1/obligations?state=breached").await;
    assert_eq!(breached["obligations"].as_array().unwrap().len(), 1);
    let fulfilled = get(&ledger, "/v1/obligations?state=fulfilled").await;
    assert_eq!(fulfilled["obligations"].as_array().unwrap().len(), 1);
    // The plan's €10M: an AE for operating aid, an AP for investment (which
    // carries the guarantee), each imputed and scheduled.
    let plan = get(
        &ledger,
        &format!("/v1/balances?programme_id={}", LOIR_ET_CHER.programme_id),
    )
    .await;
    assert_eq!(plan["balances"][0]["voted_cents"], 1_000_000_000);
    let ap = get(
        &ledger,
        &format!(
            "/v1/envelopes/{}/balance",
            LOIR_ET_CHER.investment_envelope_id
        ),
    )
    .await;
    assert_eq!(ap["voted_cents"], LOIR_ET_CHER.investment_cents);
    assert_eq!(ap["guarantee_exposure_cents"], 20_000_000);
    let etat = get(&ledger, "/v1/etat-ap-ae?funder=departement:41").await;
    let envelopes: Vec<(&str, &str, &str, i64)> = etat["envelopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let scheduled = e["cp_schedule"]
                .as_array()
                .unwrap()
                .iter()
                .map(|y| y["scheduled_cents"].as_i64().unwrap())
                .sum::<i64>();
            assert_eq!(Some(scheduled), e["voted_cents"].as_i64(), "{e}");
            (
                e["envelope_id"].as_str().unwrap(),
                e["kind"].as_str().unwrap(),
                e["section"].as_str().unwrap(),
                e["voted_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        envelopes,
        [
            (
                LOIR_ET_CHER.envelope_id,
                "AUTHORISATION_KIND_AE",
                "fonctionnement",
                LOIR_ET_CHER.envelope_cents
            ),
            (
                LOIR_ET_CHER.investment_envelope_id,
                "AUTHORISATION_KIND_AP",
                "investissement",
                LOIR_ET_CHER.investment_cents
            ),
        ]
    );
    // Every seed payment found its CP, which no year overdraws.
    let credits = get(&ledger, "/v1/credits").await;
    let credits = credits["credits"].as_array().unwrap();
    assert!(credits.len() >= 10, "{credits:?}");
    assert!(credits
        .iter()
        .all(|c| c["mandated_cents"].as_i64() > Some(0)
            && c["mandated_cents"].as_i64() <= c["voted_cents"].as_i64()));

    // Île-de-France: 0% loans.
    let loans = get(&ledger, "/v1/loans?envelope_id=idf-psi").await["loans"].clone();
    // Paged two at a time: the same loans, in the same order, each once.
    let paged = every_page(&ledger, "/v1/loans?envelope_id=idf-psi", 2, "loans").await;
    assert_eq!(&Value::Array(paged), &loans);
    let (status, body) = ledger
        .get("/v1/loans?envelope_id=idf-psi&after=no-such-loan")
        .await
        .unwrap();
    assert_eq!(
        (status, &body["error"]["field"]),
        (404, &Value::from("after"))
    );
    assert_eq!(loans.as_array().unwrap().len(), 5);
    assert!(loans
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["rate_basis_points"] == 0));
    // Honour loans, made through the partner platform.
    assert!(loans.as_array().unwrap().iter().all(|l| l["intermediary"]
        .as_str()
        .is_some_and(|i| i.starts_with("siret:"))));
    // Several million euros every year from 2016: one envelope a year for
    // each of the three schemes, plus the PSI fund and the 2023 support to
    // carers (telemedicine, SPS), one grant each.
    let idf = get(&ledger, "/v1/balances?funder=region:11&group_by=envelope").await;
    let envelopes: Vec<&str> = idf["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["key"].as_str().unwrap())
        .collect();
    assert_eq!(envelopes.len(), 3 * 11 + 2, "{envelopes:?}");
    assert!(envelopes.contains(&"idf-structures-2016") && envelopes.contains(&"idf-maintien-2026"));
    for grant in ["idf-telemedecine-meaux", "idf-sps-2023"] {
        let g = get(&ledger, &format!("/v1/grants/{grant}")).await;
        assert_eq!(g["envelope_id"], "idf-accompagnement-2023", "{g}");
    }
    // Their lives at 30 June 2026 (€500 a month each): loan 1 paid a
    // quarter at a time, up to date; loan 2 repaid early; loan 3 stopped
    // after seven months; loan 4 written off; loan 5 a year ahead.
    let loans =
        get(&ledger, "/v1/loans?envelope_id=idf-psi&as_of=2026-06-30").await["loans"].clone();
    let lives: Vec<(&str, [i64; 4])> = loans
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["state"].as_str().unwrap(),
                [
                    "repaid_cents",
                    "outstanding_cents",
                    "arrears_cents",
                    "written_off_cents",
                ]
                .map(|k| l[k].as_i64().unwrap()),
            )
        })
        .collect();
    assert_eq!(
        lives,
        [
            ("current", [2_550_000, 450_000, 0, 0]),
            ("repaid", [3_000_000, 0, 0, 0]),
            ("in_arrears", [350_000, 2_650_000, 1_500_000, 0]),
            ("written_off", [600_000, 0, 0, 2_400_000]),
            ("current", [1_800_000, 1_200_000, 0, 0]),
        ]
    );
    let psi = get(&ledger, "/v1/envelopes/idf-psi/balance?as_of=2026-06-30").await;
    assert_eq!(
        ["loans_cents", "loans_outstanding_cents", "committed_cents"]
            .map(|k| psi[k].as_i64().unwrap()),
        [15_000_000, 4_300_000, 15_000_000],
        "{psi}"
    );

    // Loir-et-Cher as its plan says: the allowance revalued by €1,500 (an
    // allowance running then amended, a later one awarded at the new
    // rate, a paramedical student's too), the provisional subsidy adjusted
    // to real activity, the MSP aid's obligation from its award.
    for (grant, cents) in [
        ("cd41-allocation-stage-1", 450_000),
        ("cd41-allocation-stage-5", 450_000),
        ("cd41-allocation-stage-paramedical-1", 450_000),
        ("cd41-pais-2023", 5_200_000),
    ] {
        let g = get(&ledger, &format!("/v1/grants/{grant}")).await;
        assert_eq!(
            (g["committed_cents"].as_i64(), g["paid_cents"].as_i64()),
            (Some(cents), Some(cents)),
            "{g}"
        );
    }
    // Every step of a titre's life: the breach's €8,000 under a plan, its
    // first instalment received, €2,000 waived off the last, the April
    // one late at the end of June; an overpayment reduced, then written
    // off.
    let figures = |titre: &Value| {
        [
            "ordered_cents",
            "reduced_cents",
            "received_cents",
            "waived_cents",
            "written_off_cents",
            "outstanding_cents",
            "arrears_cents",
        ]
        .map(|k| titre[k].as_i64().unwrap_or(i64::MIN))
    };
    let breach = get(
        &ledger,
        &format!(
            "/v1/grants/{}/recoveries?as_of=2026-06-30",
            LOIR_ET_CHER.breached_grant
        ),
    )
    .await;
    assert_eq!(
        figures(&breach[0]),
        [800_000, 0, 200_000, 200_000, 0, 400_000, 200_000],
        "{breach}"
    );
    let overpaid = get(&ledger, "/v1/grants/cd41-allocation-stage-2/recoveries").await;
    assert_eq!(
        figures(&overpaid[0]),
        [100_000, 50_000, 0, 0, 100_000, 0, 0],
        "{overpaid}"
    );
    let msp_aid = get(&ledger, "/v1/obligations?grant_id=cd41-aide-msp-1").await;
    assert_eq!(
        msp_aid["obligations"][0]["start_date"], "2023-03-10",
        "{msp_aid}"
    );

    // Loir-et-Cher's guarantees: the first follows the bank's report, one
    // instalment behind; the second was called for its exposure, and half
    // of the claim on the SISA came back under its plan.
    let register = get(&ledger, "/v1/guarantees?as_of=2025-06-30").await["guarantees"].clone();
    let first = register
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["guarantee_id"] == "cd41-garantie-1")
        .unwrap();
    assert_eq!(
        [
            "share_basis_points",
            "outstanding_principal_cents",
            "exposure_cents"
        ]
        .map(|k| first[k].as_i64().unwrap()),
        [5_000, 34_000_000, 17_000_000],
        "{first}"
    );
    let register = get(&ledger, "/v1/guarantees?as_of=2026-06-30").await["guarantees"].clone();
    let second = register
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["guarantee_id"] == "cd41-garantie-2")
        .unwrap();
    assert_eq!(
        [
            "called_cents",
            "exposure_cents",
            "claim_received_cents",
            "claim_outstanding_cents"
        ]
        .map(|k| second[k].as_i64().unwrap()),
        [4_000_000, 0, 2_000_000, 2_000_000],
        "{second}"
    );

    // Loading again changes nothing.
    let steps = seed_scenario();
    let again = load(&steps, &ledger.seed_target()).await.unwrap();
    assert_eq!(again.replayed + again.inbound, steps.len(), "{again:?}");
    ledger.shutdown().await;
}

#[tokio::test]
async fn a_synthetic_history_straight_to_the_topics_is_what_the_read_side_shows() {
    use ledger_seed::{
        direct::Direct,
        load::Report,
        synthetic::{funder_steps, Sizes},
    };
    let mut ledger = TestLedger::empty().await.unwrap();
    ledger.start_projector().await.unwrap();
    ledger.start_api().await.unwrap();
    let kafka = kafka();
    let direct = Direct::start(
        &kafka,
        &ledger.topics,
        &ledger.namespace,
        "synthetic",
        &ledger_tests::keys_dir(),
    )
    .await
    .unwrap();
    let sizes = Sizes {
        funders: 3,
        beneficiaries: 30,
        professionals: 16,
    };
    let steps: Vec<_> = (0..sizes.funders)
        .flat_map(|f| funder_steps(11, sizes, f))
        .collect();
    let mut report = Report::default();
    for step in &steps {
        direct.submit(step, &mut report).await.unwrap();
    }
    direct.finish().await;
    assert_eq!(report.accepted, steps.len());
    for position in report.wait_for() {
        let (status, body) = ledger
            .get(&format!("/v1/balances?wait_for={position}&wait_ms=30000"))
            .await
            .unwrap();
        assert_eq!(status, 200, "{position}: {body}");
    }
    let count = |command: &str| steps.iter().filter(|s| s.command == command).count();
    let grants = get(&ledger, "/v1/grants?limit=1000").await;
    assert_eq!(
        grants["grants"].as_array().unwrap().len(),
        count("award-grant")
    );
    let paid: i64 = steps
        .iter()
        .filter(|s| s.command == "make-payment")
        .map(|s| s.body["amount_cents"].as_i64().unwrap())
        .sum();
    let balances = get(&ledger, "/v1/balances").await;
    assert_eq!(balances["balances"][0]["paid_cents"], paid);
    let headcount = count("hire-professional") - count("record-departure");
    let staff = get(&ledger, "/v1/headcounts?as_of=2030-01-01").await;
    assert_eq!(staff[0]["headcount"].as_u64(), Some(headcount as u64));
    let breached = get(
        &ledger,
        "/v1/obligations?state=breached&limit=1000&as_of=2035-01-01",
    )
    .await;
    assert_eq!(
        breached["obligations"].as_array().unwrap().len(),
        count("breach-obligation")
    );
    ledger.shutdown().await;
}
