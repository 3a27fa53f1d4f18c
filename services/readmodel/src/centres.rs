//! The centres views: centres with their opening and closing dates, monthly
//! activity, and the members of groupings with their college.

use ledger_proto::v1::event_envelope::Payload;

use crate::{
    budget::one,
    project::{date, inapplicable, nonempty, ConsumedEvent, Meta, Tx},
    ReadModelError,
};

pub(crate) async fn apply(
    tx: &mut Tx<'_>,
    consumed: &ConsumedEvent,
    meta: &Meta,
    payload: &Payload,
) -> Result<(), ReadModelError> {
    match payload {
        Payload::CentreOpened(e) => {
            let t = e.territory.clone().unwrap_or_default();
            let operator = e
                .operator
                .as_ref()
                .map(|o| format!("siret:{}", o.siret))
                .unwrap_or_default();
            let insert = sqlx::query(
                "INSERT INTO centres (centre_id, kind, finess, name, region_code, departement_code, commune_code,
                                      operator, programme_id, opened_on, recorded_at, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&e.centre_id)
            .bind(e.kind().as_str_name())
            .bind(&e.finess)
            .bind(&e.name)
            .bind(nonempty(&t.region_code))
            .bind(nonempty(&t.departement_code))
            .bind(nonempty(&t.commune_code))
            .bind(operator)
            .bind(&e.programme_id)
            .bind(date(consumed, &e.opened_on)?)
            .bind(meta.recorded_at)
            .bind(meta.event_id);
            one(tx, consumed, "centre", insert).await
        }
        Payload::CentreClosed(e) => {
            let update = sqlx::query(
                "UPDATE centres SET closed_on = $2, closed_recorded_at = $3 WHERE centre_id = $1 AND closed_on IS NULL",
            )
            .bind(&e.centre_id)
            .bind(date(consumed, &e.closed_on)?)
            .bind(meta.recorded_at);
            one(
                tx,
                consumed,
                &format!("open centre {}", e.centre_id),
                update,
            )
            .await
        }
        Payload::ActivityReported(e) => {
            let month = ledger_domain::dates::parse_month_end("month", &e.month)
                .map_err(|err| inapplicable(consumed, err.to_string()))?;
            let insert = sqlx::query(
                "INSERT INTO centre_activity (centre_id, month, patients_seen, consultations, patients_to_date, recorded_at, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&e.centre_id)
            .bind(month)
            .bind(e.patients_seen as i32)
            .bind(e.consultations as i32)
            .bind(e.patients_to_date as i32)
            .bind(meta.recorded_at)
            .bind(meta.event_id);
            one(tx, consumed, "activity report", insert).await
        }
        Payload::MemberJoined(e) => {
            let name = e
                .member
                .as_ref()
                .map(|m| m.name.clone())
                .unwrap_or_default();
            let insert = sqlx::query(
                "INSERT INTO members (grouping_id, member_id, name, college, joined_on, recorded_at, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&e.grouping_id)
            .bind(&e.member_id)
            .bind(name)
            .bind(&e.college)
            .bind(date(consumed, &e.joined_on)?)
            .bind(meta.recorded_at)
            .bind(meta.event_id);
            one(tx, consumed, "member", insert).await
        }
        other => Err(inapplicable(
            consumed,
            format!(
                "{} is not an event of the centres context",
                other.type_name()
            ),
        )),
    }
}
