-- The controllers' books, second part: M57 imputation, crédits de paiement
-- and CP schedules (docs/accounting.md).

-- M57 imputation of envelopes (section, chapitre, nature, fonction): NULL
-- on envelopes opened before imputations were required.
ALTER TABLE envelopes
    ADD COLUMN section  text,
    ADD COLUMN chapitre text,
    ADD COLUMN nature   text,
    ADD COLUMN fonction text;

-- Crédits de paiement voted by funder, fiscal year, section and chapitre:
-- one row per vote (budget primitif, décisions modificatives), summed when
-- read so they can be asked as of a date and as known at a moment.
CREATE TABLE credit_votes (
    event_id       uuid        PRIMARY KEY REFERENCES events,
    funder         text        NOT NULL,
    fiscal_year    integer     NOT NULL,
    section        text        NOT NULL,
    chapitre       text        NOT NULL,
    delta_cents    bigint      NOT NULL,
    vote           text        NOT NULL,
    vote_reference text        NOT NULL,
    effective_date date        NOT NULL,
    recorded_at    timestamptz NOT NULL
);
CREATE INDEX credit_votes_by_line ON credit_votes (funder, fiscal_year, section, chapitre);

-- Each envelope's indicative CP schedule (échéancier), as set by the event
-- that opened or last revised it: the latest one as of a date is in force.
CREATE TABLE envelope_cp_schedules (
    event_id       uuid        NOT NULL REFERENCES events,
    envelope_id    text        NOT NULL REFERENCES envelopes,
    fiscal_year    integer     NOT NULL,
    amount_cents   bigint      NOT NULL CHECK (amount_cents > 0),
    effective_date date        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    PRIMARY KEY (event_id, fiscal_year)
);
CREATE INDEX envelope_cp_schedules_by_envelope ON envelope_cp_schedules (envelope_id);
