//! The operators' tool. Everything here reads the log itself, the source of
//! truth: the audit of every hash chain, a stream's history, exports for
//! auditors, the dead letters, and rebuilds of the read model.

pub mod acknowledge;
pub mod audit;
pub mod deadletters;
pub mod rebuild;
