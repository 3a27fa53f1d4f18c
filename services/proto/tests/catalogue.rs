//! `docs/events.md` and `docs/commands.md` are generated from the `.proto`
//! files' own comments, and this test fails when they drift. After changing
//! the contract, regenerate them with
//!
//!     LEDGER_BLESS=1 cargo test -p ledger-proto --test catalogue

#![allow(clippy::unwrap_used)] // a test: a broken descriptor should fail loudly

mod examples;

use std::{fmt::Write, path::PathBuf};

use prost::Message;
use prost_types::{
    field_descriptor_proto::Type, DescriptorProto, FileDescriptorProto, FileDescriptorSet,
};

fn files() -> Vec<FileDescriptorProto> {
    FileDescriptorSet::decode(ledger_proto::FILE_DESCRIPTOR_SET)
        .unwrap()
        .file
}

fn comment(file: &FileDescriptorProto, path: &[i32]) -> String {
    let info = file.source_code_info.as_ref().unwrap();
    info.location
        .iter()
        .find(|l| l.path == path)
        .and_then(|l| l.leading_comments.clone())
        .map(|c| {
            c.lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
                .trim()
                .to_owned()
        })
        .unwrap_or_default()
}

fn type_name(field: &prost_types::FieldDescriptorProto) -> String {
    let base = match field.r#type() {
        Type::Message | Type::Enum => field
            .type_name()
            .trim_start_matches(".ledger.v1.")
            .trim_start_matches(".google.protobuf.")
            .to_owned(),
        Type::String => "string".into(),
        Type::Int64 => "int64".into(),
        Type::Uint64 => "uint64".into(),
        Type::Int32 => "int32".into(),
        Type::Uint32 => "uint32".into(),
        Type::Bytes => "bytes".into(),
        Type::Bool => "bool".into(),
        other => format!("{other:?}").to_lowercase(),
    };
    if field.label() == prost_types::field_descriptor_proto::Label::Repeated {
        format!("repeated {base}")
    } else {
        base
    }
}

fn render_message(
    out: &mut String,
    file: &FileDescriptorProto,
    index: usize,
    message: &DescriptorProto,
) {
    let path = [4, index as i32];
    writeln!(out, "### {}\n\n{}\n", message.name(), comment(file, &path)).unwrap();
    if let Some(example) = example_of(message.name()) {
        writeln!(out, "```json\n{example}\n```\n").unwrap();
    }
    writeln!(out, "| # | field | type | meaning |\n|---|---|---|---|").unwrap();
    for (i, field) in message.field.iter().enumerate() {
        let meaning = comment(file, &[4, index as i32, 2, i as i32]).replace('|', "\\|");
        writeln!(
            out,
            "| {} | `{}` | `{}` | {} |",
            field.number(),
            field.name(),
            type_name(field),
            meaning
        )
        .unwrap();
    }
    out.push('\n');
}

fn render_enums(out: &mut String, file: &FileDescriptorProto) {
    for (index, e) in file.enum_type.iter().enumerate() {
        writeln!(
            out,
            "### enum {}\n\n{}\n",
            e.name(),
            comment(file, &[5, index as i32])
        )
        .unwrap();
        writeln!(out, "| value | meaning |\n|---|---|").unwrap();
        for (i, value) in e.value.iter().enumerate() {
            writeln!(
                out,
                "| `{}` | {} |",
                value.name(),
                comment(file, &[5, index as i32, 2, i as i32])
            )
            .unwrap();
        }
        out.push('\n');
    }
}

fn render(files: &[FileDescriptorProto], names: &[(&str, &str)], preamble: &str) -> String {
    let mut out = String::from(preamble);
    for (name, title) in names {
        let file = files
            .iter()
            .find(|f| f.name() == format!("ledger/v1/{name}.proto"))
            .unwrap();
        writeln!(out, "## {title} (`proto/ledger/v1/{name}.proto`)\n").unwrap();
        for (index, message) in file.message_type.iter().enumerate() {
            render_message(&mut out, file, index, message);
        }
        render_enums(&mut out, file);
    }
    out
}

/// The JSON example of an event message, or of the envelope itself.
fn example_of(message: &str) -> Option<String> {
    if message == "EventEnvelope" {
        let payload = examples::payloads()
            .into_iter()
            .find(|p| p.type_name() == "PaymentMade")?;
        return serde_json::to_string_pretty(&examples::envelope(payload)).ok();
    }
    let payload = examples::payloads()
        .into_iter()
        .find(|p| p.type_name() == message)?;
    let json = serde_json::to_value(examples::envelope(payload)).ok()?;
    let (_, inner) = json
        .as_object()?
        .iter()
        .find(|(k, _)| k.as_str() == snake(message))?;
    serde_json::to_string_pretty(&serde_json::json!({ snake(message): inner })).ok()
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[test]
fn every_event_has_an_example() {
    let mut names: Vec<&str> = examples::payloads().iter().map(|p| p.type_name()).collect();
    names.sort_unstable();
    let envelope = files()
        .into_iter()
        .flat_map(|f| f.message_type)
        .find(|m| m.name() == "EventEnvelope")
        .unwrap();
    let mut events: Vec<String> = envelope
        .field
        .iter()
        .filter(|f| f.oneof_index.is_some())
        .map(|f| f.type_name().rsplit('.').next().unwrap().to_owned())
        .collect();
    events.sort_unstable();
    assert_eq!(names, events, "one example per event of the catalogue");
}

const EVENTS_PREAMBLE: &str = "# Event catalogue

<!-- Generated from proto/ by services/proto/tests/catalogue.rs; do not edit by hand. -->

Every event travels in one `EventEnvelope` (below): the value of a Kafka
record on the context's topic, keyed by the aggregate that owns the
invariant. Money is integer euro cents; dates are `YYYY-MM-DD`; instants are
UTC. Persons appear only through pseudonymous ids. The tables are the
`.proto` comments, which are the contract.

| topic | events | written by |
|---|---|---|
| `ledger.grants.v1` | programmes, targets, envelopes, grants, payments, recoveries, loans, guarantees | grants service |
| `ledger.workforce.v1` | posts, hires, departures, installations | workforce service |
| `ledger.centres.v1` | centres, activity, members of groupings | centres service |
| `ledger.obligations.v1` | obligations, fulfilments, breaches | obligations service |

";

const COMMANDS_PREAMBLE: &str = "# Commands

<!-- Generated from proto/ by services/proto/tests/catalogue.rs; do not edit by hand. -->

A command asks the ledger to record one fact. Send it either

- over HTTP: `POST /v1/commands/<kebab-name>` on the owning service (e.g.
  `AwardGrant` → `POST /v1/commands/award-grant` on the grants service), as
  JSON in the proto3 JSON mapping (`Content-Type: application/json`) or as the
  binary message (`Content-Type: application/x-protobuf`); headers
  `Idempotency-Key` (always send one), `X-Source-System`, `X-Actor`,
  `X-Correlation-Id`, `X-Expected-Version`;
- or on Kafka: an `InboundCommand` on the sender's own topic
  `ledger.inbound.v1.<source system>` (only its Kafka user may write there,
  so the topic says who sent), answered by one `CommandResult` on
  `ledger.results.v1.<source system>` keyed by its `command_id`.

{services}
Several commands for one service go together as a `CommandBatch` (1 to
1,000 `InboundCommand`s, each with its own `command_id`) to
`POST /v1/commands:batch` on that service, as JSON in the proto3 mapping or
protobuf (body up to 8 MiB). They are decided in order, each against the
state the previous ones left (a payment after the award it pays, in the
same batch, is accepted), and appended in one transaction. The answer is
`200` with one result per command, in order: accepted ones as above with
`replayed`, rejected ones with their `status` and `error`; a rejected
command appends nothing and does not stop the next. A command that belongs
to another service (`unknown_command`), has no `command_id` or names
another source system than the request's (`unauthorised`) is rejected on
its own, its `field` prefixed `commands[i].`. Each command is idempotent
under its `command_id` as if sent alone, so a batch sent again changes
nothing. A `503` means the transaction failed and nothing of the batch was
recorded: send it again as it was. With `Accept: application/x-protobuf`
the answer is a `CommandBatchResult`. An empty or oversized batch is `422
invalid_batch`.

An accepted command answers `201` with its event and Kafka position:

```json
{\"outcome\":\"accepted\",\"command_id\":\"k-1\",\"events\":[{\"event_id\":\"01a2…\",\"event_type\":\"GrantAwarded\",
 \"stream\":{\"type\":\"grant\",\"id\":\"g-1\"},\"stream_version\":1,\"topic\":\"ledger.grants.v1\",\"partition\":4,\"offset\":12}]}
```

A refused command appends nothing and answers
`{\"error\":{\"code\":…,\"message\":…,\"field\":…}}`:

| status | code | when |
|---|---|---|
| 400 | `malformed_json`, `malformed_protobuf`, `empty_body`, `invalid_header` | the request cannot be read (unknown JSON fields and unknown enum names included) |
| 404 | `unknown_command` | no such command on this service |
| 413 | `body_rejected` | the body is over 256 KiB |
| 415 | `unsupported_media_type` | neither JSON nor protobuf |
| 422 | `invalid_field` | a field is missing, malformed (SIRET Luhn, FINESS, RPPS, INSEE codes, dates) or out of range; `field` names it |
| 422 | `not_found` | the command refers to something the ledger does not know |
| 422 | `effective_date_in_future` | a fact is dated after the day it is recorded (Europe/Paris); schedules, deadlines and periods may lie ahead |
| 409 | `already_exists` | the id is taken |
| 409 | `envelope_overcommitted` | the envelope has less left to commit (or a revision would go below commitments) |
| 409 | `payment_credits_exhausted` | the payment's chapter has not enough crédits de paiement left for its fiscal year |
| 409 | `invalid_state` | the aggregate's state forbids it (paid beyond the grant, cancelled grant, closed centre, filled post…) |
| 409 | `version_conflict` | `X-Expected-Version` does not match the stream |
| 409 | `idempotency_conflict` | the `Idempotency-Key` was used with another body |
| 503 | `log_unavailable`, `shutting_down` | nothing was recorded; retry with the same key |

On the inbound topic the same codes come back in `Rejection.code`, plus
`decode_error` (the record is not an `InboundCommand`; it is also copied to
`ledger.deadletter.v1`) and `unauthorised` (the source system may not send
that command, see `LEDGER_INBOUND_ALLOW`, or the message names another
source system than the topic's).

Each command's rules are in its fields' descriptions below.

";

/// Which service takes which commands, from the registry (the one table
/// every router derives from).
fn services_table() -> String {
    use ledger_proto::registry::{Context, COMMANDS};
    let mut table = String::from("| service | commands |\n|---|---|\n");
    for context in Context::ALL {
        let port = match context {
            Context::Grants => 18081,
            Context::Workforce => 18083,
            Context::Centres => 18084,
            Context::Obligations => 18085,
        };
        let names: Vec<&str> = COMMANDS
            .iter()
            .filter(|(_, owner)| *owner == context)
            .map(|(name, _)| *name)
            .collect();
        let extra = match context {
            Context::Workforce => "; and `/v1/persons` (register, read, erase personal details)",
            Context::Grants | Context::Centres | Context::Obligations => "",
        };
        table += &format!(
            "| {} ({port}) | {}{extra} |\n",
            context.name(),
            names.join(", ")
        );
    }
    table
}

fn check(path: &str, generated: &str) {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    if std::env::var("LEDGER_BLESS").is_ok() {
        std::fs::write(&file, generated).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        current == generated,
        "{path} is out of date with proto/: run LEDGER_BLESS=1 cargo test -p ledger-proto --test catalogue"
    );
}

#[test]
fn the_event_catalogue_is_in_step_with_the_contract() {
    let files = files();
    let names = [
        ("event", "The envelope"),
        ("common", "Shared types"),
        ("programmes", "Programmes & envelopes"),
        ("grants", "Grants"),
        ("workforce", "Workforce"),
        ("centres", "Centres"),
        ("obligations", "Obligations"),
    ];
    check("docs/events.md", &render(&files, &names, EVENTS_PREAMBLE));
}

#[test]
fn the_command_reference_is_in_step_with_the_contract() {
    let files = files();
    let names = [
        ("commands", "Commands"),
        ("inbound", "Inbound commands and results"),
    ];
    check(
        "docs/commands.md",
        &render(
            &files,
            &names,
            &COMMANDS_PREAMBLE.replace("{services}", &services_table()),
        ),
    );
}
