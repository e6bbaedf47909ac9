-- +goose Up
-- Each program's webhook endpoints, and their deliveries: one for each
-- event sent, or to be sent, to an endpoint, at the event's position.
-- events is the JSON array of the event types the endpoint receives
-- (every type when empty); cursor_position is the position of the last
-- event the endpoint has a delivery for, or has skipped. Times are Unix
-- microseconds (UTC).
CREATE TABLE commission_endpoints (
    program_id      TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    endpoint_key    TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    events          TEXT    NOT NULL,
    disabled        INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    cursor_position INTEGER NOT NULL,
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, endpoint_key)
);

CREATE TABLE commission_deliveries (
    program_id      TEXT    NOT NULL,
    endpoint_id     TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    event_id        TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER NOT NULL,
    last_error      TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (program_id, endpoint_id, position)
);
-- An endpoint's deliveries in one state (its pending ones) by position.
CREATE INDEX commission_deliveries_state ON commission_deliveries (program_id, endpoint_id, state, position);
