//! Seed 002 — Département de Loir-et-Cher, "41 en bonne santé 2022-2028":
//! about €10M over nine axes; €12,000 bursaries for GP interns (€500 a
//! month over their last two years) and €6,000 for paramedical students
//! (€500 a month over their last year), each with a three-year obligation to
//! practise in the département; the departmental allowance for interns'
//! long placement raised by €1,500 and extended to paramedical students;
//! equipment aid for a first installation (three-year obligation); aid to
//! create or extend maisons de santé (five-year obligation from the award);
//! loan guarantees; telemedicine on the model of Suèvres; a provisional
//! subsidy to the unscheduled-care units adjusted to their real activity;
//! the finding that 56 % of GPs are over 55.
//!
//! From the seed: the nine axes, the amounts and durations above, Suèvres.
//! INVENTED: the envelopes (exactly €10M: an AP of €7M for investment —
//! MSP, first-installation equipment, telemedicine, the guarantee — and an
//! AE of €3M for operating aid — bursaries, allowances), how many
//! bursaries, allowances and aids (6 GP interns, 4 paramedical students, 5
//! allowances, 3 installation aids, 2 MSP aids, 1 guarantee, 1 telemedicine
//! subsidy), their amounts where the seed gives none, every date, the
//! recovery rules (PRORATA, FULL for paramedical students), the beneficiaries
//! (pseudonymous person ids; SIRETs made up), and the breach: GP intern 3
//! settles elsewhere on 2025-11-01, one year into a three-year obligation,
//! so two thirds of the €12,000 is to be recovered: €8,000.

use serde_json::{json, Value};

use super::{month_day, siret};
use crate::Step;

pub struct LoirEtCher {
    pub programme_id: &'static str,
    /// The AE: operating aid (bursaries, allowances).
    pub envelope_id: &'static str,
    pub envelope_cents: i64,
    /// The AP: investment aid (MSP, equipment, telemedicine, guarantee).
    pub investment_envelope_id: &'static str,
    pub investment_cents: i64,
    /// The bursary whose obligation is breached, and what is recovered.
    pub breached_grant: &'static str,
    pub recovery_cents: i64,
}

pub const LOIR_ET_CHER: LoirEtCher = LoirEtCher {
    programme_id: "cd41-41-en-bonne-sante",
    envelope_id: "cd41-plan-sante-2022",
    envelope_cents: 300_000_000,
    investment_envelope_id: "cd41-plan-sante-2022-investissement",
    investment_cents: 700_000_000,
    breached_grant: "cd41-bourse-interne-3",
    recovery_cents: 800_000,
};

const AXES: [&str; 9] = [
    "Créer une mission « Promotion de la santé »",
    "Conforter le rôle de l'agence d'attractivité dans la promotion de la santé",
    "Renforcer l'accompagnement des futurs professionnels de santé",
    "Aider à l'installation des professionnels de santé",
    "Soutenir l'investissement vers les structures de santé",
    "Refonder l'organisation des consultations médicales",
    "Innover pour lutter contre la désertification médicale",
    "Préserver une jeunesse en bonne santé",
    "Accompagner l'investissement des structures de formation",
];

const DEP: &str = "41";

fn territory() -> Value {
    json!({"region_code": "24", "departement_code": DEP})
}

fn obligation(months: u32, rule: &str, what: &str) -> Value {
    json!({"duration_months": months, "territory": territory(), "recovery_rule": rule, "description": what})
}

fn person(id: &str) -> Value {
    json!({"person_id": id})
}

/// A grant paid in monthly instalments of €500 from `first` (months after
/// January 2022), each paid on its due date.
fn bursary(
    steps: &mut Vec<Step>,
    id: &str,
    holder: &str,
    months: i32,
    first: i32,
    purpose: &str,
    rule: &str,
) {
    let schedule: Vec<Value> = (0..months)
        .map(|m| json!({"due_date": month_day(2022, first + m, 5), "amount_cents": 50_000}))
        .collect();
    steps.push(Step::http("award-grant", format!("cd41-award-{id}"), json!({
        "grant_id": id, "envelope_id": LOIR_ET_CHER.envelope_id, "beneficiary": person(holder),
        "kind": "GRANT_KIND_BURSARY", "amount_cents": 50_000 * i64::from(months), "purpose": purpose,
        "measure_code": "axe-3", "territory": territory(), "schedule": schedule,
        "obligation": obligation(36, rule, "Exercer trois ans en Loir-et-Cher"),
        "decision_reference": format!("CP-41-{id}"), "effective_date": month_day(2022, first - 1, 20)})));
    for m in 0..months {
        steps.push(Step::http("make-payment", format!("cd41-pay-{id}-{m:02}"), json!({
            "grant_id": id, "payment_id": format!("{id}-m{m:02}"), "amount_cents": 50_000,
            "mandate_reference": format!("MDT-41-{id}-{m:02}"), "effective_date": month_day(2022, first + m, 5)})));
    }
}

fn start(steps: &mut Vec<Step>, grant: &str, holder: Value, months: u32, on: &str) {
    steps.push(
        Step::http(
            "start-obligation",
            format!("cd41-obligation-{grant}"),
            json!({
        "obligation_id": format!("obl-{grant}"), "grant_id": grant, "beneficiary": holder,
        "territory": territory(), "duration_months": months, "start_date": on}),
        )
        .after_other_context(),
    );
}

/// A grant paid at once, with its obligation terms if any.
struct OneOff<'a> {
    id: &'a str,
    envelope: &'a str,
    kind: &'a str,
    beneficiary: Value,
    cents: i64,
    axis: &'a str,
    purpose: &'a str,
    awarded: &'a str,
    terms: Option<Value>,
}

impl OneOff<'_> {
    /// The award alone.
    fn award(&self, steps: &mut Vec<Step>) {
        let id = self.id;
        let mut body = json!({
            "grant_id": id, "envelope_id": self.envelope, "beneficiary": self.beneficiary,
            "kind": self.kind, "amount_cents": self.cents, "purpose": self.purpose, "measure_code": self.axis,
            "territory": territory(), "decision_reference": format!("CP-41-{id}"), "effective_date": self.awarded});
        if let Some(terms) = &self.terms {
            body["obligation"] = terms.clone();
        }
        steps.push(Step::http("award-grant", format!("cd41-award-{id}"), body));
    }

    /// The award, paid whole the same day.
    fn push(self, steps: &mut Vec<Step>) {
        self.award(steps);
        let id = self.id;
        steps.push(Step::http(
            "make-payment",
            format!("cd41-pay-{id}"),
            json!({
            "grant_id": id, "payment_id": format!("{id}-unique"), "amount_cents": self.cents,
            "mandate_reference": format!("MDT-41-{id}"), "effective_date": self.awarded}),
        ));
    }
}

pub(super) fn steps() -> Vec<Step> {
    let axes: Vec<Value> = AXES
        .iter()
        .enumerate()
        .map(|(i, title)| json!({"code": format!("axe-{}", i + 1), "title": title}))
        .collect();
    let mut steps = vec![
        Step::http(
            "declare-programme",
            "cd41-programme",
            json!({
            "programme_id": LOIR_ET_CHER.programme_id,
            "funder": {"kind": "FUNDER_KIND_DEPARTEMENT", "code": DEP, "name": "Département de Loir-et-Cher"},
            "name": "41 en bonne santé 2022-2028", "period_start": "2022-01-01", "period_end": "2028-12-31",
            // The plan lets the Département guarantee professional loans
            // (axe 5); the share, half of the principal, is INVENTED.
            "max_guarantee_share_basis_points": 5_000,
            "axes": axes, "effective_date": "2022-01-24"}),
        ),
        Step::http(
            "open-envelope",
            "cd41-envelope",
            json!({
            "envelope_id": LOIR_ET_CHER.envelope_id, "programme_id": LOIR_ET_CHER.programme_id,
            "kind": "AUTHORISATION_KIND_AE", "amount_cents": LOIR_ET_CHER.envelope_cents,
            "period_start": "2022-01-01", "period_end": "2028-12-31",
            "vote_reference": "DM-2022-SANTE-41", "label": "Plan 41 en bonne santé — aides de fonctionnement",
            "territory": territory(), "effective_date": "2022-02-14"}),
        ),
        Step::http(
            "open-envelope",
            "cd41-envelope-investissement",
            json!({
            "envelope_id": LOIR_ET_CHER.investment_envelope_id, "programme_id": LOIR_ET_CHER.programme_id,
            "kind": "AUTHORISATION_KIND_AP", "amount_cents": LOIR_ET_CHER.investment_cents,
            "period_start": "2022-01-01", "period_end": "2028-12-31",
            "vote_reference": "DM-2022-SANTE-41", "label": "Plan 41 en bonne santé — investissement",
            "territory": territory(), "effective_date": "2022-02-14"}),
        ),
    ];
    // GP interns: €12,000 over their last two years, November 2022 – October 2024.
    for n in 1..=6 {
        let id = format!("cd41-bourse-interne-{n}");
        let holder = format!("interne-41-{n:03}");
        bursary(
            &mut steps,
            &id,
            &holder,
            24,
            10,
            "Bourse d'interne en médecine générale",
            "RECOVERY_RULE_PRORATA",
        );
        start(&mut steps, &id, person(&holder), 36, "2024-11-01");
    }
    // Paramedical students: €6,000 over their last year, September 2023 – August 2024.
    for n in 1..=4 {
        let id = format!("cd41-bourse-paramedical-{n}");
        let holder = format!("etudiant-41-{n:03}");
        bursary(
            &mut steps,
            &id,
            &holder,
            12,
            20,
            "Bourse d'étudiant du paramédical",
            "RECOVERY_RULE_FULL",
        );
        start(&mut steps, &id, person(&holder), 36, "2024-09-01");
    }
    allowances(&mut steps);
    for n in 1..=3 {
        let id = format!("cd41-aide-installation-{n}");
        let holder = format!("medecin-41-{n:03}");
        let awarded = month_day(2022, 5 + 3 * n, 15);
        OneOff {
            id: &id,
            envelope: LOIR_ET_CHER.investment_envelope_id,
            kind: "GRANT_KIND_INSTALLATION_AID",
            beneficiary: person(&holder),
            cents: 1_500_000,
            axis: "axe-4",
            purpose: "Aide à l'achat de matériel pour une première installation",
            awarded: &awarded,
            terms: Some(obligation(
                36,
                "RECOVERY_RULE_PRORATA",
                "Exercer trois ans en Loir-et-Cher",
            )),
        }
        .push(&mut steps);
        start(
            &mut steps,
            &id,
            person(&holder),
            36,
            &month_day(2022, 6 + 3 * n, 1),
        );
    }
    for (n, town) in [(1, "Montoire-sur-le-Loir"), (2, "Salbris")] {
        let id = format!("cd41-aide-msp-{n}");
        let sisa = json!({"legal_entity": {"siret": siret(8_800_000_000_000 + n * 31), "name": format!("SISA de la MSP de {town}")}});
        OneOff {
            id: &id,
            envelope: LOIR_ET_CHER.investment_envelope_id,
            kind: "GRANT_KIND_SUBSIDY",
            beneficiary: sisa.clone(),
            cents: 25_000_000,
            axis: "axe-5",
            purpose: &format!("Extension de la maison de santé de {town}"),
            awarded: &month_day(2023, n as i32 * 2, 10),
            terms: Some(obligation(
                60,
                "RECOVERY_RULE_PRORATA",
                "Exercer au moins cinq ans sur le territoire",
            )),
        }
        .push(&mut steps);
        // "Pendant minimum 5 ans après l'octroi de l'aide": from the award.
        start(
            &mut steps,
            &id,
            sisa,
            60,
            &month_day(2023, n as i32 * 2, 10),
        );
    }
    provisional_subsidy(&mut steps);
    steps.push(Step::http("grant-loan-guarantee", "cd41-garantie-1", json!({
        "guarantee_id": "cd41-garantie-1", "envelope_id": LOIR_ET_CHER.investment_envelope_id,
        "borrower": {"legal_entity": {"siret": siret(8_800_000_000_031), "name": "SISA de la MSP de Montoire-sur-le-Loir"}},
        "lender": {"siret": siret(7_750_000_000_001), "name": "Banque régionale"},
        "principal_cents": 40_000_000, "guaranteed_cents": 20_000_000,
        "start_date": "2023-03-01", "end_date": "2038-02-28", "purpose": "Emprunt pour l'extension de la MSP",
        "lender_schedule": half_yearly(2023, 20, 2_000_000)})));
    guarantees_lives(&mut steps);
    // The plan's own finding, as an observed indicator.
    steps.push(Step::http(
        "record-indicator",
        "cd41-indicateur-mg-55",
        json!({
        "programme_id": LOIR_ET_CHER.programme_id, "indicator_id": "mg-plus-de-55-ans",
        "description": "Part des médecins généralistes âgés de plus de 55 ans", "value": 5_600,
        "unit": "INDICATOR_UNIT_BASIS_POINTS", "observed_on": "2022-01-24",
        "source": "Plan départemental « 41 en bonne santé » 2022-2028"}),
    ));
    OneOff { id: "cd41-telemedecine-suevres", envelope: LOIR_ET_CHER.investment_envelope_id, kind: "GRANT_KIND_TELEMEDICINE", beneficiary: json!({"legal_entity": {"siret": siret(2_141_025_200_001), "name": "Commune de Suèvres"}}), cents: 4_000_000,
             axis: "axe-7", purpose: "Cabinet de télémédecine sur le modèle de Suèvres", awarded: "2023-04-03", terms: None }
        .push(&mut steps);

    // The breach, and its recovery ordered by the ledger itself.
    steps.push(Step::http("breach-obligation", "cd41-breach-interne-3", json!({
        "obligation_id": format!("obl-{}", LOIR_ET_CHER.breached_grant), "breached_on": "2025-11-01",
        "reason": "Installation hors du département"})));
    titres(&mut steps);
    // The first installation aid's obligation ran its course.
    steps.push(Step::http(
        "fulfil-obligation",
        "cd41-fulfil-installation-1",
        json!({
        "obligation_id": "obl-cd41-aide-installation-1", "fulfilled_on": "2025-09-30"}),
    ));
    steps
}

/// `n` half-yearly instalments of `cents`, 1 March and 1 September from
/// September of `first_year`.
fn half_yearly(first_year: i32, n: i32, cents: i64) -> Value {
    Value::Array(
        (0..n)
            .map(|k| {
                let (year, month) = (first_year + (k + 1) / 2, if k % 2 == 0 { 9 } else { 3 });
                json!({"due_date": format!("{year}-{month:02}-01"), "amount_cents": cents})
            })
            .collect(),
    )
}

/// What the lenders report and what a default costs. INVENTED, to show each
/// step of a guarantee's life: the bank reports the first MSP loan one
/// instalment behind at the end of 2024; a second SISA defaults in 2025,
/// the guarantee is called for its exposure, and the Département recovers
/// its claim on the SISA under a plan.
fn guarantees_lives(steps: &mut Vec<Step>) {
    steps.push(Step::http("report-guaranteed-loan", "cd41-garantie-1-2024", json!({
        "guarantee_id": "cd41-garantie-1", "report_id": "2024-12", "outstanding_principal_cents": 36_000_000,
        "reference": "Relevé annuel de la Banque régionale au 31/12/2024", "effective_date": "2024-12-31"})));
    steps.push(Step::http("grant-loan-guarantee", "cd41-garantie-2", json!({
        "guarantee_id": "cd41-garantie-2", "envelope_id": LOIR_ET_CHER.investment_envelope_id,
        "borrower": {"legal_entity": {"siret": siret(8_800_000_000_049), "name": "SISA du pôle de santé de Mer"}},
        "lender": {"siret": siret(7_750_000_000_001), "name": "Banque régionale"},
        "principal_cents": 10_000_000, "guaranteed_cents": 5_000_000,
        "start_date": "2023-06-01", "end_date": "2033-06-01", "purpose": "Emprunt pour l'équipement du pôle de santé",
        "effective_date": "2023-06-01",
        "lender_schedule": (2024..2034).map(|y| json!({"due_date": format!("{y}-06-01"), "amount_cents": 1_000_000})).collect::<Vec<_>>()})));
    // Two instalments repaid, then the default: €80,000 still owed, half of
    // it guaranteed.
    steps.push(Step::http("call-loan-guarantee", "cd41-garantie-2-appel", json!({
        "guarantee_id": "cd41-garantie-2", "called_cents": 4_000_000, "mandate_reference": "M-2025-41-0611",
        "title_reference": "T-2025-41-0212", "effective_date": "2025-09-15"})));
    steps.push(Step::http("schedule-recovery", "cd41-garantie-2-echeancier", json!({
        "guarantee_id": "cd41-garantie-2", "recovery_id": "call", "decision_reference": "ECH-2025-41-9",
        "effective_date": "2025-10-01", "instalments": [
            {"due_date": "2026-01-15", "amount_cents": 2_000_000},
            {"due_date": "2026-07-15", "amount_cents": 2_000_000}]})));
    steps.push(Step::http(
        "receive-recovery",
        "cd41-garantie-2-encaissement-1",
        json!({
        "guarantee_id": "cd41-garantie-2", "recovery_id": "call", "amount_cents": 2_000_000,
        "receipt_reference": "ENC-2026-41-0031", "effective_date": "2026-01-20"}),
    ));
}

/// "Revalorisation à hauteur de 1 500 € de l'allocation départementale pour
/// les internes en médecine effectuant leur stage long de dernière année.
/// Extension de ce dispositif aux étudiants du paramédical selon les mêmes
/// conditions." Read as: the allowance is raised by €1,500. INVENTED: the
/// allowance stood at €3,000 before, the revaluation is voted on
/// 2023-01-16, the two allowances running then are amended and paid the
/// difference, later ones are awarded at €4,500, and two paramedical
/// students receive it from September 2023.
fn allowances(steps: &mut Vec<Step>) {
    const BEFORE: i64 = 300_000;
    const RAISE: i64 = 150_000;
    const REVALUED_ON: &str = "2023-01-16";
    let interns = (1..=5).map(|n| {
        (
            format!("cd41-allocation-stage-{n}"),
            format!("interne-stage-41-{n:03}"),
            month_day(2022, 10 + n, 1),
        )
    });
    let students = (1..=2).map(|n| {
        (
            format!("cd41-allocation-stage-paramedical-{n}"),
            format!("etudiant-stage-41-{n:03}"),
            month_day(2023, 7 + n, 1),
        )
    });
    for (id, holder, on) in interns.chain(students) {
        let before_raise = on.as_str() < REVALUED_ON;
        OneOff {
            id: &id,
            envelope: LOIR_ET_CHER.envelope_id,
            kind: "GRANT_KIND_ALLOWANCE",
            beneficiary: person(&holder),
            cents: if before_raise { BEFORE } else { BEFORE + RAISE },
            axis: "axe-3",
            purpose: "Allocation départementale de stage long de dernière année",
            awarded: &on,
            terms: None,
        }
        .push(steps);
        if before_raise {
            steps.push(Step::http("amend-grant", format!("cd41-revalorisation-{id}"), json!({
                "grant_id": id, "amount_delta_cents": RAISE, "reason": "Revalorisation de l'allocation de 1 500 €",
                "decision_reference": "CP-41-2023-01-16-revalorisation", "effective_date": REVALUED_ON})));
            steps.push(Step::http(
                "make-payment",
                format!("cd41-pay-{id}-revalorisation"),
                json!({
                "grant_id": id, "payment_id": format!("{id}-revalorisation"), "amount_cents": RAISE,
                "mandate_reference": format!("MDT-41-{id}-R"), "effective_date": "2023-01-20"}),
            ));
        }
    }
}

/// "Subvention prévisionnelle en fonction de l'activité réelle" for the
/// unscheduled-care units (PAÏS, SOS docteur): a provisional award, paid
/// 80 % up front, then amended to the year's real activity and the balance
/// paid. INVENTED: the association, €60,000 for 2023, real activity
/// worth €52,000.
fn provisional_subsidy(steps: &mut Vec<Step>) {
    let id = "cd41-pais-2023";
    OneOff {
        id,
        envelope: LOIR_ET_CHER.envelope_id,
        kind: "GRANT_KIND_SUBSIDY",
        beneficiary: json!({"legal_entity": {"siret": siret(7_750_000_000_019), "name": "Association PAÏS Loir-et-Cher"}}),
        cents: 6_000_000,
        axis: "axe-6",
        purpose: "Subvention prévisionnelle 2023 aux unités de soins non programmés (PAÏS)",
        awarded: "2023-03-15",
        terms: None,
    }
    .award(steps);
    steps.push(Step::http(
        "make-payment",
        "cd41-pay-pais-2023-avance",
        json!({
        "grant_id": id, "payment_id": "pais-2023-avance", "amount_cents": 4_800_000,
        "mandate_reference": "MDT-41-PAIS-2023-A", "effective_date": "2023-03-20"}),
    ));
    steps.push(Step::http("amend-grant", "cd41-pais-2023-ajustement", json!({
        "grant_id": id, "amount_delta_cents": -800_000, "reason": "Ajustement à l'activité réelle de 2023",
        "decision_reference": "CP-41-2024-02-12-PAIS", "effective_date": "2024-02-12"})));
    steps.push(Step::http(
        "make-payment",
        "cd41-pay-pais-2023-solde",
        json!({
        "grant_id": id, "payment_id": "pais-2023-solde", "amount_cents": 400_000,
        "mandate_reference": "MDT-41-PAIS-2023-S", "effective_date": "2024-02-20"}),
    ));
}

/// What becomes of the titres de recette. INVENTED, to show each step of a
/// titre's life: the €8,000 recovered after the breach gets a plan of four
/// quarterly instalments, the first is received, and the assembly waives
/// €2,000 (remise gracieuse, off the last instalment); an allowance paid
/// twice the revaluation is ordered back (€1,500), the titre is reduced to
/// €1,000 (réduction), and that is written off when the intern cannot be
/// found (admission en non-valeur).
fn titres(steps: &mut Vec<Step>) {
    let breach = json!({"grant_id": LOIR_ET_CHER.breached_grant,
                        "recovery_id": format!("breach-obl-{}", LOIR_ET_CHER.breached_grant)});
    let with = |mut body: Value, more: Value| {
        for (k, v) in more.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        body
    };
    // The recovery is the grants service's reaction to the breach: the
    // plan waits until it is there.
    let instalments = ["2026-01-15", "2026-04-15", "2026-07-15", "2026-10-15"]
        .map(|due| json!({"due_date": due, "amount_cents": 200_000}));
    let plan = json!({"decision_reference": "ECH-41-2025-12", "effective_date": "2025-12-10",
                      "instalments": instalments});
    steps.push(
        Step::http(
            "schedule-recovery",
            "cd41-breach-echeancier",
            with(breach.clone(), plan),
        )
        .after_other_context(),
    );
    steps.push(Step::http("receive-recovery", "cd41-breach-encaissement-1", with(breach.clone(), json!({
        "amount_cents": 200_000, "receipt_reference": "ENC-41-2026-0116", "effective_date": "2026-01-16"}))));
    steps.push(Step::http("adjust-recovery", "cd41-breach-remise", with(breach, json!({
        "adjustment": "RECOVERY_ADJUSTMENT_WAIVED", "amount_cents": 200_000,
        "decision_reference": "DCD-41-2026-03-20", "reason": "Remise gracieuse : situation de l'ancien interne",
        "effective_date": "2026-03-20"}))));
    let titre = json!({"grant_id": "cd41-allocation-stage-2", "recovery_id": "trop-percu-2023"});
    steps.push(Step::http("order-recovery", "cd41-trop-percu-2023", with(titre.clone(), json!({
        "amount_cents": 150_000, "reason": "RECOVERY_REASON_OVERPAYMENT", "reason_text": "Revalorisation versée deux fois",
        "title_reference": "T-41-2023-0612", "effective_date": "2023-06-12"}))));
    steps.push(Step::http(
        "adjust-recovery",
        "cd41-trop-percu-2023-reduction",
        with(
            titre.clone(),
            json!({
        "adjustment": "RECOVERY_ADJUSTMENT_REDUCED", "amount_cents": 50_000,
        "decision_reference": "T-41-2023-0612-R", "reason": "Retenue déjà opérée sur l'allocation",
        "effective_date": "2023-07-03"}),
        ),
    ));
    steps.push(Step::http(
        "adjust-recovery",
        "cd41-trop-percu-2023-non-valeur",
        with(
            titre,
            json!({
        "adjustment": "RECOVERY_ADJUSTMENT_WRITTEN_OFF", "amount_cents": 100_000,
        "decision_reference": "ANV-41-2024-03", "reason": "Débiteur introuvable",
        "effective_date": "2024-03-01"}),
        ),
    ));
}
