-- +goose Up
-- Each program's webhook endpoints, and their deliveries: one for each
-- event sent, or to be sent, to an endpoint, at the event's position.
-- events is the JSON array of the event types the endpoint receives
-- (every type when empty); cursor_position is the position of the last
-- event the endpoint has a delivery for, or has skipped. Times are Unix
-- microseconds (UTC). MySQL commits DDL at once, so every statement here
-- can run again. commission_deliveries_state finds an endpoint's
-- deliveries in one state (its pending ones) by position.
CREATE TABLE IF NOT EXISTS commission_endpoints (
    program_id      VARBINARY(255) NOT NULL,
    id              VARBINARY(255) NOT NULL,
    endpoint_key    VARBINARY(255) NOT NULL,
    url             MEDIUMTEXT     NOT NULL,
    secret          MEDIUMTEXT     NOT NULL,
    events          MEDIUMTEXT     NOT NULL,
    disabled        BOOLEAN        NOT NULL,
    created_at      BIGINT         NOT NULL,
    cursor_position BIGINT         NOT NULL,
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, endpoint_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS commission_deliveries (
    program_id      VARBINARY(255) NOT NULL,
    endpoint_id     VARBINARY(255) NOT NULL,
    position        BIGINT         NOT NULL,
    event_id        VARBINARY(255) NOT NULL,
    event_type      VARBINARY(255) NOT NULL,
    state           VARBINARY(32)  NOT NULL,
    attempts        INTEGER        NOT NULL,
    next_attempt_at BIGINT         NOT NULL,
    last_status     INTEGER        NOT NULL,
    last_error      MEDIUMTEXT     NOT NULL,
    updated_at      BIGINT         NOT NULL,
    PRIMARY KEY (program_id, endpoint_id, position),
    KEY commission_deliveries_state (program_id, endpoint_id, state, position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
