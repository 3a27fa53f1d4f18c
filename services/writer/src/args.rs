//! Settings every emitting service shares, flattened into each one's config.

/// Kafka settings of an emitting service.
#[derive(Debug, Clone, clap::Args)]
pub struct EmitterArgs {
    /// Kafka bootstrap servers.
    #[arg(long, env = "LEDGER_KAFKA_BROKERS", default_value = "127.0.0.1:29092")]
    pub kafka_brokers: String,

    /// Prefix of every topic name ("" for the production names such as
    /// `ledger.grants.v1`); tests use one namespace each.
    #[arg(long, env = "LEDGER_TOPIC_NAMESPACE", default_value = "")]
    pub topic_namespace: String,

    /// Most commands appended in one Kafka transaction (group commit).
    #[arg(long, env = "LEDGER_MAX_BATCH", default_value_t = 512)]
    pub max_batch: usize,
}

impl EmitterArgs {
    /// Settings for tests: the given broker and namespace, default batch.
    pub fn new(kafka_brokers: impl Into<String>, topic_namespace: impl Into<String>) -> Self {
        Self {
            kafka_brokers: kafka_brokers.into(),
            topic_namespace: topic_namespace.into(),
            max_batch: 512,
        }
    }
}
