-- +goose Up
-- Emails compare case-insensitively: the engine keeps them in lower case.
-- Emails stored in other case by earlier versions are lowered here. This
-- fails (a duplicate entry) where two partners, or two customers, of one
-- program have emails that differ only in case: change one of them, then
-- migrate again. The column is binary, so it is lowered as UTF-8 text.
UPDATE commission_partners SET email = LOWER(CONVERT(email USING utf8mb4)) WHERE email <> LOWER(CONVERT(email USING utf8mb4));
UPDATE commission_customers SET email = LOWER(CONVERT(email USING utf8mb4)) WHERE email <> LOWER(CONVERT(email USING utf8mb4));
