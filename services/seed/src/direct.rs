//! Appending straight to the topics, for benchmarks at volume: the four
//! contexts' writers run in this process, with the services' own rules,
//! idempotency, hash chains and transactional ids — so a running service of
//! the same namespace is fenced, never written behind its back — but without
//! HTTP in between.

use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue};
use bytes::Bytes;
use ledger_domain::{
    centres::CentresBook, grants::GrantsBook, obligations::ObligationsBook,
    pseudonyms::PseudonymKeys, workforce::WorkforceBook, Decider, ErrorCode,
};
use std::path::Path;

use ledger_kafka::{KafkaConfig, Topics};
use ledger_proto::registry::Context;
use ledger_writer::{CommandMeta, ParseCommand, Signing, WriteError, Writer, WriterConfig};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{
    load::{LoadError, Report},
    owner_of, Step,
};

/// The four writers.
pub struct Direct {
    grants: Writer<<GrantsBook as Decider>::Command>,
    workforce: Writer<<WorkforceBook as Decider>::Command>,
    centres: Writer<<CentresBook as Decider>::Command>,
    obligations: Writer<<ObligationsBook as Decider>::Command>,
    source_system: String,
    /// The store's keys: the histories' persons get the pseudonyms derived
    /// from their names ([`crate::persons`]).
    pseudonyms: PseudonymKeys,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<Result<(), ledger_kafka::KafkaError>>>,
}

/// One context's writer, signing with its key from `keys` (`<context>.pem`
/// beside the key ring `trusted.txt`, as deploy/local/stack.sh makes them).
fn writer_config(
    kafka: &KafkaConfig,
    keys: &Path,
    topic: &str,
    id: &str,
    follow: Vec<String>,
) -> Result<WriterConfig, LoadError> {
    let failed = |why: String| LoadError::Failed {
        command: "-".into(),
        key: "-".into(),
        why,
    };
    let context =
        Context::of_topic(topic).ok_or_else(|| failed(format!("{topic} is not an event topic")))?;
    let signing = Signing::load(
        &keys.join(format!("{}.pem", context.name())),
        &keys.join("trusted.txt"),
        context,
    )
    .map_err(|e| failed(e.to_string()))?;
    Ok(WriterConfig {
        kafka: kafka.clone(),
        topic: topic.to_owned(),
        transactional_id: id.to_owned(),
        max_batch: 2_000,
        follow,
        snapshots: None,
        signing,
        checkpoints: ledger_writer::CheckpointPolicy::default(),
        pseudonyms: Some(
            ledger_writer::load_pseudonyms(&keys.join("pseudonyms.key"))
                .map_err(|e| failed(e.to_string()))?,
        ),
    })
}

impl Direct {
    /// Starts the writers, fencing the services that use the same
    /// transactional ids (`<prefix>-grants` …; the services' default prefix
    /// is `ledger`).
    pub async fn start(
        kafka: &KafkaConfig,
        topics: &Topics,
        id_prefix: &str,
        source_system: &str,
        keys: &Path,
    ) -> Result<Self, LoadError> {
        let stop = CancellationToken::new();
        let id = |name: &str| format!("{id_prefix}-{name}");
        let (grants, g) = Writer::start::<GrantsBook>(
            writer_config(
                kafka,
                keys,
                &topics.grants,
                &id("grants"),
                vec![topics.obligations.clone()],
            )?,
            stop.clone(),
        )
        .await?;
        let (centres, c) = Writer::start::<CentresBook>(
            writer_config(kafka, keys, &topics.centres, &id("centres"), Vec::new())?,
            stop.clone(),
        )
        .await?;
        let (workforce, w) = Writer::start::<WorkforceBook>(
            writer_config(
                kafka,
                keys,
                &topics.workforce,
                &id("workforce"),
                vec![topics.centres.clone()],
            )?,
            stop.clone(),
        )
        .await?;
        let (obligations, o) = Writer::start::<ObligationsBook>(
            writer_config(
                kafka,
                keys,
                &topics.obligations,
                &id("obligations"),
                vec![topics.grants.clone()],
            )?,
            stop.clone(),
        )
        .await?;
        let pseudonyms =
            ledger_writer::load_pseudonyms(&keys.join("pseudonyms.key")).map_err(|e| {
                LoadError::Failed {
                    command: "-".into(),
                    key: "-".into(),
                    why: e.to_string(),
                }
            })?;
        Ok(Self {
            pseudonyms,
            grants,
            workforce,
            centres,
            obligations,
            source_system: source_system.to_owned(),
            stop,
            tasks: vec![g, c, w, o],
        })
    }

    /// Submits one step to the writer of its context.
    pub async fn submit(&self, step: &Step, report: &mut Report) -> Result<(), LoadError> {
        let step = &*crate::persons::derived(step, &self.pseudonyms);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let outcome = match owner_of(step.command) {
                "workforce" => {
                    submit_to(
                        &self.workforce,
                        ledger_workforce::COMMANDS,
                        step,
                        &self.source_system,
                    )
                    .await?
                }
                "centres" => {
                    submit_to(
                        &self.centres,
                        ledger_centres::COMMANDS,
                        step,
                        &self.source_system,
                    )
                    .await?
                }
                "obligations" => {
                    submit_to(
                        &self.obligations,
                        ledger_obligations::COMMANDS,
                        step,
                        &self.source_system,
                    )
                    .await?
                }
                _ => {
                    submit_to(
                        &self.grants,
                        ledger_grants::COMMANDS,
                        step,
                        &self.source_system,
                    )
                    .await?
                }
            };
            match outcome {
                Ok((accepted, replayed)) => {
                    let p = &accepted.position;
                    report.note_position(&p.topic, p.partition, p.offset);
                    if replayed {
                        report.replayed += 1;
                    } else {
                        report.accepted += 1;
                    }
                    return Ok(());
                }
                Err(WriteError::Rejected(e))
                    if e.code == ErrorCode::NotFound
                        && step.waits_for_other_context
                        && tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => {
                    return Err(LoadError::Failed {
                        command: step.command.to_owned(),
                        key: step.key.clone(),
                        why: err.to_string(),
                    })
                }
            }
        }
    }

    /// Stops the writers once everything submitted is appended.
    pub async fn finish(self) {
        self.stop.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

type Outcome = Result<(ledger_writer::Accepted, bool), WriteError>;

async fn submit_to<C: Send + 'static>(
    writer: &Writer<C>,
    parse: ParseCommand<C>,
    step: &Step,
    source_system: &str,
) -> Result<Outcome, LoadError> {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = Bytes::from(step.body.to_string());
    let (command, digest) =
        parse(step.command, &headers, &body).map_err(|e| LoadError::Failed {
            command: step.command.to_owned(),
            key: step.key.clone(),
            why: format!("{}: {}", e.code, e.message),
        })?;
    let meta = CommandMeta {
        command_id: step.key.clone(),
        source_system: source_system.to_owned(),
        actor: "ledger-seed".into(),
        correlation_id: None,
        causation_id: None,
        expected_version: None,
    };
    Ok(writer.submit(meta, digest, command).await)
}
