//! Bringing a writer's state to the end of its topic at start: from the last
//! snapshot and the events after it when the topic confirms the snapshot,
//! otherwise from offset zero.

use std::collections::HashMap;

use ledger_domain::signing::KeyRing;
use ledger_domain::Decider;
use ledger_kafka::{read_from, read_to_end, KafkaError, Position, ReadRecord};

use crate::{
    log::{Tip, WriterState},
    signing::admit,
    snapshot::SnapshotStore,
    WriterConfig,
};

/// A state brought up to date, and how.
pub(crate) struct Restored<D> {
    pub state: WriterState<D>,
    /// Events read from the topic to get there.
    pub folded: u64,
    pub from_snapshot: bool,
}

/// The state as the topic has it now.
pub(crate) async fn restore<D: Decider>(
    config: &WriterConfig,
    store: Option<&SnapshotStore>,
) -> Result<Restored<D>, KafkaError> {
    if let Some(store) = store {
        let started = std::time::Instant::now();
        let loaded = store.load::<D>();
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "snapshot file read"
        );
        match loaded {
            Ok(Some(snapshot)) => match resume(config, snapshot).await? {
                Ok(restored) => return Ok(restored),
                Err(why) => tracing::warn!(
                    path = %store.path().display(), %why,
                    "snapshot set aside: the topic does not confirm it; rebuilding from offset zero"
                ),
            },
            Ok(None) => {}
            Err(err) => tracing::warn!(
                error = %err,
                "snapshot set aside; rebuilding from offset zero"
            ),
        }
    }
    rebuild(config).await
}

fn position(topic: &str, record: &ReadRecord) -> Position {
    Position {
        topic: topic.to_owned(),
        partition: record.partition,
        offset: record.offset,
    }
}

async fn rebuild<D: Decider>(config: &WriterConfig) -> Result<Restored<D>, KafkaError> {
    let topic = config.topic.clone();
    let ring = config.signing.ring.clone();
    let (state, folded) = read_to_end(
        &config.kafka,
        &config.topic,
        (WriterState::<D>::default(), 0u64),
        move |(state, folded), record| {
            // A record this writer did not write (undecodable, unsigned,
            // signed by another key) is left out of the state, and said so,
            // instead of keeping the service from starting.
            let Some(event) = admit(
                &ring,
                &topic,
                record.partition,
                record.offset,
                &record.payload,
            ) else {
                return Ok(());
            };
            state.fold(&event, Some(&record.payload), position(&topic, &record))?;
            *folded += 1;
            Ok(())
        },
    )
    .await?;
    Ok(Restored {
        state,
        folded,
        from_snapshot: false,
    })
}

/// Reading the topic on from a snapshot.
struct Resuming<D> {
    state: WriterState<D>,
    /// The snapshot's last event per partition, not yet found in the topic.
    unconfirmed: HashMap<i32, Tip>,
    /// Why the snapshot cannot be trusted, once that is known.
    mismatch: Option<String>,
    folded: u64,
}

/// Reads each partition from the snapshot's last event in it: that event
/// must be at that offset with that hash (else the topic is not the one the
/// snapshot was taken from), and everything after it is folded as usual.
/// The outer error is Kafka's; the inner one says why the snapshot is not
/// to be trusted.
async fn resume<D: Decider>(
    config: &WriterConfig,
    snapshot: WriterState<D>,
) -> Result<Result<Restored<D>, String>, KafkaError> {
    let unconfirmed: HashMap<i32, Tip> = snapshot
        .tips()
        .iter()
        .map(|(&p, tip)| (p, tip.clone()))
        .collect();
    let start = unconfirmed
        .iter()
        .map(|(&p, tip)| (p, tip.offset))
        .collect();
    let topic = config.topic.clone();
    let ring = config.signing.ring.clone();
    let resumed = read_from(
        &config.kafka,
        &config.topic,
        &start,
        Resuming {
            state: snapshot,
            unconfirmed,
            mismatch: None,
            folded: 0,
        },
        move |r, record| {
            if r.mismatch.is_none() {
                r.mismatch = resume_one(r, &ring, &topic, &record).err();
            }
            Ok(())
        },
    )
    .await?;
    if let Some(why) = resumed.mismatch {
        return Ok(Err(why));
    }
    if let Some((partition, tip)) = resumed.unconfirmed.iter().next() {
        return Ok(Err(format!(
            "partition {partition} ends before offset {}, the snapshot's last event there",
            tip.offset
        )));
    }
    Ok(Ok(Restored {
        state: resumed.state,
        folded: resumed.folded,
        from_snapshot: true,
    }))
}

fn resume_one<D: Decider>(
    r: &mut Resuming<D>,
    ring: &KeyRing,
    topic: &str,
    record: &ReadRecord,
) -> Result<(), String> {
    let Some(event) = admit(
        ring,
        topic,
        record.partition,
        record.offset,
        &record.payload,
    ) else {
        // Left out, as in a rebuild; but a snapshot's last event is ours.
        if r.unconfirmed.contains_key(&record.partition) {
            return Err(format!(
                "partition {}: the record at the snapshot's last offset is not its writer's",
                record.partition
            ));
        }
        return Ok(());
    };
    if let Some(tip) = r.unconfirmed.remove(&record.partition) {
        if record.offset != tip.offset || event.hash != tip.hash {
            return Err(format!(
                "partition {}: the snapshot's last event (offset {}) is not in the topic at that place",
                record.partition, tip.offset
            ));
        }
        return Ok(());
    }
    r.state
        .fold(&event, Some(&record.payload), position(topic, record))?;
    r.folded += 1;
    Ok(())
}
