//! Every fuzz target over its seeds and over the corpus libFuzzer grew
//! (`fuzz/corpus/<target>/`, kept in the repository): what once made a
//! target crash stays fixed, on every `cargo test`.

use std::path::PathBuf;

#[test]
fn every_target_survives_its_seeds_and_its_corpus() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut inputs = 0;
    for (target, _, bytes) in ledger_fuzzing::seeds() {
        run(target, &bytes);
        inputs += 1;
    }
    for (target, _) in ledger_fuzzing::TARGETS {
        let Ok(entries) = std::fs::read_dir(corpus.join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            run(target, &std::fs::read(entry.path()).unwrap());
            inputs += 1;
        }
    }
    assert!(inputs >= ledger_fuzzing::TARGETS.len(), "{inputs} inputs");
}

#[test]
fn the_seeds_are_read_as_what_they_are() {
    // A seed that no decoder accepts would leave its target exploring
    // nothing: each must get past decoding.
    use ledger_proto::v1::{CommandBatch, EventEnvelope, InboundCommand};
    use prost::Message;
    for (target, name, bytes) in ledger_fuzzing::seeds() {
        let read = match target {
            "event_envelope" => EventEnvelope::decode(bytes.as_slice()).is_ok(),
            "inbound_command" => InboundCommand::decode(bytes.as_slice()).is_ok(),
            "command_batch" => {
                CommandBatch::decode(bytes.as_slice()).is_ok()
                    || serde_json::from_slice::<CommandBatch>(&bytes).is_ok()
            }
            "tokens_file" => {
                ledger_http::auth::parse_tokens_file(std::str::from_utf8(&bytes).unwrap())
                    .is_ok_and(|n| n == 2)
            }
            "command_body" | "snapshot" => !bytes.is_empty(),
            other => panic!("a seed for no target: {other}"),
        };
        assert!(read, "{target}/{name} is not read as one");
    }
}

fn run(target: &str, bytes: &[u8]) {
    let (_, body) = ledger_fuzzing::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no target {target}"));
    body(bytes);
}
