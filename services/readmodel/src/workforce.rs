//! The workforce views: salaried posts, employments (for headcounts at any
//! date) and installations of liberal professionals.

use ledger_proto::v1::{event_envelope::Payload, LegalEntity};

use crate::{
    budget::one,
    project::{date, inapplicable, nonempty, ConsumedEvent, Meta, Tx},
    ReadModelError,
};

fn entity(e: &Option<LegalEntity>) -> String {
    e.as_ref()
        .map(|e| format!("siret:{}", e.siret))
        .unwrap_or_default()
}

pub(crate) async fn apply(
    tx: &mut Tx<'_>,
    consumed: &ConsumedEvent,
    meta: &Meta,
    payload: &Payload,
) -> Result<(), ReadModelError> {
    match payload {
        Payload::PostOpened(e) => {
            let insert = sqlx::query(
                "INSERT INTO posts (post_id, programme_id, centre_id, employer, profession, fte_milli, opened_on, recorded_at, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&e.post_id)
            .bind(&e.programme_id)
            .bind(&e.centre_id)
            .bind(entity(&e.employer))
            .bind(e.profession().as_str_name())
            .bind(e.fte_milli as i32)
            .bind(date(consumed, &e.opened_on)?)
            .bind(meta.recorded_at)
            .bind(meta.event_id);
            one(tx, consumed, "post", insert).await
        }
        Payload::PostClosed(e) => {
            let update = sqlx::query(
                "UPDATE posts SET closed_on = $2, closed_recorded_at = $3 WHERE post_id = $1 AND closed_on IS NULL",
            )
            .bind(&e.post_id)
            .bind(date(consumed, &e.closed_on)?)
            .bind(meta.recorded_at);
            one(tx, consumed, &format!("open post {}", e.post_id), update).await
        }
        Payload::ProfessionalHired(e) => {
            let insert = sqlx::query(
                "INSERT INTO employments (employment_id, person_id, post_id, centre_id, employer, profession, fte_milli,
                                          start_date, recorded_at, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&e.employment_id)
            .bind(&e.person_id)
            .bind(nonempty(&e.post_id))
            .bind(&e.centre_id)
            .bind(entity(&e.employer))
            .bind(e.profession().as_str_name())
            .bind(e.fte_milli as i32)
            .bind(date(consumed, &e.start_date)?)
            .bind(meta.recorded_at)
            .bind(meta.event_id);
            one(tx, consumed, "employment", insert).await
        }
        Payload::ProfessionalLeft(e) => {
            let update = sqlx::query(
                "UPDATE employments SET end_date = $3, end_recorded_at = $4
                 WHERE person_id = $1 AND employment_id = $2 AND end_date IS NULL",
            )
            .bind(&e.person_id)
            .bind(&e.employment_id)
            .bind(date(consumed, &e.left_on)?)
            .bind(meta.recorded_at);
            one(
                tx,
                consumed,
                &format!("active employment {}", e.employment_id),
                update,
            )
            .await
        }
        Payload::ProfessionalInstalled(e) => {
            let t = e.territory.clone().unwrap_or_default();
            let insert = sqlx::query(
                "INSERT INTO installations (event_id, person_id, profession, region_code, departement_code, commune_code,
                                            centre_id, grant_id, installed_on, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(meta.event_id)
            .bind(&e.person_id)
            .bind(e.profession().as_str_name())
            .bind(nonempty(&t.region_code))
            .bind(nonempty(&t.departement_code))
            .bind(nonempty(&t.commune_code))
            .bind(nonempty(&e.centre_id))
            .bind(nonempty(&e.grant_id))
            .bind(date(consumed, &e.installed_on)?)
            .bind(meta.recorded_at);
            one(tx, consumed, "installation", insert).await
        }
        other => Err(inapplicable(
            consumed,
            format!(
                "{} is not an event of the workforce context",
                other.type_name()
            ),
        )),
    }
}
