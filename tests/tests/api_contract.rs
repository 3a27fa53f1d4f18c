//! The read API keeps its own OpenAPI document: schemathesis, every check
//! and every phase (tests/contract/run.sh), once with each role's token, on
//! a ledger holding an envelope and a grant. Zero failures is the bar.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::{path::PathBuf, process::Command};

use ledger_tests::TestLedger;

#[tokio::test]
async fn schemathesis_finds_no_contract_failure_for_any_role() {
    let ledger = TestLedger::with_envelope(1_000_000).await.unwrap();
    let awarded = ledger
        .accepted(
            "award-grant",
            ledger_tests::award("g-contract", "cvl-msp", 100_000),
        )
        .await;
    ledger.get_ok_after("/v1/grants", &[awarded]).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contract/run.sh");
    let base = ledger.api_url("");
    for role in ["controller", "ops"] {
        let mut schemathesis = Command::new("bash");
        schemathesis.arg(&script).arg(&base).arg(ledger.token(role));
        ledger_tests::run_outside(schemathesis, &format!("schemathesis as {role}")).await;
    }
    ledger.shutdown().await;
}
