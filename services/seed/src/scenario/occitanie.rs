//! Seeds 001 and 003 — Région Occitanie's public health service, the GIP
//! "Ma santé, Ma Région": salaried doctors from July 2022; one year after its
//! first centre opened at Sainte-Croix-Volvestre (Ariège), 11 centres, 66
//! health professionals recruited, 44 of them GPs, and more than 50,000
//! patients; the GIP salaries GPs, midwives and advanced practice nurses
//! (IPA), and its centres nurses too; 18 founding members in 4 colleges, 31 a year later; 200
//! professionals to recruit (about 40 in 2022), about ten centres a year; the
//! next centre at Lussan (Gard) in September 2023.
//!
//! The GIP's HR system integrates over Kafka: posts and hires arrive as
//! protobuf commands on the inbound topic (source system `rh-occitanie`).
//!
//! From the seed: the figures above, the places named, the colleges, the
//! Communautés de communes Couserans-Pyrénées and Haute-Ariège as members.
//! INVENTED: the opening day of each centre and where the nine not named are
//! (real INSEE codes of real Occitanie towns), how the 22 who are not GPs
//! split (1 midwife, 11 IPA, 10 nurses), which staff work where and their
//! start dates, one GP who left in February 2023 (so that 45 were
//! hired and 44 remain), FTEs, monthly activity (patients to date add up to
//! exactly 50,000 at the end of June 2023), members other than those named
//! and how the 31 split between colleges (1, 8, 17, 5), the targets'
//! deadlines, and the SIRETs.

use serde_json::{json, Value};

use super::{month_day, shares, siret};
use crate::Step;

pub struct Occitanie {
    pub programme_id: &'static str,
    pub grouping_id: &'static str,
    /// The day figures are taken "one year after the first opening".
    pub one_year_on: &'static str,
    pub centres: usize,
    pub gps: i64,
    pub midwives: i64,
    /// Infirmiers en pratique avancée (IPA).
    pub advanced_practice_nurses: i64,
    pub nurses: i64,
    pub patients: i64,
    /// Members per college at the end: (college, members).
    pub colleges: [(&'static str, i64); 4],
}

pub const OCCITANIE: Occitanie = Occitanie {
    programme_id: "occitanie-ma-sante-ma-region",
    grouping_id: "gip-ma-sante-ma-region",
    one_year_on: "2023-07-17",
    centres: 11,
    gps: 44,
    midwives: 1,
    advanced_practice_nurses: 11,
    nurses: 10,
    patients: 50_000,
    colleges: [
        ("college-1-region", 1),
        ("college-2-departements", 8),
        ("college-3-communes", 17),
        ("college-4-structures", 5),
    ],
};

const SOURCE: &str = "rh-occitanie";

/// The first eleven centres: (département, INSEE code, town, opening day).
/// Only Sainte-Croix-Volvestre is named by the seed as the first.
const CENTRES: [(&str, &str, &str, &str); 11] = [
    ("09", "09257", "Sainte-Croix-Volvestre", "2022-07-04"),
    ("09", "09225", "Pamiers", "2022-09-05"),
    ("12", "12300", "Villefranche-de-Rouergue", "2022-10-03"),
    ("46", "46102", "Figeac", "2022-11-07"),
    ("32", "32107", "Condom", "2022-12-05"),
    ("81", "81065", "Castres", "2023-01-09"),
    ("11", "11076", "Castelnaudary", "2023-02-06"),
    ("65", "65258", "Lannemezan", "2023-03-06"),
    ("48", "48092", "Marvejols", "2023-04-03"),
    ("82", "82112", "Moissac", "2023-05-02"),
    ("34", "34142", "Lodève", "2023-06-05"),
];

fn gip() -> Value {
    json!({"siret": siret(1_300_252_050_001), "name": "GIP Ma santé, Ma Région"})
}

fn centre(id: &str, dep: &str, commune: &str, town: &str, opened: &str, n: usize) -> Step {
    Step::http(
        "open-centre",
        format!("occ-centre-{id}"),
        json!({
        "centre_id": id, "kind": "CENTRE_KIND_HEALTH_CENTRE", "finess": format!("{dep}0{:06}", 500 + n),
        "name": format!("Centre de santé Ma Région de {town}"),
        "territory": {"region_code": "76", "departement_code": dep, "commune_code": commune},
        "operator": gip(), "programme_id": OCCITANIE.programme_id, "opened_on": opened}),
    )
}

/// A post and its holder, both from the HR system over the inbound topic.
fn staff(steps: &mut Vec<Step>, n: usize, centre: &str, profession: &str, fte: u32, start: &str) {
    let post = format!("occ-post-{n:03}");
    steps.push(
        Step::http(
            "open-post",
            format!("occ-post-{n:03}"),
            json!({
        "post_id": post, "programme_id": OCCITANIE.programme_id, "centre_id": centre,
        "employer": gip(), "profession": profession, "fte_milli": fte, "opened_on": start}),
        )
        .inbound(SOURCE)
        .after_other_context(),
    );
    steps.push(
        Step::http(
            "hire-professional",
            format!("occ-hire-{n:03}"),
            json!({
        "person_id": format!("salarie-occ-{n:03}"), "employment_id": format!("contrat-occ-{n:03}"),
        "post_id": post, "centre_id": centre, "employer": gip(), "profession": profession,
        "fte_milli": fte, "start_date": start}),
        )
        .inbound(SOURCE)
        .after_other_context(),
    );
}

fn member(n: usize, college: &str, name: &str, joined: &str) -> Step {
    Step::http(
        "add-member",
        format!("occ-member-{n:02}"),
        json!({
        "grouping_id": OCCITANIE.grouping_id, "member_id": format!("membre-{n:02}"),
        "member": {"siret": siret(2_000_000_000_000 + n as u64 * 104_729), "name": name},
        "college": college, "joined_on": joined}),
    )
}

/// The professions the document's 200 recruitments count: médecins,
/// infirmiers (IPA among them), sages-femmes.
const RECRUITED_PROFESSIONS: [&str; 5] = [
    "PROFESSION_GENERAL_PRACTITIONER",
    "PROFESSION_SPECIALIST",
    "PROFESSION_NURSE",
    "PROFESSION_ADVANCED_PRACTICE_NURSE",
    "PROFESSION_MIDWIFE",
];

pub(super) fn steps() -> Vec<Step> {
    let p = OCCITANIE.programme_id;
    let mut steps = vec![
        Step::http(
            "declare-programme",
            "occ-programme",
            json!({
            "programme_id": p,
            "funder": {"kind": "FUNDER_KIND_GROUPING", "code": OCCITANIE.grouping_id, "name": "GIP Ma santé, Ma Région (Région Occitanie)"},
            "name": "Ma santé, Ma Région — service public régional de santé",
            "period_start": "2022-01-01", "period_end": "2028-12-31",  // INVENTED end
            "axes": [
                {"code": "recrutement", "title": "Recruter 200 médecins, infirmiers et sages-femmes salariés"},
                {"code": "centres", "title": "Créer et gérer des centres de santé, une dizaine par an"}],
            "effective_date": "2022-01-10"}),
        ),
        // "Le recrutement de 200 médecins, infirmiers et sages-femmes, dont
        // une quarantaine dès 2022": those professions only (a secretary
        // would not be a recruitment the document counts), hires only.
        Step::http(
            "set-target",
            "occ-target-recruited-200",
            json!({
            "programme_id": p, "target_id": "recrutes-200", "metric": "TARGET_METRIC_PROFESSIONALS_RECRUITED",
            "professions": RECRUITED_PROFESSIONS,
            "value": 200, "deadline": "2028-12-31", "description": "Recruter 200 médecins, infirmiers et sages-femmes"}),
        ),
        Step::http(
            "set-target",
            "occ-target-recruited-40",
            json!({
            "programme_id": p, "target_id": "recrutes-2022", "metric": "TARGET_METRIC_PROFESSIONALS_RECRUITED",
            "professions": RECRUITED_PROFESSIONS,
            "value": 40, "deadline": "2022-12-31", "description": "Dont une quarantaine dès 2022"}),
        ),
        // "Au rythme d'une dizaine par an, dès 2022": a yearly flow.
        Step::http(
            "set-target",
            "occ-target-centres-yearly",
            json!({
            "programme_id": p, "target_id": "centres-par-an", "metric": "TARGET_METRIC_CENTRES_OPEN",
            "shape": "TARGET_SHAPE_FLOW_PER_YEAR", "steps": [{"from_year": 2022, "per_year": 10}],
            "deadline": "2028-12-31", "description": "Une dizaine de centres par an, dès 2022"}),
        ),
    ];

    // Members: 18 founders, 13 more within the year.
    let colleges = OCCITANIE.colleges.map(|(c, _)| c);
    let founders: [(usize, &str); 18] = [
        (0, "Région Occitanie"),
        (1, "Conseil départemental 1"),
        (1, "Conseil départemental 2"),
        (1, "Conseil départemental 3"),
        (1, "Conseil départemental 4"),
        (2, "Communauté de communes Couserans-Pyrénées"),
        (2, "Communauté de communes de la Haute-Ariège"),
        (2, "Commune 1"),
        (2, "Commune 2"),
        (2, "Commune 3"),
        (2, "Commune 4"),
        (2, "Commune 5"),
        (2, "Commune 6"),
        (2, "Commune 7"),
        (2, "Commune 8"),
        (3, "Structure partenaire 1"),
        (3, "Structure partenaire 2"),
        (3, "Structure partenaire 3"),
    ];
    for (n, (college, name)) in founders.iter().enumerate() {
        steps.push(member(n + 1, colleges[*college], name, "2022-06-20"));
    }
    let later: [(usize, usize); 13] = [
        (1, 5),
        (1, 6),
        (1, 7),
        (1, 8),
        (2, 9),
        (2, 10),
        (2, 11),
        (2, 12),
        (2, 13),
        (2, 14),
        (2, 15),
        (3, 4),
        (3, 5),
    ];
    for (i, (college, k)) in later.iter().enumerate() {
        let kind = [
            "",
            "Conseil départemental",
            "Commune",
            "Structure partenaire",
        ][*college];
        let joined = month_day(2022, 8 + i as i32 * 10 / 13, 15);
        steps.push(member(
            19 + i,
            colleges[*college],
            &format!("{kind} {k}"),
            &joined,
        ));
    }

    // Centres, staff, activity.
    let patients = shares(OCCITANIE.patients, OCCITANIE.centres);
    let mut hired = 0usize;
    for (i, (dep, commune, town, opened)) in CENTRES.iter().enumerate() {
        let id = format!("cds-occ-{:02}", i + 1);
        steps.push(centre(&id, dep, commune, town, opened, i + 1));
        let gps = 4;
        // One IPA in every centre, a nurse in the first ten.
        let carers: &[&str] = if i < 10 {
            &["PROFESSION_ADVANCED_PRACTICE_NURSE", "PROFESSION_NURSE"]
        } else {
            &["PROFESSION_ADVANCED_PRACTICE_NURSE"]
        };
        for _ in 0..gps {
            hired += 1;
            staff(
                &mut steps,
                hired,
                &id,
                "PROFESSION_GENERAL_PRACTITIONER",
                1000,
                opened,
            );
        }
        for profession in carers {
            hired += 1;
            staff(&mut steps, hired, &id, profession, 1000, opened);
        }
        if i == 0 {
            hired += 1;
            staff(&mut steps, hired, &id, "PROFESSION_MIDWIFE", 800, opened);
        }
        // Monthly activity up to June 2023: patients to date grow to this
        // centre's share of the 50,000.
        let first = opened[5..7].parse::<i32>().unwrap_or(1) - 1
            + (opened[..4].parse::<i32>().unwrap_or(2022) - 2022) * 12;
        let last = 17; // June 2023, in months from January 2022
        let months = (last - first + 1).max(1);
        for m in first..=last {
            let done = i64::from(m - first + 1);
            let to_date = patients[i] * done / i64::from(months);
            let month = &month_day(2022, m, 1)[..7];
            steps.push(
                Step::http(
                    "report-activity",
                    format!("occ-activity-{id}-{month}"),
                    json!({
                "centre_id": id, "month": month, "patients_seen": to_date / done + 150,
                "consultations": (to_date / done + 150) * 2, "patients_to_date": to_date}),
                )
                .after_other_context(),
            );
        }
    }
    // A GP hired in September 2022 who left at the end of February 2023.
    hired += 1;
    let n = hired;
    staff(
        &mut steps,
        n,
        "cds-occ-02",
        "PROFESSION_GENERAL_PRACTITIONER",
        1000,
        "2022-09-15",
    );
    steps.push(
        Step::http(
            "record-departure",
            format!("occ-departure-{n:03}"),
            json!({
        "person_id": format!("salarie-occ-{n:03}"), "employment_id": format!("contrat-occ-{n:03}"),
        "left_on": "2023-02-28", "reason": "démission"}),
        )
        .inbound(SOURCE)
        .after_other_context(),
    );

    // Lussan (Gard), the next centre, in September 2023.
    steps.push(centre(
        "cds-occ-12",
        "30",
        "30151",
        "Lussan",
        "2023-09-04",
        12,
    ));
    for profession in [
        "PROFESSION_GENERAL_PRACTITIONER",
        "PROFESSION_GENERAL_PRACTITIONER",
        "PROFESSION_ADVANCED_PRACTICE_NURSE",
    ] {
        hired += 1;
        staff(
            &mut steps,
            hired,
            "cds-occ-12",
            profession,
            1000,
            "2023-09-04",
        );
    }
    steps
}
