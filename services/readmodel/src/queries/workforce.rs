//! Salaried posts and headcounts at any date.

use serde::Serialize;
use sqlx::PgPool;

use super::{day, At, DATE};
use crate::ReadModelError;

/// The dimension headcounts are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadcountGroup {
    Centre,
    Departement,
    Region,
    Profession,
}

impl HeadcountGroup {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "centre" => Self::Centre,
            "departement" => Self::Departement,
            "region" => Self::Region,
            "profession" => Self::Profession,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            Self::Centre => "e.centre_id",
            Self::Departement => "COALESCE(c.departement_code, '')",
            Self::Region => "COALESCE(c.region_code, '')",
            Self::Profession => "e.profession",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct HeadcountFilter {
    pub centre_id: Option<String>,
    pub programme_id: Option<String>,
    pub departement_code: Option<String>,
    pub region_code: Option<String>,
    pub profession: Option<String>,
    pub group_by: Option<HeadcountGroup>,
    pub at: At,
}

/// People employed at the date, and their full-time equivalent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Headcount {
    pub key: String,
    pub headcount: i64,
    /// FTE in thousandths (1000 = one full-time post).
    pub fte_milli: i64,
}

/// An employment counts from its first working day through its last.
pub async fn headcounts(
    pool: &PgPool,
    filter: &HeadcountFilter,
) -> Result<Vec<Headcount>, ReadModelError> {
    let key = filter.group_by.map_or("'all'", HeadcountGroup::column);
    let sql = format!(
        "SELECT {key} AS key, count(*) AS headcount, COALESCE(SUM(e.fte_milli), 0)::bigint AS fte_milli
         FROM employments e LEFT JOIN centres c ON c.centre_id = e.centre_id
         WHERE e.start_date <= $1 AND ($2::timestamptz IS NULL OR e.recorded_at <= $2)
           AND NOT (e.end_date IS NOT NULL AND e.end_date < $1
                    AND ($2::timestamptz IS NULL OR e.end_recorded_at <= $2))
           AND ($3::text IS NULL OR e.centre_id = $3)
           AND ($4::text IS NULL OR c.programme_id = $4)
           AND ($5::text IS NULL OR c.departement_code = $5)
           AND ($6::text IS NULL OR c.region_code = $6)
           AND ($7::text IS NULL OR e.profession = $7)
         GROUP BY 1 ORDER BY 1"
    );
    Ok(sqlx::query_as::<_, Headcount>(&sql)
        .bind(day(filter.at))
        .bind(filter.at.known_at)
        .bind(&filter.centre_id)
        .bind(&filter.programme_id)
        .bind(&filter.departement_code)
        .bind(&filter.region_code)
        .bind(&filter.profession)
        .fetch_all(pool)
        .await?)
}

/// A salaried post at the date: open or closed, filled or vacant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PostRow {
    pub post_id: String,
    pub programme_id: String,
    pub centre_id: String,
    pub profession: String,
    pub fte_milli: i32,
    pub opened_on: String,
    pub closed_on: Option<String>,
    pub open: bool,
    pub filled: bool,
}

pub async fn posts(
    pool: &PgPool,
    programme_id: Option<&str>,
    centre_id: Option<&str>,
    at: At,
) -> Result<Vec<PostRow>, ReadModelError> {
    let sql = format!(
        "SELECT p.post_id, p.programme_id, p.centre_id, p.profession, p.fte_milli,
                to_char(p.opened_on, {DATE}) AS opened_on,
                CASE WHEN p.closed_on <= $1 AND ($2::timestamptz IS NULL OR p.closed_recorded_at <= $2)
                     THEN to_char(p.closed_on, {DATE}) END AS closed_on,
                NOT (p.closed_on IS NOT NULL AND p.closed_on <= $1
                     AND ($2::timestamptz IS NULL OR p.closed_recorded_at <= $2)) AS open,
                EXISTS (SELECT 1 FROM employments e WHERE e.post_id = p.post_id
                          AND e.start_date <= $1 AND ($2::timestamptz IS NULL OR e.recorded_at <= $2)
                          AND NOT (e.end_date IS NOT NULL AND e.end_date < $1
                                   AND ($2::timestamptz IS NULL OR e.end_recorded_at <= $2))) AS filled
         FROM posts p
         WHERE p.opened_on <= $1 AND ($2::timestamptz IS NULL OR p.recorded_at <= $2)
           AND ($3::text IS NULL OR p.programme_id = $3)
           AND ($4::text IS NULL OR p.centre_id = $4)
         ORDER BY p.post_id"
    );
    Ok(sqlx::query_as::<_, PostRow>(&sql)
        .bind(day(at))
        .bind(at.known_at)
        .bind(programme_id)
        .bind(centre_id)
        .fetch_all(pool)
        .await?)
}
