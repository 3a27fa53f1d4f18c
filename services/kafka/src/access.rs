//! Whether the cluster takes this login at all, asked once at start-up: a
//! wrong password otherwise shows only as requests that time out, while
//! librdkafka retries the login in the background.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use rdkafka::{
    client::ClientContext,
    consumer::{BaseConsumer, Consumer, ConsumerContext},
    error::{KafkaError as RdError, RDKafkaErrorCode},
};

use crate::{config::KafkaConfig, error::KafkaError};

/// Keeps the first authentication failure the client reports.
#[derive(Clone, Default)]
struct Probe {
    refused: Arc<Mutex<Option<RdError>>>,
}

impl ClientContext for Probe {
    fn error(&self, error: RdError, reason: &str) {
        let refusal = matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed)
        );
        if refusal {
            tracing::error!(%error, reason, "kafka refused the login");
            if let Ok(mut slot) = self.refused.lock() {
                slot.get_or_insert(error);
            }
        }
    }
}

impl ConsumerContext for Probe {}

/// Logs in and fetches the cluster's metadata, within `patience`. A refused
/// login is [`KafkaError::Unauthorised`] (fatal: fix the configuration); an
/// unreachable cluster is a plain client error (retry later).
pub async fn check_access(config: &KafkaConfig, patience: Duration) -> Result<(), KafkaError> {
    let client = config.admin();
    tokio::task::spawn_blocking(move || {
        let probe = Probe::default();
        let consumer: BaseConsumer<Probe> = client.create_with_context(probe.clone())?;
        let deadline = Instant::now() + patience;
        loop {
            let answer = consumer.fetch_metadata(None, Duration::from_millis(500));
            // Error events reach the context only while the client is polled.
            if let Some(Err(err)) = consumer.poll(Duration::ZERO) {
                probe.error(err, "poll");
            }
            let refused = probe.refused.lock().ok().and_then(|mut slot| slot.take());
            match (answer, refused) {
                (_, Some(refusal)) => return Err(KafkaError::Unauthorised(refusal)),
                (Ok(_), None) => return Ok(()),
                (Err(err), None) if Instant::now() >= deadline => {
                    return Err(KafkaError::from(err))
                }
                (Err(_), None) => continue,
            }
        }
    })
    .await
    .map_err(|e| KafkaError::Worker(e.to_string()))?
}
