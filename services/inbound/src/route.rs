//! Which service takes which inbound command, and who may send it.

use std::collections::{HashMap, HashSet};

use ledger_proto::v1::inbound_command::Command;

/// The emitting services: the contract's bounded contexts.
pub use ledger_proto::registry::Context as Owner;

/// A command ready to send: its owner, its HTTP name and protobuf body.
pub struct Routed {
    pub owner: Owner,
    pub name: &'static str,
    pub body: Vec<u8>,
}

/// Maps the inbound command to the service that owns it (the contract's
/// one table, `ledger_proto::registry`).
pub fn route(command: &Command) -> Routed {
    let (owner, name, body) = ledger_proto::registry::route(command);
    Routed { owner, name, body }
}

/// Who may send what, from `system=cmd,cmd;system=*`. Each system named
/// is one the gateway reads (its own inbound topic); nothing else is
/// allowed, and there is no rule for "any system".
#[derive(Debug, Clone, Default)]
pub struct Allow {
    rules: HashMap<String, Option<HashSet<String>>>,
}

/// A source system's name: also its Kafka user and the suffix of its topics.
fn valid_system(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Allow {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut rules = HashMap::new();
        for rule in raw.split(';').map(str::trim).filter(|r| !r.is_empty()) {
            let (system, commands) = rule
                .split_once('=')
                .ok_or_else(|| format!("rule {rule:?} is not system=commands"))?;
            let system = system.trim();
            if !valid_system(system) {
                return Err(format!(
                    "rule {rule:?}: a source system is named by its Kafka user \
                     (lower-case letters, digits, '-', '_'; at most 64), never '*'"
                ));
            }
            let commands = commands.trim();
            let allowed = if commands == "*" {
                None
            } else {
                Some(
                    commands
                        .split(',')
                        .map(|c| c.trim().to_owned())
                        .filter(|c| !c.is_empty())
                        .collect(),
                )
            };
            rules.insert(system.to_owned(), allowed);
        }
        Ok(Self { rules })
    }

    /// The source systems named, in a stable order.
    pub fn systems(&self) -> Vec<&str> {
        let mut systems: Vec<&str> = self.rules.keys().map(String::as_str).collect();
        systems.sort_unstable();
        systems
    }

    pub fn permits(&self, system: &str, command: &str) -> bool {
        match self.rules.get(system) {
            None => false,
            Some(None) => true,
            Some(Some(commands)) => commands.contains(command),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_name_systems_and_commands() {
        let allow = Allow::parse("sirh=hire-professional,record-departure; portail=*").unwrap();
        assert!(allow.permits("sirh", "hire-professional"));
        assert!(!allow.permits("sirh", "award-grant"));
        assert!(allow.permits("portail", "award-grant"));
        assert!(!allow.permits("unknown", "award-grant"));
        assert_eq!(allow.systems(), ["portail", "sirh"]);
        assert!(Allow::parse("*=*").is_err(), "no rule for any system");
        assert!(Allow::parse("Sirh=*").is_err());
        assert!(Allow::parse("nonsense").is_err());
        let nothing = Allow::parse("").unwrap();
        assert!(nothing.systems().is_empty());
        assert!(!nothing.permits("sirh", "hire-professional"));
    }
}
