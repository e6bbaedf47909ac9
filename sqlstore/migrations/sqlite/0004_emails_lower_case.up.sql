-- +goose Up
-- Emails compare case-insensitively: the engine keeps them in lower case.
-- Emails stored in other case by earlier versions are lowered here. This
-- fails (a unique violation) where two partners, or two customers, of one
-- program have emails that differ only in case: change one of them, then
-- migrate again. Only ASCII letters are lowered by SQLite's LOWER.
UPDATE commission_partners SET email = LOWER(email) WHERE email <> LOWER(email);
UPDATE commission_customers SET email = LOWER(email) WHERE email <> LOWER(email);
