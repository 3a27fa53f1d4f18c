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

/// The recovery id of a called guarantee's claim on its borrower.
pub const CALL_CLAIM: &str = "call";

/// A titre de recette a command names: one of a grant's, or a called
/// guarantee's claim on its borrower.
pub(super) struct Titre<'b> {
    pub recovery: &'b Recovery,
    pub envelope_id: &'b str,
    /// The stream its events go to: the grant's or the guarantee's.
    pub stream: ledger_proto::v1::StreamRef,
}

impl Titre<'_> {
    pub(super) fn decision(&self, effective_date: time::Date, payload: Payload) -> Decision {
        Decision {
            stream: self.stream.clone(),
            key: self.envelope_id.to_owned(),
            effective_date,
            occurred_at: None,
            payload,
        }
    }
}

impl GrantsBook {
    /// The titre named by `grant_id` or `guarantee_id` (exactly one) and
    /// `recovery_id`.
    pub(super) fn titre(
        &self,
        grant_id: &str,
        guarantee_id: &str,
        recovery_id: &str,
    ) -> Result<Titre<'_>, DomainError> {
        match (grant_id.is_empty(), guarantee_id.is_empty()) {
            (false, true) => {
                let grant = self.grant(grant_id)?;
                Ok(Titre {
                    recovery: recovery_of(grant, grant_id, recovery_id)?,
                    envelope_id: &grant.envelope_id,
                    stream: stream_ref("grant", grant_id),
                })
            }
            (true, false) => {
                let guarantee = self.guarantee(guarantee_id)?;
                let claim = guarantee
                    .claim
                    .as_ref()
                    .filter(|_| recovery_id == CALL_CLAIM)
                    .ok_or_else(|| {
                        DomainError::new(
                            ErrorCode::NotFound,
                            format!(
                                "guarantee {guarantee_id} has no titre {recovery_id}: a called \
                                 guarantee's claim is titre {CALL_CLAIM:?}"
                            ),
                        )
                        .field_path("recovery_id")
                    })?;
                Ok(Titre {
                    recovery: claim,
                    envelope_id: &guarantee.envelope_id,
                    stream: stream_ref("guarantee", guarantee_id),
                })
            }
            _ => Err(DomainError::invalid(
                "grant_id",
                "name either the grant or the called guarantee (guarantee_id) the titre is on",
            )),
        }
    }

    pub(super) fn adjust_recovery(&self, c: &AdjustRecovery) -> Result<Decision, DomainError> {
        let titre = self.titre(&c.grant_id, &c.guarantee_id, &c.recovery_id)?;
        let recovery = titre.recovery;
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
            ..titre.decision(
                effective_date,
                Payload::RecoveryAdjusted(RecoveryAdjusted {
                    grant_id: c.grant_id.clone(),
                    guarantee_id: c.guarantee_id.clone(),
                    envelope_id: titre.envelope_id.to_owned(),
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
        let titre = self.titre(&c.grant_id, &c.guarantee_id, &c.recovery_id)?;
        let recovery = titre.recovery;
        required_text("decision_reference", &c.decision_reference)?;
        if c.instalments.is_empty() {
            return Err(DomainError::invalid("instalments", "are required"));
        }
        // The plan covers exactly what is still due, in dated instalments.
        super::decide::check_schedule(
            "instalments",
            &c.instalments,
            recovery.outstanding(),
            "what is left to receive,",
        )?;
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        Ok(Decision {
            occurred_at: c.occurred_at,
            ..titre.decision(
                effective_date,
                Payload::RecoveryScheduled(RecoveryScheduled {
                    grant_id: c.grant_id.clone(),
                    guarantee_id: c.guarantee_id.clone(),
                    envelope_id: titre.envelope_id.to_owned(),
                    recovery_id: c.recovery_id.clone(),
                    instalments: c.instalments.clone(),
                    decision_reference: c.decision_reference.clone(),
                }),
            )
        })
    }
}
