//! What every emitting service's rules have in common: a command is decided
//! against state into one event, and events fold back into state.

use ledger_proto::{
    v1::{event_envelope::Payload, StreamRef},
    Timestamp,
};
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

/// The rules of one context, as its single writer runs them.
pub trait Decider: Default + Send + 'static {
    /// The commands this context accepts.
    type Command: Send + 'static;

    /// Decides a command against the current state, without changing it.
    fn decide(&self, command: &Self::Command) -> Result<Decision, DomainError>;

    /// Folds one of this context's events into the state.
    fn apply(&mut self, payload: &Payload) -> Result<(), ApplyError>;
}

impl Decider for crate::grants::GrantsBook {
    type Command = crate::grants::GrantsCommand;

    fn decide(&self, command: &Self::Command) -> Result<Decision, DomainError> {
        self.decide_command(command)
    }

    fn apply(&mut self, payload: &Payload) -> Result<(), ApplyError> {
        self.apply_event(payload)
    }
}
