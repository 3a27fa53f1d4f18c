//! A harness that starts the real services, in-process on port 0, against
//! the real Kafka broker and PostgreSQL server of the local stack.
//!
//! Every [`TestLedger`] gets its own topic namespace and its own freshly
//! migrated database, so tests run in parallel without seeing each other.

#![allow(clippy::unwrap_used)] // test support: a failed setup should stop the test loudly

mod private_pg;
pub use private_pg::PrivatePostgres;

use std::{
    collections::HashMap,
    net::SocketAddr,
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{bail, Context, Result};
use ledger_kafka::{ensure_topics, read_to_end, KafkaConfig, Topics};
use ledger_proto::v1::EventEnvelope;
use ledger_writer::{EmitterArgs, EmittingService};
use prost::Message;
use serde_json::Value;
use sqlx::{Connection, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

/// Kafka of the local stack, as the principal tests log in as: the
/// `LEDGER_KAFKA_*` variables that `deploy/local/env.sh` exports.
pub fn kafka() -> KafkaConfig {
    #[derive(clap::Parser)]
    struct FromEnv {
        #[command(flatten)]
        kafka: KafkaConfig,
    }
    <FromEnv as clap::Parser>::parse_from(["tests"]).kafka
}

/// The local stack's login of one Kafka user of `deploy/local/kafka/acls.txt`
/// (its password file is in `$LEDGER_SECRETS_DIR/kafka/`).
pub fn kafka_as(user: &str) -> KafkaConfig {
    let dir = std::env::var("LEDGER_SECRETS_DIR").unwrap_or_else(|_| ".stack/secrets".into());
    let file = std::path::Path::new(&dir).join("kafka").join(user);
    let password = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "no password for Kafka user {user} in {}: {e}",
            file.display()
        )
    });
    kafka().as_user(user, ledger_kafka::Secret::new(password.trim()))
}

/// Applies the production ACLs to `namespace` (the names a ledger under it
/// uses), through `deploy/local/kafka/Principals.java` as the broker's admin.
pub fn apply_acls(namespace: &str) -> Result<()> {
    let var = |name: &str| {
        std::env::var(name).with_context(|| format!("{name} is unset: source deploy/local/env.sh"))
    };
    let root = var("LEDGER_ROOT")?;
    let status = Command::new("java")
        .arg("-cp")
        .arg(format!("{}/*", var("LEDGER_KAFKA_LIB")?))
        .arg(format!("{root}/deploy/local/kafka/Principals.java"))
        .arg(var("LEDGER_KAFKA_ADMIN_PROPERTIES")?)
        .arg(format!("{root}/deploy/local/kafka/acls.txt"))
        .arg(format!("{}/kafka", var("LEDGER_SECRETS_DIR")?))
        .args(["--namespace", namespace])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("applying the ACLs to {namespace} failed: {status}");
    }
    Ok(())
}

/// The local stack's signing keys (`<context>.pem`) and key ring.
pub fn keys_dir() -> std::path::PathBuf {
    std::env::var("LEDGER_KEYS_DIR")
        .unwrap_or_else(|_| ".stack/keys".into())
        .into()
}

/// The key ring every reader checks events against.
pub fn trusted_keys_file() -> std::path::PathBuf {
    keys_dir().join("trusted.txt")
}

/// The personal-data store's pseudonym keys (`deploy/local/stack.sh`).
pub fn pseudonym_key_file() -> std::path::PathBuf {
    keys_dir().join("pseudonyms.key")
}

/// The pseudonym keys, parsed: for tests that make up a pseudonym the
/// store could have issued (as the synthetic histories do).
pub fn pseudonym_keys() -> ledger_domain::pseudonyms::PseudonymKeys {
    let text = std::fs::read_to_string(pseudonym_key_file())
        .expect("the stack's pseudonym key (deploy/local/stack.sh up)");
    ledger_domain::pseudonyms::PseudonymKeys::parse(&text).unwrap()
}

/// The pseudonym of a test's fictional person `name`, as the store would
/// issue it (derived under its key, like the synthetic histories': the
/// tests that are about the store register theirs).
pub fn person(name: &str) -> String {
    static KEYS: std::sync::OnceLock<ledger_domain::pseudonyms::PseudonymKeys> =
        std::sync::OnceLock::new();
    KEYS.get_or_init(pseudonym_keys).derive(name)
}

/// The key ring, parsed.
pub fn key_ring() -> ledger_domain::signing::KeyRing {
    let text = std::fs::read_to_string(trusted_keys_file())
        .expect("the stack's key ring (deploy/local/stack.sh up)");
    ledger_domain::signing::KeyRing::parse(&text).unwrap()
}

/// A signer with the stack's key of `context` (to forge, or not, in tests).
pub fn signer(context: &str) -> ledger_domain::signing::Signer {
    let pem = std::fs::read_to_string(keys_dir().join(format!("{context}.pem"))).unwrap();
    ledger_domain::signing::Signer::from_pem(&pem, &key_ring(), context).unwrap()
}

/// Hands a child process the login of `kafka`.
pub fn kafka_env(command: &mut Command, kafka: &KafkaConfig) {
    command.env("LEDGER_KAFKA_BROKERS", &kafka.brokers).env(
        "LEDGER_KAFKA_SECURITY_PROTOCOL",
        match kafka.security_protocol {
            ledger_kafka::SecurityProtocol::SaslSsl => "SASL_SSL",
            ledger_kafka::SecurityProtocol::Plaintext => "PLAINTEXT",
        },
    );
    for (name, value) in [
        ("LEDGER_KAFKA_SASL_USERNAME", kafka.sasl_username.clone()),
        (
            "LEDGER_KAFKA_SASL_PASSWORD",
            kafka.sasl_password.as_ref().map(|p| p.expose().to_owned()),
        ),
        (
            "LEDGER_KAFKA_CA_FILE",
            kafka
                .ca_file
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned()),
        ),
    ] {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
}

/// PostgreSQL of the local stack, as its superuser (`tests/run.sh` sets
/// `LEDGER_DATABASE_URL`): only to create each test's database.
pub fn database_url() -> String {
    std::env::var("LEDGER_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://ledger:ledger@127.0.0.1:25432/ledger".into())
}

/// `url` with another login: a role of the local stack, whose password is in
/// `$LEDGER_SECRETS_DIR/pg/` (`deploy/local/stack.sh` makes them).
pub fn with_role(url: &str, role: &str) -> String {
    let dir = std::env::var("LEDGER_SECRETS_DIR").unwrap_or_else(|_| ".stack/secrets".into());
    let file = std::path::Path::new(&dir).join("pg").join(role);
    let password = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("no password for role {role} in {}: {e}", file.display()));
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{role}:{}@{host}", password.trim())
}

/// `url` pointing at another database of the same server.
pub fn with_database(url: &str, name: &str) -> String {
    // The query (`?sslmode=…&sslrootcert=/path/…`) may hold slashes too.
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(cut) if cut > base.find("://").map_or(0, |p| p + 2) => &base[..cut],
        _ => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Serves an emitting service in the background.
fn serve(service: EmittingService) -> Running {
    let stop = CancellationToken::new();
    let token = stop.clone();
    let task = tokio::spawn(async move {
        if let Err(err) = service.run(token).await {
            eprintln!("service stopped with an error: {err:#}");
        }
    });
    Running { stop, task }
}

/// A running service and the token that stops it.
struct Running {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn stop(self) {
        self.stop.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(30), self.task).await;
    }
}

/// The emitting services, by the name their crate gives them.
pub const EMITTERS: [&str; 4] = ["grants", "workforce", "centres", "obligations"];

/// Which service owns a command (its `/v1/commands/{name}` path), from the
/// contract's one table.
pub fn owner_of(command: &str) -> &'static str {
    ledger_seed::owner_of(command)
}

/// One isolated ledger: topics, database and services.
pub struct TestLedger {
    pub namespace: String,
    pub topics: Topics,
    /// The read model, as the projector's role (which owns it): the
    /// projector, `ledgerctl` and the tests themselves use this.
    pub database_url: String,
    /// The same database as the read API's role, which may only read.
    pub reader_database_url: String,
    /// The personal-data store's own database (created by the store).
    pub persons_database_url: String,
    /// Its key database, apart from the details (created by the store).
    pub person_keys_database_url: String,
    pub pool: PgPool,
    pub http: reqwest::Client,
    /// Bearer tokens every service of this ledger accepts (see [`TOKENS`]).
    pub tokens_file: Option<std::path::PathBuf>,
    /// Snapshot settings of the emitting services started from now on:
    /// (directory, events between two snapshots); `None`: no snapshots.
    pub snapshots: Option<(std::path::PathBuf, u64)>,
    /// Each service logs into Kafka as its own user, under ACLs applied to
    /// this namespace ([`TestLedger::start_with_own_logins`]); otherwise
    /// every service uses the suite's login.
    pub own_logins: bool,
    /// Streams appended to that make a writer append a checkpoint of its
    /// heads (the services' default: 300).
    pub checkpoint_every: usize,
    emitters: HashMap<&'static str, (SocketAddr, Running)>,
    /// Emitting services running as child processes.
    external: HashMap<&'static str, SocketAddr>,
    projector: Option<Running>,
    inbound: Option<Running>,
    api: Option<(SocketAddr, Running)>,
}

impl TestLedger {
    /// Topics and database only; start services with the methods below.
    pub async fn empty() -> Result<TestLedger> {
        let namespace = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let topics = Topics::new(&namespace);
        ensure_topics(&kafka(), &topics.specs(3), 1)
            .await
            .context("cannot create topics: is the stack up? (deploy/local/stack.sh up)")?;

        let admin_url = database_url();
        let mut admin = PgConnection::connect(&with_database(&admin_url, "postgres"))
            .await
            .context("cannot reach PostgreSQL: is the stack up? (deploy/local/stack.sh up)")?;
        let database = format!("ledger_{namespace}");
        // Owned by the projector's role, as the read model is in production.
        sqlx::query(&format!(
            "CREATE DATABASE \"{database}\" OWNER ledger_projector"
        ))
        .execute(&mut admin)
        .await?;
        let database_url = with_role(&with_database(&admin_url, &database), "ledger_projector");
        let reader_database_url = with_role(&database_url, "ledger_api");
        let persons_database_url = with_database(&admin_url, &format!("{database}_persons"));
        let person_keys_database_url =
            with_database(&admin_url, &format!("{database}_person_keys"));
        let pool = ledger_readmodel_pool(&database_url).await?;

        let http = client_with_token(&token(&namespace, "all"))?;
        let tokens_file = Some(write_tokens_file(&namespace)?);
        Ok(TestLedger {
            namespace,
            topics,
            database_url,
            reader_database_url,
            persons_database_url,
            person_keys_database_url,
            pool,
            http,
            tokens_file,
            snapshots: None,
            own_logins: false,
            checkpoint_every: 300,
            emitters: HashMap::new(),
            external: HashMap::new(),
            projector: None,
            inbound: None,
            api: None,
        })
    }

    /// Every service running, with the sample programme declared and the
    /// envelope `cvl-msp` opened with `amount_cents`.
    pub async fn with_envelope(amount_cents: i64) -> Result<TestLedger> {
        let ledger = Self::start().await?;
        let credits = CREDIT_YEARS.map(|year| {
            (
                "vote-credits",
                format!("setup-credits-{year}"),
                vote_credits(year, AMPLE_CREDITS),
            )
        });
        let setup = [
            (
                "declare-programme",
                "setup-programme".to_owned(),
                declare_programme(),
            ),
            (
                "open-envelope",
                "setup-envelope".to_owned(),
                open_envelope("cvl-msp", amount_cents),
            ),
        ];
        for (command, key, body) in setup.into_iter().chain(credits) {
            let (status, answer) = ledger.command(command, Some(&key), &body).await?;
            if status != 201 {
                bail!("{command}: {status} {answer}");
            }
        }
        Ok(ledger)
    }

    /// Topics, database, and every service running.
    pub async fn start() -> Result<TestLedger> {
        let ledger = Self::empty().await?;
        ledger.start_all().await
    }

    /// Like [`TestLedger::start`], but with the production ACLs of
    /// `deploy/local/kafka/acls.txt` applied to this namespace and each
    /// service logged in as its own Kafka user.
    pub async fn start_with_own_logins() -> Result<TestLedger> {
        let mut ledger = Self::empty().await?;
        apply_acls(&ledger.namespace)?;
        ledger.own_logins = true;
        ledger.start_all().await
    }

    pub async fn start_all(self) -> Result<TestLedger> {
        let mut ledger = self;
        // Built concurrently: each one fences and rebuilds on its own.
        let built =
            futures::future::join_all(EMITTERS.map(|name| ledger.build_emitter(name))).await;
        for (name, service) in EMITTERS.into_iter().zip(built) {
            let service = service?;
            let addr = service.local_addr();
            ledger.emitters.insert(name, (addr, serve(service)));
        }
        ledger.start_projector().await?;
        ledger.start_api().await?;
        Ok(ledger)
    }

    /// The bearer token of one of the callers in [`TOKENS`] (or of any
    /// other name, which no service knows until [`TestLedger::grant_token`]).
    pub fn token(&self, name: &str) -> String {
        token(&self.namespace, name)
    }

    /// Adds the caller `name` to the services' tokens file, which they
    /// follow without a restart.
    pub fn grant_token(&self, name: &str, roles: &str, source_system: &str) -> Result<()> {
        use sha2::Digest;
        use std::io::Write;
        let path = self
            .tokens_file
            .as_ref()
            .context("this ledger has no tokens file")?;
        let hash = hex::encode(sha2::Sha256::digest(self.token(name).as_bytes()));
        let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
        writeln!(file, "\n{hash} {name} {roles} {source_system}")?;
        Ok(())
    }

    /// The Kafka login of one of this ledger's programs (`grants`,
    /// `projector`, …).
    pub fn kafka_for(&self, program: &str) -> KafkaConfig {
        if self.own_logins {
            kafka_as(&format!("ledger-{program}"))
        } else {
            kafka()
        }
    }

    fn emitter_args(&self, name: &str) -> EmitterArgs {
        let mut args = EmitterArgs::new(self.kafka_for(name), self.namespace.clone());
        args.tokens_file = self.tokens_file.clone();
        args.signing_key_file = Some(keys_dir().join(format!("{name}.pem")));
        args.trusted_keys_file = Some(trusted_keys_file());
        args.pseudonym_key_file = Some(pseudonym_key_file());
        args.checkpoint_every = self.checkpoint_every;
        if let Some((dir, every)) = &self.snapshots {
            args.snapshot_dir = Some(dir.clone());
            args.snapshot_every = *every;
        }
        args
    }

    /// The transactional id tests give an emitting service.
    pub fn transactional_id(&self, name: &str) -> String {
        format!("{}-{name}", self.namespace)
    }

    pub fn grants_config(&self) -> ledger_grants::Config {
        ledger_grants::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            transactional_id: self.transactional_id("grants"),
            emitter: self.emitter_args("grants"),
        }
    }

    /// Builds (fencing, rebuilding) one emitting service, without serving it.
    pub async fn build_emitter(&self, name: &str) -> Result<EmittingService> {
        let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let transactional_id = self.transactional_id(name);
        let emitter = self.emitter_args(name);
        Ok(match name {
            "grants" => ledger_grants::build(self.grants_config()).await?,
            "workforce" => {
                ledger_workforce::build(ledger_workforce::Config {
                    listen,
                    transactional_id,
                    persons_database_url: self.persons_database_url.clone(),
                    person_keys_database_url: self.person_keys_database_url.clone(),
                    emitter,
                })
                .await?
            }
            "centres" => {
                ledger_centres::build(ledger_centres::Config {
                    listen,
                    transactional_id,
                    emitter,
                })
                .await?
            }
            "obligations" => {
                ledger_obligations::build(ledger_obligations::Config {
                    listen,
                    transactional_id,
                    emitter,
                })
                .await?
            }
            other => bail!("no emitting service {other}"),
        })
    }

    pub async fn start_emitter(&mut self, name: &'static str) -> Result<()> {
        let service = self.build_emitter(name).await?;
        let addr = service.local_addr();
        self.emitters.insert(name, (addr, serve(service)));
        Ok(())
    }

    /// Serves an emitting service built by the test as the named one.
    pub fn adopt_emitter(&mut self, name: &'static str, service: EmittingService) {
        let addr = service.local_addr();
        self.emitters.insert(name, (addr, serve(service)));
    }

    pub async fn stop_emitter(&mut self, name: &str) {
        if let Some((_, running)) = self.emitters.remove(name) {
            running.stop().await;
        }
    }

    pub async fn start_grants(&mut self) -> Result<()> {
        self.start_emitter("grants").await
    }

    pub async fn stop_grants(&mut self) {
        self.stop_emitter("grants").await;
    }

    pub fn projector_config(&self) -> ledger_projector::Config {
        ledger_projector::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            kafka: self.kafka_for("projector"),
            topic_namespace: self.namespace.clone(),
            database_url: self.database_url.clone(),
            projection: "ledger".into(),
            trusted_keys_file: trusted_keys_file(),
            max_batch: 1000,
            linger: Duration::from_millis(10),
            // Short, so that a killed projector's partitions are taken over
            // (or resumed by its restart) within a test's patience.
            lease: Duration::from_secs(2),
            writers: 2,
        }
    }

    pub async fn start_projector(&mut self) -> Result<()> {
        let projector = ledger_projector::Projector::build(self.projector_config()).await?;
        let stop = CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            if let Err(err) = projector.run(token).await {
                eprintln!("projector stopped with an error: {err:#}");
            }
        });
        self.projector = Some(Running { stop, task });
        Ok(())
    }

    pub async fn start_api(&mut self) -> Result<()> {
        let api = ledger_api::Api::build(ledger_api::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: self.reader_database_url.clone(),
            projection: "ledger".into(),
            kafka: self.kafka_for("api"),
            tokens_file: self.tokens_file.clone(),
            insecure_no_auth: false,
            max_connections: 4,
            max_in_flight_per_caller: 64,
        })
        .await?;
        let addr = api.local_addr();
        let stop = CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            if let Err(err) = api.run(token).await {
                eprintln!("read API stopped with an error: {err:#}");
            }
        });
        self.api = Some((addr, Running { stop, task }));
        Ok(())
    }

    /// Creates the inbound and results topics of these source systems, as
    /// an operator does when a system joins.
    pub async fn add_source_systems(&self, systems: &[&str]) -> Result<()> {
        let specs: Vec<ledger_kafka::TopicSpec> = systems
            .iter()
            .flat_map(|s| [self.topics.inbound_of(s), self.topics.results_of(s)])
            .map(|name| ledger_kafka::TopicSpec {
                name,
                partitions: 3,
            })
            .collect();
        ensure_topics(&kafka(), &specs, 1).await?;
        Ok(())
    }

    /// Starts the inbound gateway in-process, forwarding to this ledger's
    /// emitting services, with the given `--allow` rules (whose systems get
    /// their topics first).
    pub async fn start_inbound(&mut self, allow: &str) -> Result<()> {
        let token = self.token("all");
        self.start_inbound_as(allow, token).await
    }

    /// Like [`TestLedger::start_inbound`], the gateway calling the services
    /// with `token`.
    pub async fn start_inbound_as(&mut self, allow: &str, token: String) -> Result<()> {
        let systems: Vec<&str> = allow
            .split(';')
            .filter_map(|rule| rule.split_once('=').map(|(system, _)| system.trim()))
            .collect();
        self.add_source_systems(&systems).await?;
        let url = |name: &str| {
            let addr = self
                .external
                .get(name)
                .copied()
                .or_else(|| self.emitters.get(name).map(|(a, _)| *a));
            addr.map(|a| format!("http://{a}")).unwrap_or_default()
        };
        let inbound = ledger_inbound::Inbound::build(ledger_inbound::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            kafka: self.kafka_for("inbound"),
            topic_namespace: self.namespace.clone(),
            transactional_id: self.transactional_id("inbound"),
            allow: allow.to_owned(),
            grants_url: url("grants"),
            workforce_url: url("workforce"),
            centres_url: url("centres"),
            obligations_url: url("obligations"),
            token: Some(token),
        })
        .await?;
        let stop = CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            if let Err(err) = inbound.run(token).await {
                eprintln!("inbound gateway stopped with an error: {err:#}");
            }
        });
        self.inbound = Some(Running { stop, task });
        Ok(())
    }

    /// Loads the seed programmes as command 1 does, through the public
    /// interfaces (HTTP, and the inbound topic under the local stack's
    /// gateway rules), and waits until the read model has applied them all.
    pub async fn load_seed(&mut self) -> Result<ledger_seed::load::Report> {
        self.start_inbound(ledger_seed::DEMO_INBOUND_ALLOW).await?;
        let target = self.seed_target();
        let steps = ledger_seed::scenario::seed_scenario();
        let report = ledger_seed::load::load(&steps, &target).await?;
        if report.accepted != steps.len() {
            bail!(
                "{} of {} seed commands accepted",
                report.accepted,
                steps.len()
            );
        }
        for position in report.wait_for() {
            let (status, body) = self
                .get(&format!("/v1/balances?wait_for={position}&wait_ms=30000"))
                .await?;
            if status != 200 {
                bail!("the seed's {position} is not projected: {status} {body}");
            }
        }
        Ok(report)
    }

    /// Where the seed loader sends this ledger's commands.
    pub fn seed_target(&self) -> ledger_seed::load::Target {
        ledger_seed::load::Target {
            services: ["grants", "workforce", "centres", "obligations"]
                .into_iter()
                .map(|s| (s, self.service_url(s, "")))
                .collect(),
            token: Some(self.token("all")),
            source_system: "demo".into(),
            kafka: kafka(),
            topics: self.topics.clone(),
            progress: false,
        }
    }

    /// Starts the bursary's obligation `o-<grant>` (from 2023-11-01) as soon
    /// as the obligations service, which follows the grants topic, knows the
    /// grant; then breaches it on 2024-11-01. Returns the breach's answer.
    pub async fn start_and_breach_obligation(&self, grant_id: &str) -> Result<Value> {
        let start = serde_json::json!({"obligation_id": format!("o-{grant_id}"), "grant_id": grant_id,
            "beneficiary": {"person_id": person(&format!("interne-{grant_id}"))}, "territory": {"departement_code": "41"},
            "duration_months": 36, "start_date": "2023-11-01"});
        let mut started = false;
        for _ in 0..200 {
            if self.command("start-obligation", None, &start).await?.0 == 201 {
                started = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if !started {
            bail!("the obligations service never saw grant {grant_id}");
        }
        let breach = serde_json::json!({"obligation_id": format!("o-{grant_id}"), "breached_on": "2024-11-01",
            "reason": "installation hors du département"});
        let (status, answer) = self.command("breach-obligation", None, &breach).await?;
        if status != 201 {
            bail!("breach-obligation: {status} {answer}");
        }
        Ok(answer)
    }

    /// The grant's view once it shows a recovery ordered (or after about
    /// ten seconds, as it then is).
    pub async fn grant_once_recovered(&self, grant_id: &str) -> Result<Value> {
        let mut grant = Value::Null;
        for _ in 0..200 {
            let (status, body) = self.get(&format!("/v1/grants/{grant_id}")).await?;
            grant = body;
            if status == 200 && grant["recovery_ordered_cents"] != 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(grant)
    }

    /// URL of a path on one emitting service.
    pub fn service_url(&self, name: &str, path: &str) -> String {
        let addr = match self.external.get(name) {
            Some(addr) => addr,
            None => {
                &self
                    .emitters
                    .get(name)
                    .unwrap_or_else(|| panic!("{name} service not started"))
                    .0
            }
        };
        format!("http://{addr}{path}")
    }

    /// URL of a command on the service that owns it.
    pub fn command_url(&self, command: &str) -> String {
        let owner = owner_of(command);
        let addr = match self.external.get(owner) {
            Some(addr) => addr,
            None => {
                &self
                    .emitters
                    .get(owner)
                    .unwrap_or_else(|| panic!("{owner} service not started"))
                    .0
            }
        };
        format!("http://{addr}/v1/commands/{command}")
    }

    /// URL of a path on the read API.
    pub fn api_url(&self, path: &str) -> String {
        let (addr, _) = self.api.as_ref().expect("read API not started");
        format!("http://{addr}{path}")
    }

    /// Sends a JSON command; returns status and body.
    pub async fn command(
        &self,
        name: &str,
        key: Option<&str>,
        body: &Value,
    ) -> Result<(u16, Value)> {
        let mut request = self.http.post(self.command_url(name)).json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await?))
    }

    /// Sends a JSON command that must be accepted; returns the position of
    /// its event (`topic:partition:offset`). Panics otherwise, with the answer.
    pub async fn accepted(&self, name: &str, body: Value) -> String {
        let (status, answer) = self
            .command(name, None, &body)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(status, 201, "{name}: {answer}");
        position(&answer)
    }

    /// Retries a command until accepted (another context's event may not
    /// have reached its service yet); returns its position.
    pub async fn eventually_accepted(&self, name: &str, body: Value) -> String {
        for _ in 0..200 {
            if let Ok((201, answer)) = self.command(name, None, &body).await {
                return position(&answer);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{name} never accepted");
    }

    /// GET on the read API once the view has applied every position given;
    /// the status must be 200. Returns the body.
    pub async fn get_ok_after(&self, path: &str, positions: &[String]) -> Value {
        for p in positions {
            let (status, body) = self
                .get(&format!("/v1/balances?wait_for={p}&wait_ms=20000"))
                .await
                .unwrap_or_else(|e| panic!("waiting for {p}: {e:#}"));
            assert_eq!(status, 200, "waiting for {p}: {body}");
        }
        let (status, body) = self
            .get(path)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e:#}"));
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    /// GET on the read API; the status must be 200. Returns the body.
    pub async fn get_ok(&self, path: &str) -> Value {
        self.get_ok_after(path, &[]).await
    }

    /// Sends a JSON command that must be refused with `status` and the
    /// machine-readable `code`; returns the answer. Panics otherwise.
    pub async fn refused(&self, name: &str, body: &Value, status: u16, code: &str) -> Value {
        let (got, answer) = self
            .command(name, None, body)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{name}: {answer}"
        );
        answer
    }

    /// Replays the whole log into the shadow schema `schema` as ops do
    /// (`ledgerctl rebuild`), asserts that every table equals the live
    /// one, and returns the comparison.
    pub async fn rebuilt_equal(&self, schema: &str) -> Vec<ledger_ctl::rebuild::TableCheck> {
        let kafka = kafka();
        ledger_ctl::rebuild::rebuild(
            ledger_ctl::rebuild::Plan {
                database_url: &self.database_url,
                schema,
                projection: "ledger",
                kafka: &kafka,
                topics: &self.topics,
                ring: &key_ring(),
                until: None,
                batch: 100,
            },
            |_| {},
        )
        .await
        .unwrap_or_else(|e| panic!("rebuild into {schema}: {e:#}"));
        let checks = ledger_ctl::rebuild::verify(&self.database_url, "public", schema)
            .await
            .unwrap_or_else(|e| panic!("verify {schema}: {e:#}"));
        assert!(checks.iter().all(|c| c.equal), "{checks:?}");
        checks
    }

    /// Sends a raw body with a content type; returns status and JSON body.
    pub async fn raw_command(
        &self,
        name: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(u16, Value)> {
        let response = self
            .http
            .post(self.command_url(name))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await?))
    }

    /// Sends a protobuf command and asks for a protobuf answer.
    pub async fn proto_command<M: Message>(
        &self,
        name: &str,
        key: &str,
        command: &M,
    ) -> Result<reqwest::Response> {
        Ok(self
            .http
            .post(self.command_url(name))
            .header("Content-Type", "application/x-protobuf")
            .header("Accept", "application/x-protobuf")
            .header("Idempotency-Key", key)
            .body(command.encode_to_vec())
            .send()
            .await?)
    }

    /// GET on the read API; returns status and body.
    pub async fn get(&self, path: &str) -> Result<(u16, Value)> {
        let response = self.http.get(self.api_url(path)).send().await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await?))
    }

    /// The balance of an envelope once the view has reached `position`
    /// (`topic:partition:offset`).
    pub async fn balance_after(&self, envelope_id: &str, position: &str) -> Result<Value> {
        let (status, body) = self
            .get(&format!(
                "/v1/envelopes/{envelope_id}/balance?wait_for={position}&wait_ms=20000"
            ))
            .await?;
        if status != 200 {
            bail!("balance of {envelope_id}: {status} {body}");
        }
        Ok(body)
    }

    /// Every event on the grants topic, read back committed-only.
    pub async fn grants_events(&self) -> Result<Vec<EventEnvelope>> {
        self.events(&self.topics.grants.clone()).await
    }

    /// Every event on a topic, read back committed-only.
    pub async fn events(&self, topic: &str) -> Result<Vec<EventEnvelope>> {
        let events = read_to_end(&kafka(), topic, Vec::new(), |all, record| {
            all.push(EventEnvelope::decode(record.payload.as_slice())?);
            Ok(())
        })
        .await?;
        Ok(events)
    }

    /// Stops every in-process service.
    pub async fn shutdown(mut self) {
        for (_, (_, running)) in self.emitters.drain() {
            running.stop().await;
        }
        if let Some(running) = self.projector.take() {
            running.stop().await;
        }
        if let Some(running) = self.inbound.take() {
            running.stop().await;
        }
        if let Some((_, running)) = self.api.take() {
            running.stop().await;
        }
        self.pool.close().await;
    }
}

async fn ledger_readmodel_pool(url: &str) -> Result<PgPool> {
    // Migrated here, as the projector does, so that the read API (which
    // never migrates) and tests that query before the projector starts see
    // the tables.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(url)
        .await?;
    ledger_readmodel::MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// The callers every test ledger knows: name, roles, source system. `all`
/// is what the harness itself uses.
pub const TOKENS: [(&str, &str, &str); 6] = [
    ("all", "controller,integrator,ops,persons", "*"),
    ("controller", "controller", ""),
    ("integrator", "integrator", "rh-test"),
    ("ops", "ops", ""),
    // Holders of personal data for one source system each.
    ("dpo-a", "persons", "sirh-a"),
    ("dpo-b", "persons", "sirh-b"),
];

fn token(namespace: &str, name: &str) -> String {
    format!("{namespace}-{name}-token")
}

/// Writes the ledger's tokens file (hashes only, as in production).
fn write_tokens_file(namespace: &str) -> Result<std::path::PathBuf> {
    use sha2::Digest;
    let path = std::env::temp_dir().join(format!("ledger-tokens-{namespace}"));
    let lines: Vec<String> = TOKENS
        .iter()
        .map(|(name, roles, source)| {
            let hash = hex::encode(sha2::Sha256::digest(token(namespace, name).as_bytes()));
            format!("{hash} {name} {roles} {source}")
        })
        .collect();
    std::fs::write(&path, lines.join("\n"))?;
    Ok(path)
}

/// Runs an outside test program (a browser test, schemathesis) off the
/// async runtime, echoes what it printed, and fails the test with its
/// output unless it succeeded.
pub async fn run_outside(mut command: Command, what: &str) {
    let outcome = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap_or_else(|err| panic!("{what}: cannot start: {err}"));
    let out = String::from_utf8_lossy(&outcome.stdout);
    let err = String::from_utf8_lossy(&outcome.stderr);
    println!("{out}");
    eprintln!("{err}");
    assert!(outcome.status.success(), "{what} failed:\n{out}\n{err}");
}

/// An HTTP client that sends `token` as its bearer token.
pub fn client_with_token(token: &str) -> Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .build()?)
}

/// The position of the event an accepted command answered with.
pub fn position(answer: &Value) -> String {
    let event = &answer["events"][0];
    format!(
        "{}:{}:{}",
        event["topic"].as_str().unwrap_or_default(),
        event["partition"],
        event["offset"]
    )
}

/// A child process killed (SIGKILL) when dropped, so a failing test never
/// leaves one behind.
pub struct ChildGuard(pub Child);

impl ChildGuard {
    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free loopback port, for a service started as a child process.
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Starts the projector as a separate process, so a test can SIGKILL it.
/// `bin` is `env!("CARGO_BIN_EXE_test-service")` in the test: cargo builds
/// that binary of this package before its integration tests.
pub fn spawn_projector_process(
    bin: &str,
    ledger: &TestLedger,
    max_batch: usize,
) -> Result<ChildGuard> {
    Ok(ChildGuard(
        Command::new(bin)
            .arg("projector")
            .env("LEDGER_PROJECTOR_LISTEN", "127.0.0.1:0")
            .env("LEDGER_TOPIC_NAMESPACE", &ledger.namespace)
            .env("LEDGER_DATABASE_URL", &ledger.database_url)
            .env("LEDGER_PROJECTOR_MAX_BATCH", max_batch.to_string())
            .env("LEDGER_PROJECTOR_LINGER", "5ms")
            .env("LEDGER_PROJECTOR_LEASE", "2s")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?,
    ))
}

impl TestLedger {
    /// Starts an emitting service as a separate process on `port` and routes
    /// this ledger's commands for it there; waits until it is ready.
    pub async fn spawn_emitter_process(
        &mut self,
        bin: &str,
        name: &'static str,
        port: u16,
    ) -> Result<ChildGuard> {
        let upper = name.to_uppercase();
        let child = ChildGuard(
            Command::new(bin)
                .arg(name)
                .env(
                    format!("LEDGER_{upper}_LISTEN"),
                    format!("127.0.0.1:{port}"),
                )
                .env(
                    format!("LEDGER_{upper}_TRANSACTIONAL_ID"),
                    self.transactional_id(name),
                )
                .env("LEDGER_TOPIC_NAMESPACE", &self.namespace)
                .env(
                    "LEDGER_SIGNING_KEY_FILE",
                    keys_dir().join(format!("{name}.pem")),
                )
                .env("LEDGER_TRUSTED_KEYS_FILE", trusted_keys_file())
                .env("LEDGER_PSEUDONYM_KEY_FILE", pseudonym_key_file())
                .env("LEDGER_PERSONS_DATABASE_URL", &self.persons_database_url)
                .env(
                    "LEDGER_PERSON_KEYS_DATABASE_URL",
                    &self.person_keys_database_url,
                )
                .env("RUST_LOG", "warn")
                .envs(self.tokens_file.iter().map(|f| ("LEDGER_TOKENS_FILE", f)))
                .env_remove("LEDGER_SNAPSHOT_DIR")
                .envs(self.snapshots.iter().flat_map(|(dir, every)| {
                    [
                        ("LEDGER_SNAPSHOT_DIR", dir.display().to_string()),
                        ("LEDGER_SNAPSHOT_EVERY", every.to_string()),
                    ]
                }))
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()?,
        );
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let ready = format!("http://{addr}/readyz");
        for _ in 0..200 {
            if self
                .http
                .get(&ready)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                self.external.insert(name, addr);
                return Ok(child);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("{name} process did not become ready")
    }
}

/// The sample programme and envelope most tests start from: Centre-Val de
/// Loire's Plan Urgence Santé and its €20M envelope for MSP.
pub fn declare_programme() -> Value {
    serde_json::json!({
        "programme_id": "cvl-plan-urgence-sante",
        "funder": {"kind": "FUNDER_KIND_REGION", "code": "24", "name": "Région Centre-Val de Loire"},
        "name": "Plan Urgence Santé",
        "period_start": "2018-01-01",
        "period_end": "2028-12-31",
        "effective_date": "2018-02-01"
    })
}

pub fn open_envelope(envelope_id: &str, amount_cents: i64) -> Value {
    serde_json::json!({
        "envelope_id": envelope_id,
        "programme_id": "cvl-plan-urgence-sante",
        "kind": "AUTHORISATION_KIND_AP",
        "amount_cents": amount_cents,
        "period_start": "2018-01-01",
        "period_end": "2025-12-31",
        "vote_reference": "CR-2018-02-MSP",
        "label": "MSP — Plan Urgence Santé",
        "territory": {"region_code": "24"},
        "imputation": {"section": "BUDGET_SECTION_INVESTISSEMENT", "chapitre": "204",
                       "nature": "204142", "fonction": "41"},
        "effective_date": "2018-03-15"
    })
}

/// The fiscal years [`TestLedger::with_envelope`] votes CP for.
pub const CREDIT_YEARS: std::ops::RangeInclusive<i32> = 2015..=2030;
/// CP no test payment exhausts unless it means to.
pub const AMPLE_CREDITS: i64 = 1_000_000_000_000_000;

/// CP for [`open_envelope`]'s chapter (Région 24, investment, chapitre
/// 204) in one fiscal year.
pub fn vote_credits(fiscal_year: i32, delta_cents: i64) -> Value {
    serde_json::json!({
        "funder": {"kind": "FUNDER_KIND_REGION", "code": "24", "name": "Région Centre-Val de Loire"},
        "fiscal_year": fiscal_year,
        "section": "BUDGET_SECTION_INVESTISSEMENT",
        "chapitre": "204",
        "delta_cents": delta_cents,
        "vote": "CREDIT_VOTE_BUDGET_PRIMITIF",
        "vote_reference": format!("BP {fiscal_year}"),
        "effective_date": "2015-01-01"
    })
}

/// An award to a commune; the SIRET is invented (Luhn-valid).
/// A €12,000 bursary on `cvl-msp` (from 2021-09-01) with three years'
/// service in Loir-et-Cher, recovered pro rata on a breach.
pub fn bursary(grant_id: &str) -> Value {
    serde_json::json!({
        "grant_id": grant_id, "envelope_id": "cvl-msp", "beneficiary": {"person_id": person(&format!("interne-{grant_id}"))},
        "kind": "GRANT_KIND_BURSARY", "amount_cents": 1_200_000, "purpose": "Bourse d'interne",
        "obligation": {"duration_months": 36, "territory": {"departement_code": "41"},
                       "recovery_rule": "RECOVERY_RULE_PRORATA", "description": "Trois ans en Loir-et-Cher"},
        "effective_date": "2021-09-01"})
}

/// The bursary paid whole on 2023-10-05.
pub fn bursary_payment(grant_id: &str) -> Value {
    serde_json::json!({"grant_id": grant_id, "payment_id": format!("{grant_id}-all"), "amount_cents": 1_200_000,
                       "effective_date": "2023-10-05", "mandate_reference": format!("M-{grant_id}")})
}

pub fn award(grant_id: &str, envelope_id: &str, amount_cents: i64) -> Value {
    serde_json::json!({
        "grant_id": grant_id,
        "envelope_id": envelope_id,
        "beneficiary": {"legal_entity": {"siret": "21410018200010", "name": "Commune de Blois"}},
        "kind": "GRANT_KIND_SUBSIDY",
        "amount_cents": amount_cents,
        "purpose": "Création d'une maison de santé pluriprofessionnelle",
        "territory": {"region_code": "24", "departement_code": "41", "commune_code": "41018"},
        "effective_date": "2019-06-01"
    })
}
