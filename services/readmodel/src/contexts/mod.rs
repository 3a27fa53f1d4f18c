//! The read model mirrors the write side: one module per bounded context,
//! one function per event. The two `match`es below name every event of the
//! contract with no catch-all arm, so an event added to the proto without a
//! projection does not compile.

mod centres;
mod grants;
mod obligations;
mod workforce;

use ledger_proto::v1::{event_envelope::Payload, EventEnvelope};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::engine::fold::{inapplicable, Fold, Folded, Inapplicable, Meta};
use crate::engine::loaded::Keys;

/// The COPY column list of every table rows are inserted into, with the
/// context that writes its rows in that order.
pub(crate) mod columns {
    pub(crate) use super::centres::{ACTIVITY, CENTRES, MEMBERS};
    pub(crate) use super::grants::{
        CP_SCHEDULES, CREDIT_VOTES, ENVELOPES, ENVELOPE_CLOSURES, GRANTS, GRANT_CLOSURES,
        GUARANTEES, GUARANTEE_REPORTS, GUARANTEE_SCHEDULE, INDICATORS, LOANS_COLUMNS as LOANS,
        LOAN_MOVEMENTS, PROGRAMMES, RECOVERY_INSTALMENTS, RECOVERY_MOVEMENTS,
    };
    pub(crate) use super::obligations::OBLIGATIONS;
    pub(crate) use super::workforce::{EMPLOYMENTS, INSTALLATIONS, POSTS};
    pub(crate) const EVENTS: &str = "event_id, topic, partition, \"offset\", stream_type, stream_id, stream_version, \
        event_type, effective_date, recorded_at, hash, occurred_at, source_system, actor, command_id, \
        correlation_id, causation_id, prev_hash, payload";
}

/// Folds one event's payload into the batch.
pub(crate) fn fold(fold: &mut Fold<'_>, meta: &Meta, payload: &Payload) -> Folded {
    use Payload as P;
    match payload {
        P::ProgrammeDeclared(e) => grants::programme_declared(fold, meta, e),
        P::TargetSet(e) => grants::target_set(fold, meta, e),
        P::EnvelopeOpened(e) => grants::envelope_opened(fold, meta, e),
        P::EnvelopeRevised(e) => grants::envelope_revised(fold, meta, e),
        P::GrantAwarded(e) => grants::grant_awarded(fold, meta, e),
        P::GrantAmended(e) => grants::grant_amended(fold, meta, e),
        P::GrantCancelled(e) => grants::grant_cancelled(fold, meta, e),
        P::PaymentMade(e) => grants::payment_made(fold, meta, e),
        P::RecoveryOrdered(e) => grants::recovery_ordered(fold, meta, e),
        P::RecoveryReceived(e) => grants::recovery_received(fold, meta, e),
        P::LoanGuaranteeGranted(e) => grants::loan_guarantee_granted(fold, meta, e),
        P::LoanGuaranteeReleased(e) => grants::loan_guarantee_released(fold, meta, e),
        P::LoanGranted(e) => grants::loan_granted(fold, meta, e),
        P::PostOpened(e) => workforce::post_opened(fold, meta, e),
        P::PostClosed(e) => workforce::post_closed(fold, meta, e),
        P::ProfessionalHired(e) => workforce::professional_hired(fold, meta, e),
        P::ProfessionalLeft(e) => workforce::professional_left(fold, meta, e),
        P::ProfessionalInstalled(e) => workforce::professional_installed(fold, meta, e),
        P::CentreOpened(e) => centres::centre_opened(fold, meta, e),
        P::CentreClosed(e) => centres::centre_closed(fold, meta, e),
        P::ActivityReported(e) => centres::activity_reported(fold, meta, e),
        P::MemberJoined(e) => centres::member_joined(fold, meta, e),
        P::ObligationStarted(e) => obligations::obligation_started(fold, meta, e),
        P::ObligationFulfilled(e) => obligations::obligation_fulfilled(fold, meta, e),
        P::ObligationBreached(e) => obligations::obligation_breached(fold, meta, e),
        P::EnvelopeClosed(e) => grants::envelope_closed(fold, meta, e),
        P::GrantClosed(e) => grants::grant_closed(fold, meta, e),
        P::CreditsVoted(e) => grants::credits_voted(fold, meta, e),
        P::RecoveryAdjusted(e) => grants::recovery_adjusted(fold, meta, e),
        P::RecoveryScheduled(e) => grants::recovery_scheduled(fold, meta, e),
        P::LoanRepaid(e) => grants::loan_repaid(fold, meta, e),
        P::LoanWrittenOff(e) => grants::loan_written_off(fold, meta, e),
        P::GuaranteedLoanReported(e) => grants::guaranteed_loan_reported(fold, meta, e),
        P::LoanGuaranteeCalled(e) => grants::loan_guarantee_called(fold, meta, e),
        P::IndicatorRecorded(e) => grants::indicator_recorded(fold, meta, e),
        // A writer's statement about its own log: indexed with the other
        // events, and nothing to project (ledgerctl verify-chain reads it).
        P::ChainCheckpoint(_) => Ok(()),
    }
}

/// Adds the rows that existed before the batch and that this event needs to
/// see to `keys` (they are loaded once for the whole batch). An event that
/// creates a row names it too: whether it exists already is checked.
pub(crate) fn keys(payload: &Payload, keys: &mut Keys) {
    use Payload as P;
    let mut envelope = |id: &str| {
        keys.envelopes.insert(id.to_owned());
    };
    match payload {
        P::ProgrammeDeclared(_)
        | P::TargetSet(_)
        | P::CreditsVoted(_)
        | P::IndicatorRecorded(_)
        | P::ChainCheckpoint(_) => {}
        P::EnvelopeOpened(e) => envelope(&e.envelope_id),
        P::EnvelopeRevised(e) => envelope(&e.envelope_id),
        P::EnvelopeClosed(e) => envelope(&e.envelope_id),
        P::LoanGranted(e) => envelope(&e.envelope_id),
        P::LoanRepaid(e) => envelope(&e.envelope_id),
        P::LoanWrittenOff(e) => envelope(&e.envelope_id),
        P::GrantAwarded(e) => {
            envelope(&e.envelope_id);
            keys.grants.insert(e.grant_id.clone());
        }
        P::GrantAmended(e) => {
            envelope(&e.envelope_id);
            keys.grants.insert(e.grant_id.clone());
        }
        P::GrantCancelled(e) => {
            envelope(&e.envelope_id);
            keys.grants.insert(e.grant_id.clone());
        }
        P::GrantClosed(e) => {
            envelope(&e.envelope_id);
            keys.grants.insert(e.grant_id.clone());
        }
        P::PaymentMade(e) => {
            envelope(&e.envelope_id);
            keys.grants.insert(e.grant_id.clone());
        }
        P::RecoveryOrdered(e) => {
            envelope(&e.envelope_id);
            keys.grants.insert(e.grant_id.clone());
        }
        P::RecoveryReceived(e) => {
            envelope(&e.envelope_id);
            if e.guarantee_id.is_empty() {
                keys.grants.insert(e.grant_id.clone());
            } else {
                keys.guarantees.insert(e.guarantee_id.clone());
            }
        }
        P::RecoveryAdjusted(e) => {
            envelope(&e.envelope_id);
            if e.guarantee_id.is_empty() {
                keys.grants.insert(e.grant_id.clone());
            } else {
                keys.guarantees.insert(e.guarantee_id.clone());
            }
        }
        P::RecoveryScheduled(e) => {
            envelope(&e.envelope_id);
            if e.guarantee_id.is_empty() {
                keys.grants.insert(e.grant_id.clone());
            } else {
                keys.guarantees.insert(e.guarantee_id.clone());
            }
        }
        P::LoanGuaranteeGranted(e) => {
            envelope(&e.envelope_id);
            keys.guarantees.insert(e.guarantee_id.clone());
        }
        P::LoanGuaranteeReleased(e) => {
            envelope(&e.envelope_id);
            keys.guarantees.insert(e.guarantee_id.clone());
        }
        P::GuaranteedLoanReported(e) => {
            envelope(&e.envelope_id);
            keys.guarantees.insert(e.guarantee_id.clone());
        }
        P::LoanGuaranteeCalled(e) => {
            envelope(&e.envelope_id);
            keys.guarantees.insert(e.guarantee_id.clone());
        }
        P::PostOpened(e) => {
            keys.posts.insert(e.post_id.clone());
        }
        P::PostClosed(e) => {
            keys.posts.insert(e.post_id.clone());
        }
        P::ProfessionalHired(e) => {
            keys.employments
                .insert((e.person_id.clone(), e.employment_id.clone()));
        }
        P::ProfessionalLeft(e) => {
            keys.employments
                .insert((e.person_id.clone(), e.employment_id.clone()));
        }
        P::ProfessionalInstalled(_) | P::MemberJoined(_) => {}
        P::CentreOpened(e) => {
            keys.centres.insert(e.centre_id.clone());
        }
        P::CentreClosed(e) => {
            keys.centres.insert(e.centre_id.clone());
        }
        P::ActivityReported(e) => {
            keys.centres.insert(e.centre_id.clone());
        }
        P::ObligationStarted(e) => {
            keys.obligations.insert(e.obligation_id.clone());
        }
        P::ObligationFulfilled(e) => {
            keys.obligations.insert(e.obligation_id.clone());
        }
        P::ObligationBreached(e) => {
            keys.obligations.insert(e.obligation_id.clone());
        }
    }
}

/// Folds a whole event: its row in the index of events, then its payload.
pub(crate) fn fold_event(
    fold: &mut Fold<'_>,
    topic: &str,
    partition: i32,
    offset: i64,
    event: &EventEnvelope,
) -> Folded {
    let payload = event
        .payload
        .as_ref()
        .ok_or_else(|| inapplicable("event has no payload"))?;
    let meta = Meta {
        event_id: Uuid::parse_str(&event.event_id)
            .map_err(|_| inapplicable("event id is not a UUID"))?,
        effective_date: date(&event.effective_date)?,
        recorded_at: timestamp(&event.recorded_at)
            .ok_or_else(|| inapplicable("recorded_at is missing or out of range"))?,
    };
    let stream = event.stream.clone().unwrap_or_default();
    let stream_version = i64::try_from(event.stream_version)
        .map_err(|_| inapplicable("stream version out of range"))?;
    let json = serde_json::to_string(event)
        .map_err(|e| inapplicable(format!("cannot render the event as JSON: {e}")))?;
    fold.appends
        .events
        .row()
        .uuid(meta.event_id)
        .text(topic)
        .int(i64::from(partition))
        .int(offset)
        .text(&stream.r#type)
        .text(&stream.id)
        .int(stream_version)
        .text(payload.type_name())
        .date(meta.effective_date)
        .instant(meta.recorded_at)
        .bytea(&event.hash)
        .opt_instant(timestamp(&event.occurred_at))
        .opt_text(nonempty(&event.source_system))
        .opt_text(nonempty(&event.actor))
        .opt_text(nonempty(&event.command_id))
        .opt_text(nonempty(&event.correlation_id))
        .opt_text(nonempty(&event.causation_id))
        .bytea(&event.prev_hash)
        .text(&json)
        .end();
    self::fold(fold, &meta, payload)
}

pub(crate) fn date(raw: &str) -> Result<Date, Inapplicable> {
    ledger_domain::dates::parse_date("date", raw).map_err(|e| inapplicable(e.to_string()))
}

/// A date that may be absent (empty in the event).
pub(crate) fn optional_date(raw: &str) -> Result<Option<Date>, Inapplicable> {
    (!raw.is_empty()).then(|| date(raw)).transpose()
}

/// A text field of an event, `None` when empty (proto3 has no absent strings).
pub(crate) fn nonempty(s: &str) -> Option<&str> {
    Some(s).filter(|s| !s.is_empty())
}

fn timestamp(t: &Option<ledger_proto::Timestamp>) -> Option<OffsetDateTime> {
    t.as_ref().and_then(|t| {
        OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos),
        )
        .ok()
    })
}
