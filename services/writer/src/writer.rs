//! The single-writer task: decides commands in order and appends their events
//! in Kafka transactions, many commands per transaction.

use std::{collections::HashMap, time::Instant};

use ledger_domain::{Decider, DomainError};
use ledger_kafka::{
    follow_from, KafkaConfig, KafkaError, OutboundRecord, Position, TailRecord, TxProducer,
};
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
    restore::restore,
    snapshot::{SnapshotConfig, SnapshotStore, Snapshotter},
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
    /// Topics of other contexts whose events this context observes (and may
    /// react to); followed from their start for as long as the writer runs.
    pub follow: Vec<String>,
    /// Where to keep snapshots of the state; `None`: every start reads the
    /// whole topic.
    pub snapshots: Option<SnapshotConfig>,
    /// The key this writer signs with, and the keys it trusts in what it
    /// reads back and follows.
    pub signing: crate::Signing,
    /// The personal-data store's pseudonym keys, which every person id a
    /// command names must verify under; `None` for a context whose
    /// commands name nobody ([`WriterConfig::naming_persons`]).
    pub pseudonyms: Option<ledger_domain::pseudonyms::PseudonymKeys>,
    /// When to append a signed checkpoint of the log's heads.
    pub checkpoints: crate::CheckpointPolicy,
}

impl WriterConfig {
    /// This configuration, for a context whose commands name persons: it
    /// refuses to start without the pseudonym keys.
    pub fn naming_persons(self) -> Result<Self, crate::KeyFileError> {
        if self.pseudonyms.is_none() {
            return Err(crate::KeyFileError::MissingPseudonyms);
        }
        Ok(self)
    }
}

type Reply = oneshot::Sender<Result<(Accepted, bool), WriteError>>;

/// A client's command, answered through `reply`.
struct Item<C> {
    meta: CommandMeta,
    digest: Vec<u8>,
    command: C,
    reply: Reply,
}

enum Job<C> {
    /// Commands decided in order and appended in the same transaction: one
    /// for `POST /v1/commands/{name}`, several for a batch.
    Commands(Vec<Item<C>>),
    /// An event of another context, to observe and perhaps react to, with
    /// where it was read.
    Observe(Box<EventEnvelope>, Position),
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
        let store = config
            .snapshots
            .as_ref()
            .map(|s| SnapshotStore::new::<D>(&s.dir, &config.topic, config.signing.clone()));
        let restored = restore::<D>(&config, store.as_ref()).await?;
        tracing::info!(
            topic = %config.topic,
            from_snapshot = restored.from_snapshot,
            events_read = restored.folded,
            commands = restored.state.commands(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "state restored"
        );
        let state = restored.state;
        let mut snapshotter = store.zip(config.snapshots.as_ref()).map(|(store, s)| {
            // Counting the events just read makes a long replay at start
            // followed by a snapshot at once, not after `every` more.
            Snapshotter::new(store, s.every, restored.folded)
        });
        if let Some(snapshotter) = snapshotter.as_mut() {
            snapshotter.folded(&state, 0);
        }
        let (jobs, queue) = mpsc::channel(config.max_batch.max(1) * 4);
        let followed: Vec<_> = config
            .follow
            .iter()
            .map(|topic| (topic.clone(), state.observed(topic)))
            .collect();
        let kafka = config.kafka.clone();
        let ring = config.signing.ring.clone();
        let task = tokio::spawn(run(
            config,
            producer,
            state,
            snapshotter,
            queue,
            shutdown.clone(),
        ));
        for (topic, start) in followed {
            observe_topic(
                &kafka,
                ring.clone(),
                topic,
                start,
                jobs.clone(),
                shutdown.clone(),
            )
            .await?;
        }
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
        let mut answers = self.submit_batch(vec![(meta, digest, command)]).await?;
        answers.pop().unwrap_or(Err(WriteError::ShuttingDown))
    }

    /// Submits commands to be decided in this order, each against the state
    /// the previous ones left, and appended in one transaction; answers one
    /// outcome per command, in the same order.
    pub async fn submit_batch(
        &self,
        commands: Vec<(CommandMeta, Vec<u8>, C)>,
    ) -> Result<Vec<Result<(Accepted, bool), WriteError>>, WriteError> {
        let (items, answers): (Vec<_>, Vec<_>) = commands
            .into_iter()
            .map(|(meta, digest, command)| {
                let (reply, answer) = oneshot::channel();
                (
                    Item {
                        meta,
                        digest,
                        command,
                        reply,
                    },
                    answer,
                )
            })
            .unzip();
        self.jobs
            .send(Job::Commands(items))
            .await
            .map_err(|_| WriteError::ShuttingDown)?;
        let mut outcomes = Vec::with_capacity(answers.len());
        for answer in answers {
            outcomes.push(answer.await.map_err(|_| WriteError::ShuttingDown)?);
        }
        Ok(outcomes)
    }
}

/// Follows another context's topic into the writer's queue, from where the
/// state last observed it; returns once the events that existed at start
/// have been queued, so the service starts with what the other context knew.
async fn observe_topic<C: Send + 'static>(
    kafka: &KafkaConfig,
    ring: std::sync::Arc<ledger_domain::signing::KeyRing>,
    topic: String,
    start: HashMap<i32, i64>,
    jobs: mpsc::Sender<Job<C>>,
    shutdown: CancellationToken,
) -> Result<(), KafkaError> {
    let (records, mut incoming) = mpsc::channel::<TailRecord>(1024);
    let (caught_up, ready) = oneshot::channel();
    let follower = tokio::spawn(follow_from(
        kafka.clone(),
        topic.clone(),
        start,
        records,
        caught_up,
        shutdown,
    ));
    tokio::spawn(async move {
        while let Some(tail) = incoming.recv().await {
            // A record the followed topic's writer did not sign (a forged
            // breach, say) is left out: it orders nothing.
            let (partition, offset) = (tail.record.partition, tail.record.offset);
            let Some(event) =
                crate::signing::admit(&ring, &tail.topic, partition, offset, &tail.record.payload)
            else {
                continue;
            };
            let read_at = Position {
                topic: tail.topic,
                partition,
                offset,
            };
            if jobs
                .send(Job::Observe(Box::new(event), read_at))
                .await
                .is_err()
            {
                return;
            }
        }
    });
    tokio::select! {
        _ = ready => Ok(()),
        ended = follower => match ended {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(err),
            Err(join) => Err(KafkaError::Worker(join.to_string())),
        },
    }
}

async fn run<D: Decider>(
    config: WriterConfig,
    producer: TxProducer,
    mut state: WriterState<D>,
    mut snapshotter: Option<Snapshotter>,
    mut queue: mpsc::Receiver<Job<D::Command>>,
    shutdown: CancellationToken,
) -> Result<(), KafkaError> {
    let mut last_write = tokio::time::Instant::now();
    loop {
        let quiet_until = last_write + config.checkpoints.quiet;
        let job = tokio::select! {
            _ = shutdown.cancelled() => None,
            job = queue.recv() => job,
            // Quiet for a while with streams unchecked: a checkpoint alone.
            _ = tokio::time::sleep_until(quiet_until), if state.unchecked() > 0 => {
                if let Err(err) = write_batch(&config, &producer, &mut state, Vec::new()).await {
                    tracing::error!(error = %err, "writer stops: a checkpoint's transaction failed");
                    shutdown.cancel();
                    return Err(err);
                }
                last_write = tokio::time::Instant::now();
                continue;
            }
        };
        let Some(first) = job else {
            if let Some(snapshotter) = snapshotter.take() {
                snapshotter.finish(&state).await;
            }
            return Ok(());
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
        last_write = tokio::time::Instant::now();
        match write_batch(&config, &producer, &mut state, batch).await {
            Ok(folded) => {
                if let Some(snapshotter) = snapshotter.as_mut() {
                    snapshotter.folded(&state, folded);
                }
            }
            Err(err) => {
                // The state already holds the batch's events and
                // observations: rather than unpick them, stop (and take no
                // snapshot); a restart rebuilds the state from the topics,
                // which hold exactly what was committed.
                tracing::error!(error = %err, "writer stops: a transaction failed");
                shutdown.cancel();
                return Err(err);
            }
        }
    }
}

enum Slot {
    Done(Result<(Accepted, bool), WriteError>),
    Appended,
    Replay,
}

/// Decides one client command against the state, staging its event.
fn decide<D: Decider>(
    config: &WriterConfig,
    state: &mut WriterState<D>,
    item: &Item<D::Command>,
    now: OffsetDateTime,
    records: &mut Vec<OutboundRecord>,
) -> Slot {
    let Item {
        meta,
        digest,
        command,
        ..
    } = item;
    // The ledger's own source system is its reactions': a client sending
    // under it could answer for them, or pre-empt them.
    if meta.source_system == crate::REACTIONS_SOURCE {
        return Slot::Done(Err(DomainError::invalid(
            "source_system",
            format!(
                "{:?} is reserved for the ledger's own reactions",
                crate::REACTIONS_SOURCE
            ),
        )
        .into()));
    }
    match state.seen(meta, digest) {
        Some(Seen::Accepted) => Slot::Done(lookup(state, meta, &config.topic, true)),
        Some(Seen::Pending) => Slot::Replay,
        Some(Seen::Conflict(err)) => Slot::Done(Err(err.into())),
        None => match state.stage(meta, digest.clone(), command, config, now) {
            Ok((event, key)) => {
                records.push(outbound(config, &event, key));
                Slot::Appended
            }
            Err(err) => Slot::Done(Err(err.into())),
        },
    }
}

async fn write_batch<D: Decider>(
    config: &WriterConfig,
    producer: &TxProducer,
    state: &mut WriterState<D>,
    batch: Vec<Job<D::Command>>,
) -> Result<u64, KafkaError> {
    let now = OffsetDateTime::now_utc();
    let mut observed = 0;
    let mut records = Vec::new();
    // Nothing queued: the quiet writer's call for a checkpoint.
    let quiet = batch.is_empty();
    let mut items = Vec::new();
    let mut slots = Vec::new();
    for job in batch {
        match job {
            Job::Observe(event, read_at) => {
                observe(config, state, &event, now, &mut records);
                state.mark_observed(&read_at.topic, read_at.partition, read_at.offset);
                observed += 1;
            }
            Job::Commands(commands) => {
                for item in commands {
                    slots.push(decide(config, state, &item, now, &mut records));
                    items.push(item);
                }
            }
        }
    }

    // A checkpoint rides in the same transaction as the events it covers:
    // when enough streams moved, or alone when a quiet writer asks for one.
    // Each covers at most MOST_HEADS streams: as many as it takes.
    let mut due = quiet || state.unchecked() >= config.checkpoints.every;
    while due {
        match state.stage_checkpoint(config, now) {
            Ok(Some((event, key))) => records.push(outbound(config, &event, key)),
            Ok(None) => break,
            Err(err) => {
                tracing::error!(error = %err, "checkpoint not staged");
                break;
            }
        }
        // A quiet writer covers everything; a busy one what calls for it.
        due = (quiet && state.unchecked() > 0) || state.unchecked() >= config.checkpoints.every;
    }
    let records_len = records.len() as u64;
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

    let failure = match outcome {
        Ok(positions) => {
            state.record_positions(&positions);
            None
        }
        Err(err) => Some(err),
    };
    for (Item { meta, reply, .. }, slot) in items.into_iter().zip(slots) {
        let answer = match (slot, &failure) {
            // A refusal may have been decided against events staged in this
            // batch (the envelope another command of it filled, its key
            // used by one of them), which the failed transaction undid: it
            // is not final, and a retry under the same key decides anew.
            (Slot::Done(Err(_)), Some(err)) => Err(WriteError::Unavailable(err.to_string())),
            (Slot::Done(answer), _) => answer,
            (Slot::Appended | Slot::Replay, Some(err)) => {
                Err(WriteError::Unavailable(err.to_string()))
            }
            (Slot::Appended, None) => lookup(state, &meta, &config.topic, false),
            (Slot::Replay, None) => lookup(state, &meta, &config.topic, true),
        };
        record_outcome(&answer);
        let _client_gone = reply.send(answer);
    }
    match failure {
        None => Ok(observed + records_len),
        Some(err) => Err(err),
    }
}

fn outbound(config: &WriterConfig, event: &EventEnvelope, key: String) -> OutboundRecord {
    let event_type = event
        .payload
        .as_ref()
        .map(|p| p.type_name())
        .unwrap_or_default();
    OutboundRecord {
        topic: config.topic.clone(),
        key,
        payload: event.encode_to_vec(),
        event_type: event_type.to_owned(),
    }
}

/// Folds another context's event and stages the commands it calls for,
/// unless their idempotency keys show they were already appended.
fn observe<D: Decider>(
    config: &WriterConfig,
    state: &mut WriterState<D>,
    event: &EventEnvelope,
    now: OffsetDateTime,
    records: &mut Vec<OutboundRecord>,
) {
    if let Some(payload) = &event.payload {
        state.decider.observe(payload);
    }
    for reaction in state.decider.react(event) {
        let meta = CommandMeta {
            command_id: reaction.command_id,
            source_system: crate::REACTIONS_SOURCE.to_owned(),
            actor: crate::REACTIONS_SOURCE.to_owned(),
            correlation_id: Some(event.correlation_id.clone()).filter(|c| !c.is_empty()),
            causation_id: Some(event.event_id.clone()),
            expected_version: None,
        };
        if state.seen(&meta, &reaction.digest).is_some() {
            continue;
        }
        match state.stage(&meta, reaction.digest, &reaction.command, config, now) {
            Ok((staged, key)) => {
                tracing::info!(cause = %event.event_id, event_id = %staged.event_id, "reaction staged");
                records.push(outbound(config, &staged, key));
            }
            Err(err) => tracing::warn!(cause = %event.event_id, error = %err, "reaction refused"),
        }
    }
}

fn lookup<D: Decider>(
    state: &WriterState<D>,
    meta: &CommandMeta,
    topic: &str,
    replayed: bool,
) -> Result<(Accepted, bool), WriteError> {
    state
        .accepted(meta, topic)
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
