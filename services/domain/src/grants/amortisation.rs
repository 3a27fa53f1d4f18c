//! A loan's repayment schedule, derived from its terms alone, in exact cents.
//!
//! The rule (constant amortisation, amortissement constant, the usual form of
//! public honour loans): `term_months` monthly instalments, the first on
//! the first repayment date, each later one on the same day of the following
//! months (the last day of a shorter month when that day does not exist).
//! Each repays an equal part of the principal: ⌊principal / term⌋ cents, the
//! remaining cents one each on the first instalments, so parts differ by at
//! most a cent and add up to the principal exactly. Each also pays the
//! month's interest on what is outstanding before it: outstanding × annual
//! rate in basis points / 120 000, rounded half up to the cent (nothing for
//! a 0 % loan).
//!
//! The read model's loans view derives each loan's schedule, what is due
//! and the arrears with this function; nothing stores a schedule.

use time::Date;

use crate::{dates::add_months, Cents};

/// One instalment of a loan's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoanInstalment {
    pub due: Date,
    pub principal: Cents,
    pub interest: Cents,
    /// Principal still owed once this instalment is paid.
    pub outstanding_after: Cents,
}

/// The schedule of a loan of `principal` at `rate_basis_points` a year over
/// `term_months`, first repaid on `first`. None when the terms cannot make
/// one (no principal, no term, or dates beyond the calendar).
pub fn schedule(
    principal: Cents,
    rate_basis_points: u32,
    term_months: u32,
    first: Date,
) -> Option<Vec<LoanInstalment>> {
    if principal.get() <= 0 || term_months == 0 {
        return None;
    }
    let n = i64::from(term_months);
    let (base, extra) = (principal.get() / n, principal.get() % n);
    let mut outstanding = principal.get();
    (0..term_months)
        .map(|k| {
            let part = base + i64::from(i64::from(k) < extra);
            // Half up: (2·outstanding·rate + 120 000) / 240 000, all positive.
            let interest =
                (2 * i128::from(outstanding) * i128::from(rate_basis_points) + 120_000) / 240_000;
            outstanding -= part;
            Some(LoanInstalment {
                due: add_months(first, k)?,
                principal: Cents::new(part),
                interest: Cents::new(i64::try_from(interest).ok()?),
                outstanding_after: Cents::new(outstanding),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;

    use super::*;

    #[test]
    fn a_zero_rate_loan_repays_its_principal_in_equal_parts() {
        let s = schedule(Cents::new(1_000_000), 0, 3, date!(2024 - 01 - 31)).unwrap();
        let parts: Vec<(Date, i64, i64, i64)> = s
            .iter()
            .map(|i| {
                (
                    i.due,
                    i.principal.get(),
                    i.interest.get(),
                    i.outstanding_after.get(),
                )
            })
            .collect();
        assert_eq!(
            parts,
            [
                (date!(2024 - 01 - 31), 333_334, 0, 666_666),
                (date!(2024 - 02 - 29), 333_333, 0, 333_333),
                (date!(2024 - 03 - 31), 333_333, 0, 0),
            ]
        );
    }

    #[test]
    fn interest_is_the_month_s_on_what_is_outstanding_rounded_half_up() {
        // 12,000.00 € at 1.5 % over 12 months: 1,000 € a month, interest
        // 15.00 € on the first (12,000 × 0.015 / 12), then 0.125 € less each.
        let s = schedule(Cents::new(1_200_000), 150, 12, date!(2025 - 02 - 05)).unwrap();
        let interest: Vec<i64> = s.iter().map(|i| i.interest.get()).collect();
        assert_eq!(
            interest,
            [1500, 1375, 1250, 1125, 1000, 875, 750, 625, 500, 375, 250, 125]
        );
        // 0.5 cent rounds up: 100.00 € at 0.06 % for one month is 0.5 cent.
        let half = schedule(Cents::new(10_000), 6, 1, date!(2025 - 02 - 05)).unwrap();
        assert_eq!(half[0].interest.get(), 1);
    }

    #[test]
    fn no_schedule_without_principal_or_term() {
        assert!(schedule(Cents::ZERO, 0, 12, date!(2025 - 01 - 01)).is_none());
        assert!(schedule(Cents::new(100), 0, 0, date!(2025 - 01 - 01)).is_none());
    }

    proptest! {
        #[test]
        fn parts_add_up_to_the_principal_and_differ_by_a_cent_at_most(
            principal in 1i64..10_000_000_000, term in 1u32..360, rate in 0u32..2_000,
        ) {
            let s = schedule(Cents::new(principal), rate, term, date!(2025 - 01 - 15)).unwrap();
            prop_assert_eq!(s.len() as u32, term);
            prop_assert_eq!(s.iter().map(|i| i.principal.get()).sum::<i64>(), principal);
            let (lo, hi) = s.iter().fold((i64::MAX, 0), |(lo, hi), i| {
                (lo.min(i.principal.get()), hi.max(i.principal.get()))
            });
            prop_assert!(hi - lo <= 1);
            prop_assert_eq!(s.last().unwrap().outstanding_after.get(), 0);
            prop_assert!(s.windows(2).all(|w| w[0].due < w[1].due));
            prop_assert!(s.iter().all(|i| i.interest.get() >= 0));
        }
    }
}
