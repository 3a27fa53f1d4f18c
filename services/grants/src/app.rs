//! Building and running the service: bind, fence, rebuild, serve.

use std::{net::SocketAddr, time::Duration};

use axum::Router;
use ledger_domain::grants::{GrantsBook, GrantsCommand};
use ledger_kafka::{KafkaConfig, KafkaError, Topics};
use ledger_writer::{Writer, WriterConfig};
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{routes, Config};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the writer: {0}")]
    Kafka(#[from] KafkaError),
    #[error("http server failed: {0}")]
    Serve(std::io::Error),
    #[error("the writer task failed: {0}")]
    Writer(String),
}

/// A started service: listening, fenced, state rebuilt.
pub struct App {
    listener: TcpListener,
    router: Router,
    writer_task: JoinHandle<Result<(), KafkaError>>,
    writer_stop: CancellationToken,
}

impl App {
    /// Binds the listener, registers the transactional id (fencing older
    /// instances) and rebuilds the state from the topic. Once it returns the
    /// service is ready; [`App::run`] serves it.
    pub async fn build(config: Config) -> Result<App, StartError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    address: config.listen,
                    source,
                })?;
        let topics = Topics::new(&config.topic_namespace);
        let writer_stop = CancellationToken::new();
        let (writer, writer_task) = Writer::<GrantsCommand>::start::<GrantsBook>(
            WriterConfig {
                kafka: KafkaConfig::new(&config.kafka_brokers),
                topic: topics.grants.clone(),
                transactional_id: config.transactional_id.clone(),
                max_batch: config.max_batch,
            },
            writer_stop.clone(),
        )
        .await?;
        let metrics = ledger_telemetry::metrics_handle();
        let router = routes::router(writer, metrics, writer_stop.clone());
        Ok(App {
            listener,
            router,
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

    /// Serves until `shutdown` is cancelled (or the writer stops, e.g. because
    /// a newer instance fenced it), then lets in-flight requests finish.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), StartError> {
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
        served.map_err(StartError::Serve)?;
        match writer {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(err))) => Err(StartError::Kafka(err)),
            Ok(Err(join)) => Err(StartError::Writer(join.to_string())),
            Err(_) => Err(StartError::Writer("did not stop within 30 s".into())),
        }
    }
}
