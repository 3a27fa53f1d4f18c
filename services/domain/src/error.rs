//! Why a command is refused, in terms a client can act on.

use std::fmt;

/// Machine-readable refusal codes; their text forms are part of the public
/// contract (docs/commands.md) and never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A field is missing, malformed or out of range.
    InvalidField,
    /// The envelope has less left to commit than the amount asked.
    EnvelopeOvercommitted,
    /// The aggregate the command refers to does not exist.
    NotFound,
    /// The aggregate the command would create already exists.
    AlreadyExists,
    /// The command is valid but the aggregate's state forbids it.
    InvalidState,
    /// The stream is not at the version the client expected.
    VersionConflict,
    /// The idempotency key was already used with a different command.
    IdempotencyConflict,
    /// A fact is dated after the day it is recorded (Europe/Paris).
    EffectiveDateInFuture,
    /// The payment's chapter has not enough crédits de paiement left for
    /// its fiscal year.
    PaymentCreditsExhausted,
}

impl ErrorCode {
    /// The stable text form used in JSON bodies and on the results topic.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::EnvelopeOvercommitted => "envelope_overcommitted",
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::VersionConflict => "version_conflict",
            ErrorCode::IdempotencyConflict => "idempotency_conflict",
            ErrorCode::EffectiveDateInFuture => "effective_date_in_future",
            ErrorCode::PaymentCreditsExhausted => "payment_credits_exhausted",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused command: a code, a human message and, when one field is at
/// fault, its path in the command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DomainError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl DomainError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A malformed or missing field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::InvalidField,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    /// Names the field a non-validation error is about.
    pub fn field_path(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    /// Prefixes the field path, so nested parsers can report `obligation.territory.commune_code`.
    pub fn within(mut self, parent: &str) -> Self {
        self.field = Some(match self.field {
            Some(f) => format!("{parent}.{f}"),
            None => parent.to_owned(),
        });
        self
    }
}
