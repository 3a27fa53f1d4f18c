//! The centres service: validates centres commands (openings, closings,
//! monthly activity, members of groupings) and appends their events to
//! `ledger.centres.v1`, of which it is the only writer.

mod config;

use ledger_domain::centres::{CentresBook, CentresCommand};
use ledger_kafka::Topics;
use ledger_writer::{command_table, EmittingService, ParseCommand, ServiceError, ServiceSpec};

pub use config::Config;

/// Decodes each command of the centres service by its name in
/// `POST /v1/commands/{name}` (also used by tools that append directly).
pub const COMMANDS: ParseCommand<CentresCommand> = command_table!("centres", CentresCommand {
    "open-centre" => OpenCentre,
    "close-centre" => CloseCentre,
    "report-activity" => ReportActivity,
    "add-member" => AddMember,
});

/// Builds the service: listening, fenced, state rebuilt, ready.
pub async fn build(config: Config) -> Result<EmittingService, ServiceError> {
    let topics = Topics::new(&config.emitter.topic_namespace);
    let spec = ServiceSpec {
        name: "centres",
        listen: config.listen,
        writer: config
            .emitter
            .writer(&topics.centres, &config.transactional_id, Vec::new())?,
        parse: COMMANDS,
        extra_routes: Vec::new(),
        tokens_file: config.emitter.tokens_file.clone(),
        insecure_no_auth: config.emitter.insecure_no_auth,
    };
    EmittingService::build::<CentresBook>(spec).await
}
