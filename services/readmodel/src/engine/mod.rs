//! The projection engine: the one apply path of the live projector and of
//! `ledgerctl rebuild`.
//!
//! A batch of records is applied in one PostgreSQL transaction:
//!
//! 1. the offsets of the batch's partitions are locked and their epochs
//!    checked (a partition another instance has claimed since is fenced);
//! 2. the rows the events name are loaded with one query per table;
//! 3. the events are folded in memory, in order ([`fold`]); an event that
//!    cannot be applied stops its partition at its offset, the fold is redone
//!    without that partition's rest, and the other partitions go on;
//! 4. the fold is written with `COPY` and `UPDATE … FROM unnest` ([`write`]);
//! 5. the offsets advance, faults are recorded, and the transaction commits.
//!
//! A write that PostgreSQL refuses as bad data (SQLSTATE classes 22 and 23)
//! is located by applying the batch again one record at a time. An outage is
//! returned to the caller, classified, to be retried: nothing is faulted.

mod bulk;
mod claims;
pub(crate) mod copy;
pub(crate) mod fold;
pub(crate) mod loaded;
mod record;
mod write;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use sqlx::PgPool;

pub use bulk::{defer_indexes, restore_indexes};
pub use claims::Claims;
pub use record::{Body, PartitionKey, Record};
pub use write::Written;

use crate::contexts;
use crate::error::{ErrorClass, ReadModelError};
use fold::Fold;
use loaded::{Keys, Loaded};

/// A partition stopped at a record it cannot apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub event_id: Option<String>,
    pub reason: String,
}

impl Fault {
    fn at(record: &Record, reason: String) -> Fault {
        Fault {
            topic: record.topic.to_string(),
            partition: record.partition,
            offset: record.offset,
            event_id: record.event_id().map(str::to_owned),
            reason,
        }
    }
}

/// What one call to [`Projection::apply`] did.
#[derive(Debug, Default, Clone)]
pub struct Applied {
    /// Events applied (records passed over or already applied not counted).
    pub events: u64,
    /// Partitions stopped by this batch.
    pub faults: Vec<Fault>,
    /// The next offset of every partition the batch moved.
    pub positions: Vec<(PartitionKey, i64)>,
    pub written: Written,
}

impl Applied {
    fn merge(&mut self, other: Applied) {
        self.events += other.events;
        self.faults.extend(other.faults);
        self.positions.extend(other.positions);
        self.written.inserted += other.written.inserted;
        self.written.updated += other.written.updated;
    }
}

/// One named projection (its rows and its offsets), as seen by one instance.
#[derive(Debug, Clone)]
pub struct Projection {
    pub name: String,
    pool: PgPool,
    /// Who this instance is in the offsets table's `owner` column.
    pub instance: String,
    /// How long a claim on a partition lasts without a heartbeat.
    pub lease: Duration,
}

impl Projection {
    pub fn new(name: impl Into<String>, pool: PgPool, instance: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            pool,
            instance: instance.into(),
            lease: Duration::from_secs(6),
        }
    }

    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies `records` (in consumption order) for the partitions this
    /// instance holds in `claims`.
    pub async fn apply(
        &self,
        claims: &Claims,
        records: &[Record],
    ) -> Result<Applied, ReadModelError> {
        match self.apply_set(claims, records).await {
            Err(err) if err.class() == ErrorClass::BadData && records.len() > 1 => {
                tracing::warn!(error = %err, records = records.len(), "batch refused as bad data; locating the record one at a time");
                self.apply_one_by_one(claims, records).await
            }
            Err(err) if err.class() == ErrorClass::BadData => match records.first() {
                Some(record) => self.fault_at(claims, record, &err.to_string()).await,
                None => Ok(Applied::default()),
            },
            other => other,
        }
    }

    async fn apply_one_by_one(
        &self,
        claims: &Claims,
        records: &[Record],
    ) -> Result<Applied, ReadModelError> {
        let mut done = Applied::default();
        let mut stopped: Vec<PartitionKey> = Vec::new();
        for record in records {
            if stopped.contains(&record.key()) {
                continue;
            }
            let one = match self.apply_set(claims, std::slice::from_ref(record)).await {
                Err(err) if err.class() == ErrorClass::BadData => {
                    self.fault_at(claims, record, &err.to_string()).await?
                }
                other => other?,
            };
            if !one.faults.is_empty() {
                stopped.push(record.key());
            }
            done.merge(one);
        }
        Ok(done)
    }

    /// Stops `record`'s partition at its offset, in a transaction of its own.
    async fn fault_at(
        &self,
        claims: &Claims,
        record: &Record,
        reason: &str,
    ) -> Result<Applied, ReadModelError> {
        let mut tx = self.pool.begin().await?;
        let key = record.key();
        let stored = claims::lock(&mut tx, &self.name, claims, std::slice::from_ref(&key)).await?;
        let fault = Fault::at(record, reason.to_owned());
        let mut applied = Applied::default();
        if stored
            .get(&key)
            .is_some_and(|at| at.next_offset <= record.offset)
        {
            let positions = vec![(key, record.offset)];
            claims::advance(&mut tx, self, claims, &positions).await?;
            record_faults(&mut tx, &self.name, std::slice::from_ref(&fault)).await?;
            applied.faults.push(fault);
            applied.positions = positions;
        }
        tx.commit().await?;
        Ok(applied)
    }

    async fn apply_set(
        &self,
        claims: &Claims,
        records: &[Record],
    ) -> Result<Applied, ReadModelError> {
        let mut tx = self.pool.begin().await?;
        let mut partitions: Vec<PartitionKey> = records.iter().map(Record::key).collect();
        partitions.sort();
        partitions.dedup();
        let stored = claims::lock(&mut tx, &self.name, claims, &partitions).await?;
        // Records below the stored offset were applied already (by this
        // instance before a retry, or by the previous owner).
        let records: Vec<&Record> = records
            .iter()
            .filter(|r| {
                stored
                    .get(&r.key())
                    .is_some_and(|at| r.offset >= at.next_offset)
            })
            .collect();

        let mut keys = Keys::default();
        for record in &records {
            if let Body::Event(event) = &record.body {
                if let Some(payload) = &event.payload {
                    contexts::keys(payload, &mut keys);
                }
            }
        }
        let loaded = Loaded::fetch(&mut tx, &keys).await?;
        let acknowledged = acknowledged(&mut tx, &self.name, &records).await?;
        let (fold, stops, events) = fold_all(&loaded, &records, &acknowledged);

        let mut next: BTreeMap<PartitionKey, i64> = BTreeMap::new();
        for record in &records {
            let slot = next.entry(record.key()).or_insert(record.offset + 1);
            *slot = (*slot).max(record.offset + 1);
        }
        for (key, fault) in &stops {
            next.insert(key.clone(), fault.offset);
        }
        let positions: Vec<(PartitionKey, i64)> = next.into_iter().collect();

        let written = write::write(&mut tx, &fold).await?;
        drop(fold);
        claims::advance(&mut tx, self, claims, &positions).await?;
        let faults: Vec<Fault> = stops.into_values().collect();
        record_faults(&mut tx, &self.name, &faults).await?;
        // Only partitions that had a fault and moved past it.
        let cleared: Vec<(PartitionKey, i64)> = positions
            .iter()
            .filter(|(key, _)| stored.get(key).is_some_and(|at| at.faulted))
            .cloned()
            .collect();
        clear_faults(&mut tx, &self.name, &cleared, &faults).await?;
        tx.commit().await?;
        Ok(Applied {
            events,
            faults,
            positions,
            written,
        })
    }
}

/// Folds the records in order. An event that cannot be applied stops its
/// partition; since it may have left part of itself in the fold, the fold is
/// made again without that partition's records from there on.
fn fold_all<'l>(
    loaded: &'l Loaded,
    records: &[&Record],
    acknowledged: &HashSet<(PartitionKey, i64)>,
) -> (Fold<'l>, HashMap<PartitionKey, Fault>, u64) {
    let mut stops: HashMap<PartitionKey, Fault> = HashMap::new();
    'again: loop {
        let mut fold = Fold::new(loaded);
        let mut events = 0;
        for record in records {
            let key = record.key();
            if stops.get(&key).is_some_and(|f| f.offset <= record.offset) {
                continue;
            }
            let fault = |reason: String| Fault::at(record, reason);
            match &record.body {
                Body::Skip => {}
                // Acknowledged by ops (`ledgerctl acknowledge`): passed over.
                Body::Undecodable(_) if acknowledged.contains(&(key.clone(), record.offset)) => {}
                Body::Undecodable(reason) => {
                    stops.insert(key, fault(reason.clone()));
                }
                Body::Event(event) => {
                    match contexts::fold_event(
                        &mut fold,
                        &record.topic,
                        record.partition,
                        record.offset,
                        event,
                    ) {
                        Ok(()) => events += 1,
                        Err(fold::Inapplicable(reason)) => {
                            stops.insert(key, fault(reason));
                            continue 'again;
                        }
                    }
                }
            }
        }
        return (fold, stops, events);
    }
}

/// Which of the batch's unreadable records ops have acknowledged.
async fn acknowledged(
    conn: &mut sqlx::PgConnection,
    projection: &str,
    records: &[&Record],
) -> Result<HashSet<(PartitionKey, i64)>, sqlx::Error> {
    let refused: Vec<&&Record> = records
        .iter()
        .filter(|r| matches!(r.body, Body::Undecodable(_)))
        .collect();
    if refused.is_empty() {
        return Ok(HashSet::new());
    }
    let topics: Vec<String> = refused.iter().map(|r| r.topic.to_string()).collect();
    let partitions: Vec<i32> = refused.iter().map(|r| r.partition).collect();
    let offsets: Vec<i64> = refused.iter().map(|r| r.offset).collect();
    let rows: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT a.topic, a.partition, a.\"offset\" FROM ledger_ops.acknowledged_records a
         JOIN unnest($2::text[], $3::int4[], $4::int8[]) AS k(topic, partition, at)
           ON a.topic = k.topic AND a.partition = k.partition AND a.\"offset\" = k.at
         WHERE a.projection = $1",
    )
    .bind(projection)
    .bind(topics)
    .bind(partitions)
    .bind(offsets)
    .fetch_all(&mut *conn)
    .await?;
    Ok(refused
        .iter()
        .filter(|r| {
            rows.iter()
                .any(|(t, p, o)| **t == *r.topic && *p == r.partition && *o == r.offset)
        })
        .map(|r| (r.key(), r.offset))
        .collect())
}

async fn record_faults(
    conn: &mut sqlx::PgConnection,
    projection: &str,
    faults: &[Fault],
) -> Result<(), sqlx::Error> {
    for f in faults {
        tracing::error!(projection, topic = %f.topic, partition = f.partition, offset = f.offset,
            event_id = f.event_id.as_deref(), reason = %f.reason, "partition stopped: event cannot be applied");
        sqlx::query(
            "INSERT INTO projection_faults (projection, topic, partition, \"offset\", event_id, error)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (projection, topic, partition)
             DO UPDATE SET \"offset\" = EXCLUDED.\"offset\", event_id = EXCLUDED.event_id,
                           error = EXCLUDED.error, detected_at = now()",
        )
        .bind(projection)
        .bind(&f.topic)
        .bind(f.partition)
        .bind(f.offset)
        .bind(&f.event_id)
        .bind(&f.reason)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A partition that moves again has been dealt with: its fault goes.
async fn clear_faults(
    conn: &mut sqlx::PgConnection,
    projection: &str,
    positions: &[(PartitionKey, i64)],
    faults: &[Fault],
) -> Result<(), sqlx::Error> {
    let (topics, partitions): (Vec<String>, Vec<i32>) = positions
        .iter()
        .filter(|((t, p), _)| !faults.iter().any(|f| *f.topic == **t && f.partition == *p))
        .map(|((t, p), _)| (t.to_string(), *p))
        .unzip();
    if topics.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "DELETE FROM projection_faults f USING unnest($2::text[], $3::int4[]) AS k(topic, partition)
         WHERE f.projection = $1 AND f.topic = k.topic AND f.partition = k.partition",
    )
    .bind(projection)
    .bind(topics)
    .bind(partitions)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
