//! The rows a batch refers to that existed before it, loaded with one query
//! per table (inside the batch's transaction) so that the fold can check
//! every event against them without a round trip per event.

use std::collections::{HashMap, HashSet};

use sqlx::PgConnection;
use time::{Date, OffsetDateTime};

use super::fold::{Ending, EnvelopeState, GrantState, GuaranteeState, ObligationState};

/// The keys a batch's events name, by table.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    pub envelopes: HashSet<String>,
    pub grants: HashSet<String>,
    pub guarantees: HashSet<String>,
    pub centres: HashSet<String>,
    pub posts: HashSet<String>,
    pub employments: HashSet<(String, String)>,
    pub obligations: HashSet<String>,
}

/// Rows as they stood before the batch. Only open (not yet ended) centres,
/// posts, employments, obligations and unreleased guarantees are loaded
/// with their lifecycle state: a closed one is loaded too, so that "unknown"
/// and "already closed" are told apart.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub envelopes: HashMap<String, EnvelopeState>,
    pub grants: HashMap<String, GrantState>,
    pub guarantees: HashMap<String, GuaranteeState>,
    pub centres: HashMap<String, Ending>,
    pub posts: HashMap<String, Ending>,
    pub employments: HashMap<(String, String), Ending>,
    pub obligations: HashMap<String, ObligationState>,
}

fn list(keys: &HashSet<String>) -> Vec<String> {
    keys.iter().cloned().collect()
}

type EnvelopeRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    i64,
    bool,
);
type GrantRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    Option<Date>,
    bool,
);
type EndingRow = (String, Option<Date>, Option<OffsetDateTime>);

fn ending((end, at): (Option<Date>, Option<OffsetDateTime>)) -> Ending {
    Ending {
        end: end.map(|d| (d, at.unwrap_or(OffsetDateTime::UNIX_EPOCH))),
    }
}

impl Loaded {
    pub async fn fetch(conn: &mut PgConnection, keys: &Keys) -> Result<Loaded, sqlx::Error> {
        let mut loaded = Loaded::default();
        if !keys.envelopes.is_empty() {
            let rows: Vec<EnvelopeRow> = sqlx::query_as(
                "SELECT envelope_id, programme_id, region_code, departement_code, voted_cents, committed_cents,
                        paid_cents, recovery_ordered_cents, recovery_received_cents,
                        EXISTS (SELECT FROM envelope_closures c WHERE c.envelope_id = e.envelope_id)
                 FROM envelopes e WHERE envelope_id = ANY($1)",
            )
            .bind(list(&keys.envelopes))
            .fetch_all(&mut *conn)
            .await?;
            for (id, programme_id, region, departement, voted, committed, paid, ro, rr, closed) in
                rows
            {
                let state = EnvelopeState {
                    programme_id,
                    region,
                    departement,
                    voted,
                    committed,
                    paid,
                    recovery_ordered: ro,
                    recovery_received: rr,
                    closed,
                };
                loaded.envelopes.insert(id, state);
            }
        }
        if !keys.grants.is_empty() {
            let rows: Vec<GrantRow> = sqlx::query_as(
                "SELECT grant_id, envelope_id, region_code, departement_code, amount_cents, paid_cents,
                        recovery_ordered_cents, recovery_received_cents,
                        CASE WHEN cancelled THEN COALESCE(cancelled_on, effective_date) END,
                        EXISTS (SELECT FROM grant_closures c WHERE c.grant_id = g.grant_id)
                 FROM grants g WHERE grant_id = ANY($1)",
            )
            .bind(list(&keys.grants))
            .fetch_all(&mut *conn)
            .await?;
            for (id, envelope_id, region, departement, amount, paid, ro, rr, cancelled_on, ended) in
                rows
            {
                let state = GrantState {
                    envelope_id,
                    region,
                    departement,
                    amount,
                    paid,
                    recovery_ordered: ro,
                    recovery_received: rr,
                    cancelled_on,
                    ended,
                };
                loaded.grants.insert(id, state);
            }
        }
        if !keys.guarantees.is_empty() {
            let rows: Vec<(String, i64, bool, String)> = sqlx::query_as(
                "SELECT guarantee_id, guaranteed_cents, released_on IS NOT NULL, COALESCE(release, '')
                 FROM guarantees WHERE guarantee_id = ANY($1)",
            )
            .bind(list(&keys.guarantees))
            .fetch_all(&mut *conn)
            .await?;
            for (id, guaranteed, released, kind) in rows {
                // A released guarantee is loaded as such, with how (a called
                // one has a claim); the other details are not needed.
                let release = released.then_some(super::fold::Release {
                    on: Date::MIN,
                    recorded_at: OffsetDateTime::UNIX_EPOCH,
                    kind,
                    called_cents: 0,
                });
                loaded.guarantees.insert(
                    id,
                    GuaranteeState {
                        guaranteed,
                        release,
                    },
                );
            }
        }
        loaded.centres = endings(
            conn,
            "SELECT centre_id, closed_on, closed_recorded_at FROM centres WHERE centre_id = ANY($1)",
            &keys.centres,
        )
        .await?;
        loaded.posts = endings(
            conn,
            "SELECT post_id, closed_on, closed_recorded_at FROM posts WHERE post_id = ANY($1)",
            &keys.posts,
        )
        .await?;
        if !keys.employments.is_empty() {
            let (persons, ids): (Vec<String>, Vec<String>) =
                keys.employments.iter().cloned().unzip();
            let rows: Vec<(String, String, Option<Date>, Option<OffsetDateTime>)> = sqlx::query_as(
                "SELECT e.person_id, e.employment_id, e.end_date, e.end_recorded_at
                 FROM employments e JOIN unnest($1::text[], $2::text[]) AS k(person_id, employment_id)
                   ON e.person_id = k.person_id AND e.employment_id = k.employment_id",
            )
            .bind(persons)
            .bind(ids)
            .fetch_all(&mut *conn)
            .await?;
            for (person, id, end, at) in rows {
                loaded.employments.insert((person, id), ending((end, at)));
            }
        }
        if !keys.obligations.is_empty() {
            let rows: Vec<(String, Option<String>)> = sqlx::query_as(
                "SELECT obligation_id, outcome FROM obligations WHERE obligation_id = ANY($1)",
            )
            .bind(list(&keys.obligations))
            .fetch_all(&mut *conn)
            .await?;
            for (id, outcome) in rows {
                let settlement = outcome.map(|_| super::fold::Settlement {
                    outcome: "settled",
                    on: Date::MIN,
                    recorded_at: OffsetDateTime::UNIX_EPOCH,
                    reason: None,
                    served_days: None,
                    obligation_days: None,
                });
                loaded
                    .obligations
                    .insert(id, ObligationState { settlement });
            }
        }
        Ok(loaded)
    }
}

async fn endings(
    conn: &mut PgConnection,
    sql: &str,
    keys: &HashSet<String>,
) -> Result<HashMap<String, Ending>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<EndingRow> = sqlx::query_as(sql).bind(list(keys)).fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(id, end, at)| (id, ending((end, at))))
        .collect())
}
