//! Settings every emitting service shares, flattened into each one's config.

use std::path::PathBuf;

use ledger_kafka::KafkaConfig;

use crate::{SnapshotConfig, WriterConfig};

/// Kafka settings of an emitting service.
#[derive(Debug, Clone, clap::Args)]
pub struct EmitterArgs {
    /// The Kafka cluster and this program's login to it.
    #[command(flatten)]
    pub kafka: KafkaConfig,

    /// Prefix of every topic name ("" for the production names such as
    /// `ledger.grants.v1`); tests use one namespace each.
    #[arg(long, env = "LEDGER_TOPIC_NAMESPACE", default_value = "")]
    pub topic_namespace: String,

    /// Most commands appended in one Kafka transaction (group commit).
    #[arg(long, env = "LEDGER_MAX_BATCH", default_value_t = 512)]
    pub max_batch: usize,

    /// Directory for snapshots of the service's state (one file per topic),
    /// which make start-up read only the events since the last one. Unset:
    /// every start reads the whole topic. Deleting it is always safe.
    #[arg(long, env = "LEDGER_SNAPSHOT_DIR")]
    pub snapshot_dir: Option<PathBuf>,

    /// Events folded between two snapshots.
    #[arg(long, env = "LEDGER_SNAPSHOT_EVERY", default_value_t = 100_000)]
    pub snapshot_every: u64,

    /// Bearer tokens and their roles (see docs/api.md), re-read when it
    /// changes. Required, unless --insecure-no-auth.
    #[arg(long, env = "LEDGER_TOKENS_FILE")]
    pub tokens_file: Option<PathBuf>,

    /// Start without a tokens file, with access control OFF: for loopback
    /// development only (the local stack never uses it).
    #[arg(long, env = "LEDGER_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,
}

impl EmitterArgs {
    /// Settings for tests: the given cluster and namespace, default batch.
    pub fn new(kafka: KafkaConfig, topic_namespace: impl Into<String>) -> Self {
        Self {
            kafka,
            topic_namespace: topic_namespace.into(),
            max_batch: 512,
            snapshot_dir: None,
            snapshot_every: 100_000,
            tokens_file: None,
            insecure_no_auth: false,
        }
    }

    /// The writer of `topic`, fenced by `transactional_id`, observing the
    /// `follow` topics.
    pub fn writer(&self, topic: &str, transactional_id: &str, follow: Vec<String>) -> WriterConfig {
        WriterConfig {
            kafka: self.kafka.clone(),
            topic: topic.to_owned(),
            transactional_id: transactional_id.to_owned(),
            max_batch: self.max_batch,
            follow,
            snapshots: self.snapshot_dir.as_ref().map(|dir| SnapshotConfig {
                dir: dir.clone(),
                every: self.snapshot_every,
            }),
        }
    }
}
