//! The consume → apply → store-offsets loop.

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    time::Duration,
};

use ledger_kafka::{
    partitions,
    rdkafka::{
        consumer::{Consumer, StreamConsumer},
        Message, Offset, TopicPartitionList,
    },
    KafkaConfig, KafkaError, LedgerContext, Topics,
};
use ledger_readmodel::{ConsumedEvent, PartitionOffset, Projection, ReadModelError};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    batch::{Batch, Undecodable},
    status::{self, StatusState},
    Config,
};

#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    #[error(transparent)]
    Client(#[from] ledger_kafka::rdkafka::error::KafkaError),
    #[error(transparent)]
    ReadModel(#[from] ReadModelError),
}

/// A started projector: read model migrated, partitions assigned at the
/// offsets stored in PostgreSQL.
pub struct Projector {
    listener: TcpListener,
    status: StatusState,
    worker: Worker,
}

/// The part of the projector that consumes and writes.
struct Worker {
    consumer: StreamConsumer<LedgerContext>,
    projection: Projection,
    config: Config,
}

type PartitionKey = (String, i32);

impl Projector {
    pub async fn build(config: Config) -> Result<Projector, ProjectorError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ProjectorError::Bind {
                    address: config.listen,
                    source,
                })?;
        let pool = ledger_readmodel::connect(&config.database_url, 4).await?;
        let projection = Projection::new(config.projection.clone(), pool.clone());

        let kafka = KafkaConfig::new(&config.kafka_brokers);
        let mut client = kafka.committed_reader(&format!("ledger-projector.{}", config.projection));
        client.set("enable.partition.eof", "false");
        let consumer: StreamConsumer<LedgerContext> = client.create_with_context(LedgerContext)?;

        let stored: HashMap<PartitionKey, i64> = projection
            .offsets()
            .await?
            .into_iter()
            .map(|p| ((p.topic, p.partition), p.next_offset))
            .collect();
        let topics = Topics::new(&config.topic_namespace);
        let mut assignment = TopicPartitionList::new();
        for topic in topics.event_topics() {
            for partition in partitions(&kafka, topic).await? {
                let offset = match stored.get(&(topic.to_owned(), partition)) {
                    Some(next) => Offset::Offset(*next),
                    None => Offset::Beginning,
                };
                assignment.add_partition_offset(topic, partition, offset)?;
            }
        }
        consumer.assign(&assignment)?;
        tracing::info!(projection = %config.projection, partitions = assignment.count(), "partitions assigned from stored offsets");

        let status = StatusState {
            pool,
            projection: config.projection.clone(),
            metrics: ledger_telemetry::metrics_handle(),
        };
        Ok(Projector {
            listener,
            status,
            worker: Worker {
                consumer,
                projection,
                config,
            },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Projects until `shutdown` is cancelled; the batch in hand is finished
    /// (or abandoned before commit) first, so a stop never half-applies one.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ProjectorError> {
        let Projector {
            listener,
            status,
            worker,
        } = self;
        let server = {
            let shutdown = shutdown.clone();
            let router = status::router(status);
            tokio::spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(shutdown.cancelled_owned())
                    .await
            })
        };
        let result = worker.run(&shutdown).await;
        shutdown.cancel();
        let _ = server.await;
        result
    }
}

impl Worker {
    async fn run(&self, shutdown: &CancellationToken) -> Result<(), ProjectorError> {
        let mut paused: HashSet<PartitionKey> = HashSet::new();
        loop {
            let batch = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                batch = self.next_batch(&paused) => batch?,
            };
            self.write(batch, &mut paused, shutdown).await?;
        }
    }

    /// Waits for one record, then gathers more for up to `linger`.
    async fn next_batch(&self, paused: &HashSet<PartitionKey>) -> Result<Batch, ProjectorError> {
        let mut batch = Batch::default();
        let deadline = tokio::time::Instant::now() + self.config.linger;
        while batch.len() < self.config.max_batch {
            let received = if batch.len() == 0 {
                self.consumer.recv().await
            } else {
                match tokio::time::timeout_at(deadline, self.consumer.recv()).await {
                    Ok(received) => received,
                    Err(_) => break,
                }
            };
            let message = received?;
            if paused.contains(&(message.topic().to_owned(), message.partition())) {
                continue;
            }
            batch.push(
                message.topic(),
                message.partition(),
                message.offset(),
                message.payload().unwrap_or_default(),
            );
        }
        Ok(batch)
    }

    /// Applies a batch in one transaction; on a database outage retries it
    /// until it goes through; on an event that cannot be applied falls back
    /// to one event at a time so that only its partition stops.
    async fn write(
        &self,
        batch: Batch,
        paused: &mut HashSet<PartitionKey>,
        shutdown: &CancellationToken,
    ) -> Result<(), ProjectorError> {
        let mut delay = Duration::from_millis(100);
        while batch.undecodable.is_empty() {
            let advance = Batch::advance_over(&batch.events);
            match self.projection.apply_batch(&batch.events, &advance).await {
                Ok(()) => {
                    metrics::counter!("ledger_projector_events_total")
                        .increment(batch.events.len() as u64);
                    return Ok(());
                }
                Err(ReadModelError::Inapplicable { .. }) => break,
                Err(err) => {
                    tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, "read model unavailable; retrying the batch");
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
            }
        }
        self.write_one_by_one(batch, paused).await
    }

    async fn write_one_by_one(
        &self,
        batch: Batch,
        paused: &mut HashSet<PartitionKey>,
    ) -> Result<(), ProjectorError> {
        // An undecodable record stops its partition at its offset: events of
        // that partition after it must wait too.
        let mut stop_at: HashMap<PartitionKey, &Undecodable> = HashMap::new();
        for bad in &batch.undecodable {
            let key = (bad.topic.clone(), bad.partition);
            if stop_at
                .get(&key)
                .is_none_or(|seen| seen.offset > bad.offset)
            {
                stop_at.insert(key, bad);
            }
        }
        for event in &batch.events {
            let key = (event.topic.clone(), event.partition);
            if paused.contains(&key)
                || stop_at
                    .get(&key)
                    .is_some_and(|bad| bad.offset < event.offset)
            {
                continue;
            }
            let advance = [PartitionOffset {
                topic: event.topic.clone(),
                partition: event.partition,
                next_offset: event.offset + 1,
            }];
            match self
                .projection
                .apply_batch(std::slice::from_ref(event), &advance)
                .await
            {
                Ok(()) => metrics::counter!("ledger_projector_events_total").increment(1),
                Err(ReadModelError::Inapplicable { reason, .. }) => {
                    self.fault(event, &reason, paused).await?;
                }
                Err(err) => return Err(err.into()),
            }
        }
        for (key, bad) in stop_at {
            if !paused.contains(&key) {
                self.stop_partition(
                    &bad.topic,
                    bad.partition,
                    bad.offset,
                    None,
                    &bad.error,
                    paused,
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn fault(
        &self,
        event: &ConsumedEvent,
        reason: &str,
        paused: &mut HashSet<PartitionKey>,
    ) -> Result<(), ProjectorError> {
        self.stop_partition(
            &event.topic,
            event.partition,
            event.offset,
            Some(&event.event.event_id),
            reason,
            paused,
        )
        .await
    }

    /// Records the fault, pauses the partition and says so loudly.
    async fn stop_partition(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        event_id: Option<&str>,
        reason: &str,
        paused: &mut HashSet<PartitionKey>,
    ) -> Result<(), ProjectorError> {
        tracing::error!(
            topic,
            partition,
            offset,
            event_id,
            reason,
            "partition stopped: event cannot be applied"
        );
        self.projection
            .record_fault(topic, partition, offset, event_id, reason)
            .await?;
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(topic, partition);
        self.consumer.pause(&tpl)?;
        paused.insert((topic.to_owned(), partition));
        metrics::gauge!("ledger_projector_stopped_partitions").set(paused.len() as f64);
        Ok(())
    }
}
