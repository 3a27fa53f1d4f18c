//! Bearer tokens and roles.
//!
//! Tokens are configured in a file (`LEDGER_TOKENS_FILE`), one per line:
//!
//! ```text
//! # sha256 of the token (hex)                                        name          roles               source system
//! 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  finance-ctrl  controller
//! 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752  rh-occitanie  integrator          rh-occitanie
//! ```
//!
//! The file holds hashes only, so reading it never reveals a usable token.
//! It is read again within a second of any change: adding or revoking a
//! caller needs no restart (a file that no longer parses is reported and the
//! tokens it replaced stay in force). A service without a tokens file does
//! not start, unless started with `--insecure-no-auth` (loopback
//! development only; the local stack never uses it).
//! Roles: `controller` (read), `integrator` (commands, for its own source
//! system; `*` for any, as the inbound gateway needs), `ops` (status,
//! replay, export). Every refusal is logged with the route and the caller.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, RwLock, Weak},
    time::{Duration, SystemTime},
};

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use sha2::{Digest, Sha256};

use crate::ApiError;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Controller,
    Integrator,
    Ops,
    /// Reads and erases personal data (a data protection officer, or the HR
    /// system that registered the person), for its own source system only.
    Persons,
}

impl Role {
    pub const ALL: [Role; 4] = [Self::Controller, Self::Integrator, Self::Ops, Self::Persons];

    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "controller" => Self::Controller,
            "integrator" => Self::Integrator,
            "ops" => Self::Ops,
            "persons" => Self::Persons,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Controller => "controller",
            Self::Integrator => "integrator",
            Self::Ops => "ops",
            Self::Persons => "persons",
        }
    }
}

/// A known caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub roles: Vec<Role>,
    /// The source system an integrator acts for (`*`: any).
    pub source_system: Option<String>,
}

type Tokens = HashMap<[u8; 32], Principal>;

/// The configured tokens; `None` when access control is off (started with
/// `--insecure-no-auth`).
#[derive(Debug, Clone, Default)]
pub struct Access {
    tokens: Option<Arc<RwLock<Arc<Tokens>>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("cannot read tokens file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("tokens file {path}, line {line}: {why}")]
    Line {
        path: String,
        line: usize,
        why: String,
    },
    #[error("no tokens file: set LEDGER_TOKENS_FILE (or, for loopback development only, start with --insecure-no-auth)")]
    Missing,
}

/// Header naming the source system of a command.
const SOURCE_SYSTEM: &str = "x-source-system";

impl Access {
    /// Everyone may do everything: only for a service started with
    /// `--insecure-no-auth`.
    pub fn open() -> Self {
        Self { tokens: None }
    }

    /// Reads the tokens file and follows its changes. Without a file, the
    /// service may only run open if `insecure_no_auth` says so.
    pub fn load(path: Option<&Path>, insecure_no_auth: bool) -> Result<Self, AccessError> {
        let Some(path) = path else {
            if insecure_no_auth {
                tracing::warn!(
                    "--insecure-no-auth: access control is OFF; loopback development only"
                );
                return Ok(Self::open());
            }
            return Err(AccessError::Missing);
        };
        let (tokens, stamp) = read(path)?;
        let shared = Arc::new(RwLock::new(Arc::new(tokens)));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(follow(path.to_owned(), Arc::downgrade(&shared), stamp));
        }
        Ok(Self {
            tokens: Some(shared),
        })
    }

    /// The tokens in force now.
    fn current(&self) -> Option<Arc<Tokens>> {
        let lock = self.tokens.as_ref()?;
        Some(match lock.read() {
            Ok(tokens) => tokens.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        })
    }

    fn parse(text: &str) -> Result<Tokens, (usize, String)> {
        let mut tokens = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (hash, name, roles) = match fields.as_slice() {
                [hash, name, roles, ..] => (hash, name, roles),
                _ => return Err((i + 1, "expected: sha256 name roles [source-system]".into())),
            };
            let mut digest = [0u8; 32];
            hex::decode_to_slice(hash, &mut digest)
                .map_err(|_| (i + 1, "the first field must be a SHA-256 in hex".to_owned()))?;
            let roles = roles
                .split(',')
                .map(|r| Role::parse(r).ok_or_else(|| (i + 1, format!("unknown role {r:?}"))))
                .collect::<Result<Vec<_>, _>>()?;
            let principal = Principal {
                name: (*name).to_owned(),
                roles,
                source_system: fields.get(3).map(|s| (*s).to_owned()),
            };
            tokens.insert(digest, principal);
        }
        Ok(tokens)
    }
}

/// Reads a tokens file's text as the services do: how many tokens it
/// holds, or the line it cannot read and why (for tools and fuzzing).
pub fn parse_tokens_file(text: &str) -> Result<usize, (usize, String)> {
    Access::parse(text).map(|tokens| tokens.len())
}

/// The caller a bearer token stands for.
fn principal<'t>(tokens: &'t Tokens, token: &str) -> Option<&'t Principal> {
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    tokens.get(&digest)
}

/// When the file last changed, as far as we can tell.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn read(path: &Path) -> Result<(Tokens, Stamp), AccessError> {
    let shown = path.display().to_string();
    let before = stamp(path);
    let text = std::fs::read_to_string(path).map_err(|source| AccessError::Read {
        path: shown.clone(),
        source,
    })?;
    let tokens = Access::parse(&text).map_err(|(line, why)| AccessError::Line {
        path: shown,
        line,
        why,
    })?;
    Ok((tokens, before))
}

/// Re-reads the file within a second of each change, for as long as the
/// service holds its tokens.
async fn follow(path: PathBuf, shared: Weak<RwLock<Arc<Tokens>>>, mut seen: Stamp) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let now = stamp(&path);
        if now == seen {
            continue;
        }
        seen = now;
        match read(&path) {
            Ok((tokens, _)) => {
                tracing::info!(path = %path.display(), callers = tokens.len(), "tokens file reloaded");
                let mut slot = match shared.write() {
                    Ok(slot) => slot,
                    Err(poisoned) => poisoned.into_inner(),
                };
                *slot = Arc::new(tokens);
            }
            Err(err) => {
                tracing::error!(error = %err, "tokens file not reloaded; the previous tokens stay in force")
            }
        }
    }
}

fn refuse(status: StatusCode, code: &str, message: String) -> Response {
    let mut response = ApiError::new(status, code, message).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// `None`: any known caller, whatever its roles.
async fn guard(
    State((access, role)): State<(Access, Option<Role>)>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(tokens) = access.current() else {
        return next.run(request).await;
    };
    let path = request.uri().path().to_owned();
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(principal) = token.and_then(|t| principal(&tokens, t)).cloned() else {
        let why = if token.is_some() {
            "unknown token"
        } else {
            "no bearer token"
        };
        tracing::warn!(%path, why, "request refused: not authenticated");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            format!("{why}: send Authorization: Bearer <token>"),
        );
    };
    if let Some(role) = role.filter(|role| !principal.roles.contains(role)) {
        tracing::warn!(%path, caller = %principal.name, needs = role.as_str(), "request refused: role missing");
        return refuse(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "{} lacks the {} role this route needs",
                principal.name,
                role.as_str()
            ),
        );
    }
    if matches!(role, Some(Role::Integrator | Role::Persons)) {
        // An integrator, or a holder of personal data, acts for its own
        // source system only.
        let own = principal.source_system.as_deref().unwrap_or("");
        let claimed = request
            .headers()
            .get(SOURCE_SYSTEM)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        match claimed {
            Some(claimed) if own != "*" && claimed != own => {
                tracing::warn!(%path, caller = %principal.name, %claimed, "request refused: foreign source system");
                return refuse(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!(
                        "{} may send commands for source system {own:?} only, not {claimed:?}",
                        principal.name
                    ),
                );
            }
            None if own != "*" => {
                if let Ok(value) = HeaderValue::from_str(own) {
                    request.headers_mut().insert(SOURCE_SYSTEM, value);
                }
            }
            _ => {}
        }
    }
    // Handlers that need to know who asks (the personal-data store's access
    // log) find the caller here.
    request.extensions_mut().insert(principal);
    next.run(request).await
}

/// Requires `role` on every route of `router`.
///
/// A route layer: a method a path does not serve is `405` whoever asks, and
/// an unknown path the JSON `404`, before any token is looked at.
pub fn require(router: Router, access: &Access, role: Role) -> Router {
    router.route_layer(middleware::from_fn_with_state(
        (access.clone(), Some(role)),
        guard,
    ))
}

/// Requires a known caller, whatever its roles, on every route of `router`
/// (which finds the [`Principal`] in the request's extensions).
pub fn authenticated(router: Router, access: &Access) -> Router {
    router.route_layer(middleware::from_fn_with_state(
        (access.clone(), None),
        guard,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tokens_file_names_callers_by_hash_and_refuses_bad_lines() {
        let hash = hex::encode(Sha256::digest(b"s3cret"));
        let tokens = Access::parse(&format!(
            "# comment\n\n{hash} rh integrator,controller rh-occitanie\n"
        ))
        .expect("parses");
        let p = principal(&tokens, "s3cret").expect("known");
        assert_eq!(p.name, "rh");
        assert_eq!(p.roles, [Role::Integrator, Role::Controller]);
        assert_eq!(p.source_system.as_deref(), Some("rh-occitanie"));
        assert!(principal(&tokens, "forged").is_none());
        assert_eq!(
            Access::parse("abc x controller").err().map(|e| e.0),
            Some(1)
        );
        assert!(Access::parse(&format!("{hash} x admin")).is_err());
    }

    #[test]
    fn without_a_tokens_file_a_service_refuses_to_start_unless_told_to_run_open() {
        assert!(matches!(
            Access::load(None, false),
            Err(AccessError::Missing)
        ));
        assert!(Access::load(None, true).is_ok_and(|a| a.current().is_none()));
    }
}
