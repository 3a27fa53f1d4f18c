//! Reading a topic from its first offset to its current end.

use std::{collections::HashSet, time::Duration};

use rdkafka::{
    consumer::{BaseConsumer, Consumer},
    error::KafkaError as RdError,
    Message, Offset, TopicPartitionList,
};

use crate::{config::KafkaConfig, context::LedgerContext, error::KafkaError};

/// One record as read back.
#[derive(Debug, Clone)]
pub struct ReadRecord {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
}

/// Error from the caller's fold function, with the record it failed on.
pub type ApplyFailure = Box<dyn std::error::Error + Send + Sync>;

/// Reads every committed record of `topic` from offset zero up to the end as
/// it stands when each partition is reached, folding them into `state`.
///
/// Runs on a blocking thread; records of one partition arrive in order.
/// Meant for a single writer rebuilding its state after it has fenced any
/// older instance, so "the end" is stable.
pub async fn read_to_end<S, F>(
    config: &KafkaConfig,
    topic: &str,
    state: S,
    apply: F,
) -> Result<S, KafkaError>
where
    S: Send + 'static,
    F: FnMut(&mut S, ReadRecord) -> Result<(), ApplyFailure> + Send + 'static,
{
    let client = config.committed_reader(&format!("{topic}.rebuild"));
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || read_blocking(client, &topic, state, apply))
        .await
        .map_err(|e| KafkaError::Worker(e.to_string()))?
}

/// The partition ids of `topic`, asking the cluster.
pub async fn partitions(config: &KafkaConfig, topic: &str) -> Result<Vec<i32>, KafkaError> {
    let client = config.admin();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer<LedgerContext> = client.create_with_context(LedgerContext)?;
        partitions_of(&consumer, &topic)
    })
    .await
    .map_err(|e| KafkaError::Worker(e.to_string()))?
}

fn partitions_of(
    consumer: &BaseConsumer<LedgerContext>,
    topic: &str,
) -> Result<Vec<i32>, KafkaError> {
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic && t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        return Err(KafkaError::MissingTopic(topic.to_owned()));
    }
    Ok(partitions)
}

fn read_blocking<S, F>(
    client: rdkafka::ClientConfig,
    topic: &str,
    mut state: S,
    mut apply: F,
) -> Result<S, KafkaError>
where
    F: FnMut(&mut S, ReadRecord) -> Result<(), ApplyFailure>,
{
    let consumer: BaseConsumer<LedgerContext> = client.create_with_context(LedgerContext)?;
    let partitions = partitions_of(&consumer, topic)?;
    let mut assignment = TopicPartitionList::new();
    for p in &partitions {
        assignment.add_partition_offset(topic, *p, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;

    let mut at_end: HashSet<i32> = HashSet::new();
    while at_end.len() < partitions.len() {
        match consumer.poll(Duration::from_millis(500)) {
            None => continue,
            Some(Err(RdError::PartitionEOF(p))) => {
                at_end.insert(p);
            }
            Some(Err(err)) => return Err(err.into()),
            Some(Ok(message)) => {
                let record = ReadRecord {
                    partition: message.partition(),
                    offset: message.offset(),
                    key: message.key().map(<[u8]>::to_vec),
                    payload: message.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                };
                apply(&mut state, record).map_err(|e| {
                    KafkaError::Worker(format!(
                        "record {topic}/{}@{} cannot be applied: {e}",
                        message.partition(),
                        message.offset()
                    ))
                })?;
            }
        }
    }
    Ok(state)
}
