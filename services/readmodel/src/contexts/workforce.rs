//! The workforce views: salaried posts, employments (for headcounts at any
//! date) and installations of liberal professionals. One function per event.

use ledger_proto::v1::{
    LegalEntity, PostClosed, PostOpened, ProfessionalHired, ProfessionalInstalled, ProfessionalLeft,
};

use super::{date, nonempty};
use crate::engine::copy::prefix;
use crate::engine::fold::{Ending, Fold, Folded, Meta};

/// Leading columns of a new post, then its closing.
pub(crate) const POSTS: &str =
    "post_id, programme_id, centre_id, employer, profession, fte_milli, opened_on, \
    recorded_at, event_id, closed_on, closed_recorded_at";
/// Leading columns of a new employment, then its end.
pub(crate) const EMPLOYMENTS: &str =
    "employment_id, person_id, post_id, centre_id, employer, profession, fte_milli, \
    start_date, recorded_at, event_id, end_date, end_recorded_at";
pub(crate) const INSTALLATIONS: &str =
    "event_id, person_id, profession, region_code, departement_code, commune_code, \
    centre_id, grant_id, installed_on, recorded_at";

fn entity(e: &Option<LegalEntity>) -> String {
    e.as_ref()
        .map(|e| format!("siret:{}", e.siret))
        .unwrap_or_default()
}

pub(crate) fn post_opened(fold: &mut Fold<'_>, meta: &Meta, e: &PostOpened) -> Folded {
    let opened_on = date(&e.opened_on)?;
    let leading = prefix(|r| {
        r.text(&e.post_id)
            .text(&e.programme_id)
            .text(&e.centre_id)
            .text(&entity(&e.employer))
            .text(e.profession().as_str_name())
            .int(i64::from(e.fte_milli))
            .date(opened_on)
            .instant(meta.recorded_at)
            .uuid(meta.event_id)
    });
    let loaded = fold.loaded;
    fold.posts.create(
        &loaded.posts,
        e.post_id.clone(),
        Ending::default(),
        leading,
        &format!("post {}", e.post_id),
    )
}

pub(crate) fn post_closed(fold: &mut Fold<'_>, meta: &Meta, e: &PostClosed) -> Folded {
    let closed_on = date(&e.closed_on)?;
    let loaded = fold.loaded;
    let what = format!("post {}", e.post_id);
    fold.posts.end(
        &loaded.posts,
        &e.post_id,
        closed_on,
        meta.recorded_at,
        &what,
    )
}

pub(crate) fn professional_hired(
    fold: &mut Fold<'_>,
    meta: &Meta,
    e: &ProfessionalHired,
) -> Folded {
    let start = date(&e.start_date)?;
    let leading = prefix(|r| {
        r.text(&e.employment_id)
            .text(&e.person_id)
            .opt_text(nonempty(&e.post_id))
            .text(&e.centre_id)
            .text(&entity(&e.employer))
            .text(e.profession().as_str_name())
            .int(i64::from(e.fte_milli))
            .date(start)
            .instant(meta.recorded_at)
            .uuid(meta.event_id)
    });
    let loaded = fold.loaded;
    fold.employments.create(
        &loaded.employments,
        (e.person_id.clone(), e.employment_id.clone()),
        Ending::default(),
        leading,
        &format!("employment {}", e.employment_id),
    )
}

pub(crate) fn professional_left(fold: &mut Fold<'_>, meta: &Meta, e: &ProfessionalLeft) -> Folded {
    let left_on = date(&e.left_on)?;
    let loaded = fold.loaded;
    let key = (e.person_id.clone(), e.employment_id.clone());
    let what = format!("employment {}", e.employment_id);
    fold.employments
        .end(&loaded.employments, &key, left_on, meta.recorded_at, &what)
}

pub(crate) fn professional_installed(
    fold: &mut Fold<'_>,
    meta: &Meta,
    e: &ProfessionalInstalled,
) -> Folded {
    let t = e.territory.clone().unwrap_or_default();
    fold.appends
        .installations
        .row()
        .uuid(meta.event_id)
        .text(&e.person_id)
        .text(e.profession().as_str_name())
        .opt_text(nonempty(&t.region_code))
        .opt_text(nonempty(&t.departement_code))
        .opt_text(nonempty(&t.commune_code))
        .opt_text(nonempty(&e.centre_id))
        .opt_text(nonempty(&e.grant_id))
        .date(date(&e.installed_on)?)
        .instant(meta.recorded_at)
        .end();
    Ok(())
}
