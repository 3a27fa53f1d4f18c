//! What a loan guarantee exposes the funder to at a date.
//!
//! The rule: the principal still owed on the guaranteed loan is the
//! lender's latest report on or before the date (the last recorded when two
//! share a date), less the declared schedule's instalments due after that
//! report and by the date; without a report, the principal less every
//! instalment due by the date; without a schedule, the report or the
//! principal. The exposure is the guaranteed share of that: outstanding ×
//! guaranteed / principal, rounded half up to the cent, never more than the
//! guaranteed amount. After its last day, or called or released, a
//! guarantee exposes nothing.
//! The grants service checks a call against it; the guarantees view
//! answers with it.

use time::Date;

use crate::Cents;

/// A guarantee's terms and what the lender said, in recorded order.
#[derive(Debug, Clone, Copy)]
pub struct Guaranteed<'a> {
    /// The guarantee's last day.
    pub end: Date,
    pub principal: Cents,
    pub guaranteed: Cents,
    /// The lender's declared amortisation: (due date, principal repaid).
    pub schedule: &'a [(Date, Cents)],
    /// The lender's reports: (date, principal outstanding), in recorded order.
    pub reports: &'a [(Date, Cents)],
}

impl Guaranteed<'_> {
    /// Principal still owed to the lender on `on`.
    pub fn outstanding_on(&self, on: Date) -> Cents {
        let report = self
            .reports
            .iter()
            .filter(|(date, _)| *date <= on)
            .max_by_key(|(date, _)| *date);
        let (since, base) = match report {
            Some(&(date, owed)) => (Some(date), owed.get()),
            None => (None, self.principal.get()),
        };
        let amortised: i64 = self
            .schedule
            .iter()
            .filter(|(due, _)| *due <= on && since.is_none_or(|s| *due > s))
            .map(|(_, part)| part.get())
            .sum();
        Cents::new((base - amortised).max(0))
    }

    /// The funder's exposure on `on`.
    pub fn exposure_on(&self, on: Date) -> Cents {
        let principal = i128::from(self.principal.get());
        if principal <= 0 || on > self.end {
            return Cents::ZERO;
        }
        let share = i128::from(self.outstanding_on(on).get()) * i128::from(self.guaranteed.get());
        // Half up: (2·share + principal) / (2·principal), all positive.
        let exposure = (2 * share + principal) / (2 * principal);
        Cents::new(
            i64::try_from(exposure)
                .unwrap_or(i64::MAX)
                .min(self.guaranteed.get()),
        )
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const SCHEDULE: [(Date, Cents); 4] = [
        (date!(2024 - 01 - 01), Cents::new(100_000)),
        (date!(2025 - 01 - 01), Cents::new(100_000)),
        (date!(2026 - 01 - 01), Cents::new(100_000)),
        (date!(2027 - 01 - 01), Cents::new(100_000)),
    ];

    #[test]
    fn the_exposure_follows_the_declared_schedule_at_the_guaranteed_share() {
        let g = Guaranteed {
            end: date!(2030 - 12 - 31),
            principal: Cents::new(400_000),
            guaranteed: Cents::new(200_000),
            schedule: &SCHEDULE,
            reports: &[],
        };
        assert_eq!(g.exposure_on(date!(2023 - 12 - 31)).get(), 200_000);
        assert_eq!(g.exposure_on(date!(2024 - 01 - 01)).get(), 150_000);
        assert_eq!(g.exposure_on(date!(2026 - 06 - 30)).get(), 50_000);
        assert_eq!(g.exposure_on(date!(2027 - 01 - 01)).get(), 0);
    }

    #[test]
    fn a_report_rebases_the_schedule_from_its_date() {
        // The borrower is a year late: at the end of 2025 the lender still
        // has 300,000 owed; the schedule amortises on from there.
        let reports = [(date!(2025 - 12 - 31), Cents::new(300_000))];
        let g = Guaranteed {
            end: date!(2030 - 12 - 31),
            principal: Cents::new(400_000),
            guaranteed: Cents::new(200_000),
            schedule: &SCHEDULE,
            reports: &reports,
        };
        assert_eq!(g.outstanding_on(date!(2025 - 06 - 30)).get(), 200_000);
        assert_eq!(g.outstanding_on(date!(2025 - 12 - 31)).get(), 300_000);
        assert_eq!(g.outstanding_on(date!(2026 - 01 - 01)).get(), 200_000);
        assert_eq!(g.exposure_on(date!(2026 - 01 - 01)).get(), 100_000);
        // Without a schedule the report stands until the next one.
        let unscheduled = Guaranteed { schedule: &[], ..g };
        assert_eq!(
            unscheduled.exposure_on(date!(2030 - 01 - 01)).get(),
            150_000
        );
    }

    #[test]
    fn the_share_rounds_half_up_and_never_passes_the_guaranteed_amount() {
        let g = Guaranteed {
            end: date!(2030 - 12 - 31),
            principal: Cents::new(3),
            guaranteed: Cents::new(1),
            schedule: &[],
            reports: &[(date!(2025 - 01 - 01), Cents::new(2))],
        };
        // 2 × 1 / 3 = 0.67 → 1 cent; 3 × 1 / 3 = 1.
        assert_eq!(g.exposure_on(date!(2025 - 01 - 01)).get(), 1);
        assert_eq!(g.exposure_on(date!(2024 - 01 - 01)).get(), 1);
        // After its last day a guarantee covers nothing.
        assert_eq!(g.exposure_on(date!(2031 - 01 - 01)).get(), 0);
    }
}
