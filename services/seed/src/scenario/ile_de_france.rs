//! Seed 004 — Région Île-de-France, "Région Solidaire" (since 2016): aid to
//! maisons de santé, centres and group practices; aid for liberal
//! professionals to install; aid to keep and secure their practices; 0% loans
//! ("Prêt santé initiative").
//!
//! From the seed: the programme, its start in 2016, the three schemes
//! funded every year ("plusieurs millions d'euros chaque année"), the 0%
//! honour loans made through a partner platform, telemedicine and the
//! support to carers with the association SPS. INVENTED: every amount, date
//! and beneficiary (real INSEE codes of real towns; SIRETs made up; person
//! ids pseudonymous), the platform, and the loans' repayments, early
//! repayment and write-off.

use serde_json::{json, Value};

use super::siret;
use crate::Step;

const PROGRAMME: &str = "idf-region-solidaire";

/// An envelope voted for the programme's whole period (the PSI loans).
fn envelope(id: &str, measure: &str, kind: &str, cents: i64, label: &str) -> Step {
    envelope_for(
        id,
        measure,
        kind,
        cents,
        label,
        ("2016-01-01", "2028-12-31", "2016-03-10"),
    )
}

/// An envelope and its (period start, period end, vote date).
fn envelope_for(
    id: &str,
    measure: &str,
    kind: &str,
    cents: i64,
    label: &str,
    (start, end, voted_on): (&str, &str, &str),
) -> Step {
    Step::http(
        "open-envelope",
        format!("idf-envelope-{id}"),
        json!({
        "envelope_id": id, "programme_id": PROGRAMME, "measure_code": measure, "kind": kind,
        "amount_cents": cents, "period_start": start, "period_end": end,
        "vote_reference": format!("CP-IDF-{id}"), "label": label,
        "territory": {"region_code": "11"}, "effective_date": voted_on}),
    )
}

/// The three schemes' yearly envelopes ("plusieurs millions d'euros chaque
/// année"), from 2016 through 2026. INVENTED: €2.5M a year for structures
/// (AP), €0.8M for installation and €0.4M for keeping practices (AE), each
/// voted in January for its calendar year.
const YEARLY: [(&str, &str, i64, &str); 3] = [
    (
        "structures",
        "AUTHORISATION_KIND_AP",
        250_000_000,
        "MSP, centres et cabinets de groupe",
    ),
    (
        "installation",
        "AUTHORISATION_KIND_AE",
        80_000_000,
        "Installation des libéraux",
    ),
    (
        "maintien",
        "AUTHORISATION_KIND_AE",
        40_000_000,
        "Maintien et sécurisation",
    ),
];

/// The envelope of a scheme for the year of `on` (YYYY-MM-DD).
fn yearly(scheme: &str, on: &str) -> String {
    format!("idf-{scheme}-{}", &on[..4])
}

/// One award of the programme.
struct Award<'a> {
    id: &'a str,
    envelope: &'a str,
    kind: &'a str,
    beneficiary: Value,
    cents: i64,
    /// (département, INSEE commune code)
    place: (&'a str, &'a str),
    purpose: &'a str,
    on: &'a str,
}

impl Award<'_> {
    fn step(self) -> Step {
        Step::http(
            "award-grant",
            format!("idf-award-{}", self.id),
            json!({
            "grant_id": self.id, "envelope_id": self.envelope, "beneficiary": self.beneficiary,
            "kind": self.kind, "amount_cents": self.cents, "purpose": self.purpose,
            "territory": {"region_code": "11", "departement_code": self.place.0, "commune_code": self.place.1},
            "decision_reference": format!("CP-IDF-{}", self.id), "effective_date": self.on}),
        )
    }
}

fn pay(id: &str, cents: i64, on: &str) -> Step {
    Step::http(
        "make-payment",
        format!("idf-pay-{id}"),
        json!({
        "grant_id": id, "payment_id": format!("{id}-1"), "amount_cents": cents,
        "mandate_reference": format!("MDT-IDF-{id}"), "effective_date": on}),
    )
}

pub(super) fn steps() -> Vec<Step> {
    let mut steps = vec![
        Step::http(
            "declare-programme",
            "idf-programme",
            json!({
            "programme_id": PROGRAMME,
            "funder": {"kind": "FUNDER_KIND_REGION", "code": "11", "name": "Région Île-de-France"},
            "name": "Région Solidaire — santé", "period_start": "2016-01-01", "period_end": "2028-12-31",
            "axes": [
                {"code": "structures", "title": "Aides aux MSP, centres de santé et cabinets de groupe"},
                {"code": "installation", "title": "Aide à l'installation des professionnels de santé libéraux"},
                {"code": "maintien", "title": "Soutien au maintien et à la sécurisation des professionnels libéraux"},
                {"code": "psi", "title": "Prêt santé initiative à taux 0 %"},
                {"code": "accompagnement", "title": "Accompagner les soignants", "measures": [
                    {"code": "telemedecine", "title": "Aide au déploiement de la télémédecine"},
                    {"code": "sps", "title": "Soutien psychologique aux professionnels de santé (association SPS)"}]}],
            "effective_date": "2016-02-01"}),
        ),
        envelope(
            "idf-psi",
            "psi",
            "AUTHORISATION_KIND_AE",
            200_000_000,
            "Prêts santé initiative à 0 %",
        ),
    ];
    for year in 2016..=2026 {
        for (scheme, kind, cents, label) in YEARLY {
            let (start, end, voted) = (
                format!("{year}-01-01"),
                format!("{year}-12-31"),
                format!("{year}-01-20"),
            );
            steps.push(envelope_for(
                &format!("idf-{scheme}-{year}"),
                scheme,
                kind,
                cents,
                &format!("{label} {year}"),
                (&start, &end, &voted),
            ));
        }
    }
    steps.push(envelope_for(
        "idf-accompagnement-2023",
        "accompagnement",
        "AUTHORISATION_KIND_AE",
        50_000_000,
        "Télémédecine et soutien aux soignants 2023",
        ("2023-01-01", "2023-12-31", "2023-01-20"),
    ));
    let structures = [
        (
            "idf-msp-saint-denis",
            ("93", "93066"),
            "MSP de Saint-Denis",
            30_000_000,
            "2019-05-14",
        ),
        (
            "idf-cds-meaux",
            ("77", "77284"),
            "Centre de santé de Meaux",
            25_000_000,
            "2020-11-03",
        ),
        (
            "idf-cabinet-mantes",
            ("78", "78361"),
            "Cabinet de groupe de Mantes-la-Jolie",
            20_000_000,
            "2022-02-08",
        ),
    ];
    for (i, (id, place, name, cents, on)) in structures.into_iter().enumerate() {
        let operator = json!({"legal_entity": {"siret": siret(5_100_000_000_000 + i as u64 * 97), "name": name}});
        steps.push(
            Award {
                id,
                envelope: &yearly("structures", on),
                kind: "GRANT_KIND_SUBSIDY",
                beneficiary: operator,
                cents,
                place,
                purpose: &format!("Création : {name}"),
                on,
            }
            .step(),
        );
        steps.push(pay(id, cents / 2, on));
    }
    for n in 1..=4 {
        let id = format!("idf-installation-{n}");
        let who = json!({"person_id": format!("liberal-idf-{n:03}")});
        let place = [
            ("91", "91228"),
            ("95", "95268"),
            ("77", "77284"),
            ("93", "93066"),
        ][n - 1];
        let on = format!("202{}-0{}-15", n, n + 2);
        steps.push(
            Award {
                id: &id,
                envelope: &yearly("installation", &on),
                kind: "GRANT_KIND_INSTALLATION_AID",
                beneficiary: who,
                cents: 2_000_000,
                place,
                purpose: "Aide à l'installation",
                on: &on,
            }
            .step(),
        );
        steps.push(pay(&id, 2_000_000, &on));
    }
    for n in 1..=2 {
        let id = format!("idf-maintien-{n}");
        let who = json!({"person_id": format!("liberal-idf-1{n:02}")});
        let on = format!("2023-0{}-20", n + 4);
        steps.push(
            Award {
                id: &id,
                envelope: &yearly("maintien", &on),
                kind: "GRANT_KIND_PRACTICE_AID",
                beneficiary: who,
                cents: 1_500_000,
                place: ("94", "94028"),
                purpose: "Sécurisation du cabinet",
                on: &on,
            }
            .step(),
        );
        steps.push(pay(&id, 1_500_000, &on));
    }
    for n in 1..=5 {
        steps.push(Step::http("grant-loan", format!("idf-psi-{n}"), json!({
            "loan_id": format!("idf-psi-{n}"), "envelope_id": "idf-psi",
            "borrower": {"person_id": format!("jeune-pro-idf-{n:03}")},
            "intermediary": {"siret": siret(5_300_000_000_017), "name": "Initiative Île-de-France (plate-forme de prêts d'honneur)"},
            "principal_cents": 3_000_000, "rate_basis_points": 0, "term_months": 60,
            "first_repayment_date": format!("202{}-0{}-05", 2 + n / 3, n + 3),
            "purpose": "Prêt santé initiative : lancement de l'activité", "effective_date": format!("202{}-0{}-01", 1 + n / 3, n + 2)})));
    }
    steps.extend(loan_lives());
    steps.extend(accompaniment());
    steps
}

/// "Aide au déploiement de la télémédecine" and the partnership with the
/// association SPS (soins aux professionnels en santé): one grant each.
/// INVENTED: the beneficiaries, amounts and dates.
fn accompaniment() -> Vec<Step> {
    let telemedicine = Award {
        id: "idf-telemedecine-meaux",
        envelope: "idf-accompagnement-2023",
        kind: "GRANT_KIND_TELEMEDICINE",
        beneficiary: json!({"legal_entity": {"siret": siret(5_100_000_000_097), "name": "Centre de santé de Meaux"}}),
        cents: 8_000_000,
        place: ("77", "77284"),
        purpose: "Équipement de téléconsultation",
        on: "2023-04-12",
    };
    let sps = Award {
        id: "idf-sps-2023",
        envelope: "idf-accompagnement-2023",
        kind: "GRANT_KIND_SUBSIDY",
        beneficiary: json!({"legal_entity": {"siret": siret(5_300_000_000_025), "name": "Association SPS — soins aux professionnels en santé"}}),
        cents: 15_000_000,
        place: ("75", "75056"),
        purpose: "Ligne d'écoute, séjours de répit et ateliers pour les soignants",
        on: "2023-06-01",
    };
    let mut steps = Vec::new();
    for (award, measure) in [(telemedicine, "telemedecine"), (sps, "sps")] {
        let (id, cents, on) = (award.id.to_owned(), award.cents, award.on.to_owned());
        let mut step = award.step();
        step.body["measure_code"] = json!(measure);
        steps.push(step);
        steps.push(pay(&id, cents, &on));
    }
    steps
}

/// The 5th of the month `k` months after `(year, month)`.
fn fifth(year: i32, month: i32, k: i32) -> String {
    let m = month - 1 + k;
    format!("{}-{:02}-05", year + m.div_euclid(12), m.rem_euclid(12) + 1)
}

fn repayment(loan: u32, id: String, cents: i64, on: String) -> Step {
    Step::http(
        "repay-loan",
        format!("idf-psi-{loan}-{id}"),
        json!({"loan_id": format!("idf-psi-{loan}"), "repayment_id": id, "principal_cents": cents,
               "receipt_reference": format!("PSI-{loan}-{id}"), "effective_date": on}),
    )
}

/// What became of the five loans (each €30,000 over 60 months, €500 a
/// month). INVENTED, to show every step of a loan's life: loan 1 is repaid
/// a quarter at a time on the first instalment of each quarter; loan 2
/// monthly for a year, then early and in full; loan 3 for seven months,
/// then nothing (in arrears); loan 4 for a year, then written off when the
/// practice closes; loan 5 a year ahead each August.
fn loan_lives() -> Vec<Step> {
    let mut steps = Vec::new();
    for q in 0..19 {
        let on = fifth(2022, 4, 3 * q);
        steps.push(repayment(1, on.clone(), 150_000, on));
    }
    for k in 0..12 {
        let on = fifth(2022, 5, k);
        steps.push(repayment(2, on.clone(), 50_000, on));
    }
    steps.push(repayment(
        2,
        "anticipe".into(),
        2_400_000,
        "2023-05-15".into(),
    ));
    for k in 0..7 {
        let on = fifth(2023, 6, k);
        steps.push(repayment(3, on.clone(), 50_000, on));
    }
    for k in 0..12 {
        let on = fifth(2023, 7, k);
        steps.push(repayment(4, on.clone(), 50_000, on));
    }
    steps.push(Step::http(
        "write-off-loan",
        "idf-psi-4-non-valeur",
        json!({"loan_id": "idf-psi-4", "decision_reference": "CP-IDF-2025-03-112",
               "reason": "Cessation d'activité et liquidation judiciaire de l'emprunteur",
               "effective_date": "2025-03-01"}),
    ));
    for y in 0..4 {
        let on = fifth(2023, 8, 12 * y);
        steps.push(repayment(5, on.clone(), 600_000, on));
    }
    steps
}
