//! Health centres and groupings: openings, closings, monthly activity,
//! members and their colleges.

use crate::collections::{Map, Set};
use crate::{event_date, stream_ref};

use ledger_proto::v1::{
    event_envelope::Payload, ActivityReported, AddMember, CentreClosed, CentreKind, CentreOpened,
    CloseCentre, MemberJoined, OpenCentre, ReportActivity,
};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::{
    dates::{parse_date, parse_month_end},
    grants::parse::{legal_entity, required_enum, required_text, territory},
    ids::{EntityId, Finess},
    ApplyError, Decider, Decision, DomainError, ErrorCode,
};

/// A command of the centres service.
#[derive(Debug, Clone, PartialEq)]
pub enum CentresCommand {
    OpenCentre(OpenCentre),
    CloseCentre(CloseCentre),
    ReportActivity(ReportActivity),
    AddMember(AddMember),
}

/// A centre's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Centre {
    pub opened_on: Date,
    pub closed_on: Option<Date>,
}

/// What the centres service knows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CentresBook {
    pub centres: Map<String, Centre>,
    pub members: Set<(String, String)>,
}

impl CentresBook {
    fn centre(&self, id: &str) -> Result<&Centre, DomainError> {
        EntityId::parse("centre_id", id)?;
        self.centres.get(id).ok_or_else(|| {
            DomainError::new(ErrorCode::NotFound, format!("centre {id} does not exist"))
                .field_path("centre_id")
        })
    }

    fn open_centre(&self, c: &OpenCentre) -> Result<Decision, DomainError> {
        let id = EntityId::parse("centre_id", &c.centre_id)?;
        if self.centres.contains_key(id.as_str()) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("centre {id} already exists"),
            ));
        }
        required_enum::<CentreKind>("kind", c.kind)?;
        if !c.finess.is_empty() {
            Finess::parse("finess", &c.finess)?;
        }
        required_text("name", &c.name)?;
        territory("territory", c.territory.as_ref())?;
        if c.territory
            .as_ref()
            .is_none_or(|t| t.commune_code.is_empty())
        {
            return Err(DomainError::invalid(
                "territory.commune_code",
                "is required for a centre",
            ));
        }
        if c.operator.is_some() {
            legal_entity("operator", c.operator.as_ref())?;
        }
        if !c.programme_id.is_empty() {
            EntityId::parse("programme_id", &c.programme_id)?;
        }
        Ok(Decision {
            stream: stream_ref("centre", id.as_str()),
            key: id.to_string(),
            effective_date: parse_date("opened_on", &c.opened_on)?,
            occurred_at: c.occurred_at,
            payload: Payload::CentreOpened(CentreOpened {
                centre_id: c.centre_id.clone(),
                kind: c.kind,
                finess: c.finess.clone(),
                name: c.name.clone(),
                territory: c.territory.clone(),
                operator: c.operator.clone(),
                programme_id: c.programme_id.clone(),
                opened_on: c.opened_on.clone(),
            }),
        })
    }

    fn close_centre(&self, c: &CloseCentre) -> Result<Decision, DomainError> {
        let centre = self.centre(&c.centre_id)?;
        if centre.closed_on.is_some() {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!("centre {} is already closed", c.centre_id),
            ));
        }
        let closed_on = parse_date("closed_on", &c.closed_on)?;
        if closed_on < centre.opened_on {
            return Err(DomainError::invalid(
                "closed_on",
                "is before the centre opened",
            ));
        }
        Ok(Decision {
            stream: stream_ref("centre", &c.centre_id),
            key: c.centre_id.clone(),
            effective_date: closed_on,
            occurred_at: c.occurred_at,
            payload: Payload::CentreClosed(CentreClosed {
                centre_id: c.centre_id.clone(),
                closed_on: c.closed_on.clone(),
                reason: c.reason.clone(),
            }),
        })
    }

    fn report_activity(&self, c: &ReportActivity) -> Result<Decision, DomainError> {
        let centre = self.centre(&c.centre_id)?;
        let month_end = parse_month_end("month", &c.month)?;
        if month_end < centre.opened_on {
            return Err(DomainError::invalid("month", "is before the centre opened"));
        }
        if let Some(closed) = centre.closed_on {
            if month_end.replace_day(1).is_ok_and(|first| first > closed) {
                return Err(DomainError::new(
                    ErrorCode::InvalidState,
                    format!("centre {} was closed on {closed}", c.centre_id),
                )
                .field_path("month"));
            }
        }
        Ok(Decision {
            stream: stream_ref("centre", &c.centre_id),
            key: c.centre_id.clone(),
            effective_date: month_end,
            occurred_at: c.occurred_at,
            payload: Payload::ActivityReported(ActivityReported {
                centre_id: c.centre_id.clone(),
                month: c.month.clone(),
                patients_seen: c.patients_seen,
                consultations: c.consultations,
                patients_to_date: c.patients_to_date,
            }),
        })
    }

    fn add_member(&self, c: &AddMember) -> Result<Decision, DomainError> {
        EntityId::parse("grouping_id", &c.grouping_id)?;
        EntityId::parse("member_id", &c.member_id)?;
        if self
            .members
            .contains(&(c.grouping_id.clone(), c.member_id.clone()))
        {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("{} is already a member of {}", c.member_id, c.grouping_id),
            ));
        }
        legal_entity("member", c.member.as_ref())?;
        EntityId::parse("college", &c.college)?;
        Ok(Decision {
            stream: stream_ref("grouping", &c.grouping_id),
            key: c.grouping_id.clone(),
            effective_date: parse_date("joined_on", &c.joined_on)?,
            occurred_at: c.occurred_at,
            payload: Payload::MemberJoined(MemberJoined {
                grouping_id: c.grouping_id.clone(),
                member_id: c.member_id.clone(),
                member: c.member.clone(),
                college: c.college.clone(),
                joined_on: c.joined_on.clone(),
            }),
        })
    }
}

impl Decider for CentresBook {
    type Command = CentresCommand;

    fn decide(&self, command: &CentresCommand) -> Result<Decision, DomainError> {
        match command {
            CentresCommand::OpenCentre(c) => self.open_centre(c),
            CentresCommand::CloseCentre(c) => self.close_centre(c),
            CentresCommand::ReportActivity(c) => self.report_activity(c),
            CentresCommand::AddMember(c) => self.add_member(c),
        }
    }

    fn person_ids(command: &CentresCommand) -> Vec<(&'static str, &str)> {
        match command {
            CentresCommand::OpenCentre(_)
            | CentresCommand::CloseCentre(_)
            | CentresCommand::ReportActivity(_)
            | CentresCommand::AddMember(_) => Vec::new(),
        }
    }

    fn apply(&mut self, payload: &Payload) -> Result<(), ApplyError> {
        match payload {
            Payload::CentreOpened(e) => {
                self.centres.insert(
                    e.centre_id.clone(),
                    Centre {
                        opened_on: event_date(&e.opened_on)?,
                        closed_on: None,
                    },
                );
            }
            Payload::CentreClosed(e) => {
                let centre = self
                    .centres
                    .get_mut(&e.centre_id)
                    .ok_or_else(|| ApplyError(format!("unknown centre {}", e.centre_id)))?;
                centre.closed_on = Some(event_date(&e.closed_on)?);
            }
            Payload::MemberJoined(e) => {
                self.members
                    .insert((e.grouping_id.clone(), e.member_id.clone()));
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
