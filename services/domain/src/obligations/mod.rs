//! Obligations attached to grants: start, fulfilment, breach.

use crate::collections::Map;
use crate::{event_date, stream_ref};

use ledger_proto::v1::{
    event_envelope::Payload, BreachObligation, FulfilObligation, ObligationBreached,
    ObligationFulfilled, ObligationStarted, StartObligation, StreamRef,
};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::{
    dates::{format_date, last_day_of_months, parse_date},
    grants::parse::{beneficiary, required_text, territory},
    ids::EntityId,
    ApplyError, Decider, Decision, DomainError, ErrorCode,
};

/// A command of the obligations service.
#[derive(Debug, Clone, PartialEq)]
pub enum ObligationsCommand {
    StartObligation(StartObligation),
    FulfilObligation(FulfilObligation),
    BreachObligation(BreachObligation),
}

/// A running or settled obligation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Obligation {
    pub grant_id: String,
    pub start: Date,
    pub end: Date,
    pub settled: bool,
}

/// The obligation a grant's award attached to it: what an obligation started
/// on the grant must be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedTerms {
    pub duration_months: u32,
    /// Region, département and commune codes, empty when not given.
    pub territory: [String; 3],
}

impl AttachedTerms {
    fn of(terms: &ledger_proto::v1::ObligationTerms) -> Self {
        Self {
            duration_months: terms.duration_months,
            territory: territory_codes(terms.territory.as_ref()),
        }
    }
}

fn territory_codes(t: Option<&ledger_proto::v1::Territory>) -> [String; 3] {
    let t = t.cloned().unwrap_or_default();
    [t.region_code, t.departement_code, t.commune_code]
}

/// A grant as the obligations service knows it from `ledger.grants.v1`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownGrant {
    /// The obligation terms its award attached, if any.
    pub terms: Option<AttachedTerms>,
    /// Cancelled or closed: no obligation starts on it any more.
    pub ended: bool,
}

/// What the obligations service knows, including the grants it has seen
/// on `ledger.grants.v1`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ObligationsBook {
    pub obligations: Map<String, Obligation>,
    pub known_grants: Map<String, KnownGrant>,
    /// The obligation started on each grant: one grant, one obligation, so
    /// one breach recovery at most. Kept from this service's own events, not
    /// in `known_grants`: a rebuild folds the own topic before it reads
    /// `ledger.grants.v1` again, so an obligation is applied before the
    /// award of its grant is seen.
    pub obligation_of: Map<String, String>,
}

fn stream(id: &str) -> StreamRef {
    stream_ref("obligation", id)
}

impl ObligationsBook {
    fn running(&self, id: &str) -> Result<&Obligation, DomainError> {
        EntityId::parse("obligation_id", id)?;
        let obligation = self.obligations.get(id).ok_or_else(|| {
            DomainError::new(
                ErrorCode::NotFound,
                format!("obligation {id} does not exist"),
            )
            .field_path("obligation_id")
        })?;
        if obligation.settled {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!("obligation {id} is already settled"),
            )
            .field_path("obligation_id"));
        }
        Ok(obligation)
    }

    fn start(&self, c: &StartObligation) -> Result<Decision, DomainError> {
        let id = EntityId::parse("obligation_id", &c.obligation_id)?;
        if self.obligations.contains_key(id.as_str()) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("obligation {id} already exists"),
            ));
        }
        EntityId::parse("grant_id", &c.grant_id)?;
        let grant = self.known_grants.get(&c.grant_id).ok_or_else(|| {
            DomainError::new(
                ErrorCode::NotFound,
                format!("grant {} is not known to the ledger", c.grant_id),
            )
            .field_path("grant_id")
        })?;
        let refused = |why: String| {
            Err(DomainError::new(ErrorCode::InvalidState, why).field_path("grant_id"))
        };
        if grant.ended {
            return refused(format!("grant {} has ended", c.grant_id));
        }
        if let Some(other) = self.obligation_of.get(&c.grant_id) {
            return refused(format!(
                "grant {} already carries obligation {other}",
                c.grant_id
            ));
        }
        let terms = &grant.terms;
        beneficiary("beneficiary", c.beneficiary.as_ref())?;
        territory("territory", c.territory.as_ref())?;
        if c.duration_months == 0 || c.duration_months > 600 {
            return Err(DomainError::invalid(
                "duration_months",
                "must be between 1 and 600",
            ));
        }
        // The obligation is the one the grant was awarded with: a different
        // length or place would settle (and recover) on terms nobody voted.
        let Some(terms) = terms else {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!("grant {} carries no obligation terms", c.grant_id),
            )
            .field_path("grant_id"));
        };
        if c.duration_months != terms.duration_months {
            return Err(DomainError::invalid(
                "duration_months",
                format!(
                    "grant {} attaches an obligation of {} months, not {}",
                    c.grant_id, terms.duration_months, c.duration_months
                ),
            ));
        }
        if territory_codes(c.territory.as_ref()) != terms.territory {
            return Err(DomainError::invalid(
                "territory",
                format!(
                    "is not the territory grant {}'s obligation terms name",
                    c.grant_id
                ),
            ));
        }
        let start = parse_date("start_date", &c.start_date)?;
        let end = last_day_of_months(start, c.duration_months)
            .ok_or_else(|| DomainError::invalid("duration_months", "ends outside the calendar"))?;
        Ok(Decision {
            stream: stream(id.as_str()),
            key: id.to_string(),
            effective_date: start,
            occurred_at: c.occurred_at,
            payload: Payload::ObligationStarted(ObligationStarted {
                obligation_id: c.obligation_id.clone(),
                grant_id: c.grant_id.clone(),
                beneficiary: c.beneficiary.clone(),
                territory: c.territory.clone(),
                duration_months: c.duration_months,
                start_date: c.start_date.clone(),
                end_date: format_date(end),
            }),
        })
    }

    fn fulfil(&self, c: &FulfilObligation) -> Result<Decision, DomainError> {
        let obligation = self.running(&c.obligation_id)?;
        let on = parse_date("fulfilled_on", &c.fulfilled_on)?;
        if on < obligation.end {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!(
                    "obligation {} runs until {}",
                    c.obligation_id,
                    format_date(obligation.end)
                ),
            )
            .field_path("fulfilled_on"));
        }
        Ok(Decision {
            stream: stream(&c.obligation_id),
            key: c.obligation_id.clone(),
            effective_date: on,
            occurred_at: c.occurred_at,
            payload: Payload::ObligationFulfilled(ObligationFulfilled {
                obligation_id: c.obligation_id.clone(),
                grant_id: obligation.grant_id.clone(),
                fulfilled_on: c.fulfilled_on.clone(),
            }),
        })
    }

    fn breach(&self, c: &BreachObligation) -> Result<Decision, DomainError> {
        let obligation = self.running(&c.obligation_id)?;
        let on = parse_date("breached_on", &c.breached_on)?;
        if on < obligation.start || on > obligation.end {
            return Err(DomainError::invalid(
                "breached_on",
                format!(
                    "must lie within the obligation, {} to {}",
                    format_date(obligation.start),
                    format_date(obligation.end)
                ),
            ));
        }
        required_text("reason", &c.reason)?;
        let days = |from: Date, to: Date| u32::try_from((to - from).whole_days()).unwrap_or(0);
        Ok(Decision {
            stream: stream(&c.obligation_id),
            key: c.obligation_id.clone(),
            effective_date: on,
            occurred_at: c.occurred_at,
            payload: Payload::ObligationBreached(ObligationBreached {
                obligation_id: c.obligation_id.clone(),
                grant_id: obligation.grant_id.clone(),
                breached_on: c.breached_on.clone(),
                reason: c.reason.clone(),
                served_days: days(obligation.start, on),
                obligation_days: days(obligation.start, obligation.end) + 1,
            }),
        })
    }
}

impl Decider for ObligationsBook {
    type Command = ObligationsCommand;

    fn decide(&self, command: &ObligationsCommand) -> Result<Decision, DomainError> {
        match command {
            ObligationsCommand::StartObligation(c) => self.start(c),
            ObligationsCommand::FulfilObligation(c) => self.fulfil(c),
            ObligationsCommand::BreachObligation(c) => self.breach(c),
        }
    }

    fn person_ids(command: &ObligationsCommand) -> Vec<(&'static str, &str)> {
        match command {
            ObligationsCommand::StartObligation(c) => {
                crate::grants::parse::person_named("beneficiary.person_id", c.beneficiary.as_ref())
                    .into_iter()
                    .collect()
            }
            ObligationsCommand::FulfilObligation(_) | ObligationsCommand::BreachObligation(_) => {
                Vec::new()
            }
        }
    }

    fn apply(&mut self, payload: &Payload) -> Result<(), ApplyError> {
        match payload {
            Payload::ObligationStarted(e) => {
                let obligation = Obligation {
                    grant_id: e.grant_id.clone(),
                    start: event_date(&e.start_date)?,
                    end: event_date(&e.end_date)?,
                    settled: false,
                };
                self.obligations.insert(e.obligation_id.clone(), obligation);
                self.obligation_of
                    .insert(e.grant_id.clone(), e.obligation_id.clone());
            }
            Payload::ObligationFulfilled(ledger_proto::v1::ObligationFulfilled {
                obligation_id,
                ..
            })
            | Payload::ObligationBreached(ledger_proto::v1::ObligationBreached {
                obligation_id,
                ..
            }) => {
                let obligation = self
                    .obligations
                    .get_mut(obligation_id)
                    .ok_or_else(|| ApplyError(format!("unknown obligation {obligation_id}")))?;
                obligation.settled = true;
            }
            _ => {}
        }
        Ok(())
    }

    fn observe(&mut self, payload: &Payload) {
        let ended = match payload {
            Payload::GrantAwarded(grant) => {
                let known = KnownGrant {
                    terms: grant.obligation.as_ref().map(AttachedTerms::of),
                    ..KnownGrant::default()
                };
                self.known_grants.insert(grant.grant_id.clone(), known);
                return;
            }
            Payload::GrantCancelled(e) => &e.grant_id,
            Payload::GrantClosed(e) => &e.grant_id,
            _ => return,
        };
        if let Some(grant) = self.known_grants.get_mut(ended) {
            grant.ended = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use ledger_proto::v1::{
        beneficiary::Party, Beneficiary, GrantAwarded, ObligationTerms, RecoveryRule, Territory,
    };

    use super::*;

    fn start(id: &str, grant: &str) -> ObligationsCommand {
        ObligationsCommand::StartObligation(StartObligation {
            obligation_id: id.into(),
            grant_id: grant.into(),
            beneficiary: Some(Beneficiary {
                party: Some(Party::PersonId("p-7".into())),
            }),
            territory: Some(Territory {
                departement_code: "41".into(),
                ..Default::default()
            }),
            duration_months: 36,
            start_date: "2023-11-01".into(),
            occurred_at: None,
        })
    }

    fn book() -> ObligationsBook {
        let mut book = ObligationsBook::default();
        see_awards(&mut book);
        book
    }

    /// What `ledger.grants.v1` tells the service: two bursaries.
    fn see_awards(book: &mut ObligationsBook) {
        book.observe(&Payload::GrantAwarded(GrantAwarded {
            grant_id: "bourse-1".into(),
            obligation: Some(ObligationTerms {
                duration_months: 36,
                territory: Some(Territory {
                    departement_code: "41".into(),
                    ..Default::default()
                }),
                recovery_rule: RecoveryRule::Prorata as i32,
                description: "exercer 3 ans en Loir-et-Cher".into(),
            }),
            ..Default::default()
        }));
        book.observe(&Payload::GrantAwarded(GrantAwarded {
            grant_id: "sans-obligation".into(),
            ..Default::default()
        }));
    }

    #[test]
    fn an_obligation_is_the_one_its_grant_attaches() {
        let mut book = book();
        let with = |change: fn(&mut StartObligation)| {
            let ObligationsCommand::StartObligation(mut c) = start("o", "bourse-1") else {
                unreachable!()
            };
            change(&mut c);
            ObligationsCommand::StartObligation(c)
        };
        let refused = |book: &ObligationsBook, c: ObligationsCommand| {
            let err = book.decide(&c).unwrap_err();
            (err.code, err.field)
        };
        assert_eq!(
            refused(&book, with(|c| c.duration_months = 24)),
            (ErrorCode::InvalidField, Some("duration_months".into()))
        );
        assert_eq!(
            refused(
                &book,
                with(|c| c.territory.as_mut().unwrap().departement_code = "37".into())
            ),
            (ErrorCode::InvalidField, Some("territory".into()))
        );
        assert_eq!(
            refused(&book, start("o", "sans-obligation")),
            (ErrorCode::InvalidState, Some("grant_id".into()))
        );
        run(&mut book, start("o", "bourse-1")).unwrap();
        // One grant, one obligation: a second would recover twice.
        assert_eq!(
            refused(&book, start("o2", "bourse-1")),
            (ErrorCode::InvalidState, Some("grant_id".into()))
        );
    }

    #[test]
    fn a_rebuilt_book_still_refuses_a_second_obligation() {
        let mut live = book();
        let started = run(&mut live, start("o", "bourse-1")).unwrap();
        // A rebuild folds the service's own topic first, then reads the
        // grants' topic again: the obligation comes before its grant.
        let mut rebuilt = ObligationsBook::default();
        rebuilt.apply(&started).unwrap();
        see_awards(&mut rebuilt);
        let err = rebuilt.decide(&start("o2", "bourse-1")).unwrap_err();
        assert_eq!(
            (err.code, err.field),
            (ErrorCode::InvalidState, Some("grant_id".into()))
        );
    }

    #[test]
    fn no_obligation_starts_on_an_ended_grant() {
        let mut book = book();
        book.observe(&Payload::GrantCancelled(ledger_proto::v1::GrantCancelled {
            grant_id: "bourse-1".into(),
            ..Default::default()
        }));
        let err = book.decide(&start("o", "bourse-1")).unwrap_err();
        assert_eq!(
            (err.code, err.field),
            (ErrorCode::InvalidState, Some("grant_id".into()))
        );
    }

    fn run(book: &mut ObligationsBook, command: ObligationsCommand) -> Result<Payload, ErrorCode> {
        let decision = book.decide(&command).map_err(|e| e.code)?;
        book.apply(&decision.payload).expect("applies");
        Ok(decision.payload)
    }

    #[test]
    fn no_obligation_on_an_unknown_grant() {
        let mut book = book();
        assert_eq!(
            run(&mut book, start("o", "ghost")),
            Err(ErrorCode::NotFound)
        );
        let Ok(Payload::ObligationStarted(started)) = run(&mut book, start("o", "bourse-1")) else {
            panic!()
        };
        assert_eq!(started.end_date, "2026-10-31");
    }

    #[test]
    fn a_breach_counts_served_and_total_days() {
        let mut book = book();
        run(&mut book, start("o", "bourse-1")).unwrap();
        let breach = |on: &str| {
            ObligationsCommand::BreachObligation(BreachObligation {
                obligation_id: "o".into(),
                breached_on: on.into(),
                reason: "installed outside the département".into(),
                occurred_at: None,
            })
        };
        assert_eq!(
            run(&mut book, breach("2026-11-01")),
            Err(ErrorCode::InvalidField)
        );
        let Ok(Payload::ObligationBreached(b)) = run(&mut book, breach("2024-11-01")) else {
            panic!()
        };
        assert_eq!((b.served_days, b.obligation_days), (366, 1096));
        assert_eq!(
            run(&mut book, breach("2024-12-01")),
            Err(ErrorCode::InvalidState)
        );
    }

    #[test]
    fn fulfilment_comes_at_the_end() {
        let mut book = book();
        run(&mut book, start("o", "bourse-1")).unwrap();
        let fulfil = |on: &str| {
            ObligationsCommand::FulfilObligation(FulfilObligation {
                obligation_id: "o".into(),
                fulfilled_on: on.into(),
                occurred_at: None,
            })
        };
        assert_eq!(
            run(&mut book, fulfil("2026-10-30")),
            Err(ErrorCode::InvalidState)
        );
        run(&mut book, fulfil("2026-10-31")).unwrap();
    }
}
