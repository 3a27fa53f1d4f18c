//! Client settings shared by every producer and consumer: where the cluster
//! is, and who this client is to it.

use std::{fmt, path::PathBuf, str::FromStr};

use rdkafka::ClientConfig;

/// How a client talks to the brokers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SecurityProtocol {
    /// TLS to the broker, then a SCRAM-SHA-512 login: what every deployment
    /// of the ledger uses, the local stack included.
    #[value(name = "SASL_SSL", alias = "sasl_ssl")]
    SaslSsl,
    /// No encryption, no identity: only for a broker that offers nothing
    /// else (none of the project's does).
    #[value(name = "PLAINTEXT", alias = "plaintext")]
    Plaintext,
}

/// A password: shown as `***` in every `Debug` output and log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// How to reach the cluster, and as whom. Flattened into every program's
/// command line; the environment variables are the ones the deployments set.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct KafkaConfig {
    /// Kafka bootstrap servers, `host:port[,host:port…]`.
    #[arg(
        long = "kafka-brokers",
        env = "LEDGER_KAFKA_BROKERS",
        default_value = "127.0.0.1:29092",
        global = true
    )]
    pub brokers: String,

    /// `SASL_SSL` (TLS and a SCRAM-SHA-512 login) or `PLAINTEXT`.
    #[arg(
        long = "kafka-security-protocol",
        env = "LEDGER_KAFKA_SECURITY_PROTOCOL",
        default_value = "SASL_SSL",
        global = true
    )]
    pub security_protocol: SecurityProtocol,

    /// The SCRAM user this program logs in as (its Kafka principal).
    #[arg(
        long = "kafka-sasl-username",
        env = "LEDGER_KAFKA_SASL_USERNAME",
        global = true
    )]
    pub sasl_username: Option<String>,

    /// Its password. Prefer the environment variable to the flag, which
    /// other users of the machine can read in the process list.
    #[arg(
        long = "kafka-sasl-password",
        env = "LEDGER_KAFKA_SASL_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub sasl_password: Option<Secret>,

    /// PEM file of the certificate authority that signed the brokers'
    /// certificates (unset: the system's trust store).
    #[arg(long = "kafka-ca-file", env = "LEDGER_KAFKA_CA_FILE", global = true)]
    pub ca_file: Option<PathBuf>,
}

impl KafkaConfig {
    /// An anonymous, unencrypted client of `brokers`.
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            security_protocol: SecurityProtocol::Plaintext,
            sasl_username: None,
            sasl_password: None,
            ca_file: None,
        }
    }

    /// A SASL_SSL client logging in as `username`.
    pub fn scram(
        brokers: impl Into<String>,
        username: impl Into<String>,
        password: Secret,
        ca_file: Option<PathBuf>,
    ) -> Self {
        Self {
            brokers: brokers.into(),
            security_protocol: SecurityProtocol::SaslSsl,
            sasl_username: Some(username.into()),
            sasl_password: Some(password),
            ca_file,
        }
    }

    /// The same cluster, logged in as someone else.
    pub fn as_user(&self, username: impl Into<String>, password: Secret) -> Self {
        Self {
            sasl_username: Some(username.into()),
            sasl_password: Some(password),
            ..self.clone()
        }
    }

    /// The principal this client authenticates as, for messages.
    pub fn principal(&self) -> &str {
        match self.security_protocol {
            SecurityProtocol::SaslSsl => self.sasl_username.as_deref().unwrap_or("(none)"),
            SecurityProtocol::Plaintext => "ANONYMOUS",
        }
    }

    /// A transactional id for a short-lived producer of this login (a
    /// loader, a re-drive), where the ACLs let each user have its own: under
    /// the topic namespace when there is one (`t1-seed-…`), else under the
    /// user's name (`rh-occitanie.seed-…`).
    pub fn own_transactional_id(&self, topics: &crate::Topics, what: &str) -> String {
        if topics.namespace.is_empty() {
            format!("{}.{what}", self.principal())
        } else {
            format!("{}-{what}", topics.namespace)
        }
    }

    fn base(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        match self.security_protocol {
            SecurityProtocol::Plaintext => {
                config.set("security.protocol", "plaintext");
            }
            SecurityProtocol::SaslSsl => {
                // A missing user or password is left unset on purpose:
                // librdkafka then refuses to create the client, naming it.
                config
                    .set("security.protocol", "sasl_ssl")
                    .set("sasl.mechanisms", "SCRAM-SHA-512")
                    // The broker's name must match its certificate.
                    .set("ssl.endpoint.identification.algorithm", "https");
                if let Some(user) = &self.sasl_username {
                    config.set("sasl.username", user);
                }
                if let Some(password) = &self.sasl_password {
                    config.set("sasl.password", password.expose());
                }
                if let Some(ca) = &self.ca_file {
                    config.set("ssl.ca.location", ca.to_string_lossy());
                }
            }
        }
        config
    }

    /// A producer that cannot lose or duplicate: idempotent, `acks=all`,
    /// transactional under `transactional_id` (which fences older instances).
    pub fn transactional_producer(&self, transactional_id: &str) -> ClientConfig {
        let mut config = self.base();
        config
            .set("transactional.id", transactional_id)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            // Java clients hash keys with murmur2: using the same partitioner
            // keeps a key on one partition whoever writes it.
            .set("partitioner", "murmur2_random")
            .set("compression.type", "zstd")
            .set("linger.ms", "5")
            .set("transaction.timeout.ms", "60000");
        config
    }

    /// A consumer that sees committed transactions only and never commits
    /// offsets to Kafka: its owner keeps positions where they belong.
    pub fn committed_reader(&self, group_id: &str) -> ClientConfig {
        let mut config = self.base();
        config
            .set("group.id", group_id)
            .set("isolation.level", "read_committed")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "true")
            // Low fetch latency: read-your-writes waits on the projector, and
            // a service's start waits on reaching the end of its topics.
            .set("fetch.wait.max.ms", "50");
        config
    }

    /// A plain client for administration and metadata.
    pub fn admin(&self) -> ClientConfig {
        self.base()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let config = KafkaConfig::scram("b:1", "grants", Secret::new("hunter2"), None);
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("grants"));
    }

    #[test]
    fn sasl_ssl_sets_the_login_and_the_authority() {
        let config = KafkaConfig::scram("b:1", "grants", Secret::new("pw"), Some("/ca.pem".into()));
        let client = config.admin();
        assert_eq!(client.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(client.get("sasl.mechanisms"), Some("SCRAM-SHA-512"));
        assert_eq!(client.get("sasl.username"), Some("grants"));
        assert_eq!(client.get("ssl.ca.location"), Some("/ca.pem"));
    }
}
