//! The seed programmes as a history the ledger can load, and the loader.
//!
//! [`scenario::seed_scenario`] is the history: every command, in order,
//! reproducing the figures of the four seed documents (`shared/seeds/`,
//! summarised in DESIGN.md §1). Values the seeds do not give are invented and
//! marked so where they are made up, in `src/scenario/`. [`load`] submits it
//! through the public interfaces only: HTTP commands, and protobuf
//! `InboundCommand`s on the inbound topic for the systems that integrate that
//! way (the Occitanie GIP's HR system).

pub mod direct;
pub mod load;
pub mod persons;
pub mod scenario;
pub mod synthetic;

use serde_json::Value;

/// The inbound gateway's rules on the local stack (`LEDGER_INBOUND_ALLOW` in
/// deploy/local/services.sh): the Occitanie GIP's HR system sends its posts,
/// hires and departures over Kafka; nothing else comes that way.
pub const DEMO_INBOUND_ALLOW: &str = "rh-occitanie=open-post,hire-professional,record-departure";

/// How a step reaches the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// `POST /v1/commands/{command}` on the service that owns it.
    Http,
    /// A protobuf `InboundCommand` on `ledger.inbound.v1.<source system>`,
    /// from that system's Kafka login; its result comes back on
    /// `ledger.results.v1.<source system>`.
    Inbound { source_system: &'static str },
}

/// One command of the history.
#[derive(Debug, Clone)]
pub struct Step {
    /// Command name as in `POST /v1/commands/{command}`.
    pub command: &'static str,
    /// Idempotency key: loading twice changes nothing.
    pub key: String,
    /// The command in the proto3 JSON mapping.
    pub body: Value,
    pub via: Via,
    /// The step needs another context's event to have reached the owning
    /// service (a hire needs its centre): retried while refused `not_found`.
    pub waits_for_other_context: bool,
}

impl Step {
    pub fn http(command: &'static str, key: impl Into<String>, body: Value) -> Self {
        Self {
            command,
            key: key.into(),
            body,
            via: Via::Http,
            waits_for_other_context: false,
        }
    }

    /// Marks the step as depending on another context's event.
    pub fn after_other_context(mut self) -> Self {
        self.waits_for_other_context = true;
        self
    }

    pub fn inbound(mut self, source_system: &'static str) -> Self {
        self.via = Via::Inbound { source_system };
        self
    }
}

/// The service that owns a command (the contract's one table); an unknown
/// name is left to the grants service, which refuses it as unknown.
pub fn owner_of(command: &str) -> &'static str {
    ledger_proto::registry::owner_of(command)
        .unwrap_or(ledger_proto::registry::Context::Grants)
        .name()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_local_stack_runs_the_demo_inbound_rules() {
        let script = include_str!("../../../deploy/local/services.sh");
        let line = format!(
            "export LEDGER_INBOUND_ALLOW=\"{}\"",
            super::DEMO_INBOUND_ALLOW
        );
        assert!(
            script.contains(&line),
            "deploy/local/services.sh should say {line}"
        );
    }
}
