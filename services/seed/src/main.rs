//! `ledger-seed`: loads the seed programmes into a running ledger through its
//! public interfaces, and says what it loaded.

use std::{collections::HashMap, path::PathBuf, time::Instant};

use anyhow::Context;
use clap::Parser;
use ledger_kafka::{KafkaConfig, Topics};
use ledger_seed::{load, scenario};

#[derive(Debug, Parser)]
#[command(
    name = "ledger-seed",
    about = "Loads the seed programmes (Centre-Val de Loire, Occitanie, Loir-et-Cher, Île-de-France) into a running ledger",
    version
)]
struct Args {
    #[arg(
        long,
        env = "LEDGER_GRANTS_URL",
        default_value = "http://127.0.0.1:18081"
    )]
    grants_url: String,
    #[arg(
        long,
        env = "LEDGER_WORKFORCE_URL",
        default_value = "http://127.0.0.1:18083"
    )]
    workforce_url: String,
    #[arg(
        long,
        env = "LEDGER_CENTRES_URL",
        default_value = "http://127.0.0.1:18084"
    )]
    centres_url: String,
    #[arg(
        long,
        env = "LEDGER_OBLIGATIONS_URL",
        default_value = "http://127.0.0.1:18085"
    )]
    obligations_url: String,
    /// File holding an integrator's bearer token (for source system --source-system).
    #[arg(long, env = "LEDGER_SEED_TOKEN_FILE")]
    token_file: Option<PathBuf>,
    /// Source system of the commands sent over HTTP.
    #[arg(long, default_value = "demo")]
    source_system: String,
    #[arg(long, env = "LEDGER_KAFKA_BROKERS", default_value = "127.0.0.1:29092")]
    kafka_brokers: String,
    #[arg(long, env = "LEDGER_TOPIC_NAMESPACE", default_value = "")]
    topic_namespace: String,
    /// No progress bar (for scripts).
    #[arg(long)]
    quiet: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let token = args
        .token_file
        .as_ref()
        .map(|f| std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display())))
        .transpose()?
        .map(|t| t.trim().to_owned());
    let target = load::Target {
        services: HashMap::from([
            ("grants", args.grants_url),
            ("workforce", args.workforce_url),
            ("centres", args.centres_url),
            ("obligations", args.obligations_url),
        ]),
        token,
        source_system: args.source_system,
        kafka: KafkaConfig::new(&args.kafka_brokers),
        topics: Topics::new(&args.topic_namespace),
        progress: !args.quiet,
    };
    let steps = scenario::seed_scenario();
    let started = Instant::now();
    let report = load::load(&steps, &target)
        .await
        .context("the seed scenario could not be loaded")?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "seed scenario: {} commands ({} new, {} already there, {} over the inbound topic) in {secs:.1} s, {:.0} commands/s",
        steps.len(),
        report.accepted,
        report.replayed,
        report.inbound,
        steps.len() as f64 / secs.max(0.001)
    );
    // The positions to wait for, one per line, for scripts.
    for position in report.wait_for() {
        println!("{position}");
    }
    Ok(())
}
