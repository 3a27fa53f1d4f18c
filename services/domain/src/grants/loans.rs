//! Loan guarantees (off-balance exposure) and loans (commitments), with
//! their repayments and write-offs.

use crate::stream_ref;
use ledger_proto::v1::{
    event_envelope::Payload, CallLoanGuarantee, GrantLoan, GrantLoanGuarantee, GuaranteeRelease,
    GuaranteedLoanReported, LoanGranted, LoanGuaranteeCalled, LoanGuaranteeGranted,
    LoanGuaranteeReleased, LoanRepaid, LoanWrittenOff, ReleaseLoanGuarantee, RepayLoan,
    ReportGuaranteedLoan, WriteOffLoan,
};

use super::{
    book::DEFAULT_MAX_GUARANTEE_SHARE,
    lifecycle::fiscal_year,
    parse::{beneficiary, legal_entity, required_enum, required_text},
    GrantsBook, Guarantee, Loan,
};
use crate::{dates::parse_date, ids::EntityId, Cents, Decision, DomainError, ErrorCode};

impl GrantsBook {
    pub(super) fn grant_loan_guarantee(
        &self,
        c: &GrantLoanGuarantee,
    ) -> Result<Decision, DomainError> {
        let id = EntityId::parse("guarantee_id", &c.guarantee_id)?;
        if self.guarantees.contains_key(id.as_str()) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("guarantee {id} already exists"),
            ));
        }
        let envelope = self.envelope(&c.envelope_id)?;
        beneficiary("borrower", c.borrower.as_ref())?;
        legal_entity("lender", c.lender.as_ref())?;
        let principal = Cents::positive("principal_cents", c.principal_cents)?;
        let guaranteed = Cents::positive("guaranteed_cents", c.guaranteed_cents)?;
        // The programme's rule caps the share of the loan guaranteed.
        let cap = self
            .programmes
            .get(&envelope.programme_id)
            .map_or(DEFAULT_MAX_GUARANTEE_SHARE, |p| p.max_guarantee_share);
        if i128::from(guaranteed.get()) * 10_000 > i128::from(principal.get()) * i128::from(cap) {
            return Err(DomainError::invalid(
                "guaranteed_cents",
                format!(
                    "programme {} guarantees at most {}.{:02} % of a loan's principal",
                    envelope.programme_id,
                    cap / 100,
                    cap % 100
                ),
            ));
        }
        super::decide::check_schedule(
            "lender_schedule",
            &c.lender_schedule,
            principal,
            "the principal,",
        )?;
        let start = parse_date("start_date", &c.start_date)?;
        let end = parse_date("end_date", &c.end_date)?;
        if end < start {
            return Err(DomainError::invalid("end_date", "is before start_date"));
        }
        Ok(Decision {
            stream: stream_ref("guarantee", id.as_str()),
            key: c.envelope_id.clone(),
            effective_date: super::decide::effective_or(&c.effective_date, start)?,
            occurred_at: c.occurred_at,
            payload: Payload::LoanGuaranteeGranted(LoanGuaranteeGranted {
                guarantee_id: c.guarantee_id.clone(),
                envelope_id: c.envelope_id.clone(),
                borrower: c.borrower.clone(),
                lender: c.lender.clone(),
                principal_cents: c.principal_cents,
                guaranteed_cents: c.guaranteed_cents,
                start_date: c.start_date.clone(),
                end_date: c.end_date.clone(),
                purpose: c.purpose.clone(),
                lender_schedule: c.lender_schedule.clone(),
            }),
        })
    }

    /// A guarantee still standing: neither released nor called.
    fn standing_guarantee(&self, id: &str) -> Result<&Guarantee, DomainError> {
        let guarantee = self.guarantee(id)?;
        if guarantee.released {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!("guarantee {id} is already released or called"),
            )
            .field_path("guarantee_id"));
        }
        Ok(guarantee)
    }

    pub(super) fn report_guaranteed_loan(
        &self,
        c: &ReportGuaranteedLoan,
    ) -> Result<Decision, DomainError> {
        let guarantee = self.standing_guarantee(&c.guarantee_id)?;
        let report = EntityId::parse("report_id", &c.report_id)?;
        if guarantee.report_ids.contains(report.as_str()) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!(
                    "report {report} of guarantee {} already exists",
                    c.guarantee_id
                ),
            )
            .field_path("report_id"));
        }
        let owed =
            Cents::non_negative("outstanding_principal_cents", c.outstanding_principal_cents)?;
        if owed > guarantee.principal {
            return Err(DomainError::invalid(
                "outstanding_principal_cents",
                format!(
                    "cannot exceed the loan's principal, {}",
                    guarantee.principal
                ),
            ));
        }
        required_text("reference", &c.reference)?;
        let effective_date = within(guarantee, &c.effective_date)?;
        Ok(Decision {
            stream: stream_ref("guarantee", &c.guarantee_id),
            key: guarantee.envelope_id.clone(),
            effective_date,
            occurred_at: c.occurred_at,
            payload: Payload::GuaranteedLoanReported(GuaranteedLoanReported {
                guarantee_id: c.guarantee_id.clone(),
                envelope_id: guarantee.envelope_id.clone(),
                report_id: c.report_id.clone(),
                outstanding_principal_cents: owed.get(),
                reference: c.reference.clone(),
                reported_on: crate::dates::format_date(effective_date),
            }),
        })
    }

    /// The borrower defaulted: the funder pays the lender what the
    /// guarantee covers at the date, as an expense of the envelope, and
    /// holds the claim.
    pub(super) fn call_loan_guarantee(
        &self,
        c: &CallLoanGuarantee,
    ) -> Result<Decision, DomainError> {
        let guarantee = self.standing_guarantee(&c.guarantee_id)?;
        let called = Cents::positive("called_cents", c.called_cents)?;
        let effective_date = within(guarantee, &c.effective_date)?;
        let exposure = guarantee.terms().exposure_on(effective_date);
        if called > exposure {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!(
                    "guarantee {} covers {exposure} on {}; the call is {called}",
                    c.guarantee_id,
                    crate::dates::format_date(effective_date)
                ),
            )
            .field_path("called_cents"));
        }
        // A guarantee outlives its envelope's period: what the call needs is
        // an envelope not closed, with AP/AE left, and CP.
        let envelope = self.envelope(&guarantee.envelope_id)?;
        envelope.check_open(&guarantee.envelope_id)?;
        if called > envelope.available() {
            return Err(DomainError::new(
                ErrorCode::EnvelopeOvercommitted,
                format!(
                    "envelope {} has {} left to commit; the call is {called}",
                    guarantee.envelope_id,
                    envelope.available()
                ),
            )
            .field_path("called_cents"));
        }
        let fiscal_year = fiscal_year(c.fiscal_year, effective_date)?;
        self.check_credits(&guarantee.envelope_id, fiscal_year, called)
            .map_err(|e| e.field_path("called_cents"))?;
        Ok(Decision {
            stream: stream_ref("guarantee", &c.guarantee_id),
            key: guarantee.envelope_id.clone(),
            effective_date,
            occurred_at: c.occurred_at,
            payload: Payload::LoanGuaranteeCalled(LoanGuaranteeCalled {
                guarantee_id: c.guarantee_id.clone(),
                envelope_id: guarantee.envelope_id.clone(),
                called_cents: called.get(),
                exposure_cents: exposure.get(),
                fiscal_year,
                mandate_reference: c.mandate_reference.clone(),
                title_reference: c.title_reference.clone(),
                guaranteed_cents: guarantee.guaranteed.get(),
            }),
        })
    }

    pub(super) fn release_loan_guarantee(
        &self,
        c: &ReleaseLoanGuarantee,
    ) -> Result<Decision, DomainError> {
        let guarantee = self.standing_guarantee(&c.guarantee_id)?;
        let release: GuaranteeRelease = required_enum("release", c.release)?;
        match release {
            // A call pays the lender and opens a claim: its own command.
            GuaranteeRelease::Called => {
                return Err(DomainError::invalid(
                    "release",
                    "a guarantee is called with call-loan-guarantee",
                ));
            }
            GuaranteeRelease::Repaid if c.called_cents != 0 => {
                return Err(DomainError::invalid(
                    "called_cents",
                    "must be 0 when the loan was repaid",
                ));
            }
            GuaranteeRelease::Repaid | GuaranteeRelease::Unspecified => {}
        }
        Ok(Decision {
            stream: stream_ref("guarantee", &c.guarantee_id),
            key: guarantee.envelope_id.clone(),
            effective_date: parse_date("effective_date", &c.effective_date)?,
            occurred_at: c.occurred_at,
            payload: Payload::LoanGuaranteeReleased(LoanGuaranteeReleased {
                guarantee_id: c.guarantee_id.clone(),
                envelope_id: guarantee.envelope_id.clone(),
                release: release as i32,
                called_cents: c.called_cents,
            }),
        })
    }

    pub(super) fn grant_loan(&self, c: &GrantLoan) -> Result<Decision, DomainError> {
        let id = EntityId::parse("loan_id", &c.loan_id)?;
        if self.loans.contains_key(id.as_str()) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("loan {id} already exists"),
            ));
        }
        let envelope = self.envelope(&c.envelope_id)?;
        beneficiary("borrower", c.borrower.as_ref())?;
        if c.intermediary.is_some() {
            legal_entity("intermediary", c.intermediary.as_ref())?;
        }
        let principal = Cents::positive("principal_cents", c.principal_cents)?;
        if c.term_months == 0 {
            return Err(DomainError::invalid("term_months", "must be at least 1"));
        }
        parse_date("first_repayment_date", &c.first_repayment_date)?;
        let effective_date = parse_date("effective_date", &c.effective_date)?;
        envelope.check_commitment(&c.envelope_id, effective_date, principal, "principal_cents")?;
        Ok(Decision {
            stream: stream_ref("loan", id.as_str()),
            key: c.envelope_id.clone(),
            effective_date,
            occurred_at: c.occurred_at,
            payload: Payload::LoanGranted(LoanGranted {
                loan_id: c.loan_id.clone(),
                envelope_id: c.envelope_id.clone(),
                borrower: c.borrower.clone(),
                principal_cents: c.principal_cents,
                rate_basis_points: c.rate_basis_points,
                term_months: c.term_months,
                first_repayment_date: c.first_repayment_date.clone(),
                purpose: c.purpose.clone(),
                intermediary: c.intermediary.clone(),
            }),
        })
    }

    /// A loan still owed something, or the error a client sees.
    fn owing_loan(&self, loan_id: &str) -> Result<&Loan, DomainError> {
        EntityId::parse("loan_id", loan_id)?;
        let loan = self.loans.get(loan_id).ok_or_else(|| {
            DomainError::new(
                ErrorCode::NotFound,
                format!("loan {loan_id} does not exist"),
            )
            .field_path("loan_id")
        })?;
        if loan.written_off {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!("loan {loan_id} was written off"),
            )
            .field_path("loan_id"));
        }
        Ok(loan)
    }

    pub(super) fn repay_loan(&self, c: &RepayLoan) -> Result<Decision, DomainError> {
        let loan = self.owing_loan(&c.loan_id)?;
        let repayment = EntityId::parse("repayment_id", &c.repayment_id)?;
        if loan.repayments.contains(repayment.as_str()) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("repayment {repayment} of loan {} already exists", c.loan_id),
            )
            .field_path("repayment_id"));
        }
        let principal = Cents::non_negative("principal_cents", c.principal_cents)?;
        let interest = Cents::non_negative("interest_cents", c.interest_cents)?;
        if principal == Cents::ZERO && interest == Cents::ZERO {
            return Err(DomainError::invalid(
                "principal_cents",
                "a repayment repays principal, interest or both",
            ));
        }
        let outstanding = loan.outstanding();
        if principal > outstanding {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!(
                    "loan {} has {outstanding} of principal outstanding",
                    c.loan_id
                ),
            )
            .field_path("principal_cents"));
        }
        let effective_date = in_order(loan, &c.effective_date)?;
        Ok(loan_decision(
            &c.loan_id,
            loan,
            effective_date,
            c.occurred_at,
            Payload::LoanRepaid(LoanRepaid {
                loan_id: c.loan_id.clone(),
                envelope_id: loan.envelope_id.clone(),
                repayment_id: c.repayment_id.clone(),
                principal_cents: principal.get(),
                interest_cents: interest.get(),
                fiscal_year: fiscal_year(c.fiscal_year, effective_date)?,
                receipt_reference: c.receipt_reference.clone(),
                outstanding_after_cents: outstanding.get() - principal.get(),
                repaid_on: crate::dates::format_date(effective_date),
            }),
        ))
    }

    pub(super) fn write_off_loan(&self, c: &WriteOffLoan) -> Result<Decision, DomainError> {
        let loan = self.owing_loan(&c.loan_id)?;
        required_text("decision_reference", &c.decision_reference)?;
        required_text("reason", &c.reason)?;
        let outstanding = loan.outstanding();
        if outstanding == Cents::ZERO {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!("loan {} is repaid: nothing to write off", c.loan_id),
            )
            .field_path("loan_id"));
        }
        let effective_date = in_order(loan, &c.effective_date)?;
        Ok(loan_decision(
            &c.loan_id,
            loan,
            effective_date,
            c.occurred_at,
            Payload::LoanWrittenOff(LoanWrittenOff {
                loan_id: c.loan_id.clone(),
                envelope_id: loan.envelope_id.clone(),
                written_off_cents: outstanding.get(),
                fiscal_year: fiscal_year(c.fiscal_year, effective_date)?,
                decision_reference: c.decision_reference.clone(),
                reason: c.reason.clone(),
                written_off_on: crate::dates::format_date(effective_date),
            }),
        ))
    }
}

/// A loan's event: on its stream, keyed by its envelope.
fn loan_decision(
    loan_id: &str,
    loan: &Loan,
    effective_date: time::Date,
    occurred_at: Option<ledger_proto::Timestamp>,
    payload: Payload,
) -> Decision {
    Decision {
        stream: stream_ref("loan", loan_id),
        key: loan.envelope_id.clone(),
        effective_date,
        occurred_at,
        payload,
    }
}

/// A loan's movement is dated no earlier than its latest repayment: what is
/// owed at a date is then what the movements up to it say, and a write-off
/// takes exactly what was outstanding on its day.
fn in_order(loan: &Loan, raw: &str) -> Result<time::Date, DomainError> {
    let on = parse_date("effective_date", raw)?;
    match loan.last_movement {
        Some(last) if on < last => Err(DomainError::invalid(
            "effective_date",
            format!(
                "is before the loan's latest repayment, on {}",
                crate::dates::format_date(last)
            ),
        )),
        _ => Ok(on),
    }
}

/// A guarantee's reports and calls fall within the days it covers.
fn within(guarantee: &Guarantee, raw: &str) -> Result<time::Date, DomainError> {
    let on = parse_date("effective_date", raw)?;
    if on < guarantee.start || on > guarantee.end {
        return Err(DomainError::invalid(
            "effective_date",
            format!(
                "the guarantee covers {} to {} only",
                crate::dates::format_date(guarantee.start),
                crate::dates::format_date(guarantee.end)
            ),
        ));
    }
    Ok(on)
}
