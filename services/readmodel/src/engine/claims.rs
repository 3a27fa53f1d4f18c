//! Who writes which partition: leases with epochs in `projection_offsets`.
//!
//! Instances of a projection share its partitions evenly. An instance claims
//! a partition that nobody holds (or whose lease ran out) by raising its
//! epoch; every write transaction locks the partition's offsets row and
//! checks the epoch first, so an instance that lost a partition cannot write
//! to it again, even if it wakes up in the middle of a batch. Heartbeats
//! renew the leases; a killed instance's partitions are free once its lease
//! has run out.

use std::collections::HashMap;

use sqlx::PgConnection;

use super::{PartitionKey, Projection};
use crate::error::ReadModelError;

/// The partitions this instance holds, with the epoch of its claim.
pub type Claims = HashMap<PartitionKey, i64>;

fn split(keys: &[PartitionKey]) -> (Vec<String>, Vec<i32>) {
    keys.iter().map(|(t, p)| (t.to_string(), *p)).unzip()
}

/// Where a locked partition stands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Locked {
    pub next_offset: i64,
    /// Whether a fault is recorded for it (to clear once it moves).
    pub faulted: bool,
}

/// Locks the offsets rows of `partitions` for this transaction and returns
/// where they stand; fenced if any is not held under the epoch in `claims`.
pub(crate) async fn lock(
    conn: &mut PgConnection,
    projection: &str,
    claims: &Claims,
    partitions: &[PartitionKey],
) -> Result<HashMap<PartitionKey, Locked>, ReadModelError> {
    if partitions.is_empty() {
        return Ok(HashMap::new());
    }
    let (topics, numbers) = split(partitions);
    let rows: Vec<(String, i32, i64, i64, bool)> = sqlx::query_as(
        "SELECT o.topic, o.partition, o.next_offset, o.epoch,
                EXISTS (SELECT 1 FROM projection_faults f WHERE f.projection = o.projection
                        AND f.topic = o.topic AND f.partition = o.partition)
         FROM projection_offsets o JOIN unnest($2::text[], $3::int4[]) AS k(topic, partition)
           ON o.topic = k.topic AND o.partition = k.partition
         WHERE o.projection = $1
         ORDER BY o.topic, o.partition
         FOR UPDATE OF o",
    )
    .bind(projection)
    .bind(topics)
    .bind(numbers)
    .fetch_all(&mut *conn)
    .await?;
    let by_name = named(partitions);
    let mut next = HashMap::new();
    for (topic, partition, next_offset, epoch, faulted) in rows {
        if let Some(key) = by_name
            .get(&(topic.as_str(), partition))
            .map(|k| (*k).clone())
        {
            if claims.get(&key) == Some(&epoch) {
                next.insert(
                    key,
                    Locked {
                        next_offset,
                        faulted,
                    },
                );
            }
        }
    }
    match partitions.iter().find(|k| !next.contains_key(*k)) {
        Some((topic, partition)) => Err(ReadModelError::Fenced {
            topic: topic.to_string(),
            partition: *partition,
        }),
        None => Ok(next),
    }
}

/// Moves the partitions to their new next offsets and renews their leases
/// (the rows are locked by [`lock`] in the same transaction).
pub(crate) async fn advance(
    conn: &mut PgConnection,
    projection: &Projection,
    claims: &Claims,
    positions: &[(PartitionKey, i64)],
) -> Result<(), ReadModelError> {
    if positions.is_empty() {
        return Ok(());
    }
    let mut c: (Vec<String>, Vec<i32>, Vec<i64>, Vec<i64>) = Default::default();
    for (key, next) in positions {
        c.0.push(key.0.to_string());
        c.1.push(key.1);
        c.2.push(*next);
        c.3.push(claims.get(key).copied().unwrap_or(-1));
    }
    let done = sqlx::query(
        "UPDATE projection_offsets o
         SET next_offset = d.next, updated_at = now(), lease_until = now() + make_interval(secs => $2)
         FROM unnest($3::text[], $4::int4[], $5::int8[], $6::int8[]) AS d(topic, partition, next, epoch)
         WHERE o.projection = $1 AND o.topic = d.topic AND o.partition = d.partition AND o.epoch = d.epoch",
    )
    .bind(&projection.name)
    .bind(projection.lease.as_secs_f64())
    .bind(c.0)
    .bind(c.1)
    .bind(c.2)
    .bind(c.3)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() as usize == positions.len() {
        Ok(())
    } else {
        let (topic, partition) = positions[0].0.clone();
        Err(ReadModelError::Fenced {
            topic: topic.to_string(),
            partition,
        })
    }
}

impl Projection {
    /// Makes sure every partition has an offsets row (at offset 0, held by
    /// nobody) so that it can be claimed.
    pub async fn register_partitions(&self, all: &[PartitionKey]) -> Result<(), ReadModelError> {
        let (topics, numbers) = split(all);
        sqlx::query(
            "INSERT INTO projection_offsets (projection, topic, partition, next_offset)
             SELECT $1, k.topic, k.partition, 0 FROM unnest($2::text[], $3::int4[]) AS k(topic, partition)
             ON CONFLICT (projection, topic, partition) DO NOTHING",
        )
        .bind(&self.name)
        .bind(topics)
        .bind(numbers)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes every partition whatever holds it (an ops tool rebuilding a
    /// shadow schema no projector reads). Returns the claims.
    pub async fn claim_all(&self, all: &[PartitionKey]) -> Result<Claims, ReadModelError> {
        self.register_partitions(all).await?;
        let (topics, numbers) = split(all);
        let rows: Vec<(String, i32, i64)> = sqlx::query_as(
            "UPDATE projection_offsets o SET owner = $2, epoch = o.epoch + 1,
                    lease_until = now() + make_interval(secs => $3)
             FROM unnest($4::text[], $5::int4[]) AS k(topic, partition)
             WHERE o.projection = $1 AND o.topic = k.topic AND o.partition = k.partition
             RETURNING o.topic, o.partition, o.epoch",
        )
        .bind(&self.name)
        .bind(&self.instance)
        .bind(self.lease.as_secs_f64())
        .bind(topics)
        .bind(numbers)
        .fetch_all(&self.pool)
        .await?;
        Ok(to_claims(all, rows))
    }

    /// The stored next offset of each partition.
    pub async fn positions(
        &self,
        keys: &[PartitionKey],
    ) -> Result<HashMap<PartitionKey, i64>, ReadModelError> {
        let (topics, numbers) = split(keys);
        let rows: Vec<(String, i32, i64)> = sqlx::query_as(
            "SELECT o.topic, o.partition, o.next_offset
             FROM projection_offsets o JOIN unnest($2::text[], $3::int4[]) AS k(topic, partition)
               ON o.topic = k.topic AND o.partition = k.partition
             WHERE o.projection = $1",
        )
        .bind(&self.name)
        .bind(topics)
        .bind(numbers)
        .fetch_all(&self.pool)
        .await?;
        Ok(to_claims(keys, rows))
    }

    /// The partitions of `keys` stopped at a record they cannot apply (a
    /// fault is recorded); one whose fault ops have dealt with
    /// (`ledgerctl acknowledge`) is no longer among them.
    pub async fn stopped(
        &self,
        keys: &[PartitionKey],
    ) -> Result<std::collections::HashSet<PartitionKey>, ReadModelError> {
        let rows: Vec<(String, i32)> =
            sqlx::query_as("SELECT topic, partition FROM projection_faults WHERE projection = $1")
                .bind(&self.name)
                .fetch_all(&self.pool)
                .await?;
        let by_name = named(keys);
        Ok(rows
            .iter()
            .filter_map(|(t, p)| by_name.get(&(t.as_str(), *p)).map(|k| (*k).clone()))
            .collect())
    }

    /// Heartbeat and rebalance: renews this instance's leases, drops the
    /// partitions it has lost, gives up those beyond its fair share, and
    /// claims free ones up to it. Returns whether `owned` changed.
    pub async fn balance(
        &self,
        all: &[PartitionKey],
        owned: &mut Claims,
    ) -> Result<bool, ReadModelError> {
        let before = owned.clone();
        let lease = self.lease.as_secs_f64();
        sqlx::query(
            "INSERT INTO projector_instances (projection, instance) VALUES ($1, $2)
             ON CONFLICT (projection, instance) DO UPDATE SET heartbeat_at = now()",
        )
        .bind(&self.name)
        .bind(&self.instance)
        .execute(&self.pool)
        .await?;
        // Instances silent for ten leases are gone for good.
        sqlx::query(
            "DELETE FROM projector_instances WHERE projection = $1 AND heartbeat_at < now() - make_interval(secs => $2 * 10)",
        )
        .bind(&self.name)
        .bind(lease)
        .execute(&self.pool)
        .await?;

        let held: Vec<(String, i32, i64)> = sqlx::query_as(
            "UPDATE projection_offsets SET lease_until = now() + make_interval(secs => $3)
             WHERE projection = $1 AND owner = $2 RETURNING topic, partition, epoch",
        )
        .bind(&self.name)
        .bind(&self.instance)
        .bind(lease)
        .fetch_all(&self.pool)
        .await?;
        let held = to_claims(all, held);
        owned.retain(|key, epoch| held.get(key) == Some(epoch));

        let live: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM projector_instances WHERE projection = $1 AND heartbeat_at > now() - make_interval(secs => $2)",
        )
        .bind(&self.name)
        .bind(lease)
        .fetch_one(&self.pool)
        .await?;
        let live = usize::try_from(live.max(1)).unwrap_or(1);
        let share = all.len().div_ceil(live);

        if owned.len() > share {
            let mut mine: Vec<PartitionKey> = owned.keys().cloned().collect();
            mine.sort();
            let extra: Vec<PartitionKey> = mine.split_off(share);
            self.release(&extra, owned).await?;
        } else if owned.len() < share {
            let free: Vec<PartitionKey> = all
                .iter()
                .filter(|k| !owned.contains_key(*k))
                .cloned()
                .collect();
            let (topics, numbers) = split(&free);
            let claimed: Vec<(String, i32, i64)> = sqlx::query_as(
                "WITH free AS (
                     SELECT o.topic, o.partition FROM projection_offsets o
                     JOIN unnest($4::text[], $5::int4[]) AS k(topic, partition)
                       ON o.topic = k.topic AND o.partition = k.partition
                     WHERE o.projection = $1 AND (o.owner IS NULL OR o.lease_until IS NULL OR o.lease_until < now())
                     ORDER BY o.topic, o.partition
                     LIMIT $6
                     FOR UPDATE OF o SKIP LOCKED)
                 UPDATE projection_offsets o SET owner = $2, epoch = o.epoch + 1,
                        lease_until = now() + make_interval(secs => $3)
                 FROM free WHERE o.projection = $1 AND o.topic = free.topic AND o.partition = free.partition
                 RETURNING o.topic, o.partition, o.epoch",
            )
            .bind(&self.name)
            .bind(&self.instance)
            .bind(lease)
            .bind(topics)
            .bind(numbers)
            .bind(i64::try_from(share - owned.len()).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
            owned.extend(to_claims(all, claimed));
        }
        Ok(*owned != before)
    }

    /// Gives up `keys` (at a clean shutdown, or beyond the fair share).
    pub async fn release(
        &self,
        keys: &[PartitionKey],
        owned: &mut Claims,
    ) -> Result<(), ReadModelError> {
        let (topics, numbers) = split(keys);
        let epochs: Vec<i64> = keys
            .iter()
            .map(|k| owned.get(k).copied().unwrap_or(-1))
            .collect();
        sqlx::query(
            "UPDATE projection_offsets o SET owner = NULL, lease_until = NULL
             FROM unnest($2::text[], $3::int4[], $4::int8[]) AS k(topic, partition, epoch)
             WHERE o.projection = $1 AND o.topic = k.topic AND o.partition = k.partition AND o.epoch = k.epoch",
        )
        .bind(&self.name)
        .bind(topics)
        .bind(numbers)
        .bind(epochs)
        .execute(&self.pool)
        .await?;
        for key in keys {
            owned.remove(key);
        }
        Ok(())
    }

    /// Leaves the projection: releases everything and forgets the instance.
    pub async fn leave(&self, owned: &mut Claims) -> Result<(), ReadModelError> {
        let keys: Vec<PartitionKey> = owned.keys().cloned().collect();
        self.release(&keys, owned).await?;
        sqlx::query("DELETE FROM projector_instances WHERE projection = $1 AND instance = $2")
            .bind(&self.name)
            .bind(&self.instance)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// The keys asked for, by topic name and partition (as rows name them).
fn named(keys: &[PartitionKey]) -> HashMap<(&str, i32), &PartitionKey> {
    keys.iter().map(|k| ((&*k.0, k.1), k)).collect()
}

/// Rows named by topic and partition, mapped back to the keys asked for.
fn to_claims(keys: &[PartitionKey], rows: Vec<(String, i32, i64)>) -> HashMap<PartitionKey, i64> {
    let by_name = named(keys);
    rows.into_iter()
        .filter_map(|(topic, partition, value)| {
            by_name
                .get(&(topic.as_str(), partition))
                .map(|k| ((*k).clone(), value))
        })
        .collect()
}
