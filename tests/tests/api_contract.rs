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
        let token = ledger.token(role);
        let (script, base) = (script.clone(), base.clone());
        let outcome = tokio::task::spawn_blocking(move || {
            Command::new("bash")
                .arg(script)
                .arg(base)
                .arg(token)
                .output()
        })
        .await
        .unwrap()
        .expect("bash runs");
        let out = String::from_utf8_lossy(&outcome.stdout);
        let err = String::from_utf8_lossy(&outcome.stderr);
        println!("--- as {role}\n{out}");
        assert!(
            outcome.status.success(),
            "schemathesis found contract failures as {role}:\n{out}\n{err}"
        );
    }
    ledger.shutdown().await;
}
