//! The double-entry budget journal: the lines each money event posts.
//!
//! Accounts (debit positive, credit negative; each event's lines sum to 0):
//!
//! | account | moved by | its balance is |
//! |---|---|---|
//! | `authorised` | votes and revisions (credit) | − voted |
//! | `available` | votes (debit), commitments (credit), releases (debit) | available to commit |
//! | `committed_unpaid` | awards and amendments (debit), payments and releases (credit) | remaining to pay (restes à payer) |
//! | `paid` | payments (debit) | paid |
//! | `cancelled` | closures of envelopes, and releases on a closed envelope (debit) | AP/AE cancelled |
//! | `loans` | loans, disbursed when granted (debit); repayments and write-offs (credit) | principal outstanding |
//! | `loans_repaid` | principal repaid (debit) | principal repaid |
//! | `loans_written_off` | admissions en non-valeur of loans (debit) | principal written off |
//! | `loan_interest` / `loan_income` | interest received (debit) / earned (credit) | interest received / − interest |
//! | `recoveries` | recovery orders (credit) | − recoveries ordered |
//! | `recovery_receivable` | orders (debit), receipts (credit) | recoveries still to receive |
//! | `recovered` | receipts (debit) | recoveries received |
//! | `recoveries_waived` | remises gracieuses (debit) | recoveries waived |
//! | `recoveries_written_off` | admissions en non-valeur (debit) | recoveries written off |
//! | `guarantee_exposure` / `guarantees_given` | guarantees granted and released (memo, off-balance) | ± exposure |

use crate::engine::fold::{inapplicable, Fold, Folded, Meta};

pub const AUTHORISED: &str = "authorised";
pub const AVAILABLE: &str = "available";
pub const COMMITTED_UNPAID: &str = "committed_unpaid";
pub const PAID: &str = "paid";
pub const CANCELLED: &str = "cancelled";
pub const LOANS: &str = "loans";
pub const LOANS_REPAID: &str = "loans_repaid";
pub const LOANS_WRITTEN_OFF: &str = "loans_written_off";
pub const LOAN_INTEREST: &str = "loan_interest";
pub const LOAN_INCOME: &str = "loan_income";
pub const RECOVERIES: &str = "recoveries";
pub const RECOVERY_RECEIVABLE: &str = "recovery_receivable";
pub const RECOVERED: &str = "recovered";
pub const RECOVERIES_WAIVED: &str = "recoveries_waived";
pub const RECOVERIES_WRITTEN_OFF: &str = "recoveries_written_off";
pub const GUARANTEE_EXPOSURE: &str = "guarantee_exposure";
pub const GUARANTEES_GIVEN: &str = "guarantees_given";

const COMMITTED: &[&str] = &[
    COMMITTED_UNPAID,
    PAID,
    LOANS,
    LOANS_REPAID,
    LOANS_WRITTEN_OFF,
];
const LENT: &[&str] = &[LOANS, LOANS_REPAID, LOANS_WRITTEN_OFF];

/// The accounts whose lines each balance figure sums (docs/api.md, "every
/// balance is a sum of lines"): the journal lines behind it.
pub const FIGURE_ACCOUNTS: &[(&str, &[&str])] = &[
    ("voted_cents", &[AUTHORISED]),
    ("voted_to_date_cents", &[AUTHORISED]),
    ("committed_cents", COMMITTED),
    ("committed_to_date_cents", COMMITTED),
    ("available_cents", &[AVAILABLE]),
    ("cancelled_cents", &[CANCELLED]),
    ("paid_cents", &[PAID]),
    ("paid_to_date_cents", &[PAID]),
    ("remaining_to_pay_cents", &[COMMITTED_UNPAID]),
    ("loans_cents", LENT),
    ("loans_repaid_cents", &[LOANS_REPAID]),
    ("loans_written_off_cents", &[LOANS_WRITTEN_OFF]),
    ("loans_outstanding_cents", &[LOANS]),
    ("loan_interest_cents", &[LOAN_INTEREST]),
    ("recovery_ordered_cents", &[RECOVERIES]),
    ("recovery_received_cents", &[RECOVERED]),
    ("recovery_waived_cents", &[RECOVERIES_WAIVED]),
    ("recovery_written_off_cents", &[RECOVERIES_WRITTEN_OFF]),
    ("recovery_outstanding_cents", &[RECOVERY_RECEIVABLE]),
    ("guarantee_exposure_cents", &[GUARANTEE_EXPOSURE]),
];

/// Whether a figure is a stock (what stands at the period's end) rather
/// than a flow (what happened in it).
pub fn is_stock(figure: &str) -> bool {
    figure.ends_with("_to_date_cents")
        || matches!(
            figure,
            "available_cents"
                | "cancelled_cents"
                | "remaining_to_pay_cents"
                | "loans_outstanding_cents"
                | "recovery_outstanding_cents"
                | "guarantee_exposure_cents"
        )
}

/// One event's journal entry: `amount` debited to `debit` and credited to
/// `credit`, on one envelope.
pub(crate) struct Entry<'a> {
    pub envelope_id: &'a str,
    pub subject_id: Option<&'a str>,
    /// Where the money goes, if not the envelope's territory.
    pub territory: Option<(Option<String>, Option<String>)>,
    /// The fiscal year the event names, else the effective date's year.
    pub fiscal_year: Option<i32>,
    pub debit: &'static str,
    pub credit: &'static str,
    pub amount: i64,
}

/// The column list of the postings rows [`post`] writes.
pub(crate) const POSTINGS_COLUMNS: &str =
    "event_id, line, account, amount_cents, envelope_id, programme_id, \
    region_code, departement_code, fiscal_year, subject_id, effective_date, recorded_at";

/// Whether an account's lines belong to the envelope's territory: what was
/// voted and what is left to commit are the envelope's, wherever its grants
/// go; every other account follows the grant (or loan, guarantee) the line is
/// about. So no territory shows more committed than it has available, and
/// the territories add up to the whole.
fn of_the_envelope(account: &str) -> bool {
    account == AUTHORISED || account == AVAILABLE || account == CANCELLED
}

/// Posts the entry's two lines, dimensions taken from the envelope (which
/// the same partition has already projected, or this batch creates).
pub(crate) fn post(fold: &mut Fold<'_>, meta: &Meta, entry: Entry<'_>) -> Folded {
    post_all(fold, meta, [entry])
}

/// Posts an event's entries (a repayment's principal and interest), their
/// lines numbered on from one.
pub(crate) fn post_all<'a>(
    fold: &mut Fold<'_>,
    meta: &Meta,
    entries: impl IntoIterator<Item = Entry<'a>>,
) -> Folded {
    let mut line = 0;
    for entry in entries {
        if entry.amount != 0 {
            post_lines(fold, meta, entry, line + 1)?;
            line += 2;
        }
    }
    Ok(())
}

fn post_lines(fold: &mut Fold<'_>, meta: &Meta, entry: Entry<'_>, first_line: i64) -> Folded {
    let envelope = fold
        .envelope(entry.envelope_id)
        .map_err(|_| inapplicable(format!("unknown envelope {}", entry.envelope_id)))?;
    let programme_id = envelope.programme_id.clone();
    let envelope_territory = (envelope.region.clone(), envelope.departement.clone());
    let subject_territory = match entry.territory {
        Some((r, d)) if r.is_some() || d.is_some() => (r.or_else(|| envelope.region.clone()), d),
        _ => envelope_territory.clone(),
    };
    let fiscal_year = entry.fiscal_year.unwrap_or(meta.effective_date.year());
    for (line, account, amount) in [
        (first_line, entry.debit, entry.amount),
        (first_line + 1, entry.credit, -entry.amount),
    ] {
        let (region, departement) = if of_the_envelope(account) {
            &envelope_territory
        } else {
            &subject_territory
        };
        fold.appends
            .postings
            .row()
            .uuid(meta.event_id)
            .int(line)
            .text(account)
            .int(amount)
            .text(entry.envelope_id)
            .text(&programme_id)
            .opt_text(region.as_deref())
            .opt_text(departement.as_deref())
            .int(i64::from(fiscal_year))
            .opt_text(entry.subject_id)
            .date(meta.effective_date)
            .instant(meta.recorded_at)
            .end();
    }
    Ok(())
}
