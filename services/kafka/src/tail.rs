//! Following topics as they grow: how a service learns other contexts' facts.

use std::collections::{HashMap, HashSet};

use rdkafka::{
    consumer::{Consumer, StreamConsumer},
    error::KafkaError as RdError,
    Message,
};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::{
    config::KafkaConfig,
    context::LedgerContext,
    error::KafkaError,
    reader::{assignment, partitions},
    ReadRecord,
};

/// A record of a followed topic.
#[derive(Debug, Clone)]
pub struct TailRecord {
    pub topic: String,
    pub record: ReadRecord,
}

/// Reads `topic` from its first offset and keeps reading as it grows, sending
/// every committed record to `out`. `caught_up` fires once every partition
/// has been read to the end it had when following started. Returns when
/// `shutdown` is cancelled or `out` is closed.
pub async fn follow(
    config: KafkaConfig,
    topic: String,
    out: mpsc::Sender<TailRecord>,
    caught_up: oneshot::Sender<()>,
    shutdown: CancellationToken,
) -> Result<(), KafkaError> {
    follow_from(config, topic, HashMap::new(), out, caught_up, shutdown).await
}

/// Like [`follow`], but each partition named in `start` is read from the
/// given offset instead of its beginning.
pub async fn follow_from(
    config: KafkaConfig,
    topic: String,
    start: HashMap<i32, i64>,
    out: mpsc::Sender<TailRecord>,
    caught_up: oneshot::Sender<()>,
    shutdown: CancellationToken,
) -> Result<(), KafkaError> {
    let ids = partitions(&config, &topic).await?;
    let consumer: StreamConsumer<LedgerContext> = config
        .committed_reader(&format!("{topic}.follow"))
        .create_with_context(LedgerContext)?;
    consumer.assign(&assignment(&topic, &ids, &start)?)?;

    let mut caught_up = Some(caught_up);
    let mut at_end: HashSet<i32> = HashSet::new();
    loop {
        let received = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            received = consumer.recv() => received,
        };
        match received {
            Err(RdError::PartitionEOF(p)) => {
                at_end.insert(p);
                if at_end.len() == ids.len() {
                    if let Some(signal) = caught_up.take() {
                        let _ = signal.send(());
                    }
                }
            }
            Err(err) => return Err(err.into()),
            Ok(message) => {
                let record = ReadRecord {
                    partition: message.partition(),
                    offset: message.offset(),
                    key: message.key().map(<[u8]>::to_vec),
                    payload: message.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                };
                if out
                    .send(TailRecord {
                        topic: topic.clone(),
                        record,
                    })
                    .await
                    .is_err()
                {
                    return Ok(());
                }
            }
        }
    }
}
