//! Seed 000 — Région Centre-Val de Loire: support to maisons de santé
//! pluriprofessionnelles (MSP) since 2008, the Plan Urgence Santé (2018)
//! and the "100% Santé" platform: €20M invested in MSP over 2008–2025,
//! 125 MSP by the end of 2025 hosting more than 1,000 professionals, 300
//! salaried doctor posts by 2028, 300 doctors trained a year from 2021 and
//! 340 from 2023; the platform's four axes.
//!
//! From the seed: the funder, the programme, MSP support since 2008, the
//! €20M total, the 125 MSP and their deadline, the 1,000 professionals,
//! the targets for 2021, 2023, 2028, the four axes. INVENTED: how the €20M
//! was voted (three AP: €6M in 2008 for 2008–2012, €6M in 2013 for
//! 2013–2017, €8M in 2018 for 2018–2025), the references and dates; how
//! each AP splits over its awards (they add up to it exactly) and when each
//! of the 125 was decided (evenly, March 2008 to May 2025); where each MSP
//! is (real INSEE codes of real towns of the region); opening dates (six
//! months after the award); payment dates (four months after the award,
//! none after July 2025); the professionals' professions and dates (1,010
//! installations: eight per MSP, two more in the first five).

use serde_json::{json, Value};

use super::{month_day, shares, siret};
use crate::Step;

/// The figures the scenario reproduces, for checks.
pub struct Cvl {
    pub programme_id: &'static str,
    /// The Plan Urgence Santé's MSP envelope (2018–2025), the last of three.
    pub envelope_id: &'static str,
    pub envelope_cents: i64,
    /// Everything voted for MSP since 2008.
    pub msp_cents: i64,
    pub msp: usize,
    pub professionals_hosted: usize,
}

pub const CVL: Cvl = Cvl {
    programme_id: "cvl-plan-urgence-sante",
    envelope_id: "cvl-msp-2018",
    envelope_cents: 800_000_000,
    msp_cents: 2_000_000_000,
    msp: 125,
    professionals_hosted: 1_010,
};

/// The three MSP envelopes: (id, cents, first year, last year, vote date).
const MSP_ENVELOPES: [(&str, i64, i32, i32, &str); 3] = [
    ("cvl-msp-2008", 600_000_000, 2008, 2012, "2008-02-01"),
    ("cvl-msp-2013", 600_000_000, 2013, 2017, "2013-02-01"),
    (
        CVL.envelope_id,
        CVL.envelope_cents,
        2018,
        2025,
        "2018-02-01",
    ),
];

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
        "name": "Soutien aux MSP (depuis 2008), Plan Urgence Santé et plate-forme 100% Santé",
        "period_start": "2008-01-01", "period_end": "2028-12-31",
        "axes": [
            {"code": "former", "title": "Former et installer davantage de médecins et professionnels de santé"},
            {"code": "proximite", "title": "Permettre l'accès aux soins de proximité dans chaque territoire", "measures": [
                {"code": "msp", "title": "Maisons de santé pluriprofessionnelles"},
                {"code": "salariat", "title": "Médecins salariés dans les centres de santé"},
                {"code": "telemedecine", "title": "Aménagement numérique et télémédecine"}]},
            {"code": "prevention", "title": "Promouvoir la santé, de manière globale, avec des actions de prévention"},
            {"code": "innovation", "title": "Attractivité territoriale en matière de recherche et d'innovation"}
        ],
        "effective_date": "2008-01-15"  // INVENTED date
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
    ];
    for (id, cents, first, last, voted) in MSP_ENVELOPES {
        steps.push(Step::http(
            "open-envelope",
            if id == CVL.envelope_id {
                "cvl-envelope".to_owned()
            } else {
                format!("cvl-envelope-{first}")
            },
            json!({
            "envelope_id": id, "programme_id": CVL.programme_id, "measure_code": "msp",
            "kind": "AUTHORISATION_KIND_AP", "amount_cents": cents,
            "period_start": format!("{first}-01-01"), "period_end": format!("{last}-12-31"),
            "vote_reference": format!("CR-{first}-AP-MSP"),
            "label": format!("Maisons de santé pluriprofessionnelles {first}–{last}"),
            "territory": {"region_code": "24"},
            "effective_date": voted}),
        ));
    }
    // Awards spread evenly from March 2008 to May 2025 (months from
    // January 2008), each on the envelope of its year, whose vote its
    // awards share exactly.
    let months: Vec<i32> = (0..CVL.msp)
        .map(|i| 2 + (i as i32 * 207) / CVL.msp as i32)
        .collect();
    let envelope_of = |month: i32| {
        let year = 2008 + month / 12;
        MSP_ENVELOPES
            .iter()
            .find(|e| (e.2..=e.3).contains(&year))
            .copied()
            .unwrap_or(MSP_ENVELOPES[2])
    };
    let mut amounts = Vec::with_capacity(CVL.msp);
    for (id, cents, ..) in MSP_ENVELOPES {
        let count = months.iter().filter(|m| envelope_of(**m).0 == id).count();
        amounts.extend(shares(cents, count));
    }
    let mut installed = 0usize;
    for (i, (amount, month)) in amounts.iter().zip(months).enumerate() {
        let n = i + 1;
        let (dep, commune, town) = TOWNS[i % TOWNS.len()];
        let grant_id = format!("msp-cvl-{n:03}");
        let envelope_id = envelope_of(month).0;
        let awarded = month_day(2008, month, 10);
        let territory =
            json!({"region_code": "24", "departement_code": dep, "commune_code": commune});
        let beneficiary = json!({"siret": siret(2_100_000_000_000 + i as u64 * 7_919), "name": format!("Commune de {town}")});
        steps.push(Step::http(
            "award-grant",
            format!("cvl-award-{n:03}"),
            json!({
            "grant_id": grant_id, "envelope_id": envelope_id,
            "beneficiary": {"legal_entity": beneficiary},
            "kind": "GRANT_KIND_SUBSIDY", "amount_cents": amount,
            "purpose": format!("Création de la MSP n° {n} ({town})"), "measure_code": "msp",
            "territory": territory, "decision_reference": format!("CP-{awarded}-{n:03}"),
            "effective_date": awarded}),
        ));
        // July 2025 is month 210 from January 2008.
        if month + 4 <= 210 {
            steps.push(Step::http("make-payment", format!("cvl-payment-{n:03}"), json!({
                "grant_id": grant_id, "payment_id": format!("{grant_id}-solde"), "amount_cents": amount,
                "mandate_reference": format!("MDT-{n:05}"), "effective_date": month_day(2008, month + 4, 20)})));
        }
        let centre_id = format!("msp-cvl-{n:03}");
        let opened = month_day(2008, month + 6, 1);
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
