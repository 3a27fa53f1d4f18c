//! The grants service: validates grants-context commands (programmes,
//! targets, envelopes, grants, payments, recoveries, loans, guarantees) and
//! appends their events to `ledger.grants.v1`, of which it is the only
//! writer. It follows `ledger.obligations.v1` and orders the recovery each
//! breach calls for.

mod config;

use ledger_domain::grants::{GrantsBook, GrantsCommand};
use ledger_kafka::Topics;
use ledger_writer::{command_table, EmittingService, ParseCommand, ServiceError, ServiceSpec};

pub use config::Config;

/// Decodes each command of the grants service by its name in
/// `POST /v1/commands/{name}` (also used by tools that append directly).
pub const COMMANDS: ParseCommand<GrantsCommand> = command_table!("grants", GrantsCommand {
    "declare-programme" => DeclareProgramme,
    "set-target" => SetTarget,
    "open-envelope" => OpenEnvelope,
    "revise-envelope" => ReviseEnvelope,
    "award-grant" => AwardGrant,
    "amend-grant" => AmendGrant,
    "cancel-grant" => CancelGrant,
    "make-payment" => MakePayment,
    "order-recovery" => OrderRecovery,
    "receive-recovery" => ReceiveRecovery,
    "grant-loan-guarantee" => GrantLoanGuarantee,
    "release-loan-guarantee" => ReleaseLoanGuarantee,
    "grant-loan" => GrantLoan,
    "close-envelope" => CloseEnvelope,
    "close-grant" => CloseGrant,
    "vote-credits" => VoteCredits,
    "adjust-recovery" => AdjustRecovery,
    "schedule-recovery" => ScheduleRecovery,
    "repay-loan" => RepayLoan,
    "write-off-loan" => WriteOffLoan,
    "report-guaranteed-loan" => ReportGuaranteedLoan,
    "call-loan-guarantee" => CallLoanGuarantee,
    "record-indicator" => RecordIndicator,
});

/// Builds the service: listening, fenced, state rebuilt, ready.
pub async fn build(config: Config) -> Result<EmittingService, ServiceError> {
    let topics = Topics::new(&config.emitter.topic_namespace);
    let spec = ServiceSpec {
        name: "grants",
        listen: config.listen,
        writer: config
            .emitter
            .writer(
                &topics.grants,
                &config.transactional_id,
                vec![topics.obligations.clone()],
            )?
            .naming_persons()?,
        parse: COMMANDS,
        extra_routes: Vec::new(),
        tokens_file: config.emitter.tokens_file.clone(),
        insecure_no_auth: config.emitter.insecure_no_auth,
    };
    EmittingService::build::<GrantsBook>(spec).await
}
