-- The keys now live in the key database (migrations_keys/). This table stays
-- only so that a store that held keys here can hand them over when it first
-- connects to its key database (Persons::connect moves every row, then
-- empties it); nothing writes it any more.
COMMENT ON TABLE person_keys IS 'legacy: emptied into the key database at start-up';
