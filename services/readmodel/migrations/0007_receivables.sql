-- Titres de recette, whole lifecycle (docs/accounting.md): every movement on
-- a recovery order — ordered, received, reduced or cancelled, waived, written
-- off — one row each, so a titre's figures can be asked as of a date and as
-- known at a moment; and the repayment plans granted on them.
CREATE TABLE recovery_movements (
    event_id       uuid        PRIMARY KEY REFERENCES events,
    grant_id       text        NOT NULL,
    recovery_id    text        NOT NULL,
    movement       text        NOT NULL
                   CHECK (movement IN ('ordered', 'received', 'reduced', 'waived', 'written_off')),
    amount_cents   bigint      NOT NULL CHECK (amount_cents > 0),
    reference      text,
    effective_date date        NOT NULL,
    recorded_at    timestamptz NOT NULL
);
CREATE INDEX recovery_movements_by_recovery ON recovery_movements (grant_id, recovery_id);

-- The orders and receipts projected before this migration, from their events.
INSERT INTO recovery_movements (event_id, grant_id, recovery_id, movement, amount_cents, reference,
                                effective_date, recorded_at)
SELECT ev.event_id, ev.payload->'recoveryOrdered'->>'grantId', ev.payload->'recoveryOrdered'->>'recoveryId',
       'ordered', (ev.payload->'recoveryOrdered'->>'amountCents')::bigint,
       NULLIF(ev.payload->'recoveryOrdered'->>'titleReference', ''), ev.effective_date, ev.recorded_at
  FROM events ev WHERE ev.event_type = 'RecoveryOrdered'
UNION ALL
SELECT ev.event_id, ev.payload->'recoveryReceived'->>'grantId', ev.payload->'recoveryReceived'->>'recoveryId',
       'received', (ev.payload->'recoveryReceived'->>'amountCents')::bigint,
       NULLIF(ev.payload->'recoveryReceived'->>'receiptReference', ''), ev.effective_date, ev.recorded_at
  FROM events ev WHERE ev.event_type = 'RecoveryReceived';

-- Repayment plans (échéanciers de recouvrement): the latest plan of a titre
-- as of a date is in force.
CREATE TABLE recovery_instalments (
    event_id       uuid        NOT NULL REFERENCES events,
    line           smallint    NOT NULL,
    grant_id       text        NOT NULL,
    recovery_id    text        NOT NULL,
    due_date       date        NOT NULL,
    amount_cents   bigint      NOT NULL CHECK (amount_cents > 0),
    effective_date date        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    PRIMARY KEY (event_id, line)
);
CREATE INDEX recovery_instalments_by_recovery ON recovery_instalments (grant_id, recovery_id);
