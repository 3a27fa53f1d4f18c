//! The grants context's views: programmes, targets, envelopes, grants, loans
//! and guarantees, and the budget journal their money events post. Every
//! update must hit exactly the row it names: an event about an unknown
//! envelope or grant stops the partition.

use ledger_proto::v1::{beneficiary::Party, event_envelope::Payload, Beneficiary, Territory};
use sqlx::postgres::PgArguments;

use crate::{
    journal::{
        self, Entry, AUTHORISED, AVAILABLE, COMMITTED_UNPAID, GUARANTEES_GIVEN, GUARANTEE_EXPOSURE,
        LOANS, PAID, RECOVERED, RECOVERIES, RECOVERY_RECEIVABLE,
    },
    project::{date, inapplicable, optional_date, ConsumedEvent, Meta, Tx},
    ReadModelError,
};

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, PgArguments>;

/// Runs a statement that must change exactly one row.
pub(crate) async fn one(
    tx: &mut Tx<'_>,
    consumed: &ConsumedEvent,
    what: &str,
    query: Query<'_>,
) -> Result<(), ReadModelError> {
    let done = query
        .execute(&mut **tx)
        .await
        .map_err(|err| inapplicable(consumed, err.to_string()))?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(inapplicable(consumed, format!("unknown {what}")))
    }
}

/// Moves one money column of an envelope and of a grant by `cents`.
async fn move_both(
    tx: &mut Tx<'_>,
    consumed: &ConsumedEvent,
    envelope_id: &str,
    grant_id: &str,
    column: &str,
    cents: i64,
) -> Result<(), ReadModelError> {
    let envelope_sql =
        format!("UPDATE envelopes SET {column} = {column} + $2 WHERE envelope_id = $1");
    one(
        tx,
        consumed,
        &format!("envelope {envelope_id}"),
        sqlx::query(&envelope_sql).bind(envelope_id).bind(cents),
    )
    .await?;
    let grant_sql = format!(
        "UPDATE grants SET {column} = {column} + $3 WHERE grant_id = $1 AND envelope_id = $2"
    );
    one(
        tx,
        consumed,
        &format!("grant {grant_id}"),
        sqlx::query(&grant_sql)
            .bind(grant_id)
            .bind(envelope_id)
            .bind(cents),
    )
    .await
}

async fn move_envelope(
    tx: &mut Tx<'_>,
    consumed: &ConsumedEvent,
    envelope_id: &str,
    column: &str,
    cents: i64,
) -> Result<(), ReadModelError> {
    let sql = format!("UPDATE envelopes SET {column} = {column} + $2 WHERE envelope_id = $1");
    one(
        tx,
        consumed,
        &format!("envelope {envelope_id}"),
        sqlx::query(&sql).bind(envelope_id).bind(cents),
    )
    .await
}

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

pub(crate) async fn apply(
    tx: &mut Tx<'_>,
    consumed: &ConsumedEvent,
    meta: &Meta,
    payload: &Payload,
) -> Result<(), ReadModelError> {
    let event_id = meta.event_id;
    let entry = |envelope_id, subject_id, debit, credit, amount| Entry {
        envelope_id,
        subject_id,
        territory: None,
        fiscal_year: None,
        debit,
        credit,
        amount,
    };
    match payload {
        Payload::ProgrammeDeclared(e) => {
            let funder = e.funder.clone().unwrap_or_default();
            let insert = sqlx::query(
                "INSERT INTO programmes (programme_id, funder_kind, funder_code, funder_name, name, period_start, period_end, event_id, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&e.programme_id)
            .bind(funder.kind().as_str_name())
            .bind(&funder.code)
            .bind(&funder.name)
            .bind(&e.name)
            .bind(date(consumed, &e.period_start)?)
            .bind(date(consumed, &e.period_end)?)
            .bind(event_id)
            .bind(meta.recorded_at);
            one(tx, consumed, "programme", insert).await
        }
        Payload::TargetSet(e) => {
            let insert = sqlx::query(
                "INSERT INTO targets (programme_id, target_id, metric, value, deadline, description, recorded_at, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (programme_id, target_id) DO UPDATE
                 SET metric = EXCLUDED.metric, value = EXCLUDED.value, deadline = EXCLUDED.deadline,
                     description = EXCLUDED.description, recorded_at = EXCLUDED.recorded_at, event_id = EXCLUDED.event_id",
            )
            .bind(&e.programme_id)
            .bind(&e.target_id)
            .bind(e.metric().as_str_name())
            .bind(e.value)
            .bind(date(consumed, &e.deadline)?)
            .bind(&e.description)
            .bind(meta.recorded_at)
            .bind(event_id);
            one(tx, consumed, "target", insert).await
        }
        Payload::EnvelopeOpened(e) => {
            let (region, departement, _) = territory(&e.territory);
            let insert = sqlx::query(
                "INSERT INTO envelopes (envelope_id, programme_id, kind, label, vote_reference, period_start, period_end,
                                        voted_cents, event_id, measure_code, region_code, departement_code)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&e.envelope_id)
            .bind(&e.programme_id)
            .bind(e.kind().as_str_name())
            .bind(&e.label)
            .bind(&e.vote_reference)
            .bind(date(consumed, &e.period_start)?)
            .bind(date(consumed, &e.period_end)?)
            .bind(e.amount_cents)
            .bind(event_id)
            .bind(Some(&e.measure_code).filter(|m| !m.is_empty()))
            .bind(region)
            .bind(departement);
            one(tx, consumed, "envelope", insert).await?;
            let vote = entry(&e.envelope_id, None, AVAILABLE, AUTHORISED, e.amount_cents);
            journal::post(tx, consumed, meta, vote).await
        }
        Payload::EnvelopeRevised(e) => {
            move_envelope(tx, consumed, &e.envelope_id, "voted_cents", e.delta_cents).await?;
            let vote = entry(&e.envelope_id, None, AVAILABLE, AUTHORISED, e.delta_cents);
            journal::post(tx, consumed, meta, vote).await
        }
        Payload::GrantAwarded(e) => {
            move_envelope(
                tx,
                consumed,
                &e.envelope_id,
                "committed_cents",
                e.amount_cents,
            )
            .await?;
            let (region, departement, commune) = territory(&e.territory);
            let terms = e.obligation.clone();
            let insert = sqlx::query(
                "INSERT INTO grants (grant_id, envelope_id, kind, amount_cents, purpose, effective_date, event_id,
                                     beneficiary, region_code, departement_code, commune_code, measure_code,
                                     recovery_rule, obligation_months, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(&e.grant_id)
            .bind(&e.envelope_id)
            .bind(e.kind().as_str_name())
            .bind(e.amount_cents)
            .bind(&e.purpose)
            .bind(meta.effective_date)
            .bind(event_id)
            .bind(party(&e.beneficiary))
            .bind(&region)
            .bind(&departement)
            .bind(&commune)
            .bind(Some(&e.measure_code).filter(|m| !m.is_empty()))
            .bind(terms.as_ref().map(|t| t.recovery_rule().as_str_name()))
            .bind(terms.as_ref().map(|t| t.duration_months as i32))
            .bind(meta.recorded_at);
            one(tx, consumed, "grant", insert).await?;
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
            journal::post(tx, consumed, meta, commitment).await
        }
        Payload::GrantAmended(e) => {
            move_envelope(
                tx,
                consumed,
                &e.envelope_id,
                "committed_cents",
                e.amount_delta_cents,
            )
            .await?;
            let update = sqlx::query(
                "UPDATE grants SET amount_cents = amount_cents + $2 WHERE grant_id = $1",
            )
            .bind(&e.grant_id)
            .bind(e.amount_delta_cents);
            one(tx, consumed, &format!("grant {}", e.grant_id), update).await?;
            let amendment = grant_entry(
                tx,
                consumed,
                &e.envelope_id,
                &e.grant_id,
                COMMITTED_UNPAID,
                AVAILABLE,
                e.amount_delta_cents,
            )
            .await?;
            journal::post(tx, consumed, meta, amendment).await
        }
        Payload::GrantCancelled(e) => {
            move_envelope(
                tx,
                consumed,
                &e.envelope_id,
                "committed_cents",
                -e.released_cents,
            )
            .await?;
            let update = sqlx::query(
                "UPDATE grants SET cancelled = true, amount_cents = amount_cents - $2, cancelled_on = $3
                 WHERE grant_id = $1 AND NOT cancelled",
            )
            .bind(&e.grant_id)
            .bind(e.released_cents)
            .bind(meta.effective_date);
            one(tx, consumed, &format!("live grant {}", e.grant_id), update).await?;
            let release = grant_entry(
                tx,
                consumed,
                &e.envelope_id,
                &e.grant_id,
                AVAILABLE,
                COMMITTED_UNPAID,
                e.released_cents,
            )
            .await?;
            journal::post(tx, consumed, meta, release).await
        }
        Payload::PaymentMade(e) => {
            let money = GrantMoney {
                envelope_id: &e.envelope_id,
                grant_id: &e.grant_id,
                column: "paid_cents",
                debit: PAID,
                credit: COMMITTED_UNPAID,
                cents: e.amount_cents,
                fiscal_year: e.fiscal_year,
            };
            money.apply(tx, consumed, meta).await
        }
        Payload::RecoveryOrdered(e) => {
            let money = GrantMoney {
                envelope_id: &e.envelope_id,
                grant_id: &e.grant_id,
                column: "recovery_ordered_cents",
                debit: RECOVERY_RECEIVABLE,
                credit: RECOVERIES,
                cents: e.amount_cents,
                fiscal_year: e.fiscal_year,
            };
            money.apply(tx, consumed, meta).await
        }
        Payload::RecoveryReceived(e) => {
            let money = GrantMoney {
                envelope_id: &e.envelope_id,
                grant_id: &e.grant_id,
                column: "recovery_received_cents",
                debit: RECOVERED,
                credit: RECOVERY_RECEIVABLE,
                cents: e.amount_cents,
                fiscal_year: e.fiscal_year,
            };
            money.apply(tx, consumed, meta).await
        }
        Payload::LoanGranted(e) => {
            move_envelope(
                tx,
                consumed,
                &e.envelope_id,
                "committed_cents",
                e.principal_cents,
            )
            .await?;
            let insert = sqlx::query(
                "INSERT INTO loans (loan_id, envelope_id, borrower, principal_cents, rate_basis_points, term_months,
                                    first_repayment_date, purpose, effective_date, recorded_at, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&e.loan_id)
            .bind(&e.envelope_id)
            .bind(party(&e.borrower))
            .bind(e.principal_cents)
            .bind(e.rate_basis_points as i32)
            .bind(e.term_months as i32)
            .bind(optional_date(consumed, &e.first_repayment_date)?)
            .bind(&e.purpose)
            .bind(meta.effective_date)
            .bind(meta.recorded_at)
            .bind(event_id);
            one(tx, consumed, "loan", insert).await?;
            let loan = entry(
                &e.envelope_id,
                Some(&e.loan_id),
                LOANS,
                AVAILABLE,
                e.principal_cents,
            );
            journal::post(tx, consumed, meta, loan).await
        }
        Payload::LoanGuaranteeGranted(e) => {
            let lender = e.lender.clone().unwrap_or_default();
            let insert = sqlx::query(
                "INSERT INTO guarantees (guarantee_id, envelope_id, borrower, lender, principal_cents, guaranteed_cents,
                                         start_date, end_date, purpose, effective_date, recorded_at, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&e.guarantee_id)
            .bind(&e.envelope_id)
            .bind(party(&e.borrower))
            .bind(format!("siret:{}", lender.siret))
            .bind(e.principal_cents)
            .bind(e.guaranteed_cents)
            .bind(date(consumed, &e.start_date)?)
            .bind(date(consumed, &e.end_date)?)
            .bind(&e.purpose)
            .bind(meta.effective_date)
            .bind(meta.recorded_at)
            .bind(event_id);
            one(tx, consumed, "guarantee", insert).await?;
            let exposure = entry(
                &e.envelope_id,
                Some(&e.guarantee_id),
                GUARANTEE_EXPOSURE,
                GUARANTEES_GIVEN,
                e.guaranteed_cents,
            );
            journal::post(tx, consumed, meta, exposure).await
        }
        Payload::LoanGuaranteeReleased(e) => {
            let guaranteed: Option<i64> = sqlx::query_scalar(
                "UPDATE guarantees SET released_on = $2, released_recorded_at = $3, release = $4, called_cents = $5
                 WHERE guarantee_id = $1 AND released_on IS NULL RETURNING guaranteed_cents",
            )
            .bind(&e.guarantee_id)
            .bind(meta.effective_date)
            .bind(meta.recorded_at)
            .bind(e.release().as_str_name())
            .bind(e.called_cents)
            .fetch_optional(&mut **tx)
            .await
            .map_err(|err| inapplicable(consumed, err.to_string()))?;
            let guaranteed = guaranteed.ok_or_else(|| {
                inapplicable(
                    consumed,
                    format!("unknown or released guarantee {}", e.guarantee_id),
                )
            })?;
            let release = entry(
                &e.envelope_id,
                Some(&e.guarantee_id),
                GUARANTEES_GIVEN,
                GUARANTEE_EXPOSURE,
                guaranteed,
            );
            journal::post(tx, consumed, meta, release).await
        }
        other => Err(inapplicable(
            consumed,
            format!(
                "{} is not an event of the grants context",
                other.type_name()
            ),
        )),
    }
}

/// Money moving on a grant within a fiscal year (a payment, a recovery
/// ordered or received): the same column of the envelope and the grant
/// moves, and the journal posts it in the grant's territory.
struct GrantMoney<'a> {
    envelope_id: &'a str,
    grant_id: &'a str,
    column: &'static str,
    debit: &'static str,
    credit: &'static str,
    cents: i64,
    fiscal_year: i32,
}

impl GrantMoney<'_> {
    async fn apply(
        self,
        tx: &mut Tx<'_>,
        consumed: &ConsumedEvent,
        meta: &Meta,
    ) -> Result<(), ReadModelError> {
        move_both(
            tx,
            consumed,
            self.envelope_id,
            self.grant_id,
            self.column,
            self.cents,
        )
        .await?;
        let entry = Entry {
            fiscal_year: fiscal(self.fiscal_year),
            ..grant_entry(
                tx,
                consumed,
                self.envelope_id,
                self.grant_id,
                self.debit,
                self.credit,
                self.cents,
            )
            .await?
        };
        journal::post(tx, consumed, meta, entry).await
    }
}

/// An entry about a grant, in the grant's territory.
async fn grant_entry<'a>(
    tx: &mut Tx<'_>,
    consumed: &ConsumedEvent,
    envelope_id: &'a str,
    grant_id: &'a str,
    debit: &'static str,
    credit: &'static str,
    amount: i64,
) -> Result<Entry<'a>, ReadModelError> {
    let territory: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT region_code, departement_code FROM grants WHERE grant_id = $1")
            .bind(grant_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(|e| inapplicable(consumed, e.to_string()))?;
    Ok(Entry {
        envelope_id,
        subject_id: Some(grant_id),
        territory,
        fiscal_year: None,
        debit,
        credit,
        amount,
    })
}
