//! Routes of the read API.

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    routing::get,
    Json, Router,
};
use ledger_http::ApiError;
use ledger_readmodel::queries::{self, EnvelopeBalance};
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;

use crate::wait::Consistency;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub projection: String,
    pub metrics: PrometheusHandle,
}

pub fn router(state: AppState) -> Router {
    let router = Router::new()
        .route("/v1/envelopes/{envelope_id}/balance", get(envelope_balance))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route(
            "/metrics",
            get(|State(s): State<AppState>| async move { s.metrics.render() }),
        )
        .with_state(state);
    ledger_http::with_defaults(router)
}

fn unavailable(err: ledger_readmodel::ReadModelError) -> ApiError {
    tracing::error!(error = %err, "read model query failed");
    ApiError::unavailable("read_model_unavailable", "the read model cannot be queried")
}

/// Voted, committed and available amounts of one envelope, in cents.
#[tracing::instrument(skip(state, consistency))]
async fn envelope_balance(
    State(state): State<AppState>,
    Path(envelope_id): Path<String>,
    consistency: Result<Query<Consistency>, QueryRejection>,
) -> Result<Json<EnvelopeBalance>, ApiError> {
    let Query(consistency) = consistency
        .map_err(|rejection| ApiError::bad_request("invalid_parameter", rejection.body_text()))?;
    consistency.wait(&state.pool, &state.projection).await?;
    queries::envelope_balance(&state.pool, &envelope_id)
        .await
        .map_err(unavailable)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("envelope {envelope_id} is not in the ledger")))
}

async fn ready(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    sqlx::query("SELECT 1")
        .execute(&state.pool)
        .await
        .map_err(|err| unavailable(err.into()))?;
    Ok("ready")
}
