-- The controllers' books, first part (docs/accounting.md).

-- Territory: what was voted and what is left to commit belong to the
-- envelope's territory; commitments, payments, restes à payer and recoveries
-- to the grant's. Lines posted before this migration put both lines of a
-- commitment in the grant's territory, so a département could show more
-- committed than available; they are moved to the rule, which is what the
-- projector now posts.
UPDATE postings p
   SET region_code = e.region_code, departement_code = e.departement_code
  FROM envelopes e
 WHERE e.envelope_id = p.envelope_id
   AND p.account IN ('authorised', 'available')
   AND (p.region_code IS DISTINCT FROM e.region_code
        OR p.departement_code IS DISTINCT FROM e.departement_code);

-- A funder is a kind and a code: Région 24 (Centre-Val de Loire) is not
-- Département 24 (Dordogne). `funder` is the key the API filters and groups
-- by: `region:24`, `departement:24`, `grouping:<code>`, `national`.
ALTER TABLE programmes ADD COLUMN funder text GENERATED ALWAYS AS (
    lower(replace(funder_kind, 'FUNDER_KIND_', ''))
    || CASE WHEN funder_code = '' THEN '' ELSE ':' || funder_code END
) STORED;
CREATE INDEX programmes_by_funder ON programmes (funder);

-- How grants end: cancelled, settled under-spent, lapsed (caducité) or
-- breached, each with the day it took effect and when the ledger learnt it,
-- so a grant's state can be asked as of a date and as known at a moment.
CREATE TABLE grant_closures (
    grant_id       text        PRIMARY KEY REFERENCES grants,
    outcome        text        NOT NULL
                   CHECK (outcome IN ('cancelled', 'settled', 'lapsed', 'breached')),
    closed_on      date        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    released_cents bigint      NOT NULL CHECK (released_cents >= 0),
    event_id       uuid        NOT NULL REFERENCES events
);
INSERT INTO grant_closures (grant_id, outcome, closed_on, recorded_at, released_cents, event_id)
SELECT g.grant_id, 'cancelled', ev.effective_date, ev.recorded_at,
       COALESCE((ev.payload->'grantCancelled'->>'releasedCents')::bigint, 0), ev.event_id
  FROM grants g
  JOIN events ev ON ev.stream_type = 'grant' AND ev.stream_id = g.grant_id
                AND ev.event_type = 'GrantCancelled'
 WHERE g.cancelled;

ALTER TABLE grants ADD COLUMN deadline date;

-- Clôture of an AP/AE: what was left to commit is cancelled; the envelope
-- takes no more commitments.
CREATE TABLE envelope_closures (
    envelope_id     text        PRIMARY KEY REFERENCES envelopes,
    closed_on       date        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    cancelled_cents bigint      NOT NULL CHECK (cancelled_cents >= 0),
    vote_reference  text        NOT NULL,
    event_id        uuid        NOT NULL REFERENCES events
);
