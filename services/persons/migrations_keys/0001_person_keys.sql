-- The per-person keys, in a database of their own, apart from the sealed
-- details (the store's other database). Erasing a person deletes its key
-- here; the sealed details left anywhere else — the other database, any of
-- its backups — can then never be opened. Give this database the shorter
-- backup retention: once its last backup holding a key has expired, the
-- erasure holds in every copy (docs/security.md).
CREATE TABLE person_keys (
    person_id  uuid        PRIMARY KEY,
    key        bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
