//! Health, metrics and the projection's status over HTTP.

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
}

#[derive(Serialize)]
struct Status {
    projection: String,
    healthy: bool,
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
                healthy: faults.is_empty(),
                positions,
                faults,
            })
            .into_response()
        }
        (Err(err), _) | (_, Err(ledger_readmodel::ReadModelError::Database(err))) => {
            tracing::error!(error = %err, "status query failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
        (_, Err(err)) => {
            tracing::error!(error = %err, "status query failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}
