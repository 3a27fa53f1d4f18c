//! Each emitting service serves exactly the commands the contract's one
//! table (`ledger_proto::registry`) gives its context: every name of its own
//! is parsed, every other context's is unknown to it.

use axum::http::HeaderMap;
use bytes::Bytes;
use ledger_proto::registry::{Context, COMMANDS};
use ledger_writer::service::ParseCommand;

/// Whether the service's table knows the command (a known one may still
/// refuse the empty body; an unknown one answers `unknown_command`).
fn knows<C>(table: ParseCommand<C>, name: &str) -> bool {
    match table(name, &HeaderMap::new(), &Bytes::from_static(b"{}")) {
        Ok(_) => true,
        Err(err) => err.code != "unknown_command",
    }
}

fn serves(context: Context, name: &str) -> bool {
    match context {
        Context::Grants => knows(ledger_grants::COMMANDS, name),
        Context::Workforce => knows(ledger_workforce::COMMANDS, name),
        Context::Centres => knows(ledger_centres::COMMANDS, name),
        Context::Obligations => knows(ledger_obligations::COMMANDS, name),
    }
}

#[test]
fn every_service_serves_exactly_the_commands_of_its_context() {
    for (name, owner) in COMMANDS {
        for context in Context::ALL {
            assert_eq!(
                serves(context, name),
                context == *owner,
                "{name}: owned by {}, asked of {}",
                owner.name(),
                context.name()
            );
        }
    }
}
