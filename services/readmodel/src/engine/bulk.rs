//! Bulk loading: a rebuild writes into tables stripped of their secondary
//! indexes, unique and foreign-key constraints, and builds them once at the
//! end (PostgreSQL builds an index from sorted rows far faster than it
//! maintains one row by row). Primary keys stay: the engine's updates find
//! rows by them.
//!
//! What was dropped is written down in the schema itself
//! (`rebuild_deferred`), so a rebuild killed midway and started again knows
//! what is still to be restored.

use sqlx::PgPool;

/// Projection bookkeeping keeps its constraints: claims and offsets are
/// looked up by them on every batch.
const KEPT: [&str; 5] = [
    "projection_offsets",
    "projection_faults",
    "projector_instances",
    "projection_outages",
    "_sqlx_migrations",
];

/// Drops the secondary indexes and the unique and foreign-key constraints
/// of the read model's tables in the current schema (first in the
/// connection's search path), remembering their definitions. Does nothing
/// if they were dropped already.
pub async fn defer_indexes(pool: &PgPool) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS rebuild_deferred (
             seq        serial PRIMARY KEY,
             table_name text NOT NULL,
             name       text NOT NULL,
             kind       text NOT NULL,
             definition text NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    let already: i64 = sqlx::query_scalar("SELECT count(*) FROM rebuild_deferred")
        .fetch_one(&mut *tx)
        .await?;
    if already > 0 {
        tx.commit().await?;
        return Ok(0);
    }
    // Foreign keys first (they depend on the unique indexes), then unique
    // constraints, then plain indexes; restored in the reverse order.
    let constraints: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, c.conname, c.contype::text, pg_get_constraintdef(c.oid)
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
         WHERE t.relnamespace = current_schema()::regnamespace AND c.contype IN ('f', 'u')
           AND NOT (t.relname = ANY($1))
         ORDER BY c.contype = 'u', c.conname",
    )
    .bind(KEPT.map(str::to_owned).to_vec())
    .fetch_all(&mut *tx)
    .await?;
    let indexes: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT t.relname::text, i.relname::text, pg_get_indexdef(i.oid)
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         WHERE t.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
           AND NOT (t.relname = ANY($1)) AND t.relname <> 'rebuild_deferred'
         ORDER BY i.relname",
    )
    .bind(KEPT.map(str::to_owned).to_vec())
    .fetch_all(&mut *tx)
    .await?;
    let count = constraints.len() + indexes.len();
    for (table, name, kind, definition) in constraints {
        sqlx::query("INSERT INTO rebuild_deferred (table_name, name, kind, definition) VALUES ($1, $2, $3, $4)")
            .bind(&table)
            .bind(&name)
            .bind(&kind)
            .bind(&definition)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\""))
            .execute(&mut *tx)
            .await?;
    }
    for (table, name, definition) in indexes {
        sqlx::query("INSERT INTO rebuild_deferred (table_name, name, kind, definition) VALUES ($1, $2, 'i', $3)")
            .bind(&table)
            .bind(&name)
            .bind(&definition)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("DROP INDEX \"{name}\""))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(count)
}

/// Builds again what [`defer_indexes`] dropped: plain and unique indexes
/// first, foreign keys last. A row that breaks a constraint makes this
/// fail, naming the constraint.
pub async fn restore_indexes(pool: &PgPool) -> Result<usize, sqlx::Error> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'rebuild_deferred'
                        AND relnamespace = current_schema()::regnamespace)",
    )
    .fetch_one(pool)
    .await?;
    if !exists {
        return Ok(0);
    }
    let deferred: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name, name, kind, definition FROM rebuild_deferred
         ORDER BY kind = 'f', kind = 'u', seq",
    )
    .fetch_all(pool)
    .await?;
    let count = deferred.len();
    let mut tx = pool.begin().await?;
    // Index builds may use more memory than a row-by-row load.
    sqlx::query("SET LOCAL maintenance_work_mem = '256MB'")
        .execute(&mut *tx)
        .await?;
    for (table, name, kind, definition) in deferred {
        let sql = match kind.as_str() {
            "i" => definition,
            _ => format!("ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {definition}"),
        };
        sqlx::query(&sql).execute(&mut *tx).await?;
    }
    sqlx::query("DROP TABLE rebuild_deferred")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(count)
}
