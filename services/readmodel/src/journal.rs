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
//! | `loans` | 0% loans, disbursed when granted (debit) | loans granted |
//! | `recoveries` | recovery orders (credit) | − recoveries ordered |
//! | `recovery_receivable` | orders (debit), receipts (credit) | recoveries still to receive |
//! | `recovered` | receipts (debit) | recoveries received |
//! | `guarantee_exposure` / `guarantees_given` | guarantees granted and released (memo, off-balance) | ± exposure |

use crate::{
    project::{inapplicable, ConsumedEvent, Meta, Tx},
    ReadModelError,
};

pub const AUTHORISED: &str = "authorised";
pub const AVAILABLE: &str = "available";
pub const COMMITTED_UNPAID: &str = "committed_unpaid";
pub const PAID: &str = "paid";
pub const LOANS: &str = "loans";
pub const RECOVERIES: &str = "recoveries";
pub const RECOVERY_RECEIVABLE: &str = "recovery_receivable";
pub const RECOVERED: &str = "recovered";
pub const GUARANTEE_EXPOSURE: &str = "guarantee_exposure";
pub const GUARANTEES_GIVEN: &str = "guarantees_given";

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

/// Posts the entry's two lines, dimensions taken from the envelope row
/// (which the same partition has already projected).
pub(crate) async fn post(
    tx: &mut Tx<'_>,
    consumed: &ConsumedEvent,
    meta: &Meta,
    entry: Entry<'_>,
) -> Result<(), ReadModelError> {
    if entry.amount == 0 {
        return Ok(());
    }
    let envelope: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT programme_id, region_code, departement_code FROM envelopes WHERE envelope_id = $1",
    )
    .bind(entry.envelope_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(|e| inapplicable(consumed, e.to_string()))?;
    let Some((programme_id, region, departement)) = envelope else {
        return Err(inapplicable(
            consumed,
            format!("unknown envelope {}", entry.envelope_id),
        ));
    };
    let (region, departement) = match entry.territory {
        Some((r, d)) if r.is_some() || d.is_some() => (r.or(region), d),
        _ => (region, departement),
    };
    let fiscal_year = entry.fiscal_year.unwrap_or(meta.effective_date.year());
    for (line, account, amount) in [
        (1i16, entry.debit, entry.amount),
        (2i16, entry.credit, -entry.amount),
    ] {
        sqlx::query(
            "INSERT INTO postings (event_id, line, account, amount_cents, envelope_id, programme_id,
                                   region_code, departement_code, fiscal_year, subject_id,
                                   effective_date, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(meta.event_id)
        .bind(line)
        .bind(account)
        .bind(amount)
        .bind(entry.envelope_id)
        .bind(&programme_id)
        .bind(&region)
        .bind(&departement)
        .bind(fiscal_year)
        .bind(entry.subject_id)
        .bind(meta.effective_date)
        .bind(meta.recorded_at)
        .execute(&mut **tx)
        .await
        .map_err(|e| inapplicable(consumed, format!("cannot post: {e}")))?;
    }
    Ok(())
}
