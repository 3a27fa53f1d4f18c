//! The single-writer task: decides commands in order and appends their events
//! in Kafka transactions, many commands per transaction.

use std::time::Instant;

use ledger_domain::Decider;
use ledger_kafka::{read_to_end, KafkaConfig, KafkaError, OutboundRecord, Position, TxProducer};
use ledger_proto::v1::EventEnvelope;
use prost::Message;
use time::OffsetDateTime;
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
};
use tokio_util::sync::CancellationToken;

use crate::{
    log::{Seen, WriterState},
    Accepted, CommandMeta, WriteError,
};

/// Where and how a writer appends.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    pub kafka: KafkaConfig,
    /// The context's topic, of which this writer is the only producer.
    pub topic: String,
    /// Fences older instances: two writers of one topic share this id.
    pub transactional_id: String,
    /// Most commands in one Kafka transaction.
    pub max_batch: usize,
}

type Reply = oneshot::Sender<Result<(Accepted, bool), WriteError>>;

struct Job<C> {
    meta: CommandMeta,
    digest: Vec<u8>,
    command: C,
    reply: Reply,
}

/// Handle to submit commands to the writer task.
pub struct Writer<C> {
    jobs: mpsc::Sender<Job<C>>,
}

impl<C> Clone for Writer<C> {
    fn clone(&self) -> Self {
        Self {
            jobs: self.jobs.clone(),
        }
    }
}

impl<C: Send + 'static> Writer<C> {
    /// Registers the transactional id (fencing any older instance), rebuilds
    /// the state from the topic, and starts the writer task. The task ends
    /// when `shutdown` is cancelled or, after cancelling it, when the producer
    /// is fenced.
    pub async fn start<D>(
        config: WriterConfig,
        shutdown: CancellationToken,
    ) -> Result<(Self, JoinHandle<Result<(), KafkaError>>), KafkaError>
    where
        D: Decider<Command = C>,
    {
        let producer = TxProducer::connect(&config.kafka, &config.transactional_id).await?;
        let started = Instant::now();
        let state = rebuild::<D>(&config).await?;
        tracing::info!(topic = %config.topic, elapsed_ms = started.elapsed().as_millis() as u64, "state rebuilt from topic");
        let (jobs, queue) = mpsc::channel(config.max_batch.max(1) * 4);
        let task = tokio::spawn(run(config, producer, state, queue, shutdown));
        Ok((Self { jobs }, task))
    }

    /// Submits a command and waits for its outcome. `Ok((accepted, true))`
    /// means the idempotency key had already been accepted: nothing new was
    /// appended and the answer is the original one.
    pub async fn submit(
        &self,
        meta: CommandMeta,
        digest: Vec<u8>,
        command: C,
    ) -> Result<(Accepted, bool), WriteError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                meta,
                digest,
                command,
                reply,
            })
            .await
            .map_err(|_| WriteError::ShuttingDown)?;
        answer.await.map_err(|_| WriteError::ShuttingDown)?
    }
}

async fn rebuild<D: Decider>(config: &WriterConfig) -> Result<WriterState<D>, KafkaError> {
    let topic = config.topic.clone();
    read_to_end(
        &config.kafka,
        &config.topic,
        WriterState::<D>::default(),
        move |state, record| {
            let event = EventEnvelope::decode(record.payload.as_slice())?;
            let position = Position {
                topic: topic.clone(),
                partition: record.partition,
                offset: record.offset,
            };
            state.fold(&event, position).map_err(Into::into)
        },
    )
    .await
}

async fn run<D: Decider>(
    config: WriterConfig,
    producer: TxProducer,
    mut state: WriterState<D>,
    mut queue: mpsc::Receiver<Job<D::Command>>,
    shutdown: CancellationToken,
) -> Result<(), KafkaError> {
    loop {
        let first = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            job = queue.recv() => match job {
                Some(job) => job,
                None => return Ok(()),
            },
        };
        // Group commit: whatever queued while the previous transaction was in
        // flight goes into this one.
        let mut batch = vec![first];
        while batch.len() < config.max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(err) = write_batch(&config, &producer, &mut state, batch).await {
            if err.is_fatal() {
                tracing::error!(error = %err, "writer stops: it can no longer append");
                shutdown.cancel();
                return Err(err);
            }
            tracing::warn!(error = %err, "transaction failed; rebuilding state from the topic");
            state = rebuild::<D>(&config).await?;
        }
    }
}

enum Slot {
    Done(Result<(Accepted, bool), WriteError>),
    Appended(usize),
    Replay,
}

async fn write_batch<D: Decider>(
    config: &WriterConfig,
    producer: &TxProducer,
    state: &mut WriterState<D>,
    batch: Vec<Job<D::Command>>,
) -> Result<(), KafkaError> {
    let now = OffsetDateTime::now_utc();
    let mut records = Vec::new();
    let mut slots = Vec::with_capacity(batch.len());
    for job in &batch {
        let slot = match state.seen(&job.meta, &job.digest) {
            Some(Seen::Accepted(accepted)) => Slot::Done(Ok((accepted, true))),
            Some(Seen::Pending) => Slot::Replay,
            Some(Seen::Conflict(err)) => Slot::Done(Err(err.into())),
            None => match state.stage(
                &job.meta,
                job.digest.clone(),
                &job.command,
                &config.topic,
                now,
            ) {
                Ok((event, key)) => {
                    let event_type = event
                        .payload
                        .as_ref()
                        .map(|p| p.type_name())
                        .unwrap_or_default();
                    records.push(OutboundRecord {
                        topic: config.topic.clone(),
                        key,
                        payload: event.encode_to_vec(),
                        event_type: event_type.to_owned(),
                    });
                    Slot::Appended(records.len() - 1)
                }
                Err(err) => Slot::Done(Err(err.into())),
            },
        };
        slots.push(slot);
    }

    let outcome = if records.is_empty() {
        Ok(Vec::new())
    } else {
        let started = Instant::now();
        let result = producer.append(&records).await;
        metrics::histogram!("ledger_writer_transaction_seconds")
            .record(started.elapsed().as_secs_f64());
        metrics::histogram!("ledger_writer_batch_events").record(records.len() as f64);
        result
    };

    match outcome {
        Ok(positions) => {
            for (job, slot) in batch.iter().zip(&slots) {
                if let Slot::Appended(index) = slot {
                    if let Some(position) = positions.get(*index) {
                        state.set_position(&job.meta, position.clone());
                    }
                }
            }
            for (job, slot) in batch.into_iter().zip(slots) {
                let answer = match slot {
                    Slot::Done(answer) => answer,
                    Slot::Appended(_) => lookup(state, &job.meta, false),
                    Slot::Replay => lookup(state, &job.meta, true),
                };
                record_outcome(&answer);
                let _client_gone = job.reply.send(answer);
            }
            Ok(())
        }
        Err(err) => {
            for (job, slot) in batch.into_iter().zip(slots) {
                let answer = match slot {
                    Slot::Done(answer) => answer,
                    Slot::Appended(_) | Slot::Replay => {
                        Err(WriteError::Unavailable(err.to_string()))
                    }
                };
                record_outcome(&answer);
                let _client_gone = job.reply.send(answer);
            }
            Err(err)
        }
    }
}

fn lookup<D: Decider>(
    state: &WriterState<D>,
    meta: &CommandMeta,
    replayed: bool,
) -> Result<(Accepted, bool), WriteError> {
    state
        .accepted(meta)
        .map(|accepted| (accepted, replayed))
        .ok_or_else(|| WriteError::Unavailable("accepted command missing from the log".into()))
}

fn record_outcome(answer: &Result<(Accepted, bool), WriteError>) {
    let outcome = match answer {
        Ok((_, false)) => "accepted",
        Ok((_, true)) => "replayed",
        Err(WriteError::Rejected(_)) => "rejected",
        Err(_) => "failed",
    };
    metrics::counter!("ledger_commands_total", "outcome" => outcome).increment(1);
}
