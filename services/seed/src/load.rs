//! Submitting a history through the public interfaces, in order.
//!
//! HTTP steps go to the service that owns the command, with the loader's
//! bearer token. Inbound steps are protobuf `InboundCommand`s appended to the
//! inbound topic; the loader waits for each one's result on the results
//! topic. A step that needs another context's event (a hire needs its
//! centre) is retried while that event has not reached the owning service:
//! over HTTP with the same idempotency key, over Kafka with a derived command
//! id (an inbound command id keeps its first outcome for good).

use std::{
    borrow::Cow,
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::Duration,
};

use indicatif::{ProgressBar, ProgressStyle};
use ledger_kafka::{follow, KafkaConfig, OutboundRecord, TailRecord, Topics, TxProducer};
use ledger_proto::v1::{CommandResult, InboundCommand, Outcome};
use prost::Message;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_util::sync::CancellationToken;

use crate::{owner_of, persons, Step, Via};

/// Where the ledger is.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL of each emitting service, by name (grants, workforce,
    /// centres, obligations).
    pub services: HashMap<&'static str, String>,
    /// Bearer token of an integrator (`None` when access control is off).
    pub token: Option<String>,
    /// Source system of the HTTP steps (must be the token's own).
    pub source_system: String,
    pub kafka: KafkaConfig,
    pub topics: Topics,
    /// Show a progress bar.
    pub progress: bool,
}

/// What a load did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub accepted: usize,
    /// Steps already in the ledger (a second load).
    pub replayed: usize,
    pub inbound: usize,
    /// The furthest offset each partition was written to: wait for these
    /// before reading the figures.
    pub positions: BTreeMap<(String, i32), i64>,
}

impl Report {
    /// Positions as `topic:partition:offset`, for `wait_for`.
    pub fn wait_for(&self) -> Vec<String> {
        self.positions
            .iter()
            .map(|((topic, partition), offset)| format!("{topic}:{partition}:{offset}"))
            .collect()
    }

    fn note(&mut self, events: &Value) {
        for e in events.as_array().into_iter().flatten() {
            let (Some(topic), Some(partition), Some(offset)) = (
                e["topic"].as_str(),
                e["partition"].as_i64(),
                e["offset"].as_i64(),
            ) else {
                continue;
            };
            let at = self
                .positions
                .entry((topic.to_owned(), partition as i32))
                .or_insert(offset);
            *at = (*at).max(offset);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{command} {key}: refused {status}: {body}")]
    Refused {
        command: String,
        key: String,
        status: u16,
        body: String,
    },
    #[error("{command} {key}: {why}")]
    Failed {
        command: String,
        key: String,
        why: String,
    },
    #[error("kafka: {0}")]
    Kafka(#[from] ledger_kafka::KafkaError),
}

impl Report {
    /// Adds another report's counts and positions to this one.
    pub fn merge(&mut self, other: Report) {
        self.accepted += other.accepted;
        self.replayed += other.replayed;
        self.inbound += other.inbound;
        for (partition, offset) in other.positions {
            let at = self.positions.entry(partition).or_insert(offset);
            *at = (*at).max(offset);
        }
    }

    /// Notes an appended event's position.
    pub fn note_position(&mut self, topic: &str, partition: i32, offset: i64) {
        let at = self
            .positions
            .entry((topic.to_owned(), partition))
            .or_insert(offset);
        *at = (*at).max(offset);
    }
}

/// How long a step waits for another context's event.
const PATIENCE: Duration = Duration::from_secs(20);
const RETRY: Duration = Duration::from_millis(100);

/// Submits steps through the public interfaces, one at a time.
pub struct Loader {
    http: reqwest::Client,
    target: Target,
    inbound: tokio::sync::OnceCell<Inbound>,
    /// The pseudonym the store issued each person name, once registered.
    persons: tokio::sync::Mutex<HashMap<String, String>>,
}

impl Loader {
    pub fn new(target: Target) -> Result<Self, LoadError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| LoadError::Failed {
                command: "-".into(),
                key: "-".into(),
                why: e.to_string(),
            })?;
        Ok(Self {
            http,
            target,
            inbound: tokio::sync::OnceCell::new(),
            persons: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    /// `step` with its person names replaced by the pseudonyms the store
    /// issued them, registering the ones not seen yet.
    async fn with_registered_persons<'s>(
        &self,
        step: &'s Step,
    ) -> Result<Cow<'s, Step>, LoadError> {
        let names = persons::names_in(&step.body);
        if names.is_empty() {
            return Ok(Cow::Borrowed(step));
        }
        let mut known = self.persons.lock().await;
        for name in names {
            if let std::collections::hash_map::Entry::Vacant(slot) = known.entry(name) {
                let pseudonym = self.register(slot.key(), step).await?;
                slot.insert(pseudonym);
            }
        }
        Ok(Cow::Owned(persons::with_pseudonyms(step, &|name| {
            known.get(name).cloned().unwrap_or_default()
        })))
    }

    /// Registers a fictional person with the store (hosted by workforce).
    async fn register(&self, name: &str, step: &Step) -> Result<String, LoadError> {
        let failed = |why: String| LoadError::Failed {
            command: step.command.to_owned(),
            key: step.key.clone(),
            why: format!("registering person {name}: {why}"),
        };
        let base = self
            .target
            .services
            .get("workforce")
            .ok_or_else(|| failed("no URL for the workforce service".into()))?;
        let mut request = self
            .http
            .post(format!("{base}/v1/persons"))
            .header("Idempotency-Key", persons::registration_key(name))
            .json(&persons::fictional_details(name));
        if let Some(token) = &self.target.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| failed(e.to_string()))?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match (status, body["person_id"].as_str()) {
            (200 | 201, Some(pseudonym)) => Ok(pseudonym.to_owned()),
            _ => Err(LoadError::Refused {
                command: "register person".into(),
                key: persons::registration_key(name),
                status,
                body: body.to_string(),
            }),
        }
    }

    /// Submits one step and notes what it wrote in `report`.
    pub async fn submit(&self, step: &Step, report: &mut Report) -> Result<(), LoadError> {
        let step = &*self.with_registered_persons(step).await?;
        match &step.via {
            Via::Http => send_http(&self.http, &self.target, step, report).await,
            Via::Inbound { source_system } => {
                let gateway = self
                    .inbound
                    .get_or_try_init(|| Inbound::start(&self.target, source_system))
                    .await?;
                // One Kafka login, so one source system per loader.
                if gateway.system != *source_system {
                    return Err(LoadError::Failed {
                        command: step.command.to_owned(),
                        key: step.key.clone(),
                        why: format!(
                            "this loader sends over Kafka as {}, not {source_system}",
                            gateway.system
                        ),
                    });
                }
                gateway
                    .send(&self.target, step, source_system, report)
                    .await
            }
        }
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        if let Some(gateway) = self.inbound.get() {
            gateway.stop.cancel();
        }
    }
}

/// A progress bar with rate and ETA (hidden unless asked for).
pub fn progress(len: u64, shown: bool, unit: &str) -> ProgressBar {
    if !shown {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    let template =
        format!("{{spinner}} {{bar:40}} {{pos}}/{{len}} {unit}, {{per_sec}}, eta {{eta}}");
    bar.set_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Loads `steps` in order.
pub async fn load(steps: &[Step], target: &Target) -> Result<Report, LoadError> {
    let loader = Loader::new(target.clone())?;
    let bar = progress(steps.len() as u64, target.progress, "commands");
    let mut report = Report::default();
    for step in steps {
        loader.submit(step, &mut report).await?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(report)
}

async fn send_http(
    http: &reqwest::Client,
    target: &Target,
    step: &Step,
    report: &mut Report,
) -> Result<(), LoadError> {
    let failed = |why: String| LoadError::Failed {
        command: step.command.to_owned(),
        key: step.key.clone(),
        why,
    };
    let base = target
        .services
        .get(owner_of(step.command))
        .ok_or_else(|| failed(format!("no URL for the {} service", owner_of(step.command))))?;
    let url = format!("{base}/v1/commands/{}", step.command);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let mut request = http
            .post(&url)
            .header("Idempotency-Key", &step.key)
            .header("X-Source-System", &target.source_system)
            .header("X-Actor", "ledger-seed")
            .json(&step.body);
        if let Some(token) = &target.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| failed(e.to_string()))?;
        let status = response.status().as_u16();
        let replayed = response.headers().contains_key("idempotent-replayed");
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status == 201 {
            report.note(&body["events"]);
            if replayed {
                report.replayed += 1;
            } else {
                report.accepted += 1;
            }
            return Ok(());
        }
        let waiting = step.waits_for_other_context
            && body["error"]["code"] == "not_found"
            && tokio::time::Instant::now() < deadline;
        if !waiting {
            return Err(LoadError::Refused {
                command: step.command.to_owned(),
                key: step.key.clone(),
                status,
                body: body.to_string(),
            });
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// A source system's inbound topic and the results coming back on its own
/// results topic.
struct Inbound {
    system: String,
    producer: TxProducer,
    results: Arc<Mutex<HashMap<(String, String), CommandResult>>>,
    arrived: Arc<Notify>,
    stop: CancellationToken,
}

impl Inbound {
    async fn start(target: &Target, system: &str) -> Result<Self, LoadError> {
        let id = target
            .kafka
            .own_transactional_id(&target.topics, &format!("seed-{}", uuid::Uuid::new_v4()));
        let producer = TxProducer::connect(&target.kafka, &id).await?;
        let results = Arc::new(Mutex::new(HashMap::new()));
        let arrived = Arc::new(Notify::new());
        let stop = CancellationToken::new();
        let (records, mut incoming) = mpsc::channel::<TailRecord>(1024);
        let (caught_up, _ready) = oneshot::channel();
        tokio::spawn(follow(
            target.kafka.clone(),
            target.topics.results_of(system),
            records,
            caught_up,
            stop.clone(),
        ));
        let (store, notify) = (results.clone(), arrived.clone());
        tokio::spawn(async move {
            while let Some(tail) = incoming.recv().await {
                if let Ok(result) = CommandResult::decode(tail.record.payload.as_slice()) {
                    if let Ok(mut map) = store.lock() {
                        map.insert(
                            (result.source_system.clone(), result.command_id.clone()),
                            result,
                        );
                    }
                    notify.notify_waiters();
                }
            }
        });
        Ok(Self {
            system: system.to_owned(),
            producer,
            results,
            arrived,
            stop,
        })
    }

    fn result(&self, source: &str, id: &str) -> Option<CommandResult> {
        self.results
            .lock()
            .ok()?
            .get(&(source.to_owned(), id.to_owned()))
            .cloned()
    }

    async fn send(
        &self,
        target: &Target,
        step: &Step,
        source_system: &str,
        report: &mut Report,
    ) -> Result<(), LoadError> {
        let failed = |why: String| LoadError::Failed {
            command: step.command.to_owned(),
            key: step.key.clone(),
            why,
        };
        let field = step.command.replace('-', "_");
        let deadline = tokio::time::Instant::now() + PATIENCE;
        for attempt in 0u32.. {
            let command_id = match attempt {
                0 => step.key.clone(),
                n => format!("{}~{n}", step.key),
            };
            let result = match self.result(source_system, &command_id) {
                Some(known) => known,
                None => {
                    let command: InboundCommand = serde_json::from_value(json!({
                        "command_id": command_id, "source_system": source_system,
                        "actor": "ledger-seed", field.as_str(): step.body,
                    }))
                    .map_err(|e| failed(format!("not an inbound command: {e}")))?;
                    self.producer
                        .append(&[OutboundRecord {
                            topic: target.topics.inbound_of(source_system),
                            key: command_id.clone(),
                            payload: command.encode_to_vec(),
                            event_type: "InboundCommand".into(),
                        }])
                        .await?;
                    self.wait(source_system, &command_id, deadline)
                        .await
                        .ok_or_else(|| failed("no result on the results topic in time".into()))?
                }
            };
            match result.outcome() {
                Outcome::Accepted => {
                    let events: Vec<Value> = result
                        .events
                        .iter()
                        .map(|e| json!({"topic": e.topic, "partition": e.partition, "offset": e.offset}))
                        .collect();
                    report.note(&Value::Array(events));
                    report.accepted += 1;
                    report.inbound += 1;
                    return Ok(());
                }
                _ => {
                    let rejection = result.rejection.clone().unwrap_or_default();
                    let waiting = step.waits_for_other_context
                        && rejection.code == "not_found"
                        && tokio::time::Instant::now() < deadline;
                    if !waiting {
                        return Err(failed(format!(
                            "rejected {}: {}",
                            rejection.code, rejection.message
                        )));
                    }
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
        Err(failed("gave up".into()))
    }

    async fn wait(
        &self,
        source: &str,
        id: &str,
        deadline: tokio::time::Instant,
    ) -> Option<CommandResult> {
        loop {
            let notified = self.arrived.notified();
            if let Some(result) = self.result(source, id) {
                return Some(result);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.result(source, id);
            }
        }
    }
}
