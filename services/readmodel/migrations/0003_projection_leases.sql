-- Projection engine v2: several projector instances share the partitions of
-- one projection. Each partition is owned by at most one instance at a time
-- under a lease; every claim raises the partition's epoch, and every write
-- checks it in the same transaction as the rows, so an instance that lost a
-- partition (paused, partitioned away, killed and restarted late) can never
-- write to it again.
ALTER TABLE projection_offsets
    ADD COLUMN owner       text,
    ADD COLUMN epoch       bigint NOT NULL DEFAULT 0,
    ADD COLUMN lease_until timestamptz;

-- The instances of each projection, alive while their heartbeat is recent:
-- partitions are shared evenly among them.
CREATE TABLE projector_instances (
    projection   text        NOT NULL,
    instance     text        NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, instance)
);

-- Database outages a projector lived through (written once the database is
-- back): they are retried, never recorded as faults, but ops should see them.
CREATE TABLE projection_outages (
    projection text        NOT NULL,
    instance   text        NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz NOT NULL,
    retries    integer     NOT NULL,
    error      text        NOT NULL,
    PRIMARY KEY (projection, instance, started_at)
);

-- A grant cancelled before any payment releases its whole amount: its
-- amount becomes 0, which the first schema refused (and a projector would
-- have stopped at the cancellation).
ALTER TABLE grants
    DROP CONSTRAINT grants_amount_cents_check,
    ADD CONSTRAINT grant_amount_not_negative CHECK (amount_cents >= 0);
