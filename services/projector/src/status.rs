//! Health, metrics and the projection's status over HTTP.

use std::sync::{Arc, Mutex};

use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::get, Json, Router};
use ledger_readmodel::queries;
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use sqlx::PgPool;

#[derive(Clone)]
pub struct StatusState {
    pub pool: PgPool,
    pub projection: String,
    pub metrics: PrometheusHandle,
    pub live: Arc<Mutex<Live>>,
}

/// What the instance knows in memory, shown even while the database is
/// unreachable.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Live {
    pub instance: String,
    /// Partitions held: topic, partition, epoch of the claim.
    pub held: Vec<(String, i32, i64)>,
    /// The database outage in progress, if any.
    pub outage: Option<Outage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outage {
    #[serde(with = "time::serde::rfc3339")]
    pub since: time::OffsetDateTime,
    pub retries: u64,
    pub error: String,
}

#[derive(Serialize)]
struct Status {
    projection: String,
    healthy: bool,
    #[serde(flatten)]
    live: Live,
    positions: Vec<Position>,
    faults: Vec<queries::Fault>,
}

#[derive(Serialize, sqlx::FromRow)]
struct Position {
    topic: String,
    partition: i32,
    next_offset: i64,
}

pub fn router(state: StatusState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route(
            "/metrics",
            get(|State(s): State<StatusState>| async move { s.metrics.render() }),
        )
        .route("/status", get(status))
        .with_state(state)
}

async fn ready(State(state): State<StatusState>) -> impl IntoResponse {
    match sqlx::query("SELECT 1").execute(&state.pool).await {
        Ok(_) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}

async fn status(State(state): State<StatusState>) -> impl IntoResponse {
    let live = state.live.lock().map(|l| l.clone()).unwrap_or_default();
    let positions = sqlx::query_as::<_, Position>(
        "SELECT topic, partition, next_offset FROM projection_offsets WHERE projection = $1 ORDER BY topic, partition",
    )
    .bind(&state.projection)
    .fetch_all(&state.pool)
    .await;
    let faults = queries::faults(&state.pool).await;
    match (positions, faults) {
        (Ok(positions), Ok(faults)) => {
            let faults: Vec<_> = faults
                .into_iter()
                .filter(|f| f.projection == state.projection)
                .collect();
            Json(Status {
                projection: state.projection.clone(),
                healthy: faults.is_empty() && live.outage.is_none(),
                live,
                positions,
                faults,
            })
            .into_response()
        }
        (Err(err), _) => unreachable_database(&state, live, &err.to_string()),
        (_, Err(err)) => unreachable_database(&state, live, &err.to_string()),
    }
}

/// The database does not answer: say so, with what the instance knows.
fn unreachable_database(state: &StatusState, live: Live, error: &str) -> axum::response::Response {
    tracing::warn!(error, "status query failed");
    let body = serde_json::json!({
        "projection": state.projection,
        "healthy": false,
        "database": "unreachable",
        "instance": live.instance,
        "held": live.held,
        "outage": live.outage,
    });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}
