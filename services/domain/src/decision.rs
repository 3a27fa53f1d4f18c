//! What every emitting service's rules have in common: a command is decided
//! against state into one event, and events fold back into state.

use ledger_proto::{
    v1::{event_envelope::Payload, EventEnvelope, StreamRef},
    Timestamp,
};
use prost::Message;
use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use crate::DomainError;

/// What an accepted command appends: one event on one stream, and the key
/// that routes it to the partition owning its invariant.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub stream: StreamRef,
    pub key: String,
    pub effective_date: Date,
    /// When it happened, if the command said; the writer defaults it to the
    /// time it records the event.
    pub occurred_at: Option<Timestamp>,
    pub payload: Payload,
}

/// An event from the log that does not fit the state built so far: the log
/// and this code disagree, and going on would decide on wrong state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot apply event: {0}")]
pub struct ApplyError(pub String);

/// A command a context issues by itself in reaction to an event (a process
/// manager step). Its idempotency key is derived from the event, so reacting
/// twice to one event appends one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Reaction<C> {
    pub command_id: String,
    pub digest: Vec<u8>,
    pub command: C,
}

/// SHA-256 of a command's name and canonical protobuf encoding: the same
/// command sent as JSON or protobuf, with fields in any order, has one digest.
pub fn command_digest<M: Message>(command_name: &str, command: &M) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(command_name.as_bytes());
    hasher.update([0]);
    hasher.update(command.encode_to_vec());
    hasher.finalize().to_vec()
}

/// A stream reference.
pub fn stream_ref(kind: &str, id: &str) -> StreamRef {
    StreamRef {
        r#type: kind.to_owned(),
        id: id.to_owned(),
    }
}

/// A date read back from an event, which the writer validated: failing here
/// means the log and this code disagree.
pub fn event_date(raw: &str) -> Result<Date, ApplyError> {
    crate::dates::parse_date("date", raw).map_err(|e| ApplyError(e.to_string()))
}

/// The rules of one context, as its single writer runs them. The state is
/// serialisable so that a writer can start from a snapshot instead of the
/// whole topic.
pub trait Decider: Default + Serialize + DeserializeOwned + Send + 'static {
    /// The commands this context accepts.
    type Command: Send + 'static;

    /// Decides a command against the current state, without changing it.
    fn decide(&self, command: &Self::Command) -> Result<Decision, DomainError>;

    /// The person ids a command names, with their field paths: the writer
    /// checks each is a pseudonym the personal-data store issued before
    /// deciding ([`crate::pseudonyms`]).
    fn person_ids(command: &Self::Command) -> Vec<(&'static str, &str)>;

    /// Folds one of this context's events into the state.
    fn apply(&mut self, payload: &Payload) -> Result<(), ApplyError>;

    /// Folds an event of another context this one needs to know about (the
    /// obligations service learns which grants exist). Default: ignored.
    fn observe(&mut self, _payload: &Payload) {}

    /// Commands to issue in reaction to an event of another context, decided
    /// against the current state. Default: none.
    fn react(&self, _event: &EventEnvelope) -> Vec<Reaction<Self::Command>> {
        Vec::new()
    }
}

impl Decider for crate::grants::GrantsBook {
    type Command = crate::grants::GrantsCommand;

    fn decide(&self, command: &Self::Command) -> Result<Decision, DomainError> {
        self.decide_command(command)
    }

    fn person_ids(command: &Self::Command) -> Vec<(&'static str, &str)> {
        crate::grants::person_ids(command)
    }

    fn apply(&mut self, payload: &Payload) -> Result<(), ApplyError> {
        self.apply_event(payload)
    }

    fn react(&self, event: &EventEnvelope) -> Vec<Reaction<Self::Command>> {
        self.breach_reactions(event)
    }
}
