//! The broker lets in only who it knows, and each only where the ACLs of
//! `deploy/local/kafka/acls.txt` say: a wrong password, a missing ACL,
//! another service's topic or transactional id are all refused, and no
//! listener takes a client without TLS and a login.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::time::Duration;

use ledger_kafka::{
    end_offsets, ensure_topics,
    rdkafka::{
        producer::{FutureProducer, FutureRecord, Producer},
        util::Timeout,
    },
    KafkaConfig, KafkaError, Secret, Topics, TxProducer,
};
use ledger_tests::{award, bursary, bursary_payment, kafka, kafka_as, open_envelope, TestLedger};

/// The production topics: the tests below only try what must be refused
/// there, so nothing is written and no live service is fenced.
fn production() -> Topics {
    Topics::new("")
}

fn assert_refused<T: std::fmt::Debug>(result: Result<T, KafkaError>, what: &str) {
    match result {
        Err(KafkaError::Unauthorised(err)) => eprintln!("{what}: refused as expected: {err}"),
        other => panic!("{what}: expected an authorisation error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let wrong = kafka().as_user("ledger-tests", Secret::new("not-the-password"));
    let started = std::time::Instant::now();
    let refused = ledger_kafka::check_access(&wrong, Duration::from_secs(30)).await;
    assert_refused(refused, "ledger-tests with a wrong password");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "a refused login should be told at once"
    );
    // Topic creation asks the same way first: nothing is created.
    let topics = Topics::new(&format!(
        "t{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    ));
    assert_refused(
        ensure_topics(&wrong, &topics.specs(1), 1).await,
        "creating topics with a wrong password",
    );
    // The right password for the same user gets in.
    ledger_kafka::check_access(&kafka(), Duration::from_secs(30))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_principal_without_an_acl_is_refused() {
    // A source system reads only its results: not the event topics…
    let hr = kafka_as("rh-occitanie");
    assert_refused(
        end_offsets(&hr, vec![(production().grants, 0)]).await,
        "rh-occitanie asking for ledger.grants.v1",
    );
    // …nor another system's results.
    assert_refused(
        end_offsets(&hr, vec![(production().results_of("another-system"), 0)]).await,
        "rh-occitanie asking for another system's results",
    );
    // The read API describes the event topics but may not read them…
    let api = kafka_as("ledger-api");
    assert_refused(
        ledger_kafka::read_to_end(&api, &production().grants, 0u64, |n, _| {
            *n += 1;
            Ok(())
        })
        .await,
        "ledger-api reading ledger.grants.v1",
    );
    // …nor see the dead letters.
    assert_refused(
        end_offsets(&api, vec![(production().deadletter, 0)]).await,
        "ledger-api asking for ledger.deadletter.v1",
    );
}

#[tokio::test]
async fn the_grants_login_cannot_append_elsewhere_nor_take_another_transactional_id() {
    let grants = kafka_as("ledger-grants");
    assert_refused(
        TxProducer::connect(&grants, "ledger-workforce")
            .await
            .map(|_| ()),
        "ledger-grants taking the transactional id ledger-workforce",
    );
    assert_refused(
        TxProducer::connect(&grants, "ledger-inbound")
            .await
            .map(|_| ()),
        "ledger-grants taking the transactional id ledger-inbound",
    );

    // A plain record to another service's topic.
    assert_write_refused(&grants, &production().workforce).await;
}

/// A plain (non-transactional) record written to `topic` as `kafka`'s user
/// must be refused for want of an ACL.
async fn assert_write_refused(kafka: &KafkaConfig, topic: &str) {
    let mut config = kafka.admin();
    config.set("message.timeout.ms", "10000");
    let producer: FutureProducer = config.create().unwrap();
    let sent = producer
        .send(
            FutureRecord::to(topic)
                .key("forged")
                .payload(&b"forged"[..]),
            Timeout::After(Duration::from_secs(10)),
        )
        .await;
    let who = kafka.principal();
    let (err, _) = sent.expect_err(&format!("{who} appended to {topic}"));
    assert_refused(
        Err::<(), _>(KafkaError::from(err)),
        &format!("{who} writing {topic}"),
    );
}

/// A source system writes its own inbound topic only: it cannot pass for
/// another system, nor write anywhere else.
#[tokio::test]
async fn a_source_system_cannot_write_another_systems_inbound_topic() {
    let hr = kafka_as("rh-occitanie");
    for topic in [
        production().inbound_of("another-system"),
        production().deadletter,
        production().results_of("rh-occitanie"),
    ] {
        assert_write_refused(&hr, &topic).await;
    }
}

#[tokio::test]
async fn no_listener_takes_a_client_without_a_login() {
    let ours = kafka();
    // The client port speaks SASL_SSL only…
    let plain = KafkaConfig::new(ours.brokers.clone());
    let mut config = plain.admin();
    config.set("socket.timeout.ms", "3000");
    let producer: FutureProducer = config.create().unwrap();
    let probe = producer.clone();
    let metadata = tokio::task::spawn_blocking(move || {
        probe
            .client()
            .fetch_metadata(None, Timeout::After(Duration::from_secs(5)))
    })
    .await
    .unwrap();
    assert!(metadata.is_err(), "a plaintext client got metadata");

    // …and the controller's port wants a client certificate, which only the
    // broker has: a valid SCRAM login over TLS is not enough there.
    let port = std::env::var("LEDGER_KAFKA_CONTROLLER_PORT").unwrap_or_else(|_| "29093".into());
    let controller = KafkaConfig {
        brokers: format!("127.0.0.1:{port}"),
        ..ours
    };
    let producer: FutureProducer = controller.admin().create().unwrap();
    let metadata = tokio::task::spawn_blocking(move || {
        producer
            .client()
            .fetch_metadata(None, Timeout::After(Duration::from_secs(5)))
    })
    .await
    .unwrap();
    assert!(
        metadata.is_err(),
        "the controller listener took a client without a certificate"
    );
}

/// The whole chain works with each program on its own login and nothing
/// more: commands are appended, followed across services (obligations reads
/// grants, grants reads obligations), projected and read back to the cent.
#[tokio::test]
async fn every_service_works_on_its_own_login_and_nothing_more() {
    let ledger = TestLedger::start_with_own_logins().await.unwrap();
    for (command, body) in [
        ("declare-programme", ledger_tests::declare_programme()),
        ("open-envelope", open_envelope("cvl-msp", 2_000_000)),
        ("vote-credits", ledger_tests::vote_credits(2023, 2_000_000)),
        ("award-grant", bursary("b1")),
        ("make-payment", bursary_payment("b1")),
    ] {
        let (status, answer) = ledger.command(command, None, &body).await.unwrap();
        assert_eq!(status, 201, "{command}: {answer}");
    }
    let (status, answer) = ledger
        .command("award-grant", None, &award("g2", "cvl-msp", 900_000))
        .await
        .unwrap();
    assert_eq!(status, 409, "over-commitment refused: {answer}");

    // The obligations service learns of the grant by following its topic;
    // the grants service follows the obligations topic and orders the
    // recovery; the projector, on its read-only login, shows it.
    ledger.start_and_breach_obligation("b1").await.unwrap();
    let grant = ledger.grant_once_recovered("b1").await.unwrap();
    // PRORATA: 1,200,000 × (1,096 − 366) / 1,096 → 799,270.
    assert_eq!(grant["recovery_ordered_cents"], 799_270, "{grant}");
    assert_eq!(grant["paid_cents"], 1_200_000, "{grant}");
}
