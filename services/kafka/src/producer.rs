//! The only way the ledger appends: a transactional, idempotent producer.

use std::time::Duration;

use rdkafka::{
    consumer::ConsumerGroupMetadata,
    error::KafkaError as RdError,
    message::{Header, OwnedHeaders},
    producer::{FutureProducer, FutureRecord, Producer},
    util::Timeout,
    TopicPartitionList,
};

use crate::{config::KafkaConfig, error::KafkaError, topics::Position, EVENT_TYPE_HEADER};

/// One record to append.
#[derive(Debug, Clone)]
pub struct OutboundRecord {
    pub topic: String,
    pub key: String,
    pub payload: Vec<u8>,
    /// Message name of the payload, copied into the `ledger-event-type` header.
    pub event_type: String,
}

/// A transactional producer: each [`TxProducer::append`] is one Kafka
/// transaction, visible to `read_committed` readers entirely or not at all.
#[derive(Clone)]
pub struct TxProducer {
    producer: FutureProducer,
}

const TXN_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs a blocking librdkafka call off the async runtime.
async fn blocking<T, F>(f: F) -> Result<T, KafkaError>
where
    F: FnOnce() -> Result<T, RdError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| KafkaError::Worker(e.to_string()))?
        .map_err(KafkaError::from_txn)
}

impl TxProducer {
    /// Creates the producer and registers its transactional id with the
    /// cluster, which fences any older instance using the same id and aborts
    /// whatever transaction that instance left open.
    pub async fn connect(config: &KafkaConfig, transactional_id: &str) -> Result<Self, KafkaError> {
        crate::check_access(config, TXN_TIMEOUT).await?;
        let producer: FutureProducer = config.transactional_producer(transactional_id).create()?;
        let init = producer.clone();
        blocking(move || init.init_transactions(Timeout::After(TXN_TIMEOUT))).await?;
        Ok(Self { producer })
    }

    /// Appends `records` in one transaction and returns where each landed, in
    /// the same order. On error nothing is visible to committed readers.
    pub async fn append(&self, records: &[OutboundRecord]) -> Result<Vec<Position>, KafkaError> {
        self.transaction(records, None).await
    }

    /// Appends `records` and commits the consumer's `offsets` in the same
    /// transaction: the records are produced exactly once per consumed input
    /// (Kafka's consume-transform-produce pattern).
    pub async fn append_consumed(
        &self,
        records: &[OutboundRecord],
        offsets: TopicPartitionList,
        group: ConsumerGroupMetadata,
    ) -> Result<Vec<Position>, KafkaError> {
        self.transaction(records, Some((offsets, group))).await
    }

    async fn transaction(
        &self,
        records: &[OutboundRecord],
        consumed: Option<(TopicPartitionList, ConsumerGroupMetadata)>,
    ) -> Result<Vec<Position>, KafkaError> {
        self.producer
            .begin_transaction()
            .map_err(KafkaError::from_txn)?;
        let sent = match (self.send_all(records).await, consumed) {
            (Ok(positions), None) => Ok(positions),
            (Ok(positions), Some((offsets, group))) => {
                let producer = self.producer.clone();
                blocking(move || {
                    producer.send_offsets_to_transaction(
                        &offsets,
                        &group,
                        Timeout::After(TXN_TIMEOUT),
                    )
                })
                .await
                .map(|()| positions)
            }
            (Err(err), _) => Err(err),
        };
        match sent {
            Ok(positions) => {
                let producer = self.producer.clone();
                match blocking(move || producer.commit_transaction(Timeout::After(TXN_TIMEOUT)))
                    .await
                {
                    Ok(()) => Ok(positions),
                    Err(err) => Err(self.abort_after(err).await),
                }
            }
            Err(err) => Err(self.abort_after(err).await),
        }
    }

    async fn send_all(&self, records: &[OutboundRecord]) -> Result<Vec<Position>, KafkaError> {
        // Enqueue everything first so the batch travels together, then await
        // the deliveries in order.
        let mut pending = Vec::with_capacity(records.len());
        for record in records {
            let headers = OwnedHeaders::new().insert(Header {
                key: EVENT_TYPE_HEADER,
                value: Some(record.event_type.as_bytes()),
            });
            let future = self
                .producer
                .send_result(
                    FutureRecord::to(&record.topic)
                        .key(record.key.as_bytes())
                        .payload(&record.payload)
                        .headers(headers),
                )
                .map_err(|(err, _)| KafkaError::from_txn(err))?;
            pending.push((record.topic.clone(), future));
        }
        let mut positions = Vec::with_capacity(pending.len());
        for (topic, future) in pending {
            let delivery = future
                .await
                .map_err(|_| KafkaError::Worker("delivery report channel closed".into()))?
                .map_err(|(err, _)| KafkaError::from_txn(err))?;
            positions.push(Position {
                topic,
                partition: delivery.partition,
                offset: delivery.offset,
            });
        }
        Ok(positions)
    }

    /// Aborts the open transaction unless the error already made that
    /// impossible, and returns the error to report.
    async fn abort_after(&self, err: KafkaError) -> KafkaError {
        if err.is_fatal() {
            return err;
        }
        let producer = self.producer.clone();
        match blocking(move || producer.abort_transaction(Timeout::After(TXN_TIMEOUT))).await {
            Ok(()) => match err {
                KafkaError::Client(inner) => KafkaError::Aborted(inner),
                other => other,
            },
            Err(abort_err) => {
                tracing::error!(error = %abort_err, original = %err, "abort of a failed transaction failed");
                abort_err
            }
        }
    }
}
