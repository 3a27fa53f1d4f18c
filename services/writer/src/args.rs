//! Settings every emitting service shares, flattened into each one's config.

use std::path::PathBuf;

use ledger_kafka::KafkaConfig;

use ledger_proto::registry::Context;

use crate::{KeyFileError, Signing, SnapshotConfig, WriterConfig};

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

    /// This service's Ed25519 private key (PKCS#8 PEM), which signs every
    /// event it appends; kept outside the log, readable by the service only.
    #[arg(long, env = "LEDGER_SIGNING_KEY_FILE")]
    pub signing_key_file: Option<PathBuf>,

    /// The key ring: which public key may sign for which context
    /// (docs/security.md). Checked on every record read back or followed.
    #[arg(long, env = "LEDGER_TRUSTED_KEYS_FILE")]
    pub trusted_keys_file: Option<PathBuf>,

    /// The personal-data store's pseudonym keys (docs/security.md): every
    /// person id a command names must be one the store issued. Required by
    /// the services whose commands name persons.
    #[arg(long, env = "LEDGER_PSEUDONYM_KEY_FILE")]
    pub pseudonym_key_file: Option<PathBuf>,

    /// Streams appended to that call for a signed checkpoint of the log's
    /// heads (docs/security.md).
    #[arg(long, env = "LEDGER_CHECKPOINT_EVERY", default_value_t = crate::checkpoint::MOST_HEADS)]
    pub checkpoint_every: usize,

    /// Seconds of quiet after which a writer with streams not yet covered
    /// by a checkpoint writes one.
    #[arg(long, env = "LEDGER_CHECKPOINT_SECONDS", default_value_t = 60)]
    pub checkpoint_seconds: u64,
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
            signing_key_file: None,
            trusted_keys_file: None,
            pseudonym_key_file: None,
            checkpoint_every: crate::checkpoint::MOST_HEADS,
            checkpoint_seconds: 60,
        }
    }

    /// The writer of `topic`, fenced by `transactional_id`, observing the
    /// `follow` topics, signing with its key.
    pub fn writer(
        &self,
        topic: &str,
        transactional_id: &str,
        follow: Vec<String>,
    ) -> Result<WriterConfig, KeyFileError> {
        let (Some(key), Some(ring)) = (&self.signing_key_file, &self.trusted_keys_file) else {
            return Err(KeyFileError::Missing);
        };
        let context = Context::of_topic(topic).ok_or(KeyFileError::Missing)?;
        let signing = Signing::load(key, ring, context)?;
        let pseudonyms = self
            .pseudonym_key_file
            .as_deref()
            .map(crate::load_pseudonyms)
            .transpose()?;
        Ok(WriterConfig {
            kafka: self.kafka.clone(),
            topic: topic.to_owned(),
            transactional_id: transactional_id.to_owned(),
            max_batch: self.max_batch,
            follow,
            snapshots: self.snapshot_dir.as_ref().map(|dir| SnapshotConfig {
                dir: dir.clone(),
                every: self.snapshot_every,
            }),
            signing,
            pseudonyms,
            checkpoints: crate::CheckpointPolicy {
                every: self.checkpoint_every.max(1),
                quiet: std::time::Duration::from_secs(self.checkpoint_seconds.max(1)),
            },
        })
    }
}
