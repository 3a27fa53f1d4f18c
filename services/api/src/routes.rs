//! Routes of the read API, and its OpenAPI document, generated from the
//! same annotations as the routes so that the two cannot drift.

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    routing::get,
    Extension, Json, Router,
};
use ledger_http::{
    auth::{self, Access, Role},
    ApiError,
};
use ledger_kafka::KafkaConfig;
use ledger_readmodel::queries::{self, Fault, Outage, StoredOffset};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{budget, credits, views};

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub projection: String,
    pub kafka: KafkaConfig,
    pub metrics: PrometheusHandle,
    pub limits: crate::limits::CallerLimits,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Programme ledger — read API",
        description = "Audited budgets, headcounts and targets of the programme ledger. Every figure \
                       can be asked as of an accounting date (`as_of`) and as known at an instant \
                       (`known_at`), and explained down to its journal lines and events. Errors: \
                       `{\"error\":{\"code\",\"message\",\"field\"}}`."
    ),
    tags(
        (name = "budget", description = "Balances and the double-entry journal"),
        (name = "grants", description = "Grants, loans and guarantees"),
        (name = "obligations"), (name = "centres"), (name = "workforce"),
        (name = "programmes", description = "Targets and progress"),
        (name = "audit", description = "Events"), (name = "ops", description = "Projection status")
    )
)]
struct ApiDoc;

/// The controllers' routes with their documentation.
fn reads() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(budget::balances))
        .routes(routes!(budget::envelope_balance))
        .routes(routes!(budget::journal))
        .routes(routes!(budget::event))
        .routes(routes!(credits::credits))
        .routes(routes!(credits::etat_ap_ae))
        .routes(routes!(views::grants))
        .routes(routes!(views::grant))
        .routes(routes!(views::recoveries))
        .routes(routes!(views::loans))
        .routes(routes!(views::loan))
        .routes(routes!(views::guarantees))
        .routes(routes!(views::guarantee_recoveries))
        .routes(routes!(views::obligations))
        .routes(routes!(views::centres))
        .routes(routes!(views::members))
        .routes(routes!(views::posts))
        .routes(routes!(views::headcounts))
        .routes(routes!(views::programmes))
        .routes(routes!(views::targets))
        .routes(routes!(views::indicators))
}

/// The ops' routes.
fn ops() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(status))
}

/// Routes for any known caller.
fn callers() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}

/// The OpenAPI document: generated from the routes themselves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = reads().merge(ops()).merge(callers()).split_for_parts().1;
    crate::doc::document_errors(&mut doc);
    doc
}

pub fn router(state: AppState, access: &Access) -> Router {
    let doc = openapi();
    let (reads, _) = reads().with_state(state.clone()).split_for_parts();
    let (ops, _) = ops().with_state(state.clone()).split_for_parts();
    let (callers, _) = callers().with_state(state.clone()).split_for_parts();
    // Inside the token check (a route layer added earlier runs later),
    // which tells it the caller.
    let limited = |router: Router| {
        router.route_layer(axum::middleware::from_fn_with_state(
            state.limits.clone(),
            crate::limits::limit,
        ))
    };
    let router = auth::require(limited(reads), access, Role::Controller)
        .merge(auth::require(limited(ops), access, Role::Ops))
        .merge(auth::authenticated(limited(callers), access))
        .route("/openapi.json", get(move || async move { Json(doc) }))
        .merge(crate::ui::router())
        .merge(
            Router::new()
                .route("/healthz", get(|| async { "ok" }))
                .route("/readyz", get(ready))
                .route(
                    "/metrics",
                    get(|State(s): State<AppState>| async move { s.metrics.render() }),
                )
                .with_state(state),
        );
    ledger_http::with_defaults(
        router
            .layer(axum::middleware::from_fn(refuse_nul))
            .layer(axum::middleware::from_fn(reads_only)),
    )
}

/// Every route of the read API answers GET (and HEAD): any other method is
/// 405 whoever asks, before the token is looked at (the route layers that
/// check it would otherwise answer first).
async fn reads_only(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::{http::Method, response::IntoResponse};
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    let mut response = ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "the read API answers GET and HEAD, not {}",
            request.method()
        ),
    )
    .into_response();
    response.headers_mut().insert(
        axum::http::header::ALLOW,
        axum::http::HeaderValue::from_static("GET, HEAD"),
    );
    response
}

/// A NUL character (`%00`) in the path or a parameter: PostgreSQL's text
/// cannot hold one, so it is a bad parameter, said so before any query.
/// (A NUL can only arrive percent-encoded: it is not allowed raw in HTTP.)
async fn refuse_nul(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let uri = request.uri();
    let raw = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    if raw.contains("%00") {
        return ApiError::bad_request(
            "invalid_parameter",
            "a NUL character (%00) is not allowed in a path or a parameter",
        )
        .into_response();
    }
    next.run(request).await
}

/// A rejected query string as the one JSON error shape.
pub(crate) fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|rejection| ApiError::bad_request("invalid_parameter", rejection.body_text()))
}

pub(crate) fn unavailable(err: ledger_readmodel::ReadModelError) -> ApiError {
    tracing::error!(error = %err, "read model query failed");
    ApiError::unavailable("read_model_unavailable", "the read model cannot be queried")
}

/// One partition as the projection stands in it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PartitionStatus {
    #[serde(flatten)]
    pub stored: StoredOffset,
    /// The partition's end in Kafka, if the broker answered.
    pub end_offset: Option<i64>,
    /// Records not yet applied, the final commit marker aside (end − next − 1).
    pub lag: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Status {
    pub projection: String,
    /// No faulted partition, and Kafka reachable.
    pub healthy: bool,
    pub total_lag: Option<i64>,
    pub partitions: Vec<PartitionStatus>,
    /// Partitions stopped at an event the projection cannot apply.
    pub faults: Vec<Fault>,
    /// The last database outages the projectors waited out (newest first).
    pub outages: Vec<Outage>,
}

/// Where the projection stands: per partition its next offset, the
/// partition's end and the lag; faulted partitions; overall health.
#[utoipa::path(get, path = "/v1/status", tag = "ops",
    responses((status = 200, body = Status)))]
pub async fn status(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    let stored = queries::offsets(&state.pool, &state.projection)
        .await
        .map_err(unavailable)?;
    let faults: Vec<Fault> = queries::faults(&state.pool)
        .await
        .map_err(unavailable)?
        .into_iter()
        .filter(|f| f.projection == state.projection)
        .collect();
    let outages = queries::outages(&state.pool, &state.projection, 10)
        .await
        .map_err(unavailable)?;
    let wanted = stored
        .iter()
        .map(|s| (s.topic.clone(), s.partition))
        .collect();
    let ends = match ledger_kafka::end_offsets(&state.kafka, wanted).await {
        Ok(ends) => Some(ends),
        Err(err) => {
            tracing::warn!(error = %err, "cannot read partition ends from Kafka");
            None
        }
    };
    let partitions: Vec<PartitionStatus> = stored
        .into_iter()
        .enumerate()
        .map(|(i, stored)| {
            let end_offset = ends.as_ref().and_then(|e| e.get(i).copied());
            PartitionStatus {
                // The last record of a partition is a transaction's commit
                // marker, never delivered to consumers: not lag.
                lag: end_offset.map(|end| (end - stored.next_offset - 1).max(0)),
                end_offset,
                stored,
            }
        })
        .collect();
    let total_lag = ends
        .is_some()
        .then(|| partitions.iter().filter_map(|p| p.lag).sum());
    Ok(Json(Status {
        projection: state.projection.clone(),
        healthy: faults.is_empty() && ends.is_some(),
        total_lag,
        partitions,
        faults,
        outages,
    }))
}

/// A caller as it is known.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The caller's name in the tokens file; absent when access control is off.
    pub name: Option<String>,
    /// Its roles (`controller`, `integrator`, `ops`, `persons`): what it may ask.
    pub roles: Vec<&'static str>,
}

/// Who the token is, and its roles: any known caller may ask (a client,
/// the dashboard among them, shows only what the caller may read).
#[utoipa::path(get, path = "/v1/me", tag = "ops",
    responses((status = 200, body = Me), (status = 401, description = "unauthenticated")))]
pub async fn me(caller: Option<Extension<auth::Principal>>) -> Json<Me> {
    Json(match caller {
        Some(Extension(caller)) => Me {
            name: Some(caller.name),
            roles: caller.roles.iter().map(|r| r.as_str()).collect(),
        },
        // Access control off (--insecure-no-auth): every route is open.
        None => Me {
            name: None,
            roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        },
    })
}

async fn ready(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    sqlx::query("SELECT 1")
        .execute(&state.pool)
        .await
        .map_err(|err| unavailable(err.into()))?;
    Ok("ready")
}
