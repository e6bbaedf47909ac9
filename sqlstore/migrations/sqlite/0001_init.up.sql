-- +goose Up
-- Partners, customers, transactions, rewards and counters of every program
-- in the store. Money is TEXT; times are Unix microseconds (UTC).
CREATE TABLE commission_partners (
    program_id           TEXT    NOT NULL,
    id                   TEXT    NOT NULL,
    partner_key          TEXT    NOT NULL,
    email                TEXT,
    name                 TEXT    NOT NULL,
    surname              TEXT    NOT NULL,
    tags                 TEXT    NOT NULL,
    referring_partner_id TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    created_at           INTEGER  NOT NULL,
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, partner_key),
    UNIQUE (program_id, email)
);

CREATE TABLE commission_customers (
    program_id             TEXT   NOT NULL,
    id                     TEXT   NOT NULL,
    customer_key           TEXT   NOT NULL,
    email                  TEXT,
    name                   TEXT   NOT NULL,
    surname                TEXT   NOT NULL,
    tags                   TEXT   NOT NULL,
    partner_id             TEXT   NOT NULL,
    partner_key            TEXT   NOT NULL,
    referring_customer_id  TEXT   NOT NULL,
    referring_customer_key TEXT   NOT NULL,
    status                 TEXT   NOT NULL,
    created_at             INTEGER NOT NULL,
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, customer_key),
    UNIQUE (program_id, email)
);

CREATE TABLE commission_transactions (
    seq                    INTEGER        PRIMARY KEY AUTOINCREMENT,
    program_id             TEXT           NOT NULL,
    tx_key                 TEXT           NOT NULL,
    action                 TEXT           NOT NULL,
    amount                 TEXT NOT NULL,
    reward                 TEXT,
    amount_units           TEXT           NOT NULL,
    is_currency            INTEGER        NOT NULL,
    credit                 INTEGER        NOT NULL,
    product_id             TEXT           NOT NULL,
    product_type           TEXT           NOT NULL,
    products               TEXT           NOT NULL,
    rewarded               INTEGER        NOT NULL,
    rewardable             INTEGER        NOT NULL,
    qualified              INTEGER        NOT NULL,
    customer_id            TEXT           NOT NULL,
    customer_key           TEXT           NOT NULL,
    partner_id             TEXT           NOT NULL,
    partner_key            TEXT           NOT NULL,
    referring_customer_id  TEXT           NOT NULL,
    referring_customer_key TEXT           NOT NULL,
    created_at             INTEGER         NOT NULL,
    backdated              INTEGER        NOT NULL,
    state                  TEXT           NOT NULL,
    deleted_at             INTEGER,
    UNIQUE (program_id, tx_key)
);
CREATE INDEX commission_transactions_listing ON commission_transactions (program_id, created_at, seq);
CREATE INDEX commission_transactions_customer ON commission_transactions (program_id, customer_id, created_at, seq);
CREATE INDEX commission_transactions_partner ON commission_transactions (program_id, partner_id, created_at, seq);

CREATE TABLE commission_rewards (
    program_id            TEXT           NOT NULL,
    id                    TEXT           NOT NULL,
    tx_key                TEXT           NOT NULL,
    position              INTEGER        NOT NULL,
    action                TEXT           NOT NULL,
    status                TEXT           NOT NULL,
    review_ends_at        INTEGER,
    decided_at            INTEGER,
    reason                TEXT           NOT NULL,
    partner_id            TEXT           NOT NULL,
    partner_key           TEXT           NOT NULL,
    customer_id           TEXT           NOT NULL,
    customer_key          TEXT           NOT NULL,
    rewarded_customer_id  TEXT           NOT NULL,
    rewarded_customer_key TEXT           NOT NULL,
    amount                TEXT NOT NULL,
    amount_units          TEXT           NOT NULL,
    is_currency           INTEGER        NOT NULL,
    credit                INTEGER        NOT NULL,
    product_id            TEXT           NOT NULL,
    product_type          TEXT           NOT NULL,
    created_at            INTEGER         NOT NULL,
    deleted_at            INTEGER,
    explanation           TEXT           NOT NULL,
    PRIMARY KEY (program_id, id)
);
CREATE INDEX commission_rewards_transaction ON commission_rewards (program_id, tx_key, position);

CREATE TABLE commission_counters (
    program_id TEXT           NOT NULL,
    name       TEXT           NOT NULL,
    subject    TEXT           NOT NULL,
    bucket     TEXT           NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (program_id, name, subject, bucket)
);
