//! Client settings shared by every producer and consumer.

use rdkafka::ClientConfig;

/// How to reach the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    /// `host:port` list, e.g. `127.0.0.1:29092`.
    pub brokers: String,
}

impl KafkaConfig {
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
        }
    }

    fn base(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        config
    }

    /// A producer that cannot lose or duplicate: idempotent, `acks=all`,
    /// transactional under `transactional_id` (which fences older instances).
    pub fn transactional_producer(&self, transactional_id: &str) -> ClientConfig {
        let mut config = self.base();
        config
            .set("transactional.id", transactional_id)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            // Java clients hash keys with murmur2: using the same partitioner
            // keeps a key on one partition whoever writes it.
            .set("partitioner", "murmur2_random")
            .set("compression.type", "zstd")
            .set("linger.ms", "5")
            .set("transaction.timeout.ms", "60000");
        config
    }

    /// A consumer that sees committed transactions only and never commits
    /// offsets to Kafka: its owner keeps positions where they belong.
    pub fn committed_reader(&self, group_id: &str) -> ClientConfig {
        let mut config = self.base();
        config
            .set("group.id", group_id)
            .set("isolation.level", "read_committed")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "true")
            // Low fetch latency: read-your-writes waits on the projector, and
            // a service's start waits on reaching the end of its topics.
            .set("fetch.wait.max.ms", "50");
        config
    }

    /// A plain client for administration and metadata.
    pub fn admin(&self) -> ClientConfig {
        self.base()
    }
}
