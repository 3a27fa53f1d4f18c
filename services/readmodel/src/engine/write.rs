//! Writing a folded batch: one `COPY` per table for the new rows, one
//! `UPDATE … FROM unnest(…)` per table for the rows that existed before the
//! batch, one upsert for targets. A handful of statements per batch, whatever
//! its size.

// Each update binds one vector per column (unnest), as a tuple of vectors.
#![allow(clippy::type_complexity)]

use sqlx::PgConnection;
use time::{Date, OffsetDateTime};

use super::copy::{CopyBuf, RowWriter};
use super::fold::{Ending, EnvelopeState, Fold, GrantState, GuaranteeState, ObligationState, Slot};
use crate::contexts::columns;
use crate::journal::POSTINGS_COLUMNS;

/// How many rows the batch wrote, by table (for the benchmark's COPY
/// baseline and the metrics).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub inserted: u64,
    pub updated: u64,
}

async fn copy(
    conn: &mut PgConnection,
    table: &str,
    columns: &str,
    buf: &CopyBuf,
    written: &mut Written,
) -> Result<(), sqlx::Error> {
    if buf.is_empty() {
        return Ok(());
    }
    let mut sink = conn
        .copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN"))
        .await?;
    if let Err(err) = sink.send(buf.bytes()).await {
        let _ = sink.abort("send failed").await;
        return Err(err);
    }
    sink.finish().await?;
    written.inserted += buf.rows() as u64;
    Ok(())
}

/// The new rows of a table of entities: leading columns as created, then
/// the trailing columns from the state the batch left them in.
fn new_rows<K, S>(
    slots: &std::collections::HashMap<K, Slot<S>>,
    mut trailing: impl for<'b> FnMut(RowWriter<'b>, &S) -> RowWriter<'b>,
) -> CopyBuf {
    let mut buf = CopyBuf::default();
    for slot in slots.values() {
        if let Some(prefix) = &slot.prefix {
            trailing(buf.row_with_prefix(prefix), &slot.state).end();
        }
    }
    buf
}

/// The rows that existed before the batch and changed, with their state
/// before and after.
fn changed<K: Clone, S: PartialEq>(
    slots: &std::collections::HashMap<K, Slot<S>>,
) -> impl Iterator<Item = (&K, &S, &S)> {
    slots.iter().filter_map(|(k, slot)| match &slot.base {
        Some(base) if *base != slot.state => Some((k, base, &slot.state)),
        _ => None,
    })
}

/// Writes everything the fold holds, parents before children (events, then
/// envelopes, then what refers to them).
pub(crate) async fn write(
    conn: &mut PgConnection,
    fold: &Fold<'_>,
) -> Result<Written, sqlx::Error> {
    let mut w = Written::default();
    let a = &fold.appends;
    copy(conn, "events", columns::EVENTS, &a.events, &mut w).await?;
    copy(
        conn,
        "programmes",
        columns::PROGRAMMES,
        &a.programmes,
        &mut w,
    )
    .await?;
    upsert_targets(conn, fold, &mut w).await?;

    let envelopes = new_rows(&fold.envelopes.slots, money);
    copy(conn, "envelopes", columns::ENVELOPES, &envelopes, &mut w).await?;
    update_envelopes(conn, fold, &mut w).await?;

    copy(
        conn,
        "envelope_cp_schedules",
        columns::CP_SCHEDULES,
        &a.cp_schedules,
        &mut w,
    )
    .await?;
    copy(
        conn,
        "credit_votes",
        columns::CREDIT_VOTES,
        &a.credit_votes,
        &mut w,
    )
    .await?;
    copy(
        conn,
        "envelope_closures",
        columns::ENVELOPE_CLOSURES,
        &a.envelope_closures,
        &mut w,
    )
    .await?;

    let grants = new_rows(&fold.grants.slots, grant);
    copy(conn, "grants", columns::GRANTS, &grants, &mut w).await?;
    update_grants(conn, fold, &mut w).await?;
    copy(
        conn,
        "recovery_movements",
        columns::RECOVERY_MOVEMENTS,
        &a.recovery_movements,
        &mut w,
    )
    .await?;
    copy(
        conn,
        "recovery_instalments",
        columns::RECOVERY_INSTALMENTS,
        &a.recovery_instalments,
        &mut w,
    )
    .await?;
    copy(
        conn,
        "grant_closures",
        columns::GRANT_CLOSURES,
        &a.grant_closures,
        &mut w,
    )
    .await?;

    copy(conn, "loans", columns::LOANS, &a.loans, &mut w).await?;
    copy(
        conn,
        "loan_movements",
        columns::LOAN_MOVEMENTS,
        &a.loan_movements,
        &mut w,
    )
    .await?;
    let guarantees = new_rows(&fold.guarantees.slots, release);
    copy(conn, "guarantees", columns::GUARANTEES, &guarantees, &mut w).await?;
    update_guarantees(conn, fold, &mut w).await?;
    copy(
        conn,
        "guarantee_schedule",
        columns::GUARANTEE_SCHEDULE,
        &a.guarantee_schedule,
        &mut w,
    )
    .await?;
    copy(
        conn,
        "indicators",
        columns::INDICATORS,
        &a.indicators,
        &mut w,
    )
    .await?;
    copy(
        conn,
        "guarantee_reports",
        columns::GUARANTEE_REPORTS,
        &a.guarantee_reports,
        &mut w,
    )
    .await?;
    copy(conn, "postings", POSTINGS_COLUMNS, &a.postings, &mut w).await?;

    let centres = new_rows(&fold.centres.slots, ending);
    copy(conn, "centres", columns::CENTRES, &centres, &mut w).await?;
    set_endings(
        conn,
        "centres",
        "closed_on",
        "closed_recorded_at",
        "centre_id",
        &fold.centres.slots,
        &mut w,
    )
    .await?;
    copy(
        conn,
        "centre_activity",
        columns::ACTIVITY,
        &a.centre_activity,
        &mut w,
    )
    .await?;
    copy(conn, "members", columns::MEMBERS, &a.members, &mut w).await?;

    let posts = new_rows(&fold.posts.slots, ending);
    copy(conn, "posts", columns::POSTS, &posts, &mut w).await?;
    set_endings(
        conn,
        "posts",
        "closed_on",
        "closed_recorded_at",
        "post_id",
        &fold.posts.slots,
        &mut w,
    )
    .await?;
    let employments = new_rows(&fold.employments.slots, ending);
    copy(
        conn,
        "employments",
        columns::EMPLOYMENTS,
        &employments,
        &mut w,
    )
    .await?;
    update_employments(conn, fold, &mut w).await?;
    copy(
        conn,
        "installations",
        columns::INSTALLATIONS,
        &a.installations,
        &mut w,
    )
    .await?;

    let obligations = new_rows(&fold.obligations.slots, settlement);
    copy(
        conn,
        "obligations",
        columns::OBLIGATIONS,
        &obligations,
        &mut w,
    )
    .await?;
    update_obligations(conn, fold, &mut w).await?;
    Ok(w)
}

fn money<'b>(r: RowWriter<'b>, s: &EnvelopeState) -> RowWriter<'b> {
    r.int(s.voted)
        .int(s.committed)
        .int(s.paid)
        .int(s.recovery_ordered)
        .int(s.recovery_received)
}

fn grant<'b>(r: RowWriter<'b>, s: &GrantState) -> RowWriter<'b> {
    r.int(s.amount)
        .int(s.paid)
        .int(s.recovery_ordered)
        .int(s.recovery_received)
        .boolean(s.cancelled_on.is_some())
        .opt_date(s.cancelled_on)
}

fn ending<'b>(r: RowWriter<'b>, s: &Ending) -> RowWriter<'b> {
    match s.end {
        Some((on, at)) => r.date(on).instant(at),
        None => r.null().null(),
    }
}

fn release<'b>(r: RowWriter<'b>, s: &GuaranteeState) -> RowWriter<'b> {
    match &s.release {
        Some(rel) => r
            .date(rel.on)
            .instant(rel.recorded_at)
            .text(&rel.kind)
            .int(rel.called_cents),
        None => r.null().null().null().int(0),
    }
}

fn settlement<'b>(r: RowWriter<'b>, s: &ObligationState) -> RowWriter<'b> {
    match &s.settlement {
        Some(st) => r
            .text(st.outcome)
            .date(st.on)
            .instant(st.recorded_at)
            .opt_text(st.reason.as_deref())
            .opt_int(st.served_days)
            .opt_int(st.obligation_days),
        None => r.null().null().null().null().null().null(),
    }
}

/// Checks that an update touched every row it named: the fold loaded them
/// in the same transaction, so anything else means the schema and the code
/// disagree.
fn all_updated(
    table: &str,
    expected: usize,
    done: u64,
    w: &mut Written,
) -> Result<(), sqlx::Error> {
    w.updated += done;
    if done as usize == expected {
        Ok(())
    } else {
        tracing::error!(
            table,
            expected,
            done,
            "an update did not touch the rows the batch loaded"
        );
        Err(sqlx::Error::RowNotFound)
    }
}

async fn upsert_targets(
    conn: &mut PgConnection,
    fold: &Fold<'_>,
    w: &mut Written,
) -> Result<(), sqlx::Error> {
    if fold.targets.is_empty() {
        return Ok(());
    }
    let mut c: (
        Vec<String>,
        Vec<String>,
        Vec<String>,
        Vec<i64>,
        Vec<Date>,
        Vec<String>,
        Vec<OffsetDateTime>,
        Vec<uuid::Uuid>,
    ) = Default::default();
    let mut shape: (Vec<String>, Vec<String>, Vec<Option<String>>, Vec<String>) =
        Default::default();
    for ((programme, target), t) in &fold.targets {
        c.0.push(programme.clone());
        c.1.push(target.clone());
        c.2.push(t.metric.clone());
        c.3.push(t.value);
        c.4.push(t.deadline);
        c.5.push(t.description.clone());
        c.6.push(t.recorded_at);
        c.7.push(t.event_id);
        shape.0.push(t.shape.clone());
        shape.1.push(t.steps.clone());
        shape.2.push(t.denominator.clone());
        shape.3.push(t.professions.clone());
    }
    // Steps travel as JSON text and professions comma-separated: unnest
    // takes one-dimensional arrays only.
    let done = sqlx::query(
        "INSERT INTO targets (programme_id, target_id, metric, value, deadline, description, recorded_at, event_id,
                              shape, steps, denominator, professions)
         SELECT p, t, m, v, d, descr, r, e, s, st::jsonb, den, string_to_array(NULLIF(pr, ''), ',')
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::date[], $6::text[], $7::timestamptz[], $8::uuid[],
                     $9::text[], $10::text[], $11::text[], $12::text[])
              AS u(p, t, m, v, d, descr, r, e, s, st, den, pr)
         ON CONFLICT (programme_id, target_id) DO UPDATE
         SET metric = EXCLUDED.metric, value = EXCLUDED.value, deadline = EXCLUDED.deadline,
             description = EXCLUDED.description, recorded_at = EXCLUDED.recorded_at, event_id = EXCLUDED.event_id,
             shape = EXCLUDED.shape, steps = EXCLUDED.steps, denominator = EXCLUDED.denominator,
             professions = EXCLUDED.professions",
    )
    .bind(c.0).bind(c.1).bind(c.2).bind(c.3).bind(c.4).bind(c.5).bind(c.6).bind(c.7)
    .bind(shape.0).bind(shape.1).bind(shape.2).bind(shape.3)
    .execute(&mut *conn)
    .await?;
    all_updated("targets", fold.targets.len(), done.rows_affected(), w)
}

async fn update_envelopes(
    conn: &mut PgConnection,
    fold: &Fold<'_>,
    w: &mut Written,
) -> Result<(), sqlx::Error> {
    let mut c: (
        Vec<String>,
        Vec<i64>,
        Vec<i64>,
        Vec<i64>,
        Vec<i64>,
        Vec<i64>,
    ) = Default::default();
    for (id, before, after) in changed(&fold.envelopes.slots) {
        c.0.push(id.clone());
        c.1.push(after.voted - before.voted);
        c.2.push(after.committed - before.committed);
        c.3.push(after.paid - before.paid);
        c.4.push(after.recovery_ordered - before.recovery_ordered);
        c.5.push(after.recovery_received - before.recovery_received);
    }
    if c.0.is_empty() {
        return Ok(());
    }
    let n = c.0.len();
    let done = sqlx::query(
        "UPDATE envelopes e SET voted_cents = e.voted_cents + d.voted, committed_cents = e.committed_cents + d.committed,
                paid_cents = e.paid_cents + d.paid,
                recovery_ordered_cents = e.recovery_ordered_cents + d.ordered,
                recovery_received_cents = e.recovery_received_cents + d.received
         FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[])
              AS d(id, voted, committed, paid, ordered, received)
         WHERE e.envelope_id = d.id",
    )
    .bind(c.0).bind(c.1).bind(c.2).bind(c.3).bind(c.4).bind(c.5)
    .execute(&mut *conn)
    .await?;
    all_updated("envelopes", n, done.rows_affected(), w)
}

async fn update_grants(
    conn: &mut PgConnection,
    fold: &Fold<'_>,
    w: &mut Written,
) -> Result<(), sqlx::Error> {
    let mut c: (
        Vec<String>,
        Vec<i64>,
        Vec<i64>,
        Vec<i64>,
        Vec<i64>,
        Vec<Option<Date>>,
    ) = Default::default();
    for (id, before, after) in changed(&fold.grants.slots) {
        c.0.push(id.clone());
        c.1.push(after.amount - before.amount);
        c.2.push(after.paid - before.paid);
        c.3.push(after.recovery_ordered - before.recovery_ordered);
        c.4.push(after.recovery_received - before.recovery_received);
        // Only a cancellation made by this batch is written.
        c.5.push(after.cancelled_on.filter(|_| before.cancelled_on.is_none()));
    }
    if c.0.is_empty() {
        return Ok(());
    }
    let n = c.0.len();
    let done = sqlx::query(
        "UPDATE grants g SET amount_cents = g.amount_cents + d.amount, paid_cents = g.paid_cents + d.paid,
                recovery_ordered_cents = g.recovery_ordered_cents + d.ordered,
                recovery_received_cents = g.recovery_received_cents + d.received,
                cancelled = g.cancelled OR d.cancelled_on IS NOT NULL,
                cancelled_on = COALESCE(d.cancelled_on, g.cancelled_on)
         FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::date[])
              AS d(id, amount, paid, ordered, received, cancelled_on)
         WHERE g.grant_id = d.id",
    )
    .bind(c.0).bind(c.1).bind(c.2).bind(c.3).bind(c.4).bind(c.5)
    .execute(&mut *conn)
    .await?;
    all_updated("grants", n, done.rows_affected(), w)
}

async fn update_guarantees(
    conn: &mut PgConnection,
    fold: &Fold<'_>,
    w: &mut Written,
) -> Result<(), sqlx::Error> {
    let mut c: (
        Vec<String>,
        Vec<Date>,
        Vec<OffsetDateTime>,
        Vec<String>,
        Vec<i64>,
    ) = Default::default();
    for (id, before, after) in changed(&fold.guarantees.slots) {
        if let (None, Some(rel)) = (&before.release, &after.release) {
            c.0.push(id.clone());
            c.1.push(rel.on);
            c.2.push(rel.recorded_at);
            c.3.push(rel.kind.clone());
            c.4.push(rel.called_cents);
        }
    }
    if c.0.is_empty() {
        return Ok(());
    }
    let n = c.0.len();
    let done = sqlx::query(
        "UPDATE guarantees g SET released_on = d.day, released_recorded_at = d.recorded, release = d.kind, called_cents = d.called
         FROM unnest($1::text[], $2::date[], $3::timestamptz[], $4::text[], $5::int8[]) AS d(id, day, recorded, kind, called)
         WHERE g.guarantee_id = d.id AND g.released_on IS NULL",
    )
    .bind(c.0).bind(c.1).bind(c.2).bind(c.3).bind(c.4)
    .execute(&mut *conn)
    .await?;
    all_updated("guarantees", n, done.rows_affected(), w)
}

#[allow(clippy::too_many_arguments)]
async fn set_endings(
    conn: &mut PgConnection,
    table: &str,
    date_column: &str,
    recorded_column: &str,
    key_column: &str,
    slots: &std::collections::HashMap<String, Slot<Ending>>,
    w: &mut Written,
) -> Result<(), sqlx::Error> {
    let mut c: (Vec<String>, Vec<Date>, Vec<OffsetDateTime>) = Default::default();
    for (id, before, after) in changed(slots) {
        if let (None, Some((on, at))) = (before.end, after.end) {
            c.0.push(id.clone());
            c.1.push(on);
            c.2.push(at);
        }
    }
    if c.0.is_empty() {
        return Ok(());
    }
    let n = c.0.len();
    let sql = format!(
        "UPDATE {table} t SET {date_column} = d.day, {recorded_column} = d.recorded
         FROM unnest($1::text[], $2::date[], $3::timestamptz[]) AS d(id, day, recorded)
         WHERE t.{key_column} = d.id AND t.{date_column} IS NULL"
    );
    let done = sqlx::query(&sql)
        .bind(c.0)
        .bind(c.1)
        .bind(c.2)
        .execute(&mut *conn)
        .await?;
    all_updated(table, n, done.rows_affected(), w)
}

async fn update_employments(
    conn: &mut PgConnection,
    fold: &Fold<'_>,
    w: &mut Written,
) -> Result<(), sqlx::Error> {
    let mut c: (Vec<String>, Vec<String>, Vec<Date>, Vec<OffsetDateTime>) = Default::default();
    for ((person, id), before, after) in changed(&fold.employments.slots) {
        if let (None, Some((on, at))) = (before.end, after.end) {
            c.0.push(person.clone());
            c.1.push(id.clone());
            c.2.push(on);
            c.3.push(at);
        }
    }
    if c.0.is_empty() {
        return Ok(());
    }
    let n = c.0.len();
    let done = sqlx::query(
        "UPDATE employments t SET end_date = d.day, end_recorded_at = d.recorded
         FROM unnest($1::text[], $2::text[], $3::date[], $4::timestamptz[]) AS d(person, id, day, recorded)
         WHERE t.person_id = d.person AND t.employment_id = d.id AND t.end_date IS NULL",
    )
    .bind(c.0).bind(c.1).bind(c.2).bind(c.3)
    .execute(&mut *conn)
    .await?;
    all_updated("employments", n, done.rows_affected(), w)
}

async fn update_obligations(
    conn: &mut PgConnection,
    fold: &Fold<'_>,
    w: &mut Written,
) -> Result<(), sqlx::Error> {
    type Columns = (
        Vec<String>,
        Vec<String>,
        Vec<Date>,
        Vec<OffsetDateTime>,
        Vec<Option<String>>,
        Vec<Option<i64>>,
        Vec<Option<i64>>,
    );
    let mut c: Columns = Default::default();
    for (id, before, after) in changed(&fold.obligations.slots) {
        if let (None, Some(s)) = (&before.settlement, &after.settlement) {
            c.0.push(id.clone());
            c.1.push(s.outcome.to_owned());
            c.2.push(s.on);
            c.3.push(s.recorded_at);
            c.4.push(s.reason.clone());
            c.5.push(s.served_days);
            c.6.push(s.obligation_days);
        }
    }
    if c.0.is_empty() {
        return Ok(());
    }
    let n = c.0.len();
    let done = sqlx::query(
        "UPDATE obligations t SET outcome = d.outcome, settled_on = d.day, settled_recorded_at = d.recorded,
                reason = d.reason, served_days = d.served, obligation_days = d.days
         FROM unnest($1::text[], $2::text[], $3::date[], $4::timestamptz[], $5::text[], $6::int8[], $7::int8[])
              AS d(id, outcome, day, recorded, reason, served, days)
         WHERE t.obligation_id = d.id AND t.outcome IS NULL",
    )
    .bind(c.0).bind(c.1).bind(c.2).bind(c.3).bind(c.4).bind(c.5).bind(c.6)
    .execute(&mut *conn)
    .await?;
    all_updated("obligations", n, done.rows_affected(), w)
}
