//! The obligations service: validates obligation commands (start, fulfil,
//! breach) and appends their events to `ledger.obligations.v1`, of which it
//! is the only writer. It follows `ledger.grants.v1` to know which grants
//! exist; the grants service reacts to its breaches.

mod config;

use ledger_domain::obligations::{ObligationsBook, ObligationsCommand};
use ledger_kafka::Topics;
use ledger_writer::{command_table, EmittingService, ParseCommand, ServiceError, ServiceSpec};

pub use config::Config;

/// Decodes each command of the obligations service by its name in
/// `POST /v1/commands/{name}` (also used by tools that append directly).
pub const COMMANDS: ParseCommand<ObligationsCommand> = command_table!("obligations", ObligationsCommand {
    "start-obligation" => StartObligation,
    "fulfil-obligation" => FulfilObligation,
    "breach-obligation" => BreachObligation,
});

/// Builds the service: listening, fenced, state rebuilt, ready.
pub async fn build(config: Config) -> Result<EmittingService, ServiceError> {
    let topics = Topics::new(&config.emitter.topic_namespace);
    let spec = ServiceSpec {
        name: "obligations",
        listen: config.listen,
        writer: config
            .emitter
            .writer(
                &topics.obligations,
                &config.transactional_id,
                vec![topics.grants.clone()],
            )?
            .naming_persons()?,
        parse: COMMANDS,
        extra_routes: Vec::new(),
        tokens_file: config.emitter.tokens_file.clone(),
        insecure_no_auth: config.emitter.insecure_no_auth,
    };
    EmittingService::build::<ObligationsBook>(spec).await
}
