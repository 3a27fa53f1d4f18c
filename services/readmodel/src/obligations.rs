//! The obligations view: each obligation with its due date and, once
//! settled, whether it was fulfilled or breached.

use ledger_proto::v1::event_envelope::Payload;

use crate::{
    budget::{one, party},
    project::{date, inapplicable, nonempty, ConsumedEvent, Meta, Tx},
    ReadModelError,
};

pub(crate) async fn apply(
    tx: &mut Tx<'_>,
    consumed: &ConsumedEvent,
    meta: &Meta,
    payload: &Payload,
) -> Result<(), ReadModelError> {
    let settle = |id: &str, outcome: &'static str, on: &str| -> Result<_, ReadModelError> {
        Ok(sqlx::query(
            "UPDATE obligations SET outcome = $2, settled_on = $3, settled_recorded_at = $4
             WHERE obligation_id = $1 AND outcome IS NULL",
        )
        .bind(id.to_owned())
        .bind(outcome)
        .bind(date(consumed, on)?)
        .bind(meta.recorded_at))
    };
    match payload {
        Payload::ObligationStarted(e) => {
            let t = e.territory.clone().unwrap_or_default();
            let insert = sqlx::query(
                "INSERT INTO obligations (obligation_id, grant_id, beneficiary, region_code, departement_code, commune_code,
                                          duration_months, start_date, end_date, recorded_at, event_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&e.obligation_id)
            .bind(&e.grant_id)
            .bind(party(&e.beneficiary))
            .bind(nonempty(&t.region_code))
            .bind(nonempty(&t.departement_code))
            .bind(nonempty(&t.commune_code))
            .bind(e.duration_months as i32)
            .bind(date(consumed, &e.start_date)?)
            .bind(date(consumed, &e.end_date)?)
            .bind(meta.recorded_at)
            .bind(meta.event_id);
            one(tx, consumed, "obligation", insert).await
        }
        Payload::ObligationFulfilled(e) => {
            let update = settle(&e.obligation_id, "fulfilled", &e.fulfilled_on)?;
            one(
                tx,
                consumed,
                &format!("open obligation {}", e.obligation_id),
                update,
            )
            .await
        }
        Payload::ObligationBreached(e) => {
            one(
                tx,
                consumed,
                &format!("open obligation {}", e.obligation_id),
                settle(&e.obligation_id, "breached", &e.breached_on)?,
            )
            .await?;
            let details = sqlx::query(
                "UPDATE obligations SET reason = $2, served_days = $3, obligation_days = $4 WHERE obligation_id = $1",
            )
            .bind(&e.obligation_id)
            .bind(&e.reason)
            .bind(e.served_days as i32)
            .bind(e.obligation_days as i32);
            one(tx, consumed, "obligation", details).await
        }
        other => Err(inapplicable(
            consumed,
            format!(
                "{} is not an event of the obligations context",
                other.type_name()
            ),
        )),
    }
}
