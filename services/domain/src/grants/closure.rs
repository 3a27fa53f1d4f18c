//! The end of envelopes and grants: clôture of an AP/AE, and a grant's
//! closure (settled under-spent, lapsed, breached), each releasing what is
//! left (désengagement).

use ledger_proto::v1::{
    event_envelope::Payload, CloseEnvelope, CloseGrant, EnvelopeClosed, GrantClosed, GrantOutcome,
};

use super::{
    parse::{required_enum, required_text},
    GrantsBook,
};
use crate::{dates::format_date, dates::parse_date, stream_ref, Decision, DomainError, ErrorCode};

impl GrantsBook {
    pub(super) fn close_envelope(&self, c: &CloseEnvelope) -> Result<Decision, DomainError> {
        let envelope = self.envelope(&c.envelope_id)?;
        if envelope.closed {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!("envelope {} is already closed", c.envelope_id),
            )
            .field_path("envelope_id"));
        }
        required_text("vote_reference", &c.vote_reference)?;
        Ok(Decision {
            stream: stream_ref("envelope", &c.envelope_id),
            key: c.envelope_id.clone(),
            effective_date: parse_date("effective_date", &c.effective_date)?,
            occurred_at: c.occurred_at,
            payload: Payload::EnvelopeClosed(EnvelopeClosed {
                envelope_id: c.envelope_id.clone(),
                cancelled_cents: envelope.available().get(),
                vote_reference: c.vote_reference.clone(),
                reason: c.reason.clone(),
            }),
        })
    }

    /// A client's closure: settled, or lapsed past the grant's deadline.
    pub(super) fn close_grant(&self, c: &CloseGrant) -> Result<Decision, DomainError> {
        let outcome: GrantOutcome = required_enum("outcome", c.outcome)?;
        let grant = self.live_grant(&c.grant_id)?;
        required_text("reason", &c.reason)?;
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        match outcome {
            GrantOutcome::Settled => {}
            GrantOutcome::Lapsed => match grant.deadline {
                None => {
                    return Err(DomainError::new(
                        ErrorCode::InvalidState,
                        format!("grant {} has no deadline: it cannot lapse", c.grant_id),
                    )
                    .field_path("outcome"))
                }
                Some(deadline) if effective_date <= deadline => {
                    return Err(DomainError::new(
                        ErrorCode::InvalidState,
                        format!(
                            "grant {} may be paid until {}: it lapses after that day only",
                            c.grant_id,
                            format_date(deadline)
                        ),
                    )
                    .field_path("effective_date"))
                }
                Some(_) => {}
            },
            GrantOutcome::Breached | GrantOutcome::Unspecified => {
                return Err(DomainError::invalid(
                    "outcome",
                    "a breach closes its grant by itself, when the obligation's breach is recorded",
                ))
            }
        }
        if !c.cause_event_id.is_empty() {
            return Err(DomainError::invalid(
                "cause_event_id",
                "is set by the ledger's own reactions only",
            ));
        }
        self.closure(c, outcome, effective_date)
    }

    /// The ledger's closure of a grant whose obligation was breached.
    pub(super) fn close_grant_on_breach(&self, c: &CloseGrant) -> Result<Decision, DomainError> {
        self.live_grant(&c.grant_id)?;
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        self.closure(c, GrantOutcome::Breached, effective_date)
    }

    fn closure(
        &self,
        c: &CloseGrant,
        outcome: GrantOutcome,
        effective_date: time::Date,
    ) -> Result<Decision, DomainError> {
        let grant = self.live_grant(&c.grant_id)?;
        Ok(Decision {
            stream: stream_ref("grant", &c.grant_id),
            key: grant.envelope_id.clone(),
            effective_date,
            occurred_at: c.occurred_at,
            payload: Payload::GrantClosed(GrantClosed {
                grant_id: c.grant_id.clone(),
                envelope_id: grant.envelope_id.clone(),
                outcome: outcome as i32,
                released_cents: grant.unpaid().get(),
                reason: c.reason.clone(),
                decision_reference: c.decision_reference.clone(),
                cause_event_id: c.cause_event_id.clone(),
            }),
        })
    }
}
