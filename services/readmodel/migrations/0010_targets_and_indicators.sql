-- Targets that are yearly flows or ratios, targets that count some
-- professions only, and the indicators programmes observe (docs/api.md).
ALTER TABLE targets
    ADD COLUMN shape       text  NOT NULL DEFAULT 'TARGET_SHAPE_COUNT_BY_DEADLINE'
        CHECK (shape IN ('TARGET_SHAPE_COUNT_BY_DEADLINE', 'TARGET_SHAPE_FLOW_PER_YEAR', 'TARGET_SHAPE_RATIO')),
    -- [{"from_year": 2021, "per_year": 300}, …] for a yearly flow, else [].
    ADD COLUMN steps       jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN denominator text,
    -- Profession names; NULL counts every profession.
    ADD COLUMN professions text[];

CREATE TABLE indicators (
    event_id     uuid        PRIMARY KEY REFERENCES events,
    programme_id text        NOT NULL,
    indicator_id text        NOT NULL,
    target_id    text,
    description  text        NOT NULL,
    value        bigint      NOT NULL,
    unit         text        NOT NULL,
    observed_on  date        NOT NULL,
    source       text        NOT NULL,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX indicators_by_programme ON indicators (programme_id, indicator_id, observed_on);
