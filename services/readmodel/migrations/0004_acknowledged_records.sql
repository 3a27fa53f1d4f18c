-- Records of an event topic that are not events its writer signed
-- (undecodable, unsigned, signed by another key), which ops have looked at
-- and acknowledged with `ledgerctl acknowledge` so that the partition moves
-- past them. Each row is the audit entry: who, when, why. The table lives in
-- its own schema, outside the read model's tables, so that a rebuild into a
-- shadow schema and a swap keep the same acknowledgements.
CREATE SCHEMA IF NOT EXISTS ledger_ops;

CREATE TABLE IF NOT EXISTS ledger_ops.acknowledged_records (
    projection      text        NOT NULL,
    topic           text        NOT NULL,
    partition       integer     NOT NULL,
    "offset"        bigint      NOT NULL,
    -- What the projector said of the record when it stopped at it.
    refused_because text        NOT NULL,
    reason          text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    acknowledged_by text        NOT NULL CHECK (length(acknowledged_by) BETWEEN 1 AND 128),
    acknowledged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, topic, partition, "offset")
);
