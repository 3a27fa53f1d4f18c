//! `POST /v1/commands:batch`: several commands for one service, decided in
//! order and appended in one transaction, one result each (docs/commands.md).

use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use bytes::Bytes;
use ledger_proto::{
    registry::{self, Context},
    v1::{CommandBatch, CommandBatchResult, CommandResult, InboundCommand, Outcome, Rejection},
};
use prost::Message;
use serde_json::{json, Value};

use crate::{
    http::{command_meta, decode, write_error, ApiError, PROTOBUF},
    log::timestamp,
    service::ParseCommand,
    Accepted, CommandMeta, WriteError, Writer,
};

/// Most commands in one batch.
pub const MOST_COMMANDS: usize = 1_000;

/// What one command of a batch came to.
enum Decided {
    Accepted(Accepted, bool),
    Rejected(ApiError),
}

/// Decides a batch: each command checked and parsed on its own (one that
/// fails is rejected, the others go on), the rest submitted together.
pub(crate) async fn handle<C: Send + 'static>(
    writer: &Writer<C>,
    parse: ParseCommand<C>,
    context: Option<Context>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let request = command_meta(headers)?;
    let batch: CommandBatch = decode(headers, body)?;
    if batch.commands.is_empty() || batch.commands.len() > MOST_COMMANDS {
        return Err(ApiError {
            field: Some("commands".into()),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_batch",
                format!(
                    "a batch holds 1 to {MOST_COMMANDS} commands, not {}",
                    batch.commands.len()
                ),
            )
        });
    }
    let protobuf = {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROTOBUF));
        h
    };
    let mut outcomes: Vec<(String, Option<Decided>)> = Vec::with_capacity(batch.commands.len());
    let mut submitted = Vec::new();
    for (i, inbound) in batch.commands.into_iter().enumerate() {
        let id = inbound.command_id.clone();
        match prepare(&request, context, parse, &protobuf, inbound) {
            Ok(command) => {
                submitted.push(command);
                outcomes.push((id, None));
            }
            Err(err) => outcomes.push((id, Some(Decided::Rejected(within(err, i))))),
        }
    }
    let mut answers = writer
        .submit_batch(submitted)
        .await
        .map_err(write_error)?
        .into_iter();
    for (_, outcome) in outcomes.iter_mut().filter(|(_, o)| o.is_none()) {
        *outcome = Some(match answers.next() {
            Some(Ok((accepted, replayed))) => Decided::Accepted(accepted, replayed),
            Some(Err(WriteError::Rejected(domain))) => {
                Decided::Rejected(crate::http::domain_error(domain))
            }
            // The transaction failed: nothing of the batch was appended,
            // so the whole batch is to be sent again, with the same ids.
            Some(Err(err)) => return Err(write_error(err)),
            None => return Err(write_error(WriteError::ShuttingDown)),
        });
    }
    let outcomes: Vec<(String, Decided)> = outcomes
        .into_iter()
        .filter_map(|(id, o)| o.map(|o| (id, o)))
        .collect();
    Ok(respond(headers, &request.source_system, &outcomes))
}

/// A command of the batch, ready for the writer: its metadata from the
/// command and the request, its body parsed as the single-command route
/// would.
fn prepare<C>(
    request: &CommandMeta,
    context: Option<Context>,
    parse: ParseCommand<C>,
    protobuf: &HeaderMap,
    inbound: InboundCommand,
) -> Result<(CommandMeta, Vec<u8>, C), ApiError> {
    let invalid = |field: &str, message: String| ApiError {
        field: Some(field.into()),
        ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
    };
    let id = inbound.command_id.trim();
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "command_id",
            "is required: 1 to 128 visible ASCII characters, the command's idempotency key".into(),
        ));
    }
    if !inbound.source_system.is_empty() && inbound.source_system != request.source_system {
        return Err(ApiError {
            field: Some("source_system".into()),
            ..ApiError::new(
                StatusCode::FORBIDDEN,
                "unauthorised",
                format!(
                    "this request acts for {:?}: leave source_system empty or set it to that",
                    request.source_system
                ),
            )
        });
    }
    let Some(command) = inbound.command.as_ref() else {
        return Err(invalid(
            "command",
            "is required: exactly one command".into(),
        ));
    };
    let (owner, name, bytes) = registry::route(command);
    if Some(owner) != context {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_command",
            format!(
                "{name} belongs to the {} service: send it there",
                owner.name()
            ),
        ));
    }
    let (command, digest) = parse(name, protobuf, &Bytes::from(bytes))?;
    let meta = CommandMeta {
        command_id: id.to_owned(),
        source_system: request.source_system.clone(),
        actor: Some(inbound.actor.trim())
            .filter(|a| !a.is_empty())
            .map_or_else(|| request.actor.clone(), str::to_owned),
        correlation_id: Some(inbound.correlation_id.trim())
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .or_else(|| request.correlation_id.clone()),
        causation_id: request.causation_id.clone(),
        expected_version: inbound.expected_version,
    };
    Ok((meta, digest, command))
}

/// Names the command a refusal is about: `commands[3].amount_cents`.
fn within(mut err: ApiError, index: usize) -> ApiError {
    let at = format!("commands[{index}]");
    err.field = Some(match err.field {
        Some(field) => format!("{at}.{field}"),
        None => at,
    });
    err
}

fn respond(request: &HeaderMap, source_system: &str, outcomes: &[(String, Decided)]) -> Response {
    let wants_protobuf = request
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().unwrap_or_default().trim() == PROTOBUF);
    if wants_protobuf {
        let decided_at = Some(timestamp(time::OffsetDateTime::now_utc()));
        let results = outcomes
            .iter()
            .map(|(id, outcome)| match outcome {
                Decided::Accepted(a, _) => CommandResult {
                    command_id: id.clone(),
                    source_system: source_system.to_owned(),
                    outcome: Outcome::Accepted as i32,
                    events: vec![a.appended()],
                    rejection: None,
                    decided_at,
                },
                Decided::Rejected(err) => CommandResult {
                    command_id: id.clone(),
                    source_system: source_system.to_owned(),
                    outcome: Outcome::Rejected as i32,
                    events: Vec::new(),
                    rejection: Some(Rejection {
                        code: err.code.clone(),
                        message: err.message.clone(),
                        field: err.field.clone().unwrap_or_default(),
                    }),
                    decided_at,
                },
            })
            .collect();
        let body = CommandBatchResult { results }.encode_to_vec();
        return (StatusCode::OK, [(header::CONTENT_TYPE, PROTOBUF)], body).into_response();
    }
    let results: Vec<Value> = outcomes
        .iter()
        .map(|(id, outcome)| match outcome {
            Decided::Accepted(a, replayed) => json!({
                "command_id": id, "outcome": "accepted", "replayed": replayed,
                "events": [{
                    "event_id": a.event_id, "event_type": a.event_type,
                    "stream": {"type": a.stream_type, "id": a.stream_id},
                    "stream_version": a.stream_version, "topic": a.position.topic,
                    "partition": a.position.partition, "offset": a.position.offset,
                }],
            }),
            Decided::Rejected(err) => json!({
                "command_id": id, "outcome": "rejected", "status": err.status.as_u16(),
                "error": {"code": err.code, "message": err.message, "field": err.field},
            }),
        })
        .collect();
    (StatusCode::OK, Json(json!({ "results": results }))).into_response()
}
