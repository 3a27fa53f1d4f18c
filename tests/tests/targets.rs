//! Targets as the documents state them, on the real stack: yearly flows
//! ("une dizaine par an"), ratios, counts of some professions only; and the
//! indicators a programme observes, shown beside its targets' progress; and
//! a rebuild from the log equal to the live view.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use ledger_tests::TestLedger;
use serde_json::{json, Value};

const PROGRAMME: &str = "cvl-plan-urgence-sante";

fn centre(id: &str, kind: &str, opened_on: &str) -> Value {
    json!({
        "centre_id": id, "kind": kind, "finess": "410000012", "name": format!("Centre {id}"),
        "territory": {"region_code": "24", "departement_code": "41", "commune_code": "41018"},
        "operator": {"siret": "21410018200010", "name": "Commune de Blois"},
        "programme_id": PROGRAMME, "opened_on": opened_on})
}

fn hire(person: &str, profession: &str) -> Value {
    json!({"person_id": ledger_tests::person(person), "employment_id": "e-1", "centre_id": "blois",
        "employer": {"siret": "21410018200010", "name": "Commune de Blois"},
        "profession": profession, "fte_milli": 1000, "start_date": "2023-03-01"})
}

fn target<'a>(targets: &'a Value, id: &str) -> &'a Value {
    targets
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target_id"] == id)
        .unwrap_or_else(|| panic!("no target {id}: {targets}"))
}

#[tokio::test]
async fn flows_ratios_professions_and_indicators_beside_progress() {
    let ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    let mut positions = Vec::new();
    for (id, kind, opened) in [
        ("blois", "CENTRE_KIND_MSP", "2019-01-15"),
        ("vendome", "CENTRE_KIND_MSP", "2020-09-01"),
        ("romorantin", "CENTRE_KIND_MSP", "2024-03-01"),
        ("mer", "CENTRE_KIND_HEALTH_CENTRE", "2024-05-01"),
    ] {
        positions.push(
            ledger
                .accepted("open-centre", centre(id, kind, opened))
                .await,
        );
    }
    positions.push(
        ledger
            .accepted(
                "close-centre",
                json!({"centre_id": "vendome", "closed_on": "2023-12-31", "reason": "regroupement"}),
            )
            .await,
    );
    for (person, profession) in [
        ("dr-1", "PROFESSION_GENERAL_PRACTITIONER"),
        ("sec-1", "PROFESSION_MEDICAL_SECRETARY"),
    ] {
        positions.push(
            ledger
                .eventually_accepted("hire-professional", hire(person, profession))
                .await,
        );
    }

    // Bad shapes change nothing.
    let flow = json!({"programme_id": PROGRAMME, "target_id": "msp-par-an", "metric": "TARGET_METRIC_MSP_OPEN",
        "shape": "TARGET_SHAPE_FLOW_PER_YEAR", "deadline": "2025-12-31", "description": "MSP par an",
        "steps": [{"from_year": 2019, "per_year": 1}, {"from_year": 2022, "per_year": 2}]});
    for (change, field) in [
        (json!({"steps": []}), "steps"),
        (
            json!({"steps": [{"from_year": 2022, "per_year": 2}, {"from_year": 2019, "per_year": 1}]}),
            "steps[1].from_year",
        ),
        (
            json!({"denominator": "TARGET_METRIC_CENTRES_OPEN"}),
            "denominator",
        ),
        (json!({"professions": ["PROFESSION_NURSE"]}), "professions"),
    ] {
        let mut bad = flow.clone();
        for (k, v) in change.as_object().unwrap() {
            bad[k] = v.clone();
        }
        let answer = ledger
            .refused("set-target", &bad, 422, "invalid_field")
            .await;
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    positions.push(ledger.accepted("set-target", flow).await);
    let ratio = json!({"programme_id": PROGRAMME, "target_id": "part-msp", "metric": "TARGET_METRIC_MSP_OPEN",
        "shape": "TARGET_SHAPE_RATIO", "denominator": "TARGET_METRIC_CENTRES_OPEN", "value": 5_000,
        "deadline": "2025-12-31", "description": "La moitié des centres en MSP"});
    let mut denominatorless = ratio.clone();
    denominatorless["denominator"] = json!("TARGET_METRIC_UNSPECIFIED");
    ledger
        .refused("set-target", &denominatorless, 422, "invalid_field")
        .await;
    positions.push(ledger.accepted("set-target", ratio).await);
    for (id, professions) in [
        ("recrutes", json!([])),
        (
            "recrutes-soignants",
            json!(["PROFESSION_GENERAL_PRACTITIONER", "PROFESSION_NURSE"]),
        ),
    ] {
        let count = json!({"programme_id": PROGRAMME, "target_id": id, "metric": "TARGET_METRIC_PROFESSIONALS_RECRUITED",
            "value": 2, "deadline": "2025-12-31", "description": "Recrutements", "professions": professions});
        positions.push(ledger.accepted("set-target", count).await);
    }

    // Indicators: one for a target, one for the whole programme.
    let indicator = |id: &str, value: i64, on: &str, target: &str| {
        json!({"programme_id": PROGRAMME, "indicator_id": id, "description": "Part des MG de plus de 55 ans",
               "value": value, "unit": "INDICATOR_UNIT_BASIS_POINTS", "observed_on": on,
               "source": "Observatoire régional de la santé", "target_id": target})
    };
    ledger
        .refused(
            "record-indicator",
            &indicator("mg-55", 5_600, "2022-01-24", "no-such-target"),
            422,
            "not_found",
        )
        .await;
    let mut unitless = indicator("mg-55", 5_600, "2022-01-24", "");
    unitless["unit"] = json!("INDICATOR_UNIT_UNSPECIFIED");
    ledger
        .refused("record-indicator", &unitless, 422, "invalid_field")
        .await;
    for (value, on) in [(5_600, "2022-01-24"), (5_800, "2024-01-15")] {
        positions.push(
            ledger
                .accepted("record-indicator", indicator("mg-55", value, on, ""))
                .await,
        );
    }
    positions.push(
        ledger
            .accepted(
                "record-indicator",
                indicator("msp-zones", 12, "2023-06-01", "msp-par-an"),
            )
            .await,
    );

    let targets = ledger
        .get_ok_after(
            &format!("/v1/targets?programme_id={PROGRAMME}&as_of=2025-06-30"),
            &positions,
        )
        .await;
    // Each year what the MSP open grew by (Vendôme's closure counts
    // against 2023) against the step in force.
    let flow = target(&targets, "msp-par-an");
    let years: Vec<(i64, i64, i64, bool)> = flow["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| {
            (
                y["year"].as_i64().unwrap(),
                y["target"].as_i64().unwrap(),
                y["actual"].as_i64().unwrap(),
                y["reached"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        years,
        [
            (2019, 1, 1, true),
            (2020, 1, 1, true),
            (2021, 1, 0, false),
            (2022, 2, 0, false),
            (2023, 2, -1, false),
            (2024, 2, 1, false),
            (2025, 2, 0, false),
        ]
    );
    assert_eq!(
        (
            flow["target"].as_i64(),
            flow["actual"].as_i64(),
            flow["reached"].as_bool()
        ),
        (Some(11), Some(2), Some(false))
    );
    // Two MSP among three centres open: 66.67 %.
    let share = target(&targets, "part-msp");
    assert_eq!(
        (
            share["numerator_value"].as_i64(),
            share["denominator_value"].as_i64(),
            share["actual"].as_i64(),
            share["reached"].as_bool()
        ),
        (Some(2), Some(3), Some(6_667), Some(true))
    );
    // A secretary is not a recruitment the second target counts.
    assert_eq!(target(&targets, "recrutes")["actual"], 2);
    assert_eq!(target(&targets, "recrutes-soignants")["actual"], 1);
    // Beside the progress: the programme's indicator at its latest value,
    // and the flow's own.
    let beside = |t: &Value| -> Vec<(String, i64)> {
        t["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["indicator_id"].as_str().unwrap().to_owned(),
                    i["value"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        beside(flow),
        [("mg-55".to_owned(), 5_800), ("msp-zones".to_owned(), 12)]
    );
    assert_eq!(beside(share), [("mg-55".to_owned(), 5_800)]);
    // As of 2023 the indicator had its first value.
    let early = ledger
        .get_ok(&format!(
            "/v1/indicators?programme_id={PROGRAMME}&as_of=2023-12-31"
        ))
        .await;
    let values: Vec<i64> = early["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_i64().unwrap())
        .collect();
    assert_eq!(values, [5_600, 12]);
    // A page of one, then the next after its observation's event.
    let first = ledger
        .get_ok(&format!(
            "/v1/indicators?programme_id={PROGRAMME}&as_of=2023-12-31&limit=1"
        ))
        .await;
    assert_eq!(first["indicators"][0]["value"], 5_600);
    let next = first["next"].as_str().unwrap();
    assert_eq!(next, early["indicators"][0]["event_id"].as_str().unwrap());
    let second = ledger
        .get_ok(&format!(
            "/v1/indicators?programme_id={PROGRAMME}&as_of=2023-12-31&limit=1&after={next}"
        ))
        .await;
    assert_eq!(second["indicators"][0]["value"], 12);
    assert!(second["next"].is_null(), "{second}");

    // Replayed from the log, targets and indicators are the live ones.
    let checks = ledger.rebuilt_equal("shadow_targets").await;
    assert!(checks
        .iter()
        .any(|c| c.table == "indicators" && c.shadow_rows == 3));
    ledger.shutdown().await;
}
