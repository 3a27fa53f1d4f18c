//! Crédits de paiement by funder, chapter and fiscal year, and the état des
//! AP/AE as JSON or CSV.

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    response::{IntoResponse, Response},
    Json,
};
use ledger_http::ApiError;
use ledger_readmodel::queries::{self, CreditFilter, CreditRow, EtatRow};
use serde::{Deserialize, Serialize};

use crate::{
    export::Csv,
    params,
    routes::{query, unavailable, AppState},
    wait::{Read, ReadParams},
};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreditParams {
    /// Funder, as kind and code: `region:24`, `departement:41`…
    #[param(pattern = r"^(national|(region|departement|grouping|national):[^\x00]+)$")]
    pub funder: Option<String>,
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub fiscal_year: Option<String>,
    /// Chapitre of the M57 nomenclature, e.g. `204`.
    pub chapitre: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Credits {
    pub as_of: Option<String>,
    pub known_at: Option<String>,
    pub credits: Vec<CreditRow>,
}

/// Crédits de paiement voted (budget primitif and décisions modificatives)
/// and mandated, by funder, fiscal year, section and chapitre, with the
/// execution rate.
#[utoipa::path(get, path = "/v1/credits", tag = "budget",
    params(CreditParams, ReadParams),
    responses((status = 200, body = Credits), (status = 400, description = "invalid_parameter"),
              (status = 503, description = "projection_lagging")))]
pub async fn credits(
    State(state): State<AppState>,
    c: Result<Query<CreditParams>, QueryRejection>,
    read: Read,
) -> Result<Json<Credits>, ApiError> {
    let c = query(c)?;
    let (as_of, known_at) = (read.as_of.clone(), read.known_at.clone());
    let filter = CreditFilter {
        funder: params::funder("funder", &c.funder)?,
        fiscal_year: params::year("fiscal_year", &c.fiscal_year)?,
        chapitre: c.chapitre,
        at: read.ready(&state).await?,
    };
    let credits = queries::credits(&state.pool, &filter)
        .await
        .map_err(unavailable)?;
    Ok(Json(Credits {
        as_of,
        known_at,
        credits,
    }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EtatParams {
    /// Funder, as kind and code.
    #[param(pattern = r"^(national|(region|departement|grouping|national):[^\x00]+)$")]
    pub funder: Option<String>,
    pub programme_id: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = r"^(json|csv)$")]
    pub format: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Etat {
    pub as_of: Option<String>,
    pub known_at: Option<String>,
    pub envelopes: Vec<EtatRow>,
}

/// The état des AP/AE: per AP/AE its imputation, voted and revisions,
/// committed, paid to date, cancelled, restes à payer at the date, and its
/// CP schedule against what was mandated each year.
#[utoipa::path(get, path = "/v1/etat-ap-ae", tag = "budget",
    params(EtatParams, ReadParams),
    responses((status = 200, description = "the état, or with `format=csv` as CSV (the schedule as `year=scheduled/paid` pairs)",
               content((Etat = "application/json"), (String = "text/csv")))))]
pub async fn etat_ap_ae(
    State(state): State<AppState>,
    e: Result<Query<EtatParams>, QueryRejection>,
    read: Read,
) -> Result<Response, ApiError> {
    let e = query(e)?;
    let csv = params::csv_format(&e.format)?;
    let (as_of, known_at) = (read.as_of.clone(), read.known_at.clone());
    let funder = params::funder("funder", &e.funder)?;
    let at = read.ready(&state).await?;
    let envelopes = queries::etat_ap_ae(&state.pool, funder, e.programme_id, at)
        .await
        .map_err(unavailable)?;
    if !csv {
        return Ok(Json(Etat {
            as_of,
            known_at,
            envelopes,
        })
        .into_response());
    }
    let mut csv = Csv::new();
    csv.record([
        "envelope_id",
        "programme_id",
        "funder",
        "kind",
        "label",
        "vote_reference",
        "section",
        "chapitre",
        "nature",
        "fonction",
        "voted_initially_cents",
        "revisions_cents",
        "voted_cents",
        "committed_cents",
        "paid_to_date_cents",
        "cancelled_cents",
        "available_cents",
        "remaining_to_pay_cents",
        "cp_schedule",
    ])?;
    for r in &envelopes {
        let schedule = r
            .cp_schedule
            .iter()
            .map(|y| format!("{}={}/{}", y.fiscal_year, y.scheduled_cents, y.paid_cents))
            .collect::<Vec<_>>()
            .join(";");
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        csv.record([
            r.envelope_id.clone(),
            r.programme_id.clone(),
            text(&r.funder),
            r.kind.clone(),
            r.label.clone(),
            r.vote_reference.clone(),
            text(&r.section),
            text(&r.chapitre),
            text(&r.nature),
            text(&r.fonction),
            r.voted_initially_cents.to_string(),
            r.revisions_cents.to_string(),
            r.voted_cents.to_string(),
            r.committed_cents.to_string(),
            r.paid_to_date_cents.to_string(),
            r.cancelled_cents.to_string(),
            r.available_cents.to_string(),
            r.remaining_to_pay_cents.to_string(),
            schedule,
        ])?;
    }
    csv.into_response("etat-ap-ae.csv")
}
