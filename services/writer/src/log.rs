//! The writer's state: the context's rules, the stream heads and the record
//! of every command already accepted.

use std::collections::HashMap;

use ledger_domain::{
    chain::{seal, StreamHeads},
    dates::format_date,
    Decider, DomainError, ErrorCode,
};
use ledger_kafka::Position;
use ledger_proto::{v1::EventEnvelope, Timestamp};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Accepted, CommandMeta};

/// Version of the contract this code writes.
const SCHEMA_VERSION: u32 = 1;

type CommandKey = (String, String);

fn key(source_system: &str, command_id: &str) -> CommandKey {
    (source_system.to_owned(), command_id.to_owned())
}

/// Every accepted command by (source system, command id), with the digest of
/// its body: the memory that makes commands idempotent across restarts,
/// since it is rebuilt from the events themselves.
#[derive(Debug, Default)]
pub struct CommandLog {
    entries: HashMap<CommandKey, (Vec<u8>, Accepted)>,
}

/// Not yet delivered: the offset is known once the batch is in Kafka.
const PENDING: i64 = -1;

/// What the writer knows: the rules' state plus bookkeeping.
#[derive(Debug, Default)]
pub struct WriterState<D> {
    pub decider: D,
    heads: StreamHeads,
    commands: CommandLog,
    /// Commands staged in the batch being written, in append order.
    staged: Vec<CommandKey>,
}

/// What the log says of a command id seen before.
pub(crate) enum Seen {
    /// Accepted earlier; here is the answer it got.
    Accepted(Accepted),
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

impl<D: Decider> WriterState<D> {
    /// Folds an event read back from the topic, checking its hash chain.
    pub fn fold(&mut self, event: &EventEnvelope, position: Position) -> Result<(), String> {
        self.heads.advance(event).map_err(|e| e.to_string())?;
        let payload = event.payload.as_ref().ok_or("event without payload")?;
        self.decider.apply(payload).map_err(|e| e.to_string())?;
        let stream = event.stream.clone().unwrap_or_default();
        let accepted = Accepted {
            command_id: event.command_id.clone(),
            event_id: event.event_id.clone(),
            event_type: payload.type_name().to_owned(),
            stream_type: stream.r#type,
            stream_id: stream.id,
            stream_version: event.stream_version,
            position,
        };
        self.commands.entries.insert(
            key(&event.source_system, &event.command_id),
            (event.command_digest.clone(), accepted),
        );
        Ok(())
    }

    pub(crate) fn seen(&self, meta: &CommandMeta, digest: &[u8]) -> Option<Seen> {
        let (known_digest, accepted) = self
            .commands
            .entries
            .get(&key(&meta.source_system, &meta.command_id))?;
        if known_digest.as_slice() != digest {
            return Some(Seen::Conflict(DomainError::new(
                ErrorCode::IdempotencyConflict,
                format!(
                    "idempotency key {:?} was already used by {} for a different command",
                    meta.command_id, meta.source_system
                ),
            )));
        }
        if accepted.position.offset == PENDING {
            Some(Seen::Pending)
        } else {
            Some(Seen::Accepted(accepted.clone()))
        }
    }

    pub(crate) fn accepted(&self, meta: &CommandMeta) -> Option<Accepted> {
        self.commands
            .entries
            .get(&key(&meta.source_system, &meta.command_id))
            .map(|(_, a)| a.clone())
    }

    /// Decides a command and, if accepted, applies its event to the state at
    /// once, so the next command of the batch sees it. Returns the sealed
    /// event and its record key.
    pub(crate) fn stage(
        &mut self,
        meta: &CommandMeta,
        digest: Vec<u8>,
        command: &D::Command,
        topic: &str,
        now: OffsetDateTime,
    ) -> Result<(EventEnvelope, String), DomainError> {
        let decision = self.decider.decide(command)?;
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
            payload: Some(decision.payload),
        };
        seal(&mut event, head.hash);
        let internal = |what: String| DomainError::new(ErrorCode::InvalidState, what);
        self.fold(
            &event,
            Position {
                topic: topic.to_owned(),
                partition: -1,
                offset: PENDING,
            },
        )
        .map_err(|e| internal(format!("accepted event does not apply: {e}")))?;
        self.staged.push(key(&meta.source_system, &meta.command_id));
        Ok((event, decision.key))
    }

    /// Fills in where the batch's events landed: `positions` are in the
    /// order the events were staged.
    pub(crate) fn record_positions(&mut self, positions: &[Position]) {
        for (key, position) in self.staged.drain(..).zip(positions) {
            if let Some((_, accepted)) = self.commands.entries.get_mut(&key) {
                accepted.position = position.clone();
            }
        }
    }
}
