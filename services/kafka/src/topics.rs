//! Topic names and the coordinates of a record.

use serde::{Deserialize, Serialize};

/// Header carrying the payload's message name (e.g. `GrantAwarded`), so that
/// tools can route or filter records without decoding them.
pub const EVENT_TYPE_HEADER: &str = "ledger-event-type";

/// The ledger's topics. A namespace prefixes every name so that tests (and
/// several ledgers on one cluster) never share topics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    /// The prefix itself ("" for the production names).
    pub namespace: String,
    pub grants: String,
    pub workforce: String,
    pub centres: String,
    pub obligations: String,
    pub inbound: String,
    pub results: String,
    pub deadletter: String,
}

impl Topics {
    /// Names under `namespace`: "" gives `ledger.grants.v1`, "t42" gives
    /// `t42.ledger.grants.v1`.
    pub fn new(namespace: &str) -> Self {
        let name = |base: &str| {
            if namespace.is_empty() {
                format!("ledger.{base}.v1")
            } else {
                format!("{namespace}.ledger.{base}.v1")
            }
        };
        Self {
            namespace: namespace.to_owned(),
            grants: name("grants"),
            workforce: name("workforce"),
            centres: name("centres"),
            obligations: name("obligations"),
            inbound: name("inbound"),
            results: name("results"),
            deadletter: name("deadletter"),
        }
    }

    /// The inbound topic of one source system, `ledger.inbound.v1.<system>`:
    /// only that system's Kafka user may write it, so whatever arrives there
    /// comes from that system (docs/security.md).
    pub fn inbound_of(&self, system: &str) -> String {
        format!("{}.{system}", self.inbound)
    }

    /// The results topic of one source system, `ledger.results.v1.<system>`,
    /// which only that system (and the gateway) may read.
    pub fn results_of(&self, system: &str) -> String {
        format!("{}.{system}", self.results)
    }

    /// The source system whose inbound topic `topic` is.
    pub fn system_of_inbound<'a>(&self, topic: &'a str) -> Option<&'a str> {
        topic
            .strip_prefix(self.inbound.as_str())
            .and_then(|rest| rest.strip_prefix('.'))
            .filter(|system| !system.is_empty())
    }

    /// The name of a program's Kafka group or id under this namespace:
    /// `ledger-projector.ledger`, or `t42-projector.ledger` under `t42` (the
    /// names the ACLs grant, deploy/local/kafka/acls.txt).
    pub fn client_name(&self, program: &str, suffix: &str) -> String {
        let owner = if self.namespace.is_empty() {
            "ledger"
        } else {
            &self.namespace
        };
        format!("{owner}-{program}.{suffix}")
    }

    /// The topics holding events (the source of truth), in a stable order.
    pub fn event_topics(&self) -> [&str; 4] {
        [
            &self.grants,
            &self.workforce,
            &self.centres,
            &self.obligations,
        ]
    }

    /// Every topic with its designed settings, except the inbound and
    /// results topics of each source system ([`Topics::inbound_of`]), made
    /// when a system joins.
    pub fn specs(&self, partitions: i32) -> Vec<TopicSpec> {
        let all = [
            &self.grants,
            &self.workforce,
            &self.centres,
            &self.obligations,
            &self.deadletter,
        ];
        all.into_iter()
            .map(|name| TopicSpec {
                name: name.clone(),
                partitions,
            })
            .collect()
    }
}

/// A topic to create: infinite retention, never compacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: i32,
}

/// Where a record sits in Kafka; returned with every accepted command so a
/// client can wait for the read side to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_prefix_every_topic() {
        assert_eq!(Topics::new("").grants, "ledger.grants.v1");
        let t = Topics::new("t1");
        assert_eq!(t.results, "t1.ledger.results.v1");
        assert_eq!(t.specs(3).len(), 5);
    }

    #[test]
    fn each_source_system_has_its_own_inbound_and_results_topics() {
        let t = Topics::new("");
        assert_eq!(
            t.inbound_of("rh-occitanie"),
            "ledger.inbound.v1.rh-occitanie"
        );
        assert_eq!(t.results_of("demo"), "ledger.results.v1.demo");
        assert_eq!(t.system_of_inbound("ledger.inbound.v1.demo"), Some("demo"));
        assert_eq!(t.system_of_inbound("ledger.inbound.v1"), None);
        assert_eq!(t.system_of_inbound("ledger.inbound.v1x.demo"), None);
        assert_eq!(t.system_of_inbound("ledger.results.v1.demo"), None);
    }
}
