//! Inbound records → the owning services → one result each (and, for a
//! record that cannot be read, a dead letter). Consecutive commands of one
//! system for one owner travel as one batch.

use std::{collections::HashMap, time::Duration};

use ledger_kafka::{
    rdkafka::{message::OwnedMessage, Message},
    OutboundRecord, Topics,
};
use ledger_proto::v1::{
    CommandBatch, CommandBatchResult, CommandResult, DeadLetter, InboundCommand, Outcome, Rejection,
};
use prost::Message as _;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::{
    route::{route, Allow, Owner},
    Config, InboundError,
};

pub struct Forwarder {
    http: reqwest::Client,
    urls: HashMap<Owner, String>,
    allow: Allow,
    topics: Topics,
}

fn now() -> ledger_proto::Timestamp {
    let at = OffsetDateTime::now_utc();
    ledger_proto::Timestamp {
        seconds: at.unix_timestamp(),
        nanos: i32::try_from(at.nanosecond()).unwrap_or(0),
    }
}

fn rejected(
    command_id: &str,
    source_system: &str,
    code: &str,
    message: String,
    field: String,
) -> CommandResult {
    CommandResult {
        command_id: command_id.to_owned(),
        source_system: source_system.to_owned(),
        outcome: Outcome::Rejected as i32,
        events: Vec::new(),
        rejection: Some(Rejection {
            code: code.to_owned(),
            message,
            field,
        }),
        decided_at: Some(now()),
    }
}

/// Whether `value` can travel as an HTTP header value as the ledger's
/// services read them: at most 128 visible ASCII characters (or spaces).
fn header_safe(value: &str) -> bool {
    value.len() <= 128 && value.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Whether an answer is the owning service's final verdict on the command:
/// a 4xx with one of the ledger's error codes, other than those that say
/// something about the gateway or the moment rather than the command.
fn is_decision(status: reqwest::StatusCode, code: &str) -> bool {
    use reqwest::StatusCode as S;
    status.is_client_error()
        && !code.is_empty()
        && !matches!(
            status,
            S::UNAUTHORIZED | S::FORBIDDEN | S::REQUEST_TIMEOUT | S::TOO_MANY_REQUESTS
        )
}

/// Waits `delay` before another try (counted on `/metrics`), doubling it
/// up to 10 s; `None` if the service stops meanwhile.
async fn back_off(delay: &mut Duration, shutdown: &CancellationToken) -> Option<()> {
    metrics::counter!("ledger_inbound_owner_unreachable_total").increment(1);
    tokio::select! {
        _ = shutdown.cancelled() => return None,
        _ = tokio::time::sleep(*delay) => {}
    }
    *delay = (*delay * 2).min(Duration::from_secs(10));
    Some(())
}

/// What the owning service answered, or that it could not be reached.
enum Answer {
    Decided(CommandResult),
    Unreachable(String),
}

/// What the owning service answered a batch.
enum BatchAnswer {
    /// One verdict per command, in order.
    Decided(Vec<CommandResult>),
    /// Refused as a whole with a verdict (too large, say): its commands
    /// are to be sent one by one.
    NotAsBatch(String),
    /// Not the owner's verdict: retried.
    Unreachable(String),
}

/// What to do with one inbound record.
pub enum Step {
    /// Answered without the owner: these records are the answer.
    Answered(Vec<OutboundRecord>),
    /// To forward to its owner.
    Forward {
        system: String,
        owner: Owner,
        inbound: Box<InboundCommand>,
    },
}

impl Forwarder {
    pub fn new(config: &Config, allow: Allow, topics: Topics) -> Result<Self, InboundError> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = &config.token {
            let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| {
                    InboundError::Config("LEDGER_INBOUND_TOKEN is not a valid header value".into())
                })?;
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .default_headers(headers)
            .build()?;
        let urls = HashMap::from([
            (
                Owner::Grants,
                config.grants_url.trim_end_matches('/').to_owned(),
            ),
            (
                Owner::Workforce,
                config.workforce_url.trim_end_matches('/').to_owned(),
            ),
            (
                Owner::Centres,
                config.centres_url.trim_end_matches('/').to_owned(),
            ),
            (
                Owner::Obligations,
                config.obligations_url.trim_end_matches('/').to_owned(),
            ),
        ]);
        Ok(Self {
            http,
            urls,
            allow,
            topics,
        })
    }

    /// A result, on the results topic of the system that sent the command.
    fn result_record(&self, system: &str, result: &CommandResult) -> OutboundRecord {
        OutboundRecord {
            topic: self.topics.results_of(system),
            key: result.command_id.clone(),
            payload: result.encode_to_vec(),
            event_type: "CommandResult".to_owned(),
        }
    }

    /// What to do with one inbound record: answer it at once (unreadable,
    /// or refused by the gateway's own checks), or forward it to its owner.
    pub fn prepare(&self, message: &OwnedMessage) -> Step {
        // Subscribed to inbound topics only, each named after its system.
        let system = self
            .topics
            .system_of_inbound(message.topic())
            .unwrap_or_default()
            .to_owned();
        let payload = message.payload().unwrap_or_default();
        let key = message
            .key()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .unwrap_or_default();
        let inbound = match InboundCommand::decode(payload) {
            Ok(inbound) => inbound,
            Err(err) => {
                // Unreadable: answered under the record's key, and kept whole
                // on the dead-letter topic for inspection and re-drive.
                let command_id = if key.is_empty() {
                    format!(
                        "{}:{}:{}",
                        message.topic(),
                        message.partition(),
                        message.offset()
                    )
                } else {
                    key.clone()
                };
                tracing::warn!(%command_id, error = %err, "inbound record is not an InboundCommand");
                let reason = Rejection {
                    code: "decode_error".to_owned(),
                    message: format!("the record is not a ledger.v1.InboundCommand: {err}"),
                    field: String::new(),
                };
                let dead = DeadLetter {
                    source_topic: message.topic().to_owned(),
                    source_partition: message.partition(),
                    source_offset: message.offset(),
                    key: message.key().unwrap_or_default().to_vec(),
                    value: payload.to_vec(),
                    reason: Some(reason.clone()),
                    failed_at: Some(now()),
                };
                let result = rejected(
                    &command_id,
                    &system,
                    &reason.code,
                    reason.message,
                    String::new(),
                );
                return Step::Answered(vec![
                    self.result_record(&system, &result),
                    OutboundRecord {
                        topic: self.topics.deadletter.clone(),
                        key: command_id,
                        payload: dead.encode_to_vec(),
                        event_type: "DeadLetter".to_owned(),
                    },
                ]);
            }
        };
        match self.check(&system, inbound) {
            Ok((inbound, owner)) => Step::Forward {
                system,
                owner,
                inbound,
            },
            Err(result) => Step::Answered(vec![self.result_record(&system, &result)]),
        }
    }

    /// The gateway's own checks; `system` is the sender, known from the
    /// topic the command came on.
    fn check(
        &self,
        system: &str,
        mut inbound: InboundCommand,
    ) -> Result<(Box<InboundCommand>, Owner), Box<CommandResult>> {
        let id = inbound.command_id.clone();
        let reject = |code: &str, message: String, field: &str| {
            Box::new(rejected(&id, system, code, message, field.to_owned()))
        };
        // These travel as HTTP headers when a command is sent alone: a
        // value a header cannot carry would otherwise look like an
        // unreachable owner, retried for ever.
        for (field, value, required) in [
            ("command_id", inbound.command_id.as_str(), true),
            ("actor", inbound.actor.as_str(), false),
            ("correlation_id", inbound.correlation_id.as_str(), false),
        ] {
            if (required && value.is_empty()) || !header_safe(value) {
                return Err(reject(
                    "invalid_field",
                    format!(
                        "{field} is {}at most 128 visible ASCII characters",
                        if required { "required, " } else { "" }
                    ),
                    field,
                ));
            }
        }
        // The field may be left empty; filled in, it must name the sender.
        if !inbound.source_system.is_empty() && inbound.source_system != system {
            tracing::warn!(command_id = %id, source_system = system, claimed = %inbound.source_system,
                "inbound command refused: it claims another source system");
            return Err(reject(
                "unauthorised",
                format!(
                    "commands on {} come from {system}; this one says source_system {:?}",
                    self.topics.inbound_of(system),
                    inbound.source_system
                ),
                "source_system",
            ));
        }
        inbound.source_system = system.to_owned();
        let Some(command) = &inbound.command else {
            return Err(reject(
                "invalid_field",
                "the message carries no command".into(),
                "command",
            ));
        };
        let routed = route(command);
        if !self.allow.permits(system, routed.name) {
            tracing::warn!(
                command_id = %id,
                source_system = system,
                command = routed.name,
                "inbound command refused: not allowed"
            );
            return Err(reject(
                "unauthorised",
                format!("{system} may not send {}", routed.name),
                "source_system",
            ));
        }
        Ok((Box::new(inbound), routed.owner))
    }

    /// Forwards consecutive commands of one system for one owner as one
    /// batch (decided in order, appended in one transaction) and returns
    /// their results in order; `None` when the service stops while the
    /// owner is unreachable. An answer that is not the owner's verdict is
    /// retried with backoff, under the same command ids.
    pub async fn forward(
        &self,
        system: &str,
        owner: Owner,
        commands: Vec<InboundCommand>,
        shutdown: &CancellationToken,
    ) -> Option<Vec<OutboundRecord>> {
        let mut delay = Duration::from_millis(100);
        let results = loop {
            let why = match self.send_batch(system, owner, &commands).await {
                BatchAnswer::Decided(results) => break results,
                // The owner cannot take it as a batch: one at a time.
                BatchAnswer::NotAsBatch(why) => {
                    tracing::warn!(error = %why, "batch refused as a whole; sending its commands one by one");
                    let mut results = Vec::with_capacity(commands.len());
                    for inbound in &commands {
                        results.push(self.forward_one(inbound, shutdown).await?);
                    }
                    break results;
                }
                BatchAnswer::Unreachable(why) => why,
            };
            // The owner is down: wait for it rather than answer wrongly;
            // the partition waits with these commands.
            tracing::warn!(error = %why, commands = commands.len(), retry_in_ms = delay.as_millis() as u64, "owning service unreachable");
            back_off(&mut delay, shutdown).await?;
        };
        Some(
            results
                .iter()
                .map(|result| self.result_record(system, result))
                .collect(),
        )
    }

    async fn forward_one(
        &self,
        inbound: &InboundCommand,
        shutdown: &CancellationToken,
    ) -> Option<CommandResult> {
        let routed = route(inbound.command.as_ref()?);
        let mut delay = Duration::from_millis(100);
        loop {
            match self.send(inbound, &routed).await {
                Answer::Decided(result) => return Some(result),
                Answer::Unreachable(why) => {
                    tracing::warn!(command_id = %inbound.command_id, error = %why, retry_in_ms = delay.as_millis() as u64, "owning service unreachable");
                    back_off(&mut delay, shutdown).await?;
                }
            }
        }
    }

    async fn send_batch(
        &self,
        system: &str,
        owner: Owner,
        commands: &[InboundCommand],
    ) -> BatchAnswer {
        let base = self
            .urls
            .get(&owner)
            .map(String::as_str)
            .unwrap_or_default();
        let batch = CommandBatch {
            commands: commands.to_vec(),
        };
        let response = match self
            .http
            .post(format!("{base}/v1/commands:batch"))
            .header("Content-Type", "application/x-protobuf")
            .header("Accept", "application/x-protobuf")
            .header("X-Source-System", system)
            .header("X-Actor", system)
            .body(batch.encode_to_vec())
            .send()
            .await
        {
            Ok(response) => response,
            Err(err) => return BatchAnswer::Unreachable(err.to_string()),
        };
        let status = response.status();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(err) => return BatchAnswer::Unreachable(err.to_string()),
        };
        if status.is_success() {
            return match CommandBatchResult::decode(body.as_ref()) {
                Ok(answer) if answer.results.len() == commands.len() => {
                    BatchAnswer::Decided(answer.results)
                }
                Ok(answer) => BatchAnswer::Unreachable(format!(
                    "{} results for {} commands",
                    answer.results.len(),
                    commands.len()
                )),
                Err(err) => BatchAnswer::Unreachable(format!("unreadable answer: {err}")),
            };
        }
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let code = error["error"]["code"].as_str().unwrap_or_default();
        if is_decision(status, code) {
            BatchAnswer::NotAsBatch(format!("{status} {code}"))
        } else {
            BatchAnswer::Unreachable(format!("{status} {code}"))
        }
    }

    async fn send(&self, inbound: &InboundCommand, routed: &crate::route::Routed) -> Answer {
        let base = self
            .urls
            .get(&routed.owner)
            .map(String::as_str)
            .unwrap_or_default();
        let mut request = self
            .http
            .post(format!("{base}/v1/commands/{}", routed.name))
            .header("Content-Type", "application/x-protobuf")
            .header("Accept", "application/x-protobuf")
            .header("Idempotency-Key", &inbound.command_id)
            .header("X-Source-System", &inbound.source_system)
            .header(
                "X-Actor",
                if inbound.actor.is_empty() {
                    &inbound.source_system
                } else {
                    &inbound.actor
                },
            )
            .body(routed.body.clone());
        if !inbound.correlation_id.is_empty() {
            request = request.header("X-Correlation-Id", &inbound.correlation_id);
        }
        if let Some(version) = inbound.expected_version {
            request = request.header("X-Expected-Version", version.to_string());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => return Answer::Unreachable(err.to_string()),
        };
        let status = response.status();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(err) => return Answer::Unreachable(err.to_string()),
        };
        if status.is_success() {
            return match CommandResult::decode(body.as_ref()) {
                Ok(result) => Answer::Decided(result),
                Err(err) => Answer::Unreachable(format!("unreadable answer: {err}")),
            };
        }
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let text = |k: &str| error["error"][k].as_str().unwrap_or_default().to_owned();
        if !is_decision(status, &text("code")) {
            // Not the owner's verdict on the command: an outage, the
            // gateway's own access (a rotated token), a wrong URL, a timeout
            // after which the command may well be appended. Retried under
            // the same idempotency key, which returns the first answer.
            return Answer::Unreachable(format!("{status} {}", text("code")));
        }
        Answer::Decided(rejected(
            &inbound.command_id,
            &inbound.source_system,
            &text("code"),
            text("message"),
            text("field"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn only_the_owners_verdict_on_the_command_is_final() {
        assert!(is_decision(StatusCode::CONFLICT, "envelope_overcommitted"));
        assert!(is_decision(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field"
        ));
        assert!(is_decision(StatusCode::NOT_FOUND, "unknown_command"));
        // A 404 without the ledger's error body: a wrong URL.
        assert!(!is_decision(StatusCode::NOT_FOUND, ""));
        assert!(
            !is_decision(StatusCode::UNAUTHORIZED, "unauthenticated"),
            "rotated token"
        );
        assert!(!is_decision(StatusCode::FORBIDDEN, "forbidden"));
        assert!(
            !is_decision(StatusCode::REQUEST_TIMEOUT, "timeout"),
            "may be appended"
        );
        assert!(!is_decision(
            StatusCode::SERVICE_UNAVAILABLE,
            "log_unavailable"
        ));
    }

    #[test]
    fn header_values_are_checked_before_they_are_sent() {
        assert!(header_safe("k-1"));
        assert!(header_safe(""));
        assert!(!header_safe("k\n1"));
        assert!(!header_safe("k\u{7f}"));
        assert!(!header_safe(&"x".repeat(129)));
        assert!(
            !header_safe("Hélène"),
            "not something a header carries as sent"
        );
    }
}
