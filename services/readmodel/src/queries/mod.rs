//! What the read API asks of the read model. Every figure can be asked as of
//! an accounting date and as known at a moment ([`At`]); lists are ordered
//! stably and paged with a cursor.

mod balances;
mod credits;
mod events;
mod guarantees;
mod journal;
mod loans;
mod programmes;
mod recoveries;
mod status;
mod targets;
mod views;
mod workforce;

pub use balances::{
    balances, envelope_balance, funder_key, Balance, BalanceFilter, EnvelopeBalance, GroupBy,
};
pub use credits::{credits, etat_ap_ae, CreditFilter, CreditRow, EtatRow, ScheduleYear};
pub use events::{event, EventRecord};
pub use guarantees::{guarantees, GuaranteeRow};
pub use journal::{journal, JournalFilter, Posting};
pub use loans::{loan, loans, LoanDetail, LoanInstalmentRow, LoanMovement, LoanRow};
pub use programmes::{programmes, EnvelopeSummary, ProgrammeRow};
pub use recoveries::{recoveries, RecoveryInstalment, RecoveryRow, Titres};
pub use status::{faults, has_reached, offsets, outages, Fault, Outage, StoredOffset};
pub use targets::{indicators, targets, IndicatorRow, TargetProgress, TargetYear};
pub use views::{
    centres, grant, grants, members, obligations, CentreFilter, CentreRow, GrantFilter, GrantRow,
    MemberCount, ObligationFilter, ObligationRow,
};
pub use workforce::{headcounts, posts, Headcount, HeadcountFilter, HeadcountGroup, PostRow};

use time::{Date, OffsetDateTime};

/// The two times of a bitemporal question: the accounting date figures are
/// taken at (inclusive), and the moment whose knowledge they reflect. `None`
/// means "today" and "everything recorded so far".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct At {
    pub as_of: Option<Date>,
    pub known_at: Option<OffsetDateTime>,
}

/// The accounting date asked for: `as_of`, else today in Paris (the day the
/// writers date facts by).
pub(crate) fn day(at: At) -> Date {
    at.as_of
        .unwrap_or_else(|| ledger_domain::dates::paris_day(OffsetDateTime::now_utc()))
}

/// The currency of the ledger's amounts, written beside them: every amount
/// is in euros, as integer cents (`_cents`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub enum Currency {
    #[default]
    #[serde(rename = "EUR")]
    Eur,
}

/// Rows per page unless asked otherwise, and the most a page may hold.
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1_000;

/// SQL rendering of dates and instants in answers: ISO 8601, UTC.
pub(crate) const DATE: &str = "'YYYY-MM-DD'";
pub(crate) fn instant(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
}
