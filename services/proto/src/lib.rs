//! The `ledger.v1` contract as Rust types.
//!
//! Generated at build time from `proto/`; see that folder for the documented
//! `.proto` files, which are the source of truth for integrators.

/// Package `ledger.v1`: events, commands, inbound envelope and results.
pub mod v1 {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/ledger.v1.rs"));
    include!(concat!(env!("OUT_DIR"), "/ledger.v1.serde.rs"));
}

pub mod registry;

/// The encoded `FileDescriptorSet` of the contract, for tools that decode
/// events generically (inspection, JSON export).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/ledger_descriptor.bin"));

pub use pbjson_types::Timestamp;
pub use prost::Message;

impl v1::event_envelope::Payload {
    /// The event's message name, as written in the `ledger-event-type` header
    /// and in the read model.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::ProgrammeDeclared(_) => "ProgrammeDeclared",
            Self::TargetSet(_) => "TargetSet",
            Self::EnvelopeOpened(_) => "EnvelopeOpened",
            Self::EnvelopeRevised(_) => "EnvelopeRevised",
            Self::GrantAwarded(_) => "GrantAwarded",
            Self::GrantAmended(_) => "GrantAmended",
            Self::GrantCancelled(_) => "GrantCancelled",
            Self::PaymentMade(_) => "PaymentMade",
            Self::RecoveryOrdered(_) => "RecoveryOrdered",
            Self::RecoveryReceived(_) => "RecoveryReceived",
            Self::LoanGuaranteeGranted(_) => "LoanGuaranteeGranted",
            Self::LoanGuaranteeReleased(_) => "LoanGuaranteeReleased",
            Self::LoanGranted(_) => "LoanGranted",
            Self::PostOpened(_) => "PostOpened",
            Self::PostClosed(_) => "PostClosed",
            Self::ProfessionalHired(_) => "ProfessionalHired",
            Self::ProfessionalLeft(_) => "ProfessionalLeft",
            Self::ProfessionalInstalled(_) => "ProfessionalInstalled",
            Self::CentreOpened(_) => "CentreOpened",
            Self::CentreClosed(_) => "CentreClosed",
            Self::ActivityReported(_) => "ActivityReported",
            Self::MemberJoined(_) => "MemberJoined",
            Self::ObligationStarted(_) => "ObligationStarted",
            Self::ObligationFulfilled(_) => "ObligationFulfilled",
            Self::ObligationBreached(_) => "ObligationBreached",
            Self::EnvelopeClosed(_) => "EnvelopeClosed",
            Self::GrantClosed(_) => "GrantClosed",
            Self::CreditsVoted(_) => "CreditsVoted",
            Self::RecoveryAdjusted(_) => "RecoveryAdjusted",
            Self::RecoveryScheduled(_) => "RecoveryScheduled",
            Self::LoanRepaid(_) => "LoanRepaid",
            Self::LoanWrittenOff(_) => "LoanWrittenOff",
            Self::GuaranteedLoanReported(_) => "GuaranteedLoanReported",
            Self::LoanGuaranteeCalled(_) => "LoanGuaranteeCalled",
            Self::IndicatorRecorded(_) => "IndicatorRecorded",
            Self::ChainCheckpoint(_) => "ChainCheckpoint",
        }
    }
}
