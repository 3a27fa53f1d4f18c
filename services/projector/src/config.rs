//! Every setting of the projector.

use std::{net::SocketAddr, time::Duration};

#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "projector",
    about = "Builds the ledger's PostgreSQL read model from Kafka",
    version
)]
pub struct Config {
    /// Address of the health, metrics and status endpoints (port 0 picks one).
    #[arg(
        long,
        env = "LEDGER_PROJECTOR_LISTEN",
        default_value = "127.0.0.1:18082"
    )]
    pub listen: SocketAddr,

    /// The Kafka cluster and this program's login to it.
    #[command(flatten)]
    pub kafka: ledger_kafka::KafkaConfig,

    /// Prefix of every topic name ("" for `ledger.grants.v1` and the like).
    #[arg(long, env = "LEDGER_TOPIC_NAMESPACE", default_value = "")]
    pub topic_namespace: String,

    /// PostgreSQL connection URL of the read model.
    #[arg(
        long,
        env = "LEDGER_DATABASE_URL",
        default_value = "postgres://ledger:ledger@127.0.0.1:25432/ledger"
    )]
    pub database_url: String,

    /// The key ring: which public key may sign for which context
    /// (docs/security.md). A record no trusted key signed stops its
    /// partition.
    #[arg(long, env = "LEDGER_TRUSTED_KEYS_FILE")]
    pub trusted_keys_file: std::path::PathBuf,

    /// Name under which this projection stores its offsets.
    #[arg(long, env = "LEDGER_PROJECTION", default_value = "ledger")]
    pub projection: String,

    /// Most records applied in one PostgreSQL transaction. Under load a
    /// batch is whatever arrived while the previous one was being written,
    /// up to this many.
    #[arg(long, env = "LEDGER_PROJECTOR_MAX_BATCH", default_value_t = 5000)]
    pub max_batch: usize,

    /// How long a batch waits for more records after its first before it is
    /// written: longer makes fewer, larger transactions; shorter keeps the
    /// view fresher.
    #[arg(long, env = "LEDGER_PROJECTOR_LINGER", default_value = "2ms", value_parser = parse_duration)]
    pub linger: Duration,

    /// How many transactions write one batch at the same time, each for a
    /// group of partitions (partitions touch disjoint rows).
    #[arg(long, env = "LEDGER_PROJECTOR_WRITERS", default_value_t = 2)]
    pub writers: usize,

    /// How long this instance's claim on a partition lasts without a
    /// heartbeat (heartbeats every third of it). After a crash, another
    /// instance takes the partitions over once the lease has run out.
    #[arg(long, env = "LEDGER_PROJECTOR_LEASE", default_value = "6s", value_parser = parse_duration)]
    pub lease: Duration,
}

/// Parses `250ms`, `2s` or a bare number of milliseconds.
fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (number, unit) = match raw.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => raw.split_at(at),
        None => (raw, "ms"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration such as 20ms or 2s"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        _ => Err(format!("{raw:?}: use ms or s")),
    }
}
