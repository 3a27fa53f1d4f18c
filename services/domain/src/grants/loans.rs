//! Loan guarantees (off-balance exposure) and 0% loans (commitments).

use crate::stream_ref;
use ledger_proto::v1::{
    event_envelope::Payload, GrantLoan, GrantLoanGuarantee, GuaranteeRelease, LoanGranted,
    LoanGuaranteeGranted, LoanGuaranteeReleased, ReleaseLoanGuarantee,
};

use super::{
    parse::{beneficiary, legal_entity, required_enum},
    GrantsBook,
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
        self.envelope(&c.envelope_id)?;
        beneficiary("borrower", c.borrower.as_ref())?;
        legal_entity("lender", c.lender.as_ref())?;
        let principal = Cents::positive("principal_cents", c.principal_cents)?;
        let guaranteed = Cents::positive("guaranteed_cents", c.guaranteed_cents)?;
        if guaranteed > principal {
            return Err(DomainError::invalid(
                "guaranteed_cents",
                "cannot exceed the principal",
            ));
        }
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
            }),
        })
    }

    pub(super) fn release_loan_guarantee(
        &self,
        c: &ReleaseLoanGuarantee,
    ) -> Result<Decision, DomainError> {
        EntityId::parse("guarantee_id", &c.guarantee_id)?;
        let guarantee = self.guarantees.get(&c.guarantee_id).ok_or_else(|| {
            DomainError::new(
                ErrorCode::NotFound,
                format!("guarantee {} does not exist", c.guarantee_id),
            )
            .field_path("guarantee_id")
        })?;
        if guarantee.released {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                format!("guarantee {} is already released", c.guarantee_id),
            ));
        }
        let release: GuaranteeRelease = required_enum("release", c.release)?;
        match release {
            GuaranteeRelease::Called
                if c.called_cents <= 0 || c.called_cents > guarantee.guaranteed.get() =>
            {
                return Err(DomainError::invalid(
                    "called_cents",
                    format!(
                        "a called guarantee pays between 1 cent and {}",
                        guarantee.guaranteed
                    ),
                ));
            }
            GuaranteeRelease::Repaid if c.called_cents != 0 => {
                return Err(DomainError::invalid(
                    "called_cents",
                    "must be 0 when the loan was repaid",
                ));
            }
            _ => {}
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
        if self.loans.contains(id.as_str()) {
            return Err(DomainError::new(
                ErrorCode::AlreadyExists,
                format!("loan {id} already exists"),
            ));
        }
        let envelope = self.envelope(&c.envelope_id)?;
        beneficiary("borrower", c.borrower.as_ref())?;
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
            }),
        })
    }
}
