-- Personal data of natural persons, kept out of the event log. Events carry
-- only `person_id`; the details are sealed with a key of their own, so that
-- destroying the key (erasure) makes every copy of them unreadable, backups
-- included, while the log and its hash chains stay untouched.
--
-- In production `person_keys` belongs in a store with its own, shorter
-- backup retention than `persons`.

CREATE TABLE person_keys (
    person_id uuid  PRIMARY KEY,
    key       bytea NOT NULL
);

CREATE TABLE persons (
    person_id  uuid        PRIMARY KEY,
    nonce      bytea       NOT NULL,
    sealed     bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- What remains of an erased person: the fact and the date, nothing else.
CREATE TABLE erasures (
    person_id uuid        PRIMARY KEY,
    erased_at timestamptz NOT NULL DEFAULT now()
);
