//! The grants context's views: programmes, targets, envelopes, grants, loans
//! and guarantees, and the budget journal their money events post. One
//! function per event. An event about an unknown envelope or grant, or one
//! that would break a balance the tables guard, is inapplicable.

use ledger_proto::v1::{
    beneficiary::Party, Beneficiary, CreditInstalment, CreditsVoted, EnvelopeClosed,
    EnvelopeOpened, EnvelopeRevised, GrantAmended, GrantAwarded, GrantCancelled, GrantClosed,
    GrantOutcome, GuaranteeRelease, GuaranteedLoanReported, IndicatorRecorded, LoanGranted,
    LoanGuaranteeCalled, LoanGuaranteeGranted, LoanGuaranteeReleased, LoanRepaid, LoanWrittenOff,
    PaymentMade, ProgrammeDeclared, RecoveryAdjusted, RecoveryAdjustment, RecoveryOrdered,
    RecoveryReceived, RecoveryScheduled, TargetMetric, TargetSet, TargetShape, Territory,
};

use super::{date, nonempty, optional_date};
use crate::engine::copy::prefix;
use crate::engine::fold::{
    inapplicable, EnvelopeState, Fold, Folded, GrantState, GuaranteeState, Inapplicable, Meta,
    Release, TargetRow,
};
use crate::journal::{
    self, Entry, AUTHORISED, AVAILABLE, CANCELLED, COMMITTED_UNPAID, GUARANTEES_GIVEN,
    GUARANTEE_EXPOSURE, LOANS, LOANS_REPAID, LOANS_WRITTEN_OFF, LOAN_INCOME, LOAN_INTEREST, PAID,
    RECOVERED, RECOVERIES, RECOVERIES_WAIVED, RECOVERIES_WRITTEN_OFF, RECOVERY_RECEIVABLE,
};
use ledger_domain::grants::credits::{funder_key, section_name};

pub(crate) const INDICATORS: &str =
    "event_id, programme_id, indicator_id, target_id, description, value, unit, observed_on, \
    source, recorded_at";
pub(crate) const PROGRAMMES: &str =
    "programme_id, funder_kind, funder_code, funder_name, name, period_start, period_end, event_id, recorded_at";
/// Leading columns of a new envelope, then its money ([`EnvelopeState`]).
pub(crate) const ENVELOPES: &str =
    "envelope_id, programme_id, kind, label, vote_reference, period_start, period_end, \
    event_id, measure_code, region_code, departement_code, section, chapitre, nature, fonction, \
    voted_cents, committed_cents, paid_cents, recovery_ordered_cents, recovery_received_cents";
/// Leading columns of a new grant, then its money and cancellation.
pub(crate) const GRANTS: &str = "grant_id, envelope_id, kind, purpose, effective_date, event_id, beneficiary, \
    region_code, departement_code, commune_code, measure_code, recovery_rule, obligation_months, recorded_at, \
    deadline, amount_cents, paid_cents, recovery_ordered_cents, recovery_received_cents, cancelled, cancelled_on";
pub(crate) const CREDIT_VOTES: &str =
    "event_id, funder, fiscal_year, section, chapitre, delta_cents, \
    vote, vote_reference, effective_date, recorded_at";
pub(crate) const CP_SCHEDULES: &str =
    "event_id, envelope_id, fiscal_year, amount_cents, effective_date, recorded_at";
pub(crate) const RECOVERY_MOVEMENTS: &str =
    "event_id, grant_id, recovery_id, movement, amount_cents, \
    reference, effective_date, recorded_at, guarantee_id";
pub(crate) const RECOVERY_INSTALMENTS: &str =
    "event_id, line, grant_id, recovery_id, due_date, amount_cents, \
    effective_date, recorded_at, guarantee_id";
pub(crate) const GUARANTEE_SCHEDULE: &str = "guarantee_id, line, due_date, amount_cents";
pub(crate) const GUARANTEE_REPORTS: &str =
    "event_id, guarantee_id, report_id, outstanding_principal_cents, reference, \
    effective_date, recorded_at";
pub(crate) const GRANT_CLOSURES: &str =
    "grant_id, outcome, closed_on, recorded_at, released_cents, event_id";
pub(crate) const ENVELOPE_CLOSURES: &str =
    "envelope_id, closed_on, recorded_at, cancelled_cents, vote_reference, event_id";
pub(crate) const LOAN_MOVEMENTS: &str =
    "event_id, loan_id, movement, principal_cents, interest_cents, reference, \
    effective_date, recorded_at";
pub(crate) const LOANS_COLUMNS: &str =
    "loan_id, envelope_id, borrower, principal_cents, rate_basis_points, term_months, \
    first_repayment_date, purpose, effective_date, recorded_at, event_id, intermediary";
/// Leading columns of a new guarantee, then its release.
pub(crate) const GUARANTEES: &str =
    "guarantee_id, envelope_id, borrower, lender, principal_cents, guaranteed_cents, \
    start_date, end_date, purpose, effective_date, recorded_at, event_id, \
    released_on, released_recorded_at, release, called_cents";

fn territory(t: &Option<Territory>) -> (Option<String>, Option<String>, Option<String>) {
    let t = t.clone().unwrap_or_default();
    let some = |s: String| Some(s).filter(|s| !s.is_empty());
    (
        some(t.region_code),
        some(t.departement_code),
        some(t.commune_code),
    )
}

/// A beneficiary as shown: the SIRET of a legal entity or the pseudonymous
/// person id.
pub(crate) fn party(b: &Option<Beneficiary>) -> String {
    match b.as_ref().and_then(|b| b.party.as_ref()) {
        Some(Party::LegalEntity(e)) => format!("siret:{}", e.siret),
        Some(Party::PersonId(p)) => format!("person:{p}"),
        None => String::new(),
    }
}

fn fiscal(year: i32) -> Option<i32> {
    (year != 0).then_some(year)
}

fn entry<'a>(
    envelope_id: &'a str,
    subject_id: Option<&'a str>,
    debit: &'static str,
    credit: &'static str,
    amount: i64,
) -> Entry<'a> {
    Entry {
        envelope_id,
        subject_id,
        territory: None,
        fiscal_year: None,
        debit,
        credit,
        amount,
    }
}

/// An entry about a grant, in the grant's territory.
fn grant_entry<'a>(
    fold: &mut Fold<'_>,
    envelope_id: &'a str,
    grant_id: &'a str,
    debit: &'static str,
    credit: &'static str,
    amount: i64,
) -> Result<Entry<'a>, crate::engine::fold::Inapplicable> {
    let grant = fold.grant(grant_id, envelope_id)?;
    Ok(Entry {
        territory: Some((grant.region.clone(), grant.departement.clone())),
        ..entry(envelope_id, Some(grant_id), debit, credit, amount)
    })
}

/// Moves the envelope's money by `change` and checks what the table checks.
fn move_envelope(
    fold: &mut Fold<'_>,
    envelope_id: &str,
    change: impl FnOnce(&mut EnvelopeState),
) -> Folded {
    let envelope = fold.envelope(envelope_id)?;
    change(envelope);
    envelope.check(envelope_id)
}

fn move_grant(
    fold: &mut Fold<'_>,
    grant_id: &str,
    envelope_id: &str,
    change: impl FnOnce(&mut GrantState) -> Folded,
) -> Folded {
    let grant = fold.grant(grant_id, envelope_id)?;
    change(grant)?;
    grant.check(grant_id)
}

pub(crate) fn programme_declared(
    fold: &mut Fold<'_>,
    meta: &Meta,
    e: &ProgrammeDeclared,
) -> Folded {
    if !fold.programme_ids.insert(e.programme_id.clone()) {
        return Err(inapplicable(format!(
            "programme {} declared twice",
            e.programme_id
        )));
    }
    let funder = e.funder.clone().unwrap_or_default();
    fold.appends
        .programmes
        .row()
        .text(&e.programme_id)
        .text(funder.kind().as_str_name())
        .text(&funder.code)
        .text(&funder.name)
        .text(&e.name)
        .date(date(&e.period_start)?)
        .date(date(&e.period_end)?)
        .uuid(meta.event_id)
        .instant(meta.recorded_at)
        .end();
    Ok(())
}

pub(crate) fn target_set(fold: &mut Fold<'_>, meta: &Meta, e: &TargetSet) -> Folded {
    let shape = match e.shape() {
        TargetShape::Unspecified => TargetShape::CountByDeadline,
        shape => shape,
    };
    let steps: Vec<serde_json::Value> = e
        .steps
        .iter()
        .map(|s| serde_json::json!({"from_year": s.from_year, "per_year": s.per_year}))
        .collect();
    let professions: Vec<&str> = e.professions().map(|p| p.as_str_name()).collect();
    let row = TargetRow {
        metric: e.metric().as_str_name().to_owned(),
        shape: shape.as_str_name().to_owned(),
        steps: serde_json::Value::from(steps).to_string(),
        denominator: match e.denominator() {
            TargetMetric::Unspecified => None,
            metric => Some(metric.as_str_name().to_owned()),
        },
        professions: professions.join(","),
        value: e.value,
        deadline: date(&e.deadline)?,
        description: e.description.clone(),
        recorded_at: meta.recorded_at,
        event_id: meta.event_id,
    };
    fold.targets
        .insert((e.programme_id.clone(), e.target_id.clone()), row);
    Ok(())
}

pub(crate) fn indicator_recorded(
    fold: &mut Fold<'_>,
    meta: &Meta,
    e: &IndicatorRecorded,
) -> Folded {
    fold.appends
        .indicators
        .row()
        .uuid(meta.event_id)
        .text(&e.programme_id)
        .text(&e.indicator_id)
        .opt_text(nonempty(&e.target_id))
        .text(&e.description)
        .int(e.value)
        .text(e.unit().as_str_name())
        .date(date(&e.observed_on)?)
        .text(&e.source)
        .instant(meta.recorded_at)
        .end();
    Ok(())
}

pub(crate) fn envelope_opened(fold: &mut Fold<'_>, meta: &Meta, e: &EnvelopeOpened) -> Folded {
    let (region, departement, _) = territory(&e.territory);
    let (start, end) = (date(&e.period_start)?, date(&e.period_end)?);
    let imputation = e.imputation.as_ref();
    let leading = prefix(|r| {
        r.text(&e.envelope_id)
            .text(&e.programme_id)
            .text(e.kind().as_str_name())
            .text(&e.label)
            .text(&e.vote_reference)
            .date(start)
            .date(end)
            .uuid(meta.event_id)
            .opt_text(nonempty(&e.measure_code))
            .opt_text(region.as_deref())
            .opt_text(departement.as_deref())
            .opt_text(imputation.map(|i| section_name(i.section())))
            .opt_text(imputation.map(|i| i.chapitre.as_str()))
            .opt_text(imputation.map(|i| i.nature.as_str()))
            .opt_text(imputation.and_then(|i| nonempty(&i.fonction)))
    });
    let state = EnvelopeState {
        programme_id: e.programme_id.clone(),
        region,
        departement,
        voted: e.amount_cents,
        ..EnvelopeState::default()
    };
    let loaded = fold.loaded;
    fold.envelopes.create(
        &loaded.envelopes,
        e.envelope_id.clone(),
        state,
        leading,
        &format!("envelope {}", e.envelope_id),
    )?;
    cp_schedule(fold, meta, &e.envelope_id, &e.cp_schedule);
    let vote = entry(&e.envelope_id, None, AVAILABLE, AUTHORISED, e.amount_cents);
    journal::post(fold, meta, vote)
}

pub(crate) fn envelope_revised(fold: &mut Fold<'_>, meta: &Meta, e: &EnvelopeRevised) -> Folded {
    move_envelope(fold, &e.envelope_id, |env| env.voted += e.delta_cents)?;
    cp_schedule(fold, meta, &e.envelope_id, &e.cp_schedule);
    let vote = entry(&e.envelope_id, None, AVAILABLE, AUTHORISED, e.delta_cents);
    journal::post(fold, meta, vote)
}

/// The CP schedule an envelope's opening or revision sets (none: the
/// previous one stays in force).
fn cp_schedule(fold: &mut Fold<'_>, meta: &Meta, envelope_id: &str, schedule: &[CreditInstalment]) {
    for instalment in schedule {
        fold.appends
            .cp_schedules
            .row()
            .uuid(meta.event_id)
            .text(envelope_id)
            .int(i64::from(instalment.fiscal_year))
            .int(instalment.amount_cents)
            .date(meta.effective_date)
            .instant(meta.recorded_at)
            .end();
    }
}

pub(crate) fn credits_voted(fold: &mut Fold<'_>, meta: &Meta, e: &CreditsVoted) -> Folded {
    let funder = e
        .funder
        .as_ref()
        .ok_or_else(|| inapplicable("credits voted without a funder"))?;
    fold.appends
        .credit_votes
        .row()
        .uuid(meta.event_id)
        .text(&funder_key(funder))
        .int(i64::from(e.fiscal_year))
        .text(section_name(e.section()))
        .text(&e.chapitre)
        .int(e.delta_cents)
        .text(e.vote().as_str_name())
        .text(&e.vote_reference)
        .date(meta.effective_date)
        .instant(meta.recorded_at)
        .end();
    Ok(())
}

pub(crate) fn grant_awarded(fold: &mut Fold<'_>, meta: &Meta, e: &GrantAwarded) -> Folded {
    move_envelope(fold, &e.envelope_id, |env| env.committed += e.amount_cents)?;
    let (region, departement, commune) = territory(&e.territory);
    let deadline = optional_date(&e.deadline)?;
    let terms = e.obligation.as_ref();
    let leading = prefix(|r| {
        r.text(&e.grant_id)
            .text(&e.envelope_id)
            .text(e.kind().as_str_name())
            .text(&e.purpose)
            .date(meta.effective_date)
            .uuid(meta.event_id)
            .text(&party(&e.beneficiary))
            .opt_text(region.as_deref())
            .opt_text(departement.as_deref())
            .opt_text(commune.as_deref())
            .opt_text(nonempty(&e.measure_code))
            .opt_text(terms.map(|t| t.recovery_rule().as_str_name()))
            .opt_int(terms.map(|t| i64::from(t.duration_months)))
            .instant(meta.recorded_at)
            .opt_date(deadline)
    });
    let state = GrantState {
        envelope_id: e.envelope_id.clone(),
        region: region.clone(),
        departement: departement.clone(),
        amount: e.amount_cents,
        ..GrantState::default()
    };
    state.check(&e.grant_id)?;
    let loaded = fold.loaded;
    fold.grants.create(
        &loaded.grants,
        e.grant_id.clone(),
        state,
        leading,
        &format!("grant {}", e.grant_id),
    )?;
    let commitment = Entry {
        territory: Some((region, departement)),
        ..entry(
            &e.envelope_id,
            Some(&e.grant_id),
            COMMITTED_UNPAID,
            AVAILABLE,
            e.amount_cents,
        )
    };
    journal::post(fold, meta, commitment)
}

pub(crate) fn grant_amended(fold: &mut Fold<'_>, meta: &Meta, e: &GrantAmended) -> Folded {
    move_envelope(fold, &e.envelope_id, |env| {
        env.committed += e.amount_delta_cents
    })?;
    move_grant(fold, &e.grant_id, &e.envelope_id, |g| {
        g.amount += e.amount_delta_cents;
        Ok(())
    })?;
    // A closed envelope takes no increase; what a decrease frees is
    // cancelled with the rest of it.
    let other_side = released_to(fold, &e.envelope_id)?;
    let amendment = grant_entry(
        fold,
        &e.envelope_id,
        &e.grant_id,
        COMMITTED_UNPAID,
        other_side,
        e.amount_delta_cents,
    )?;
    journal::post(fold, meta, amendment)
}

/// Where what a grant releases goes: back to what its envelope has left to
/// commit, or, once the envelope is closed, to what it cancelled.
fn released_to(fold: &mut Fold<'_>, envelope_id: &str) -> Result<&'static str, Inapplicable> {
    Ok(if fold.envelope(envelope_id)?.closed {
        CANCELLED
    } else {
        AVAILABLE
    })
}

pub(crate) fn grant_cancelled(fold: &mut Fold<'_>, meta: &Meta, e: &GrantCancelled) -> Folded {
    move_grant(fold, &e.grant_id, &e.envelope_id, |g| {
        if g.cancelled_on.is_some() {
            return Err(inapplicable(format!(
                "grant {} is cancelled already",
                e.grant_id
            )));
        }
        g.cancelled_on = Some(meta.effective_date);
        Ok(())
    })?;
    let ending = Ending {
        grant_id: &e.grant_id,
        envelope_id: &e.envelope_id,
        outcome: "cancelled",
        released: e.released_cents,
    };
    ending.fold(fold, meta)
}

pub(crate) fn grant_closed(fold: &mut Fold<'_>, meta: &Meta, e: &GrantClosed) -> Folded {
    let outcome = match e.outcome() {
        GrantOutcome::Settled => "settled",
        GrantOutcome::Lapsed => "lapsed",
        GrantOutcome::Breached => "breached",
        GrantOutcome::Unspecified => {
            return Err(inapplicable(format!(
                "grant {} closed without an outcome",
                e.grant_id
            )))
        }
    };
    let ending = Ending {
        grant_id: &e.grant_id,
        envelope_id: &e.envelope_id,
        outcome,
        released: e.released_cents,
    };
    ending.fold(fold, meta)
}

/// A grant ending (cancelled or closed): its unpaid part is released
/// (désengagement) back to what its envelope has left to commit, or, once
/// the envelope is closed, to what it cancelled.
struct Ending<'a> {
    grant_id: &'a str,
    envelope_id: &'a str,
    outcome: &'static str,
    released: i64,
}

impl Ending<'_> {
    fn fold(self, fold: &mut Fold<'_>, meta: &Meta) -> Folded {
        let released = self.released;
        move_grant(fold, self.grant_id, self.envelope_id, |g| {
            if g.ended {
                return Err(inapplicable("the grant has ended already"));
            }
            g.ended = true;
            g.amount -= released;
            Ok(())
        })?;
        move_envelope(fold, self.envelope_id, |env| env.committed -= released)?;
        fold.appends
            .grant_closures
            .row()
            .text(self.grant_id)
            .text(self.outcome)
            .date(meta.effective_date)
            .instant(meta.recorded_at)
            .int(released)
            .uuid(meta.event_id)
            .end();
        let back_to = released_to(fold, self.envelope_id)?;
        let release = grant_entry(
            fold,
            self.envelope_id,
            self.grant_id,
            back_to,
            COMMITTED_UNPAID,
            released,
        )?;
        journal::post(fold, meta, release)
    }
}

pub(crate) fn envelope_closed(fold: &mut Fold<'_>, meta: &Meta, e: &EnvelopeClosed) -> Folded {
    let envelope = fold.envelope(&e.envelope_id)?;
    if envelope.closed {
        return Err(inapplicable(format!(
            "envelope {} is closed already",
            e.envelope_id
        )));
    }
    envelope.closed = true;
    if e.cancelled_cents != envelope.voted - envelope.committed {
        return Err(inapplicable(format!(
            "envelope {} closes with {} cancelled, but has {} left to commit",
            e.envelope_id,
            e.cancelled_cents,
            envelope.voted - envelope.committed
        )));
    }
    fold.appends
        .envelope_closures
        .row()
        .text(&e.envelope_id)
        .date(meta.effective_date)
        .instant(meta.recorded_at)
        .int(e.cancelled_cents)
        .text(&e.vote_reference)
        .uuid(meta.event_id)
        .end();
    let cancellation = entry(
        &e.envelope_id,
        None,
        CANCELLED,
        AVAILABLE,
        e.cancelled_cents,
    );
    journal::post(fold, meta, cancellation)
}

/// Which money column of an envelope and its grant an event moves.
#[derive(Clone, Copy)]
enum Column {
    Paid,
    RecoveryOrdered,
    RecoveryReceived,
    /// A reduction or cancellation: the recovery ordered goes down.
    RecoveryReduced,
    /// A waiver or write-off: no column, only what is outstanding.
    Neither,
}

/// Money moving on a grant within a fiscal year (a payment, a recovery
/// ordered or received): the same column of the envelope and the grant
/// moves, and the journal posts it in the grant's territory.
struct GrantMoney<'a> {
    envelope_id: &'a str,
    /// The grant whose money moves; for a called guarantee's claim, the
    /// guarantee (whose row keeps no money columns).
    subject: Subject<'a>,
    column: Column,
    debit: &'static str,
    credit: &'static str,
    cents: i64,
    fiscal_year: i32,
}

/// What a titre de recette is on.
#[derive(Clone, Copy)]
enum Subject<'a> {
    Grant(&'a str),
    Guarantee(&'a str),
}

impl<'a> Subject<'a> {
    fn grant(self) -> Option<&'a str> {
        match self {
            Subject::Grant(id) => Some(id),
            Subject::Guarantee(_) => None,
        }
    }

    fn guarantee(self) -> Option<&'a str> {
        match self {
            Subject::Grant(_) => None,
            Subject::Guarantee(id) => Some(id),
        }
    }

    /// A recovery event's subject: its guarantee when it names one.
    fn of(grant_id: &'a str, guarantee_id: &'a str) -> Self {
        if guarantee_id.is_empty() {
            Subject::Grant(grant_id)
        } else {
            Subject::Guarantee(guarantee_id)
        }
    }
}

impl GrantMoney<'_> {
    fn fold(self, fold: &mut Fold<'_>, meta: &Meta) -> Folded {
        let cents = self.cents;
        move_envelope(fold, self.envelope_id, |env| match self.column {
            Column::Paid => env.paid += cents,
            Column::RecoveryOrdered => env.recovery_ordered += cents,
            Column::RecoveryReceived => env.recovery_received += cents,
            Column::RecoveryReduced => env.recovery_ordered -= cents,
            Column::Neither => {}
        })?;
        let entry = match self.subject {
            Subject::Grant(grant_id) => {
                move_grant(fold, grant_id, self.envelope_id, |g| {
                    match self.column {
                        Column::Paid => g.paid += cents,
                        Column::RecoveryOrdered => g.recovery_ordered += cents,
                        Column::RecoveryReceived => g.recovery_received += cents,
                        Column::RecoveryReduced => g.recovery_ordered -= cents,
                        Column::Neither => {}
                    }
                    Ok(())
                })?;
                grant_entry(
                    fold,
                    self.envelope_id,
                    grant_id,
                    self.debit,
                    self.credit,
                    cents,
                )?
            }
            Subject::Guarantee(guarantee_id) => entry(
                self.envelope_id,
                Some(guarantee_id),
                self.debit,
                self.credit,
                cents,
            ),
        };
        let entry = Entry {
            fiscal_year: fiscal(self.fiscal_year),
            ..entry
        };
        journal::post(fold, meta, entry)
    }
}

pub(crate) fn payment_made(fold: &mut Fold<'_>, meta: &Meta, e: &PaymentMade) -> Folded {
    GrantMoney {
        envelope_id: &e.envelope_id,
        subject: Subject::Grant(&e.grant_id),
        column: Column::Paid,
        debit: PAID,
        credit: COMMITTED_UNPAID,
        cents: e.amount_cents,
        fiscal_year: e.fiscal_year,
    }
    .fold(fold, meta)
}

pub(crate) fn recovery_ordered(fold: &mut Fold<'_>, meta: &Meta, e: &RecoveryOrdered) -> Folded {
    let movement = Movement {
        subject: Subject::Grant(&e.grant_id),
        recovery_id: &e.recovery_id,
        kind: "ordered",
        cents: e.amount_cents,
        reference: &e.title_reference,
    };
    movement.append(fold, meta);
    GrantMoney {
        envelope_id: &e.envelope_id,
        subject: Subject::Grant(&e.grant_id),
        column: Column::RecoveryOrdered,
        debit: RECOVERY_RECEIVABLE,
        credit: RECOVERIES,
        cents: e.amount_cents,
        fiscal_year: e.fiscal_year,
    }
    .fold(fold, meta)
}

pub(crate) fn recovery_received(fold: &mut Fold<'_>, meta: &Meta, e: &RecoveryReceived) -> Folded {
    let movement = Movement {
        subject: Subject::of(&e.grant_id, &e.guarantee_id),
        recovery_id: &e.recovery_id,
        kind: "received",
        cents: e.amount_cents,
        reference: &e.receipt_reference,
    };
    movement.append(fold, meta);
    GrantMoney {
        envelope_id: &e.envelope_id,
        subject: Subject::of(&e.grant_id, &e.guarantee_id),
        column: Column::RecoveryReceived,
        debit: RECOVERED,
        credit: RECOVERY_RECEIVABLE,
        cents: e.amount_cents,
        fiscal_year: e.fiscal_year,
    }
    .fold(fold, meta)
}

/// A reduction or cancellation reverses part of the order; a waiver or a
/// write-off moves what is outstanding to what the funder forgoes.
pub(crate) fn recovery_adjusted(fold: &mut Fold<'_>, meta: &Meta, e: &RecoveryAdjusted) -> Folded {
    let (kind, column, debit) = match e.adjustment() {
        RecoveryAdjustment::Reduced => ("reduced", Column::RecoveryReduced, RECOVERIES),
        RecoveryAdjustment::Waived => ("waived", Column::Neither, RECOVERIES_WAIVED),
        RecoveryAdjustment::WrittenOff => ("written_off", Column::Neither, RECOVERIES_WRITTEN_OFF),
        RecoveryAdjustment::Unspecified => {
            return Err(inapplicable(format!(
                "recovery {} adjusted without an adjustment",
                e.recovery_id
            )))
        }
    };
    let movement = Movement {
        subject: Subject::of(&e.grant_id, &e.guarantee_id),
        recovery_id: &e.recovery_id,
        kind,
        cents: e.amount_cents,
        reference: &e.decision_reference,
    };
    movement.append(fold, meta);
    GrantMoney {
        envelope_id: &e.envelope_id,
        subject: Subject::of(&e.grant_id, &e.guarantee_id),
        column,
        debit,
        credit: RECOVERY_RECEIVABLE,
        cents: e.amount_cents,
        fiscal_year: e.fiscal_year,
    }
    .fold(fold, meta)
}

pub(crate) fn recovery_scheduled(
    fold: &mut Fold<'_>,
    meta: &Meta,
    e: &RecoveryScheduled,
) -> Folded {
    let subject = Subject::of(&e.grant_id, &e.guarantee_id);
    match subject {
        Subject::Grant(grant_id) => {
            fold.grant(grant_id, &e.envelope_id)?;
        }
        Subject::Guarantee(guarantee_id) => {
            called_guarantee(fold, guarantee_id)?;
        }
    }
    for (line, instalment) in e.instalments.iter().enumerate() {
        fold.appends
            .recovery_instalments
            .row()
            .uuid(meta.event_id)
            .int(line as i64)
            .opt_text(subject.grant())
            .text(&e.recovery_id)
            .date(date(&instalment.due_date)?)
            .int(instalment.amount_cents)
            .date(meta.effective_date)
            .instant(meta.recorded_at)
            .opt_text(subject.guarantee())
            .end();
    }
    Ok(())
}

/// A guarantee that was called: only it has a claim to move.
fn called_guarantee(fold: &mut Fold<'_>, guarantee_id: &str) -> Folded {
    let loaded = fold.loaded;
    let called = fold
        .guarantees
        .get(&loaded.guarantees, &guarantee_id.to_owned())
        .and_then(|g| g.release.as_ref())
        .is_some_and(|r| r.kind == GuaranteeRelease::Called.as_str_name());
    if called {
        Ok(())
    } else {
        Err(inapplicable(format!(
            "guarantee {guarantee_id} has no claim: it was not called"
        )))
    }
}

/// One movement of a titre de recette, for the recoveries view.
struct Movement<'a> {
    subject: Subject<'a>,
    recovery_id: &'a str,
    kind: &'static str,
    cents: i64,
    reference: &'a str,
}

impl Movement<'_> {
    fn append(self, fold: &mut Fold<'_>, meta: &Meta) {
        fold.appends
            .recovery_movements
            .row()
            .uuid(meta.event_id)
            .opt_text(self.subject.grant())
            .text(self.recovery_id)
            .text(self.kind)
            .int(self.cents)
            .opt_text(nonempty(self.reference))
            .date(meta.effective_date)
            .instant(meta.recorded_at)
            .opt_text(self.subject.guarantee())
            .end();
    }
}

pub(crate) fn loan_granted(fold: &mut Fold<'_>, meta: &Meta, e: &LoanGranted) -> Folded {
    move_envelope(fold, &e.envelope_id, |env| {
        env.committed += e.principal_cents
    })?;
    if !fold.loan_ids.insert(e.loan_id.clone()) {
        return Err(inapplicable(format!("loan {} granted twice", e.loan_id)));
    }
    fold.appends
        .loans
        .row()
        .text(&e.loan_id)
        .text(&e.envelope_id)
        .text(&party(&e.borrower))
        .int(e.principal_cents)
        .int(i64::from(e.rate_basis_points))
        .int(i64::from(e.term_months))
        .opt_date(optional_date(&e.first_repayment_date)?)
        .text(&e.purpose)
        .date(meta.effective_date)
        .instant(meta.recorded_at)
        .uuid(meta.event_id)
        .opt_text(
            e.intermediary
                .as_ref()
                .map(|i| format!("siret:{}", i.siret))
                .as_deref(),
        )
        .end();
    let loan = entry(
        &e.envelope_id,
        Some(&e.loan_id),
        LOANS,
        AVAILABLE,
        e.principal_cents,
    );
    journal::post(fold, meta, loan)
}

/// Principal repaid leaves what is outstanding; interest is income.
pub(crate) fn loan_repaid(fold: &mut Fold<'_>, meta: &Meta, e: &LoanRepaid) -> Folded {
    if e.principal_cents < 0 || e.interest_cents < 0 {
        return Err(inapplicable(format!(
            "repayment {} of loan {} is negative",
            e.repayment_id, e.loan_id
        )));
    }
    loan_movement(
        fold,
        meta,
        &e.loan_id,
        "repaid",
        (e.principal_cents, e.interest_cents),
        &e.receipt_reference,
    );
    let of_the_loan = |debit, credit, amount| Entry {
        fiscal_year: fiscal(e.fiscal_year),
        ..entry(&e.envelope_id, Some(&e.loan_id), debit, credit, amount)
    };
    journal::post_all(
        fold,
        meta,
        [
            of_the_loan(LOANS_REPAID, LOANS, e.principal_cents),
            of_the_loan(LOAN_INTEREST, LOAN_INCOME, e.interest_cents),
        ],
    )
}

pub(crate) fn loan_written_off(fold: &mut Fold<'_>, meta: &Meta, e: &LoanWrittenOff) -> Folded {
    if e.written_off_cents <= 0 {
        return Err(inapplicable(format!(
            "loan {} written off for {} cents",
            e.loan_id, e.written_off_cents
        )));
    }
    loan_movement(
        fold,
        meta,
        &e.loan_id,
        "written_off",
        (e.written_off_cents, 0),
        &e.decision_reference,
    );
    let write_off = Entry {
        fiscal_year: fiscal(e.fiscal_year),
        ..entry(
            &e.envelope_id,
            Some(&e.loan_id),
            LOANS_WRITTEN_OFF,
            LOANS,
            e.written_off_cents,
        )
    };
    journal::post(fold, meta, write_off)
}

/// One row of `loan_movements`: (principal, interest) cents.
fn loan_movement(
    fold: &mut Fold<'_>,
    meta: &Meta,
    loan_id: &str,
    kind: &str,
    (principal, interest): (i64, i64),
    reference: &str,
) {
    fold.appends
        .loan_movements
        .row()
        .uuid(meta.event_id)
        .text(loan_id)
        .text(kind)
        .int(principal)
        .int(interest)
        .opt_text(nonempty(reference))
        .date(meta.effective_date)
        .instant(meta.recorded_at)
        .end();
}

pub(crate) fn loan_guarantee_granted(
    fold: &mut Fold<'_>,
    meta: &Meta,
    e: &LoanGuaranteeGranted,
) -> Folded {
    let lender = e.lender.clone().unwrap_or_default();
    let (start, end) = (date(&e.start_date)?, date(&e.end_date)?);
    let leading = prefix(|r| {
        r.text(&e.guarantee_id)
            .text(&e.envelope_id)
            .text(&party(&e.borrower))
            .text(&format!("siret:{}", lender.siret))
            .int(e.principal_cents)
            .int(e.guaranteed_cents)
            .date(start)
            .date(end)
            .text(&e.purpose)
            .date(meta.effective_date)
            .instant(meta.recorded_at)
            .uuid(meta.event_id)
    });
    let state = GuaranteeState {
        guaranteed: e.guaranteed_cents,
        release: None,
    };
    let loaded = fold.loaded;
    fold.guarantees.create(
        &loaded.guarantees,
        e.guarantee_id.clone(),
        state,
        leading,
        &format!("guarantee {}", e.guarantee_id),
    )?;
    for (line, instalment) in e.lender_schedule.iter().enumerate() {
        fold.appends
            .guarantee_schedule
            .row()
            .text(&e.guarantee_id)
            .int(line as i64)
            .date(date(&instalment.due_date)?)
            .int(instalment.amount_cents)
            .end();
    }
    let exposure = entry(
        &e.envelope_id,
        Some(&e.guarantee_id),
        GUARANTEE_EXPOSURE,
        GUARANTEES_GIVEN,
        e.guaranteed_cents,
    );
    journal::post(fold, meta, exposure)
}

/// The guarantee a report or a call is about, standing (not released).
fn standing_guarantee<'f>(
    fold: &'f mut Fold<'_>,
    guarantee_id: &str,
) -> Result<&'f mut GuaranteeState, Inapplicable> {
    let loaded = fold.loaded;
    let unknown = || inapplicable(format!("unknown or released guarantee {guarantee_id}"));
    let guarantee = fold
        .guarantees
        .get(&loaded.guarantees, &guarantee_id.to_owned())
        .ok_or_else(unknown)?;
    if guarantee.release.is_some() {
        return Err(unknown());
    }
    Ok(guarantee)
}

pub(crate) fn guaranteed_loan_reported(
    fold: &mut Fold<'_>,
    meta: &Meta,
    e: &GuaranteedLoanReported,
) -> Folded {
    standing_guarantee(fold, &e.guarantee_id)?;
    fold.appends
        .guarantee_reports
        .row()
        .uuid(meta.event_id)
        .text(&e.guarantee_id)
        .text(&e.report_id)
        .int(e.outstanding_principal_cents)
        .opt_text(nonempty(&e.reference))
        .date(meta.effective_date)
        .instant(meta.recorded_at)
        .end();
    Ok(())
}

/// A call ends the guarantee's memo exposure, pays the lender from the
/// envelope, and opens the claim on the borrower.
pub(crate) fn loan_guarantee_called(
    fold: &mut Fold<'_>,
    meta: &Meta,
    e: &LoanGuaranteeCalled,
) -> Folded {
    let guarantee = standing_guarantee(fold, &e.guarantee_id)?;
    guarantee.release = Some(Release {
        on: meta.effective_date,
        recorded_at: meta.recorded_at,
        kind: GuaranteeRelease::Called.as_str_name().to_owned(),
        called_cents: e.called_cents,
    });
    let guaranteed = guarantee.guaranteed;
    let called = e.called_cents;
    if called <= 0 {
        return Err(inapplicable(format!(
            "guarantee {} called for {called} cents",
            e.guarantee_id
        )));
    }
    move_envelope(fold, &e.envelope_id, |env| {
        env.committed += called;
        env.paid += called;
        env.recovery_ordered += called;
    })?;
    Movement {
        subject: Subject::Guarantee(&e.guarantee_id),
        recovery_id: ledger_domain::grants::CALL_CLAIM,
        kind: "ordered",
        cents: called,
        reference: &e.title_reference,
    }
    .append(fold, meta);
    let on_guarantee = |debit, credit, amount| Entry {
        fiscal_year: fiscal(e.fiscal_year),
        ..entry(&e.envelope_id, Some(&e.guarantee_id), debit, credit, amount)
    };
    journal::post_all(
        fold,
        meta,
        [
            on_guarantee(GUARANTEES_GIVEN, GUARANTEE_EXPOSURE, guaranteed),
            on_guarantee(PAID, AVAILABLE, called),
            on_guarantee(RECOVERY_RECEIVABLE, RECOVERIES, called),
        ],
    )
}

pub(crate) fn loan_guarantee_released(
    fold: &mut Fold<'_>,
    meta: &Meta,
    e: &LoanGuaranteeReleased,
) -> Folded {
    let loaded = fold.loaded;
    let unknown = || inapplicable(format!("unknown or released guarantee {}", e.guarantee_id));
    let guarantee = fold
        .guarantees
        .get(&loaded.guarantees, &e.guarantee_id)
        .ok_or_else(unknown)?;
    if guarantee.release.is_some() {
        return Err(unknown());
    }
    guarantee.release = Some(Release {
        on: meta.effective_date,
        recorded_at: meta.recorded_at,
        kind: e.release().as_str_name().to_owned(),
        called_cents: e.called_cents,
    });
    let guaranteed = guarantee.guaranteed;
    let release = entry(
        &e.envelope_id,
        Some(&e.guarantee_id),
        GUARANTEES_GIVEN,
        GUARANTEE_EXPOSURE,
        guaranteed,
    );
    journal::post(fold, meta, release)
}
