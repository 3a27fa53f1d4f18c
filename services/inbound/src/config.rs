//! Every setting of the inbound gateway.

use std::net::SocketAddr;

#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "inbound",
    about = "Protobuf commands from other systems, one result each",
    version
)]
pub struct Config {
    /// Address of the health and metrics endpoints (port 0 picks one).
    #[arg(long, env = "LEDGER_INBOUND_LISTEN", default_value = "127.0.0.1:18086")]
    pub listen: SocketAddr,

    /// The Kafka cluster and this program's login to it.
    #[command(flatten)]
    pub kafka: ledger_kafka::KafkaConfig,

    /// Prefix of every topic name ("" for `ledger.inbound.v1` and the like).
    #[arg(long, env = "LEDGER_TOPIC_NAMESPACE", default_value = "")]
    pub topic_namespace: String,

    /// Transactional id of the results producer (fences older instances).
    #[arg(
        long,
        env = "LEDGER_INBOUND_TRANSACTIONAL_ID",
        default_value = "ledger-inbound"
    )]
    pub transactional_id: String,

    /// Which source system may send which commands:
    /// `system=command,command;system=*`, commands by their HTTP names
    /// (`award-grant`); `*` allows every command. A system not listed is
    /// refused.
    #[arg(long, env = "LEDGER_INBOUND_ALLOW", default_value = "")]
    pub allow: String,

    /// Base URL of the grants service.
    #[arg(
        long,
        env = "LEDGER_GRANTS_URL",
        default_value = "http://127.0.0.1:18081"
    )]
    pub grants_url: String,

    /// Base URL of the workforce service.
    #[arg(
        long,
        env = "LEDGER_WORKFORCE_URL",
        default_value = "http://127.0.0.1:18083"
    )]
    pub workforce_url: String,

    /// Base URL of the centres service.
    #[arg(
        long,
        env = "LEDGER_CENTRES_URL",
        default_value = "http://127.0.0.1:18084"
    )]
    pub centres_url: String,

    /// Base URL of the obligations service.
    #[arg(
        long,
        env = "LEDGER_OBLIGATIONS_URL",
        default_value = "http://127.0.0.1:18085"
    )]
    pub obligations_url: String,

    /// Bearer token the gateway presents to the emitting services: an
    /// `integrator` token for source system `*`, since the gateway answers
    /// for many systems (its allow rules decide which may do what).
    #[arg(long, env = "LEDGER_INBOUND_TOKEN")]
    pub token: Option<String>,
}
