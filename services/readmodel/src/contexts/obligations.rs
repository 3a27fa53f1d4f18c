//! The obligations view: each obligation with its due date and, once
//! settled, whether it was fulfilled or breached. One function per event.

use ledger_proto::v1::{ObligationBreached, ObligationFulfilled, ObligationStarted};

use super::{date, nonempty};
use crate::contexts::grants::party;
use crate::engine::copy::prefix;
use crate::engine::fold::{inapplicable, Fold, Folded, Meta, ObligationState, Settlement};

/// Leading columns of a new obligation, then its settlement.
pub(crate) const OBLIGATIONS: &str =
    "obligation_id, grant_id, beneficiary, region_code, departement_code, \
    commune_code, duration_months, start_date, end_date, recorded_at, event_id, \
    outcome, settled_on, settled_recorded_at, reason, served_days, obligation_days";

pub(crate) fn obligation_started(
    fold: &mut Fold<'_>,
    meta: &Meta,
    e: &ObligationStarted,
) -> Folded {
    let t = e.territory.clone().unwrap_or_default();
    let (start, end) = (date(&e.start_date)?, date(&e.end_date)?);
    let leading = prefix(|r| {
        r.text(&e.obligation_id)
            .text(&e.grant_id)
            .text(&party(&e.beneficiary))
            .opt_text(nonempty(&t.region_code))
            .opt_text(nonempty(&t.departement_code))
            .opt_text(nonempty(&t.commune_code))
            .int(i64::from(e.duration_months))
            .date(start)
            .date(end)
            .instant(meta.recorded_at)
            .uuid(meta.event_id)
    });
    let loaded = fold.loaded;
    fold.obligations.create(
        &loaded.obligations,
        e.obligation_id.clone(),
        ObligationState::default(),
        leading,
        &format!("obligation {}", e.obligation_id),
    )
}

fn settle(fold: &mut Fold<'_>, obligation_id: &str, settlement: Settlement) -> Folded {
    let loaded = fold.loaded;
    match fold
        .obligations
        .get(&loaded.obligations, &obligation_id.to_owned())
    {
        Some(obligation) if obligation.settlement.is_none() => {
            obligation.settlement = Some(settlement);
            Ok(())
        }
        _ => Err(inapplicable(format!(
            "unknown open obligation {obligation_id}"
        ))),
    }
}

pub(crate) fn obligation_fulfilled(
    fold: &mut Fold<'_>,
    meta: &Meta,
    e: &ObligationFulfilled,
) -> Folded {
    let settlement = Settlement {
        outcome: "fulfilled",
        on: date(&e.fulfilled_on)?,
        recorded_at: meta.recorded_at,
        reason: None,
        served_days: None,
        obligation_days: None,
    };
    settle(fold, &e.obligation_id, settlement)
}

pub(crate) fn obligation_breached(
    fold: &mut Fold<'_>,
    meta: &Meta,
    e: &ObligationBreached,
) -> Folded {
    let settlement = Settlement {
        outcome: "breached",
        on: date(&e.breached_on)?,
        recorded_at: meta.recorded_at,
        reason: Some(e.reason.clone()),
        served_days: Some(i64::from(e.served_days)),
        obligation_days: Some(i64::from(e.obligation_days)),
    };
    settle(fold, &e.obligation_id, settlement)
}
