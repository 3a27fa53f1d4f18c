//! Programmes, envelopes and grants: the state the grants service guards and
//! the rules that turn its commands into events.

pub mod amortisation;
mod book;
mod closure;
pub mod credits;
mod decide;
pub mod exposure;
mod lifecycle;
mod loans;
mod lookup;
pub mod parse;
mod receivables;
pub mod recovery;
mod targets;

pub use book::{Ending, Envelope, Grant, GrantsBook, Guarantee, Loan, Programme, Recovery};
pub use decide::{person_ids, GrantsCommand};
pub use receivables::CALL_CLAIM;

#[cfg(test)]
mod tests;
