//! A grant after its award: amendments, cancellation, payments, recoveries.

use crate::stream_ref;
use ledger_proto::v1::{
    event_envelope::Payload, AmendGrant, CancelGrant, GrantAmended, GrantCancelled, MakePayment,
    OrderRecovery, PaymentMade, ReceiveRecovery, RecoveryOrdered, RecoveryReason, RecoveryReceived,
};
use time::Date;

use super::{
    decide::check_schedule,
    parse::{required_enum, required_text},
    GrantsBook,
};
use crate::{dates::parse_date, ids::EntityId, Cents, Decision, DomainError, ErrorCode};

/// The fiscal year given, or the year of the effective date. A payment or
/// a titre de recette belongs to the year of its date, or to the previous
/// year during the closing period (up to 31 January): nothing else.
pub(super) fn fiscal_year(given: i32, effective_date: Date) -> Result<i32, DomainError> {
    let open = crate::dates::fiscal_years_open_on(effective_date);
    match given {
        0 => Ok(effective_date.year()),
        given if open.contains(&given) => Ok(given),
        other => Err(DomainError::invalid(
            "fiscal_year",
            format!(
                "{other} cannot be the fiscal year of a movement dated {}: it is {}",
                crate::dates::format_date(effective_date),
                if open.start() == open.end() {
                    format!("{}", open.start())
                } else {
                    format!("{} or, in the closing period, {}", open.end(), open.start())
                }
            ),
        )),
    }
}

fn grant_decision(
    grant_id: &str,
    envelope_id: &str,
    effective_date: Date,
    occurred_at: Option<ledger_proto::Timestamp>,
    payload: Payload,
) -> Decision {
    Decision {
        stream: stream_ref("grant", grant_id),
        key: envelope_id.to_owned(),
        effective_date,
        occurred_at,
        payload,
    }
}

impl GrantsBook {
    pub(super) fn amend_grant(&self, c: &AmendGrant) -> Result<Decision, DomainError> {
        let grant = self.live_grant(&c.grant_id)?;
        required_text("reason", &c.reason)?;
        let amount = grant
            .amount
            .checked_add(Cents::new(c.amount_delta_cents))
            .ok_or_else(|| DomainError::invalid("amount_delta_cents", "is out of range"))?;
        if amount.get() <= 0 || amount < grant.paid {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!(
                    "grant {} has {} paid; its amount cannot become {amount}",
                    c.grant_id, grant.paid
                ),
            )
            .field_path("amount_delta_cents"));
        }
        if c.amount_delta_cents == 0 && c.schedule.is_empty() {
            return Err(DomainError::invalid(
                "amount_delta_cents",
                "nothing to amend: change the amount or the schedule",
            ));
        }
        let envelope = self.envelope(&grant.envelope_id)?;
        if c.amount_delta_cents > 0 {
            envelope.check_open(&grant.envelope_id)?;
        }
        if c.amount_delta_cents > envelope.available().get() {
            return Err(DomainError::new(
                ErrorCode::EnvelopeOvercommitted,
                format!(
                    "envelope {} has {} left to commit",
                    grant.envelope_id,
                    envelope.available()
                ),
            )
            .field_path("amount_delta_cents"));
        }
        check_schedule("schedule", &c.schedule, amount, "the grant's")?;
        if let Some(deadline) = grant.deadline {
            let late = c
                .schedule
                .iter()
                .any(|i| parse_date("due_date", &i.due_date).is_ok_and(|due| due > deadline));
            if late {
                return Err(DomainError::invalid(
                    "schedule",
                    "an instalment falls after the grant's deadline",
                ));
            }
        }
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        Ok(grant_decision(
            &c.grant_id,
            &grant.envelope_id,
            effective_date,
            c.occurred_at,
            Payload::GrantAmended(GrantAmended {
                grant_id: c.grant_id.clone(),
                envelope_id: grant.envelope_id.clone(),
                amount_delta_cents: c.amount_delta_cents,
                schedule: c.schedule.clone(),
                reason: c.reason.clone(),
                decision_reference: c.decision_reference.clone(),
            }),
        ))
    }

    pub(super) fn cancel_grant(&self, c: &CancelGrant) -> Result<Decision, DomainError> {
        let grant = self.live_grant(&c.grant_id)?;
        required_text("reason", &c.reason)?;
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        Ok(grant_decision(
            &c.grant_id,
            &grant.envelope_id,
            effective_date,
            c.occurred_at,
            Payload::GrantCancelled(GrantCancelled {
                grant_id: c.grant_id.clone(),
                envelope_id: grant.envelope_id.clone(),
                released_cents: grant.unpaid().get(),
                reason: c.reason.clone(),
                decision_reference: c.decision_reference.clone(),
            }),
        ))
    }

    pub(super) fn make_payment(&self, c: &MakePayment) -> Result<Decision, DomainError> {
        let grant = self.live_grant(&c.grant_id)?;
        EntityId::parse("payment_id", &c.payment_id)?;
        if grant.payments.contains(&c.payment_id) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("payment {} already recorded", c.payment_id),
            )
            .field_path("payment_id"));
        }
        let amount = Cents::positive("amount_cents", c.amount_cents)?;
        if amount > grant.unpaid() {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!(
                    "grant {} has {} left to pay; the payment is {amount}",
                    c.grant_id,
                    grant.unpaid()
                ),
            )
            .field_path("amount_cents"));
        }
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        if let Some(deadline) = grant.deadline.filter(|d| effective_date > *d) {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!(
                    "grant {} may be paid until {} only",
                    c.grant_id,
                    crate::dates::format_date(deadline)
                ),
            )
            .field_path("effective_date"));
        }
        let fiscal_year = fiscal_year(c.fiscal_year, effective_date)?;
        self.check_credits(&grant.envelope_id, fiscal_year, amount)?;
        Ok(grant_decision(
            &c.grant_id,
            &grant.envelope_id,
            effective_date,
            c.occurred_at,
            Payload::PaymentMade(PaymentMade {
                grant_id: c.grant_id.clone(),
                envelope_id: grant.envelope_id.clone(),
                payment_id: c.payment_id.clone(),
                amount_cents: c.amount_cents,
                fiscal_year,
                mandate_reference: c.mandate_reference.clone(),
            }),
        ))
    }

    /// A client's titre de recette: the ids of the ledger's own breach
    /// recoveries are not theirs to take, so a breach's recovery can never
    /// be pre-empted.
    pub(super) fn order_recovery(&self, c: &OrderRecovery) -> Result<Decision, DomainError> {
        if c.recovery_id
            .starts_with(super::recovery::BREACH_RECOVERY_PREFIX)
        {
            return Err(DomainError::invalid(
                "recovery_id",
                format!(
                    "ids starting with {:?} are reserved for the recoveries the ledger orders after a breach",
                    super::recovery::BREACH_RECOVERY_PREFIX
                ),
            ));
        }
        self.order_any_recovery(c)
    }

    /// A titre de recette, the client's or the ledger's own.
    pub(super) fn order_any_recovery(&self, c: &OrderRecovery) -> Result<Decision, DomainError> {
        let grant = self.grant(&c.grant_id)?;
        EntityId::parse("recovery_id", &c.recovery_id)?;
        if grant.recoveries.contains_key(&c.recovery_id) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("recovery {} already ordered", c.recovery_id),
            )
            .field_path("recovery_id"));
        }
        let amount = Cents::positive("amount_cents", c.amount_cents)?;
        let reason: RecoveryReason = required_enum("reason", c.reason)?;
        let recoverable = Cents::new(grant.paid.get() - grant.recovery_ordered().get());
        if amount > recoverable {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!(
                    "grant {}: {} paid, {} already ordered; at most {recoverable} can be recovered",
                    c.grant_id,
                    grant.paid,
                    grant.recovery_ordered()
                ),
            )
            .field_path("amount_cents"));
        }
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        Ok(grant_decision(
            &c.grant_id,
            &grant.envelope_id,
            effective_date,
            c.occurred_at,
            Payload::RecoveryOrdered(RecoveryOrdered {
                grant_id: c.grant_id.clone(),
                envelope_id: grant.envelope_id.clone(),
                recovery_id: c.recovery_id.clone(),
                amount_cents: c.amount_cents,
                reason: reason as i32,
                reason_text: c.reason_text.clone(),
                cause_event_id: c.cause_event_id.clone(),
                fiscal_year: fiscal_year(c.fiscal_year, effective_date)?,
                title_reference: c.title_reference.clone(),
                rule: c.rule,
            }),
        ))
    }

    pub(super) fn receive_recovery(&self, c: &ReceiveRecovery) -> Result<Decision, DomainError> {
        let titre = self.titre(&c.grant_id, &c.guarantee_id, &c.recovery_id)?;
        let recovery = titre.recovery;
        let amount = Cents::positive("amount_cents", c.amount_cents)?;
        let outstanding = recovery.outstanding();
        if amount > outstanding {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!(
                    "recovery {} has {outstanding} left to receive",
                    c.recovery_id
                ),
            )
            .field_path("amount_cents"));
        }
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        Ok(Decision {
            occurred_at: c.occurred_at,
            ..titre.decision(
                effective_date,
                Payload::RecoveryReceived(RecoveryReceived {
                    grant_id: c.grant_id.clone(),
                    guarantee_id: c.guarantee_id.clone(),
                    envelope_id: titre.envelope_id.to_owned(),
                    recovery_id: c.recovery_id.clone(),
                    amount_cents: c.amount_cents,
                    fiscal_year: fiscal_year(c.fiscal_year, effective_date)?,
                    receipt_reference: c.receipt_reference.clone(),
                }),
            )
        })
    }
}
