//! An emitting service as a whole: HTTP commands in front of a writer.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    extract::{rejection::BytesRejection, DefaultBodyLimit, Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use bytes::Bytes;
use ledger_domain::Decider;
use ledger_kafka::KafkaError;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use ledger_http::auth::{self, Access, Role};

use crate::{
    http::{accepted_response, command_meta, write_error, ApiError},
    Writer, WriterConfig,
};

/// Decodes the body of `POST /v1/commands/{name}` into one of the service's
/// commands, with its digest; an unknown name is a 404 `unknown_command`.
pub type ParseCommand<C> = fn(&str, &HeaderMap, &Bytes) -> Result<(C, Vec<u8>), ApiError>;

/// What distinguishes one emitting service from another.
pub struct ServiceSpec<C> {
    /// Name in logs and errors, e.g. "grants".
    pub name: &'static str,
    pub listen: SocketAddr,
    pub writer: WriterConfig,
    pub parse: ParseCommand<C>,
    /// Routes of the service's own beyond the commands (e.g. the
    /// personal-data store of the workforce service); like the commands,
    /// they need the `integrator` role.
    /// Routes besides the commands, each group behind the role it needs.
    pub extra_routes: Vec<(Router, Role)>,
    /// Bearer tokens and their roles; without them the service refuses to
    /// start unless `insecure_no_auth`.
    pub tokens_file: Option<std::path::PathBuf>,
    /// Run with access control off (loopback development only).
    pub insecure_no_auth: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("http server failed: {0}")]
    Serve(std::io::Error),
    #[error("the writer task failed: {0}")]
    Writer(String),
    #[error("{0}")]
    Dependency(String),
    #[error("signing keys: {0}")]
    Keys(#[from] crate::KeyFileError),
}

/// A started emitting service: listening, fenced, state rebuilt.
pub struct EmittingService {
    listener: TcpListener,
    router: Router,
    writer_task: JoinHandle<Result<(), KafkaError>>,
    writer_stop: CancellationToken,
}

#[derive(Clone)]
struct AppState<C> {
    writer: Writer<C>,
    parse: ParseCommand<C>,
    metrics: PrometheusHandle,
    writer_stopped: CancellationToken,
    /// The own topic and the followed ones, whose refused records
    /// `/v1/status` lists.
    topics: Arc<Vec<String>>,
    /// The context whose commands this service takes.
    context: Option<ledger_proto::registry::Context>,
}

/// For ops: the records of the own or a followed topic this service left
/// out because their topic's writer did not sign them (each also logged and
/// counted in `ledger_writer_refused_records_total`).
async fn status<C>(State(state): State<AppState<C>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "topics": *state.topics,
        "refused_records": crate::signing::refused_records(&state.topics),
    }))
}

/// Commands are small: a bursary schedule of 24 instalments is a few KiB.
/// A body beyond this is refused (413) before it is read; what passes is
/// then held to `limits` (text lengths, event size), so no command can make
/// a record larger than Kafka takes.
const MAX_BODY: usize = 256 * 1024;

/// A batch of up to [`crate::batch::MOST_COMMANDS`] commands: each of them
/// is still held to the limits of one command.
const MAX_BATCH_BODY: usize = 8 * 1024 * 1024;

impl EmittingService {
    /// Binds the listener, registers the transactional id (fencing older
    /// instances), rebuilds the state from the topic and catches up with the
    /// followed topics. Once it returns the service is ready.
    pub async fn build<D: Decider>(spec: ServiceSpec<D::Command>) -> Result<Self, ServiceError>
    where
        D::Command: Clone,
    {
        let access = Access::load(spec.tokens_file.as_deref(), spec.insecure_no_auth)
            .map_err(|e| ServiceError::Dependency(e.to_string()))?;
        let listener =
            TcpListener::bind(spec.listen)
                .await
                .map_err(|source| ServiceError::Bind {
                    address: spec.listen,
                    source,
                })?;
        let topics = Arc::new(
            std::iter::once(spec.writer.topic.clone())
                .chain(spec.writer.follow.iter().cloned())
                .collect::<Vec<_>>(),
        );
        let context = ledger_proto::registry::Context::of_topic(&spec.writer.topic);
        let writer_stop = CancellationToken::new();
        let (writer, writer_task) =
            Writer::<D::Command>::start::<D>(spec.writer, writer_stop.clone()).await?;
        let state = AppState {
            writer,
            parse: spec.parse,
            metrics: ledger_telemetry::metrics_handle(),
            writer_stopped: writer_stop.clone(),
            topics,
            context,
        };
        let commands = Router::new()
            .route("/v1/commands/{name}", post(command::<D::Command>))
            .route(
                "/v1/commands:batch",
                post(batch::<D::Command>).layer(DefaultBodyLimit::max(MAX_BATCH_BODY)),
            )
            .with_state(state.clone());
        let status = Router::new()
            .route("/v1/status", get(status::<D::Command>))
            .with_state(state.clone());
        let mut router = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(ready::<D::Command>))
            .route("/metrics", get(render_metrics::<D::Command>))
            .with_state(state)
            .merge(auth::require(commands, &access, Role::Integrator))
            .merge(auth::require(status, &access, Role::Ops));
        for (extra, role) in spec.extra_routes {
            router = router.merge(auth::require(extra, &access, role));
        }
        let router = router.layer(DefaultBodyLimit::max(MAX_BODY));
        tracing::info!(service = spec.name, "ready");
        Ok(Self {
            listener,
            router: ledger_http::with_defaults(router),
            writer_task,
            writer_stop,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        // A bound listener always has an address; fall back to unspecified.
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Serves until `shutdown` is cancelled (or the writer stops, e.g.
    /// because a newer instance fenced it), then lets requests finish.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ServiceError> {
        let writer_stop = self.writer_stop.clone();
        let stop_serving = {
            let writer_stop = writer_stop.clone();
            async move {
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = writer_stop.cancelled() => {}
                }
            }
        };
        let served = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(stop_serving)
            .await;
        writer_stop.cancel();
        let writer = tokio::time::timeout(Duration::from_secs(30), self.writer_task).await;
        served.map_err(ServiceError::Serve)?;
        match writer {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(err))) => Err(ServiceError::Kafka(err)),
            Ok(Err(join)) => Err(ServiceError::Writer(join.to_string())),
            Err(_) => Err(ServiceError::Writer("did not stop within 30 s".into())),
        }
    }
}

/// A body over the limit is refused in the same JSON shape as any error.
fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        ApiError::new(rejection.status(), "body_rejected", rejection.body_text())
    })
}

#[tracing::instrument(skip_all, fields(command = %name))]
async fn command<C: Send + Clone + 'static>(
    State(state): State<AppState<C>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = read_body(body)?;
    let meta = command_meta(&headers)?;
    let (command, digest) = (state.parse)(&name, &headers, &body)?;
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

#[tracing::instrument(skip_all)]
async fn batch<C: Send + Clone + 'static>(
    State(state): State<AppState<C>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = read_body(body)?;
    crate::batch::handle(&state.writer, state.parse, state.context, &headers, &body).await
}

async fn ready<C>(State(state): State<AppState<C>>) -> Response {
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

async fn render_metrics<C>(State(state): State<AppState<C>>) -> String {
    state.metrics.render()
}

/// Builds a [`ParseCommand`] from a table of `"kebab-name" => Variant`, where
/// each variant wraps the `ledger.v1` message of the same name.
#[macro_export]
macro_rules! command_table {
    ($service:literal, $enum:ident { $($path:literal => $variant:ident),* $(,)? }) => {
        |name: &str, headers: &::axum::http::HeaderMap, body: &::bytes::Bytes|
            -> Result<($enum, Vec<u8>), $crate::http::ApiError> {
            match name {
                $($path => {
                    let command: ::ledger_proto::v1::$variant = $crate::http::decode(headers, body)?;
                    let digest = $crate::http::digest(stringify!($variant), &command);
                    Ok(($enum::$variant(command), digest))
                })*
                other => Err($crate::http::ApiError::new(
                    ::axum::http::StatusCode::NOT_FOUND,
                    "unknown_command",
                    format!("the {} service has no command {other:?}", $service),
                )),
            }
        }
    };
}
