//! Client callbacks shared by the ledger's consumers.

use rdkafka::{
    client::ClientContext,
    consumer::ConsumerContext,
    error::{KafkaError as RdError, RDKafkaErrorCode},
};

/// Reports client errors through tracing, except reaching the end of a
/// partition, which the ledger's readers ask for on purpose.
#[derive(Debug, Clone, Copy, Default)]
pub struct LedgerContext;

impl ClientContext for LedgerContext {
    fn error(&self, error: RdError, reason: &str) {
        // The end of a partition arrives as a message error or, from some
        // code paths of librdkafka, as a global error event.
        let end_of_partition = matches!(
            error,
            RdError::PartitionEOF(_) | RdError::Global(RDKafkaErrorCode::PartitionEOF)
        );
        if !end_of_partition {
            tracing::error!(%error, reason, "kafka client error");
        }
    }
}

impl ConsumerContext for LedgerContext {}
