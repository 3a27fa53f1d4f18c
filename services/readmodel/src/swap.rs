//! Connections that follow a schema swap.
//!
//! `ledgerctl swap` renames schemas under running services and announces it
//! with `NOTIFY` on [`SWAP_CHANNEL`]. A pooled connection holds statements
//! prepared against the tables it saw; so every pool made here listens, and
//! after a swap hands out only connections opened after it (older ones are
//! closed as they come back). No restart is needed.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};
use std::time::{Duration, Instant};

use sqlx::{postgres::PgListener, postgres::PgPoolOptions, Executor, PgPool};

use crate::ReadModelError;

/// The channel `ledgerctl swap` notifies in its transaction.
pub const SWAP_CHANNEL: &str = "ledger_readmodel_swapped";

/// How long a caller waits for a connection before the database counts as
/// unreachable.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Connects to PostgreSQL and brings the schema up to date (the projector's
/// role, which owns the read model).
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, ReadModelError> {
    connect_with(url, max_connections, None, Migrate::Yes).await
}

/// Connects without migrating: the read API's role may only read, and the
/// projector keeps the schema up to date.
pub async fn connect_reader(url: &str, max_connections: u32) -> Result<PgPool, ReadModelError> {
    connect_with(url, max_connections, None, Migrate::No).await
}

/// Whether a pool brings the schema up to date when it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Migrate {
    Yes,
    No,
}

/// Like [`connect`], with every connection's search path set to `schema`
/// first (a rebuild's shadow schema).
pub async fn connect_in(
    url: &str,
    schema: &str,
    max_connections: u32,
) -> Result<PgPool, ReadModelError> {
    connect_with(url, max_connections, Some(schema.to_owned()), Migrate::Yes).await
}

async fn connect_with(
    url: &str,
    max_connections: u32,
    schema: Option<String>,
    migrate: Migrate,
) -> Result<PgPool, ReadModelError> {
    let born = Instant::now();
    // Milliseconds after `born` of the last swap seen (0: none).
    let swapped = Arc::new(AtomicU64::new(0));
    let seen = swapped.clone();
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        // An unreachable database is an outage to report (and retry), not
        // half a minute of silence inside `acquire`.
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(move |conn, _| {
            let schema = schema.clone();
            Box::pin(async move {
                if let Some(schema) = schema {
                    conn.execute(format!("SET search_path TO {schema}").as_str())
                        .await?;
                }
                Ok(())
            })
        })
        .before_acquire(move |_conn, meta| {
            let at = seen.load(Ordering::Relaxed);
            let opened_before_swap =
                at > 0 && meta.age > born.elapsed().saturating_sub(Duration::from_millis(at));
            Box::pin(async move { Ok(!opened_before_swap) })
        })
        .connect(url)
        .await?;
    match migrate {
        Migrate::Yes => crate::MIGRATOR.run(&pool).await?,
        Migrate::No => {}
    }
    tokio::spawn(listen(url.to_owned(), pool.clone(), born, swapped));
    Ok(pool)
}

/// Follows the swap channel for as long as the pool is open. A lost
/// listening connection counts as a swap (one may have happened meanwhile).
async fn listen(url: String, pool: PgPool, born: Instant, swapped: Arc<AtomicU64>) {
    let mark = || {
        swapped.store(
            (born.elapsed().as_millis() as u64).max(1),
            Ordering::Relaxed,
        )
    };
    while !pool.is_closed() {
        let mut listener = match PgListener::connect(&url).await {
            Ok(listener) => listener,
            Err(_) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if listener.listen(SWAP_CHANNEL).await.is_err() {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        loop {
            let next = tokio::time::timeout(Duration::from_secs(2), listener.try_recv()).await;
            match next {
                Err(_) if pool.is_closed() => return,
                Err(_) => {}
                Ok(Ok(Some(_))) => {
                    tracing::info!("read model schemas swapped: pooled connections are renewed");
                    mark();
                }
                Ok(Ok(None)) | Ok(Err(_)) => {
                    mark();
                    break;
                }
            }
        }
    }
}
