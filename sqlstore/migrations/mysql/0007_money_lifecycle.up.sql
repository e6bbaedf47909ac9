-- +goose Up
-- The money lifecycle: what refunds, deletions and restores take back from
-- a reward or give back (entries), refunds, and payouts of earned rewards.
-- Every column added has a default, so that the previous version's code,
-- which does not write it, still runs. Money is DECIMAL(38,18); times are
-- Unix microseconds (UTC). MySQL commits DDL at once, so every statement
-- here can run again (a column or index that exists is skipped).
ALTER TABLE commission_rewards ADD COLUMN line INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commission_rewards ADD COLUMN reversed DECIMAL(38,18) NOT NULL DEFAULT 0;
ALTER TABLE commission_rewards ADD COLUMN payout_id VARBINARY(255) NOT NULL DEFAULT '';
ALTER TABLE commission_transactions ADD COLUMN refunded DECIMAL(38,18) NOT NULL DEFAULT 0;
ALTER TABLE commission_partners ADD COLUMN payout_minimum DECIMAL(38,18);

-- An earner's rewards newest first, and its rewards by status: those in
-- review, and the payable ones, found without its paid history (a paid
-- reward's status is paid).
CREATE INDEX commission_rewards_partner ON commission_rewards (program_id, partner_id, created_at, id);
CREATE INDEX commission_rewards_customer ON commission_rewards (program_id, rewarded_customer_id, created_at, id);
CREATE INDEX commission_rewards_partner_status ON commission_rewards (program_id, partner_id, amount_units, status, review_ends_at);
CREATE INDEX commission_rewards_customer_status ON commission_rewards (program_id, rewarded_customer_id, amount_units, status, review_ends_at);

-- seq orders a transaction's entries, and an earner's open adjustments, as
-- they were stored.
CREATE TABLE IF NOT EXISTS commission_entries (
    seq         BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    program_id  VARBINARY(255) NOT NULL,
    id          VARBINARY(255) NOT NULL,
    reward_id   VARBINARY(255) NOT NULL,
    tx_key      VARBINARY(255) NOT NULL,
    reason      VARBINARY(255) NOT NULL,
    refund_key  VARBINARY(255) NOT NULL,
    earner_kind VARBINARY(255) NOT NULL,
    earner_id   VARBINARY(255) NOT NULL,
    units       VARBINARY(255) NOT NULL,
    amount      DECIMAL(38,18) NOT NULL,
    created_at  BIGINT         NOT NULL,
    adjustment  BOOLEAN        NOT NULL,
    payout_id   VARBINARY(255) NOT NULL,
    UNIQUE (program_id, id),
    KEY commission_entries_transaction (program_id, tx_key, seq),
    KEY commission_entries_open (program_id, earner_kind, earner_id, units, adjustment, payout_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- products holds the refunded product lines as JSON.
CREATE TABLE IF NOT EXISTS commission_refunds (
    seq        BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    program_id VARBINARY(255) NOT NULL,
    refund_key VARBINARY(255) NOT NULL,
    tx_key     VARBINARY(255) NOT NULL,
    amount     DECIMAL(38,18) NOT NULL,
    products   MEDIUMTEXT     NOT NULL,
    created_at BIGINT         NOT NULL,
    UNIQUE (program_id, refund_key),
    KEY commission_refunds_transaction (program_id, tx_key, created_at, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A payout sums many rewards: its amount is as wide as the counters.
CREATE TABLE IF NOT EXISTS commission_payouts (
    program_id  VARBINARY(255) NOT NULL,
    id          VARBINARY(255) NOT NULL,
    earner_kind VARBINARY(255) NOT NULL,
    earner_id   VARBINARY(255) NOT NULL,
    earner_key  VARBINARY(255) NOT NULL,
    units       VARBINARY(255) NOT NULL,
    amount      DECIMAL(65,18) NOT NULL,
    state       VARBINARY(255) NOT NULL,
    created_at  BIGINT         NOT NULL,
    paid_at     BIGINT,
    canceled_at BIGINT,
    reference   MEDIUMTEXT     NOT NULL,
    PRIMARY KEY (program_id, id),
    KEY commission_payouts_listing (program_id, created_at, id),
    KEY commission_payouts_earner (program_id, earner_kind, earner_id, created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The rewards (kind 'reward') and adjustments (kind 'entry') a payout
-- holds, in order; kept when it is canceled.
CREATE TABLE IF NOT EXISTS commission_payout_items (
    program_id VARBINARY(255) NOT NULL,
    payout_id  VARBINARY(255) NOT NULL,
    kind       VARBINARY(16)  NOT NULL,
    position   INTEGER        NOT NULL,
    item_id    VARBINARY(255) NOT NULL,
    PRIMARY KEY (program_id, payout_id, kind, position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
