-- +goose Up
-- Each program's event log, written with the changes it reports. seq is
-- the order events were stored in; position, NULL until the event is
-- positioned after its unit of work commits, is its place in the log.
-- data is the JSON as the engine gave it; created_at is Unix microseconds
-- (UTC). MySQL commits DDL at once, so every statement here can run again.
-- commission_events_unpositioned finds the events not positioned yet
-- (NULL sorts first) in the order they were stored.
CREATE TABLE IF NOT EXISTS commission_events (
    seq        BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    program_id VARBINARY(255) NOT NULL,
    id         VARBINARY(255) NOT NULL,
    type       VARBINARY(255) NOT NULL,
    created_at BIGINT         NOT NULL,
    data       LONGTEXT       NOT NULL,
    position   BIGINT,
    UNIQUE (program_id, id),
    UNIQUE (program_id, position),
    KEY commission_events_unpositioned (program_id, position, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The last position each program's log gave; its row is locked while
-- events are positioned.
CREATE TABLE IF NOT EXISTS commission_event_heads (
    program_id VARBINARY(255) NOT NULL PRIMARY KEY,
    position   BIGINT         NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
