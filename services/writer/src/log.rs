//! The writer's state: the context's rules, the stream heads and the record
//! of every command already accepted.

use std::collections::{BTreeMap, HashMap};

use ledger_domain::{
    chain::{seal, StreamHeads},
    collections::Map,
    dates::format_date,
    stream_ref, Decider, Decision, DomainError, ErrorCode,
};
use ledger_kafka::Position;
use ledger_proto::{
    v1::{event_envelope::Payload, EventEnvelope},
    Message, Timestamp,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Accepted, CommandMeta};

/// Version of the contract this code writes.
const SCHEMA_VERSION: u32 = 1;

/// A command's identity across restarts: the first 16 bytes of SHA-256 over
/// (source system, command id). Fixed-size keys keep a log of millions of
/// commands small in memory and in snapshots.
type CommandKey = [u8; 16];

fn key(source_system: &str, command_id: &str) -> CommandKey {
    let mut hasher = Sha256::new();
    hasher.update(source_system.as_bytes());
    hasher.update([0]);
    hasher.update(command_id.as_bytes());
    truncate(&hasher.finalize())
}

/// The first 16 bytes (a command digest is 32): 128 bits tell commands apart
/// as surely as 256 here, at half the memory.
fn truncate(bytes: &[u8]) -> [u8; 16] {
    let mut short = [0; 16];
    let n = bytes.len().min(16);
    short[..n].copy_from_slice(&bytes[..n]);
    short
}

/// What the log keeps of one accepted command: its digest and enough of its
/// event to give the same answer again.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Receipt {
    digest: [u8; 16],
    event_id: Uuid,
    /// Index in [`CommandLog::names`].
    event_type: u16,
    /// Index in [`CommandLog::names`].
    stream_type: u16,
    stream_id: Box<str>,
    stream_version: u64,
    partition: i32,
    offset: i64,
}

/// Every accepted command by (source system, command id), with the digest of
/// its body: the memory that makes commands idempotent across restarts,
/// since it is rebuilt from the events themselves (or a snapshot of them).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CommandLog {
    entries: Map<CommandKey, Receipt>,
    /// Event and stream type names, few and repeated by every entry.
    names: Vec<String>,
}

impl CommandLog {
    fn name_index(&mut self, name: &str) -> u16 {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return i as u16;
        }
        self.names.push(name.to_owned());
        (self.names.len() - 1) as u16
    }

    fn name(&self, index: u16) -> String {
        self.names
            .get(usize::from(index))
            .cloned()
            .unwrap_or_default()
    }

    fn answer(&self, command_id: &str, receipt: &Receipt, topic: &str) -> Accepted {
        Accepted {
            command_id: command_id.to_owned(),
            event_id: receipt.event_id.to_string(),
            event_type: self.name(receipt.event_type),
            stream_type: self.name(receipt.stream_type),
            stream_id: receipt.stream_id.to_string(),
            stream_version: receipt.stream_version,
            position: Position {
                topic: topic.to_owned(),
                partition: receipt.partition,
                offset: receipt.offset,
            },
        }
    }
}

/// Not yet delivered: the offset is known once the batch is in Kafka.
const PENDING: i64 = -1;

/// The last event folded from one partition of the context's own topic: where
/// a snapshot resumes, and what the topic must still hold there for the
/// snapshot to be trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tip {
    pub offset: i64,
    pub hash: Vec<u8>,
}

/// What the writer knows: the rules' state plus bookkeeping. Serialisable as
/// a whole: that is what a snapshot holds.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(bound = "D: Decider")]
pub struct WriterState<D> {
    pub decider: D,
    heads: StreamHeads,
    commands: CommandLog,
    /// Last event folded, per partition of the own topic.
    tips: BTreeMap<i32, Tip>,
    /// Next offset to observe, per followed topic and partition.
    observed: BTreeMap<String, BTreeMap<i32, i64>>,
    /// Events staged in the batch being written, in append order: the key
    /// of their command and their hash.
    #[serde(skip)]
    staged: Vec<(CommandKey, Vec<u8>)>,
    /// Streams no checkpoint has covered yet.
    unchecked: crate::checkpoint::Unchecked,
}

/// What the log says of a command id seen before.
pub(crate) enum Seen {
    /// Accepted earlier: [`WriterState::accepted`] gives the answer it got.
    Accepted,
    /// Accepted earlier in the batch being written.
    Pending,
    /// Used before with another body.
    Conflict(DomainError),
}

pub(crate) fn timestamp(at: OffsetDateTime) -> Timestamp {
    // Nanoseconds within a second always fit an i32.
    Timestamp {
        seconds: at.unix_timestamp(),
        nanos: i32::try_from(at.nanosecond()).unwrap_or(0),
    }
}

/// Every person a command names must be a pseudonym the personal-data
/// store issued: checked before anything else is decided.
fn check_persons(
    named: Vec<(&'static str, &str)>,
    keys: Option<&ledger_domain::pseudonyms::PseudonymKeys>,
) -> Result<(), DomainError> {
    for (field, id) in named {
        // Unreachable in a service (it refuses to start without the keys
        // when its commands name persons), but never accept unchecked.
        let keys = keys.ok_or_else(|| {
            DomainError::invalid(field, "this writer cannot check pseudonyms: it has no key")
        })?;
        keys.check(field, id)?;
    }
    Ok(())
}

impl<D: Decider> WriterState<D> {
    /// Folds an event read back from the topic as `bytes` (`None`: one this
    /// process just made), checking its hash chain.
    pub fn fold(
        &mut self,
        event: &EventEnvelope,
        bytes: Option<&[u8]>,
        position: Position,
    ) -> Result<(), String> {
        match bytes {
            Some(bytes) => self.heads.advance_read(event, bytes),
            None => self.heads.advance(event),
        }
        .map_err(|e| e.to_string())?;
        let payload = event.payload.as_ref().ok_or("event without payload")?;
        match payload {
            // The writer's own statement about its log, not a fact of the
            // context.
            Payload::ChainCheckpoint(checkpoint) => {
                self.unchecked.covered(checkpoint, &self.heads);
            }
            fact => {
                self.decider.apply(fact).map_err(|e| e.to_string())?;
                if let Some(stream) = &event.stream {
                    self.unchecked.appended(stream);
                }
            }
        }
        let event_id = Uuid::parse_str(&event.event_id)
            .map_err(|e| format!("event id {:?} is not a UUID: {e}", event.event_id))?;
        let stream = event.stream.clone().unwrap_or_default();
        let receipt = Receipt {
            digest: truncate(&event.command_digest),
            event_id,
            event_type: self.commands.name_index(payload.type_name()),
            stream_type: self.commands.name_index(&stream.r#type),
            stream_id: stream.id.into_boxed_str(),
            stream_version: event.stream_version,
            partition: position.partition,
            offset: position.offset,
        };
        if position.offset != PENDING {
            self.tips.insert(
                position.partition,
                Tip {
                    offset: position.offset,
                    hash: event.hash.clone(),
                },
            );
        }
        self.commands
            .entries
            .insert(key(&event.source_system, &event.command_id), receipt);
        Ok(())
    }

    /// Where each partition of the own topic was last folded.
    pub fn tips(&self) -> &BTreeMap<i32, Tip> {
        &self.tips
    }

    /// Where to resume following `topic`: the next offset per partition.
    pub fn observed(&self, topic: &str) -> HashMap<i32, i64> {
        self.observed
            .get(topic)
            .map(|p| p.iter().map(|(&p, &o)| (p, o)).collect())
            .unwrap_or_default()
    }

    /// Notes that the event at `offset` of a followed topic was observed.
    pub(crate) fn mark_observed(&mut self, topic: &str, partition: i32, offset: i64) {
        self.observed
            .entry(topic.to_owned())
            .or_default()
            .insert(partition, offset + 1);
    }

    /// How many commands the log holds.
    pub fn commands(&self) -> usize {
        self.commands.entries.len()
    }

    pub(crate) fn seen(&self, meta: &CommandMeta, digest: &[u8]) -> Option<Seen> {
        let receipt = self
            .commands
            .entries
            .get(&key(&meta.source_system, &meta.command_id))?;
        if receipt.digest != truncate(digest) {
            return Some(Seen::Conflict(DomainError::new(
                ErrorCode::IdempotencyConflict,
                format!(
                    "idempotency key {:?} was already used by {} for a different command",
                    meta.command_id, meta.source_system
                ),
            )));
        }
        if receipt.offset == PENDING {
            Some(Seen::Pending)
        } else {
            Some(Seen::Accepted)
        }
    }

    pub(crate) fn accepted(&self, meta: &CommandMeta, topic: &str) -> Option<Accepted> {
        self.commands
            .entries
            .get(&key(&meta.source_system, &meta.command_id))
            .map(|receipt| self.commands.answer(&meta.command_id, receipt, topic))
    }

    /// Decides a command and, if accepted, applies its event to the state at
    /// once, so the next command of the batch sees it. Returns the sealed
    /// event and its record key.
    pub(crate) fn stage(
        &mut self,
        meta: &CommandMeta,
        digest: Vec<u8>,
        command: &D::Command,
        config: &crate::WriterConfig,
        now: OffsetDateTime,
    ) -> Result<(EventEnvelope, String), DomainError> {
        check_persons(D::person_ids(command), config.pseudonyms.as_ref())?;
        let decision = self.decider.decide(command)?;
        self.seal_decision(meta, digest, decision, config, now)
    }

    /// Streams appended to since the last checkpoint covered them.
    pub(crate) fn unchecked(&self) -> usize {
        self.unchecked.len()
    }

    /// Stages the next checkpoint of the log's heads, if any stream moved
    /// since the last one (docs/security.md).
    pub(crate) fn stage_checkpoint(
        &mut self,
        config: &crate::WriterConfig,
        now: OffsetDateTime,
    ) -> Result<Option<(EventEnvelope, String)>, DomainError> {
        if self.unchecked.is_empty() {
            return Ok(None);
        }
        let context = ledger_proto::registry::Context::of_topic(&config.topic)
            .map_or(config.topic.as_str(), |c| c.name());
        let stream = stream_ref(crate::checkpoint::STREAM_TYPE, context);
        let sequence = self.heads.head(&stream).version + 1;
        let checkpoint = self.unchecked.checkpoint(sequence, &self.heads, &self.tips);
        let digest = Sha256::digest(checkpoint.encode_to_vec()).to_vec();
        let meta = CommandMeta {
            command_id: format!("checkpoint-{sequence}"),
            source_system: crate::REACTIONS_SOURCE.to_owned(),
            actor: crate::REACTIONS_SOURCE.to_owned(),
            correlation_id: None,
            causation_id: None,
            expected_version: Some(sequence - 1),
        };
        let decision = Decision {
            stream,
            key: context.to_owned(),
            effective_date: ledger_domain::dates::paris_day(now),
            occurred_at: None,
            payload: Payload::ChainCheckpoint(checkpoint),
        };
        self.seal_decision(&meta, digest, decision, config, now)
            .map(Some)
    }

    /// Seals a decided event onto its stream and folds it at once, so the
    /// next command of the batch sees it.
    fn seal_decision(
        &mut self,
        meta: &CommandMeta,
        digest: Vec<u8>,
        decision: Decision,
        config: &crate::WriterConfig,
        now: OffsetDateTime,
    ) -> Result<(EventEnvelope, String), DomainError> {
        let topic = config.topic.as_str();
        let today = ledger_domain::dates::paris_day(now);
        if decision.effective_date > today {
            return Err(DomainError::new(
                ErrorCode::EffectiveDateInFuture,
                format!(
                    "{} is after today ({} in Paris): a fact is dated the day it happened, \
                     at the latest the day it is recorded",
                    format_date(decision.effective_date),
                    format_date(today)
                ),
            ));
        }
        let head = self.heads.head(&decision.stream);
        if let Some(expected) = meta.expected_version {
            if expected != head.version {
                return Err(DomainError::new(
                    ErrorCode::VersionConflict,
                    format!(
                        "stream {}/{} is at version {}, not {expected}",
                        decision.stream.r#type, decision.stream.id, head.version
                    ),
                ));
            }
        }
        let recorded_at = timestamp(now);
        let mut event = EventEnvelope {
            event_id: Uuid::now_v7().to_string(),
            stream: Some(decision.stream.clone()),
            stream_version: head.version + 1,
            occurred_at: Some(decision.occurred_at.unwrap_or(recorded_at)),
            effective_date: format_date(decision.effective_date),
            recorded_at: Some(recorded_at),
            actor: meta.actor.clone(),
            source_system: meta.source_system.clone(),
            command_id: meta.command_id.clone(),
            command_digest: digest.clone(),
            correlation_id: meta
                .correlation_id
                .clone()
                .unwrap_or_else(|| meta.command_id.clone()),
            causation_id: meta
                .causation_id
                .clone()
                .unwrap_or_else(|| meta.command_id.clone()),
            schema_version: SCHEMA_VERSION,
            prev_hash: Vec::new(),
            hash: Vec::new(),
            signing_key_id: String::new(),
            signature: Vec::new(),
            payload: Some(decision.payload),
        };
        crate::limits::check(&event)?;
        seal(&mut event, head.hash, &config.signing.signer);
        let internal = |what: String| DomainError::new(ErrorCode::InvalidState, what);
        self.fold(
            &event,
            None,
            Position {
                topic: topic.to_owned(),
                partition: -1,
                offset: PENDING,
            },
        )
        .map_err(|e| internal(format!("accepted event does not apply: {e}")))?;
        self.staged.push((
            key(&meta.source_system, &meta.command_id),
            event.hash.clone(),
        ));
        Ok((event, decision.key))
    }

    /// Fills in where the batch's events landed: `positions` are in the
    /// order the events were staged.
    pub(crate) fn record_positions(&mut self, positions: &[Position]) {
        for ((key, hash), position) in self.staged.drain(..).zip(positions) {
            if let Some(receipt) = self.commands.entries.get_mut(&key) {
                receipt.partition = position.partition;
                receipt.offset = position.offset;
            }
            self.tips.insert(
                position.partition,
                Tip {
                    offset: position.offset,
                    hash,
                },
            );
        }
    }
}
