//! Grants, loans, guarantees, obligations, centres, groupings, posts,
//! headcounts and targets, each at a date as known at a moment.

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    Json,
};
use ledger_http::ApiError;
use ledger_readmodel::queries::{
    self, CentreFilter, CentreRow, GrantFilter, GrantRow, GuaranteeRow, Headcount, HeadcountFilter,
    HeadcountGroup, IndicatorRow, LoanDetail, LoanRow, MemberCount, ObligationFilter,
    ObligationRow, PostRow, ProgrammeRow, RecoveryRow, TargetProgress, Titres,
};
use serde::{Deserialize, Serialize};

use crate::{
    paging::{page, PageParams},
    params,
    routes::{query, unavailable, AppState},
    wait::{Read, ReadParams},
};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrantParams {
    pub envelope_id: Option<String>,
    /// A grant kind of the contract, e.g. GRANT_KIND_BURSARY.
    pub kind: Option<String>,
    pub departement: Option<String>,
    /// Cursor: `next` of the previous page.
    pub after: Option<String>,
    /// Rows per page (default 100, at most 1000).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GrantPage {
    pub grants: Vec<GrantRow>,
    pub next: Option<String>,
}

/// Grants awarded by the date, with their state and money from the journal.
#[utoipa::path(get, path = "/v1/grants", tag = "grants",
    params(GrantParams, ReadParams),
    responses((status = 200, body = GrantPage), (status = 400, description = "invalid_parameter")))]
pub async fn grants(
    State(state): State<AppState>,
    p: Result<Query<GrantParams>, QueryRejection>,
    read: Read,
) -> Result<Json<GrantPage>, ApiError> {
    let p = query(p)?;
    let filter = GrantFilter {
        envelope_id: p.envelope_id,
        kind: p.kind,
        departement_code: p.departement,
        at: read.ready(&state).await?,
        after: p.after,
        limit: params::limit(&p.limit)?,
    };
    let grants = queries::grants(&state.pool, &filter)
        .await
        .map_err(unavailable)?;
    let next = (grants.len() as i64 == filter.limit)
        .then(|| grants.last().map(|g| g.grant_id.clone()))
        .flatten();
    Ok(Json(GrantPage { grants, next }))
}

/// One grant.
#[utoipa::path(get, path = "/v1/grants/{grant_id}", tag = "grants",
    params(("grant_id" = String, Path), ReadParams),
    responses((status = 200, body = GrantRow), (status = 404, description = "not_found")))]
pub async fn grant(
    State(state): State<AppState>,
    Path(grant_id): Path<String>,
    read: Read,
) -> Result<Json<GrantRow>, ApiError> {
    let at = read.ready(&state).await?;
    queries::grant(&state.pool, &grant_id, at)
        .await
        .map_err(unavailable)?
        .map(Json)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "grant {grant_id} is not in the ledger at that date"
            ))
        })
}

/// A grant's titres de recette: ordered, reduced, received, waived, written
/// off, outstanding, and their repayment plans with arrears at the date.
#[utoipa::path(get, path = "/v1/grants/{grant_id}/recoveries", tag = "grants",
    params(("grant_id" = String, Path), ReadParams),
    responses((status = 200, body = [RecoveryRow]), (status = 404, description = "not_found")))]
pub async fn recoveries(
    State(state): State<AppState>,
    Path(grant_id): Path<String>,
    read: Read,
) -> Result<Json<Vec<RecoveryRow>>, ApiError> {
    let at = read.ready(&state).await?;
    if queries::grant(&state.pool, &grant_id, at)
        .await
        .map_err(unavailable)?
        .is_none()
    {
        return Err(ApiError::not_found(format!(
            "grant {grant_id} is not in the ledger at that date"
        )));
    }
    queries::recoveries(&state.pool, Titres::OfGrant(&grant_id), at)
        .await
        .map(Json)
        .map_err(unavailable)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnvelopeParams {
    pub envelope_id: Option<String>,
}

/// Loans granted by the date: repaid, written off, outstanding, due and in
/// arrears at the date.
#[utoipa::path(get, path = "/v1/loans", tag = "grants",
    params(EnvelopeParams, PageParams, ReadParams),
    responses((status = 200, body = LoanPage)))]
pub async fn loans(
    State(state): State<AppState>,
    p: Result<Query<EnvelopeParams>, QueryRejection>,
    paged: Result<Query<PageParams>, QueryRejection>,
    read: Read,
) -> Result<Json<LoanPage>, ApiError> {
    let (p, paged) = (query(p)?, query(paged)?);
    let at = read.ready(&state).await?;
    let rows = queries::loans(&state.pool, p.envelope_id.as_deref(), at)
        .await
        .map_err(unavailable)?;
    let (loans, next) = page(rows, &paged, |l| &l.loan_id)?;
    Ok(Json(LoanPage { loans, next }))
}

/// Loans, by id, a page at a time.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LoanPage {
    pub loans: Vec<LoanRow>,
    pub next: Option<String>,
}

/// One loan at the date: its figures, its repayment schedule with what
/// covers each instalment, and its repayments and write-off.
#[utoipa::path(get, path = "/v1/loans/{loan_id}", tag = "grants",
    params(("loan_id" = String, Path), ReadParams),
    responses((status = 200, body = LoanDetail), (status = 404, description = "not_found")))]
pub async fn loan(
    State(state): State<AppState>,
    Path(loan_id): Path<String>,
    read: Read,
) -> Result<Json<LoanDetail>, ApiError> {
    let at = read.ready(&state).await?;
    queries::loan(&state.pool, &loan_id, at)
        .await
        .map_err(unavailable)?
        .map(Json)
        .ok_or_else(|| {
            ApiError::not_found(format!("loan {loan_id} is not in the ledger at that date"))
        })
}

/// A called guarantee's claim on its borrower (titre `call`): ordered,
/// received, waived, written off, outstanding, its plan and arrears.
#[utoipa::path(get, path = "/v1/guarantees/{guarantee_id}/recoveries", tag = "grants",
    params(("guarantee_id" = String, Path), ReadParams),
    responses((status = 200, body = [RecoveryRow]), (status = 404, description = "not_found")))]
pub async fn guarantee_recoveries(
    State(state): State<AppState>,
    Path(guarantee_id): Path<String>,
    read: Read,
) -> Result<Json<Vec<RecoveryRow>>, ApiError> {
    let at = read.ready(&state).await?;
    let known = queries::guarantees(&state.pool, None, Some(&guarantee_id), at)
        .await
        .map_err(unavailable)?;
    if known.is_empty() {
        return Err(ApiError::not_found(format!(
            "guarantee {guarantee_id} is not in the ledger at that date"
        )));
    }
    queries::recoveries(&state.pool, Titres::OfGuarantee(&guarantee_id), at)
        .await
        .map(Json)
        .map_err(unavailable)
}

/// The register of loan guarantees: borrower, lender, principal, share,
/// what is still owed to the lender and the exposure at the date, calls
/// and their claims.
#[utoipa::path(get, path = "/v1/guarantees", tag = "grants",
    params(EnvelopeParams, PageParams, ReadParams),
    responses((status = 200, body = GuaranteePage)))]
pub async fn guarantees(
    State(state): State<AppState>,
    p: Result<Query<EnvelopeParams>, QueryRejection>,
    paged: Result<Query<PageParams>, QueryRejection>,
    read: Read,
) -> Result<Json<GuaranteePage>, ApiError> {
    let (p, paged) = (query(p)?, query(paged)?);
    let at = read.ready(&state).await?;
    let rows = queries::guarantees(&state.pool, p.envelope_id.as_deref(), None, at)
        .await
        .map_err(unavailable)?;
    let (guarantees, next) = page(rows, &paged, |g| &g.guarantee_id)?;
    Ok(Json(GuaranteePage { guarantees, next }))
}

/// The register of guarantees, by id, a page at a time.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GuaranteePage {
    pub guarantees: Vec<GuaranteeRow>,
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObligationParams {
    pub grant_id: Option<String>,
    /// open, fulfilled or breached (at the date asked).
    #[param(pattern = r"^(open|fulfilled|breached)$")]
    pub state: Option<String>,
    pub departement: Option<String>,
    /// Only open obligations whose term ends by this date (YYYY-MM-DD).
    #[param(format = Date)]
    pub due_before: Option<String>,
    /// Cursor: `next` of the previous page.
    pub after: Option<String>,
    /// Rows per page (default 100, at most 1000).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ObligationPage {
    pub obligations: Vec<ObligationRow>,
    pub next: Option<String>,
}

/// Obligations started by the date, open, fulfilled or breached.
#[utoipa::path(get, path = "/v1/obligations", tag = "obligations",
    params(ObligationParams, ReadParams),
    responses((status = 200, body = ObligationPage), (status = 400, description = "invalid_parameter")))]
pub async fn obligations(
    State(state): State<AppState>,
    p: Result<Query<ObligationParams>, QueryRejection>,
    read: Read,
) -> Result<Json<ObligationPage>, ApiError> {
    let p = query(p)?;
    let states = |s: &str| {
        ["open", "fulfilled", "breached"]
            .contains(&s)
            .then(|| s.to_owned())
    };
    let filter = ObligationFilter {
        grant_id: p.grant_id,
        state: params::choice("state", &p.state, states, "open, fulfilled, breached")?,
        departement_code: p.departement,
        due_before: params::date("due_before", &p.due_before)?,
        at: read.ready(&state).await?,
        after: p.after,
        limit: params::limit(&p.limit)?,
    };
    let obligations = queries::obligations(&state.pool, &filter)
        .await
        .map_err(unavailable)?;
    let next = (obligations.len() as i64 == filter.limit)
        .then(|| obligations.last().map(|o| o.obligation_id.clone()))
        .flatten();
    Ok(Json(ObligationPage { obligations, next }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CentreParams {
    pub programme_id: Option<String>,
    /// A centre kind of the contract, e.g. CENTRE_KIND_MSP.
    pub kind: Option<String>,
    pub region: Option<String>,
    pub departement: Option<String>,
    /// true: only centres open at the date; false: only closed ones.
    #[param(value_type = Option<bool>)]
    pub open: Option<String>,
}

/// Centres opened by the date, whether still open, and their activity.
#[utoipa::path(get, path = "/v1/centres", tag = "centres",
    params(CentreParams, PageParams, ReadParams),
    responses((status = 200, body = CentrePage)))]
pub async fn centres(
    State(state): State<AppState>,
    p: Result<Query<CentreParams>, QueryRejection>,
    paged: Result<Query<PageParams>, QueryRejection>,
    read: Read,
) -> Result<Json<CentrePage>, ApiError> {
    let (p, paged) = (query(p)?, query(paged)?);
    let filter = CentreFilter {
        programme_id: p.programme_id,
        kind: p.kind,
        region_code: p.region,
        departement_code: p.departement,
        open: params::flag("open", &p.open)?,
        at: read.ready(&state).await?,
    };
    let rows = queries::centres(&state.pool, &filter)
        .await
        .map_err(unavailable)?;
    let (centres, next) = page(rows, &paged, |c| &c.centre_id)?;
    Ok(Json(CentrePage { centres, next }))
}

/// Centres, by opening date then id, a page at a time.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CentrePage {
    pub centres: Vec<CentreRow>,
    pub next: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Members {
    pub grouping_id: String,
    pub members: i64,
    pub colleges: Vec<MemberCount>,
}

/// Members of a grouping (such as a GIP) at the date, by college.
#[utoipa::path(get, path = "/v1/groupings/{grouping_id}/members", tag = "centres",
    params(("grouping_id" = String, Path), ReadParams),
    responses((status = 200, body = Members)))]
pub async fn members(
    State(state): State<AppState>,
    Path(grouping_id): Path<String>,
    read: Read,
) -> Result<Json<Members>, ApiError> {
    let at = read.ready(&state).await?;
    let colleges = queries::members(&state.pool, &grouping_id, at)
        .await
        .map_err(unavailable)?;
    Ok(Json(Members {
        members: colleges.iter().map(|c| c.members).sum(),
        grouping_id,
        colleges,
    }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostParams {
    pub programme_id: Option<String>,
    pub centre_id: Option<String>,
}

/// Salaried posts opened by the date: open or closed, filled or vacant.
#[utoipa::path(get, path = "/v1/posts", tag = "workforce",
    params(PostParams, PageParams, ReadParams),
    responses((status = 200, body = PostPage)))]
pub async fn posts(
    State(state): State<AppState>,
    p: Result<Query<PostParams>, QueryRejection>,
    paged: Result<Query<PageParams>, QueryRejection>,
    read: Read,
) -> Result<Json<PostPage>, ApiError> {
    let (p, paged) = (query(p)?, query(paged)?);
    let at = read.ready(&state).await?;
    let rows = queries::posts(
        &state.pool,
        p.programme_id.as_deref(),
        p.centre_id.as_deref(),
        at,
    )
    .await
    .map_err(unavailable)?;
    let (posts, next) = page(rows, &paged, |p| &p.post_id)?;
    Ok(Json(PostPage { posts, next }))
}

/// Salaried posts, by id, a page at a time.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PostPage {
    pub posts: Vec<PostRow>,
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HeadcountParams {
    /// One of centre, departement, region, profession; without it, one total.
    #[param(pattern = r"^(centre|departement|region|profession)$")]
    pub group_by: Option<String>,
    pub centre_id: Option<String>,
    pub programme_id: Option<String>,
    pub departement: Option<String>,
    pub region: Option<String>,
    /// A profession of the contract, e.g. PROFESSION_GENERAL_PRACTITIONER.
    pub profession: Option<String>,
}

/// People employed at the date (count and FTE), grouped by one dimension.
#[utoipa::path(get, path = "/v1/headcounts", tag = "workforce",
    params(HeadcountParams, ReadParams),
    responses((status = 200, body = [Headcount]), (status = 400, description = "invalid_parameter")))]
pub async fn headcounts(
    State(state): State<AppState>,
    p: Result<Query<HeadcountParams>, QueryRejection>,
    read: Read,
) -> Result<Json<Vec<Headcount>>, ApiError> {
    let p = query(p)?;
    let filter = HeadcountFilter {
        centre_id: p.centre_id,
        programme_id: p.programme_id,
        departement_code: p.departement,
        region_code: p.region,
        profession: p.profession,
        group_by: params::choice(
            "group_by",
            &p.group_by,
            HeadcountGroup::parse,
            "centre, departement, region, profession",
        )?,
        at: read.ready(&state).await?,
    };
    queries::headcounts(&state.pool, &filter)
        .await
        .map(Json)
        .map_err(unavailable)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TargetParams {
    pub programme_id: Option<String>,
}

/// Every target with the programme's progress towards it at the date.
#[utoipa::path(get, path = "/v1/targets", tag = "programmes",
    params(TargetParams, ReadParams),
    responses((status = 200, body = [TargetProgress])))]
pub async fn targets(
    State(state): State<AppState>,
    p: Result<Query<TargetParams>, QueryRejection>,
    read: Read,
) -> Result<Json<Vec<TargetProgress>>, ApiError> {
    let p = query(p)?;
    let at = read.ready(&state).await?;
    queries::targets(&state.pool, p.programme_id.as_deref(), at)
        .await
        .map(Json)
        .map_err(unavailable)
}

/// The indicators the programmes observe: every observation by the date,
/// as known at the moment, with its source.
#[utoipa::path(get, path = "/v1/indicators", tag = "programmes",
    params(TargetParams, PageParams, ReadParams),
    responses((status = 200, body = IndicatorPage)))]
pub async fn indicators(
    State(state): State<AppState>,
    p: Result<Query<TargetParams>, QueryRejection>,
    paged: Result<Query<PageParams>, QueryRejection>,
    read: Read,
) -> Result<Json<IndicatorPage>, ApiError> {
    let (p, paged) = (query(p)?, query(paged)?);
    let at = read.ready(&state).await?;
    let rows = queries::indicators(&state.pool, p.programme_id.as_deref(), at)
        .await
        .map_err(unavailable)?;
    // Observations are keyed by the event that recorded them.
    let (indicators, next) = page(rows, &paged, |i| &i.event_id)?;
    Ok(Json(IndicatorPage { indicators, next }))
}

/// Observations by programme, indicator and day, a page at a time.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IndicatorPage {
    pub indicators: Vec<IndicatorRow>,
    pub next: Option<String>,
}

/// The programmes, their funders and envelopes opened by the date: what a
/// client names and picks (balances are keyed by these ids).
#[utoipa::path(get, path = "/v1/programmes", tag = "programmes",
    params(ReadParams),
    responses((status = 200, body = [ProgrammeRow]), (status = 400, description = "invalid_parameter")))]
pub async fn programmes(
    State(state): State<AppState>,
    read: Read,
) -> Result<Json<Vec<ProgrammeRow>>, ApiError> {
    let at = read.ready(&state).await?;
    queries::programmes(&state.pool, at)
        .await
        .map(Json)
        .map_err(unavailable)
}
