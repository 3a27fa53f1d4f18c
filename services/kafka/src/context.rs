//! Client callbacks shared by the ledger's consumers.

use rdkafka::{client::ClientContext, consumer::ConsumerContext, error::KafkaError as RdError};

/// Reports client errors through tracing, except reaching the end of a
/// partition, which the ledger's readers ask for on purpose.
#[derive(Debug, Clone, Copy, Default)]
pub struct LedgerContext;

impl ClientContext for LedgerContext {
    fn error(&self, error: RdError, reason: &str) {
        if !matches!(error, RdError::PartitionEOF(_)) {
            tracing::error!(%error, reason, "kafka client error");
        }
    }
}

impl ConsumerContext for LedgerContext {}
