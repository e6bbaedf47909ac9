-- +goose Up
-- The exchange rate a converted sale was converted at; NULL
-- for a sale in the program's units or with conversion off.
ALTER TABLE commission_transactions ADD COLUMN rate TEXT;
