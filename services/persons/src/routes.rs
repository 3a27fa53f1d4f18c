//! `/v1/persons`: register, read and erase, for callers with the `persons`
//! role and for their own source system only; every access logged.
//! `/v1/persons/{id}/access-log`: who accessed whom, for ops.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Extension, Json, Router,
};
use ledger_domain::ids::Rpps;
use ledger_http::{auth::Principal, ApiError};
use serde::Deserialize;
use uuid::Uuid;

use crate::{Caller, Lookup, PersonDetails, Persons, PersonsError, Registered};

/// The routes, to merge into the service that hosts the store (behind the
/// `persons` role).
pub fn router(persons: Persons) -> Router {
    Router::new()
        .route("/v1/persons", post(register))
        .route("/v1/persons/{person_id}", get(read).delete(erase))
        .with_state(persons)
}

/// The access log, behind the `ops` role.
pub fn access_log_router(persons: Persons) -> Router {
    Router::new()
        .route("/v1/persons/{person_id}/access-log", get(access_log))
        .with_state(persons)
}

/// Who asks, from the authenticated caller; without access control (a
/// development flag), an anonymous caller who sees everything.
fn caller(principal: Option<Extension<Principal>>) -> Caller {
    match principal {
        Some(Extension(p)) => Caller {
            name: p.name,
            source_system: p.source_system.unwrap_or_default(),
        },
        None => Caller {
            name: "anonymous".into(),
            source_system: "*".into(),
        },
    }
}

fn unavailable(err: PersonsError) -> ApiError {
    tracing::error!(error = %err, "personal-data store failed");
    ApiError::unavailable(
        "store_unavailable",
        "the personal-data store cannot be reached",
    )
}

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    // Not echoed: a caller may paste anything here, an RPPS number included.
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::not_found("no such person: a person id is a pseudonym the store issued")
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registration {
    name: String,
    rpps: String,
}

async fn register(
    State(persons): State<Persons>,
    principal: Option<Extension<Principal>>,
    headers: HeaderMap,
    body: Result<Json<Registration>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let caller = caller(principal);
    // Never the serde message: it may quote the rejected value.
    let Json(registration) = body.map_err(|_| {
        ApiError::bad_request(
            "malformed_json",
            "the body is not {\"name\": string, \"rpps\": string}",
        )
    })?;
    let key = headers
        .get("Idempotency-Key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 128)
        .ok_or_else(|| ApiError {
            field: Some("Idempotency-Key".into()),
            ..ApiError::bad_request(
                "invalid_header",
                "Idempotency-Key is required (at most 128 characters): a repeated registration then returns the same pseudonym",
            )
        })?
        .to_owned();
    if registration.name.trim().is_empty() {
        return Err(ApiError {
            field: Some("name".into()),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "name is required",
            )
        });
    }
    let rpps = Rpps::parse("rpps", &registration.rpps).map_err(|e| ApiError {
        field: e.field,
        ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", e.message)
    })?;
    let details = PersonDetails {
        name: registration.name.trim().to_owned(),
        rpps: rpps.to_string(),
    };
    let (status, person_id) = match persons
        .register(&details, &caller, &key)
        .await
        .map_err(unavailable)?
    {
        Registered::New(id) => (StatusCode::CREATED, id),
        Registered::Again(id) => (StatusCode::OK, id),
        Registered::Conflict => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_conflict",
                "this Idempotency-Key registered other details",
            ))
        }
    };
    tracing::info!(%person_id, caller = %caller.name, "person registered");
    Ok((status, Json(serde_json::json!({"person_id": person_id}))).into_response())
}

async fn read(
    State(persons): State<Persons>,
    principal: Option<Extension<Principal>>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let person_id = parse_id(&raw)?;
    let caller = caller(principal);
    match persons
        .lookup(person_id, &caller)
        .await
        .map_err(unavailable)?
    {
        Lookup::Found(details) => Ok(Json(
            serde_json::json!({"person_id": person_id, "name": details.name, "rpps": details.rpps}),
        )
        .into_response()),
        Lookup::Erased => Err(ApiError::new(
            StatusCode::GONE,
            "person_erased",
            format!("person {person_id} was erased"),
        )),
        Lookup::Unknown => Err(ApiError::not_found(format!("no person {person_id}"))),
    }
}

async fn erase(
    State(persons): State<Persons>,
    principal: Option<Extension<Principal>>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let person_id = parse_id(&raw)?;
    let caller = caller(principal);
    if persons
        .erase(person_id, &caller)
        .await
        .map_err(unavailable)?
    {
        tracing::info!(%person_id, caller = %caller.name, "person erased");
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(format!("no person {person_id}")))
    }
}

async fn access_log(
    State(persons): State<Persons>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let person_id = parse_id(&raw)?;
    let entries = persons.access_log(person_id).await.map_err(unavailable)?;
    Ok(Json(serde_json::json!({"person_id": person_id, "accesses": entries})).into_response())
}
