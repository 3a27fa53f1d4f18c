//! HTTP plumbing shared by every emitting service: command metadata from
//! headers, JSON or protobuf bodies, one error shape, one answer shape.

use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use bytes::Bytes;
use ledger_domain::{DomainError, ErrorCode};
pub use ledger_http::ApiError;
use ledger_proto::v1::{CommandResult, Outcome};
use prost::Message;
use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;

use crate::{log::timestamp, Accepted, CommandMeta, WriteError};

/// Media type of protobuf bodies.
pub const PROTOBUF: &str = "application/x-protobuf";
/// Header naming the idempotency key of a command.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on an answer that repeats an earlier one for the same idempotency key.
pub const REPLAYED: &str = "idempotent-replayed";

/// The one mapping of refusals to HTTP statuses.
pub fn domain_error(err: DomainError) -> ApiError {
    let status = match err.code {
        ErrorCode::InvalidField | ErrorCode::NotFound | ErrorCode::EffectiveDateInFuture => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ErrorCode::EnvelopeOvercommitted
        | ErrorCode::PaymentCreditsExhausted
        | ErrorCode::AlreadyExists
        | ErrorCode::InvalidState
        | ErrorCode::VersionConflict
        | ErrorCode::IdempotencyConflict => StatusCode::CONFLICT,
    };
    ApiError {
        status,
        code: err.code.as_str().to_owned(),
        message: err.message,
        field: err.field,
    }
}

/// Maps a writer's answer to HTTP.
pub fn write_error(err: WriteError) -> ApiError {
    match err {
        WriteError::Rejected(domain) => domain_error(domain),
        WriteError::Unavailable(why) => {
            tracing::error!(error = %why, "command not appended: event log unavailable");
            ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "log_unavailable",
                    "the event log could not take the command; nothing was recorded, retry with the same Idempotency-Key",
                )
        }
        WriteError::ShuttingDown => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the service is stopping; retry shortly",
        ),
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map(|v| Some(v.trim()).filter(|v| !v.is_empty()))
            .map_err(|_| {
                ApiError::bad_request(
                    "invalid_header",
                    format!("header {name} is not visible ASCII"),
                )
            }),
    }
}

fn bounded(name: &str, value: &str) -> Result<String, ApiError> {
    if value.len() > 128 {
        return Err(ApiError::bad_request(
            "invalid_header",
            format!("header {name} is longer than 128 characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Reads a command's metadata from its headers: `Idempotency-Key` (a fresh
/// UUIDv7 when absent, which forgoes idempotency), `X-Source-System`,
/// `X-Actor`, `X-Correlation-Id`, `X-Causation-Id`, `X-Expected-Version`.
pub fn command_meta(headers: &HeaderMap) -> Result<CommandMeta, ApiError> {
    let command_id = match header_text(headers, IDEMPOTENCY_KEY)? {
        Some(key) => bounded("Idempotency-Key", key)?,
        None => Uuid::now_v7().to_string(),
    };
    let source_system = match header_text(headers, "x-source-system")? {
        Some(source) => ledger_domain::ids::EntityId::parse("X-Source-System", source)
            .map_err(|e| {
                ApiError::bad_request("invalid_header", format!("X-Source-System {}", e.message))
            })?
            .to_string(),
        None => "http".to_owned(),
    };
    let actor = bounded(
        "X-Actor",
        header_text(headers, "x-actor")?.unwrap_or("anonymous"),
    )?;
    let correlation_id = header_text(headers, "x-correlation-id")?
        .map(|v| bounded("X-Correlation-Id", v))
        .transpose()?;
    let causation_id = header_text(headers, "x-causation-id")?
        .map(|v| bounded("X-Causation-Id", v))
        .transpose()?;
    let expected_version = header_text(headers, "x-expected-version")?
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                ApiError::bad_request(
                    "invalid_header",
                    format!("X-Expected-Version {v:?} is not a stream version"),
                )
            })
        })
        .transpose()?;
    Ok(CommandMeta {
        command_id,
        source_system,
        actor,
        correlation_id,
        causation_id,
        expected_version,
    })
}

fn media_type(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(|v| {
        v.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

/// Decodes a command body: protobuf under `Content-Type:
/// application/x-protobuf`, otherwise JSON in the proto3 JSON mapping.
pub fn decode<T>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError>
where
    T: Message + Default + DeserializeOwned,
{
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "empty_body",
            "the request has no body; send the command as JSON or protobuf",
        ));
    }
    match media_type(headers, header::CONTENT_TYPE).as_deref() {
        Some(PROTOBUF) => T::decode(body.as_ref()).map_err(|e| {
            ApiError::bad_request(
                "malformed_protobuf",
                format!("the body is not a valid protobuf message: {e}"),
            )
        }),
        None | Some("application/json") => serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(
                "malformed_json",
                format!("the body is not a valid command: {e}"),
            )
        }),
        Some(other) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("content type {other} is not supported; use application/json or {PROTOBUF}"),
        )),
    }
}

pub use ledger_domain::command_digest as digest;

#[derive(Serialize)]
struct AcceptedBody<'a> {
    outcome: &'static str,
    command_id: &'a str,
    events: [EventBody<'a>; 1],
}

#[derive(Serialize)]
struct EventBody<'a> {
    event_id: &'a str,
    event_type: &'a str,
    stream: StreamBody<'a>,
    stream_version: u64,
    topic: &'a str,
    partition: i32,
    offset: i64,
}

#[derive(Serialize)]
struct StreamBody<'a> {
    r#type: &'a str,
    id: &'a str,
}

/// The answer to an accepted command: 201 with the event and its Kafka
/// position, as JSON or, when the client accepts it, a protobuf `CommandResult`.
pub fn accepted_response(
    request: &HeaderMap,
    meta: &CommandMeta,
    accepted: &Accepted,
    replayed: bool,
) -> Response {
    let mut response = if media_type(request, header::ACCEPT).as_deref() == Some(PROTOBUF) {
        let result = CommandResult {
            command_id: accepted.command_id.clone(),
            source_system: meta.source_system.clone(),
            outcome: Outcome::Accepted as i32,
            events: vec![accepted.appended()],
            rejection: None,
            decided_at: Some(timestamp(time::OffsetDateTime::now_utc())),
        };
        (
            StatusCode::CREATED,
            [(header::CONTENT_TYPE, PROTOBUF)],
            result.encode_to_vec(),
        )
            .into_response()
    } else {
        let body = AcceptedBody {
            outcome: "accepted",
            command_id: &accepted.command_id,
            events: [EventBody {
                event_id: &accepted.event_id,
                event_type: &accepted.event_type,
                stream: StreamBody {
                    r#type: &accepted.stream_type,
                    id: &accepted.stream_id,
                },
                stream_version: accepted.stream_version,
                topic: &accepted.position.topic,
                partition: accepted.position.partition,
                offset: accepted.position.offset,
            }],
        };
        (StatusCode::CREATED, Json(body)).into_response()
    };
    if replayed {
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    response
}
