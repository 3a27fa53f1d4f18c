//! The centres views: centres with their opening and closing dates, monthly
//! activity, and the members of groupings with their college. One function
//! per event.

use ledger_proto::v1::{ActivityReported, CentreClosed, CentreOpened, MemberJoined};

use super::{date, nonempty};
use crate::engine::copy::prefix;
use crate::engine::fold::{inapplicable, Ending, Fold, Folded, Meta};

/// Leading columns of a new centre, then its closing.
pub(crate) const CENTRES: &str =
    "centre_id, kind, finess, name, region_code, departement_code, commune_code, \
    operator, programme_id, opened_on, recorded_at, event_id, closed_on, closed_recorded_at";
pub(crate) const ACTIVITY: &str =
    "centre_id, month, patients_seen, consultations, patients_to_date, recorded_at, event_id";
pub(crate) const MEMBERS: &str =
    "grouping_id, member_id, name, college, joined_on, recorded_at, event_id";

pub(crate) fn centre_opened(fold: &mut Fold<'_>, meta: &Meta, e: &CentreOpened) -> Folded {
    let t = e.territory.clone().unwrap_or_default();
    let operator = e
        .operator
        .as_ref()
        .map(|o| format!("siret:{}", o.siret))
        .unwrap_or_default();
    let opened_on = date(&e.opened_on)?;
    let leading = prefix(|r| {
        r.text(&e.centre_id)
            .text(e.kind().as_str_name())
            .text(&e.finess)
            .text(&e.name)
            .opt_text(nonempty(&t.region_code))
            .opt_text(nonempty(&t.departement_code))
            .opt_text(nonempty(&t.commune_code))
            .text(&operator)
            .text(&e.programme_id)
            .date(opened_on)
            .instant(meta.recorded_at)
            .uuid(meta.event_id)
    });
    let loaded = fold.loaded;
    fold.centres.create(
        &loaded.centres,
        e.centre_id.clone(),
        Ending::default(),
        leading,
        &format!("centre {}", e.centre_id),
    )
}

pub(crate) fn centre_closed(fold: &mut Fold<'_>, meta: &Meta, e: &CentreClosed) -> Folded {
    let closed_on = date(&e.closed_on)?;
    let loaded = fold.loaded;
    let what = format!("centre {}", e.centre_id);
    fold.centres.end(
        &loaded.centres,
        &e.centre_id,
        closed_on,
        meta.recorded_at,
        &what,
    )
}

pub(crate) fn activity_reported(fold: &mut Fold<'_>, meta: &Meta, e: &ActivityReported) -> Folded {
    let month = ledger_domain::dates::parse_month_end("month", &e.month)
        .map_err(|err| inapplicable(err.to_string()))?;
    let loaded = fold.loaded;
    if !fold.centres.exists(&loaded.centres, &e.centre_id) {
        return Err(inapplicable(format!("unknown centre {}", e.centre_id)));
    }
    fold.appends
        .centre_activity
        .row()
        .text(&e.centre_id)
        .date(month)
        .int(i64::from(e.patients_seen))
        .int(i64::from(e.consultations))
        .int(i64::from(e.patients_to_date))
        .instant(meta.recorded_at)
        .uuid(meta.event_id)
        .end();
    Ok(())
}

pub(crate) fn member_joined(fold: &mut Fold<'_>, meta: &Meta, e: &MemberJoined) -> Folded {
    if !fold
        .member_keys
        .insert((e.grouping_id.clone(), e.member_id.clone()))
    {
        return Err(inapplicable(format!(
            "member {} joined {} twice",
            e.member_id, e.grouping_id
        )));
    }
    let name = e
        .member
        .as_ref()
        .map(|m| m.name.clone())
        .unwrap_or_default();
    fold.appends
        .members
        .row()
        .text(&e.grouping_id)
        .text(&e.member_id)
        .text(&name)
        .text(&e.college)
        .date(date(&e.joined_on)?)
        .instant(meta.recorded_at)
        .uuid(meta.event_id)
        .end();
    Ok(())
}
