//! A synthetic history at national scale, deterministic from a seed number:
//! funders (régions and départements), each with a programme and its
//! envelope, beneficiaries (bursaries paid month by month with their
//! obligations, some breached; subsidies; installation aids), centres with
//! monthly activity, and professionals hired and leaving.
//!
//! The same seed and sizes give the same commands, byte for byte, so a
//! benchmark or a bug can be replayed. Nothing here is real data: codes are
//! well-formed (département prefixes, Luhn-valid SIRETs), names are made up.

use serde_json::{json, Value};

use crate::{scenario::siret, Step};

/// The sizes of the history.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub funders: usize,
    /// Beneficiaries of each funder's programme.
    pub beneficiaries: usize,
    /// Professionals employed in each funder's centres.
    pub professionals: usize,
}

impl Sizes {
    /// About how many events one funder's history appends.
    pub fn events_per_funder(&self) -> usize {
        // programme + envelope; per beneficiary ≈ 17.5 (bursaries dominate);
        // per professional ≈ 2.8 (hire, some departures, a share of a
        // centre and its activity).
        2 + self.beneficiaries * 35 / 2 + self.professionals * 28 / 10
    }

    pub fn events(&self) -> usize {
        self.funders * self.events_per_funder()
    }
}

/// SplitMix64: a small, well-known generator whose output depends only on
/// the seed — what reproducible data needs (no cryptographic use).
#[derive(Debug, Clone)]
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const REGIONS: [&str; 13] = [
    "11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94",
];

/// A funder's code, kind and the département its money goes to.
fn funder(index: usize) -> (&'static str, String, String) {
    if index.is_multiple_of(4) {
        let region = REGIONS[(index / 4) % REGIONS.len()];
        (
            "FUNDER_KIND_REGION",
            region.to_owned(),
            departement(index / 4),
        )
    } else {
        let dep = departement(index);
        ("FUNDER_KIND_DEPARTEMENT", dep.clone(), dep)
    }
}

/// A metropolitan département code (01–95 without 20).
fn departement(index: usize) -> String {
    let n = index % 94 + 1;
    let n = if n >= 20 { n + 1 } else { n };
    format!("{n:02}")
}

fn date(year: i32, month0: i32, day: u32) -> String {
    crate::scenario::month_day(year, month0, day)
}

const PROFESSIONS: [&str; 6] = [
    "PROFESSION_GENERAL_PRACTITIONER",
    "PROFESSION_GENERAL_PRACTITIONER",
    "PROFESSION_NURSE",
    "PROFESSION_MEDICAL_SECRETARY",
    "PROFESSION_MIDWIFE",
    "PROFESSION_PHYSIOTHERAPIST",
];

/// The commands of funder `index`'s history, in an order every context
/// accepts. Independent of the other funders: histories can be loaded in
/// parallel.
pub fn funder_steps(seed: u64, sizes: Sizes, index: usize) -> Vec<Step> {
    let mut rng = Random::new(seed ^ (index as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let tag = format!("syn{seed}-f{index}");
    let (kind, code, dep) = funder(index);
    // Histories start 2015–2019, so that their last facts (a breach up to
    // seven years after the award) are still in the past: a fact cannot be
    // dated after the day it is recorded.
    let year = 2015 + (index % 5) as i32;
    let programme = format!("{tag}-programme");
    let envelope = format!("{tag}-envelope");
    let territory = json!({"departement_code": dep});
    let mut steps = vec![
        Step::http(
            "declare-programme",
            format!("{tag}-p"),
            json!({
            "programme_id": programme, "funder": {"kind": kind, "code": code, "name": format!("Financeur {tag}")},
            "name": format!("Programme {tag}"), "period_start": format!("{year}-01-01"),
            "period_end": format!("{}-12-31", year + 9), "effective_date": format!("{year}-01-02")}),
        ),
        Step::http(
            "open-envelope",
            format!("{tag}-e"),
            json!({
            "envelope_id": envelope, "programme_id": programme, "kind": "AUTHORISATION_KIND_AE",
            "amount_cents": 100_000_000_000i64, "period_start": format!("{year}-01-01"),
            "period_end": format!("{}-12-31", year + 9), "vote_reference": format!("VOTE-{tag}"),
            "label": format!("Enveloppe {tag}"), "territory": territory, "effective_date": format!("{year}-01-15")}),
        ),
    ];
    for b in 0..sizes.beneficiaries {
        let grant = format!("{tag}-g{b}");
        let start = rng.below(24) as i32;
        let roll = rng.below(10);
        let person = json!({"person_id": format!("{tag}-person-{b}")});
        if roll < 6 {
            // A bursary: 24 monthly instalments, then a three-year obligation.
            let schedule: Vec<Value> = (0..24)
                .map(|m| json!({"due_date": date(year, start + m, 5), "amount_cents": 50_000}))
                .collect();
            let rule = if rng.chance(50) {
                "RECOVERY_RULE_PRORATA"
            } else {
                "RECOVERY_RULE_FULL"
            };
            steps.push(Step::http("award-grant", format!("{grant}-a"), json!({
                "grant_id": grant, "envelope_id": envelope, "beneficiary": person, "kind": "GRANT_KIND_BURSARY",
                "amount_cents": 1_200_000, "purpose": "Bourse", "territory": territory, "schedule": schedule,
                "obligation": {"duration_months": 36, "territory": territory, "recovery_rule": rule},
                "effective_date": date(year, start, 1)})));
            for m in 0..24 {
                steps.push(Step::http("make-payment", format!("{grant}-m{m}"), json!({
                    "grant_id": grant, "payment_id": format!("{grant}-m{m}"), "amount_cents": 50_000,
                    "effective_date": date(year, start + m, 5)})));
            }
            let obligation = format!("{grant}-o");
            steps.push(Step::http("start-obligation", format!("{obligation}-s"), json!({
                "obligation_id": obligation, "grant_id": grant, "beneficiary": person,
                "territory": territory, "duration_months": 36, "start_date": date(year, start + 24, 1)}))
                .after_other_context());
            if rng.chance(10) {
                let served = 1 + rng.below(34) as i32;
                steps.push(Step::http(
                    "breach-obligation",
                    format!("{obligation}-b"),
                    json!({
                    "obligation_id": obligation, "breached_on": date(year, start + 24 + served, 1),
                    "reason": "Départ du territoire"}),
                ));
            }
        } else {
            let (kind, cents) = if roll < 9 {
                (
                    "GRANT_KIND_SUBSIDY",
                    1_000_000 + rng.below(50) as i64 * 100_000,
                )
            } else {
                ("GRANT_KIND_INSTALLATION_AID", 1_500_000)
            };
            let beneficiary = json!({"legal_entity": {"siret": siret(rng.below(9_000_000_000_000) + 1_000_000_000_000), "name": format!("Bénéficiaire {b}")}});
            steps.push(Step::http("award-grant", format!("{grant}-a"), json!({
                "grant_id": grant, "envelope_id": envelope, "beneficiary": beneficiary, "kind": kind,
                "amount_cents": cents, "purpose": "Aide", "territory": territory,
                "effective_date": date(year, start, 1)})));
            steps.push(Step::http(
                "make-payment",
                format!("{grant}-p"),
                json!({
                "grant_id": grant, "payment_id": format!("{grant}-p"), "amount_cents": cents,
                "effective_date": date(year, start + 2, 1)}),
            ));
        }
    }
    let centres = sizes.professionals.div_ceil(8).max(1);
    for c in 0..centres {
        let centre = format!("{tag}-c{c}");
        steps.push(Step::http("open-centre", format!("{centre}-o"), json!({
            "centre_id": centre, "kind": "CENTRE_KIND_HEALTH_CENTRE", "finess": format!("{dep}0{:06}", c % 1_000_000),
            "name": format!("Centre {centre}"),
            "territory": {"departement_code": dep, "commune_code": format!("{dep}001")},
            "operator": {"siret": siret(1_000_000_000_000 + index as u64 * 1_000 + c as u64), "name": format!("Gestionnaire {tag}")},
            "programme_id": programme, "opened_on": date(year, c as i32 % 12, 1)})));
        for m in 0..12 {
            steps.push(
                Step::http(
                    "report-activity",
                    format!("{centre}-r{m}"),
                    json!({
                "centre_id": centre, "month": &date(year + 1, m, 1)[..7],
                "patients_seen": 300 + rng.below(200), "consultations": 700 + rng.below(400),
                "patients_to_date": 400 * (m + 1)}),
                )
                .after_other_context(),
            );
        }
    }
    for p in 0..sizes.professionals {
        let centre = format!("{tag}-c{}", p % centres);
        let person = format!("{tag}-pro-{p}");
        let employment = format!("{person}-e");
        let fte = [500, 800, 1000][rng.below(3) as usize];
        steps.push(Step::http("hire-professional", format!("{employment}-h"), json!({
            "person_id": person, "employment_id": employment, "centre_id": centre,
            "employer": {"siret": siret(1_000_000_000_000 + index as u64 * 1_000), "name": format!("Employeur {tag}")},
            "profession": PROFESSIONS[rng.below(PROFESSIONS.len() as u64) as usize],
            "fte_milli": fte, "start_date": date(year + 1, rng.below(12) as i32, 1)}))
            .after_other_context());
        if rng.chance(15) {
            steps.push(Step::http("record-departure", format!("{employment}-d"), json!({
                "person_id": person, "employment_id": employment, "left_on": date(year + 2, rng.below(12) as i32, 28),
                "reason": "Départ"})));
        }
    }
    crate::scenario::budget::with_budget(&tag, steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_history_and_another_seed_another() {
        let sizes = Sizes {
            funders: 3,
            beneficiaries: 20,
            professionals: 10,
        };
        let a: Vec<String> = (0..3)
            .flat_map(|f| funder_steps(7, sizes, f))
            .map(|s| format!("{} {} {}", s.command, s.key, s.body))
            .collect();
        let b: Vec<String> = (0..3)
            .flat_map(|f| funder_steps(7, sizes, f))
            .map(|s| format!("{} {} {}", s.command, s.key, s.body))
            .collect();
        let c: Vec<String> = (0..3)
            .flat_map(|f| funder_steps(8, sizes, f))
            .map(|s| format!("{} {} {}", s.command, s.key, s.body))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        // The estimate is within a fifth of what is generated.
        let estimate = sizes.events() as f64;
        assert!(
            (a.len() as f64 - estimate).abs() / estimate < 0.2,
            "{} vs {estimate}",
            a.len()
        );
    }
}
