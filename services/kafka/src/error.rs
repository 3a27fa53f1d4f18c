//! Errors of the Kafka layer, classified for the caller's retry decisions.

use rdkafka::error::{KafkaError as RdError, RDKafkaErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// Another instance with our transactional id took over: this process
    /// must stop appending at once.
    #[error("producer fenced by a newer instance with the same transactional id")]
    Fenced,
    /// The transaction failed and was aborted; nothing of it is visible.
    #[error("transaction aborted: {0}")]
    Aborted(#[source] RdError),
    /// A client error that leaves the client unusable.
    #[error("fatal kafka error: {0}")]
    Fatal(#[source] RdError),
    /// Any other client error.
    #[error("kafka error: {0}")]
    Client(#[source] RdError),
    /// A blocking call's worker thread died.
    #[error("kafka worker thread failed: {0}")]
    Worker(String),
    /// The cluster refused this login or this operation (wrong password,
    /// no ACL for it): a configuration error, never retried.
    #[error("kafka refused access: {0}")]
    Unauthorised(#[source] RdError),
    /// A topic is missing or has no partitions.
    #[error("topic {0} does not exist or has no partitions")]
    MissingTopic(String),
}

impl KafkaError {
    /// Whether the process should stop rather than retry.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            KafkaError::Fenced
                | KafkaError::Fatal(_)
                | KafkaError::Worker(_)
                | KafkaError::Unauthorised(_)
        )
    }

    /// Sets authentication and authorisation failures apart from the rest.
    pub fn classify(err: RdError) -> Self {
        if is_refusal(err.rdkafka_error_code()) {
            KafkaError::Unauthorised(err)
        } else {
            KafkaError::Client(err)
        }
    }

    /// Classifies an error from a transactional call.
    pub(crate) fn from_txn(err: RdError) -> Self {
        let fenced = matches!(
            err.rdkafka_error_code(),
            Some(
                RDKafkaErrorCode::Fenced
                    | RDKafkaErrorCode::ProducerFenced
                    | RDKafkaErrorCode::InvalidProducerEpoch
            )
        );
        if fenced {
            return KafkaError::Fenced;
        }
        if is_refusal(err.rdkafka_error_code()) {
            return KafkaError::Unauthorised(err);
        }
        match &err {
            RdError::Transaction(inner) if inner.is_fatal() => KafkaError::Fatal(err),
            _ => KafkaError::Client(err),
        }
    }
}

/// Whether the broker said "not you" or "not this": a bad login or a
/// missing ACL.
fn is_refusal(code: Option<RDKafkaErrorCode>) -> bool {
    matches!(
        code,
        Some(
            RDKafkaErrorCode::Authentication
                | RDKafkaErrorCode::SaslAuthenticationFailed
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::GroupAuthorizationFailed
                | RDKafkaErrorCode::ClusterAuthorizationFailed
                | RDKafkaErrorCode::TransactionalIdAuthorizationFailed
                | RDKafkaErrorCode::DelegationTokenAuthorizationFailed
        )
    )
}

impl From<RdError> for KafkaError {
    fn from(err: RdError) -> Self {
        KafkaError::classify(err)
    }
}
