-- +goose Up
-- A partner's custom commission, as JSON; NULL for none.
ALTER TABLE commission_partners ADD COLUMN commission TEXT;
