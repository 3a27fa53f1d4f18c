-- Who registered each person (a person is read or erased only for the
-- source system that registered it), what makes a registration idempotent,
-- and who has looked at whom.

ALTER TABLE persons ADD COLUMN source_system text NOT NULL DEFAULT '';
ALTER TABLE erasures ADD COLUMN source_system text NOT NULL DEFAULT '';

-- A registration repeated with the same idempotency key (per source system)
-- returns the same pseudonym; with other details it is refused. Only a
-- digest of the details is kept here, never the details.
CREATE TABLE registrations (
    source_system   text        NOT NULL,
    idempotency_key text        NOT NULL,
    digest          bytea       NOT NULL,
    person_id       uuid        NOT NULL,
    registered_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_system, idempotency_key)
);

-- Every access to a person: who, for which source system, what, when, and
-- how it ended. Kept after an erasure (it holds no personal details).
CREATE TABLE access_log (
    id            bigserial   PRIMARY KEY,
    person_id     uuid        NOT NULL,
    caller        text        NOT NULL,
    source_system text        NOT NULL,
    action        text        NOT NULL CHECK (action IN ('register', 'read', 'erase')),
    outcome       text        NOT NULL,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_log_person ON access_log (person_id, at);
