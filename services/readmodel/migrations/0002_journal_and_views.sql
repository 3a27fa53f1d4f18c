-- The full read model: the double-entry budget journal, and the views of
-- every context (loans and guarantees, obligations, centres, posts,
-- employments, installations, targets). Rows carry the effective date and the
-- time the ledger recorded the event, so that every figure can be asked "as of"
-- a date and "as known at" a moment (bitemporal).

-- Views projected before this migration lack the journal and the new
-- columns: they are emptied, with the offsets, and the projector rebuilds
-- everything from offset zero at its next start (the log is the truth).
TRUNCATE projection_offsets, projection_faults, grants, envelopes, programmes, events;

-- The event itself, for drill-down: metadata and payload in the proto3 JSON
-- mapping.
ALTER TABLE events
    ADD COLUMN occurred_at    timestamptz,
    ADD COLUMN source_system  text,
    ADD COLUMN actor          text,
    ADD COLUMN command_id     text,
    ADD COLUMN correlation_id text,
    ADD COLUMN causation_id   text,
    ADD COLUMN prev_hash      bytea,
    ADD COLUMN payload        jsonb;

ALTER TABLE programmes ADD COLUMN recorded_at timestamptz;

ALTER TABLE envelopes
    ADD COLUMN measure_code     text,
    ADD COLUMN region_code      text,
    ADD COLUMN departement_code text;

ALTER TABLE grants
    ADD COLUMN beneficiary      text,
    ADD COLUMN region_code      text,
    ADD COLUMN departement_code text,
    ADD COLUMN commune_code     text,
    ADD COLUMN measure_code     text,
    ADD COLUMN recovery_rule    text,
    ADD COLUMN obligation_months integer,
    ADD COLUMN cancelled_on     date,
    ADD COLUMN recorded_at      timestamptz;

-- The budget journal. Every event of the grants context that moves money
-- posts balanced lines (their amounts sum to zero: debit positive, credit
-- negative); every balance the API shows is a sum of these lines, and every
-- line names its event. The chart of accounts is in docs/api.md.
CREATE TABLE postings (
    posting_seq      bigserial   PRIMARY KEY,
    event_id         uuid        NOT NULL REFERENCES events,
    line             smallint    NOT NULL,
    account          text        NOT NULL,
    amount_cents     bigint      NOT NULL,
    envelope_id      text        NOT NULL REFERENCES envelopes,
    programme_id     text        NOT NULL,
    -- Where the money goes: the grant's territory when there is one, else
    -- the envelope's.
    region_code      text,
    departement_code text,
    fiscal_year      integer     NOT NULL,
    -- The grant, loan or guarantee the line is about, if any.
    subject_id       text,
    effective_date   date        NOT NULL,
    recorded_at      timestamptz NOT NULL,
    UNIQUE (event_id, line)
);
CREATE INDEX postings_by_envelope ON postings (envelope_id, effective_date);
CREATE INDEX postings_by_programme ON postings (programme_id, effective_date);
CREATE INDEX postings_by_subject ON postings (subject_id) WHERE subject_id IS NOT NULL;

CREATE TABLE loans (
    loan_id           text    PRIMARY KEY,
    envelope_id       text    NOT NULL REFERENCES envelopes,
    borrower          text    NOT NULL,
    principal_cents   bigint  NOT NULL,
    rate_basis_points integer NOT NULL,
    term_months       integer NOT NULL,
    first_repayment_date date,
    purpose           text    NOT NULL,
    effective_date    date    NOT NULL,
    recorded_at       timestamptz NOT NULL,
    event_id          uuid    NOT NULL REFERENCES events
);

CREATE TABLE guarantees (
    guarantee_id     text    PRIMARY KEY,
    envelope_id      text    NOT NULL REFERENCES envelopes,
    borrower         text    NOT NULL,
    lender           text    NOT NULL,
    principal_cents  bigint  NOT NULL,
    guaranteed_cents bigint  NOT NULL,
    start_date       date    NOT NULL,
    end_date         date    NOT NULL,
    purpose          text    NOT NULL,
    effective_date   date    NOT NULL,
    recorded_at      timestamptz NOT NULL,
    released_on      date,
    released_recorded_at timestamptz,
    release          text,
    called_cents     bigint  NOT NULL DEFAULT 0,
    event_id         uuid    NOT NULL REFERENCES events
);

-- Obligations: the state at a date is derived from start and settlement.
CREATE TABLE obligations (
    obligation_id    text    PRIMARY KEY,
    grant_id         text    NOT NULL,
    beneficiary      text    NOT NULL,
    region_code      text,
    departement_code text,
    commune_code     text,
    duration_months  integer NOT NULL,
    start_date       date    NOT NULL,
    end_date         date    NOT NULL,
    recorded_at      timestamptz NOT NULL,
    -- 'fulfilled' or 'breached' once settled.
    outcome          text,
    settled_on       date,
    settled_recorded_at timestamptz,
    reason           text,
    served_days      integer,
    obligation_days  integer,
    event_id         uuid    NOT NULL REFERENCES events
);
CREATE INDEX obligations_by_grant ON obligations (grant_id);

CREATE TABLE centres (
    centre_id        text    PRIMARY KEY,
    kind             text    NOT NULL,
    finess           text    NOT NULL,
    name             text    NOT NULL,
    region_code      text,
    departement_code text,
    commune_code     text,
    operator         text    NOT NULL,
    programme_id     text    NOT NULL,
    opened_on        date    NOT NULL,
    recorded_at      timestamptz NOT NULL,
    closed_on        date,
    closed_recorded_at timestamptz,
    event_id         uuid    NOT NULL REFERENCES events
);

CREATE TABLE centre_activity (
    centre_id        text    NOT NULL REFERENCES centres,
    month            date    NOT NULL,
    patients_seen    integer NOT NULL,
    consultations    integer NOT NULL,
    patients_to_date integer NOT NULL,
    recorded_at      timestamptz NOT NULL,
    event_id         uuid    NOT NULL REFERENCES events,
    PRIMARY KEY (centre_id, month, event_id)
);

CREATE TABLE members (
    grouping_id      text    NOT NULL,
    member_id        text    NOT NULL,
    name             text    NOT NULL,
    college          text    NOT NULL,
    joined_on        date    NOT NULL,
    recorded_at      timestamptz NOT NULL,
    event_id         uuid    NOT NULL REFERENCES events,
    PRIMARY KEY (grouping_id, member_id)
);

CREATE TABLE posts (
    post_id          text    PRIMARY KEY,
    programme_id     text    NOT NULL,
    centre_id        text    NOT NULL,
    employer         text    NOT NULL,
    profession       text    NOT NULL,
    fte_milli        integer NOT NULL,
    opened_on        date    NOT NULL,
    recorded_at      timestamptz NOT NULL,
    closed_on        date,
    closed_recorded_at timestamptz,
    event_id         uuid    NOT NULL REFERENCES events
);

-- One row per employment: a hire, and its end once recorded. A headcount at
-- a date counts the employments started by then and not yet ended.
CREATE TABLE employments (
    employment_id    text    NOT NULL,
    person_id        text    NOT NULL,
    post_id          text,
    centre_id        text    NOT NULL,
    employer         text    NOT NULL,
    profession       text    NOT NULL,
    fte_milli        integer NOT NULL,
    start_date       date    NOT NULL,
    recorded_at      timestamptz NOT NULL,
    end_date         date,
    end_recorded_at  timestamptz,
    event_id         uuid    NOT NULL REFERENCES events,
    PRIMARY KEY (person_id, employment_id)
);
CREATE INDEX employments_by_centre ON employments (centre_id);

CREATE TABLE installations (
    event_id         uuid    PRIMARY KEY REFERENCES events,
    person_id        text    NOT NULL,
    profession       text    NOT NULL,
    region_code      text,
    departement_code text,
    commune_code     text,
    centre_id        text,
    grant_id         text,
    installed_on     date    NOT NULL,
    recorded_at      timestamptz NOT NULL
);

CREATE TABLE targets (
    programme_id     text    NOT NULL,
    target_id        text    NOT NULL,
    metric           text    NOT NULL,
    value            bigint  NOT NULL,
    deadline         date    NOT NULL,
    description      text    NOT NULL,
    recorded_at      timestamptz NOT NULL,
    event_id         uuid    NOT NULL REFERENCES events,
    PRIMARY KEY (programme_id, target_id)
);
