//! Targets and the programme's progress towards them at a date, as known
//! at a moment; and the indicators programmes observe.
//!
//! A count reaches its value by its deadline. A yearly flow is measured
//! each year as what the metric grew by over the year (its value at 31
//! December, or at the date asked in the current year, less its value at
//! the previous 31 December), against the step in force that year. A ratio
//! is the metric divided by its denominator, in basis points, rounded half
//! up.

use serde::Serialize;
use sqlx::PgPool;
use time::{Date, Month};

use super::{day, At};
use crate::ReadModelError;

/// One year of a yearly flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TargetYear {
    pub year: i32,
    /// The step in force that year.
    pub target: i64,
    /// What the metric grew by in the year (to the date, in the current
    /// year).
    pub actual: i64,
    pub reached: bool,
}

/// An observation of an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct IndicatorRow {
    /// The event that recorded the observation.
    pub event_id: String,
    pub programme_id: String,
    pub indicator_id: String,
    pub target_id: Option<String>,
    pub description: String,
    pub value: i64,
    /// `INDICATOR_UNIT_COUNT`, `INDICATOR_UNIT_BASIS_POINTS` (5600 is 56 %)
    /// or `INDICATOR_UNIT_CENTS`.
    pub unit: String,
    pub observed_on: String,
    pub source: String,
}

/// A target and how far the programme has come at the date.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TargetProgress {
    pub programme_id: String,
    pub target_id: String,
    pub metric: String,
    /// `TARGET_SHAPE_COUNT_BY_DEADLINE`, `TARGET_SHAPE_FLOW_PER_YEAR` or
    /// `TARGET_SHAPE_RATIO`.
    pub shape: String,
    pub description: String,
    /// The value to reach: a count; for a yearly flow, the sum of the
    /// years' steps up to the date; for a ratio, basis points.
    pub target: i64,
    pub deadline: String,
    pub as_of: String,
    /// The metric at the date; for a yearly flow, the years' growth summed;
    /// for a ratio, basis points.
    pub actual: i64,
    /// actual ÷ target, for display; the figures above are exact.
    pub progress: f64,
    pub reached: bool,
    /// The professions counted; empty for all.
    pub professions: Vec<String>,
    /// For a ratio: the metric divided by.
    pub denominator: Option<String>,
    /// For a ratio: the two counts at the date.
    pub numerator_value: Option<i64>,
    pub denominator_value: Option<i64>,
    /// For a yearly flow: each year from the first step's to the date's
    /// (at most the deadline's).
    pub years: Vec<TargetYear>,
    /// The latest observation, by the date, of each indicator recorded for
    /// this target or for its whole programme.
    pub indicators: Vec<IndicatorRow>,
}

/// How each metric is counted, for one programme ($1) at a date ($2), as
/// known at a moment ($3), counting only the professions in $4 (NULL for
/// all) where the metric counts people. Documented in docs/api.md.
fn metric_sql(metric: &str) -> Option<&'static str> {
    Some(match metric {
        "TARGET_METRIC_MSP_OPEN" => {
            "SELECT count(*) FROM centres c
             WHERE c.programme_id = $1 AND c.kind = 'CENTRE_KIND_MSP'
               AND c.opened_on <= $2 AND ($3::timestamptz IS NULL OR c.recorded_at <= $3)
               AND NOT (c.closed_on IS NOT NULL AND c.closed_on <= $2
                        AND ($3::timestamptz IS NULL OR c.closed_recorded_at <= $3))"
        }
        "TARGET_METRIC_CENTRES_OPEN" => {
            "SELECT count(*) FROM centres c
             WHERE c.programme_id = $1
               AND c.opened_on <= $2 AND ($3::timestamptz IS NULL OR c.recorded_at <= $3)
               AND NOT (c.closed_on IS NOT NULL AND c.closed_on <= $2
                        AND ($3::timestamptz IS NULL OR c.closed_recorded_at <= $3))"
        }
        "TARGET_METRIC_SALARIED_DOCTORS" => {
            "SELECT count(*) FROM employments e
             LEFT JOIN posts po ON po.post_id = e.post_id
             LEFT JOIN centres c ON c.centre_id = e.centre_id
             WHERE (po.programme_id = $1 OR c.programme_id = $1)
               AND e.profession IN ('PROFESSION_GENERAL_PRACTITIONER', 'PROFESSION_SPECIALIST')
               AND ($4::text[] IS NULL OR e.profession = ANY($4))
               AND e.start_date <= $2 AND ($3::timestamptz IS NULL OR e.recorded_at <= $3)
               AND NOT (e.end_date IS NOT NULL AND e.end_date < $2
                        AND ($3::timestamptz IS NULL OR e.end_recorded_at <= $3))"
        }
        "TARGET_METRIC_PROFESSIONALS_HOSTED" => {
            "SELECT (SELECT count(*) FROM employments e JOIN centres c ON c.centre_id = e.centre_id
                     WHERE c.programme_id = $1
                       AND ($4::text[] IS NULL OR e.profession = ANY($4))
                       AND e.start_date <= $2 AND ($3::timestamptz IS NULL OR e.recorded_at <= $3)
                       AND NOT (e.end_date IS NOT NULL AND e.end_date < $2
                                AND ($3::timestamptz IS NULL OR e.end_recorded_at <= $3)))
                  + (SELECT count(*) FROM installations i JOIN centres c ON c.centre_id = i.centre_id
                     WHERE c.programme_id = $1
                       AND ($4::text[] IS NULL OR i.profession = ANY($4))
                       AND i.installed_on <= $2 AND ($3::timestamptz IS NULL OR i.recorded_at <= $3))"
        }
        "TARGET_METRIC_PROFESSIONALS_TRAINED" => {
            "SELECT count(*) FROM grants g JOIN envelopes v ON v.envelope_id = g.envelope_id
             WHERE v.programme_id = $1
               AND g.kind IN ('GRANT_KIND_BURSARY', 'GRANT_KIND_ALLOWANCE')
               AND g.effective_date <= $2 AND ($3::timestamptz IS NULL OR g.recorded_at <= $3)"
        }
        "TARGET_METRIC_PROFESSIONALS_RECRUITED" => {
            "SELECT count(*) FROM employments e
             LEFT JOIN posts po ON po.post_id = e.post_id
             LEFT JOIN centres c ON c.centre_id = e.centre_id
             WHERE (po.programme_id = $1 OR c.programme_id = $1)
               AND ($4::text[] IS NULL OR e.profession = ANY($4))
               AND e.start_date <= $2 AND ($3::timestamptz IS NULL OR e.recorded_at <= $3)"
        }
        "TARGET_METRIC_PATIENTS_SEEN" => {
            "SELECT COALESCE(SUM(latest), 0) FROM (
               SELECT (SELECT a.patients_to_date FROM centre_activity a
                       WHERE a.centre_id = c.centre_id AND a.month <= $2
                         AND ($3::timestamptz IS NULL OR a.recorded_at <= $3)
                       ORDER BY a.month DESC, a.recorded_at DESC LIMIT 1) AS latest
               FROM centres c WHERE c.programme_id = $1) t"
        }
        "TARGET_METRIC_GROUPING_MEMBERS" => {
            "SELECT count(*) FROM members m JOIN programmes p ON p.funder_code = m.grouping_id
             WHERE p.programme_id = $1
               AND m.joined_on <= $2 AND ($3::timestamptz IS NULL OR m.recorded_at <= $3)"
        }
        _ => return None,
    })
}

/// The metric for one programme at a date, counting `professions` (none:
/// all).
async fn measure(
    pool: &PgPool,
    metric: &str,
    programme_id: &str,
    on: Date,
    at: At,
    professions: Option<&[String]>,
) -> Result<i64, ReadModelError> {
    let Some(sql) = metric_sql(metric) else {
        return Ok(0);
    };
    // The CTE gives $4 its type where the metric does not read it.
    let value: Option<i64> = sqlx::query_scalar(&format!(
        "WITH asked AS (SELECT $4::text[] AS professions) SELECT ({sql})::bigint"
    ))
    .bind(programme_id)
    .bind(on)
    .bind(at.known_at)
    .bind(professions)
    .fetch_optional(pool)
    .await?
    .flatten();
    Ok(value.unwrap_or(0))
}

#[derive(sqlx::FromRow)]
struct Stored {
    programme_id: String,
    target_id: String,
    metric: String,
    shape: String,
    description: String,
    value: i64,
    deadline: Date,
    steps: sqlx::types::Json<Vec<Step>>,
    denominator: Option<String>,
    professions: Option<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct Step {
    from_year: i32,
    per_year: i64,
}

fn year_end(year: i32) -> Option<Date> {
    Date::from_calendar_date(year, Month::December, 31).ok()
}

/// `part / whole` in basis points, rounded half up (0 without a whole).
fn basis_points(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    let (part, whole) = (i128::from(part), i128::from(whole));
    i64::try_from((2 * part * 10_000 + whole) / (2 * whole)).unwrap_or(i64::MAX)
}

pub async fn targets(
    pool: &PgPool,
    programme_id: Option<&str>,
    at: At,
) -> Result<Vec<TargetProgress>, ReadModelError> {
    let rows: Vec<Stored> = sqlx::query_as(
        "SELECT programme_id, target_id, metric, shape, description, value, deadline, steps,
                denominator, professions
         FROM targets
         WHERE ($1::text IS NULL OR programme_id = $1) AND ($2::timestamptz IS NULL OR recorded_at <= $2)
         ORDER BY programme_id, deadline, target_id",
    )
    .bind(programme_id)
    .bind(at.known_at)
    .fetch_all(pool)
    .await?;
    let on = day(at);
    let observed = indicators(pool, programme_id, at).await?;
    let mut progress = Vec::with_capacity(rows.len());
    for t in rows {
        let professions = t.professions.as_deref();
        let measure_on =
            |day: Date| measure(pool, &t.metric, &t.programme_id, day, at, professions);
        let (mut numerator_value, mut denominator_value) = (None, None);
        let mut years = Vec::new();
        let (target, actual) = match t.shape.as_str() {
            "TARGET_SHAPE_FLOW_PER_YEAR" => {
                let first = t.steps.0.first().map_or(on.year(), |s| s.from_year);
                let last = t.deadline.year().min(on.year());
                for year in first..=last {
                    let step = t
                        .steps
                        .0
                        .iter()
                        .rev()
                        .find(|s| s.from_year <= year)
                        .map_or(0, |s| s.per_year);
                    let (Some(start), Some(end)) = (year_end(year - 1), year_end(year)) else {
                        continue;
                    };
                    let grew = measure_on(end.min(on)).await? - measure_on(start).await?;
                    years.push(TargetYear {
                        year,
                        target: step,
                        actual: grew,
                        reached: grew >= step,
                    });
                }
                (
                    years.iter().map(|y| y.target).sum(),
                    years.iter().map(|y| y.actual).sum(),
                )
            }
            "TARGET_SHAPE_RATIO" => {
                let numerator = measure_on(on).await?;
                let denominator = match &t.denominator {
                    // Professions narrow what is counted, not what it is
                    // counted among.
                    Some(metric) => measure(pool, metric, &t.programme_id, on, at, None).await?,
                    None => 0,
                };
                numerator_value = Some(numerator);
                denominator_value = Some(denominator);
                (t.value, basis_points(numerator, denominator))
            }
            _ => (t.value, measure_on(on).await?),
        };
        let mut latest: Vec<IndicatorRow> = observed
            .iter()
            .filter(|i| {
                i.programme_id == t.programme_id
                    && i.target_id.as_ref().is_none_or(|id| *id == t.target_id)
            })
            .cloned()
            .collect();
        // The last observation of each indicator (they come in date order).
        latest.reverse();
        latest.dedup_by(|a, b| a.indicator_id == b.indicator_id);
        latest.reverse();
        // A flow none of whose years has come yet is not reached.
        let not_begun = t.shape == "TARGET_SHAPE_FLOW_PER_YEAR" && years.is_empty();
        progress.push(TargetProgress {
            programme_id: t.programme_id,
            target_id: t.target_id,
            metric: t.metric,
            shape: t.shape,
            description: t.description,
            target,
            deadline: t.deadline.to_string(),
            as_of: on.to_string(),
            actual,
            progress: if target > 0 {
                actual as f64 / target as f64
            } else {
                0.0
            },
            reached: actual >= target && !not_begun,
            professions: t.professions.unwrap_or_default(),
            denominator: t.denominator,
            numerator_value,
            denominator_value,
            years,
            indicators: latest,
        });
    }
    Ok(progress)
}

/// Every observation of the programmes' indicators by the date, as known
/// at the moment, by indicator and date.
pub async fn indicators(
    pool: &PgPool,
    programme_id: Option<&str>,
    at: At,
) -> Result<Vec<IndicatorRow>, ReadModelError> {
    Ok(sqlx::query_as(
        "SELECT event_id::text AS event_id, programme_id, indicator_id, target_id, description, value, unit,
                to_char(observed_on, 'YYYY-MM-DD') AS observed_on, source
         FROM indicators
         WHERE ($1::text IS NULL OR programme_id = $1) AND observed_on <= $2
           AND ($3::timestamptz IS NULL OR recorded_at <= $3)
         ORDER BY programme_id, indicator_id, observed_on, recorded_at, event_id",
    )
    .bind(programme_id)
    .bind(day(at))
    .bind(at.known_at)
    .fetch_all(pool)
    .await?)
}
