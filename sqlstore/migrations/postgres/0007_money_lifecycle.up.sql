-- +goose Up
-- The money lifecycle: what refunds, deletions and restores take back from
-- a reward or give back (entries), refunds, and payouts of earned rewards.
-- Every column added has a default, so that the previous version's code,
-- which does not write it, still runs. Money is NUMERIC(38,18); times are
-- Unix microseconds (UTC). Ids that break ties in a listing are indexed
-- in byte order (COLLATE "C"), the order every store lists in.
ALTER TABLE commission_rewards ADD COLUMN line INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commission_rewards ADD COLUMN reversed NUMERIC(38,18) NOT NULL DEFAULT 0;
ALTER TABLE commission_rewards ADD COLUMN payout_id TEXT NOT NULL DEFAULT '';
ALTER TABLE commission_transactions ADD COLUMN refunded NUMERIC(38,18) NOT NULL DEFAULT 0;
ALTER TABLE commission_partners ADD COLUMN payout_minimum NUMERIC(38,18);

-- An earner's rewards newest first, and its rewards by status: those in
-- review, and the payable ones, found without its paid history (a paid
-- reward's status is paid).
CREATE INDEX commission_rewards_partner ON commission_rewards (program_id, partner_id, created_at, id COLLATE "C");
CREATE INDEX commission_rewards_customer ON commission_rewards (program_id, rewarded_customer_id, created_at, id COLLATE "C");
CREATE INDEX commission_rewards_partner_status ON commission_rewards (program_id, partner_id, amount_units, status, review_ends_at);
CREATE INDEX commission_rewards_customer_status ON commission_rewards (program_id, rewarded_customer_id, amount_units, status, review_ends_at);

-- seq orders a transaction's entries, and an earner's open adjustments, as
-- they were stored.
CREATE TABLE commission_entries (
    seq         BIGSERIAL      PRIMARY KEY,
    program_id  TEXT           NOT NULL,
    id          TEXT           NOT NULL,
    reward_id   TEXT           NOT NULL,
    tx_key      TEXT           NOT NULL,
    reason      TEXT           NOT NULL,
    refund_key  TEXT           NOT NULL,
    earner_kind TEXT           NOT NULL,
    earner_id   TEXT           NOT NULL,
    units       TEXT           NOT NULL,
    amount      NUMERIC(38,18) NOT NULL,
    created_at  BIGINT         NOT NULL,
    adjustment  BOOLEAN        NOT NULL,
    payout_id   TEXT           NOT NULL,
    UNIQUE (program_id, id)
);
CREATE INDEX commission_entries_transaction ON commission_entries (program_id, tx_key, seq);
CREATE INDEX commission_entries_open ON commission_entries (program_id, earner_kind, earner_id, units, adjustment, payout_id, seq);

-- products holds the refunded product lines as JSON.
CREATE TABLE commission_refunds (
    seq        BIGSERIAL      PRIMARY KEY,
    program_id TEXT           NOT NULL,
    refund_key TEXT           NOT NULL,
    tx_key     TEXT           NOT NULL,
    amount     NUMERIC(38,18) NOT NULL,
    products   TEXT           NOT NULL,
    created_at BIGINT         NOT NULL,
    UNIQUE (program_id, refund_key)
);
CREATE INDEX commission_refunds_transaction ON commission_refunds (program_id, tx_key, created_at, seq);

-- A payout sums many rewards: its amount is as wide as the counters.
CREATE TABLE commission_payouts (
    program_id  TEXT           NOT NULL,
    id          TEXT           NOT NULL,
    earner_kind TEXT           NOT NULL,
    earner_id   TEXT           NOT NULL,
    earner_key  TEXT           NOT NULL,
    units       TEXT           NOT NULL,
    amount      NUMERIC(65,18) NOT NULL,
    state       TEXT           NOT NULL,
    created_at  BIGINT         NOT NULL,
    paid_at     BIGINT,
    canceled_at BIGINT,
    reference   TEXT           NOT NULL,
    PRIMARY KEY (program_id, id)
);
CREATE INDEX commission_payouts_listing ON commission_payouts (program_id, created_at, id COLLATE "C");
CREATE INDEX commission_payouts_earner ON commission_payouts (program_id, earner_kind, earner_id, created_at, id COLLATE "C");

-- The rewards (kind 'reward') and adjustments (kind 'entry') a payout
-- holds, in order; kept when it is canceled.
CREATE TABLE commission_payout_items (
    program_id TEXT    NOT NULL,
    payout_id  TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    item_id    TEXT    NOT NULL,
    PRIMARY KEY (program_id, payout_id, kind, position)
);
