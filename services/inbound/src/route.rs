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

/// Who may send what, from `system=cmd,cmd;system=*`.
#[derive(Debug, Clone, Default)]
pub struct Allow {
    rules: HashMap<String, Option<HashSet<String>>>,
}

impl Allow {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut rules = HashMap::new();
        for rule in raw.split(';').map(str::trim).filter(|r| !r.is_empty()) {
            let (system, commands) = rule
                .split_once('=')
                .ok_or_else(|| format!("rule {rule:?} is not system=commands"))?;
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
            rules.insert(system.trim().to_owned(), allowed);
        }
        Ok(Self { rules })
    }

    pub fn permits(&self, system: &str, command: &str) -> bool {
        let rule = self.rules.get(system).or_else(|| self.rules.get("*"));
        match rule {
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
        assert!(Allow::parse("*=*")
            .unwrap()
            .permits("anyone", "open-centre"));
        assert!(Allow::parse("nonsense").is_err());
    }
}
