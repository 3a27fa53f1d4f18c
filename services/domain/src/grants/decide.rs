//! Commands of the grants service and the event each one produces.

use crate::stream_ref;
use ledger_proto::v1::{
    event_envelope::Payload, AdjustRecovery, AmendGrant, AuthorisationKind, AwardGrant,
    CallLoanGuarantee, CancelGrant, CloseEnvelope, CloseGrant, DeclareProgramme, EnvelopeOpened,
    EnvelopeRevised, FunderKind, GrantAwarded, GrantKind, GrantLoan, GrantLoanGuarantee,
    IndicatorRecorded, IndicatorUnit, Instalment, MakePayment, OpenEnvelope, OrderRecovery,
    ProgrammeDeclared, ReceiveRecovery, RecordIndicator, RecoveryRule, ReleaseLoanGuarantee,
    RepayLoan, ReportGuaranteedLoan, ReviseEnvelope, ScheduleRecovery, SetTarget, TargetMetric,
    TargetSet, TargetShape, VoteCredits, WriteOffLoan,
};
use time::Date;

use super::{
    parse::{beneficiary, required_enum, required_text, territory},
    GrantsBook,
};
use crate::{dates::parse_date, ids::EntityId, Cents, Decision, DomainError, ErrorCode};

/// A command the grants service accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum GrantsCommand {
    DeclareProgramme(DeclareProgramme),
    SetTarget(SetTarget),
    OpenEnvelope(OpenEnvelope),
    ReviseEnvelope(ReviseEnvelope),
    AwardGrant(AwardGrant),
    AmendGrant(AmendGrant),
    CancelGrant(CancelGrant),
    MakePayment(MakePayment),
    OrderRecovery(OrderRecovery),
    ReceiveRecovery(ReceiveRecovery),
    GrantLoanGuarantee(GrantLoanGuarantee),
    ReleaseLoanGuarantee(ReleaseLoanGuarantee),
    GrantLoan(GrantLoan),
    CloseEnvelope(CloseEnvelope),
    CloseGrant(CloseGrant),
    /// The grants service's own reaction to a breach: never decoded from a
    /// client's command, so only the ledger closes a grant as breached.
    CloseGrantOnBreach(CloseGrant),
    VoteCredits(VoteCredits),
    AdjustRecovery(AdjustRecovery),
    ScheduleRecovery(ScheduleRecovery),
    RecordIndicator(RecordIndicator),
    RepayLoan(RepayLoan),
    WriteOffLoan(WriteOffLoan),
    ReportGuaranteedLoan(ReportGuaranteedLoan),
    CallLoanGuarantee(CallLoanGuarantee),
    /// The grants service's own recovery after a breach: never decoded from
    /// a client's command, so only the ledger uses the `breach-` ids.
    OrderRecoveryOnBreach(OrderRecovery),
}

/// The persons a grants command names: beneficiaries and borrowers.
pub fn person_ids(command: &GrantsCommand) -> Vec<(&'static str, &str)> {
    use super::parse::person_named;
    let named = match command {
        GrantsCommand::AwardGrant(c) => {
            person_named("beneficiary.person_id", c.beneficiary.as_ref())
        }
        GrantsCommand::GrantLoan(c) => person_named("borrower.person_id", c.borrower.as_ref()),
        GrantsCommand::GrantLoanGuarantee(c) => {
            person_named("borrower.person_id", c.borrower.as_ref())
        }
        GrantsCommand::DeclareProgramme(_)
        | GrantsCommand::SetTarget(_)
        | GrantsCommand::OpenEnvelope(_)
        | GrantsCommand::ReviseEnvelope(_)
        | GrantsCommand::AmendGrant(_)
        | GrantsCommand::CancelGrant(_)
        | GrantsCommand::MakePayment(_)
        | GrantsCommand::OrderRecovery(_)
        | GrantsCommand::ReceiveRecovery(_)
        | GrantsCommand::ReleaseLoanGuarantee(_)
        | GrantsCommand::CloseEnvelope(_)
        | GrantsCommand::CloseGrant(_)
        | GrantsCommand::CloseGrantOnBreach(_)
        | GrantsCommand::VoteCredits(_)
        | GrantsCommand::AdjustRecovery(_)
        | GrantsCommand::ScheduleRecovery(_)
        | GrantsCommand::RecordIndicator(_)
        | GrantsCommand::RepayLoan(_)
        | GrantsCommand::WriteOffLoan(_)
        | GrantsCommand::ReportGuaranteedLoan(_)
        | GrantsCommand::CallLoanGuarantee(_)
        | GrantsCommand::OrderRecoveryOnBreach(_) => None,
    };
    named.into_iter().collect()
}

impl GrantsBook {
    /// Decides a command against the current state, without changing it.
    pub fn decide_command(&self, command: &GrantsCommand) -> Result<Decision, DomainError> {
        match command {
            GrantsCommand::DeclareProgramme(c) => self.declare_programme(c),
            GrantsCommand::SetTarget(c) => self.set_target(c),
            GrantsCommand::OpenEnvelope(c) => self.open_envelope(c),
            GrantsCommand::ReviseEnvelope(c) => self.revise_envelope(c),
            GrantsCommand::AwardGrant(c) => self.award_grant(c),
            GrantsCommand::AmendGrant(c) => self.amend_grant(c),
            GrantsCommand::CancelGrant(c) => self.cancel_grant(c),
            GrantsCommand::MakePayment(c) => self.make_payment(c),
            GrantsCommand::OrderRecovery(c) => self.order_recovery(c),
            GrantsCommand::ReceiveRecovery(c) => self.receive_recovery(c),
            GrantsCommand::GrantLoanGuarantee(c) => self.grant_loan_guarantee(c),
            GrantsCommand::ReleaseLoanGuarantee(c) => self.release_loan_guarantee(c),
            GrantsCommand::GrantLoan(c) => self.grant_loan(c),
            GrantsCommand::CloseEnvelope(c) => self.close_envelope(c),
            GrantsCommand::CloseGrant(c) => self.close_grant(c),
            GrantsCommand::CloseGrantOnBreach(c) => self.close_grant_on_breach(c),
            GrantsCommand::VoteCredits(c) => self.vote_credits(c),
            GrantsCommand::AdjustRecovery(c) => self.adjust_recovery(c),
            GrantsCommand::ScheduleRecovery(c) => self.schedule_recovery(c),
            GrantsCommand::RecordIndicator(c) => self.record_indicator(c),
            GrantsCommand::RepayLoan(c) => self.repay_loan(c),
            GrantsCommand::WriteOffLoan(c) => self.write_off_loan(c),
            GrantsCommand::ReportGuaranteedLoan(c) => self.report_guaranteed_loan(c),
            GrantsCommand::CallLoanGuarantee(c) => self.call_loan_guarantee(c),
            GrantsCommand::OrderRecoveryOnBreach(c) => self.order_any_recovery(c),
        }
    }

    fn declare_programme(&self, c: &DeclareProgramme) -> Result<Decision, DomainError> {
        let id = EntityId::parse("programme_id", &c.programme_id)?;
        if self.programmes.contains_key(id.as_str()) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("programme {id} already exists"),
            ));
        }
        let funder = c
            .funder
            .as_ref()
            .ok_or_else(|| DomainError::invalid("funder", "is required"))?;
        let kind: FunderKind = required_enum("funder.kind", funder.kind)?;
        // Kind and code make the funder (`region:24`); only national bodies
        // go without a code.
        if kind != FunderKind::National {
            required_text("funder.code", &funder.code)?;
        }
        required_text("funder.name", &funder.name)?;
        required_text("name", &c.name)?;
        let start = parse_date("period_start", &c.period_start)?;
        let end = parse_date("period_end", &c.period_end)?;
        if end < start {
            return Err(DomainError::invalid("period_end", "is before period_start"));
        }
        let mut codes = std::collections::HashSet::new();
        for (i, axis) in c.axes.iter().enumerate() {
            let path = format!("axes[{i}]");
            EntityId::parse("code", &axis.code).map_err(|e| e.within(&path))?;
            required_text("title", &axis.title).map_err(|e| e.within(&path))?;
            let measure_codes = axis.measures.iter().map(|m| &m.code);
            for code in std::iter::once(&axis.code).chain(measure_codes) {
                if !codes.insert(code) {
                    return Err(DomainError::invalid(
                        &path,
                        format!("code {code:?} is used twice"),
                    ));
                }
            }
        }
        if c.max_guarantee_share_basis_points > 10_000 {
            return Err(DomainError::invalid(
                "max_guarantee_share_basis_points",
                "is a share of the principal: at most 10000 basis points",
            ));
        }
        let effective_date = effective_or(&c.effective_date, start)?;
        Ok(Decision {
            stream: stream_ref("programme", id.as_str()),
            key: id.to_string(),
            effective_date,
            occurred_at: c.occurred_at,
            payload: Payload::ProgrammeDeclared(ProgrammeDeclared {
                programme_id: c.programme_id.clone(),
                funder: c.funder.clone(),
                name: c.name.clone(),
                period_start: c.period_start.clone(),
                period_end: c.period_end.clone(),
                axes: c.axes.clone(),
                max_guarantee_share_basis_points: c.max_guarantee_share_basis_points,
            }),
        })
    }

    fn set_target(&self, c: &SetTarget) -> Result<Decision, DomainError> {
        let programme = self.programme(&c.programme_id)?;
        EntityId::parse("target_id", &c.target_id)?;
        let metric: TargetMetric = required_enum("metric", c.metric)?;
        let shape = TargetShape::try_from(c.shape)
            .map_err(|_| DomainError::invalid("shape", format!("{} is not a shape", c.shape)))?;
        super::targets::check_shape(shape, c)?;
        super::targets::check_professions(metric, &c.professions)?;
        let deadline = parse_date("deadline", &c.deadline)?;
        if deadline < programme.period_start || deadline > programme.period_end {
            return Err(DomainError::invalid(
                "deadline",
                "must lie within the programme's period",
            ));
        }
        super::targets::check_years(&c.steps, programme.period_start.year(), deadline.year())?;
        let effective_date = effective_or(&c.effective_date, programme.period_start)?;
        Ok(Decision {
            stream: stream_ref("programme", &c.programme_id),
            key: c.programme_id.clone(),
            effective_date,
            occurred_at: c.occurred_at,
            payload: Payload::TargetSet(TargetSet {
                programme_id: c.programme_id.clone(),
                target_id: c.target_id.clone(),
                metric: c.metric,
                value: c.value,
                deadline: c.deadline.clone(),
                description: c.description.clone(),
                shape: c.shape,
                steps: c.steps.clone(),
                denominator: c.denominator,
                professions: c.professions.clone(),
            }),
        })
    }

    fn record_indicator(&self, c: &RecordIndicator) -> Result<Decision, DomainError> {
        self.programme(&c.programme_id)?;
        EntityId::parse("indicator_id", &c.indicator_id)?;
        required_text("description", &c.description)?;
        required_text("source", &c.source)?;
        required_enum::<IndicatorUnit>("unit", c.unit)?;
        if c.value < 0 {
            return Err(DomainError::invalid("value", "must be zero or more"));
        }
        if !c.target_id.is_empty()
            && !self
                .targets
                .contains(&(c.programme_id.clone(), c.target_id.clone()))
        {
            return Err(DomainError::new(
                ErrorCode::NotFound,
                format!("programme {} has no target {}", c.programme_id, c.target_id),
            )
            .field_path("target_id"));
        }
        let observed_on = parse_date("observed_on", &c.observed_on)?;
        Ok(Decision {
            stream: stream_ref("programme", &c.programme_id),
            key: c.programme_id.clone(),
            effective_date: observed_on,
            occurred_at: c.occurred_at,
            payload: Payload::IndicatorRecorded(IndicatorRecorded {
                programme_id: c.programme_id.clone(),
                indicator_id: c.indicator_id.clone(),
                description: c.description.clone(),
                value: c.value,
                unit: c.unit,
                observed_on: c.observed_on.clone(),
                source: c.source.clone(),
                target_id: c.target_id.clone(),
            }),
        })
    }

    fn revise_envelope(&self, c: &ReviseEnvelope) -> Result<Decision, DomainError> {
        let envelope = self.envelope(&c.envelope_id)?;
        envelope.check_open(&c.envelope_id)?;
        if c.delta_cents == 0 {
            return Err(DomainError::invalid("delta_cents", "must not be zero"));
        }
        required_text("vote_reference", &c.vote_reference)?;
        let voted = envelope
            .voted
            .checked_add(Cents::new(c.delta_cents))
            .ok_or_else(|| DomainError::invalid("delta_cents", "is out of range"))?;
        if !c.cp_schedule.is_empty() {
            super::credits::check_cp_schedule(&c.cp_schedule, voted)?;
        } else if envelope.scheduled {
            // The schedule in force would no longer add up to the vote.
            return Err(DomainError::invalid(
                "cp_schedule",
                "the envelope has a CP schedule: a revision restates it, adding up to the new amount",
            ));
        }
        if voted < envelope.committed {
            return Err(DomainError::new(
                ErrorCode::EnvelopeOvercommitted,
                format!(
                    "envelope {} has {} committed; it cannot be voted down to {}",
                    c.envelope_id, envelope.committed, voted
                ),
            )
            .field_path("delta_cents"));
        }
        Ok(Decision {
            stream: stream_ref("envelope", &c.envelope_id),
            key: c.envelope_id.clone(),
            effective_date: parse_date("effective_date", &c.effective_date)?,
            occurred_at: c.occurred_at,
            payload: Payload::EnvelopeRevised(EnvelopeRevised {
                envelope_id: c.envelope_id.clone(),
                delta_cents: c.delta_cents,
                vote_reference: c.vote_reference.clone(),
                reason: c.reason.clone(),
                cp_schedule: c.cp_schedule.clone(),
            }),
        })
    }

    fn open_envelope(&self, c: &OpenEnvelope) -> Result<Decision, DomainError> {
        let id = EntityId::parse("envelope_id", &c.envelope_id)?;
        if self.envelopes.contains_key(id.as_str()) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("envelope {id} already exists"),
            ));
        }
        EntityId::parse("programme_id", &c.programme_id)?;
        let programme = self.programmes.get(&c.programme_id).ok_or_else(|| {
            DomainError::new(
                ErrorCode::NotFound,
                format!("programme {} is not declared", c.programme_id),
            )
            .field_path("programme_id")
        })?;
        let kind: AuthorisationKind = required_enum("kind", c.kind)?;
        let amount = Cents::positive("amount_cents", c.amount_cents)?;
        super::credits::check_imputation(kind, c.imputation.as_ref())?;
        super::credits::check_cp_schedule(&c.cp_schedule, amount)?;
        let start = parse_date("period_start", &c.period_start)?;
        let end = parse_date("period_end", &c.period_end)?;
        if end < start {
            return Err(DomainError::invalid("period_end", "is before period_start"));
        }
        if start < programme.period_start || end > programme.period_end {
            return Err(DomainError::invalid(
                "period_start",
                "the envelope's period must lie within its programme's period",
            ));
        }
        required_text("vote_reference", &c.vote_reference)?;
        if c.territory.is_some() {
            territory("territory", c.territory.as_ref())?;
        }
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        Ok(Decision {
            stream: stream_ref("envelope", id.as_str()),
            key: id.to_string(),
            effective_date,
            occurred_at: c.occurred_at,
            payload: Payload::EnvelopeOpened(EnvelopeOpened {
                envelope_id: c.envelope_id.clone(),
                programme_id: c.programme_id.clone(),
                measure_code: c.measure_code.clone(),
                kind: c.kind,
                amount_cents: c.amount_cents,
                period_start: c.period_start.clone(),
                period_end: c.period_end.clone(),
                vote_reference: c.vote_reference.clone(),
                label: c.label.clone(),
                territory: c.territory.clone(),
                imputation: c.imputation.clone(),
                cp_schedule: c.cp_schedule.clone(),
            }),
        })
    }

    fn award_grant(&self, c: &AwardGrant) -> Result<Decision, DomainError> {
        let id = EntityId::parse("grant_id", &c.grant_id)?;
        if self.grants.contains_key(id.as_str()) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("grant {id} already exists"),
            ));
        }
        EntityId::parse("envelope_id", &c.envelope_id)?;
        let envelope = self.envelopes.get(&c.envelope_id).ok_or_else(|| {
            DomainError::new(
                ErrorCode::NotFound,
                format!("envelope {} does not exist", c.envelope_id),
            )
            .field_path("envelope_id")
        })?;
        beneficiary("beneficiary", c.beneficiary.as_ref())?;
        required_enum::<GrantKind>("kind", c.kind)?;
        let amount = Cents::positive("amount_cents", c.amount_cents)?;
        required_text("purpose", &c.purpose)?;
        if c.territory.is_some() {
            territory("territory", c.territory.as_ref())?;
        }
        check_schedule("schedule", &c.schedule, amount, "the grant's")?;
        if let Some(terms) = &c.obligation {
            if terms.duration_months == 0 {
                return Err(DomainError::invalid(
                    "obligation.duration_months",
                    "must be at least 1",
                ));
            }
            required_enum::<RecoveryRule>("obligation.recovery_rule", terms.recovery_rule)?;
            territory("obligation.territory", terms.territory.as_ref())?;
        }
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        envelope.check_commitment(&c.envelope_id, effective_date, amount, "amount_cents")?;
        if !c.deadline.is_empty() {
            let deadline = parse_date("deadline", &c.deadline)?;
            let last_due = c
                .schedule
                .iter()
                .filter_map(|i| parse_date("due_date", &i.due_date).ok())
                .max();
            if deadline < effective_date || last_due.is_some_and(|due| deadline < due) {
                return Err(DomainError::invalid(
                    "deadline",
                    "must fall on or after the award and its last instalment",
                ));
            }
        }
        Ok(Decision {
            stream: stream_ref("grant", id.as_str()),
            // Keyed by envelope: every commitment against one envelope lands in
            // one partition, in order, which is what the invariant needs.
            key: c.envelope_id.clone(),
            effective_date,
            occurred_at: c.occurred_at,
            payload: Payload::GrantAwarded(GrantAwarded {
                grant_id: c.grant_id.clone(),
                envelope_id: c.envelope_id.clone(),
                beneficiary: c.beneficiary.clone(),
                kind: c.kind,
                amount_cents: c.amount_cents,
                purpose: c.purpose.clone(),
                measure_code: c.measure_code.clone(),
                territory: c.territory.clone(),
                schedule: c.schedule.clone(),
                obligation: c.obligation.clone(),
                decision_reference: c.decision_reference.clone(),
                deadline: c.deadline.clone(),
            }),
        })
    }
}

/// Instalments, when given, are dated and add up to the grant's amount.
/// Dated instalments in `field` adding up to `amount` exactly (`what` says
/// whose amount, in the error); none at all passes.
pub(super) fn check_schedule(
    field: &str,
    schedule: &[Instalment],
    amount: Cents,
    what: &str,
) -> Result<(), DomainError> {
    if schedule.is_empty() {
        return Ok(());
    }
    let mut total = Cents::ZERO;
    for (i, instalment) in schedule.iter().enumerate() {
        let path = format!("{field}[{i}]");
        parse_date("due_date", &instalment.due_date).map_err(|e| e.within(&path))?;
        let part = Cents::positive("amount_cents", instalment.amount_cents)
            .map_err(|e| e.within(&path))?;
        total = total
            .checked_add(part)
            .ok_or_else(|| DomainError::invalid(field, "instalments overflow"))?;
    }
    if total != amount {
        return Err(DomainError::invalid(
            field,
            format!("instalments add up to {total}, not {what} {amount}"),
        ));
    }
    Ok(())
}

/// The command's effective date, or a default taken from its payload.
pub(super) fn effective_or(raw: &str, default: Date) -> Result<Date, DomainError> {
    if raw.is_empty() {
        Ok(default)
    } else {
        parse_date("effective_date", raw)
    }
}
