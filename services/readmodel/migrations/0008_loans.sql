-- Loans after they are granted (docs/accounting.md): every repayment and
-- write-off, one row each, so that a loan's outstanding principal and its
-- arrears can be asked as of a date and as known at a moment.
CREATE TABLE loan_movements (
    event_id        uuid        PRIMARY KEY REFERENCES events,
    loan_id         text        NOT NULL,
    movement        text        NOT NULL CHECK (movement IN ('repaid', 'written_off')),
    -- Principal repaid or written off; interest received (repayments only).
    principal_cents bigint      NOT NULL CHECK (principal_cents >= 0),
    interest_cents  bigint      NOT NULL CHECK (interest_cents >= 0),
    reference       text,
    effective_date  date        NOT NULL,
    recorded_at     timestamptz NOT NULL
);
CREATE INDEX loan_movements_by_loan ON loan_movements (loan_id);
