//! Finding the aggregates a command refers to, with the error a client sees.

use super::{Envelope, Grant, GrantsBook, Guarantee, Programme};
use crate::{ids::EntityId, DomainError, ErrorCode};

fn missing(field: &str, what: &str, id: &str) -> DomainError {
    DomainError::new(ErrorCode::NotFound, format!("{what} {id} does not exist")).field_path(field)
}

impl GrantsBook {
    pub(super) fn programme(&self, id: &str) -> Result<&Programme, DomainError> {
        EntityId::parse("programme_id", id)?;
        self.programmes
            .get(id)
            .ok_or_else(|| missing("programme_id", "programme", id))
    }

    pub(super) fn guarantee(&self, id: &str) -> Result<&Guarantee, DomainError> {
        EntityId::parse("guarantee_id", id)?;
        self.guarantees
            .get(id)
            .ok_or_else(|| missing("guarantee_id", "guarantee", id))
    }

    pub(super) fn envelope(&self, id: &str) -> Result<&Envelope, DomainError> {
        EntityId::parse("envelope_id", id)?;
        self.envelopes
            .get(id)
            .ok_or_else(|| missing("envelope_id", "envelope", id))
    }

    pub(super) fn grant(&self, id: &str) -> Result<&Grant, DomainError> {
        EntityId::parse("grant_id", id)?;
        self.grants
            .get(id)
            .ok_or_else(|| missing("grant_id", "grant", id))
    }

    /// A grant that can still change: it exists and has not ended.
    pub(super) fn live_grant(&self, id: &str) -> Result<&Grant, DomainError> {
        let grant = self.grant(id)?;
        if let Some(ending) = grant.ended {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!("grant {id} is {}", ending.describe()),
            )
            .field_path("grant_id"));
        }
        Ok(grant)
    }
}
