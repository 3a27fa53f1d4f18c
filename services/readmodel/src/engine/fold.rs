//! A batch of events folded in memory before anything is written: the rows
//! to insert per table (in COPY format), the rows that existed before the
//! batch with the changes the batch makes to them, and the entities the
//! batch itself creates and then changes (an award and its payment in one
//! batch become one inserted row).
//!
//! Context modules ([`crate::contexts`]) fold one event at a time through
//! this type; [`super::write`] turns the result into a handful of
//! statements.

use std::collections::HashMap;
use std::hash::Hash;

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::copy::CopyBuf;
use super::loaded::Loaded;

/// Why an event cannot be applied (the engine adds its coordinates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inapplicable(pub String);

pub(crate) type Folded = Result<(), Inapplicable>;

pub(crate) fn inapplicable(reason: impl Into<String>) -> Inapplicable {
    Inapplicable(reason.into())
}

/// What every view of an event needs besides its payload.
pub(crate) struct Meta {
    pub event_id: Uuid,
    pub effective_date: Date,
    pub recorded_at: OffsetDateTime,
}

/// The money columns of an envelope and its dimensions (for the journal).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct EnvelopeState {
    pub programme_id: String,
    pub region: Option<String>,
    pub departement: Option<String>,
    pub voted: i64,
    pub committed: i64,
    pub paid: i64,
    pub recovery_ordered: i64,
    pub recovery_received: i64,
    /// Closed (clôture): what its grants release from now on is cancelled
    /// rather than made available again.
    pub closed: bool,
}

impl EnvelopeState {
    /// The checks the table makes, made here so that the event that breaks
    /// one is named (the table still checks).
    pub fn check(&self, envelope_id: &str) -> Folded {
        if self.committed > self.voted {
            return Err(inapplicable(format!(
                "envelope {envelope_id} would be over-committed"
            )));
        }
        if self.paid > self.committed {
            return Err(inapplicable(format!(
                "envelope {envelope_id} would be paid beyond its commitments"
            )));
        }
        if self.recovery_received > self.recovery_ordered || self.recovery_ordered > self.paid {
            return Err(inapplicable(format!(
                "envelope {envelope_id}: recoveries beyond payments"
            )));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct GrantState {
    pub envelope_id: String,
    pub region: Option<String>,
    pub departement: Option<String>,
    pub amount: i64,
    pub paid: i64,
    pub recovery_ordered: i64,
    pub recovery_received: i64,
    pub cancelled_on: Option<Date>,
    /// Cancelled or closed: it releases nothing more.
    pub ended: bool,
}

impl GrantState {
    pub fn check(&self, grant_id: &str) -> Folded {
        if self.amount < 0 {
            return Err(inapplicable(format!(
                "grant {grant_id} would have a negative amount"
            )));
        }
        if self.paid > self.amount {
            return Err(inapplicable(format!(
                "grant {grant_id} would be paid beyond its amount"
            )));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Release {
    pub on: Date,
    pub recorded_at: OffsetDateTime,
    pub kind: String,
    pub called_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct GuaranteeState {
    pub guaranteed: i64,
    pub release: Option<Release>,
}

/// The end of something that was open (a centre or post closed, an
/// employment ended): the date and when the ledger learnt it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Ending {
    pub end: Option<(Date, OffsetDateTime)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settlement {
    pub outcome: &'static str,
    pub on: Date,
    pub recorded_at: OffsetDateTime,
    pub reason: Option<String>,
    pub served_days: Option<i64>,
    pub obligation_days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ObligationState {
    pub settlement: Option<Settlement>,
}

/// One entity touched by the batch: its state now, its state before the
/// batch if it existed then, and the leading columns of its row if the batch
/// creates it.
#[derive(Debug, Clone)]
pub(crate) struct Slot<S> {
    pub state: S,
    pub base: Option<S>,
    pub prefix: Option<Vec<u8>>,
}

/// Entities of one table touched by the batch, falling back to the rows
/// loaded before it.
#[derive(Debug)]
pub(crate) struct Table<K, S> {
    pub slots: HashMap<K, Slot<S>>,
}

impl<K, S> Default for Table<K, S> {
    fn default() -> Self {
        Self {
            slots: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Clone, S: Clone> Table<K, S> {
    /// The entity, from the batch or else as loaded; `None` if neither knows it.
    pub fn get(&mut self, loaded: &HashMap<K, S>, key: &K) -> Option<&mut S> {
        if !self.slots.contains_key(key) {
            let base = loaded.get(key)?;
            self.slots.insert(
                key.clone(),
                Slot {
                    state: base.clone(),
                    base: Some(base.clone()),
                    prefix: None,
                },
            );
        }
        self.slots.get_mut(key).map(|slot| &mut slot.state)
    }

    pub fn exists(&self, loaded: &HashMap<K, S>, key: &K) -> bool {
        self.slots.contains_key(key) || loaded.contains_key(key)
    }

    /// A new entity; refused if it exists already.
    pub fn create(
        &mut self,
        loaded: &HashMap<K, S>,
        key: K,
        state: S,
        prefix: Vec<u8>,
        what: &str,
    ) -> Folded {
        if self.exists(loaded, &key) {
            return Err(inapplicable(format!("{what} exists already")));
        }
        self.slots.insert(
            key,
            Slot {
                state,
                base: None,
                prefix: Some(prefix),
            },
        );
        Ok(())
    }
}

impl<K: Eq + Hash + Clone> Table<K, Ending> {
    /// Ends an open entity (a centre or post closed, an employment ended);
    /// refused if it is unknown or ended already.
    pub fn end(
        &mut self,
        loaded: &HashMap<K, Ending>,
        key: &K,
        on: Date,
        at: OffsetDateTime,
        what: &str,
    ) -> Folded {
        match self.get(loaded, key) {
            Some(open) if open.end.is_none() => {
                open.end = Some((on, at));
                Ok(())
            }
            _ => Err(inapplicable(format!("unknown open {what}"))),
        }
    }
}

/// Append-only rows of the batch, one buffer per table.
#[derive(Debug, Default)]
pub(crate) struct Appends {
    pub events: CopyBuf,
    pub programmes: CopyBuf,
    pub loans: CopyBuf,
    pub postings: CopyBuf,
    pub centre_activity: CopyBuf,
    pub members: CopyBuf,
    pub installations: CopyBuf,
    pub grant_closures: CopyBuf,
    pub envelope_closures: CopyBuf,
    pub credit_votes: CopyBuf,
    pub cp_schedules: CopyBuf,
    pub recovery_movements: CopyBuf,
    pub recovery_instalments: CopyBuf,
    pub loan_movements: CopyBuf,
    pub guarantee_schedule: CopyBuf,
    pub guarantee_reports: CopyBuf,
    pub indicators: CopyBuf,
}

/// A target as last set in the batch (targets are upserted: the last one
/// set wins).
#[derive(Debug, Clone)]
pub(crate) struct TargetRow {
    pub metric: String,
    pub shape: String,
    /// The yearly steps as JSON (`[{"from_year": 2021, "per_year": 300}]`).
    pub steps: String,
    pub denominator: Option<String>,
    /// Profession names, comma-separated; empty for every profession.
    pub professions: String,
    pub value: i64,
    pub deadline: Date,
    pub description: String,
    pub recorded_at: OffsetDateTime,
    pub event_id: Uuid,
}

/// The whole batch, folded.
pub(crate) struct Fold<'l> {
    pub loaded: &'l Loaded,
    pub envelopes: Table<String, EnvelopeState>,
    pub grants: Table<String, GrantState>,
    pub guarantees: Table<String, GuaranteeState>,
    pub centres: Table<String, Ending>,
    pub posts: Table<String, Ending>,
    pub employments: Table<(String, String), Ending>,
    pub obligations: Table<String, ObligationState>,
    pub targets: HashMap<(String, String), TargetRow>,
    pub appends: Appends,
    /// Keys the batch inserts into append-only tables with a primary key,
    /// so that a duplicate within the batch is caught at its event.
    pub programme_ids: std::collections::HashSet<String>,
    pub member_keys: std::collections::HashSet<(String, String)>,
    pub loan_ids: std::collections::HashSet<String>,
}

impl<'l> Fold<'l> {
    pub fn new(loaded: &'l Loaded) -> Self {
        Fold {
            loaded,
            envelopes: Table::default(),
            grants: Table::default(),
            guarantees: Table::default(),
            centres: Table::default(),
            posts: Table::default(),
            employments: Table::default(),
            obligations: Table::default(),
            targets: HashMap::new(),
            appends: Appends::default(),
            programme_ids: Default::default(),
            member_keys: Default::default(),
            loan_ids: Default::default(),
        }
    }

    pub fn envelope(&mut self, id: &str) -> Result<&mut EnvelopeState, Inapplicable> {
        self.envelopes
            .get(&self.loaded.envelopes, &id.to_owned())
            .ok_or_else(|| inapplicable(format!("unknown envelope {id}")))
    }

    /// A grant of the given envelope.
    pub fn grant(&mut self, id: &str, envelope_id: &str) -> Result<&mut GrantState, Inapplicable> {
        match self.grants.get(&self.loaded.grants, &id.to_owned()) {
            Some(g) if g.envelope_id == envelope_id => Ok(g),
            _ => Err(inapplicable(format!("unknown grant {id}"))),
        }
    }
}
