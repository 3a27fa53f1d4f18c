//! The grants service's state, folded from its own topic.

use std::collections::HashMap;

use ledger_proto::v1::event_envelope::Payload;
use time::Date;

use crate::{dates::parse_date, ApplyError, Cents};

/// A declared programme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    pub period_start: Date,
    pub period_end: Date,
}

/// An envelope and what is committed against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub programme_id: String,
    pub voted: Cents,
    pub committed: Cents,
    pub period_start: Date,
    pub period_end: Date,
}

impl Envelope {
    /// What can still be committed: voted − committed.
    pub fn available(&self) -> Cents {
        Cents::new(self.voted.get() - self.committed.get())
    }
}

/// A grant's commitment and payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub envelope_id: String,
    pub amount: Cents,
    pub paid: Cents,
    pub cancelled: bool,
}

/// Everything the grants service must know to decide a command.
#[derive(Debug, Clone, Default)]
pub struct GrantsBook {
    pub programmes: HashMap<String, Programme>,
    pub envelopes: HashMap<String, Envelope>,
    pub grants: HashMap<String, Grant>,
}

fn date(raw: &str) -> Result<Date, ApplyError> {
    parse_date("date", raw).map_err(|e| ApplyError(e.to_string()))
}

impl GrantsBook {
    /// Folds one event into the state. Events of other contexts are ignored.
    pub fn apply_event(&mut self, payload: &Payload) -> Result<(), ApplyError> {
        match payload {
            Payload::ProgrammeDeclared(e) => {
                self.programmes.insert(
                    e.programme_id.clone(),
                    Programme {
                        period_start: date(&e.period_start)?,
                        period_end: date(&e.period_end)?,
                    },
                );
            }
            Payload::EnvelopeOpened(e) => {
                self.envelopes.insert(
                    e.envelope_id.clone(),
                    Envelope {
                        programme_id: e.programme_id.clone(),
                        voted: Cents::new(e.amount_cents),
                        committed: Cents::ZERO,
                        period_start: date(&e.period_start)?,
                        period_end: date(&e.period_end)?,
                    },
                );
            }
            Payload::EnvelopeRevised(e) => {
                let envelope = self.envelope_mut(&e.envelope_id)?;
                envelope.voted = Cents::new(envelope.voted.get() + e.delta_cents);
            }
            Payload::GrantAwarded(e) => {
                let amount = Cents::new(e.amount_cents);
                let envelope = self.envelope_mut(&e.envelope_id)?;
                envelope.committed = Cents::new(envelope.committed.get() + amount.get());
                self.grants.insert(
                    e.grant_id.clone(),
                    Grant {
                        envelope_id: e.envelope_id.clone(),
                        amount,
                        paid: Cents::ZERO,
                        cancelled: false,
                    },
                );
            }
            _ => {}
        }
        Ok(())
    }

    fn envelope_mut(&mut self, id: &str) -> Result<&mut Envelope, ApplyError> {
        self.envelopes
            .get_mut(id)
            .ok_or_else(|| ApplyError(format!("unknown envelope {id}")))
    }
}
