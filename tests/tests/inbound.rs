//! Other systems' protobuf commands on the inbound topic: exactly one result
//! each on the results topic, rejections included, nothing dropped.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use std::time::Duration;

use ledger_kafka::{
    rdkafka::producer::{FutureProducer, FutureRecord},
    read_to_end,
};
use ledger_proto::v1::{
    beneficiary::Party, inbound_command::Command, AuthorisationKind, AwardGrant, Beneficiary,
    BudgetSection, CommandResult, DeclareProgramme, Funder, FunderKind, GrantKind, Imputation,
    InboundCommand, OpenEnvelope, Outcome,
};
use ledger_tests::{kafka, person, TestLedger};
use prost::Message;

fn inbound(id: &str, source: &str, command: Command) -> Vec<u8> {
    InboundCommand {
        command_id: id.into(),
        source_system: source.into(),
        actor: "agent-42".into(),
        command: Some(command),
        ..Default::default()
    }
    .encode_to_vec()
}

fn award(grant_id: &str, amount_cents: i64) -> Command {
    Command::AwardGrant(AwardGrant {
        grant_id: grant_id.into(),
        envelope_id: "idf-msp".into(),
        beneficiary: Some(Beneficiary {
            party: Some(Party::PersonId(person("medecin-7"))),
        }),
        kind: GrantKind::InstallationAid as i32,
        amount_cents,
        purpose: "Aide à l'installation".into(),
        effective_date: "2022-05-01".into(),
        ..Default::default()
    })
}

/// The results of every given source system, from each one's own topic.
async fn results(ledger: &TestLedger, systems: &[&str]) -> Vec<CommandResult> {
    let mut all = Vec::new();
    for system in systems {
        all = read_to_end(
            &kafka(),
            &ledger.topics.results_of(system),
            all,
            |all, record| {
                all.push(CommandResult::decode(record.payload.as_slice())?);
                Ok(())
            },
        )
        .await
        .unwrap();
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_inbound_command_gets_exactly_one_result() {
    let mut ledger = TestLedger::start().await.unwrap();
    ledger
        .start_inbound("portail-idf=*;sirh=hire-professional")
        .await
        .unwrap();

    // (sent on the inbound topic of, key, record)
    let portail = "portail-idf";
    let messages: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            portail,
            "c1",
            inbound(
                "c1",
                "portail-idf",
                Command::DeclareProgramme(DeclareProgramme {
                    programme_id: "idf-region-solidaire".into(),
                    funder: Some(Funder {
                        kind: FunderKind::Region as i32,
                        code: "11".into(),
                        name: "Région Île-de-France".into(),
                    }),
                    name: "Région Solidaire".into(),
                    period_start: "2016-01-01".into(),
                    period_end: "2028-12-31".into(),
                    ..Default::default()
                }),
            ),
        ),
        (
            portail,
            "c2",
            inbound(
                "c2",
                "portail-idf",
                Command::OpenEnvelope(OpenEnvelope {
                    envelope_id: "idf-msp".into(),
                    programme_id: "idf-region-solidaire".into(),
                    kind: AuthorisationKind::Ae as i32,
                    amount_cents: 1_000_000,
                    period_start: "2016-01-01".into(),
                    period_end: "2028-12-31".into(),
                    vote_reference: "CP 2022-101".into(),
                    effective_date: "2022-01-20".into(),
                    imputation: Some(Imputation {
                        section: BudgetSection::Fonctionnement as i32,
                        chapitre: "65".into(),
                        nature: "6574".into(),
                        fonction: "41".into(),
                    }),
                    ..Default::default()
                }),
            ),
        ),
        (
            portail,
            "c3",
            inbound("c3", "portail-idf", award("trop", 1_000_001)),
        ),
        (
            portail,
            "junk-1",
            b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
        ),
        // sirh's own topic, a command its rules do not allow.
        (
            "sirh",
            "c5",
            inbound("c5", "sirh", award("pas-le-droit", 10)),
        ),
        // The source system may be left out: the topic says who sent.
        (
            portail,
            "c6",
            inbound("c6", "", award("installation", 250_000)),
        ),
        (
            portail,
            "c6",
            inbound("c6", "portail-idf", award("installation", 250_000)),
        ),
        // A command on sirh's topic that claims to come from portail-idf
        // (allowed everything) is refused: a field cannot choose the sender.
        (
            "sirh",
            "c7",
            inbound("c7", "portail-idf", award("usurpe", 10)),
        ),
        // A command id no HTTP header can carry is refused at once, and the
        // gateway goes on (it used to take it for an unreachable owner).
        (
            portail,
            "c8",
            inbound("c8\u{1}", "portail-idf", award("ctl", 10)),
        ),
        (
            portail,
            "c9",
            inbound("c9", "portail-idf", award("after", 10)),
        ),
    ];
    let producer: FutureProducer = kafka().admin().create().unwrap();
    for (system, key, payload) in &messages {
        // One partition keeps them in order: the envelope before the awards.
        let topic = ledger.topics.inbound_of(system);
        let record = FutureRecord::to(&topic)
            .key(*key)
            .payload(payload)
            .partition(0);
        producer
            .send(record, Duration::from_secs(10))
            .await
            .unwrap();
    }

    for _ in 0..300 {
        if results(&ledger, &[portail, "sirh"]).await.len() >= messages.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut answers = results(&ledger, &[portail, "sirh"]).await;
    assert_eq!(
        answers.len(),
        messages.len(),
        "one result per message: {answers:#?}"
    );
    // Results are keyed by command id, so they spread over partitions.
    answers.sort_by(|a, b| a.command_id.cmp(&b.command_id));

    fn outcome(r: &CommandResult) -> (&str, Outcome, &str) {
        (
            r.command_id.as_str(),
            r.outcome(),
            r.rejection.as_ref().map(|x| x.code.as_str()).unwrap_or(""),
        )
    }
    let got: Vec<_> = answers.iter().map(outcome).collect();
    assert_eq!(
        got,
        [
            ("c1", Outcome::Accepted, ""),
            ("c2", Outcome::Accepted, ""),
            ("c3", Outcome::Rejected, "envelope_overcommitted"),
            ("c5", Outcome::Rejected, "unauthorised"),
            ("c6", Outcome::Accepted, ""),
            ("c6", Outcome::Accepted, ""),
            ("c7", Outcome::Rejected, "unauthorised"),
            ("c8\u{1}", Outcome::Rejected, "invalid_field"),
            ("c9", Outcome::Accepted, ""),
            ("junk-1", Outcome::Rejected, "decode_error"),
        ]
    );
    // Each result names the system that really sent it.
    let sender: Vec<_> = answers
        .iter()
        .map(|r| (r.command_id.as_str(), r.source_system.as_str()))
        .collect();
    assert!(sender.contains(&("c7", "sirh")), "{sender:?}");
    assert!(sender.contains(&("c6", "portail-idf")), "{sender:?}");
    // The repeated command is the same single event.
    assert_eq!(answers[4].events, answers[5].events);
    assert_eq!(answers[4].events.len(), 1);

    let events = ledger.grants_events().await.unwrap();
    assert_eq!(
        events.len(),
        4,
        "programme, envelope, two awards (c6 once, c9)"
    );
    assert!(events.iter().all(|e| e.source_system == "portail-idf"));
    assert_eq!(events[2].actor, "agent-42");

    let dead = read_to_end(&kafka(), &ledger.topics.deadletter, 0usize, |n, _| {
        *n += 1;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(
        dead, 1,
        "the unreadable record is kept on the dead-letter topic"
    );
    ledger.shutdown().await;
}

/// A gateway whose own login the services refuse (its new token not yet in
/// their tokens file, as in a rotation done in the wrong order) answers
/// nothing rather than a rejection: a 401 says nothing about the command.
/// It retries, and once the services know the token every command gets its
/// one real result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_gateway_login_is_retried_never_taken_for_a_rejection() {
    let mut ledger = TestLedger::with_envelope(10_000_000).await.unwrap();
    let rotated = ledger.token("rotated-gateway");
    ledger
        .start_inbound_as("portail-idf=*", rotated)
        .await
        .unwrap();
    let portail = "portail-idf";
    let producer: FutureProducer = kafka().admin().create().unwrap();
    for (i, key) in ["r1", "r2"].into_iter().enumerate() {
        let body: AwardGrant =
            serde_json::from_value(ledger_tests::award(&format!("rot-{i}"), "cvl-msp", 1_000))
                .unwrap();
        let payload = inbound(key, portail, Command::AwardGrant(body));
        let topic = ledger.topics.inbound_of(portail);
        producer
            .send(
                FutureRecord::to(&topic)
                    .key(key)
                    .payload(&payload)
                    .partition(0),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        results(&ledger, &[portail]).await.is_empty(),
        "refused logins are not verdicts"
    );

    ledger
        .grant_token("rotated-gateway", "integrator", "*")
        .unwrap();
    let mut answers = Vec::new();
    for _ in 0..300 {
        answers = results(&ledger, &[portail]).await;
        if answers.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let answers_after = results(&ledger, &[portail]).await;
    assert_eq!(answers_after.len(), 2, "one result each: {answers_after:?}");
    assert!(
        answers
            .iter()
            .all(|r| r.outcome() == Outcome::Accepted && r.events.len() == 1),
        "{answers:?}"
    );
    ledger.shutdown().await;
}
