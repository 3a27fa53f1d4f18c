//! The dashboard (docs/dashboard.md) in a real browser: Debian's chromium,
//! headless, driven by playwright-core (tests/browser/dashboard.mjs) on the
//! seed programmes, as command 1 loads them. Screenshots of every page go to
//! target/dashboard/.
//!
//! `deploy/local/install.sh browser` installs chromium and the npm packages
//! (command 2 runs it first); without them this test fails, saying so.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::{path::PathBuf, process::Command};

use ledger_tests::TestLedger;

#[tokio::test]
async fn the_dashboard_shows_the_seed_figures_in_chromium() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let browser = root.join("tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").is_dir()
            && std::path::Path::new("/usr/bin/chromium").exists(),
        "the browser tests need chromium and playwright-core: run deploy/local/install.sh browser"
    );
    let mut ledger = TestLedger::start().await.unwrap();
    ledger.load_seed().await.unwrap();
    let screenshots = root.join("target/dashboard");
    std::fs::create_dir_all(&screenshots).unwrap();
    let ui = ledger.api_url("/");
    let controller = ledger.token("controller");
    let ops = ledger.token("ops");
    let mut node = Command::new("node");
    node.arg("--test")
        .arg("--test-reporter=spec")
        .arg(browser.join("dashboard.mjs"))
        .env("LEDGER_UI", ui)
        .env("LEDGER_CONTROLLER_TOKEN", controller)
        .env("LEDGER_OPS_TOKEN", ops)
        .env("LEDGER_SCREENSHOTS", screenshots);
    ledger_tests::run_outside(node, "the browser tests").await;
    ledger.shutdown().await;
}
