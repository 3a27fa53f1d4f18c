//! The HTTP interface: `POST /v1/commands/{name}` plus health and metrics.

use axum::{
    extract::{DefaultBodyLimit, Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use bytes::Bytes;
use ledger_domain::grants::GrantsCommand;
use ledger_writer::{
    http::{accepted_response, command_meta, decode, digest, write_error, ApiError},
    Writer,
};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
struct AppState {
    writer: Writer<GrantsCommand>,
    metrics: PrometheusHandle,
    writer_stopped: CancellationToken,
}

/// Commands are small: a bursary schedule of 24 instalments is a few KiB.
const MAX_BODY: usize = 1024 * 1024;

pub fn router(
    writer: Writer<GrantsCommand>,
    metrics: PrometheusHandle,
    writer_stopped: CancellationToken,
) -> Router {
    let router = Router::new()
        .route("/v1/commands/{name}", post(command))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(render_metrics))
        .with_state(AppState {
            writer,
            metrics,
            writer_stopped,
        })
        .layer(DefaultBodyLimit::max(MAX_BODY));
    ledger_http::with_defaults(router)
}

/// Decodes the body as the named command and computes its digest.
fn parse(
    name: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(GrantsCommand, Vec<u8>), ApiError> {
    macro_rules! commands {
        ($($path:literal => $variant:ident),* $(,)?) => {
            match name {
                $($path => {
                    let command: ledger_proto::v1::$variant = decode(headers, body)?;
                    let digest = digest(stringify!($variant), &command);
                    Ok((GrantsCommand::$variant(command), digest))
                })*
                other => Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_command",
                    format!("the grants service has no command {other:?}"),
                )),
            }
        };
    }
    commands! {
        "declare-programme" => DeclareProgramme,
        "open-envelope" => OpenEnvelope,
        "award-grant" => AwardGrant,
    }
}

#[tracing::instrument(skip_all, fields(command = %name))]
async fn command(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let meta = command_meta(&headers)?;
    let (command, digest) = parse(&name, &headers, &body)?;
    let (accepted, replayed) = state
        .writer
        .submit(meta.clone(), digest, command)
        .await
        .map_err(|err| {
            tracing::info!(command_id = %meta.command_id, error = %err, "command refused");
            write_error(err)
        })?;
    tracing::info!(command_id = %meta.command_id, event_id = %accepted.event_id, replayed, "command accepted");
    Ok(accepted_response(&headers, &meta, &accepted, replayed))
}

async fn ready(State(state): State<AppState>) -> Response {
    if state.writer_stopped.is_cancelled() {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the writer has stopped",
        )
        .into_response()
    } else {
        "ready".into_response()
    }
}

async fn render_metrics(State(state): State<AppState>) -> String {
    state.metrics.render()
}
