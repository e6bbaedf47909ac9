-- +goose Up
-- The referral URL a customer was attributed through, kept so that the
-- fraud protection can reject the rewards of customers referred through
-- paid ads; empty for none.
ALTER TABLE commission_customers ADD COLUMN referral_url TEXT NOT NULL DEFAULT '';
