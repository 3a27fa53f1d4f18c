//! The workforce service: validates workforce commands (salaried posts,
//! hires, departures, installations) and appends their events to
//! `ledger.workforce.v1`, of which it is the only writer. It follows
//! `ledger.centres.v1` to know which centres are open, and hosts the
//! erasable personal-data store (`/v1/persons`) whose pseudonymous ids its
//! events carry.

mod config;

use ledger_domain::workforce::{WorkforceBook, WorkforceCommand};
use ledger_http::auth::Role;
use ledger_kafka::Topics;
use ledger_writer::{command_table, EmittingService, ParseCommand, ServiceError, ServiceSpec};

pub use config::Config;

/// Decodes each command of the workforce service by its name in
/// `POST /v1/commands/{name}` (also used by tools that append directly).
pub const COMMANDS: ParseCommand<WorkforceCommand> = command_table!("workforce", WorkforceCommand {
    "open-post" => OpenPost,
    "close-post" => ClosePost,
    "hire-professional" => HireProfessional,
    "record-departure" => RecordDeparture,
    "record-installation" => RecordInstallation,
});

/// Builds the service: listening, fenced, state rebuilt, ready.
pub async fn build(config: Config) -> Result<EmittingService, ServiceError> {
    let topics = Topics::new(&config.emitter.topic_namespace);
    let writer = config
        .emitter
        .writer(
            &topics.workforce,
            &config.transactional_id,
            vec![topics.centres.clone()],
        )?
        .naming_persons()?;
    // The store issues the pseudonyms this writer checks, under the same keys.
    let issuing = writer
        .pseudonyms
        .clone()
        .ok_or(ledger_writer::KeyFileError::MissingPseudonyms)?;
    let persons = ledger_persons::Persons::connect(
        &config.persons_database_url,
        &config.person_keys_database_url,
        issuing,
    )
    .await
    .map_err(|err| ServiceError::Dependency(format!("personal-data store: {err}")))?;
    let spec = ServiceSpec {
        name: "workforce",
        listen: config.listen,
        writer,
        parse: COMMANDS,
        extra_routes: vec![
            (ledger_persons::router(persons.clone()), Role::Persons),
            (ledger_persons::access_log_router(persons), Role::Ops),
        ],
        tokens_file: config.emitter.tokens_file.clone(),
        insecure_no_auth: config.emitter.insecure_no_auth,
    };
    EmittingService::build::<WorkforceBook>(spec).await
}
