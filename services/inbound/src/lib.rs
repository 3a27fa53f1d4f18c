//! The inbound gateway: other systems send protobuf `InboundCommand`s on
//! `ledger.inbound.v1`; each gets exactly one `CommandResult` on
//! `ledger.results.v1`, keyed by its command id.
//!
//! Each command is forwarded to the service that owns it, over the same HTTP
//! interface as any client, with its command id as the idempotency key:
//! consecutive commands for one owner as one batch (`/v1/commands:batch`),
//! decided in order and appended in one transaction. The
//! results of a batch and the consumed offsets are committed in one Kafka
//! transaction: a crash before the commit re-processes the batch, and the
//! services answer the repeated commands with their original outcome, so the
//! single result that is finally committed is the right one.

mod config;
mod forward;
mod route;

use std::{net::SocketAddr, time::Duration};

use axum::{routing::get, Router};
use ledger_kafka::{
    rdkafka::{
        consumer::{Consumer, StreamConsumer},
        message::OwnedMessage,
        Message, Offset, TopicPartitionList,
    },
    KafkaError, LedgerContext, OutboundRecord, Topics, TxProducer,
};
use prost::Message as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::Config;
pub use route::Allow;

#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    #[error(transparent)]
    Client(#[from] ledger_kafka::rdkafka::error::KafkaError),
    #[error("invalid --allow: {0}")]
    Allow(String),
    #[error("http client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("configuration: {0}")]
    Config(String),
}

/// A started gateway: consumer subscribed, producer fenced.
pub struct Inbound {
    listener: TcpListener,
    consumer: StreamConsumer<LedgerContext>,
    producer: TxProducer,
    forwarder: forward::Forwarder,
    topics: Topics,
}

const MAX_BATCH: usize = 500;
/// Most bytes of commands in one batch to an owner, well below what its
/// batch route takes (8 MiB).
const MAX_RUN_BYTES: usize = 4 * 1024 * 1024;
const LINGER: Duration = Duration::from_millis(10);

impl Inbound {
    pub async fn build(config: Config) -> Result<Inbound, InboundError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| InboundError::Bind {
                    address: config.listen,
                    source,
                })?;
        let allow = Allow::parse(&config.allow).map_err(InboundError::Allow)?;
        let kafka = config.kafka.clone();
        let topics = Topics::new(&config.topic_namespace);
        let producer = TxProducer::connect(&kafka, &config.transactional_id).await?;
        let mut client = kafka.committed_reader(&format!("{}.inbound", config.transactional_id));
        client.set("enable.partition.eof", "false");
        let consumer: StreamConsumer<LedgerContext> = client.create_with_context(LedgerContext)?;
        // One inbound topic per source system the rules name: only that
        // system's Kafka user can write there, so the topic says who sent.
        let inbound: Vec<String> = allow
            .systems()
            .into_iter()
            .map(|s| topics.inbound_of(s))
            .collect();
        for topic in inbound.iter().chain(
            allow
                .systems()
                .iter()
                .map(|s| topics.results_of(s))
                .collect::<Vec<_>>()
                .iter(),
        ) {
            ledger_kafka::partitions(&kafka, topic).await?;
        }
        if inbound.is_empty() {
            tracing::warn!(
                "no source system is allowed (LEDGER_INBOUND_ALLOW is empty): nothing to read"
            );
        } else {
            consumer.subscribe(&inbound.iter().map(String::as_str).collect::<Vec<_>>())?;
        }
        let forwarder = forward::Forwarder::new(&config, allow, topics.clone())?;
        Ok(Inbound {
            listener,
            consumer,
            producer,
            forwarder,
            topics,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Consumes until `shutdown`; a batch in hand is either committed whole
    /// with its results or not at all.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), InboundError> {
        let router = ledger_http::with_defaults(
            Router::new()
                .route("/healthz", get(|| async { "ok" }))
                .route("/readyz", get(|| async { "ready" })),
        );
        let server = {
            let shutdown = shutdown.clone();
            let listener = self.listener;
            tokio::spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(shutdown.cancelled_owned())
                    .await
            })
        };
        let result = loop {
            let first = tokio::select! {
                _ = shutdown.cancelled() => break Ok(()),
                received = self.consumer.recv() => received,
            };
            let mut batch = vec![first?.detach()];
            let deadline = tokio::time::Instant::now() + LINGER;
            while batch.len() < MAX_BATCH {
                match tokio::time::timeout_at(deadline, self.consumer.recv()).await {
                    Ok(received) => batch.push(received?.detach()),
                    Err(_) => break,
                }
            }
            let Some(records) = answer(&self.forwarder, &batch, &shutdown).await else {
                return Ok(()); // shutting down: the batch is not committed
            };
            let mut offsets = TopicPartitionList::new();
            for message in &batch {
                offsets.add_partition_offset(
                    message.topic(),
                    message.partition(),
                    Offset::Offset(message.offset() + 1),
                )?;
            }
            let Some(group) = self.consumer.group_metadata() else {
                break Err(InboundError::Kafka(KafkaError::MissingTopic(
                    self.topics.inbound.clone(),
                )));
            };
            if let Err(err) = self
                .producer
                .append_consumed(&records, offsets, group)
                .await
            {
                // Nothing of the batch is visible; a restart processes it again.
                tracing::error!(error = %err, "results transaction failed; stopping");
                break Err(err.into());
            }
            metrics::counter!("ledger_inbound_commands_total").increment(batch.len() as u64);
        };
        shutdown.cancel();
        let _ = server.await;
        result
    }
}

/// The results (and dead letters) of the consumed `batch`, in its
/// order. Each run of consecutive commands from one system to one owner
/// goes as one batch; runs go one after the other, so a command is
/// decided after every command consumed before it.
async fn answer(
    forwarder: &forward::Forwarder,
    batch: &[OwnedMessage],
    shutdown: &CancellationToken,
) -> Option<Vec<OutboundRecord>> {
    let steps: Vec<forward::Step> = batch
        .iter()
        .map(|message| forwarder.prepare(message))
        .collect();
    let mut steps = steps.into_iter().peekable();
    let mut records = Vec::with_capacity(batch.len());
    while let Some(step) = steps.next() {
        let (system, owner, first) = match step {
            forward::Step::Answered(answer) => {
                records.extend(answer);
                continue;
            }
            forward::Step::Forward {
                system,
                owner,
                inbound,
            } => (system, owner, inbound),
        };
        let mut run = vec![*first];
        let mut bytes = run[0].encoded_len();
        while let Some(forward::Step::Forward {
            system: next_system,
            owner: next_owner,
            inbound,
        }) = steps.peek()
        {
            if *next_system != system
                || *next_owner != owner
                || bytes + inbound.encoded_len() > MAX_RUN_BYTES
            {
                break;
            }
            bytes += inbound.encoded_len();
            if let Some(forward::Step::Forward { inbound, .. }) = steps.next() {
                run.push(*inbound);
            }
        }
        records.extend(forwarder.forward(&system, owner, run, shutdown).await?);
    }
    Some(records)
}

/// The whole process, configured from flags and environment.
pub async fn main_from_env() -> anyhow::Result<()> {
    use anyhow::Context;
    use clap::Parser;

    ledger_telemetry::init_tracing();
    let config = Config::parse();
    let shutdown = ledger_telemetry::shutdown_on_signals();
    let inbound = Inbound::build(config)
        .await
        .context("inbound gateway failed to start")?;
    tracing::info!(address = %inbound.local_addr(), "inbound gateway running");
    inbound
        .run(shutdown)
        .await
        .context("inbound gateway failed")
}
