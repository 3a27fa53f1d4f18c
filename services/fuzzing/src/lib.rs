//! The fuzz targets' bodies, one function per decoder that reads bytes from
//! outside the process. Each takes any bytes and must return without
//! panicking, whatever they are; `fuzz/` runs them under libFuzzer
//! (`tests/fuzz.sh`), and `tests/corpus.rs` replays the corpus they grew on
//! every `cargo test`.

use std::sync::OnceLock;

use axum::http::{header, HeaderMap, HeaderValue};
use bytes::Bytes;
use ledger_domain::{
    centres::CentresBook,
    chain::StreamHeads,
    grants::GrantsBook,
    obligations::ObligationsBook,
    pseudonyms::PseudonymKeys,
    signing::{KeyRing, Signer},
    workforce::WorkforceBook,
    Decider,
};
use ledger_proto::{
    registry::{self, Context, COMMANDS},
    v1::{CommandBatch, EventEnvelope, InboundCommand},
};
use ledger_writer::{service::ParseCommand, Signing, SnapshotStore};
use prost::Message;

/// A target's body: any bytes in, never a panic.
pub type Target = fn(&[u8]);

/// Every target, by the name its directory under `fuzz/corpus/` has.
pub const TARGETS: &[(&str, Target)] = &[
    ("event_envelope", event_envelope),
    ("inbound_command", inbound_command),
    ("command_body", command_body),
    ("command_batch", command_batch),
    ("snapshot", snapshot),
    ("tokens_file", tokens_file),
];

/// A record of an event topic: decoded, its signature and hash checked as a
/// reader does, chained, and folded into each context's book.
pub fn event_envelope(data: &[u8]) {
    let Ok(event) = EventEnvelope::decode(data) else {
        return;
    };
    let _ = keys().ring.check("grants", &event, data);
    let _ = StreamHeads::default().advance_read(&event, data);
    if let Some(payload) = &event.payload {
        let _ = GrantsBook::default().apply(payload);
        let _ = WorkforceBook::default().apply(payload);
        let _ = CentresBook::default().apply(payload);
        let _ = ObligationsBook::default().apply(payload);
        ObligationsBook::default().observe(payload);
        let _ = GrantsBook::default().react(&event);
    }
}

/// A record of an inbound topic: decoded, routed, parsed by its owner as
/// the batch route does, and decided.
pub fn inbound_command(data: &[u8]) {
    if let Ok(inbound) = InboundCommand::decode(data) {
        decide_inbound(&inbound);
    }
}

/// An HTTP command body: the first byte picks the command (and JSON or
/// protobuf), the rest is the body.
pub fn command_body(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (name, owner) = COMMANDS[usize::from(pick >> 1) % COMMANDS.len()];
    let content_type = if pick & 1 == 0 {
        "application/json"
    } else {
        ledger_writer::http::PROTOBUF
    };
    parse_and_decide(owner, name, content_type, body);
}

/// A `POST /v1/commands:batch` body, as protobuf and as JSON.
pub fn command_batch(data: &[u8]) {
    let batches = [
        CommandBatch::decode(data).ok(),
        serde_json::from_slice::<CommandBatch>(data).ok(),
    ];
    for batch in batches.into_iter().flatten() {
        for inbound in batch.commands.iter().take(64) {
            decide_inbound(inbound);
        }
    }
}

/// A snapshot file of the grants writer.
pub fn snapshot(data: &[u8]) {
    let store = SnapshotStore::new::<GrantsBook>(
        std::path::Path::new("/nonexistent"),
        "ledger.grants.v1",
        keys().signing.clone(),
    );
    let _ = store.decode::<GrantsBook>(data);
}

/// A tokens file.
pub fn tokens_file(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ledger_http::auth::parse_tokens_file(text);
    }
}

fn decide_inbound(inbound: &InboundCommand) {
    if let Some(command) = &inbound.command {
        let (owner, name, body) = registry::route(command);
        parse_and_decide(owner, name, ledger_writer::http::PROTOBUF, &body);
    }
}

fn parse_and_decide(owner: Context, name: &str, content_type: &'static str, body: &[u8]) {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let body = Bytes::copy_from_slice(body);
    match owner {
        Context::Grants => decide::<GrantsBook>(ledger_grants::COMMANDS, name, &headers, &body),
        Context::Workforce => {
            decide::<WorkforceBook>(ledger_workforce::COMMANDS, name, &headers, &body)
        }
        Context::Centres => decide::<CentresBook>(ledger_centres::COMMANDS, name, &headers, &body),
        Context::Obligations => {
            decide::<ObligationsBook>(ledger_obligations::COMMANDS, name, &headers, &body)
        }
    }
}

/// Parses as the service does, checks the persons it names as the writer
/// does, and decides against an empty book.
fn decide<D: Decider>(
    parse: ParseCommand<D::Command>,
    name: &str,
    headers: &HeaderMap,
    body: &Bytes,
) {
    let Ok((command, _digest)) = parse(name, headers, body) else {
        return;
    };
    for (field, id) in D::person_ids(&command) {
        let _ = keys().pseudonyms.check(field, id);
    }
    let _ = D::default().decide(&command);
}

/// Fixed keys: a grants signing key, its ring, pseudonym keys.
struct Keys {
    ring: KeyRing,
    signing: Signing,
    pseudonyms: PseudonymKeys,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let seed = [7u8; 32];
        let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        let ring = KeyRing::parse(&format!(
            "grants-1 grants {}\n",
            hex::encode(public.as_bytes())
        ))
        .expect("a valid ring");
        let signer = Signer::from_seed(seed, &ring, "grants").expect("the ring trusts the key");
        Keys {
            signing: Signing {
                signer,
                ring: std::sync::Arc::new(ring.clone()),
            },
            ring,
            pseudonyms: PseudonymKeys::parse(&"11".repeat(32)).expect("a valid key"),
        }
    })
}

/// Well-formed inputs for each target, from which libFuzzer starts: a
/// signed event, commands as integrators send them, a batch, a snapshot, a
/// tokens file.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    use ledger_proto::v1::{event_envelope::Payload, inbound_command::Command, StreamRef};
    let award: ledger_proto::v1::AwardGrant = serde_json::from_value(serde_json::json!({
        "grant_id": "g-1", "envelope_id": "cvl-msp",
        "beneficiary": {"legal_entity": {"siret": "21410018200010", "name": "Commune de Blois"}},
        "kind": "GRANT_KIND_SUBSIDY", "amount_cents": 1_000_000, "purpose": "MSP",
        "territory": {"region_code": "24", "departement_code": "41", "commune_code": "41018"},
        "effective_date": "2019-06-01"}))
    .expect("a valid award");
    let inbound = InboundCommand {
        command_id: "k-1".into(),
        command: Some(Command::AwardGrant(award.clone())),
        ..Default::default()
    };
    let batch = CommandBatch {
        commands: vec![
            inbound.clone(),
            InboundCommand {
                command_id: "k-2".into(),
                ..inbound.clone()
            },
        ],
    };
    let mut event = EventEnvelope {
        event_id: "0193a2b4-5c6d-7e7f-8a9b-0c1d2e3f4a5b".into(),
        stream: Some(StreamRef {
            r#type: "grant".into(),
            id: "g-1".into(),
        }),
        stream_version: 1,
        effective_date: "2019-06-01".into(),
        schema_version: 1,
        payload: Some(Payload::GrantAwarded(ledger_proto::v1::GrantAwarded {
            grant_id: "g-1".into(),
            envelope_id: "cvl-msp".into(),
            amount_cents: 1_000_000,
            ..Default::default()
        })),
        ..Default::default()
    };
    ledger_domain::chain::seal(&mut event, Vec::new(), &keys().signing.signer);
    let award_pick = COMMANDS
        .iter()
        .position(|(name, _)| *name == "award-grant")
        .unwrap_or(0) as u8;
    let mut json_body = vec![award_pick << 1];
    json_body.extend(serde_json::to_vec(&award).unwrap_or_default());
    let mut protobuf_body = vec![(award_pick << 1) | 1];
    protobuf_body.extend(award.encode_to_vec());
    let store = SnapshotStore::new::<GrantsBook>(
        std::path::Path::new("/nonexistent"),
        "ledger.grants.v1",
        keys().signing.clone(),
    );
    let snapshot = store
        .encode(&ledger_writer::WriterState::<GrantsBook>::default())
        .unwrap_or_default();
    vec![
        ("event_envelope", "signed-award".into(), event.encode_to_vec()),
        ("inbound_command", "award".into(), inbound.encode_to_vec()),
        ("command_body", "award-json".into(), json_body),
        ("command_body", "award-protobuf".into(), protobuf_body),
        ("command_batch", "two-awards".into(), batch.encode_to_vec()),
        (
            "command_batch",
            "two-awards-json".into(),
            serde_json::to_vec(&batch).unwrap_or_default(),
        ),
        ("snapshot", "empty-grants".into(), snapshot),
        (
            "tokens_file",
            "two-callers".into(),
            format!(
                "# sha256 name roles [source system]\n{} controller controller\n{} integrator integrator,persons demo\n",
                "ab".repeat(32),
                "cd".repeat(32)
            )
            .into_bytes(),
        ),
    ]
}
