//! Seed 000 — Région Centre-Val de Loire, Plan Urgence Santé (2018) and the
//! "100% Santé" platform: a €20M envelope for maisons de santé
//! pluriprofessionnelles (MSP), 125 MSP by the end of 2025 hosting more than
//! 1,000 professionals, 300 salaried doctor posts by 2028, 300 doctors
//! trained from 2021 and 340 from 2023.
//!
//! From the seed: the funder, the programme, the €20M total, the 125 MSP and
//! their deadline, the 1,000 professionals, the targets for 2021, 2023, 2028.
//! INVENTED: the vote reference and dates; how the €20M splits over 125
//! awards (they add up to it exactly) and when each was decided (2018–2025);
//! where each MSP is (real INSEE codes of real towns of the region); opening
//! dates (six months after the award); payment dates (four months after the
//! award, none after July 2025); the professionals' professions and dates
//! (1,010 installations: eight per MSP, two more in the first five).

use serde_json::{json, Value};

use super::{month_day, shares, siret};
use crate::Step;

/// The figures the scenario reproduces, for checks.
pub struct Cvl {
    pub programme_id: &'static str,
    pub envelope_id: &'static str,
    pub envelope_cents: i64,
    pub msp: usize,
    pub professionals_hosted: usize,
}

pub const CVL: Cvl = Cvl {
    programme_id: "cvl-plan-urgence-sante",
    envelope_id: "cvl-msp-2018",
    envelope_cents: 2_000_000_000,
    msp: 125,
    professionals_hosted: 1_010,
};

/// Towns of the region (département, INSEE code, name). INVENTED: which MSP
/// is where.
const TOWNS: [(&str, &str, &str); 20] = [
    ("41", "41018", "Blois"),
    ("41", "41269", "Vendôme"),
    ("41", "41194", "Romorantin-Lanthenay"),
    ("41", "41252", "Suèvres"),
    ("37", "37261", "Tours"),
    ("37", "37072", "Chinon"),
    ("37", "37003", "Amboise"),
    ("37", "37132", "Loches"),
    ("45", "45234", "Orléans"),
    ("45", "45208", "Montargis"),
    ("45", "45155", "Gien"),
    ("45", "45252", "Pithiviers"),
    ("18", "18033", "Bourges"),
    ("18", "18279", "Vierzon"),
    ("18", "18197", "Saint-Amand-Montrond"),
    ("28", "28085", "Chartres"),
    ("28", "28134", "Dreux"),
    ("28", "28088", "Châteaudun"),
    ("36", "36044", "Châteauroux"),
    ("36", "36088", "Issoudun"),
];

const PROFESSIONS: [&str; 8] = [
    "PROFESSION_GENERAL_PRACTITIONER",
    "PROFESSION_NURSE",
    "PROFESSION_PHYSIOTHERAPIST",
    "PROFESSION_GENERAL_PRACTITIONER",
    "PROFESSION_DENTIST",
    "PROFESSION_MIDWIFE",
    "PROFESSION_NURSE",
    "PROFESSION_OTHER_PARAMEDICAL",
];

fn programme() -> Value {
    json!({
        "programme_id": CVL.programme_id,
        "funder": {"kind": "FUNDER_KIND_REGION", "code": "24", "name": "Région Centre-Val de Loire"},
        "name": "Plan Urgence Santé — plate-forme 100% Santé",
        "period_start": "2018-01-01", "period_end": "2028-12-31",
        "axes": [
            {"code": "former", "title": "Former et installer davantage de médecins et professionnels de santé"},
            {"code": "proximite", "title": "Permettre l'accès aux soins de proximité dans chaque territoire", "measures": [
                {"code": "msp", "title": "Maisons de santé pluriprofessionnelles"},
                {"code": "salariat", "title": "Médecins salariés dans les centres de santé"},
                {"code": "telemedecine", "title": "Aménagement numérique et télémédecine"}]},
            {"code": "prevention", "title": "Promouvoir la santé, de manière globale, avec des actions de prévention"},
            {"code": "innovation", "title": "Attractivité territoriale en matière de recherche et d'innovation"}
        ],
        "effective_date": "2018-01-15"  // INVENTED date
    })
}

fn target(id: &str, metric: &str, value: i64, deadline: &str, description: &str) -> Step {
    Step::http(
        "set-target",
        format!("cvl-target-{id}"),
        json!({"programme_id": CVL.programme_id, "target_id": id, "metric": metric, "value": value,
               "deadline": deadline, "description": description, "effective_date": "2018-01-15"}),
    )
}

pub(super) fn steps() -> Vec<Step> {
    let mut steps = vec![
        Step::http("declare-programme", "cvl-programme", programme()),
        target(
            "msp-2025",
            "TARGET_METRIC_MSP_OPEN",
            125,
            "2025-12-31",
            "125 MSP d'ici la fin de 2025",
        ),
        target(
            "hosted-2025",
            "TARGET_METRIC_PROFESSIONALS_HOSTED",
            1_000,
            "2025-12-31",
            "Plus de 1 000 professionnels accueillis en MSP",
        ),
        target(
            "salaried-2028",
            "TARGET_METRIC_SALARIED_DOCTORS",
            300,
            "2028-12-31",
            "300 postes de médecins salariés à échéance 2028",
        ),
        // "Former ainsi 300 médecins dès 2021, puis 340 dès 2023": yearly
        // flows (read as a year's intake), not counts by a deadline.
        Step::http(
            "set-target",
            "cvl-target-trained-yearly",
            json!({"programme_id": CVL.programme_id, "target_id": "trained-yearly",
                   "metric": "TARGET_METRIC_PROFESSIONALS_TRAINED", "shape": "TARGET_SHAPE_FLOW_PER_YEAR",
                   "steps": [{"from_year": 2021, "per_year": 300}, {"from_year": 2023, "per_year": 340}],
                   "deadline": "2028-12-31", "description": "Former 300 médecins dès 2021, puis 340 dès 2023",
                   "effective_date": "2018-01-15"}),
        ),
        Step::http(
            "open-envelope",
            "cvl-envelope",
            json!({
            "envelope_id": CVL.envelope_id, "programme_id": CVL.programme_id, "measure_code": "msp",
            "kind": "AUTHORISATION_KIND_AP", "amount_cents": CVL.envelope_cents,
            "period_start": "2018-01-01", "period_end": "2025-12-31",
            "vote_reference": "CR-2018-AP-MSP",  // INVENTED reference
            "label": "Maisons de santé pluriprofessionnelles — 20 M€",
            "territory": {"region_code": "24"},
            "effective_date": "2018-02-01"}),
        ), // INVENTED date
    ];
    let amounts = shares(CVL.envelope_cents, CVL.msp);
    let mut installed = 0usize;
    for (i, amount) in amounts.iter().enumerate() {
        let n = i + 1;
        let (dep, commune, town) = TOWNS[i % TOWNS.len()];
        let grant_id = format!("msp-cvl-{n:03}");
        // Awards spread from March 2018 to May 2025.
        let month = 2 + (i as i32 * 87) / CVL.msp as i32;
        let awarded = month_day(2018, month, 10);
        let territory =
            json!({"region_code": "24", "departement_code": dep, "commune_code": commune});
        let beneficiary = json!({"siret": siret(2_100_000_000_000 + i as u64 * 7_919), "name": format!("Commune de {town}")});
        steps.push(Step::http(
            "award-grant",
            format!("cvl-award-{n:03}"),
            json!({
            "grant_id": grant_id, "envelope_id": CVL.envelope_id,
            "beneficiary": {"legal_entity": beneficiary},
            "kind": "GRANT_KIND_SUBSIDY", "amount_cents": amount,
            "purpose": format!("Création de la MSP n° {n} ({town})"), "measure_code": "msp",
            "territory": territory, "decision_reference": format!("CP-{awarded}-{n:03}"),
            "effective_date": awarded}),
        ));
        if month + 4 <= 90 {
            steps.push(Step::http("make-payment", format!("cvl-payment-{n:03}"), json!({
                "grant_id": grant_id, "payment_id": format!("{grant_id}-solde"), "amount_cents": amount,
                "mandate_reference": format!("MDT-{n:05}"), "effective_date": month_day(2018, month + 4, 20)})));
        }
        let centre_id = format!("msp-cvl-{n:03}");
        let opened = month_day(2018, month + 6, 1);
        steps.push(Step::http("open-centre", format!("cvl-centre-{n:03}"), json!({
            "centre_id": centre_id, "kind": "CENTRE_KIND_MSP", "finess": format!("{dep}0{:06}", 100 + n),
            "name": format!("Maison de santé pluriprofessionnelle de {town} n° {n}"),
            "territory": territory, "operator": beneficiary, "programme_id": CVL.programme_id,
            "opened_on": opened})));
        let hosted = if n <= 5 { 10 } else { 8 };
        for k in 0..hosted {
            installed += 1;
            steps.push(Step::http("record-installation", format!("cvl-installation-{installed:04}"), json!({
                "person_id": format!("pro-cvl-{installed:04}"), "profession": PROFESSIONS[k % PROFESSIONS.len()],
                "territory": territory, "centre_id": centre_id, "installed_on": opened}))
                .after_other_context());
        }
    }
    debug_assert_eq!(installed, CVL.professionals_hosted);
    steps
}
