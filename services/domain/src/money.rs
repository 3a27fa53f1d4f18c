//! Money as integer euro cents.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// An amount of euro cents. Arithmetic is checked: an overflow is an error,
/// never a wrapped balance.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Cents(i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    pub const fn new(cents: i64) -> Self {
        Cents(cents)
    }

    /// Parses an amount that must be strictly positive (awards, payments…).
    pub fn positive(field: &str, cents: i64) -> Result<Self, DomainError> {
        if cents <= 0 {
            return Err(DomainError::invalid(
                field,
                format!("must be a positive number of cents, got {cents}"),
            ));
        }
        Ok(Cents(cents))
    }

    /// Parses an amount that may be zero but not negative (the interest part
    /// of a repayment…).
    pub fn non_negative(field: &str, cents: i64) -> Result<Self, DomainError> {
        if cents < 0 {
            return Err(DomainError::invalid(
                field,
                format!("must be zero or a positive number of cents, got {cents}"),
            ));
        }
        Ok(Cents(cents))
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Cents) -> Option<Cents> {
        self.0.checked_add(other.0).map(Cents)
    }

    pub fn checked_sub(self, other: Cents) -> Option<Cents> {
        self.0.checked_sub(other.0).map(Cents)
    }
}

impl fmt::Display for Cents {
    /// Locale-free (`20000000.00 EUR`) so that logs stay easy to search.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02} EUR", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_refuses_zero_and_negative() {
        assert_eq!(Cents::positive("amount_cents", 1).map(Cents::get), Ok(1));
        let err = Cents::positive("amount_cents", 0).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("amount_cents"));
        assert!(Cents::positive("amount_cents", -5).is_err());
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Cents::new(i64::MAX).checked_add(Cents::new(1)), None);
        assert_eq!(
            Cents::new(5).checked_sub(Cents::new(7)),
            Some(Cents::new(-2))
        );
    }

    #[test]
    fn displays_euros_and_cents() {
        assert_eq!(Cents::new(2_000_000_000).to_string(), "20000000.00 EUR");
        assert_eq!(Cents::new(-1_205).to_string(), "-12.05 EUR");
    }
}
