//! Topic creation with the designed settings.

use std::time::Duration;

use rdkafka::{
    admin::{AdminClient, AdminOptions, NewTopic, TopicReplication},
    client::DefaultClientContext,
    types::RDKafkaErrorCode,
};

use crate::{config::KafkaConfig, error::KafkaError, topics::TopicSpec};

/// Creates the topics that do not exist yet: infinite retention (time and
/// size), deletion policy (never compacted). Existing topics are left as
/// they are. `replication` is 1 on the local stack, 3 in production.
pub async fn ensure_topics(
    config: &KafkaConfig,
    specs: &[TopicSpec],
    replication: i32,
) -> Result<(), KafkaError> {
    crate::check_access(config, Duration::from_secs(30)).await?;
    let admin: AdminClient<DefaultClientContext> = config.admin().create()?;
    let min_isr = if replication >= 3 { "2" } else { "1" };
    let topics: Vec<NewTopic<'_>> = specs
        .iter()
        .map(|spec| {
            NewTopic::new(
                &spec.name,
                spec.partitions,
                TopicReplication::Fixed(replication),
            )
            .set("retention.ms", "-1")
            .set("retention.bytes", "-1")
            .set("cleanup.policy", "delete")
            .set("min.insync.replicas", min_isr)
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    for result in admin.create_topics(&topics, &options).await? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(KafkaError::Client(rdkafka::error::KafkaError::AdminOp(
                    code,
                )))
                .inspect_err(|_| tracing::error!(%topic, ?code, "topic creation failed"));
            }
        }
    }
    // A topic just created is not yet in every broker's metadata: wait
    // until each is, with its partitions, so that a client started right
    // after this returns finds it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    for spec in specs {
        loop {
            match crate::partitions(config, &spec.name).await {
                Ok(found) if found.len() >= spec.partitions as usize => break,
                Ok(_) | Err(KafkaError::MissingTopic(_))
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok(_) => return Err(KafkaError::MissingTopic(spec.name.clone())),
                Err(err) => return Err(err),
            }
        }
    }
    Ok(())
}
