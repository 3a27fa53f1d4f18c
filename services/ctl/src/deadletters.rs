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

/// Sends the dead letters of `system` from offset `from` back to its
/// inbound topic, with their keys, in one transaction: read with `reader`'s
/// login, written with `writer`'s (the system's own, so that a re-drive has
/// no more right to the inbound topic than its sender). Letters of other
/// systems are left for their own re-drive. Returns how many were sent, and
/// the offset to start from next time.
pub async fn redrive(
    reader: &KafkaConfig,
    writer: &KafkaConfig,
    topics: &Topics,
    system: &str,
    from: i64,
) -> Result<(usize, i64), KafkaError> {
    let letters = list(reader, topics, from).await?;
    let own = topics.inbound_of(system);
    let records: Vec<OutboundRecord> = letters
        .iter()
        .filter(|(_, letter)| letter.source_topic == own)
        .map(|(_, letter)| OutboundRecord {
            topic: letter.source_topic.clone(),
            key: String::from_utf8_lossy(&letter.key).into_owned(),
            payload: letter.value.clone(),
            event_type: "InboundCommand".into(),
        })
        .collect();
    if !records.is_empty() {
        let id = writer.own_transactional_id(topics, &format!("redrive-{}", std::process::id()));
        let producer = TxProducer::connect(writer, &id).await?;
        producer.append(&records).await?;
    }
    let next = letters.last().map_or(from, |(offset, _)| offset + 1);
    Ok((records.len(), next))
}
