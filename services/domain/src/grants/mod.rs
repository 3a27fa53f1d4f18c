//! Programmes, envelopes and grants: the state the grants service guards and
//! the rules that turn its commands into events.

mod book;
mod decide;
pub mod parse;

pub use book::{Envelope, Grant, GrantsBook, Programme};
pub use decide::GrantsCommand;

#[cfg(test)]
mod tests;
