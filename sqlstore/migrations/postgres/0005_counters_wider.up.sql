-- +goose Up
-- Counters sum amounts over a program's whole history (a partner's
-- revenue), so they hold more than one amount does: 47 digits before the
-- point, where an amount has 20.
ALTER TABLE commission_counters ALTER COLUMN value TYPE NUMERIC(65,18);
