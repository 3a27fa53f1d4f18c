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
    time::Duration,
};

use ledger_kafka::{read_from, KafkaConfig, Topics};
use ledger_readmodel::{Body, Claims, Fault, PartitionKey, Projection, Record, Written};
use serde::Serialize;
use sqlx::{postgres::PgPoolOptions, PgPool};
use time::Date;
use tokio::sync::mpsc;

/// Tables of a read-model schema that `verify` does not compare: the
/// projection's own bookkeeping, which two builds keep differently by
/// nature. Every other table is compared, so a table a migration adds is
/// verified without being listed here.
const BOOKKEEPING: [&str; 5] = [
    "_sqlx_migrations",
    "projection_offsets",
    "projection_faults",
    "projection_outages",
    "projector_instances",
];

/// The columns of a table that differ by construction between two builds
/// (sequence numbers).
fn volatile(table: &str) -> &'static [&'static str] {
    match table {
        "postings" => &["posting_seq"],
        _ => &[],
    }
}

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

/// A pool whose connections see `schema` first (schema migrated).
pub async fn pool_in(
    database_url: &str,
    schema: &str,
    connections: u32,
) -> Result<PgPool, RebuildError> {
    check_schema(schema)?;
    Ok(ledger_readmodel::connect_in(database_url, schema, connections).await?)
}

/// What a rebuild did.
#[derive(Debug, Clone, Serialize)]
pub struct Rebuilt {
    pub schema: String,
    pub events: u64,
    /// Events later than `--until`, read but not applied.
    pub skipped: u64,
    pub seconds: f64,
    /// Of which building the deferred indexes and constraints at the end.
    pub index_seconds: f64,
    /// Rows inserted and updated in the shadow's tables.
    pub rows_inserted: u64,
    pub rows_updated: u64,
    /// Partitions stopped at a record they cannot apply (the rebuild is not
    /// complete while any is listed).
    pub faults: Vec<FaultSeen>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FaultSeen {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub event_id: Option<String>,
    pub reason: String,
}

impl From<Fault> for FaultSeen {
    fn from(f: Fault) -> Self {
        FaultSeen {
            topic: f.topic,
            partition: f.partition,
            offset: f.offset,
            event_id: f.event_id,
            reason: f.reason,
        }
    }
}

/// What the rebuild is asked to do.
pub struct Plan<'a> {
    pub database_url: &'a str,
    pub schema: &'a str,
    pub projection: &'a str,
    pub kafka: &'a KafkaConfig,
    pub topics: &'a Topics,
    /// The keys trusted to sign each context's events.
    pub ring: &'a ledger_domain::signing::KeyRing,
    /// Leave out events effective after this date.
    pub until: Option<Date>,
    /// Records per transaction.
    pub batch: usize,
}

/// Rebuilds every projection of the event topics into `schema` (created if
/// need be), from the offsets it already holds, through the same engine as
/// the live projector. The tables are loaded without their secondary indexes
/// and constraints, which are built once at the end. With `until`, events
/// effective after that date are passed over: the books as they stood then.
/// `progress` is called with the number of records read so far.
pub async fn rebuild(
    plan: Plan<'_>,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<Rebuilt, RebuildError> {
    let started = std::time::Instant::now();
    let schema = plan.schema;
    check_schema(schema)?;
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(plan.database_url)
        .await?;
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let pool = pool_in(plan.database_url, schema, 8).await?;
    let instance = format!("ledgerctl-rebuild:{}", std::process::id());
    // The shadow is read by nobody: the rebuild takes every partition, and
    // a rebuild started again after a kill takes them back.
    let projection = Projection::new(plan.projection, pool.clone(), instance)
        .with_lease(Duration::from_secs(24 * 3600));
    let mut all: Vec<PartitionKey> = Vec::new();
    for topic in plan.topics.event_topics() {
        let name: Arc<str> = Arc::from(topic);
        for partition in ledger_kafka::partitions(plan.kafka, topic).await? {
            all.push((name.clone(), partition));
        }
    }
    let mut claims = projection.claim_all(&all).await?;
    let deferred = ledger_readmodel::engine::defer_indexes(&pool).await?;
    tracing::info!(
        deferred,
        "secondary indexes and constraints deferred to the end"
    );
    let stored = projection.positions(&all).await?;

    let read = Arc::new(AtomicU64::new(0));
    let skipped = Arc::new(AtomicU64::new(0));
    let progress = Arc::new(progress);
    let shared = Arc::new(claims.clone());
    let mut writers = Vec::new();
    let mut readers = Vec::new();
    for topic in plan.topics.event_topics() {
        let start: HashMap<i32, i64> = stored
            .iter()
            .filter(|((t, _), _)| &**t == topic)
            .map(|((_, p), o)| (*p, *o))
            .collect();
        // Each partition has a writer of its own: partitions touch disjoint
        // rows (an envelope and all its grants share one), so their
        // transactions overlap without waiting for each other.
        let mut senders = HashMap::new();
        for (_, partition) in all.iter().filter(|(t, _)| &**t == topic) {
            let (tx, rx) = mpsc::channel::<Vec<Record>>(4);
            senders.insert(*partition, tx);
            writers.push(tokio::spawn(write_partition(
                projection.clone(),
                shared.clone(),
                rx,
            )));
        }
        readers.push(tokio::spawn(read_topic(
            Source {
                kafka: plan.kafka.clone(),
                ring: Arc::new(plan.ring.clone()),
            },
            Arc::from(topic),
            start,
            senders,
            plan.until,
            plan.batch,
            (read.clone(), skipped.clone(), progress.clone()),
        )));
    }
    // A writer's error is the cause; its reader only sees the channel
    // closing: report the writer's first.
    let mut first_error = None;
    let mut reader_error = None;
    let mut written = Written::default();
    let mut faults = Vec::new();
    for task in writers {
        match task.await {
            Ok(Ok((w, f))) => {
                written.inserted += w.inserted;
                written.updated += w.updated;
                faults.extend(f.into_iter().map(FaultSeen::from));
            }
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
    let indexing = std::time::Instant::now();
    ledger_readmodel::engine::restore_indexes(&pool).await?;
    let index_seconds = indexing.elapsed().as_secs_f64();
    sqlx::query("ANALYZE").execute(&pool).await?;
    // Free for the live projector once this schema is swapped in.
    projection.leave(&mut claims).await?;
    pool.close().await;
    Ok(Rebuilt {
        schema: schema.to_owned(),
        events: read.load(Ordering::Relaxed),
        skipped: skipped.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
        index_seconds,
        rows_inserted: written.inserted,
        rows_updated: written.updated,
        faults,
    })
}

type Counters<P> = (Arc<AtomicU64>, Arc<AtomicU64>, Arc<P>);

/// Reads one topic from the stored offsets to its end, in batches per
/// partition.
/// Where the records come from, and the keys their signatures are checked
/// against.
struct Source {
    kafka: KafkaConfig,
    ring: Arc<ledger_domain::signing::KeyRing>,
}

async fn read_topic<P: Fn(u64) + Send + Sync + 'static>(
    Source { kafka, ring }: Source,
    topic: Arc<str>,
    start: HashMap<i32, i64>,
    senders: HashMap<i32, mpsc::Sender<Vec<Record>>>,
    until: Option<Date>,
    batch: usize,
    (read, skipped, progress): Counters<P>,
) -> Result<(), RebuildError> {
    let outs = senders.clone();
    let name = topic.clone();
    // Raw records per partition, decoded and verified a batch at a time:
    // signatures are checked in one batch verification each.
    let prepare = move |partition: i32, raws: Vec<(i64, Vec<u8>)>| -> Vec<Record> {
        let items: Vec<(Arc<str>, i32, i64, &[u8])> = raws
            .iter()
            .map(|(offset, bytes)| (name.clone(), partition, *offset, bytes.as_slice()))
            .collect();
        let mut records = Record::decode_many(&items, &ring);
        if let Some(until) = until {
            for record in &mut records {
                if let Body::Event(event) = &record.body {
                    let later =
                        ledger_domain::dates::parse_date("effective_date", &event.effective_date)
                            .map(|d| d > until)
                            .unwrap_or(false);
                    if later {
                        skipped.fetch_add(1, Ordering::Relaxed);
                        record.body = Body::Skip;
                    }
                }
            }
        }
        records
    };
    let prepare = Arc::new(prepare);
    let prepare_tail = prepare.clone();
    let pending = read_from(
        &kafka,
        &topic,
        &start,
        HashMap::<i32, Vec<(i64, Vec<u8>)>>::new(),
        move |pending, raw| {
            let n = read.fetch_add(1, Ordering::Relaxed) + 1;
            if n % 5_000 == 0 {
                progress(n);
            }
            let slot = pending.entry(raw.partition).or_default();
            slot.push((raw.offset, raw.payload));
            if slot.len() >= batch {
                let out = outs
                    .get(&raw.partition)
                    .ok_or("a partition added during the rebuild")?;
                out.blocking_send(prepare(raw.partition, std::mem::take(slot)))
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        },
    )
    .await?;
    for (partition, raws) in pending {
        if let Some(out) = senders.get(&partition) {
            if !raws.is_empty() {
                let _ = out.send(prepare_tail(partition, raws)).await;
            }
        }
    }
    Ok(())
}

/// Applies one partition's batches as they come; a database outage is
/// waited out, a fault stops the partition (its later records are read and
/// left).
async fn write_partition(
    projection: Projection,
    claims: Arc<Claims>,
    mut rx: mpsc::Receiver<Vec<Record>>,
) -> Result<(Written, Vec<Fault>), RebuildError> {
    let mut written = Written::default();
    let mut faults = Vec::new();
    while let Some(records) = rx.recv().await {
        if !faults.is_empty() {
            continue;
        }
        let mut delay = Duration::from_millis(100);
        let applied = loop {
            match projection.apply(&claims, &records).await {
                Err(err) if err.is_outage() => {
                    tracing::warn!(error = %err, "read model unavailable; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                other => break other?,
            }
        };
        written.inserted += applied.written.inserted;
        written.updated += applied.written.updated;
        faults.extend(applied.faults);
    }
    Ok((written, faults))
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
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 AND NOT tablename = ANY($2)
         ORDER BY tablename",
    )
    .bind(live)
    .bind(BOOKKEEPING.as_slice())
    .fetch_all(&pool)
    .await?;
    let mut checks = Vec::new();
    for table in tables {
        let row = row_expr(volatile(&table));
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
            table,
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
/// is kept as `retired`. Services notice (see `ledger_readmodel::connect`)
/// and renew their connections; the live projector finds its claims gone
/// with the old schema, claims the new one's partitions and resumes from
/// the offsets the rebuild left.
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
    // Running projectors and read APIs renew their connections on this
    // (delivered at commit), so they see the new tables without a restart.
    sqlx::query(&format!("NOTIFY {}", ledger_readmodel::SWAP_CHANNEL))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    pool.close().await;
    Ok(())
}
