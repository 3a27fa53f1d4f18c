//! The bounded contexts and the commands each one owns: the one table from
//! which command routing (the inbound gateway), the seed loader's and the
//! tests' owner lookups all derive. A command added to the contract's
//! `InboundCommand` without a line here does not compile (the `match`es the
//! table generates are exhaustive).

use crate::v1::inbound_command::Command;
use prost::Message;

/// A bounded context: one emitting service, one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Grants,
    Workforce,
    Centres,
    Obligations,
}

impl Context {
    pub const ALL: [Context; 4] = [
        Context::Grants,
        Context::Workforce,
        Context::Centres,
        Context::Obligations,
    ];

    /// The context whose event topic `topic` is: `ledger.<name>.v1`, under
    /// any namespace prefix (`t42.ledger.grants.v1`).
    pub fn of_topic(topic: &str) -> Option<Context> {
        let rest = topic.strip_suffix(".v1")?;
        let name = rest
            .rsplit_once("ledger.")
            .map(|(before, name)| (before.is_empty() || before.ends_with('.')).then_some(name))??;
        Context::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The service's name (and its topic's: `ledger.<name>.v1`).
    pub fn name(self) -> &'static str {
        match self {
            Context::Grants => "grants",
            Context::Workforce => "workforce",
            Context::Centres => "centres",
            Context::Obligations => "obligations",
        }
    }
}

macro_rules! commands {
    ($($variant:ident => $context:ident, $name:literal);* $(;)?) => {
        /// Every command of the contract: its name (`/v1/commands/{name}`)
        /// and the context that owns it.
        pub const COMMANDS: &[(&str, Context)] = &[$(($name, Context::$context)),*];

        /// The owning context and name of an inbound command, and its body
        /// as the owner's protobuf endpoint takes it.
        pub fn route(command: &Command) -> (Context, &'static str, Vec<u8>) {
            match command {
                $(Command::$variant(c) => (Context::$context, $name, c.encode_to_vec()),)*
            }
        }
    };
}

commands! {
    DeclareProgramme => Grants, "declare-programme";
    SetTarget => Grants, "set-target";
    OpenEnvelope => Grants, "open-envelope";
    ReviseEnvelope => Grants, "revise-envelope";
    AwardGrant => Grants, "award-grant";
    AmendGrant => Grants, "amend-grant";
    CancelGrant => Grants, "cancel-grant";
    MakePayment => Grants, "make-payment";
    OrderRecovery => Grants, "order-recovery";
    ReceiveRecovery => Grants, "receive-recovery";
    GrantLoanGuarantee => Grants, "grant-loan-guarantee";
    ReleaseLoanGuarantee => Grants, "release-loan-guarantee";
    GrantLoan => Grants, "grant-loan";
    CloseEnvelope => Grants, "close-envelope";
    CloseGrant => Grants, "close-grant";
    VoteCredits => Grants, "vote-credits";
    AdjustRecovery => Grants, "adjust-recovery";
    ScheduleRecovery => Grants, "schedule-recovery";
    RepayLoan => Grants, "repay-loan";
    WriteOffLoan => Grants, "write-off-loan";
    ReportGuaranteedLoan => Grants, "report-guaranteed-loan";
    CallLoanGuarantee => Grants, "call-loan-guarantee";
    RecordIndicator => Grants, "record-indicator";
    OpenPost => Workforce, "open-post";
    ClosePost => Workforce, "close-post";
    HireProfessional => Workforce, "hire-professional";
    RecordDeparture => Workforce, "record-departure";
    RecordInstallation => Workforce, "record-installation";
    OpenCentre => Centres, "open-centre";
    CloseCentre => Centres, "close-centre";
    ReportActivity => Centres, "report-activity";
    AddMember => Centres, "add-member";
    StartObligation => Obligations, "start-obligation";
    FulfilObligation => Obligations, "fulfil-obligation";
    BreachObligation => Obligations, "breach-obligation";
}

/// The context that owns the command named `name`, if there is one.
pub fn owner_of(name: &str) -> Option<Context> {
    COMMANDS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, context)| *context)
}

/// The names of the commands `context` owns, in the table's order.
pub fn commands_of(context: Context) -> impl Iterator<Item = &'static str> {
    COMMANDS
        .iter()
        .filter(move |(_, owner)| *owner == context)
        .map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_one_owner_and_names_are_unique() {
        let mut names: Vec<&str> = COMMANDS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
        assert_eq!(owner_of("hire-professional"), Some(Context::Workforce));
        assert_eq!(owner_of("no-such-command"), None);
        assert_eq!(commands_of(Context::Obligations).count(), 3);
    }

    #[test]
    fn an_event_topic_names_its_context_under_any_namespace() {
        assert_eq!(Context::of_topic("ledger.grants.v1"), Some(Context::Grants));
        assert_eq!(
            Context::of_topic("t42.ledger.centres.v1"),
            Some(Context::Centres)
        );
        assert_eq!(Context::of_topic("ledger.inbound.v1.demo"), None);
        assert_eq!(Context::of_topic("ledger.deadletter.v1"), None);
        assert_eq!(Context::of_topic("xledger.grants.v1"), None);
    }
}
