-- +goose Up
-- Counters sum amounts over a program's whole history, so they hold more
-- than one amount does; on SQLite they are text already, of any length.
-- This version keeps the dialects' migrations in step.
SELECT 1;
