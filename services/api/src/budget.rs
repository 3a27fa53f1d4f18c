//! Balances, the journal behind them, and single events.

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    response::{IntoResponse, Response},
    Json,
};
use ledger_http::ApiError;
use ledger_readmodel::queries::{
    self, At, Balance, BalanceFilter, EnvelopeBalance, EventRecord, GroupBy, JournalFilter, Posting,
};
use serde::{Deserialize, Serialize};

use crate::{
    params,
    routes::{query, unavailable, AppState},
    wait::{Read, ReadParams},
};

/// Filters shared by balances and the journal.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BudgetParams {
    pub envelope_id: Option<String>,
    pub programme_id: Option<String>,
    /// Funder, as kind and code: `region:24`, `departement:24`,
    /// `grouping:<code>` or `national`.
    #[param(pattern = r"^(national|(region|departement|grouping|national):[^\x00]+)$")]
    pub funder: Option<String>,
    /// Région code (INSEE, 2 digits) where the money goes.
    pub region: Option<String>,
    /// Département code (INSEE) where the money goes.
    pub departement: Option<String>,
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub fiscal_year: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupParams {
    /// One of envelope, programme, funder, region, departement, fiscal_year,
    /// month (`YYYY-MM`, flows of the month and stocks at its end, every
    /// month from the first line's through `as_of`); without it, one balance
    /// over everything selected.
    #[param(pattern = r"^(envelope|programme|funder|region|departement|fiscal_year|month)$")]
    pub group_by: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Balances {
    pub group_by: Option<String>,
    pub as_of: Option<String>,
    pub known_at: Option<String>,
    pub balances: Vec<BalanceRow>,
}

/// A balance and, for each of its figures, the journal lines behind it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BalanceRow {
    #[serde(flatten)]
    pub balance: Balance,
    /// Figure name → the `/v1/journal` query listing the lines it sums (same
    /// scope, row and dates). With a fiscal year, the flows only: a stock
    /// sums the years before it too. Empty for `group_by=month`.
    pub journal: std::collections::BTreeMap<&'static str, String>,
}

/// The journal parameter a grouping's key filters by (none for months: the
/// journal is not filtered by month).
fn key_parameter(group_by: Option<GroupBy>) -> Option<Option<&'static str>> {
    match group_by {
        None => Some(None),
        Some(GroupBy::Envelope) => Some(Some("envelope_id")),
        Some(GroupBy::Programme) => Some(Some("programme_id")),
        Some(GroupBy::Funder) => Some(Some("funder")),
        Some(GroupBy::Region) => Some(Some("region")),
        Some(GroupBy::Departement) => Some(Some("departement")),
        Some(GroupBy::FiscalYear) => Some(Some("fiscal_year")),
        Some(GroupBy::Month) => None,
    }
}

/// The journal queries behind each figure of a row.
fn journal_links(
    b: &BudgetParams,
    read: (&Option<String>, &Option<String>),
    group_by: Option<GroupBy>,
    key: &str,
) -> std::collections::BTreeMap<&'static str, String> {
    let Some(key_parameter) = key_parameter(group_by) else {
        return Default::default();
    };
    // A row of lines without a région or département has an empty key: no
    // filter can select just those.
    if key_parameter.is_some() && key.is_empty() {
        return Default::default();
    }
    let mut scope: Vec<(&str, &str)> = [
        ("envelope_id", &b.envelope_id),
        ("programme_id", &b.programme_id),
        ("funder", &b.funder),
        ("region", &b.region),
        ("departement", &b.departement),
        ("fiscal_year", &b.fiscal_year),
        ("as_of", read.0),
        ("known_at", read.1),
    ]
    .into_iter()
    .filter(|(name, _)| Some(*name) != key_parameter)
    .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
    .collect();
    if let Some(name) = key_parameter {
        scope.push((name, key));
    }
    let yearly = scope.iter().any(|(name, _)| *name == "fiscal_year");
    ledger_readmodel::journal::FIGURE_ACCOUNTS
        .iter()
        .filter(|(figure, _)| !(yearly && ledger_readmodel::journal::is_stock(figure)))
        .map(|(figure, accounts)| {
            let accounts = accounts.join(",");
            let mut query = scope.clone();
            query.push(("account", &accounts));
            let query = serde_urlencoded::to_string(&query).unwrap_or_default();
            (*figure, format!("/v1/journal?{query}"))
        })
        .collect()
}

fn balance_filter(b: &BudgetParams, at: At) -> Result<BalanceFilter, ApiError> {
    Ok(BalanceFilter {
        envelope_id: b.envelope_id.clone(),
        programme_id: b.programme_id.clone(),
        funder: params::funder("funder", &b.funder)?,
        region_code: b.region.clone(),
        departement_code: b.departement.clone(),
        fiscal_year: params::year("fiscal_year", &b.fiscal_year)?,
        at,
        group_by: None,
    })
}

/// Balances (voted, committed, available, paid, remaining to pay,
/// recoveries, loans, guarantee exposure), each the sum of its journal
/// lines, grouped by one dimension.
#[utoipa::path(get, path = "/v1/balances", tag = "budget",
    params(BudgetParams, GroupParams, ReadParams),
    responses((status = 200, body = Balances), (status = 400, description = "invalid_parameter"),
              (status = 503, description = "projection_lagging")))]
pub async fn balances(
    State(state): State<AppState>,
    b: Result<Query<BudgetParams>, QueryRejection>,
    g: Result<Query<GroupParams>, QueryRejection>,
    read: Read,
) -> Result<Json<Balances>, ApiError> {
    let (b, g) = (query(b)?, query(g)?);
    let group_by = params::choice(
        "group_by",
        &g.group_by,
        GroupBy::parse,
        "envelope, programme, funder, region, departement, fiscal_year, month",
    )?;
    let (as_of, known_at) = (read.as_of.clone(), read.known_at.clone());
    let mut filter = balance_filter(&b, read.ready(&state).await?)?;
    filter.group_by = group_by;
    let balances = queries::balances(&state.pool, &filter)
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(|balance| BalanceRow {
            journal: journal_links(&b, (&as_of, &known_at), group_by, &balance.key),
            balance,
        })
        .collect();
    Ok(Json(Balances {
        group_by: g.group_by,
        as_of,
        known_at,
        balances,
    }))
}

/// One envelope and its balance.
#[utoipa::path(get, path = "/v1/envelopes/{envelope_id}/balance", tag = "budget",
    params(("envelope_id" = String, Path), ReadParams),
    responses((status = 200, body = EnvelopeBalance), (status = 404, description = "not_found"),
              (status = 503, description = "projection_lagging")))]
pub async fn envelope_balance(
    State(state): State<AppState>,
    Path(envelope_id): Path<String>,
    read: Read,
) -> Result<Json<EnvelopeBalance>, ApiError> {
    let at = read.ready(&state).await?;
    queries::envelope_balance(&state.pool, &envelope_id, at)
        .await
        .map_err(unavailable)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("envelope {envelope_id} is not in the ledger")))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JournalParams {
    /// The grant, loan or guarantee the lines are about.
    pub subject_id: Option<String>,
    /// One account of the chart (docs/api.md), or several separated by
    /// commas: the lines of any of them.
    pub account: Option<String>,
    /// Cursor: `next` of the previous page.
    #[param(value_type = Option<i64>)]
    pub after: Option<String>,
    /// Lines per page (default 100, at most 1000; CSV exports ignore it).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// `json` (default) or `csv` (every matching line, for the finance system).
    #[param(pattern = r"^(json|csv)$")]
    pub format: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JournalPage {
    pub postings: Vec<Posting>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// The journal lines behind a balance, each with its event and the event's
/// Kafka coordinates, in posting order; JSON pages or a CSV export.
#[utoipa::path(get, path = "/v1/journal", tag = "budget",
    params(BudgetParams, JournalParams, ReadParams),
    responses((status = 200, description = "a page of lines, or with `format=csv` every matching line",
               content((JournalPage = "application/json"), (String = "text/csv")))))]
pub async fn journal(
    State(state): State<AppState>,
    b: Result<Query<BudgetParams>, QueryRejection>,
    j: Result<Query<JournalParams>, QueryRejection>,
    read: Read,
) -> Result<Response, ApiError> {
    let (b, j) = (query(b)?, query(j)?);
    let csv = params::csv_format(&j.format)?;
    let after = j
        .after
        .as_deref()
        .map(|a| {
            a.parse::<i64>().map_err(|_| {
                ApiError::bad_request("invalid_parameter", "after must be the `next` of a page")
            })
        })
        .transpose()?;
    let limit = params::limit(&j.limit)?;
    let mut filter = JournalFilter {
        scope: balance_filter(&b, read.ready(&state).await?)?,
        subject_id: j.subject_id,
        account: j
            .account
            .map(|a| a.split(',').map(|a| a.trim().to_owned()).collect()),
        after,
        limit,
    };
    if csv {
        return csv_export(&state, filter).await;
    }
    let postings = queries::journal(&state.pool, &filter)
        .await
        .map_err(unavailable)?;
    let next = (postings.len() as i64 == filter.limit)
        .then(|| postings.last().map(|p| p.posting_seq.to_string()))
        .flatten();
    filter.after = None;
    Ok(Json(JournalPage { postings, next }).into_response())
}

/// Where a streamed export stands: a page read and not yet written, or a
/// failure to report once what came before is sent.
enum Export {
    Page {
        rows: Vec<Posting>,
        filter: Box<JournalFilter>,
        first: bool,
    },
    Failed(std::io::Error),
}

/// Every matching line as CSV, streamed a page of 1,000 lines at a time:
/// memory holds one page, whatever the journal's size. The first page is
/// read before answering, so an unreachable database is a 503; a failure
/// later cuts the transfer (the chunked body never ends cleanly), so a
/// client never takes a short file for a whole one.
async fn csv_export(state: &AppState, mut filter: JournalFilter) -> Result<Response, ApiError> {
    filter.limit = ledger_readmodel::queries::MAX_LIMIT;
    let rows = queries::journal(&state.pool, &filter)
        .await
        .map_err(unavailable)?;
    let pool = state.pool.clone();
    let start = Export::Page {
        rows,
        filter: Box::new(filter),
        first: true,
    };
    let body = futures::stream::unfold(Some(start), move |state| {
        let pool = pool.clone();
        async move {
            let (rows, mut filter, first) = match state? {
                Export::Page {
                    rows,
                    filter,
                    first,
                } => (rows, filter, first),
                Export::Failed(err) => return Some((Err(err), None)),
            };
            let bytes = match crate::export::rows(&rows, first) {
                Ok(bytes) => bytes,
                Err(err) => return Some((Err(err), None)),
            };
            let next = match rows.last() {
                Some(last) if rows.len() as i64 == filter.limit => {
                    filter.after = Some(last.posting_seq);
                    Some(match queries::journal(&pool, &filter).await {
                        Ok(rows) => Export::Page {
                            rows,
                            filter,
                            first: false,
                        },
                        Err(err) => {
                            tracing::error!(error = %err, "journal export cut: the read model failed");
                            Export::Failed(std::io::Error::other(err.to_string()))
                        }
                    })
                }
                _ => None,
            };
            Some((Ok(bytes), next))
        }
    });
    Ok(crate::export::download(
        "journal.csv",
        axum::body::Body::from_stream(body),
    ))
}

/// One event: its Kafka coordinates, stream, hash chain links and content.
#[utoipa::path(get, path = "/v1/events/{event_id}", tag = "audit",
    params(("event_id" = uuid::Uuid, Path, description = "UUID")),
    responses((status = 200, body = EventRecord), (status = 400, description = "invalid_parameter"),
              (status = 404, description = "not_found")))]
pub async fn event(
    State(state): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<Json<EventRecord>, ApiError> {
    let id = uuid::Uuid::parse_str(&event_id).map_err(|_| {
        ApiError::bad_request(
            "invalid_parameter",
            format!("{event_id:?} is not an event id (UUID)"),
        )
    })?;
    queries::event(&state.pool, id)
        .await
        .map_err(unavailable)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("event {event_id} is not in the read model")))
}
