//! What every read takes, in one extractor: the accounting date and the
//! moment (`as_of`, `known_at`) and read-your-writes (`wait_for`, `wait_ms`).
//!
//! A handler gets the [`At`] it queries with only from [`Read::ready`],
//! which first waits until the view has applied every position asked for:
//! a route cannot query without keeping the `wait_for` promise.

use std::time::Duration;

use axum::{
    extract::{FromRequestParts, Query},
    http::{request::Parts, StatusCode},
};
use ledger_http::ApiError;
use ledger_readmodel::queries::At;
use serde::Deserialize;

use crate::{params, routes::AppState};

/// Query parameters of every read.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadParams {
    /// Accounting date the figures are taken at, inclusive (YYYY-MM-DD); default today.
    #[param(format = Date)]
    pub as_of: Option<String>,
    /// What the ledger knew at this instant (RFC 3339); default: everything recorded.
    #[param(format = DateTime)]
    pub known_at: Option<String>,
    /// Positions commands returned (`topic:partition:offset`, several
    /// separated by commas): answer once the view has applied them all; a
    /// position the view's partitions do not hold yet is `404`.
    #[param(
        pattern = r"^[a-zA-Z0-9._-]+:[0-9]{1,9}:[0-9]{1,18}(,[a-zA-Z0-9._-]+:[0-9]{1,9}:[0-9]{1,18})*$"
    )]
    pub wait_for: Option<String>,
    /// How long to wait for them, in ms (default 5000, at most 30000).
    #[param(value_type = Option<u64>, minimum = 0, maximum = 30000)]
    pub wait_ms: Option<String>,
}

const DEFAULT_WAIT: Duration = Duration::from_secs(5);
const MAX_WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(25);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    topic: String,
    partition: i32,
    offset: i64,
}

/// A read's parameters, checked; [`Read::ready`] gives the `At` to query.
pub struct Read {
    at: At,
    targets: Vec<Target>,
    bound: Duration,
    /// As the caller wrote them, for answers that echo them.
    pub as_of: Option<String>,
    pub known_at: Option<String>,
}

fn invalid(field: &str, message: String) -> ApiError {
    let mut err = ApiError::bad_request("invalid_parameter", message);
    err.field = Some(field.to_owned());
    err
}

fn parse(raw: &str) -> Result<Target, ApiError> {
    let bad = || {
        invalid(
            "wait_for",
            format!("wait_for {raw:?} is not a position of the form topic:partition:offset"),
        )
    };
    let mut parts = raw.rsplitn(3, ':');
    let offset = parts.next().and_then(|o| o.parse().ok()).ok_or_else(bad)?;
    let partition = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    // A Kafka topic name: letters, digits, `.`, `_` and `-`.
    let topic = parts
        .next()
        .filter(|t| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        })
        .ok_or_else(bad)?
        .to_owned();
    Ok(Target {
        topic,
        partition,
        offset,
    })
}

fn positions(raw: &Option<String>) -> Result<Vec<Target>, ApiError> {
    match raw.as_deref() {
        None => Ok(Vec::new()),
        Some(raw) => raw.split(',').map(str::trim).map(parse).collect(),
    }
}

fn bound(raw: &Option<String>) -> Result<Duration, ApiError> {
    match raw.as_deref() {
        None => Ok(DEFAULT_WAIT),
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|ms| *ms <= MAX_WAIT.as_millis() as u64)
            .map(Duration::from_millis)
            .ok_or_else(|| {
                invalid(
                    "wait_ms",
                    format!("wait_ms must be between 0 and {}", MAX_WAIT.as_millis()),
                )
            }),
    }
}

impl Read {
    fn from_params(p: ReadParams) -> Result<Read, ApiError> {
        Ok(Read {
            at: At {
                as_of: params::date("as_of", &p.as_of)?,
                known_at: params::instant("known_at", &p.known_at)?,
            },
            targets: positions(&p.wait_for)?,
            bound: bound(&p.wait_ms)?,
            as_of: p.as_of,
            known_at: p.known_at,
        })
    }

    /// Waits until the projection has applied every `wait_for` position
    /// (503 `projection_lagging` after `wait_ms`), then gives the date and
    /// moment to query at.
    pub async fn ready(self, state: &AppState) -> Result<At, ApiError> {
        let deadline = tokio::time::Instant::now() + self.bound;
        let mut pending = self.targets;
        while !pending.is_empty() {
            let mut still = Vec::new();
            for target in pending {
                let reached = ledger_readmodel::queries::has_reached(
                    &state.pool,
                    &state.projection,
                    &target.topic,
                    target.partition,
                    target.offset,
                )
                .await
                .map_err(|err| {
                    tracing::error!(error = %err, "read model unavailable");
                    ApiError::unavailable(
                        "read_model_unavailable",
                        "the read model cannot be queried",
                    )
                })?;
                match reached {
                    Some(true) => {}
                    Some(false) => still.push(target),
                    None => {
                        let mut err = ApiError::not_found(format!(
                            "the view follows no partition {}:{}: this position was not \
                             answered by a command of this ledger",
                            target.topic, target.partition
                        ));
                        err.field = Some("wait_for".into());
                        return Err(err);
                    }
                }
            }
            pending = still;
            if pending.is_empty() {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                let first = &pending[0];
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "projection_lagging",
                    format!(
                        "the view has not reached {}:{}:{} after {} ms; retry, or read without wait_for",
                        first.topic,
                        first.partition,
                        first.offset,
                        self.bound.as_millis()
                    ),
                ));
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(self.at)
    }
}

impl FromRequestParts<AppState> for Read {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Query(p) = Query::<ReadParams>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| {
                ApiError::bad_request("invalid_parameter", rejection.body_text())
            })?;
        Read::from_params(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_parse_with_dotted_topics_and_in_lists() {
        let t = parse("ledger.grants.v1:3:42")
            .map_err(|e| e.message)
            .unwrap();
        assert_eq!(
            (t.topic.as_str(), t.partition, t.offset),
            ("ledger.grants.v1", 3, 42)
        );
        assert!(parse("ledger.grants.v1:x:1").is_err());
        assert!(parse(":1:2").is_err());
        assert!(parse("42").is_err());
        let list = positions(&Some("a.v1:0:5, b.v1:2:7".into()))
            .map_err(|e| e.message)
            .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].topic, "b.v1");
        assert!(positions(&Some("a.v1:0:5,".into())).is_err());
    }

    #[test]
    fn the_wait_is_bounded() {
        assert_eq!(bound(&None).ok(), Some(DEFAULT_WAIT));
        assert!(bound(&Some("30001".into())).is_err());
        assert!(bound(&Some("-1".into())).is_err());
    }
}
