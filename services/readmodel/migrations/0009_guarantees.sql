-- Guarantees that follow their loan (docs/accounting.md): the lender's
-- declared amortisation, the lender's reports of what is still owed, and the
-- claim on the borrower a call opens, a titre de recette like a grant's.
CREATE TABLE guarantee_schedule (
    guarantee_id text     NOT NULL REFERENCES guarantees,
    line         smallint NOT NULL,
    due_date     date     NOT NULL,
    amount_cents bigint   NOT NULL CHECK (amount_cents > 0),
    PRIMARY KEY (guarantee_id, line)
);

CREATE TABLE guarantee_reports (
    event_id                    uuid        PRIMARY KEY REFERENCES events,
    guarantee_id                text        NOT NULL REFERENCES guarantees,
    report_id                   text        NOT NULL,
    outstanding_principal_cents bigint      NOT NULL CHECK (outstanding_principal_cents >= 0),
    reference                   text,
    effective_date              date        NOT NULL,
    recorded_at                 timestamptz NOT NULL
);
CREATE INDEX guarantee_reports_by_guarantee ON guarantee_reports (guarantee_id);

-- A titre is on a grant or on a called guarantee, never both.
ALTER TABLE recovery_movements ALTER COLUMN grant_id DROP NOT NULL,
    ADD COLUMN guarantee_id text,
    ADD CONSTRAINT recovery_movements_one_subject CHECK ((grant_id IS NULL) <> (guarantee_id IS NULL));
CREATE INDEX recovery_movements_by_guarantee ON recovery_movements (guarantee_id, recovery_id)
    WHERE guarantee_id IS NOT NULL;
ALTER TABLE recovery_instalments ALTER COLUMN grant_id DROP NOT NULL,
    ADD COLUMN guarantee_id text,
    ADD CONSTRAINT recovery_instalments_one_subject CHECK ((grant_id IS NULL) <> (guarantee_id IS NULL));
