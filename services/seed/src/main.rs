//! `ledger-seed`: loads the seed programmes, or a synthetic history at
//! scale, into a running ledger, and says what it loaded and how fast.

use std::{collections::HashMap, path::PathBuf, sync::Arc, time::Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use futures::{stream, StreamExt, TryStreamExt};
use ledger_kafka::Topics;
use ledger_seed::{
    direct::Direct,
    load::{self, Loader, Report, Target},
    scenario,
    synthetic::{self, Sizes},
};

#[derive(Debug, Parser)]
#[command(
    name = "ledger-seed",
    about = "Loads histories into a running ledger",
    version
)]
struct Args {
    #[command(flatten)]
    ledger: Ledger,
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, clap::Args)]
struct Ledger {
    #[arg(
        long,
        env = "LEDGER_GRANTS_URL",
        default_value = "http://127.0.0.1:18081",
        global = true
    )]
    grants_url: String,
    #[arg(
        long,
        env = "LEDGER_WORKFORCE_URL",
        default_value = "http://127.0.0.1:18083",
        global = true
    )]
    workforce_url: String,
    #[arg(
        long,
        env = "LEDGER_CENTRES_URL",
        default_value = "http://127.0.0.1:18084",
        global = true
    )]
    centres_url: String,
    #[arg(
        long,
        env = "LEDGER_OBLIGATIONS_URL",
        default_value = "http://127.0.0.1:18085",
        global = true
    )]
    obligations_url: String,
    /// File holding an integrator's bearer token (for --source-system).
    #[arg(long, env = "LEDGER_SEED_TOKEN_FILE", global = true)]
    token_file: Option<PathBuf>,
    /// Source system of the commands.
    #[arg(long, default_value = "demo", global = true)]
    source_system: String,
    /// The Kafka cluster and this program's login to it.
    #[command(flatten)]
    kafka: ledger_kafka::KafkaConfig,
    #[arg(
        long,
        env = "LEDGER_TOPIC_NAMESPACE",
        default_value = "",
        global = true
    )]
    topic_namespace: String,
    /// No progress bar (for scripts).
    #[arg(long, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum What {
    /// The four seed programmes (Centre-Val de Loire, Occitanie,
    /// Loir-et-Cher, Île-de-France), through HTTP and the inbound topic.
    /// Prints the positions to wait for, one per line.
    Scenario,
    /// A synthetic history, deterministic from --seed.
    Synthetic {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 10)]
        funders: usize,
        /// Beneficiaries per funder.
        #[arg(long, default_value_t = 100)]
        beneficiaries: usize,
        /// Professionals per funder.
        #[arg(long, default_value_t = 40)]
        professionals: usize,
        /// `http` (through the services) or `direct` (the services' writers
        /// in this process, straight to the topics; fences running services).
        #[arg(long, default_value = "http")]
        via: String,
        /// Prefix of the transactional ids in direct mode (the services'
        /// default is `ledger`).
        #[arg(long, default_value = "ledger")]
        transactional_prefix: String,
        /// Where the writers' signing keys are in direct mode
        /// (`<context>.pem` and the key ring `trusted.txt`).
        #[arg(long, env = "LEDGER_KEYS_DIR", default_value = ".stack/keys")]
        keys_dir: std::path::PathBuf,
        /// Funders loaded at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Create the namespace's topics first, with this many partitions
        /// (replication 1: a benchmark namespace on the local stack).
        #[arg(long)]
        create_topics: Option<i32>,
    },
}

fn target(l: &Ledger) -> anyhow::Result<Target> {
    let token = l
        .token_file
        .as_ref()
        .map(|f| std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display())))
        .transpose()?
        .map(|t| t.trim().to_owned());
    Ok(Target {
        services: HashMap::from([
            ("grants", l.grants_url.clone()),
            ("workforce", l.workforce_url.clone()),
            ("centres", l.centres_url.clone()),
            ("obligations", l.obligations_url.clone()),
        ]),
        token,
        source_system: l.source_system.clone(),
        kafka: l.kafka.clone(),
        topics: Topics::new(&l.topic_namespace),
        progress: !l.quiet,
    })
}

enum Sink {
    Http(Box<Loader>),
    Direct(Direct),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let target = target(&args.ledger)?;
    let started = Instant::now();
    match args.what {
        What::Scenario => {
            let steps = scenario::seed_scenario();
            let report = load::load(&steps, &target)
                .await
                .context("the seed scenario could not be loaded")?;
            summary("seed scenario", steps.len(), &report, started);
            for position in report.wait_for() {
                println!("{position}");
            }
        }
        What::Synthetic {
            seed,
            funders,
            beneficiaries,
            professionals,
            via,
            transactional_prefix,
            keys_dir,
            concurrency,
            create_topics,
        } => {
            if let Some(partitions) = create_topics {
                ledger_kafka::ensure_topics(&target.kafka, &target.topics.specs(partitions), 1)
                    .await?;
            }
            let sizes = Sizes {
                funders,
                beneficiaries,
                professionals,
            };
            eprintln!(
                "synthetic history, seed {seed}: {funders} funders × ({beneficiaries} beneficiaries, {professionals} professionals) ≈ {} events, via {via}",
                sizes.events()
            );
            let sink = Arc::new(match via.as_str() {
                "http" => Sink::Http(Box::new(Loader::new(target.clone())?)),
                "direct" => Sink::Direct(
                    Direct::start(
                        &target.kafka,
                        &target.topics,
                        &transactional_prefix,
                        &target.source_system,
                        &keys_dir,
                    )
                    .await?,
                ),
                other => anyhow::bail!("--via must be http or direct, not {other:?}"),
            });
            let bar = load::progress(sizes.events() as u64, target.progress, "events");
            let reports: Vec<Report> = stream::iter(0..funders)
                .map(|f| {
                    let (sink, bar) = (sink.clone(), bar.clone());
                    async move {
                        let mut report = Report::default();
                        for step in synthetic::funder_steps(seed, sizes, f) {
                            match sink.as_ref() {
                                Sink::Http(loader) => loader.submit(&step, &mut report).await?,
                                Sink::Direct(direct) => direct.submit(&step, &mut report).await?,
                            }
                            bar.inc(1);
                        }
                        Ok::<_, load::LoadError>(report)
                    }
                })
                .buffer_unordered(concurrency.max(1))
                .try_collect()
                .await
                .context("the synthetic history could not be loaded")?;
            bar.finish_and_clear();
            let mut report = Report::default();
            reports.into_iter().for_each(|r| report.merge(r));
            let commands = report.accepted + report.replayed;
            summary("synthetic history", commands, &report, started);
            if let Ok(Sink::Direct(direct)) = Arc::try_unwrap(sink) {
                direct.finish().await;
            }
        }
    }
    Ok(())
}

fn summary(what: &str, commands: usize, report: &Report, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{what}: {commands} commands ({} new, {} already there, {} over the inbound topic) in {secs:.1} s: {:.0} commands/s",
        report.accepted,
        report.replayed,
        report.inbound,
        commands as f64 / secs.max(0.001)
    );
}
