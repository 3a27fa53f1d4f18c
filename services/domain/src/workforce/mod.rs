//! Salaried posts, hires, departures and installations.

use crate::collections::{Map, Set};
use crate::{event_date, stream_ref};

use ledger_proto::v1::{
    event_envelope::Payload, ClosePost, HireProfessional, OpenPost, PostClosed, PostOpened,
    Profession, ProfessionalHired, ProfessionalInstalled, ProfessionalLeft, RecordDeparture,
    RecordInstallation,
};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::{
    dates::parse_date,
    grants::parse::{legal_entity, required_enum, territory},
    ids::EntityId,
    ApplyError, Decider, Decision, DomainError, ErrorCode,
};

/// A command of the workforce service.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkforceCommand {
    OpenPost(OpenPost),
    ClosePost(ClosePost),
    HireProfessional(HireProfessional),
    RecordDeparture(RecordDeparture),
    RecordInstallation(RecordInstallation),
}

/// A salaried post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub centre_id: String,
    pub open: bool,
}

/// One person's employment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employment {
    pub centre_id: String,
    pub post_id: Option<String>,
    pub start: Date,
    pub active: bool,
}

/// What the workforce service knows, including which centres are open (from
/// `ledger.centres.v1`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WorkforceBook {
    pub posts: Map<String, Post>,
    /// The active employments filling each post, as (person, employment).
    /// Kept apart from `posts` because a post's events and its holders' are
    /// on different partitions (keyed by post, by person): a replay may fold
    /// a hire before the post's opening, or a newcomer's hire before the
    /// previous holder's departure, and the book must come out the same.
    pub holders: Map<String, Set<(String, String)>>,
    pub employments: Map<(String, String), Employment>,
    /// People employed per centre, never negative by construction: only an
    /// active employment can end.
    pub headcount: Map<String, u32>,
    pub open_centres: Set<String>,
    pub known_centres: Set<String>,
}

fn fte(field: &str, fte_milli: u32) -> Result<(), DomainError> {
    if (1..=1000).contains(&fte_milli) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            "must be between 1 and 1000 thousandths of a full-time post",
        ))
    }
}

impl WorkforceBook {
    fn filled(&self, post_id: &str) -> bool {
        self.holders.get(post_id).is_some_and(|h| !h.is_empty())
    }

    fn open_centre(&self, id: &str) -> Result<(), DomainError> {
        EntityId::parse("centre_id", id)?;
        if self.open_centres.contains(id) {
            Ok(())
        } else if self.known_centres.contains(id) {
            Err(
                DomainError::new(ErrorCode::InvalidState, format!("centre {id} is closed"))
                    .field_path("centre_id"),
            )
        } else {
            Err(DomainError::new(
                ErrorCode::NotFound,
                format!("centre {id} is not known to the ledger"),
            )
            .field_path("centre_id"))
        }
    }

    fn open_post(&self, c: &OpenPost) -> Result<Decision, DomainError> {
        let id = EntityId::parse("post_id", &c.post_id)?;
        if self.posts.contains_key(id.as_str()) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("post {id} already exists"),
            ));
        }
        if !c.programme_id.is_empty() {
            EntityId::parse("programme_id", &c.programme_id)?;
        }
        self.open_centre(&c.centre_id)?;
        legal_entity("employer", c.employer.as_ref())?;
        required_enum::<Profession>("profession", c.profession)?;
        fte("fte_milli", c.fte_milli)?;
        Ok(Decision {
            stream: stream_ref("post", id.as_str()),
            key: id.to_string(),
            effective_date: parse_date("opened_on", &c.opened_on)?,
            occurred_at: c.occurred_at,
            payload: Payload::PostOpened(PostOpened {
                post_id: c.post_id.clone(),
                programme_id: c.programme_id.clone(),
                centre_id: c.centre_id.clone(),
                employer: c.employer.clone(),
                profession: c.profession,
                fte_milli: c.fte_milli,
                opened_on: c.opened_on.clone(),
            }),
        })
    }

    fn close_post(&self, c: &ClosePost) -> Result<Decision, DomainError> {
        EntityId::parse("post_id", &c.post_id)?;
        let post = self.posts.get(&c.post_id).ok_or_else(|| {
            DomainError::new(
                ErrorCode::NotFound,
                format!("post {} does not exist", c.post_id),
            )
            .field_path("post_id")
        })?;
        if !post.open {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!("post {} is already closed", c.post_id),
            ));
        }
        if self.filled(&c.post_id) {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!("post {} is filled; record the departure first", c.post_id),
            ));
        }
        Ok(Decision {
            stream: stream_ref("post", &c.post_id),
            key: c.post_id.clone(),
            effective_date: parse_date("closed_on", &c.closed_on)?,
            occurred_at: c.occurred_at,
            payload: Payload::PostClosed(PostClosed {
                post_id: c.post_id.clone(),
                centre_id: post.centre_id.clone(),
                closed_on: c.closed_on.clone(),
                reason: c.reason.clone(),
            }),
        })
    }

    fn hire(&self, c: &HireProfessional) -> Result<Decision, DomainError> {
        let person = EntityId::parse_person("person_id", &c.person_id)?;
        EntityId::parse("employment_id", &c.employment_id)?;
        if self
            .employments
            .contains_key(&(c.person_id.clone(), c.employment_id.clone()))
        {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!(
                    "employment {} of {} already exists",
                    c.employment_id, c.person_id
                ),
            ));
        }
        self.open_centre(&c.centre_id)?;
        if !c.post_id.is_empty() {
            let post = self.posts.get(&c.post_id).ok_or_else(|| {
                DomainError::new(
                    ErrorCode::NotFound,
                    format!("post {} does not exist", c.post_id),
                )
                .field_path("post_id")
            })?;
            if !post.open || self.filled(&c.post_id) || post.centre_id != c.centre_id {
                return Err(DomainError::new(
                    ErrorCode::InvalidState,
                    format!(
                        "post {} is not an open, vacant post of centre {}",
                        c.post_id, c.centre_id
                    ),
                )
                .field_path("post_id"));
            }
        }
        legal_entity("employer", c.employer.as_ref())?;
        required_enum::<Profession>("profession", c.profession)?;
        fte("fte_milli", c.fte_milli)?;
        Ok(Decision {
            stream: stream_ref("person", person.as_str()),
            key: person.to_string(),
            effective_date: parse_date("start_date", &c.start_date)?,
            occurred_at: c.occurred_at,
            payload: Payload::ProfessionalHired(ProfessionalHired {
                person_id: c.person_id.clone(),
                employment_id: c.employment_id.clone(),
                post_id: c.post_id.clone(),
                centre_id: c.centre_id.clone(),
                employer: c.employer.clone(),
                profession: c.profession,
                fte_milli: c.fte_milli,
                start_date: c.start_date.clone(),
            }),
        })
    }

    fn departure(&self, c: &RecordDeparture) -> Result<Decision, DomainError> {
        EntityId::parse_person("person_id", &c.person_id)?;
        let employment = self
            .employments
            .get(&(c.person_id.clone(), c.employment_id.clone()))
            .filter(|e| e.active)
            .ok_or_else(|| {
                DomainError::new(
                    ErrorCode::NotFound,
                    format!(
                        "{} has no active employment {}",
                        c.person_id, c.employment_id
                    ),
                )
                .field_path("employment_id")
            })?;
        let left_on = parse_date("left_on", &c.left_on)?;
        if left_on < employment.start {
            return Err(DomainError::invalid(
                "left_on",
                "is before the employment started",
            ));
        }
        Ok(Decision {
            stream: stream_ref("person", &c.person_id),
            key: c.person_id.clone(),
            effective_date: left_on,
            occurred_at: c.occurred_at,
            payload: Payload::ProfessionalLeft(ProfessionalLeft {
                person_id: c.person_id.clone(),
                employment_id: c.employment_id.clone(),
                centre_id: employment.centre_id.clone(),
                left_on: c.left_on.clone(),
                reason: c.reason.clone(),
            }),
        })
    }

    fn installation(&self, c: &RecordInstallation) -> Result<Decision, DomainError> {
        let person = EntityId::parse_person("person_id", &c.person_id)?;
        required_enum::<Profession>("profession", c.profession)?;
        territory("territory", c.territory.as_ref())?;
        if c.territory
            .as_ref()
            .is_none_or(|t| t.commune_code.is_empty())
        {
            return Err(DomainError::invalid(
                "territory.commune_code",
                "is required for an installation",
            ));
        }
        if !c.centre_id.is_empty() && !self.known_centres.contains(&c.centre_id) {
            return Err(DomainError::new(
                ErrorCode::NotFound,
                format!("centre {} is not known to the ledger", c.centre_id),
            )
            .field_path("centre_id"));
        }
        if !c.grant_id.is_empty() {
            EntityId::parse("grant_id", &c.grant_id)?;
        }
        Ok(Decision {
            stream: stream_ref("person", person.as_str()),
            key: person.to_string(),
            effective_date: parse_date("installed_on", &c.installed_on)?,
            occurred_at: c.occurred_at,
            payload: Payload::ProfessionalInstalled(ProfessionalInstalled {
                person_id: c.person_id.clone(),
                profession: c.profession,
                territory: c.territory.clone(),
                centre_id: c.centre_id.clone(),
                grant_id: c.grant_id.clone(),
                installed_on: c.installed_on.clone(),
            }),
        })
    }
}

impl Decider for WorkforceBook {
    type Command = WorkforceCommand;

    fn decide(&self, command: &WorkforceCommand) -> Result<Decision, DomainError> {
        match command {
            WorkforceCommand::OpenPost(c) => self.open_post(c),
            WorkforceCommand::ClosePost(c) => self.close_post(c),
            WorkforceCommand::HireProfessional(c) => self.hire(c),
            WorkforceCommand::RecordDeparture(c) => self.departure(c),
            WorkforceCommand::RecordInstallation(c) => self.installation(c),
        }
    }

    fn person_ids(command: &WorkforceCommand) -> Vec<(&'static str, &str)> {
        match command {
            WorkforceCommand::HireProfessional(c) => vec![("person_id", c.person_id.as_str())],
            WorkforceCommand::RecordDeparture(c) => vec![("person_id", c.person_id.as_str())],
            WorkforceCommand::RecordInstallation(c) => vec![("person_id", c.person_id.as_str())],
            WorkforceCommand::OpenPost(_) | WorkforceCommand::ClosePost(_) => Vec::new(),
        }
    }

    fn apply(&mut self, payload: &Payload) -> Result<(), ApplyError> {
        match payload {
            Payload::PostOpened(e) => {
                self.posts.insert(
                    e.post_id.clone(),
                    Post {
                        centre_id: e.centre_id.clone(),
                        open: true,
                    },
                );
            }
            Payload::PostClosed(e) => {
                self.posts
                    .get_mut(&e.post_id)
                    .ok_or_else(|| ApplyError(format!("unknown post {}", e.post_id)))?
                    .open = false;
            }
            Payload::ProfessionalHired(e) => {
                if !e.post_id.is_empty() {
                    self.holders
                        .entry(e.post_id.clone())
                        .or_default()
                        .insert((e.person_id.clone(), e.employment_id.clone()));
                }
                let employment = Employment {
                    centre_id: e.centre_id.clone(),
                    post_id: Some(e.post_id.clone()).filter(|p| !p.is_empty()),
                    start: event_date(&e.start_date)?,
                    active: true,
                };
                self.employments
                    .insert((e.person_id.clone(), e.employment_id.clone()), employment);
                *self.headcount.entry(e.centre_id.clone()).or_default() += 1;
            }
            Payload::ProfessionalLeft(e) => {
                let employment = self
                    .employments
                    .get_mut(&(e.person_id.clone(), e.employment_id.clone()))
                    .ok_or_else(|| ApplyError(format!("unknown employment {}", e.employment_id)))?;
                employment.active = false;
                if let Some(holders) = employment
                    .post_id
                    .as_ref()
                    .and_then(|p| self.holders.get_mut(p))
                {
                    holders.remove(&(e.person_id.clone(), e.employment_id.clone()));
                }
                let count = self.headcount.entry(e.centre_id.clone()).or_default();
                *count = count.checked_sub(1).ok_or_else(|| {
                    ApplyError(format!("headcount of {} would go negative", e.centre_id))
                })?;
            }
            _ => {}
        }
        Ok(())
    }

    fn observe(&mut self, payload: &Payload) {
        match payload {
            Payload::CentreOpened(e) => {
                self.known_centres.insert(e.centre_id.clone());
                self.open_centres.insert(e.centre_id.clone());
            }
            Payload::CentreClosed(e) => {
                self.open_centres.remove(&e.centre_id);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
