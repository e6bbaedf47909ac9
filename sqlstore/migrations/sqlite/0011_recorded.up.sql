-- +goose Up
-- A program's transactions walked in the order they were stored, by seq,
-- page by page (Engine.Simulate replays a program's whole history): an
-- index in that order, so that a page reads its own rows and not every
-- program's.
CREATE INDEX commission_transactions_recorded ON commission_transactions (program_id, seq);
