//! Every setting of the grants service: a flag, an environment variable and
//! a default that works on the local stack.

use std::net::SocketAddr;

#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "grants",
    about = "The grants service of the programme ledger",
    version
)]
pub struct Config {
    /// Address the HTTP interface listens on (port 0 picks a free port).
    #[arg(long, env = "LEDGER_GRANTS_LISTEN", default_value = "127.0.0.1:18081")]
    pub listen: SocketAddr,

    /// Kafka bootstrap servers.
    #[arg(long, env = "LEDGER_KAFKA_BROKERS", default_value = "127.0.0.1:29092")]
    pub kafka_brokers: String,

    /// Prefix of every topic name ("" for the production names such as
    /// `ledger.grants.v1`); tests use one namespace each.
    #[arg(long, env = "LEDGER_TOPIC_NAMESPACE", default_value = "")]
    pub topic_namespace: String,

    /// Transactional id of this service's producer. Two instances with the
    /// same id fence each other: only the newest can append.
    #[arg(
        long,
        env = "LEDGER_GRANTS_TRANSACTIONAL_ID",
        default_value = "ledger-grants"
    )]
    pub transactional_id: String,

    /// Most commands appended in one Kafka transaction (group commit).
    #[arg(long, env = "LEDGER_GRANTS_MAX_BATCH", default_value_t = 512)]
    pub max_batch: usize,
}
