//! Read-your-writes: wait, bounded, until the view has applied a position.

use std::time::Duration;

use axum::http::StatusCode;
use ledger_http::ApiError;
use serde::Deserialize;
use sqlx::PgPool;

/// Query parameters shared by every read: `wait_for=topic:partition:offset`
/// (the position a command returned) and `wait_ms` (default 5000, at most 30000).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Consistency {
    /// Position a command returned (topic:partition:offset): answer once the
    /// view has applied it.
    pub wait_for: Option<String>,
    /// How long to wait for it, in ms (default 5000, at most 30000).
    pub wait_ms: Option<u64>,
}

const DEFAULT_WAIT: Duration = Duration::from_secs(5);
const MAX_WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(25);

struct Target {
    topic: String,
    partition: i32,
    offset: i64,
}

fn parse(raw: &str) -> Result<Target, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "invalid_parameter",
            format!("wait_for {raw:?} is not a position of the form topic:partition:offset"),
        )
    };
    let mut parts = raw.rsplitn(3, ':');
    let offset = parts.next().and_then(|o| o.parse().ok()).ok_or_else(bad)?;
    let partition = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let topic = parts
        .next()
        .filter(|t| !t.is_empty())
        .ok_or_else(bad)?
        .to_owned();
    Ok(Target {
        topic,
        partition,
        offset,
    })
}

impl Consistency {
    /// Returns once the projection has applied `wait_for`, or a 503
    /// `projection_lagging` error after the bound.
    pub async fn wait(&self, pool: &PgPool, projection: &str) -> Result<(), ApiError> {
        let Some(raw) = &self.wait_for else {
            return Ok(());
        };
        let target = parse(raw)?;
        let bound = self
            .wait_ms
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_WAIT)
            .min(MAX_WAIT);
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let reached = ledger_readmodel::queries::has_reached(
                pool,
                projection,
                &target.topic,
                target.partition,
                target.offset,
            )
            .await
            .map_err(|err| {
                tracing::error!(error = %err, "read model unavailable");
                ApiError::unavailable("read_model_unavailable", "the read model cannot be queried")
            })?;
            if reached {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "projection_lagging",
                    format!(
                        "the view has not reached {raw} after {} ms; retry, or read without wait_for",
                        bound.as_millis()
                    ),
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_parse_with_dotted_topics() {
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
    }
}
