//! `ledgerctl`: audit the hash chains, inspect a stream, export events, list
//! dead letters. Exit status 0 when all is well, 1 on any discrepancy, 2 when
//! the tool itself could not run.

use std::{io::Write, process::ExitCode, time::Instant};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use ledger_ctl::{
    audit::{audit_topic, TopicAudit},
    deadletters, rebuild,
};
use ledger_kafka::{read_to_end, KafkaConfig, Topics};
use ledger_proto::v1::EventEnvelope;
use prost::Message;

#[derive(Debug, Parser)]
#[command(
    name = "ledgerctl",
    about = "The programme ledger's operations tool",
    version
)]
struct Args {
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
    /// PostgreSQL of the read model (rebuild, verify, swap).
    #[arg(
        long,
        env = "LEDGER_DATABASE_URL",
        default_value = "postgres://ledger:ledger@127.0.0.1:25432/ledger",
        global = true
    )]
    database_url: String,
    /// The key ring: which public key may sign for which context
    /// (docs/security.md); an event no trusted key signed is reported.
    #[arg(long, env = "LEDGER_TRUSTED_KEYS_FILE", global = true)]
    trusted_keys_file: Option<std::path::PathBuf>,
    /// Machine-readable output (JSON) instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks the hash chain of every stream over the whole log; names the
    /// first broken link of each stream. Exit 1 if any.
    VerifyChain {
        /// Only this topic (default: every event topic).
        #[arg(long)]
        topic: Option<String>,
        /// Also check that the log still holds the last event the read model
        /// (--database-url) projected from each partition: a removed or
        /// truncated tail, which the chain alone cannot show.
        #[arg(long)]
        against_read_model: bool,
    },
    /// Prints every event of one stream, in order.
    Inspect {
        /// Stream type, e.g. grant, envelope, centre, obligation.
        stream_type: String,
        stream_id: String,
    },
    /// Prints one event, found by id in the log, with its position.
    InspectEvent { event_id: String },
    /// Writes the budget journal of the read model as CSV to standard
    /// output (every line, in posting order, with its event's coordinates).
    ExportJournal {
        /// Only this envelope.
        #[arg(long)]
        envelope_id: Option<String>,
        /// Only this fiscal year.
        #[arg(long)]
        fiscal_year: Option<i32>,
    },
    /// Writes every event of the event topics as JSON lines (proto3 JSON
    /// mapping) to standard output, for auditors.
    ExportEvents {
        #[arg(long)]
        topic: Option<String>,
    },
    /// Lists the dead letters: inbound records that could not be decoded or
    /// answered, with why.
    DeadLetters,
    /// Sends dead letters back to the topic they came from (once their
    /// cause is fixed: a newer gateway, a sender corrected), from offset
    /// --from of the dead-letter topic on; each comes back as a result or,
    /// still failing, as a new dead letter.
    Redrive {
        #[arg(long, default_value_t = 0)]
        from: i64,
        /// The source system whose dead letters to send back: they are
        /// written to its inbound topic under its own Kafka login (a
        /// re-drive has no more right than the sender), read with this
        /// tool's.
        #[arg(long)]
        source_system: String,
        /// That system's Kafka password.
        #[arg(long, env = "LEDGER_REDRIVE_SASL_PASSWORD", hide_env_values = true)]
        source_password: ledger_kafka::Secret,
    },
    /// Moves a partition the projector stopped at a record that is not an
    /// event its writer signed past that one record, with an audit entry
    /// (who, when, why). A genuine event that cannot apply is refused.
    Acknowledge {
        /// The topic, partition and offset the projector stopped at
        /// (`/v1/status`, faults).
        #[arg(long)]
        topic: String,
        #[arg(long)]
        partition: i32,
        #[arg(long)]
        offset: i64,
        /// Why it may be passed over, for the audit (required).
        #[arg(long)]
        reason: String,
        /// Who acknowledges (default: the login name).
        #[arg(long, env = "USER")]
        by: String,
        #[arg(long, default_value = "ledger")]
        projection: String,
    },
    /// Rebuilds the read model from offset zero into a shadow schema while
    /// the live one keeps serving; run again after an interruption, it
    /// resumes where it stopped.
    Rebuild {
        /// The shadow schema (created if need be).
        #[arg(long)]
        schema: String,
        /// Leave out events effective after this date (YYYY-MM-DD): the books
        /// as they stood then.
        #[arg(long)]
        until: Option<String>,
        /// Records per PostgreSQL transaction (per partition).
        #[arg(long, default_value_t = 20_000)]
        batch: usize,
        /// The projection rebuilt (its offsets in the shadow are kept under
        /// this name, as the live projector's are under its own).
        #[arg(long, env = "LEDGER_PROJECTION", default_value = "ledger")]
        projection: String,
    },
    /// Compares a shadow schema with the live one, table by table (row
    /// counts, checksums, a few differing rows). Exit 1 if they differ.
    Verify {
        #[arg(long)]
        schema: String,
        #[arg(long, default_value = "public")]
        live: String,
    },
    /// Makes the shadow schema the live one in one transaction, keeping the
    /// old one as --retired. Running projectors and read APIs follow without
    /// a restart.
    Swap {
        #[arg(long)]
        schema: String,
        #[arg(long, default_value = "public")]
        live: String,
        #[arg(long)]
        retired: String,
    },
}

fn event_topics(topics: &Topics, only: &Option<String>) -> Vec<String> {
    match only {
        Some(topic) => vec![topic.clone()],
        None => topics
            .event_topics()
            .iter()
            .map(|t| (*t).to_owned())
            .collect(),
    }
}

/// A bar over every event of the event topics, with rate and ETA (a spinner
/// when their size cannot be asked).
async fn counted(json: bool, kafka: &KafkaConfig, topics: &Topics) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let mut wanted = Vec::new();
    for topic in topics.event_topics() {
        for p in ledger_kafka::partitions(kafka, topic)
            .await
            .unwrap_or_default()
        {
            wanted.push((topic.to_owned(), p));
        }
    }
    match ledger_kafka::end_offsets(kafka, wanted).await {
        Ok(ends) => {
            let bar = ProgressBar::new(ends.iter().sum::<i64>().max(0) as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} {bar:40} {pos}/~{len} records, {per_sec}, eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        }
        Err(_) => spinner(json, String::new()),
    }
}

/// When the ledger recorded the event, RFC 3339 in UTC.
fn recorded(event: &EventEnvelope) -> String {
    event
        .recorded_at
        .as_ref()
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.seconds).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "?".into())
}

fn spinner(json: bool, message: String) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {pos} events, {per_sec}, {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message);
    bar
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("ledgerctl: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// `Ok(false)`: the command ran and found a discrepancy.
async fn run(args: Args) -> anyhow::Result<bool> {
    let kafka = args.kafka.clone();
    let ring = || -> anyhow::Result<ledger_domain::signing::KeyRing> {
        use anyhow::Context as _;
        let path = args.trusted_keys_file.as_ref().context(
            "the key ring is needed: set LEDGER_TRUSTED_KEYS_FILE or --trusted-keys-file",
        )?;
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(ledger_domain::signing::KeyRing::parse(&text)?)
    };
    let topics = Topics::new(&args.topic_namespace);
    match args.command {
        Command::VerifyChain {
            topic,
            against_read_model,
        } => {
            let started = Instant::now();
            let mut audits: Vec<TopicAudit> = Vec::new();
            let ring = ring()?;
            for topic in event_topics(&topics, &topic) {
                let projected = if against_read_model {
                    ledger_ctl::audit::Projected::load(&args.database_url, &topic).await?
                } else {
                    ledger_ctl::audit::Projected::default()
                };
                let bar = spinner(args.json, format!("verifying {topic}"));
                let shown = bar.clone();
                let audit = audit_topic(&kafka, &ring, &topic, projected, move |n| {
                    shown.set_position(n)
                })
                .await?;
                bar.finish_and_clear();
                audits.push(audit);
            }
            let events: u64 = audits.iter().map(|a| a.events).sum();
            let broken: usize = audits.iter().map(|a| a.broken.len()).sum();
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"ok": broken == 0, "events": events, "topics": audits})
                );
            } else {
                for a in &audits {
                    println!(
                        "{}: {} events in {} streams, {} broken",
                        a.topic,
                        a.events,
                        a.streams,
                        a.broken.len()
                    );
                    for b in &a.broken {
                        println!(
                            "  BROKEN {}:{}@{} event {}: {}",
                            b.topic,
                            b.partition,
                            b.offset,
                            b.event_id.as_deref().unwrap_or("-"),
                            b.why
                        );
                    }
                }
                let secs = started.elapsed().as_secs_f64();
                println!(
                    "{} — {events} events verified in {secs:.1} s ({:.0} events/s)",
                    if broken == 0 {
                        "every chain holds"
                    } else {
                        "DISCREPANCIES FOUND"
                    },
                    events as f64 / secs.max(0.001)
                );
            }
            Ok(broken == 0)
        }
        Command::Inspect {
            stream_type,
            stream_id,
        } => {
            let mut found = Vec::new();
            for topic in event_topics(&topics, &None) {
                let (t, i) = (stream_type.clone(), stream_id.clone());
                let events = read_to_end(&kafka, &topic, Vec::new(), move |all, record| {
                    let event = EventEnvelope::decode(record.payload.as_slice())?;
                    let s = event.stream.clone().unwrap_or_default();
                    if s.r#type == t && s.id == i {
                        all.push((record.partition, record.offset, event));
                    }
                    Ok(())
                })
                .await?;
                found.extend(events.into_iter().map(|(p, o, e)| (topic.clone(), p, o, e)));
            }
            found.sort_by_key(|(_, _, _, e)| e.stream_version);
            for (topic, partition, offset, event) in &found {
                if args.json {
                    let line = serde_json::json!({"topic": topic, "partition": partition, "offset": offset, "event": event});
                    println!("{line}");
                } else {
                    let kind = event.payload.as_ref().map(|p| p.type_name()).unwrap_or("?");
                    println!(
                        "v{} {kind} {} effective {} recorded {} at {topic}:{partition}@{offset} hash {}",
                        event.stream_version,
                        event.event_id,
                        event.effective_date,
                        recorded(event),
                        hex::encode(&event.hash)
                    );
                }
            }
            if found.is_empty() {
                eprintln!("no stream {stream_type}/{stream_id} in the log");
                return Ok(false);
            }
            Ok(true)
        }
        Command::InspectEvent { event_id } => {
            for topic in event_topics(&topics, &None) {
                let wanted = event_id.clone();
                let found = read_to_end(&kafka, &topic, None, move |found, record| {
                    if found.is_none() {
                        let event = EventEnvelope::decode(record.payload.as_slice())?;
                        if event.event_id == wanted {
                            *found = Some((record.partition, record.offset, event));
                        }
                    }
                    Ok(())
                })
                .await?;
                if let Some((partition, offset, event)) = found {
                    let line = serde_json::json!({"topic": topic, "partition": partition, "offset": offset,
                        "hash": hex::encode(&event.hash), "prev_hash": hex::encode(&event.prev_hash), "event": event});
                    println!(
                        "{}",
                        if args.json {
                            line.to_string()
                        } else {
                            serde_json::to_string_pretty(&line)?
                        }
                    );
                    return Ok(true);
                }
            }
            eprintln!("no event {event_id} in the log");
            Ok(false)
        }
        Command::ExportJournal {
            envelope_id,
            fiscal_year,
        } => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&args.database_url)
                .await?;
            let mut filter = ledger_readmodel::queries::JournalFilter {
                limit: ledger_readmodel::queries::MAX_LIMIT,
                ..Default::default()
            };
            filter.scope.envelope_id = envelope_id;
            filter.scope.fiscal_year = fiscal_year;
            let mut out = csv::Writer::from_writer(std::io::stdout().lock());
            let mut lines = 0u64;
            loop {
                let page = ledger_readmodel::queries::journal(&pool, &filter).await?;
                for posting in &page {
                    out.serialize(posting)?;
                    lines += 1;
                }
                match page.last() {
                    Some(last) if page.len() as i64 == filter.limit => {
                        filter.after = Some(last.posting_seq)
                    }
                    _ => break,
                }
            }
            out.flush()?;
            eprintln!("{lines} journal lines exported");
            Ok(true)
        }
        Command::ExportEvents { topic } => {
            let mut out = std::io::stdout().lock();
            let mut total = 0u64;
            for topic in event_topics(&topics, &topic) {
                let events = read_to_end(&kafka, &topic, Vec::new(), |all, record| {
                    let event = EventEnvelope::decode(record.payload.as_slice())?;
                    all.push((record.partition, record.offset, event));
                    Ok(())
                })
                .await?;
                for (partition, offset, event) in events {
                    let line = serde_json::json!({"topic": topic, "partition": partition, "offset": offset, "event": event});
                    writeln!(out, "{line}")?;
                    total += 1;
                }
            }
            eprintln!("{total} events exported");
            Ok(true)
        }
        Command::Rebuild {
            schema,
            until,
            batch,
            projection,
        } => {
            let until = until
                .map(|d| ledger_domain::dates::parse_date("until", &d))
                .transpose()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let bar = counted(args.json, &kafka, &topics).await;
            bar.set_message(format!("rebuilding into {schema}"));
            let shown = bar.clone();
            let ring = ring()?;
            let plan = rebuild::Plan {
                database_url: &args.database_url,
                schema: &schema,
                projection: &projection,
                kafka: &kafka,
                topics: &topics,
                ring: &ring,
                until,
                batch,
            };
            let done = rebuild::rebuild(plan, move |n| shown.set_position(n)).await?;
            bar.finish_and_clear();
            if args.json {
                println!("{}", serde_json::to_string(&done)?);
            } else {
                println!(
                    "rebuilt {} from the log: {} events read ({} after --until, left out) in {:.1} s ({:.1} s building indexes), {:.0} events/s; {} rows written",
                    done.schema,
                    done.events,
                    done.skipped,
                    done.seconds,
                    done.index_seconds,
                    done.events as f64 / done.seconds.max(0.001),
                    done.rows_inserted + done.rows_updated,
                );
                for f in &done.faults {
                    println!(
                        "STOPPED {}/{} at offset {} (event {}): {}",
                        f.topic,
                        f.partition,
                        f.offset,
                        f.event_id.as_deref().unwrap_or("-"),
                        f.reason
                    );
                }
            }
            Ok(done.faults.is_empty())
        }
        Command::Verify { schema, live } => {
            let checks = rebuild::verify(&args.database_url, &live, &schema).await?;
            let equal = checks.iter().all(|c| c.equal);
            if args.json {
                println!("{}", serde_json::json!({"equal": equal, "tables": checks}));
            } else {
                for c in &checks {
                    println!(
                        "{:<16} {:>9} rows live, {:>9} in {schema}: {}",
                        c.table,
                        c.live_rows,
                        c.shadow_rows,
                        if c.equal { "equal" } else { "DIFFERENT" }
                    );
                    for row in &c.only_live {
                        println!("    only in {live}: {row}");
                    }
                    for row in &c.only_shadow {
                        println!("    only in {schema}: {row}");
                    }
                }
                println!(
                    "{}",
                    if equal {
                        "the shadow equals the live view"
                    } else {
                        "DIFFERENCES FOUND"
                    }
                );
            }
            Ok(equal)
        }
        Command::Acknowledge {
            topic,
            partition,
            offset,
            reason,
            by,
            projection,
        } => {
            let ring = ring()?;
            let done =
                ledger_ctl::acknowledge::acknowledge(ledger_ctl::acknowledge::Acknowledgement {
                    database_url: &args.database_url,
                    projection: &projection,
                    topic: &topic,
                    partition,
                    offset,
                    reason: &reason,
                    by: &by,
                    kafka: &kafka,
                    ring: &ring,
                })
                .await?;
            if args.json {
                println!("{}", serde_json::to_string(&done)?);
            } else {
                println!(
                    "{topic}/{partition}@{offset} acknowledged by {} ({}); the projector passes over it at its next heartbeat",
                    done.acknowledged_by, done.reason
                );
            }
            Ok(true)
        }
        Command::Redrive {
            from,
            source_system,
            source_password,
        } => {
            let writer = kafka.as_user(&source_system, source_password);
            let (sent, next) =
                deadletters::redrive(&kafka, &writer, &topics, &source_system, from).await?;
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"redriven": sent, "next_from": next})
                );
            } else {
                println!(
                    "{sent} dead letters sent back to their topics; next time use --from {next}"
                );
            }
            Ok(true)
        }
        Command::Swap {
            schema,
            live,
            retired,
        } => {
            rebuild::swap(&args.database_url, &live, &schema, &retired).await?;
            println!(
                "{schema} is now {live}; the previous one is {retired}. Running services follow."
            );
            Ok(true)
        }
        Command::DeadLetters => {
            let letters = deadletters::list(&kafka, &topics, 0).await?;
            for (offset, letter) in &letters {
                let reason = letter.reason.clone().unwrap_or_default();
                if args.json {
                    println!(
                        "{}",
                        serde_json::json!({"offset": offset, "dead_letter": letter})
                    );
                } else {
                    println!(
                        "#{offset} from {}:{}@{}: {} — {}",
                        letter.source_topic,
                        letter.source_partition,
                        letter.source_offset,
                        reason.code,
                        reason.message
                    );
                }
            }
            if !args.json {
                println!("{} dead letters", letters.len());
            }
            Ok(letters.is_empty())
        }
    }
}
