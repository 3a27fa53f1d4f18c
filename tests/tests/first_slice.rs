//! The first slice end to end: command → Kafka → projector → PostgreSQL →
//! read API, on the real broker and database.

#![allow(clippy::unwrap_used)] // a failed step should stop the test loudly

use ledger_proto::v1::{
    beneficiary::Party, AwardGrant, Beneficiary, CommandResult, GrantKind, LegalEntity, Outcome,
};
use ledger_tests::{award, position, TestLedger};
use prost::Message;
use serde_json::json;

const TWENTY_MILLION_EUROS: i64 = 2_000_000_000;

async fn ledger_with_envelope() -> TestLedger {
    TestLedger::with_envelope(TWENTY_MILLION_EUROS)
        .await
        .expect("stack up")
}

#[tokio::test]
async fn awards_within_the_envelope_give_exact_balances() {
    let ledger = ledger_with_envelope().await;
    let (status, first) = ledger
        .command(
            "award-grant",
            Some("a-1"),
            &award("msp-vendome", "cvl-msp", 45_000_000),
        )
        .await
        .unwrap();
    assert_eq!(status, 201, "{first}");
    let (status, second) = ledger
        .command(
            "award-grant",
            Some("a-2"),
            &award("msp-romorantin", "cvl-msp", 37_512_345),
        )
        .await
        .unwrap();
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["events"][0]["event_type"], "GrantAwarded");
    assert_eq!(
        second["events"][0]["stream"],
        json!({"type": "grant", "id": "msp-romorantin"})
    );

    let balance = ledger
        .balance_after("cvl-msp", &position(&second))
        .await
        .unwrap();
    // Both awards share the envelope's partition, so waiting for the second
    // position means the first is applied too.
    assert_eq!(balance["voted_cents"], 2_000_000_000);
    assert_eq!(balance["committed_cents"], 82_512_345);
    assert_eq!(balance["available_cents"], 1_917_487_655);
    assert_eq!(balance["grants"], 2);
    ledger.shutdown().await;
}

#[tokio::test]
async fn an_award_beyond_the_envelope_is_refused_and_appends_nothing() {
    let ledger = ledger_with_envelope().await;
    let (status, _) = ledger
        .command(
            "award-grant",
            Some("a-1"),
            &award("big", "cvl-msp", 1_999_999_999),
        )
        .await
        .unwrap();
    assert_eq!(status, 201);
    let (status, body) = ledger
        .command("award-grant", Some("a-2"), &award("too-big", "cvl-msp", 2))
        .await
        .unwrap();
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "envelope_overcommitted");
    assert_eq!(body["error"]["field"], "amount_cents");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("0.01 EUR left"),
        "{body}"
    );

    // The exact remainder still fits: the refusal changed nothing.
    let (status, last) = ledger
        .command(
            "award-grant",
            Some("a-3"),
            &award("last-cent", "cvl-msp", 1),
        )
        .await
        .unwrap();
    assert_eq!(status, 201, "{last}");

    let events = ledger.grants_events().await.unwrap();
    let grants: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.payload {
            Some(ledger_proto::v1::event_envelope::Payload::GrantAwarded(g)) => {
                Some(g.grant_id.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        events.len(),
        4 + ledger_tests::CREDIT_YEARS.count(),
        "programme, envelope, its CP votes and two awards, nothing else"
    );
    assert_eq!(grants, ["big", "last-cent"]);

    let balance = ledger
        .balance_after("cvl-msp", &position(&last))
        .await
        .unwrap();
    assert_eq!(balance["available_cents"], 0);
    ledger.shutdown().await;
}

#[tokio::test]
async fn concurrent_awards_never_overcommit() {
    let ledger = ledger_with_envelope().await;
    // 25 awards of 1/10th of the envelope race; exactly 10 can be accepted.
    let tenth = TWENTY_MILLION_EUROS / 10;
    let attempts = (0..25).map(|i| {
        let ledger = &ledger;
        async move {
            ledger
                .command(
                    "award-grant",
                    Some(&format!("race-{i}")),
                    &award(&format!("race-{i}"), "cvl-msp", tenth),
                )
                .await
                .unwrap()
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let accepted = answers.iter().filter(|(s, _)| *s == 201).count();
    let refused: Vec<_> = answers.iter().filter(|(s, _)| *s == 409).collect();
    assert_eq!(accepted, 10);
    assert_eq!(refused.len(), 15);
    assert!(refused
        .iter()
        .all(|(_, b)| b["error"]["code"] == "envelope_overcommitted"));
    let last = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b["events"][0]["offset"].as_i64().unwrap())
        .max()
        .unwrap();
    let topic = answers
        .iter()
        .find(|(s, _)| *s == 201)
        .map(|(_, b)| position(b))
        .unwrap();
    let at = format!("{}:{last}", topic.rsplit_once(':').unwrap().0);
    let balance = ledger.balance_after("cvl-msp", &at).await.unwrap();
    assert_eq!(balance["committed_cents"], TWENTY_MILLION_EUROS);
    assert_eq!(balance["available_cents"], 0);
    ledger.shutdown().await;
}

#[tokio::test]
async fn the_same_idempotency_key_gives_one_event_and_the_same_answer() {
    let mut ledger = ledger_with_envelope().await;
    let body = award("msp-blois", "cvl-msp", 1_200_000);
    let (s1, first) = ledger
        .command("award-grant", Some("award-blois"), &body)
        .await
        .unwrap();
    let (s2, again) = ledger
        .command("award-grant", Some("award-blois"), &body)
        .await
        .unwrap();
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(first, again, "a replay answers exactly as the first time");

    // The same key with another body is a conflict and is not applied.
    let mut changed = body.clone();
    changed["amount_cents"] = json!(1_200_001);
    let (status, conflict) = ledger
        .command("award-grant", Some("award-blois"), &changed)
        .await
        .unwrap();
    assert_eq!(status, 409);
    assert_eq!(conflict["error"]["code"], "idempotency_conflict");

    // Across a restart the service remembers, from the log alone.
    ledger.stop_grants().await;
    ledger.start_grants().await.unwrap();
    let (s3, after_restart) = ledger
        .command("award-grant", Some("award-blois"), &body)
        .await
        .unwrap();
    assert_eq!(s3, 201);
    assert_eq!(after_restart, first);
    let (status, _) = ledger
        .command("award-grant", Some("award-blois"), &changed)
        .await
        .unwrap();
    assert_eq!(status, 409);

    let awards = ledger
        .grants_events()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.command_id == "award-blois")
        .count();
    assert_eq!(awards, 1);
    let balance = ledger
        .balance_after("cvl-msp", &position(&first))
        .await
        .unwrap();
    assert_eq!(balance["committed_cents"], 1_200_000);
    ledger.shutdown().await;
}

#[tokio::test]
async fn malformed_bodies_get_a_clear_4xx_and_change_nothing() {
    let ledger = ledger_with_envelope().await;
    let cases: [(&str, &[u8], u16, &str); 6] = [
        (
            "application/json",
            b"{\"grant_id\": \"x\",",
            400,
            "malformed_json",
        ),
        ("application/json", b"[1, 2, 3]", 400, "malformed_json"),
        (
            "application/json",
            b"{\"grant_idd\": \"x\"}",
            400,
            "malformed_json",
        ),
        (
            "application/x-protobuf",
            b"\xff\xff\xff\xff",
            400,
            "malformed_protobuf",
        ),
        ("application/x-protobuf", b"", 400, "empty_body"),
        ("text/csv", b"a,b", 415, "unsupported_media_type"),
    ];
    for (content_type, body, status, code) in cases {
        let (got, answer) = ledger
            .raw_command("award-grant", content_type, body.to_vec())
            .await
            .unwrap();
        assert_eq!(
            (got, answer["error"]["code"].as_str().unwrap()),
            (status, code),
            "{content_type} {body:?}: {answer}"
        );
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
    }

    // Well-formed but invalid: named field, 422.
    let mut bad = award("g", "cvl-msp", 100);
    bad["beneficiary"]["legal_entity"]["siret"] = json!("21410018200011");
    let (status, answer) = ledger.command("award-grant", None, &bad).await.unwrap();
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_field");
    assert_eq!(answer["error"]["field"], "beneficiary.legal_entity.siret");
    for amount in [0, -100] {
        let (status, answer) = ledger
            .command("award-grant", None, &award("g", "cvl-msp", amount))
            .await
            .unwrap();
        assert_eq!(
            (status, answer["error"]["field"].as_str()),
            (422, Some("amount_cents"))
        );
    }
    let (status, answer) = ledger
        .command("award-grant", None, &award("g", "no-such-envelope", 100))
        .await
        .unwrap();
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("not_found"))
    );
    let (status, answer) = ledger
        .command("pay-everyone", None, &json!({}))
        .await
        .unwrap();
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("unknown_command"))
    );

    // A body over the 1 MiB limit, and a read with a bad parameter: the
    // same JSON error shape.
    let huge = vec![b' '; 2 * 1024 * 1024];
    let (status, answer) = ledger
        .raw_command("award-grant", "application/json", huge)
        .await
        .unwrap();
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (413, Some("body_rejected"))
    );
    let (status, answer) = ledger
        .get("/v1/envelopes/cvl-msp/balance?wait_ms=soon")
        .await
        .unwrap();
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("invalid_parameter"))
    );

    // The service is still up and nothing was appended.
    assert_eq!(
        ledger.grants_events().await.unwrap().len(),
        2 + ledger_tests::CREDIT_YEARS.count()
    );
    let (status, _) = ledger
        .command("award-grant", None, &award("after", "cvl-msp", 100))
        .await
        .unwrap();
    assert_eq!(status, 201);
    ledger.shutdown().await;
}

#[tokio::test]
async fn protobuf_commands_are_accepted_and_answered_in_protobuf() {
    let ledger = ledger_with_envelope().await;
    let command = AwardGrant {
        grant_id: "msp-lussan".into(),
        envelope_id: "cvl-msp".into(),
        beneficiary: Some(Beneficiary {
            party: Some(Party::LegalEntity(LegalEntity {
                siret: "21410018200010".into(),
                name: "Commune".into(),
                finess: String::new(),
            })),
        }),
        kind: GrantKind::Subsidy as i32,
        amount_cents: 9_999,
        purpose: "Extension".into(),
        effective_date: "2020-01-15".into(),
        ..Default::default()
    };
    let response = ledger
        .proto_command("award-grant", "pb-1", &command)
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(response.headers()["content-type"], "application/x-protobuf");
    let result = CommandResult::decode(response.bytes().await.unwrap()).unwrap();
    assert_eq!(result.outcome(), Outcome::Accepted);
    let event = &result.events[0];
    let at = format!("{}:{}:{}", event.topic, event.partition, event.offset);
    let balance = ledger.balance_after("cvl-msp", &at).await.unwrap();
    assert_eq!(balance["committed_cents"], 9_999);

    // An enum value this contract does not know is refused, not guessed.
    let unknown_kind = AwardGrant {
        grant_id: "other".into(),
        kind: 42,
        ..command
    };
    let response = ledger
        .proto_command("award-grant", "pb-2", &unknown_kind)
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    ledger.shutdown().await;
}

#[tokio::test]
async fn events_are_hash_chained_per_stream() {
    let ledger = ledger_with_envelope().await;
    ledger
        .command(
            "award-grant",
            Some("h-1"),
            &award("chained", "cvl-msp", 500),
        )
        .await
        .unwrap();
    let events = ledger.grants_events().await.unwrap();
    let mut heads = ledger_domain_heads();
    for event in &events {
        heads.advance(event).expect("every link verifies");
        assert_eq!(event.hash.len(), 32);
        assert_eq!(
            uuid::Uuid::parse_str(&event.event_id)
                .unwrap()
                .get_version_num(),
            7
        );
    }
    let award = events.iter().find(|e| e.command_id == "h-1").unwrap();
    assert_eq!(award.effective_date, "2019-06-01");
    assert_eq!(award.stream_version, 1);
    assert!(award.prev_hash.is_empty());
    assert_eq!(award.source_system, "http");
    ledger.shutdown().await;
}

fn ledger_domain_heads() -> ledger_domain::chain::StreamHeads {
    ledger_domain::chain::StreamHeads::default()
}
