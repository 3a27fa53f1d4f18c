//! Reading a topic from its first offset to its current end.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use rdkafka::{
    consumer::{BaseConsumer, Consumer},
    error::{KafkaError as RdError, RDKafkaErrorCode},
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
    read_from(config, topic, &HashMap::new(), state, apply).await
}

/// Like [`read_to_end`], but each partition named in `start` is read from
/// the given offset instead of its beginning (a writer resuming from a
/// snapshot).
pub async fn read_from<S, F>(
    config: &KafkaConfig,
    topic: &str,
    start: &HashMap<i32, i64>,
    state: S,
    apply: F,
) -> Result<S, KafkaError>
where
    S: Send + 'static,
    F: FnMut(&mut S, ReadRecord) -> Result<(), ApplyFailure> + Send + 'static,
{
    let client = config.committed_reader(&format!("{topic}.rebuild"));
    let topic = topic.to_owned();
    let start = start.clone();
    tokio::task::spawn_blocking(move || read_blocking(client, &topic, &start, state, apply))
        .await
        .map_err(|e| KafkaError::Worker(e.to_string()))?
}

/// The one record at `offset` of a partition (committed transactions only),
/// or `None` when there is none there (a transaction marker, an aborted
/// record, or past the end).
pub async fn read_one(
    config: &KafkaConfig,
    topic: &str,
    partition: i32,
    offset: i64,
) -> Result<Option<ReadRecord>, KafkaError> {
    let client = config.committed_reader(&format!("{topic}.rebuild"));
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer<LedgerContext> = client.create_with_context(LedgerContext)?;
        let mut assignment = TopicPartitionList::new();
        assignment.add_partition_offset(&topic, partition, Offset::Offset(offset))?;
        consumer.assign(&assignment)?;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            match consumer.poll(Duration::from_millis(500)) {
                None => continue,
                Some(Err(RdError::PartitionEOF(_))) => return Ok(None),
                Some(Err(err)) => return Err(err.into()),
                Some(Ok(message)) if message.offset() == offset => {
                    return Ok(Some(ReadRecord {
                        partition,
                        offset,
                        key: message.key().map(<[u8]>::to_vec),
                        payload: message.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                    }))
                }
                // The offset held no record of a committed transaction.
                Some(Ok(_)) => return Ok(None),
            }
        }
        Err(KafkaError::Worker(format!(
            "no answer for {topic}/{partition}@{offset} in 30 s"
        )))
    })
    .await
    .map_err(|e| KafkaError::Worker(e.to_string()))?
}

/// Every partition of `topic`, each from its offset in `start` or else from
/// its beginning.
pub(crate) fn assignment(
    topic: &str,
    partitions: &[i32],
    start: &HashMap<i32, i64>,
) -> Result<TopicPartitionList, KafkaError> {
    let mut assignment = TopicPartitionList::new();
    for p in partitions {
        let offset = start
            .get(p)
            .map_or(Offset::Beginning, |&offset| Offset::Offset(offset));
        assignment.add_partition_offset(topic, *p, offset)?;
    }
    Ok(assignment)
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
    if let Some(code) = metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .and_then(|t| t.error())
    {
        let code = RDKafkaErrorCode::from(code);
        if code == RDKafkaErrorCode::TopicAuthorizationFailed {
            return Err(KafkaError::Unauthorised(RdError::MetadataFetch(code)));
        }
    }
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
    start: &HashMap<i32, i64>,
    mut state: S,
    mut apply: F,
) -> Result<S, KafkaError>
where
    F: FnMut(&mut S, ReadRecord) -> Result<(), ApplyFailure>,
{
    let consumer: BaseConsumer<LedgerContext> = client.create_with_context(LedgerContext)?;
    let partitions = partitions_of(&consumer, topic)?;
    consumer.assign(&assignment(topic, &partitions, start)?)?;

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

/// The end (high watermark) of each given partition: what a consumer that
/// has read everything would take as its next offset.
pub async fn end_offsets(
    config: &KafkaConfig,
    partitions: Vec<(String, i32)>,
) -> Result<Vec<i64>, KafkaError> {
    let client = config.admin();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer<LedgerContext> = client.create_with_context(LedgerContext)?;
        partitions
            .iter()
            .map(|(topic, partition)| {
                consumer
                    .fetch_watermarks(topic, *partition, Duration::from_secs(5))
                    .map(|(_, high)| high)
                    // A topic we may not describe looks like an unknown
                    // partition here: the metadata says which it is.
                    .map_err(|err| match partitions_of(&consumer, topic) {
                        Err(refused @ KafkaError::Unauthorised(_)) => refused,
                        _ => KafkaError::from(err),
                    })
            })
            .collect()
    })
    .await
    .map_err(|e| KafkaError::Worker(e.to_string()))?
}
