//! Rebuilding the read model from offset zero into a shadow schema while the
//! live one keeps serving, comparing the two, and swapping them.
//!
//! The shadow is an ordinary PostgreSQL schema holding the same tables,
//! filled by the projection code itself, offsets in the same transactions as
//! the rows: a rebuild killed at any point and started again resumes from the
//! offsets the shadow holds, neither losing nor doubling an event.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use ledger_kafka::{read_from, KafkaConfig, Topics};
use ledger_proto::v1::EventEnvelope;
use ledger_readmodel::{ConsumedEvent, PartitionOffset, Projection};
use prost::Message;
use serde::Serialize;
use sqlx::{postgres::PgPoolOptions, Executor, PgPool};
use time::Date;
use tokio::sync::mpsc;

/// Tables of the read model compared by `verify`, and the columns that
/// differ by construction between two builds (sequence numbers, clocks).
const TABLES: [(&str, &[&str]); 15] = [
    ("events", &[]),
    ("programmes", &[]),
    ("envelopes", &[]),
    ("grants", &[]),
    ("postings", &["posting_seq"]),
    ("loans", &[]),
    ("guarantees", &[]),
    ("obligations", &[]),
    ("centres", &[]),
    ("centre_activity", &[]),
    ("members", &[]),
    ("posts", &[]),
    ("employments", &[]),
    ("installations", &[]),
    ("targets", &[]),
];

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("read model: {0}")]
    ReadModel(#[from] ledger_readmodel::ReadModelError),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("kafka: {0}")]
    Kafka(#[from] ledger_kafka::KafkaError),
    #[error("{0}")]
    Invalid(String),
}

/// A schema name we create and rename: letters, digits and underscores.
pub fn check_schema(name: &str) -> Result<(), RebuildError> {
    let ok = !name.is_empty()
        && name.len() <= 60
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(RebuildError::Invalid(format!(
            "schema {name:?}: lower-case letters, digits and _ only"
        )))
    }
}

/// A pool whose connections see `schema` first.
pub async fn pool_in(
    database_url: &str,
    schema: &str,
    connections: u32,
) -> Result<PgPool, RebuildError> {
    check_schema(schema)?;
    let set = format!("SET search_path TO {schema}");
    Ok(PgPoolOptions::new()
        .max_connections(connections)
        .after_connect(move |conn, _| {
            let set = set.clone();
            Box::pin(async move {
                conn.execute(set.as_str()).await?;
                Ok(())
            })
        })
        .connect(database_url)
        .await?)
}

/// What a rebuild did.
#[derive(Debug, Clone, Serialize)]
pub struct Rebuilt {
    pub schema: String,
    pub events: u64,
    /// Events later than `--until`, read but not applied.
    pub skipped: u64,
    pub seconds: f64,
}

/// Rebuilds every projection of the event topics into `schema` (created if
/// need be), from the offsets it already holds. With `until`, events
/// effective after that date are left out: the books as they stood then.
/// `progress` is called with the number of events read so far.
pub async fn rebuild(
    database_url: &str,
    schema: &str,
    kafka: &KafkaConfig,
    topics: &Topics,
    until: Option<Date>,
    batch: usize,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<Rebuilt, RebuildError> {
    let started = std::time::Instant::now();
    check_schema(schema)?;
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(database_url)
        .await?;
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let pool = pool_in(database_url, schema, 8).await?;
    ledger_readmodel::MIGRATOR.run(&pool).await?;
    let projection = Projection::new("ledger", pool.clone());
    let stored: HashMap<(String, i32), i64> = projection
        .offsets()
        .await?
        .into_iter()
        .map(|o| ((o.topic, o.partition), o.next_offset))
        .collect();

    // Every topic is read on its own thread; each partition has a writer
    // of its own (partitions touch disjoint rows: an envelope and all its
    // grants share one), so transactions of different partitions overlap.
    let read = Arc::new(AtomicU64::new(0));
    let skipped = Arc::new(AtomicU64::new(0));
    let progress = Arc::new(progress);
    let mut readers = Vec::new();
    let mut writers = Vec::new();
    for topic in topics.event_topics() {
        let start: HashMap<i32, i64> = stored
            .iter()
            .filter(|((t, _), _)| t == topic)
            .map(|((_, p), o)| (*p, *o))
            .collect();
        let mut senders = HashMap::new();
        for partition in ledger_kafka::partitions(kafka, topic).await? {
            let (tx, mut rx) = mpsc::channel::<Vec<ConsumedEvent>>(4);
            senders.insert(partition, tx);
            let projection = projection.clone();
            writers.push(tokio::spawn(async move {
                while let Some(events) = rx.recv().await {
                    let advance = advance_over(&events);
                    let applied: Vec<ConsumedEvent> = events
                        .into_iter()
                        .filter(|e| e.event.payload.is_some())
                        .collect();
                    projection.apply_batch(&applied, &advance).await?;
                }
                Ok::<_, RebuildError>(())
            }));
        }
        let (kafka, topic) = (kafka.clone(), topic.to_owned());
        let (read, skipped, progress) = (read.clone(), skipped.clone(), progress.clone());
        readers.push(tokio::spawn(async move {
            let name = topic.clone();
            let outs = senders.clone();
            let pending = read_from(
                &kafka,
                &topic,
                &start,
                HashMap::<i32, Vec<ConsumedEvent>>::new(),
                move |pending, record| {
                    let event = EventEnvelope::decode(record.payload.as_slice())?;
                    let n = read.fetch_add(1, Ordering::Relaxed) + 1;
                    if n % 5_000 == 0 {
                        progress(n);
                    }
                    let later = until.is_some_and(|until| {
                        ledger_domain::dates::parse_date("effective_date", &event.effective_date)
                            .map(|d| d > until)
                            .unwrap_or(false)
                    });
                    if later {
                        skipped.fetch_add(1, Ordering::Relaxed);
                    }
                    let slot = pending.entry(record.partition).or_default();
                    // A later event is replaced by an empty one: it is not
                    // applied, but its offset is passed.
                    slot.push(ConsumedEvent {
                        topic: name.clone(),
                        partition: record.partition,
                        offset: record.offset,
                        event: if later {
                            EventEnvelope::default()
                        } else {
                            event
                        },
                    });
                    if slot.len() >= batch {
                        let out = outs
                            .get(&record.partition)
                            .ok_or("a partition added during the rebuild")?;
                        out.blocking_send(std::mem::take(slot))
                            .map_err(|e| e.to_string())?;
                    }
                    Ok(())
                },
            )
            .await?;
            for (partition, events) in pending {
                if let Some(out) = senders.get(&partition) {
                    if !events.is_empty() {
                        let _ = out.send(events).await;
                    }
                }
            }
            Ok::<_, RebuildError>(())
        }));
    }
    // A writer's error is the cause; its reader only sees the channel
    // closing: report the writer's first.
    let mut first_error = None;
    let mut reader_error = None;
    for task in writers {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                first_error.get_or_insert(err);
            }
            Err(join) => {
                first_error.get_or_insert(RebuildError::Invalid(format!("writer: {join}")));
            }
        }
    }
    for task in readers {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                reader_error.get_or_insert(err);
            }
            Err(join) => {
                reader_error.get_or_insert(RebuildError::Invalid(format!("reader: {join}")));
            }
        }
    }
    if let Some(err) = first_error.or(reader_error) {
        return Err(err);
    }
    pool.close().await;
    Ok(Rebuilt {
        schema: schema.to_owned(),
        events: read.load(Ordering::Relaxed),
        skipped: skipped.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The next offset of every partition the events cover.
fn advance_over(events: &[ConsumedEvent]) -> Vec<PartitionOffset> {
    let mut next: HashMap<(&str, i32), i64> = HashMap::new();
    for e in events {
        let slot = next.entry((e.topic.as_str(), e.partition)).or_insert(0);
        *slot = (*slot).max(e.offset + 1);
    }
    next.into_iter()
        .map(|((topic, partition), next_offset)| PartitionOffset {
            topic: topic.to_owned(),
            partition,
            next_offset,
        })
        .collect()
}

/// One table compared.
#[derive(Debug, Clone, Serialize)]
pub struct TableCheck {
    pub table: String,
    pub live_rows: i64,
    pub shadow_rows: i64,
    pub live_checksum: String,
    pub shadow_checksum: String,
    pub equal: bool,
    /// A few rows in one and not the other, as JSON, when they differ.
    pub only_live: Vec<String>,
    pub only_shadow: Vec<String>,
}

fn row_expr(columns: &[&str]) -> String {
    let mut expr = "to_jsonb(t)".to_owned();
    for c in columns {
        expr = format!("({expr} - '{c}')");
    }
    format!("{expr}::text")
}

/// Per-table row counts and checksums of `live` and `shadow`, with the
/// differing rows when they differ.
pub async fn verify(
    database_url: &str,
    live: &str,
    shadow: &str,
) -> Result<Vec<TableCheck>, RebuildError> {
    check_schema(live)?;
    check_schema(shadow)?;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(database_url)
        .await?;
    let mut checks = Vec::new();
    for (table, volatile) in TABLES {
        let row = row_expr(volatile);
        let sum = |schema: &str| {
            format!(
                "SELECT count(*), COALESCE(md5(string_agg(r, E'\\n' ORDER BY r)), '') FROM (SELECT {row} AS r FROM {schema}.{table} t) s"
            )
        };
        let (live_rows, live_checksum): (i64, String) =
            sqlx::query_as(&sum(live)).fetch_one(&pool).await?;
        let (shadow_rows, shadow_checksum): (i64, String) =
            sqlx::query_as(&sum(shadow)).fetch_one(&pool).await?;
        let equal = live_rows == shadow_rows && live_checksum == shadow_checksum;
        let diff = |a: &str, b: &str| {
            format!(
                "SELECT {row} FROM {a}.{table} t EXCEPT SELECT {row} FROM {b}.{table} t LIMIT 5"
            )
        };
        let (only_live, only_shadow) = if equal {
            (Vec::new(), Vec::new())
        } else {
            (
                sqlx::query_scalar(&diff(live, shadow))
                    .fetch_all(&pool)
                    .await?,
                sqlx::query_scalar(&diff(shadow, live))
                    .fetch_all(&pool)
                    .await?,
            )
        };
        checks.push(TableCheck {
            table: table.to_owned(),
            live_rows,
            shadow_rows,
            live_checksum,
            shadow_checksum,
            equal,
            only_live,
            only_shadow,
        });
    }
    pool.close().await;
    Ok(checks)
}

/// Makes `shadow` the live schema in one transaction; the previous live one
/// is kept as `retired`. Services holding connections must be restarted
/// afterwards (their prepared statements still point at the old tables).
pub async fn swap(
    database_url: &str,
    live: &str,
    shadow: &str,
    retired: &str,
) -> Result<(), RebuildError> {
    for s in [live, shadow, retired] {
        check_schema(s)?;
    }
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(database_url)
        .await?;
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("ALTER SCHEMA {live} RENAME TO {retired}"))
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!("ALTER SCHEMA {shadow} RENAME TO {live}"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    pool.close().await;
    Ok(())
}
