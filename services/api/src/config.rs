//! Every setting of the read API.

use std::net::SocketAddr;

#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "ledger-api",
    about = "The read API of the programme ledger",
    version
)]
pub struct Config {
    /// Address the HTTP interface listens on (port 0 picks a free port).
    #[arg(long, env = "LEDGER_API_LISTEN", default_value = "127.0.0.1:18080")]
    pub listen: SocketAddr,

    /// PostgreSQL connection URL of the read model.
    #[arg(
        long,
        env = "LEDGER_DATABASE_URL",
        default_value = "postgres://ledger:ledger@127.0.0.1:25432/ledger"
    )]
    pub database_url: String,

    /// The projection whose offsets read-your-writes waits on.
    #[arg(long, env = "LEDGER_PROJECTION", default_value = "ledger")]
    pub projection: String,

    /// The Kafka cluster and this program's login to it.
    #[command(flatten)]
    pub kafka: ledger_kafka::KafkaConfig,

    /// Bearer tokens and their roles (see docs/api.md), re-read when it
    /// changes. Required, unless --insecure-no-auth.
    #[arg(long, env = "LEDGER_TOKENS_FILE")]
    pub tokens_file: Option<std::path::PathBuf>,

    /// Start without a tokens file, with access control OFF: for loopback
    /// development only (the local stack never uses it).
    #[arg(long, env = "LEDGER_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,

    /// Connections in the pool.
    #[arg(long, env = "LEDGER_API_MAX_CONNECTIONS", default_value_t = 16)]
    pub max_connections: u32,

    /// Requests one caller (one token's name) may have in flight at once;
    /// past it, `429 too_many_requests` with `Retry-After`.
    #[arg(
        long,
        env = "LEDGER_API_MAX_IN_FLIGHT_PER_CALLER",
        default_value_t = 64
    )]
    pub max_in_flight_per_caller: usize,
}
