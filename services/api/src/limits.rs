//! How many requests one caller may have in flight at once. A caller past
//! its share gets `429 too_many_requests` with `Retry-After`, at once,
//! instead of queueing behind itself and taking the pool from the others.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use ledger_http::{auth::Principal, ApiError};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct CallerLimits {
    per_caller: usize,
    /// One semaphore per caller name, made on its first request (the
    /// callers are the tokens file's, so the map stays small).
    callers: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl CallerLimits {
    pub fn new(per_caller: usize) -> Self {
        Self {
            per_caller: per_caller.max(1),
            callers: Arc::default(),
        }
    }

    fn of(&self, caller: &str) -> Arc<Semaphore> {
        // A poisoned lock only means another request panicked while
        // holding it; the map itself is still whole.
        let mut callers = self.callers.lock().unwrap_or_else(|p| p.into_inner());
        callers
            .entry(caller.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_caller)))
            .clone()
    }
}

/// A route layer inside the token check, which names the caller (with
/// access control off, every request is one anonymous caller).
pub async fn limit(State(limits): State<CallerLimits>, request: Request, next: Next) -> Response {
    let caller = request
        .extensions()
        .get::<Principal>()
        .map_or_else(String::new, |p| p.name.clone());
    let Ok(_permit) = limits.of(&caller).try_acquire_owned() else {
        tracing::warn!(%caller, limit = limits.per_caller, "request refused: too many in flight");
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!(
                "at most {} requests of one caller in flight at once; retry after a second",
                limits.per_caller
            ),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    next.run(request).await
}
