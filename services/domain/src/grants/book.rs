//! The grants service's state, folded from its own topic.

use crate::collections::{Map, Set};

use ledger_proto::v1::{event_envelope::Payload, GrantOutcome, RecoveryAdjustment, RecoveryRule};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::{event_date, ApplyError, Cents, DomainError, ErrorCode};

/// A declared programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Programme {
    pub period_start: Date,
    pub period_end: Date,
    /// Its funder's key (`region:24`): whose budget its envelopes draw on.
    pub funder: String,
    /// The largest share of a loan its guarantees may cover, in basis points.
    pub max_guarantee_share: u32,
}

/// The share of a loan a programme's guarantees may cover when it does not
/// say: 50 %, as in Loir-et-Cher's plan.
pub const DEFAULT_MAX_GUARANTEE_SHARE: u32 = 5_000;

/// An envelope and what is committed against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub programme_id: String,
    pub voted: Cents,
    pub committed: Cents,
    pub period_start: Date,
    pub period_end: Date,
    /// Closed (clôture): no commitment may be made on it any more.
    pub closed: bool,
    /// The section and chapitre its payments draw CP from, under its
    /// programme's funder; none for envelopes opened before imputations
    /// were required.
    pub chapter: Option<super::credits::Imputed>,
    /// Carries a CP schedule, which each revision must then restate.
    pub scheduled: bool,
}

impl Envelope {
    /// What can still be committed: voted − committed.
    pub fn available(&self) -> Cents {
        Cents::new(self.voted.get() - self.committed.get())
    }

    /// Refuses a new commitment of `amount` (named `field` in the command)
    /// dated `on` outside the envelope's period, or beyond what is left.
    pub fn check_commitment(
        &self,
        envelope_id: &str,
        on: Date,
        amount: Cents,
        field: &str,
    ) -> Result<(), DomainError> {
        self.check_open(envelope_id)?;
        if on < self.period_start || on > self.period_end {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!(
                    "envelope {envelope_id} accepts commitments from {} to {} only",
                    self.period_start, self.period_end
                ),
            )
            .field_path("effective_date"));
        }
        if amount > self.available() {
            return Err(DomainError::new(
                ErrorCode::EnvelopeOvercommitted,
                format!(
                    "envelope {envelope_id} has {} left to commit; {amount} asked",
                    self.available()
                ),
            )
            .field_path(field));
        }
        Ok(())
    }
}

impl Envelope {
    /// Refuses anything but payments on a closed envelope.
    pub fn check_open(&self, envelope_id: &str) -> Result<(), DomainError> {
        if self.closed {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!("envelope {envelope_id} is closed: it takes no more commitments"),
            )
            .field_path("envelope_id"));
        }
        Ok(())
    }
}

/// How a grant ended: it takes no more payments, and what it had not paid
/// was released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ending {
    Cancelled,
    Settled,
    Lapsed,
    Breached,
}

impl Ending {
    pub fn describe(self) -> &'static str {
        match self {
            Ending::Cancelled => "cancelled",
            Ending::Settled => "closed as settled",
            Ending::Lapsed => "lapsed",
            Ending::Breached => "closed by a breach of its obligation",
        }
    }
}

/// A grant's commitment, payments and recoveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub envelope_id: String,
    pub amount: Cents,
    pub paid: Cents,
    /// Set once cancelled or closed.
    pub ended: Option<Ending>,
    /// Last day it may be paid, if its decision sets one (caducité).
    pub deadline: Option<Date>,
    /// The rule applied if the attached obligation is breached.
    #[serde(with = "rule_code")]
    pub recovery_rule: Option<RecoveryRule>,
    pub payments: Set<String>,
    pub recoveries: Map<String, Recovery>,
}

impl Grant {
    /// What remains to pay: amount − paid (zero once ended).
    pub fn unpaid(&self) -> Cents {
        if self.ended.is_some() {
            Cents::ZERO
        } else {
            Cents::new(self.amount.get() - self.paid.get())
        }
    }

    /// Everything ordered for recovery so far.
    pub fn recovery_ordered(&self) -> Cents {
        Cents::new(self.recoveries.values().map(|r| r.ordered.get()).sum())
    }
}

impl Recovery {
    /// What remains to receive: ordered − received − waived − written off
    /// (reductions lower `ordered` itself).
    pub fn outstanding(&self) -> Cents {
        Cents::new(
            self.ordered.get() - self.received.get() - self.waived.get() - self.written_off.get(),
        )
    }
}

/// One recovery order and what was received on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    /// Ordered, net of reductions and cancellations.
    pub ordered: Cents,
    pub received: Cents,
    /// Remise gracieuse.
    pub waived: Cents,
    /// Admission en non-valeur.
    pub written_off: Cents,
}

/// A loan the funder made, and what came back of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loan {
    pub envelope_id: String,
    pub principal: Cents,
    /// Principal repaid so far.
    pub repaid: Cents,
    /// Written off (admission en non-valeur): nothing more is owed.
    pub written_off: bool,
    pub repayments: Set<String>,
    /// The day of its latest repayment: no movement may be dated before
    /// it, so what is owed at any date is what the movements to it say.
    pub last_movement: Option<Date>,
}

impl Loan {
    /// Principal still owed: principal − repaid, nothing once written off.
    pub fn outstanding(&self) -> Cents {
        if self.written_off {
            Cents::ZERO
        } else {
            Cents::new(self.principal.get() - self.repaid.get())
        }
    }
}

/// A loan guarantee: off-balance exposure until released or called, then
/// (called) a claim on the borrower.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guarantee {
    pub envelope_id: String,
    /// The days it covers, first and last.
    pub start: Date,
    pub end: Date,
    pub principal: Cents,
    pub guaranteed: Cents,
    /// Released or called: it exposes nothing more.
    pub released: bool,
    /// The lender's declared amortisation: (due date, principal).
    pub schedule: Vec<(Date, Cents)>,
    /// The lender's reports: (date, principal outstanding), recorded order.
    pub reports: Vec<(Date, Cents)>,
    pub report_ids: Set<String>,
    /// The claim on the borrower once called (titre "call").
    pub claim: Option<Recovery>,
}

impl Guarantee {
    pub fn terms(&self) -> super::exposure::Guaranteed<'_> {
        super::exposure::Guaranteed {
            end: self.end,
            principal: self.principal,
            guaranteed: self.guaranteed,
            schedule: &self.schedule,
            reports: &self.reports,
        }
    }
}

/// Everything the grants service must know to decide a command.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GrantsBook {
    pub programmes: Map<String, Programme>,
    pub targets: Set<(String, String)>,
    pub envelopes: Map<String, Envelope>,
    pub grants: Map<String, Grant>,
    pub guarantees: Map<String, Guarantee>,
    pub loans: Map<String, Loan>,
    /// CP voted by chapter line ([`super::credits::Chapter::line`]).
    pub credits: Map<String, super::credits::Credits>,
    /// Mandated by programme, year and imputation
    /// ([`super::credits::Imputed::mandated_key`]).
    pub mandated: Map<String, Cents>,
}

/// The recovery rule by its number in the contract: snapshots are binary and
/// the contract's own serde form (a name) needs a self-describing format.
mod rule_code {
    use ledger_proto::v1::RecoveryRule;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(rule: &Option<RecoveryRule>, s: S) -> Result<S::Ok, S::Error> {
        rule.map(|r| r as i32).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RecoveryRule>, D::Error> {
        Option::<i32>::deserialize(d)?
            .map(|code| {
                RecoveryRule::try_from(code)
                    .map_err(|_| serde::de::Error::custom(format!("unknown recovery rule {code}")))
            })
            .transpose()
    }
}

fn add(a: Cents, delta: i64) -> Result<Cents, ApplyError> {
    a.checked_add(Cents::new(delta))
        .ok_or_else(|| ApplyError("amount overflow".into()))
}

impl GrantsBook {
    /// Folds one event into the state. Events of other contexts are ignored.
    pub fn apply_event(&mut self, payload: &Payload) -> Result<(), ApplyError> {
        match payload {
            Payload::ProgrammeDeclared(e) => {
                let programme = Programme {
                    period_start: event_date(&e.period_start)?,
                    period_end: event_date(&e.period_end)?,
                    funder: e
                        .funder
                        .as_ref()
                        .map(super::credits::funder_key)
                        .unwrap_or_default(),
                    max_guarantee_share: match e.max_guarantee_share_basis_points {
                        0 => DEFAULT_MAX_GUARANTEE_SHARE,
                        bp => bp,
                    },
                };
                self.programmes.insert(e.programme_id.clone(), programme);
            }
            Payload::TargetSet(e) => {
                self.targets
                    .insert((e.programme_id.clone(), e.target_id.clone()));
            }
            Payload::EnvelopeOpened(e) => {
                let envelope = Envelope {
                    programme_id: e.programme_id.clone(),
                    voted: Cents::new(e.amount_cents),
                    committed: Cents::ZERO,
                    period_start: event_date(&e.period_start)?,
                    period_end: event_date(&e.period_end)?,
                    closed: false,
                    chapter: super::credits::Imputed::of(e.imputation.as_ref()),
                    scheduled: !e.cp_schedule.is_empty(),
                };
                self.envelopes.insert(e.envelope_id.clone(), envelope);
            }
            Payload::EnvelopeRevised(e) => {
                let envelope = self.envelope_mut(&e.envelope_id)?;
                envelope.voted = add(envelope.voted, e.delta_cents)?;
                envelope.scheduled |= !e.cp_schedule.is_empty();
            }
            Payload::GrantAwarded(e) => {
                let amount = Cents::new(e.amount_cents);
                let envelope = self.envelope_mut(&e.envelope_id)?;
                envelope.committed = add(envelope.committed, amount.get())?;
                let recovery_rule = e
                    .obligation
                    .as_ref()
                    .and_then(|o| RecoveryRule::try_from(o.recovery_rule).ok());
                let grant = Grant {
                    envelope_id: e.envelope_id.clone(),
                    amount,
                    paid: Cents::ZERO,
                    ended: None,
                    deadline: if e.deadline.is_empty() {
                        None
                    } else {
                        Some(event_date(&e.deadline)?)
                    },
                    recovery_rule,
                    payments: Set::default(),
                    recoveries: Map::default(),
                };
                self.grants.insert(e.grant_id.clone(), grant);
            }
            Payload::GrantAmended(e) => {
                let grant = self.grant_mut(&e.grant_id)?;
                grant.amount = add(grant.amount, e.amount_delta_cents)?;
                let envelope_id = grant.envelope_id.clone();
                let envelope = self.envelope_mut(&envelope_id)?;
                envelope.committed = add(envelope.committed, e.amount_delta_cents)?;
            }
            Payload::GrantCancelled(e) => {
                self.end_grant(&e.grant_id, Ending::Cancelled, e.released_cents)?;
            }
            Payload::GrantClosed(e) => {
                let ending = match GrantOutcome::try_from(e.outcome) {
                    Ok(GrantOutcome::Settled) => Ending::Settled,
                    Ok(GrantOutcome::Lapsed) => Ending::Lapsed,
                    Ok(GrantOutcome::Breached) => Ending::Breached,
                    Ok(GrantOutcome::Unspecified) | Err(_) => {
                        return Err(ApplyError(format!(
                            "grant {} closed with outcome {}",
                            e.grant_id, e.outcome
                        )))
                    }
                };
                self.end_grant(&e.grant_id, ending, e.released_cents)?;
            }
            Payload::EnvelopeClosed(e) => {
                self.envelope_mut(&e.envelope_id)?.closed = true;
            }
            Payload::PaymentMade(e) => {
                let grant = self.grant_mut(&e.grant_id)?;
                grant.paid = add(grant.paid, e.amount_cents)?;
                grant.payments.insert(e.payment_id.clone());
                self.mandate(&e.envelope_id, e.fiscal_year, e.amount_cents)?;
            }
            Payload::CreditsVoted(e) => super::credits::credits_voted(self, e),
            Payload::RecoveryAdjusted(e) => {
                let recovery = self.recovery_mut(&e.grant_id, &e.guarantee_id, &e.recovery_id)?;
                let moved = match RecoveryAdjustment::try_from(e.adjustment) {
                    Ok(RecoveryAdjustment::Reduced) => &mut recovery.ordered,
                    Ok(RecoveryAdjustment::Waived) => &mut recovery.waived,
                    Ok(RecoveryAdjustment::WrittenOff) => &mut recovery.written_off,
                    Ok(RecoveryAdjustment::Unspecified) | Err(_) => {
                        return Err(ApplyError(format!(
                            "recovery {} adjusted with adjustment {}",
                            e.recovery_id, e.adjustment
                        )))
                    }
                };
                let delta = if e.adjustment == RecoveryAdjustment::Reduced as i32 {
                    -e.amount_cents
                } else {
                    e.amount_cents
                };
                *moved = add(*moved, delta)?;
            }
            // A plan changes when money is due, not how much.
            Payload::RecoveryScheduled(_) => {}
            Payload::RecoveryOrdered(e) => {
                let grant = self.grant_mut(&e.grant_id)?;
                let recovery = Recovery {
                    ordered: Cents::new(e.amount_cents),
                    received: Cents::ZERO,
                    waived: Cents::ZERO,
                    written_off: Cents::ZERO,
                };
                grant.recoveries.insert(e.recovery_id.clone(), recovery);
            }
            Payload::RecoveryReceived(e) => {
                let recovery = self.recovery_mut(&e.grant_id, &e.guarantee_id, &e.recovery_id)?;
                recovery.received = add(recovery.received, e.amount_cents)?;
            }
            Payload::LoanGuaranteeGranted(e) => {
                let schedule = e
                    .lender_schedule
                    .iter()
                    .map(|i| Ok((event_date(&i.due_date)?, Cents::new(i.amount_cents))))
                    .collect::<Result<_, ApplyError>>()?;
                let guarantee = Guarantee {
                    envelope_id: e.envelope_id.clone(),
                    start: event_date(&e.start_date)?,
                    end: event_date(&e.end_date)?,
                    principal: Cents::new(e.principal_cents),
                    guaranteed: Cents::new(e.guaranteed_cents),
                    released: false,
                    schedule,
                    reports: Vec::new(),
                    report_ids: Set::default(),
                    claim: None,
                };
                self.guarantees.insert(e.guarantee_id.clone(), guarantee);
            }
            Payload::GuaranteedLoanReported(e) => {
                let on = event_date(&e.reported_on)?;
                let guarantee = self.guarantee_mut(&e.guarantee_id)?;
                guarantee
                    .reports
                    .push((on, Cents::new(e.outstanding_principal_cents)));
                guarantee.report_ids.insert(e.report_id.clone());
            }
            Payload::LoanGuaranteeCalled(e) => {
                let guarantee = self.guarantee_mut(&e.guarantee_id)?;
                guarantee.released = true;
                guarantee.claim = Some(Recovery {
                    ordered: Cents::new(e.called_cents),
                    received: Cents::ZERO,
                    waived: Cents::ZERO,
                    written_off: Cents::ZERO,
                });
                let envelope = self.envelope_mut(&e.envelope_id)?;
                envelope.committed = add(envelope.committed, e.called_cents)?;
                self.mandate(&e.envelope_id, e.fiscal_year, e.called_cents)?;
            }
            Payload::LoanGuaranteeReleased(e) => {
                self.guarantee_mut(&e.guarantee_id)?.released = true;
            }
            Payload::LoanGranted(e) => {
                let envelope = self.envelope_mut(&e.envelope_id)?;
                envelope.committed = add(envelope.committed, e.principal_cents)?;
                let loan = Loan {
                    envelope_id: e.envelope_id.clone(),
                    principal: Cents::new(e.principal_cents),
                    repaid: Cents::ZERO,
                    written_off: false,
                    repayments: Set::default(),
                    last_movement: None,
                };
                self.loans.insert(e.loan_id.clone(), loan);
            }
            Payload::LoanRepaid(e) => {
                let on = optional_event_date(&e.repaid_on)?;
                let loan = self.loan_mut(&e.loan_id)?;
                loan.repaid = add(loan.repaid, e.principal_cents)?;
                loan.repayments.insert(e.repayment_id.clone());
                loan.last_movement = loan.last_movement.max(on);
            }
            Payload::LoanWrittenOff(e) => {
                self.loan_mut(&e.loan_id)?.written_off = true;
            }
            _ => {}
        }
        Ok(())
    }

    /// A grant cancelled or closed: its unpaid part leaves the envelope's
    /// commitments.
    fn end_grant(&mut self, id: &str, ending: Ending, released: i64) -> Result<(), ApplyError> {
        let grant = self.grant_mut(id)?;
        grant.ended = Some(ending);
        let envelope_id = grant.envelope_id.clone();
        let envelope = self.envelope_mut(&envelope_id)?;
        envelope.committed = add(envelope.committed, -released)?;
        Ok(())
    }

    fn envelope_mut(&mut self, id: &str) -> Result<&mut Envelope, ApplyError> {
        self.envelopes
            .get_mut(id)
            .ok_or_else(|| ApplyError(format!("unknown envelope {id}")))
    }

    /// A payment on an envelope draws on the CP of its chapter and year.
    fn mandate(
        &mut self,
        envelope_id: &str,
        fiscal_year: i32,
        cents: i64,
    ) -> Result<(), ApplyError> {
        let envelope = self.envelope_mut(envelope_id)?;
        let key = envelope
            .chapter
            .as_ref()
            .map(|c| c.mandated_key(&envelope.programme_id, fiscal_year));
        if let Some(key) = key {
            let mandated = self.mandated.entry(key).or_default();
            *mandated = add(*mandated, cents)?;
        }
        Ok(())
    }

    fn guarantee_mut(&mut self, id: &str) -> Result<&mut Guarantee, ApplyError> {
        self.guarantees
            .get_mut(id)
            .ok_or_else(|| ApplyError(format!("unknown guarantee {id}")))
    }

    /// The titre a recovery event moves: a grant's, or a called
    /// guarantee's claim.
    fn recovery_mut(
        &mut self,
        grant_id: &str,
        guarantee_id: &str,
        recovery_id: &str,
    ) -> Result<&mut Recovery, ApplyError> {
        let unknown = || ApplyError(format!("unknown recovery {recovery_id}"));
        if guarantee_id.is_empty() {
            self.grant_mut(grant_id)?
                .recoveries
                .get_mut(recovery_id)
                .ok_or_else(unknown)
        } else {
            self.guarantee_mut(guarantee_id)?
                .claim
                .as_mut()
                .ok_or_else(unknown)
        }
    }

    fn loan_mut(&mut self, id: &str) -> Result<&mut Loan, ApplyError> {
        self.loans
            .get_mut(id)
            .ok_or_else(|| ApplyError(format!("unknown loan {id}")))
    }

    fn grant_mut(&mut self, id: &str) -> Result<&mut Grant, ApplyError> {
        self.grants
            .get_mut(id)
            .ok_or_else(|| ApplyError(format!("unknown grant {id}")))
    }
}

/// A date an event carries since a later version of the contract: empty in
/// older events.
fn optional_event_date(raw: &str) -> Result<Option<Date>, ApplyError> {
    if raw.is_empty() {
        Ok(None)
    } else {
        event_date(raw).map(Some)
    }
}
