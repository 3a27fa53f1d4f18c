//! The budget views: programmes, envelopes and grants, moved by the grants
//! context's events. Every update must hit exactly the row it names: an
//! event about an unknown envelope or grant stops the partition.

use ledger_proto::v1::event_envelope::Payload;
use sqlx::postgres::PgArguments;
use uuid::Uuid;

use crate::{
    project::{date, inapplicable, ConsumedEvent, Tx},
    ReadModelError,
};

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, PgArguments>;

/// Runs a statement that must change exactly one row.
async fn one(
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

pub(crate) async fn apply(
    tx: &mut Tx<'_>,
    consumed: &ConsumedEvent,
    event_id: Uuid,
    payload: &Payload,
) -> Result<(), ReadModelError> {
    match payload {
        Payload::ProgrammeDeclared(e) => {
            let funder = e.funder.clone().unwrap_or_default();
            let insert = sqlx::query(
                "INSERT INTO programmes (programme_id, funder_kind, funder_code, funder_name, name, period_start, period_end, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&e.programme_id)
            .bind(funder.kind().as_str_name())
            .bind(&funder.code)
            .bind(&funder.name)
            .bind(&e.name)
            .bind(date(consumed, &e.period_start)?)
            .bind(date(consumed, &e.period_end)?)
            .bind(event_id);
            one(tx, consumed, "programme", insert).await
        }
        Payload::EnvelopeOpened(e) => {
            let insert = sqlx::query(
                "INSERT INTO envelopes (envelope_id, programme_id, kind, label, vote_reference, period_start, period_end, voted_cents, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&e.envelope_id)
            .bind(&e.programme_id)
            .bind(e.kind().as_str_name())
            .bind(&e.label)
            .bind(&e.vote_reference)
            .bind(date(consumed, &e.period_start)?)
            .bind(date(consumed, &e.period_end)?)
            .bind(e.amount_cents)
            .bind(event_id);
            one(tx, consumed, "envelope", insert).await
        }
        Payload::EnvelopeRevised(e) => {
            move_envelope(tx, consumed, &e.envelope_id, "voted_cents", e.delta_cents).await
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
            let insert = sqlx::query(
                "INSERT INTO grants (grant_id, envelope_id, kind, amount_cents, purpose, effective_date, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&e.grant_id)
            .bind(&e.envelope_id)
            .bind(e.kind().as_str_name())
            .bind(e.amount_cents)
            .bind(&e.purpose)
            .bind(date(consumed, &consumed.event.effective_date)?)
            .bind(event_id);
            one(tx, consumed, "grant", insert).await
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
            one(tx, consumed, &format!("grant {}", e.grant_id), update).await
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
                "UPDATE grants SET cancelled = true, amount_cents = amount_cents - $2 WHERE grant_id = $1 AND NOT cancelled",
            )
            .bind(&e.grant_id)
            .bind(e.released_cents);
            one(tx, consumed, &format!("live grant {}", e.grant_id), update).await
        }
        Payload::PaymentMade(e) => {
            move_both(
                tx,
                consumed,
                &e.envelope_id,
                &e.grant_id,
                "paid_cents",
                e.amount_cents,
            )
            .await
        }
        Payload::RecoveryOrdered(e) => {
            move_both(
                tx,
                consumed,
                &e.envelope_id,
                &e.grant_id,
                "recovery_ordered_cents",
                e.amount_cents,
            )
            .await
        }
        Payload::RecoveryReceived(e) => {
            move_both(
                tx,
                consumed,
                &e.envelope_id,
                &e.grant_id,
                "recovery_received_cents",
                e.amount_cents,
            )
            .await
        }
        Payload::LoanGranted(e) => {
            move_envelope(
                tx,
                consumed,
                &e.envelope_id,
                "committed_cents",
                e.principal_cents,
            )
            .await
        }
        // Indexed in `events`; their views come with the full read model.
        _ => Ok(()),
    }
}
