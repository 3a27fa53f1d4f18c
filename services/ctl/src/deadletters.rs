//! The dead-letter topic: inbound records the gateway could not decode or
//! answer, and sending them back once their cause is fixed.

use ledger_kafka::{read_to_end, KafkaConfig, KafkaError, OutboundRecord, Topics, TxProducer};
use ledger_proto::v1::DeadLetter;
use prost::Message;

/// Every dead letter from offset `from` of the dead-letter topic, with its
/// offset there.
pub async fn list(
    kafka: &KafkaConfig,
    topics: &Topics,
    from: i64,
) -> Result<Vec<(i64, DeadLetter)>, KafkaError> {
    read_to_end(kafka, &topics.deadletter, Vec::new(), move |all, record| {
        if record.offset >= from {
            all.push((
                record.offset,
                DeadLetter::decode(record.payload.as_slice())?,
            ));
        }
        Ok(())
    })
    .await
}

/// Sends the dead letters from offset `from` back to the topics they came
/// from, with their keys, in one transaction. Returns how many, and the
/// offset to start from next time.
pub async fn redrive(
    kafka: &KafkaConfig,
    topics: &Topics,
    from: i64,
) -> Result<(usize, i64), KafkaError> {
    let letters = list(kafka, topics, from).await?;
    let records: Vec<OutboundRecord> = letters
        .iter()
        .map(|(_, letter)| OutboundRecord {
            topic: letter.source_topic.clone(),
            key: String::from_utf8_lossy(&letter.key).into_owned(),
            payload: letter.value.clone(),
            event_type: "InboundCommand".into(),
        })
        .collect();
    if !records.is_empty() {
        // Under the login of the source system whose commands these are: a
        // re-drive has no more right to the inbound topic than its sender.
        let id = kafka.own_transactional_id(topics, &format!("redrive-{}", std::process::id()));
        let producer = TxProducer::connect(kafka, &id).await?;
        producer.append(&records).await?;
    }
    let next = letters.last().map_or(from, |(offset, _)| offset + 1);
    Ok((records.len(), next))
}
