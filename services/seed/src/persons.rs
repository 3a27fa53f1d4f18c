//! The histories name their persons readably (`salarie-occ-001`); commands
//! must carry pseudonyms the personal-data store issued. Before a step is
//! sent, every `person_id` in its body is replaced: through the services,
//! by registering the (fictional) person with the store, as an HR system
//! would, under an idempotency key made from the name, so a second load
//! gets the same pseudonyms; in direct mode, which has no store in between,
//! by deriving it from the name under the store's key.

use std::{borrow::Cow, collections::BTreeSet};

use ledger_domain::pseudonyms::PseudonymKeys;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::Step;

/// The readable person names a body uses, each once.
pub fn names_in(body: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    walk(body, &mut |name| {
        names.insert(name.to_owned());
    });
    names
}

fn walk(value: &Value, found: &mut impl FnMut(&str)) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("person_id", Value::String(name)) => found(name),
                    _ => walk(v, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// `step` with every person name replaced by `pseudonym(name)`.
pub fn with_pseudonyms(step: &Step, pseudonym: &impl Fn(&str) -> String) -> Step {
    let mut step = step.clone();
    replace(&mut step.body, pseudonym);
    step
}

fn replace(value: &mut Value, pseudonym: &impl Fn(&str) -> String) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match (key.as_str(), &*v) {
                    ("person_id", Value::String(name)) => *v = Value::String(pseudonym(name)),
                    _ => replace(v, pseudonym),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| replace(v, pseudonym)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// What the store is given for a fictional person: a label and an
/// RPPS-shaped number derived from the name (not a real professional's).
pub fn fictional_details(name: &str) -> Value {
    let digest = Sha256::digest(name.as_bytes());
    let number = u64::from_be_bytes(digest[..8].try_into().unwrap_or_default()) % 100_000_000_000;
    serde_json::json!({"name": format!("Personne fictive {name}"), "rpps": format!("{number:011}")})
}

/// The idempotency key of a fictional person's registration.
pub fn registration_key(name: &str) -> String {
    format!("seed-person:{name}")
}

/// Direct mode: `step` with each name replaced by the pseudonym the store's
/// key gives it.
pub fn derived<'s>(step: &'s Step, keys: &PseudonymKeys) -> Cow<'s, Step> {
    if names_in(&step.body).is_empty() {
        Cow::Borrowed(step)
    } else {
        Cow::Owned(with_pseudonyms(step, &|name| keys.derive(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_person_id_is_replaced_and_nothing_else() {
        let step = Step::http(
            "award-grant",
            "k",
            json!({"grant_id": "person_id", "beneficiary": {"person_id": "interne-1"},
                   "list": [{"person_id": "interne-2"}, "person_id"]}),
        );
        assert_eq!(
            names_in(&step.body).into_iter().collect::<Vec<_>>(),
            ["interne-1", "interne-2"]
        );
        let replaced = with_pseudonyms(&step, &|n| format!("psn({n})"));
        assert_eq!(
            replaced.body,
            json!({"grant_id": "person_id", "beneficiary": {"person_id": "psn(interne-1)"},
                   "list": [{"person_id": "psn(interne-2)"}, "person_id"]})
        );
    }

    #[test]
    fn a_fictional_rpps_is_eleven_digits_and_stable() {
        let a = fictional_details("salarie-occ-001");
        assert_eq!(a, fictional_details("salarie-occ-001"));
        let rpps = a["rpps"].as_str().unwrap();
        assert!(rpps.len() == 11 && rpps.bytes().all(|b| b.is_ascii_digit()));
    }
}
