//! Titres de recette after they are ordered: reduced or cancelled, waived,
//! written off, or given a repayment plan.

use ledger_proto::v1::{
    event_envelope::Payload, AdjustRecovery, RecoveryAdjusted, RecoveryAdjustment,
    RecoveryScheduled, ScheduleRecovery,
};

use super::{
    lifecycle::fiscal_year,
    parse::{required_enum, required_text},
    Grant, GrantsBook, Recovery,
};
use crate::{dates::parse_date, stream_ref, Cents, Decision, DomainError, ErrorCode};

/// A recovery of a grant, or the error a client sees.
pub(super) fn recovery_of<'g>(
    grant: &'g Grant,
    grant_id: &str,
    recovery_id: &str,
) -> Result<&'g Recovery, DomainError> {
    grant.recoveries.get(recovery_id).ok_or_else(|| {
        DomainError::new(
            ErrorCode::NotFound,
            format!("recovery {recovery_id} of grant {grant_id} does not exist"),
        )
        .field_path("recovery_id")
    })
}

fn decision(
    grant_id: &str,
    envelope_id: &str,
    effective_date: time::Date,
    payload: Payload,
) -> Decision {
    Decision {
        stream: stream_ref("grant", grant_id),
        key: envelope_id.to_owned(),
        effective_date,
        occurred_at: None,
        payload,
    }
}

impl GrantsBook {
    pub(super) fn adjust_recovery(&self, c: &AdjustRecovery) -> Result<Decision, DomainError> {
        let grant = self.grant(&c.grant_id)?;
        let recovery = recovery_of(grant, &c.grant_id, &c.recovery_id)?;
        let adjustment: RecoveryAdjustment = required_enum("adjustment", c.adjustment)?;
        let amount = Cents::positive("amount_cents", c.amount_cents)?;
        required_text("decision_reference", &c.decision_reference)?;
        required_text("reason", &c.reason)?;
        if amount > recovery.outstanding() {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!(
                    "recovery {} has {} left to receive",
                    c.recovery_id,
                    recovery.outstanding()
                ),
            )
            .field_path("amount_cents"));
        }
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        Ok(Decision {
            occurred_at: c.occurred_at,
            ..decision(
                &c.grant_id,
                &grant.envelope_id,
                effective_date,
                Payload::RecoveryAdjusted(RecoveryAdjusted {
                    grant_id: c.grant_id.clone(),
                    envelope_id: grant.envelope_id.clone(),
                    recovery_id: c.recovery_id.clone(),
                    adjustment: adjustment as i32,
                    amount_cents: c.amount_cents,
                    fiscal_year: fiscal_year(c.fiscal_year, effective_date)?,
                    decision_reference: c.decision_reference.clone(),
                    reason: c.reason.clone(),
                }),
            )
        })
    }

    pub(super) fn schedule_recovery(&self, c: &ScheduleRecovery) -> Result<Decision, DomainError> {
        let grant = self.grant(&c.grant_id)?;
        let recovery = recovery_of(grant, &c.grant_id, &c.recovery_id)?;
        required_text("decision_reference", &c.decision_reference)?;
        if c.instalments.is_empty() {
            return Err(DomainError::invalid("instalments", "are required"));
        }
        // The plan covers exactly what is still due, in dated instalments.
        super::decide::check_schedule(&c.instalments, recovery.outstanding()).map_err(
            |e| match e.field.as_deref() {
                Some("schedule") => DomainError::invalid("instalments", e.message),
                _ => e,
            },
        )?;
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        Ok(Decision {
            occurred_at: c.occurred_at,
            ..decision(
                &c.grant_id,
                &grant.envelope_id,
                effective_date,
                Payload::RecoveryScheduled(RecoveryScheduled {
                    grant_id: c.grant_id.clone(),
                    envelope_id: grant.envelope_id.clone(),
                    recovery_id: c.recovery_id.clone(),
                    instalments: c.instalments.clone(),
                    decision_reference: c.decision_reference.clone(),
                }),
            )
        })
    }
}
