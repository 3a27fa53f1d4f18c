//! The read API: serves the read model the projector builds.

mod budget;
mod config;
mod credits;
mod doc;
mod export;
mod limits;
mod paging;
mod params;
mod routes;
mod ui;
mod views;
mod wait;

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::Config;

/// The OpenAPI document of the read API, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes::openapi()
}

#[derive(Debug, thiserror::Error)]
pub enum ApiStartError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    ReadModel(#[from] ledger_readmodel::ReadModelError),
    #[error(transparent)]
    Access(#[from] ledger_http::auth::AccessError),
    #[error("http server failed: {0}")]
    Serve(std::io::Error),
}

/// A bound, connected read API.
pub struct Api {
    listener: TcpListener,
    router: Router,
}

impl Api {
    pub async fn build(config: Config) -> Result<Api, ApiStartError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ApiStartError::Bind {
                    address: config.listen,
                    source,
                })?;
        let access = ledger_http::auth::Access::load(
            config.tokens_file.as_deref(),
            config.insecure_no_auth,
        )?;
        let pool =
            ledger_readmodel::connect_reader(&config.database_url, config.max_connections).await?;
        let router = routes::router(
            routes::AppState {
                pool,
                projection: config.projection.clone(),
                kafka: config.kafka.clone(),
                metrics: ledger_telemetry::metrics_handle(),
                limits: limits::CallerLimits::new(config.max_in_flight_per_caller),
            },
            &access,
        );
        Ok(Api { listener, router })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ApiStartError> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .map_err(ApiStartError::Serve)
    }
}
