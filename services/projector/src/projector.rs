//! The consume → apply → store-offsets loop of one projector instance.
//!
//! The instance holds some of the projection's partitions under leases (see
//! `ledger_readmodel::engine`), reads them from the offsets stored in
//! PostgreSQL, and hands batches to the projection engine. Outages are
//! retried with backoff and shown; a bad event stops its partition only;
//! a partition lost to another instance is dropped and the consumer
//! re-positioned.

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use ledger_domain::signing::KeyRing;
use ledger_kafka::{
    partitions,
    rdkafka::{
        consumer::{BaseConsumer, Consumer, StreamConsumer},
        Message, Offset, TopicPartitionList,
    },
    KafkaError, LedgerContext, Topics,
};
use ledger_readmodel::{Claims, ErrorClass, PartitionKey, Projection, ReadModelError, Record};
use tokio::{net::TcpListener, time::Instant};
use tokio_util::sync::CancellationToken;

use crate::{
    status::{self, Live, Outage, StatusState},
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
    #[error("key ring {path}: {why}")]
    Keys { path: String, why: String },
}

/// The key ring of `path`.
fn load_ring(path: &std::path::Path) -> Result<KeyRing, ProjectorError> {
    let keys = |why: String| ProjectorError::Keys {
        path: path.display().to_string(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| keys(e.to_string()))?;
    KeyRing::parse(&text).map_err(|e| keys(e.to_string()))
}

/// A started projector: read model migrated, its share of the partitions
/// claimed and assigned at the offsets stored in PostgreSQL.
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
    /// Every partition of the event topics.
    all: Vec<PartitionKey>,
    /// The partitions this instance holds, with their epochs.
    owned: Claims,
    /// Held partitions stopped at an event they cannot apply.
    faulted: HashSet<PartitionKey>,
    /// When the ledger recorded the last event applied, per partition.
    last_recorded: HashMap<PartitionKey, i64>,
    /// A metadata client for the partitions' ends (lag).
    watermarks: Arc<BaseConsumer<LedgerContext>>,
    live: Arc<Mutex<Live>>,
    /// The keys trusted to sign each context's events: a record no trusted
    /// key signed stops its partition, like any record that cannot apply.
    ring: KeyRing,
}

/// Splits a batch into at most `groups` batches by partition, keeping each
/// partition's records together and in order.
fn split(batch: Vec<Record>, groups: usize) -> Vec<Vec<Record>> {
    use std::hash::{Hash, Hasher};
    let mut out: Vec<Vec<Record>> = (0..groups).map(|_| Vec::new()).collect();
    for record in batch {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        record.key().hash(&mut hasher);
        let slot = (hasher.finish() % groups as u64) as usize;
        out[slot].push(record);
    }
    out.retain(|group| !group.is_empty());
    out
}

fn instance_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".to_owned());
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &nonce[..8])
}

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
        let projection = Projection::new(config.projection.clone(), pool.clone(), instance_name())
            .with_lease(config.lease);

        let ring = load_ring(&config.trusted_keys_file)?;
        let kafka = config.kafka.clone();
        ledger_kafka::check_access(&kafka, Duration::from_secs(30)).await?;
        let topics = Topics::new(&config.topic_namespace);
        let mut client =
            kafka.committed_reader(&topics.client_name("projector", &config.projection));
        client.set("enable.partition.eof", "false");
        let consumer: StreamConsumer<LedgerContext> = client.create_with_context(LedgerContext)?;

        let mut all = Vec::new();
        for topic in topics.event_topics() {
            let name: Arc<str> = Arc::from(topic);
            for partition in partitions(&kafka, topic).await? {
                all.push((name.clone(), partition));
            }
        }
        projection.register_partitions(&all).await?;
        let live = Arc::new(Mutex::new(Live {
            instance: projection.instance.clone(),
            ..Live::default()
        }));
        let mut worker = Worker {
            consumer,
            projection,
            config,
            all,
            owned: Claims::new(),
            faulted: HashSet::new(),
            last_recorded: HashMap::new(),
            watermarks: Arc::new(kafka.admin().create_with_context(LedgerContext)?),
            live: live.clone(),
            ring,
        };
        worker.rebalance().await?;

        let status = StatusState {
            pool,
            projection: worker.config.projection.clone(),
            metrics: ledger_telemetry::metrics_handle(),
            live,
        };
        Ok(Projector {
            listener,
            status,
            worker,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Projects until `shutdown` is cancelled; the batch in hand is finished
    /// (or abandoned before commit) first, so a stop never half-applies one.
    /// The partitions are released on the way out, for another instance to
    /// take at once.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ProjectorError> {
        let Projector {
            listener,
            status,
            mut worker,
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
        if let Err(err) = worker.projection.leave(&mut worker.owned).await {
            tracing::warn!(error = %err, "could not release the partitions; they free up when the lease runs out");
        }
        shutdown.cancel();
        let _ = server.await;
        result
    }
}

impl Worker {
    async fn run(&mut self, shutdown: &CancellationToken) -> Result<(), ProjectorError> {
        let heartbeat = self.config.lease / 3;
        let mut next_heartbeat = Instant::now() + heartbeat;
        loop {
            if Instant::now() >= next_heartbeat {
                match self.rebalance().await {
                    Ok(()) => self.record_lag().await,
                    Err(ProjectorError::ReadModel(err)) if err.is_outage() => {
                        self.outage(&err);
                    }
                    Err(err) => return Err(err),
                }
                next_heartbeat = Instant::now() + heartbeat;
            }
            let batch = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                batch = self.next_batch(next_heartbeat) => batch?,
            };
            if !batch.is_empty() {
                self.write(batch, shutdown).await?;
            }
        }
    }

    /// Waits for a record until `until`, then gathers more for up to
    /// `linger`. Records of partitions not held or stopped are left out.
    async fn next_batch(&self, until: Instant) -> Result<Vec<Record>, ProjectorError> {
        let mut raws: Vec<(Arc<str>, i32, i64, Vec<u8>)> = Vec::new();
        let mut deadline = until;
        while raws.len() < self.config.max_batch {
            let message = match tokio::time::timeout_at(deadline, self.consumer.recv()).await {
                Ok(received) => received?,
                Err(_) => break,
            };
            let key: PartitionKey = (Arc::from(message.topic()), message.partition());
            if !self.owned.contains_key(&key) || self.faulted.contains(&key) {
                continue;
            }
            if raws.is_empty() {
                deadline = Instant::now() + self.config.linger;
            }
            let payload = message.payload().unwrap_or_default().to_vec();
            raws.push((key.0, message.partition(), message.offset(), payload));
        }
        // Decoded and their signatures verified together, in one batch.
        let items: Vec<(Arc<str>, i32, i64, &[u8])> = raws
            .iter()
            .map(|(topic, partition, offset, bytes)| {
                (topic.clone(), *partition, *offset, bytes.as_slice())
            })
            .collect();
        Ok(Record::decode_many(&items, &self.ring))
    }

    /// Applies a batch; on an outage retries what did not go through until
    /// it does. Partitions touch disjoint rows, so the batch is split into
    /// `--writers` groups of partitions, each written in a transaction of its
    /// own at the same time (the database works on them in parallel, and a
    /// small batch is not held up behind a large one).
    async fn write(
        &mut self,
        batch: Vec<Record>,
        shutdown: &CancellationToken,
    ) -> Result<(), ProjectorError> {
        let mut pending = split(batch, self.config.writers.max(1));
        let mut delay = Duration::from_millis(50);
        while !pending.is_empty() {
            let started = Instant::now();
            let results = futures::future::join_all(
                pending
                    .iter()
                    .map(|group| self.projection.apply(&self.owned, group)),
            )
            .await;
            let (mut retry, mut outage, mut fenced, mut stopped) = (Vec::new(), None, None, false);
            for (group, result) in pending.into_iter().zip(results) {
                match result {
                    Ok(applied) => {
                        metrics::histogram!("ledger_projector_batch_seconds")
                            .record(started.elapsed().as_secs_f64());
                        metrics::counter!("ledger_projector_events_total")
                            .increment(applied.events);
                        metrics::counter!("ledger_projector_batches_total").increment(1);
                        metrics::histogram!("ledger_projector_batch_records")
                            .record(group.len() as f64);
                        for fault in &applied.faults {
                            metrics::counter!("ledger_projector_faults_total").increment(1);
                            self.faulted
                                .insert((Arc::from(fault.topic.as_str()), fault.partition));
                            stopped = true;
                        }
                    }
                    Err(err) => match err.class() {
                        ErrorClass::Outage => {
                            outage = Some(err);
                            retry.push(group);
                        }
                        ErrorClass::Fenced => fenced = Some(err),
                        ErrorClass::BadData | ErrorClass::Fatal => return Err(err.into()),
                    },
                }
            }
            if let Some(err) = fenced {
                tracing::warn!(error = %err, "a partition was taken over; re-balancing");
                metrics::counter!("ledger_projector_fenced_total").increment(1);
                // Whatever was not written is read again from the stored
                // offsets of the partitions still held.
                self.rebalance().await?;
                self.assign().await?;
                return Ok(());
            }
            if stopped {
                self.assign().await?;
            }
            match outage {
                Some(err) => {
                    self.outage(&err);
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                None => self.recovered().await,
            }
            pending = retry;
        }
        Ok(())
    }

    /// Lag per partition held: records behind the partition's end, and
    /// seconds since the ledger recorded the last event applied (0 once
    /// caught up). Measured at every heartbeat, so a stuck partition shows.
    async fn record_lag(&self) {
        let keys: Vec<PartitionKey> = self.owned.keys().cloned().collect();
        let Ok(positions) = self.projection.positions(&keys).await else {
            return;
        };
        let client = self.watermarks.clone();
        let asked = keys.clone();
        let ends = tokio::task::spawn_blocking(move || {
            asked
                .iter()
                .map(|(t, p)| {
                    client
                        .fetch_watermarks(t, *p, Duration::from_secs(2))
                        .ok()
                        .map(|(_, high)| high)
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for (key, end) in keys.iter().zip(ends) {
            let (Some(end), Some(next)) = (end, positions.get(key)) else {
                continue;
            };
            // Every transaction ends with a commit marker, which is never
            // delivered and so never "applied": a caught-up partition ends
            // one past its last event.
            let behind = (end - next - 1).max(0);
            let seconds = match self.last_recorded.get(key) {
                Some(at) if behind > 0 => (now - at).max(0) as f64,
                _ => 0.0,
            };
            let labels = [
                ("topic", key.0.to_string()),
                ("partition", key.1.to_string()),
            ];
            metrics::gauge!("ledger_projector_lag_events", &labels).set(behind as f64);
            metrics::gauge!("ledger_projector_lag_seconds", &labels).set(seconds);
        }
    }

    fn outage(&self, err: &ReadModelError) {
        tracing::warn!(error = %err, "read model unavailable; retrying");
        metrics::gauge!("ledger_projector_database_up").set(0.0);
        metrics::counter!("ledger_projector_retries_total").increment(1);
        if let Ok(mut live) = self.live.lock() {
            let outage = live.outage.get_or_insert_with(|| Outage {
                since: time::OffsetDateTime::now_utc(),
                retries: 0,
                error: String::new(),
            });
            outage.retries += 1;
            outage.error = err.to_string();
        }
    }

    /// The database answers again: the outage is over, and recorded.
    async fn recovered(&self) {
        metrics::gauge!("ledger_projector_database_up").set(1.0);
        let ended = self
            .live
            .lock()
            .ok()
            .and_then(|mut live| live.outage.take());
        if let Some(outage) = ended {
            tracing::info!(retries = outage.retries, "read model reachable again");
            let recorded = sqlx::query(
                "INSERT INTO projection_outages (projection, instance, started_at, ended_at, retries, error)
                 VALUES ($1, $2, $3, now(), $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(&self.projection.name)
            .bind(&self.projection.instance)
            .bind(outage.since)
            .bind(i32::try_from(outage.retries).unwrap_or(i32::MAX))
            .bind(&outage.error)
            .execute(self.projection.pool())
            .await;
            if let Err(err) = recorded {
                tracing::warn!(error = %err, "could not record the outage");
            }
        }
    }

    /// Heartbeat, then takes or gives up partitions for an even share;
    /// re-positions the consumer when the share changed.
    async fn rebalance(&mut self) -> Result<(), ProjectorError> {
        let mut changed = self.projection.balance(&self.all, &mut self.owned).await?;
        self.faulted.retain(|k| self.owned.contains_key(k));
        // A stopped partition whose fault ops acknowledged moves again.
        if !self.faulted.is_empty() {
            let stopped = self.projection.stopped(&self.all).await?;
            let before = self.faulted.len();
            self.faulted.retain(|k| stopped.contains(k));
            if self.faulted.len() < before {
                tracing::info!(
                    partitions = before - self.faulted.len(),
                    "stopped partitions acknowledged: resuming"
                );
                changed = true;
            }
        }
        if changed {
            tracing::info!(instance = %self.projection.instance, partitions = self.owned.len(), "partitions held changed");
            self.assign().await?;
        }
        Ok(())
    }

    /// Assigns the held, unstopped partitions at their stored offsets.
    async fn assign(&mut self) -> Result<(), ProjectorError> {
        let mut keys: Vec<PartitionKey> = self
            .owned
            .keys()
            .filter(|k| !self.faulted.contains(*k))
            .cloned()
            .collect();
        keys.sort();
        let positions = self.projection.positions(&keys).await?;
        let mut assignment = TopicPartitionList::new();
        for key in &keys {
            let offset = positions.get(key).copied().unwrap_or(0);
            assignment.add_partition_offset(&key.0, key.1, Offset::Offset(offset))?;
        }
        self.consumer.assign(&assignment)?;
        metrics::gauge!("ledger_projector_partitions_held").set(self.owned.len() as f64);
        metrics::gauge!("ledger_projector_stopped_partitions").set(self.faulted.len() as f64);
        if let Ok(mut live) = self.live.lock() {
            let mut held: Vec<_> = self
                .owned
                .iter()
                .map(|((t, p), e)| (t.to_string(), *p, *e))
                .collect();
            held.sort();
            live.held = held;
        }
        Ok(())
    }
}
