//! What a breach costs the beneficiary: the recovery rule of the grant.

use ledger_proto::v1::{
    event_envelope::Payload, CloseGrant, EventEnvelope, GrantOutcome, OrderRecovery,
    RecoveryReason, RecoveryRule,
};

use super::{GrantsBook, GrantsCommand};
use crate::{command_digest, Cents, Reaction};

/// The start of the ids of the recoveries the ledger orders after a breach
/// (`breach-<obligation>`): reserved, clients cannot use them.
pub const BREACH_RECOVERY_PREFIX: &str = "breach-";

/// Idempotency key of the recovery ordered for one breach event.
pub fn breach_recovery_key(breach_event_id: &str) -> String {
    format!("breach-recovery:{breach_event_id}")
}

/// Idempotency key of the closure of the grant one breach event ends.
pub fn breach_closure_key(breach_event_id: &str) -> String {
    format!("breach-closure:{breach_event_id}")
}

impl GrantsBook {
    /// What a breach calls for, in order: the recovery of what the rule says
    /// (if anything was paid), then the grant's closure, which stops its
    /// payments and releases its unpaid part. Both keys derive from the
    /// breach event, so reacting to it again, after a restart, appends
    /// nothing more; the writer stages both in the transaction that consumes
    /// the breach.
    pub fn breach_reactions(&self, event: &EventEnvelope) -> Vec<Reaction<GrantsCommand>> {
        let mut reactions: Vec<_> = self.recovery_for_breach(event).into_iter().collect();
        reactions.extend(self.closure_for_breach(event));
        reactions
    }

    /// The closure of a breached grant that has not ended otherwise.
    pub fn closure_for_breach(&self, event: &EventEnvelope) -> Option<Reaction<GrantsCommand>> {
        let Some(Payload::ObligationBreached(breach)) = &event.payload else {
            return None;
        };
        let grant = self.grants.get(&breach.grant_id)?;
        if grant.ended.is_some() {
            return None;
        }
        let command = CloseGrant {
            grant_id: breach.grant_id.clone(),
            outcome: GrantOutcome::Breached as i32,
            reason: breach.reason.clone(),
            decision_reference: String::new(),
            effective_date: breach.breached_on.clone(),
            occurred_at: event.occurred_at,
            cause_event_id: event.event_id.clone(),
        };
        Some(Reaction {
            command_id: breach_closure_key(&event.event_id),
            digest: command_digest("CloseGrant", &command),
            command: GrantsCommand::CloseGrantOnBreach(command),
        })
    }

    /// The recovery order an `ObligationBreached` event calls for, computed
    /// with the rule the grant's obligation terms carry, capped by what
    /// remains recoverable. None when nothing was paid, or when the grant
    /// carries no terms: an obligation can only be started on the terms its
    /// grant attaches, so such a breach comes from before that rule, and no
    /// rule is invented for it.
    pub fn recovery_for_breach(&self, event: &EventEnvelope) -> Option<Reaction<GrantsCommand>> {
        let Some(Payload::ObligationBreached(breach)) = &event.payload else {
            return None;
        };
        let grant = self.grants.get(&breach.grant_id)?;
        let rule = grant.recovery_rule?;
        let due = amount_due(rule, grant.paid, breach.served_days, breach.obligation_days);
        let recoverable = Cents::new(grant.paid.get() - grant.recovery_ordered().get());
        let amount = due.min(recoverable);
        if amount.get() <= 0 {
            return None;
        }
        let command = OrderRecovery {
            grant_id: breach.grant_id.clone(),
            recovery_id: format!("{BREACH_RECOVERY_PREFIX}{}", breach.obligation_id),
            amount_cents: amount.get(),
            reason: RecoveryReason::ObligationBreach as i32,
            reason_text: breach.reason.clone(),
            cause_event_id: event.event_id.clone(),
            fiscal_year: 0,
            title_reference: String::new(),
            effective_date: breach.breached_on.clone(),
            occurred_at: event.occurred_at,
            rule: rule as i32,
        };
        Some(Reaction {
            command_id: breach_recovery_key(&event.event_id),
            digest: command_digest("OrderRecovery", &command),
            command: GrantsCommand::OrderRecoveryOnBreach(command),
        })
    }
}

/// The amount to recover after a breach.
///
/// `FULL`: everything paid. `PRORATA`: paid × unserved days / obligation
/// days, in integer cents, rounded half up. Served days beyond the
/// obligation count as the whole obligation (nothing to recover).
pub fn amount_due(
    rule: RecoveryRule,
    paid: Cents,
    served_days: u32,
    obligation_days: u32,
) -> Cents {
    match rule {
        RecoveryRule::Full => paid,
        RecoveryRule::Prorata if obligation_days == 0 => paid,
        RecoveryRule::Prorata => {
            let unserved = i128::from(obligation_days.saturating_sub(served_days));
            let days = i128::from(obligation_days);
            let paid = i128::from(paid.get().max(0));
            // Half up: (2·paid·unserved + days) / (2·days), all non-negative.
            let cents = (2 * paid * unserved + days) / (2 * days);
            Cents::new(i64::try_from(cents).unwrap_or(i64::MAX))
        }
        RecoveryRule::Unspecified => Cents::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn full_recovers_everything_paid() {
        assert_eq!(
            amount_due(RecoveryRule::Full, Cents::new(1_200_000), 400, 1_096),
            Cents::new(1_200_000)
        );
    }

    #[test]
    fn prorata_of_a_loir_et_cher_bursary() {
        // €12,000 paid, 3-year obligation (1,096 days), breached after 365 days:
        // 1,200,000 × 731 / 1,096 = 800,364.96… → 800,365 cents.
        assert_eq!(
            amount_due(RecoveryRule::Prorata, Cents::new(1_200_000), 365, 1_096),
            Cents::new(800_365)
        );
    }

    #[test]
    fn prorata_rounds_half_up() {
        // 1 cent × 1 / 2 = 0.5 → 1.
        assert_eq!(
            amount_due(RecoveryRule::Prorata, Cents::new(1), 1, 2),
            Cents::new(1)
        );
        // 3 cents × 1 / 4 = 0.75 → 1; 5 × 1 / 4 = 1.25 → 1.
        assert_eq!(
            amount_due(RecoveryRule::Prorata, Cents::new(3), 3, 4),
            Cents::new(1)
        );
        assert_eq!(
            amount_due(RecoveryRule::Prorata, Cents::new(5), 3, 4),
            Cents::new(1)
        );
        assert_eq!(
            amount_due(RecoveryRule::Prorata, Cents::new(100), 10, 10),
            Cents::ZERO
        );
        assert_eq!(
            amount_due(RecoveryRule::Prorata, Cents::new(100), 20, 10),
            Cents::ZERO
        );
    }

    proptest! {
        #[test]
        fn prorata_never_exceeds_what_was_paid(paid in 0i64..10_000_000_000, served in 0u32..5_000, days in 1u32..5_000) {
            let due = amount_due(RecoveryRule::Prorata, Cents::new(paid), served, days);
            prop_assert!(due.get() >= 0 && due.get() <= paid);
        }
    }
}
