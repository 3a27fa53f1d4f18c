//! What a history needs from the funder's budget beyond its seed document:
//! each envelope's M57 imputation and CP schedule, and the crédits de
//! paiement each fiscal year's payments draw on. INVENTED, all of it: the
//! seeds name neither chapters nor CP. The imputation follows the kind (an
//! AP in investment, chapter 204 "subventions d'équipement versées", nature
//! 204142; an AE in operating, chapter 65, nature 6574; fonction 41,
//! santé); the schedule spreads the vote evenly over the envelope's years;
//! the CP voted for a year (budget primitif, the December before) are that
//! year's payments (and guarantee calls) plus a quarter, rounded up to the next 10,000 €, so that
//! execution rates are plausible and no payment is refused.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use crate::Step;

/// (funder key, fiscal year, section, chapitre)
type Line = (String, i32, &'static str, &'static str);

fn imputation(kind: &str) -> (&'static str, &'static str, &'static str) {
    if kind == "AUTHORISATION_KIND_AP" {
        ("BUDGET_SECTION_INVESTISSEMENT", "204", "204142")
    } else {
        ("BUDGET_SECTION_FONCTIONNEMENT", "65", "6574")
    }
}

fn year_of(date: &Value) -> Option<i32> {
    date.as_str()?.get(..4)?.parse().ok()
}

/// An even CP schedule over the years of the envelope's period.
fn schedule(body: &Value) -> Option<Value> {
    let (first, last) = (
        year_of(&body["period_start"])?,
        year_of(&body["period_end"])?,
    );
    let amount = body["amount_cents"].as_i64()?;
    let years = i64::from(last - first + 1);
    let share = amount / years;
    Some(Value::Array(
        (first..=last)
            .map(|year| {
                let cents = if year == last {
                    amount - share * (years - 1)
                } else {
                    share
                };
                json!({"fiscal_year": year, "amount_cents": cents})
            })
            .filter(|i| i["amount_cents"].as_i64() > Some(0))
            .collect(),
    ))
}

fn funder_key(funder: &Value) -> String {
    let kind = funder["kind"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("FUNDER_KIND_")
        .to_lowercase();
    match funder["code"].as_str() {
        Some(code) if !code.is_empty() => format!("{kind}:{code}"),
        _ => kind,
    }
}

/// The history with its envelopes imputed and scheduled, and the CP its
/// payments need voted right after the last envelope is opened. CP votes
/// are changes, so histories of one funder add up; `tag` keeps their
/// idempotency keys apart.
pub fn with_budget(tag: &str, mut steps: Vec<Step>) -> Vec<Step> {
    let mut funders: HashMap<String, Value> = HashMap::new();
    let mut chapters: HashMap<String, (Value, &'static str, &'static str)> = HashMap::new();
    let mut grants: HashMap<String, String> = HashMap::new();
    let mut guarantees: HashMap<String, String> = HashMap::new();
    let mut paid: BTreeMap<Line, i64> = BTreeMap::new();
    let mut funder_of_line: HashMap<String, Value> = HashMap::new();
    let mut last_envelope = None;
    for (i, step) in steps.iter_mut().enumerate() {
        let body = &mut step.body;
        match step.command {
            "declare-programme" => {
                funders.insert(
                    body["programme_id"].as_str().unwrap_or_default().to_owned(),
                    body["funder"].clone(),
                );
            }
            "open-envelope" => {
                let (section, chapitre, nature) =
                    imputation(body["kind"].as_str().unwrap_or_default());
                if body.get("imputation").is_none() {
                    body["imputation"] = json!({"section": section, "chapitre": chapitre, "nature": nature, "fonction": "41"});
                }
                if body.get("cp_schedule").is_none() {
                    if let Some(schedule) = schedule(body) {
                        body["cp_schedule"] = schedule;
                    }
                }
                let funder = funders
                    .get(body["programme_id"].as_str().unwrap_or_default())
                    .cloned()
                    .unwrap_or(Value::Null);
                chapters.insert(
                    body["envelope_id"].as_str().unwrap_or_default().to_owned(),
                    (funder, section, chapitre),
                );
                last_envelope = Some(i);
            }
            "award-grant" => {
                grants.insert(
                    body["grant_id"].as_str().unwrap_or_default().to_owned(),
                    body["envelope_id"].as_str().unwrap_or_default().to_owned(),
                );
            }
            "grant-loan-guarantee" => {
                guarantees.insert(
                    body["guarantee_id"].as_str().unwrap_or_default().to_owned(),
                    body["envelope_id"].as_str().unwrap_or_default().to_owned(),
                );
            }
            // Payments, and calls of guarantees (which pay the lender),
            // draw on the CP of their envelope's chapter.
            "make-payment" | "call-loan-guarantee" => {
                let (envelope, cents) = if step.command == "make-payment" {
                    (
                        grants.get(body["grant_id"].as_str().unwrap_or_default()),
                        &body["amount_cents"],
                    )
                } else {
                    (
                        guarantees.get(body["guarantee_id"].as_str().unwrap_or_default()),
                        &body["called_cents"],
                    )
                };
                let chapter = envelope.and_then(|e| chapters.get(e));
                let year = body["fiscal_year"]
                    .as_i64()
                    .and_then(|y| i32::try_from(y).ok())
                    .or_else(|| year_of(&body["effective_date"]));
                if let (Some((funder, section, chapitre)), Some(year)) = (chapter, year) {
                    let key = funder_key(funder);
                    funder_of_line.insert(key.clone(), funder.clone());
                    *paid.entry((key, year, section, chapitre)).or_default() +=
                        cents.as_i64().unwrap_or_default();
                }
            }
            _ => {}
        }
    }
    let votes = paid.into_iter().map(|((funder, year, section, chapitre), cents)| {
        let tenk = 1_000_000;
        let voted = (cents + cents / 4 + tenk - 1) / tenk * tenk;
        Step::http(
            "vote-credits",
            format!("{tag}-cp-{funder}-{year}-{chapitre}"),
            json!({"funder": funder_of_line[&funder], "fiscal_year": year, "section": section,
                   "chapitre": chapitre, "delta_cents": voted, "vote": "CREDIT_VOTE_BUDGET_PRIMITIF",
                   "vote_reference": format!("BP {year}"), "effective_date": format!("{}-12-15", year - 1)}),
        )
    });
    let at = last_envelope.map_or(0, |i| i + 1);
    let votes: Vec<Step> = votes.collect();
    steps.splice(at..at, votes);
    steps
}
