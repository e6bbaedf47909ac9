-- +goose Up
-- Each program's event log, written with the changes it reports. seq is
-- the order events were stored in; position, NULL until the event is
-- positioned after its unit of work commits, is its place in the log.
-- data is the JSON as the engine gave it (TEXT: jsonb would reorder its
-- keys); created_at is Unix microseconds (UTC).
CREATE TABLE commission_events (
    seq        BIGSERIAL PRIMARY KEY,
    program_id TEXT      NOT NULL,
    id         TEXT      NOT NULL,
    type       TEXT      NOT NULL,
    created_at BIGINT    NOT NULL,
    data       TEXT      NOT NULL,
    position   BIGINT,
    UNIQUE (program_id, id),
    UNIQUE (program_id, position)
);
-- The events not positioned yet, in the order they were stored.
CREATE INDEX commission_events_unpositioned ON commission_events (program_id, seq) WHERE position IS NULL;

-- The last position each program's log gave; its row is locked while
-- events are positioned.
CREATE TABLE commission_event_heads (
    program_id TEXT   NOT NULL PRIMARY KEY,
    position   BIGINT NOT NULL
);
