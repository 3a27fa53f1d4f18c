-- The read model of the first slice: programmes, envelopes and grants, the
-- index of every projected event, and the projection's own bookkeeping.

-- Where each projection stands in each partition. Written in the same
-- transaction as the rows the events produced, so a crash can neither lose an
-- event nor count it twice.
CREATE TABLE projection_offsets (
    projection  text        NOT NULL,
    topic       text        NOT NULL,
    partition   integer     NOT NULL,
    next_offset bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, topic, partition)
);

-- A partition whose next event cannot be applied. While a row exists the
-- projection does not advance that partition: it never serves a balance that
-- silently skips an event.
CREATE TABLE projection_faults (
    projection  text        NOT NULL,
    topic       text        NOT NULL,
    partition   integer     NOT NULL,
    "offset"    bigint      NOT NULL,
    event_id    text,
    error       text        NOT NULL,
    detected_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, topic, partition)
);

-- Every projected event with its Kafka coordinates and hash: the drill-down
-- target of every figure.
CREATE TABLE events (
    event_id       uuid        PRIMARY KEY,
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    "offset"       bigint      NOT NULL,
    stream_type    text        NOT NULL,
    stream_id      text        NOT NULL,
    stream_version bigint      NOT NULL,
    event_type     text        NOT NULL,
    effective_date date        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    hash           bytea       NOT NULL,
    UNIQUE (topic, partition, "offset"),
    UNIQUE (stream_type, stream_id, stream_version)
);

CREATE TABLE programmes (
    programme_id text    PRIMARY KEY,
    funder_kind  text    NOT NULL,
    funder_code  text    NOT NULL,
    funder_name  text    NOT NULL,
    name         text    NOT NULL,
    period_start date    NOT NULL,
    period_end   date    NOT NULL,
    event_id     uuid    NOT NULL REFERENCES events
);

-- No foreign key to programmes: a programme's events and its envelopes' events
-- live in different partitions, whose relative order Kafka does not fix. Only
-- relations within one partition (an envelope and its grants, both keyed by
-- the envelope) are enforced here; the others are joined when read.
CREATE TABLE envelopes (
    envelope_id     text   PRIMARY KEY,
    programme_id    text   NOT NULL,
    kind            text   NOT NULL,
    label           text   NOT NULL,
    vote_reference  text   NOT NULL,
    period_start    date   NOT NULL,
    period_end      date   NOT NULL,
    voted_cents     bigint NOT NULL,
    committed_cents bigint NOT NULL DEFAULT 0,
    paid_cents      bigint NOT NULL DEFAULT 0,
    recovery_ordered_cents  bigint NOT NULL DEFAULT 0,
    recovery_received_cents bigint NOT NULL DEFAULT 0,
    event_id        uuid   NOT NULL REFERENCES events,
    -- The write side guarantees these; the read side refuses to show otherwise.
    CONSTRAINT envelope_not_overcommitted CHECK (committed_cents <= voted_cents),
    CONSTRAINT envelope_not_overpaid CHECK (paid_cents <= committed_cents),
    CONSTRAINT recoveries_within_payments CHECK (recovery_received_cents <= recovery_ordered_cents
                                                 AND recovery_ordered_cents <= paid_cents)
);

CREATE TABLE grants (
    grant_id       text    PRIMARY KEY,
    envelope_id    text    NOT NULL REFERENCES envelopes,
    kind           text    NOT NULL,
    amount_cents   bigint  NOT NULL CHECK (amount_cents > 0),
    paid_cents     bigint  NOT NULL DEFAULT 0,
    cancelled      boolean NOT NULL DEFAULT false,
    recovery_ordered_cents  bigint NOT NULL DEFAULT 0,
    recovery_received_cents bigint NOT NULL DEFAULT 0,
    purpose        text    NOT NULL,
    effective_date date    NOT NULL,
    event_id       uuid    NOT NULL REFERENCES events,
    CONSTRAINT grant_not_overpaid CHECK (paid_cents <= amount_cents)
);
CREATE INDEX grants_by_envelope ON grants (envelope_id);
