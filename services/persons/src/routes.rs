//! `/v1/persons`: register, read (authorised callers only), erase.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use ledger_domain::ids::Rpps;
use ledger_http::ApiError;
use serde::Deserialize;
use uuid::Uuid;

use crate::{Lookup, PersonDetails, Persons, PersonsError};

/// The routes, to merge into the service that hosts the store.
pub fn router(persons: Persons) -> Router {
    Router::new()
        .route("/v1/persons", post(register))
        .route("/v1/persons/{person_id}", get(read).delete(erase))
        .with_state(persons)
}

fn unavailable(err: PersonsError) -> ApiError {
    tracing::error!(error = %err, "personal-data store failed");
    ApiError::unavailable(
        "store_unavailable",
        "the personal-data store cannot be reached",
    )
}

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found(format!("no person {raw}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registration {
    name: String,
    rpps: String,
}

async fn register(
    State(persons): State<Persons>,
    body: Result<Json<Registration>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(registration) =
        body.map_err(|e| ApiError::bad_request("malformed_json", e.body_text()))?;
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
    let person_id = persons.register(&details).await.map_err(unavailable)?;
    tracing::info!(%person_id, "person registered");
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"person_id": person_id})),
    )
        .into_response())
}

async fn read(
    State(persons): State<Persons>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let person_id = parse_id(&raw)?;
    match persons.lookup(person_id).await.map_err(unavailable)? {
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
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let person_id = parse_id(&raw)?;
    if persons.erase(person_id).await.map_err(unavailable)? {
        tracing::info!(%person_id, "person erased");
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(format!("no person {person_id}")))
    }
}
