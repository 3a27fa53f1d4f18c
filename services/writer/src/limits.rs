//! Size limits every command meets before it is staged, whatever its
//! context: no text longer than a person would write, no event larger than
//! a Kafka record comfortably carries. A command beyond them is refused
//! with `422 invalid_field` naming the field (never echoing its value, which
//! may be personal data); nothing is appended, and no transaction can fail
//! for an oversized record. Control characters (other than tab, line feed
//! and carriage return) are refused too: PostgreSQL's text cannot hold a NUL,
//! and an event it cannot store would stop the projection at it.

use ledger_domain::DomainError;
use ledger_proto::v1::EventEnvelope;
use prost::Message;
use serde_json::Value;

/// Identifiers, codes and references (fields named `…_id`, `…_code`,
/// `…_reference`, and the envelope's metadata).
pub const MAX_IDENTIFIER_CHARS: usize = 128;
/// Free text: a purpose, a label, a reason, a name.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// A whole event, sealed. Kafka's default record limit is 1 MiB; a bursary
/// with 24 instalments is a few KiB.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

fn limit_for(field: &str) -> usize {
    let identifier = ["_id", "_code", "_reference", "siret", "finess"]
        .iter()
        .any(|suffix| field.ends_with(suffix))
        || field == "id";
    if identifier {
        MAX_IDENTIFIER_CHARS
    } else {
        MAX_TEXT_CHARS
    }
}

/// Checks the event a command would append.
pub(crate) fn check(event: &EventEnvelope) -> Result<(), DomainError> {
    for (field, value) in [
        ("actor", &event.actor),
        ("source_system", &event.source_system),
        ("command_id", &event.command_id),
        ("correlation_id", &event.correlation_id),
        ("causation_id", &event.causation_id),
    ] {
        text(field, value, MAX_IDENTIFIER_CHARS)?;
    }
    if let Some(payload) = &event.payload {
        // In the proto3 JSON mapping a oneof case is a field of its message:
        // an envelope holding only the payload renders as {"<case>": {…}}.
        let json = serde_json::to_value(EventEnvelope {
            payload: Some(payload.clone()),
            ..EventEnvelope::default()
        })
        .map_err(|e| DomainError::invalid("payload", format!("cannot be rendered: {e}")))?;
        if let Value::Object(cases) = json {
            for body in cases.values() {
                walk(body, "", "")?;
            }
        }
    }
    let bytes = event.encoded_len();
    if bytes > MAX_EVENT_BYTES {
        return Err(DomainError::invalid(
            "",
            format!("the event would be {bytes} bytes; at most {MAX_EVENT_BYTES}"),
        ));
    }
    Ok(())
}

/// One text field: its length, and no control character.
fn text(path: &str, value: &str, limit: usize) -> Result<(), DomainError> {
    let chars = value.chars().count();
    if chars > limit {
        return Err(DomainError::invalid(
            path,
            format!("{chars} characters; at most {limit}"),
        ));
    }
    if let Some(at) = value
        .chars()
        .position(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(DomainError::invalid(
            path,
            format!("a control character at position {at}"),
        ));
    }
    Ok(())
}

/// Every string of a payload, with its path in the command.
fn walk(value: &Value, path: &str, name: &str) -> Result<(), DomainError> {
    match value {
        Value::String(s) => text(path, s, limit_for(name)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), name)?;
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let inner = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(item, &inner, key)?;
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use ledger_proto::v1::{event_envelope::Payload, GrantAwarded};

    use super::*;

    fn award(purpose: String, grant_id: String) -> EventEnvelope {
        EventEnvelope {
            payload: Some(Payload::GrantAwarded(GrantAwarded {
                grant_id,
                purpose,
                ..Default::default()
            })),
            ..Default::default()
        }
    }

    #[test]
    fn text_and_identifiers_have_their_own_limits() {
        assert!(check(&award("x".repeat(MAX_TEXT_CHARS), "g".into())).is_ok());
        let long = check(&award("é".repeat(MAX_TEXT_CHARS + 1), "g".into())).unwrap_err();
        assert_eq!(long.field.as_deref(), Some("purpose"));
        assert!(!long.message.contains('é'), "the value is never echoed");
        let id = check(&award("p".into(), "g".repeat(MAX_IDENTIFIER_CHARS + 1))).unwrap_err();
        assert_eq!(id.field.as_deref(), Some("grant_id"));
    }

    #[test]
    fn control_characters_are_refused_but_line_breaks_kept() {
        assert!(check(&award(
            "deux lignes\net une tabulation\t".into(),
            "g".into()
        ))
        .is_ok());
        let nul = check(&award("a\u{0}b".into(), "g".into())).unwrap_err();
        assert_eq!(nul.field.as_deref(), Some("purpose"));
        let mut event = award("p".into(), "g".into());
        event.command_id = "key\u{7}".into();
        assert_eq!(
            check(&event).unwrap_err().field.as_deref(),
            Some("command_id")
        );
    }

    #[test]
    fn metadata_is_bounded_too() {
        let mut event = award("p".into(), "g".into());
        event.actor = "a".repeat(MAX_IDENTIFIER_CHARS + 1);
        assert_eq!(check(&event).unwrap_err().field.as_deref(), Some("actor"));
    }
}
