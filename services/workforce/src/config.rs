//! Every setting of the workforce service: a flag, an environment variable and
//! a default that works on the local stack.

use std::net::SocketAddr;

use ledger_writer::EmitterArgs;

#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "workforce",
    about = "The workforce service of the programme ledger",
    version
)]
pub struct Config {
    /// Address the HTTP interface listens on (port 0 picks a free port).
    #[arg(
        long,
        env = "LEDGER_WORKFORCE_LISTEN",
        default_value = "127.0.0.1:18083"
    )]
    pub listen: SocketAddr,

    /// Transactional id of this service's producer. Two instances with the
    /// same id fence each other: only the newest can append.
    #[arg(
        long,
        env = "LEDGER_WORKFORCE_TRANSACTIONAL_ID",
        default_value = "ledger-workforce"
    )]
    pub transactional_id: String,

    /// PostgreSQL URL of the personal-data store (created if missing).
    #[arg(
        long,
        env = "LEDGER_PERSONS_DATABASE_URL",
        default_value = "postgres://ledger:ledger@127.0.0.1:25432/ledger_persons"
    )]
    pub persons_database_url: String,

    /// PostgreSQL URL of the personal-data store's key database, apart from
    /// the sealed details (created if missing): erasing a person deletes its
    /// key there.
    #[arg(
        long,
        env = "LEDGER_PERSON_KEYS_DATABASE_URL",
        default_value = "postgres://ledger:ledger@127.0.0.1:25432/ledger_person_keys"
    )]
    pub person_keys_database_url: String,

    #[command(flatten)]
    pub emitter: EmitterArgs,
}
