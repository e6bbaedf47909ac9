-- +goose Up
-- Partners, customers, transactions, rewards and counters of every program
-- in the store. Money is DECIMAL(38,18); times are Unix microseconds (UTC).
-- Keys and names are VARBINARY, compared byte for byte as on every store
-- (utf8mb4_bin would ignore trailing spaces); JSON columns are MEDIUMTEXT.
-- MySQL commits DDL at once, so every statement here can run again.
CREATE TABLE IF NOT EXISTS commission_partners (
    program_id           VARBINARY(255)    NOT NULL,
    id                   VARBINARY(255)    NOT NULL,
    partner_key          VARBINARY(255)    NOT NULL,
    email                VARBINARY(255) ,
    name                 VARBINARY(255)    NOT NULL,
    surname              VARBINARY(255)    NOT NULL,
    tags                 MEDIUMTEXT     NOT NULL,
    referring_partner_id VARBINARY(255)    NOT NULL,
    status               VARBINARY(255)    NOT NULL,
    created_at           BIGINT  NOT NULL,
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, partner_key),
    UNIQUE (program_id, email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS commission_customers (
    program_id             VARBINARY(255)    NOT NULL,
    id                     VARBINARY(255)    NOT NULL,
    customer_key           VARBINARY(255)    NOT NULL,
    email                  VARBINARY(255) ,
    name                   VARBINARY(255)    NOT NULL,
    surname                VARBINARY(255)    NOT NULL,
    tags                   MEDIUMTEXT     NOT NULL,
    partner_id             VARBINARY(255)    NOT NULL,
    partner_key            VARBINARY(255)    NOT NULL,
    referring_customer_id  VARBINARY(255)    NOT NULL,
    referring_customer_key VARBINARY(255)    NOT NULL,
    status                 VARBINARY(255)    NOT NULL,
    created_at             BIGINT NOT NULL,
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, customer_key),
    UNIQUE (program_id, email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS commission_transactions (
    seq                    BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    program_id             VARBINARY(255)    NOT NULL,
    tx_key                 VARBINARY(255)    NOT NULL,
    action                 VARBINARY(255)    NOT NULL,
    amount                 DECIMAL(38,18) NOT NULL,
    reward                 DECIMAL(38,18),
    amount_units           VARBINARY(255)    NOT NULL,
    is_currency            BOOLEAN        NOT NULL,
    credit                 BOOLEAN        NOT NULL,
    product_id             VARBINARY(255)    NOT NULL,
    product_type           VARBINARY(255)    NOT NULL,
    products               MEDIUMTEXT     NOT NULL,
    rewarded               BOOLEAN        NOT NULL,
    rewardable             BOOLEAN        NOT NULL,
    qualified              BOOLEAN        NOT NULL,
    customer_id            VARBINARY(255)    NOT NULL,
    customer_key           VARBINARY(255)    NOT NULL,
    partner_id             VARBINARY(255)    NOT NULL,
    partner_key            VARBINARY(255)    NOT NULL,
    referring_customer_id  VARBINARY(255)    NOT NULL,
    referring_customer_key VARBINARY(255)    NOT NULL,
    created_at             BIGINT         NOT NULL,
    backdated              BOOLEAN        NOT NULL,
    state                  VARBINARY(255)    NOT NULL,
    deleted_at             BIGINT,
    UNIQUE (program_id, tx_key),
    KEY commission_transactions_listing (program_id, created_at, seq),
    KEY commission_transactions_customer (program_id, customer_id, created_at, seq),
    KEY commission_transactions_partner (program_id, partner_id, created_at, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS commission_rewards (
    program_id            VARBINARY(255)    NOT NULL,
    id                    VARBINARY(255)    NOT NULL,
    tx_key                VARBINARY(255)    NOT NULL,
    position              INTEGER        NOT NULL,
    action                VARBINARY(255)    NOT NULL,
    status                VARBINARY(255)    NOT NULL,
    review_ends_at        BIGINT,
    decided_at            BIGINT,
    reason                MEDIUMTEXT     NOT NULL,
    partner_id            VARBINARY(255)    NOT NULL,
    partner_key           VARBINARY(255)    NOT NULL,
    customer_id           VARBINARY(255)    NOT NULL,
    customer_key          VARBINARY(255)    NOT NULL,
    rewarded_customer_id  VARBINARY(255)    NOT NULL,
    rewarded_customer_key VARBINARY(255)    NOT NULL,
    amount                DECIMAL(38,18) NOT NULL,
    amount_units          VARBINARY(255)    NOT NULL,
    is_currency           BOOLEAN        NOT NULL,
    credit                BOOLEAN        NOT NULL,
    product_id            VARBINARY(255)    NOT NULL,
    product_type          VARBINARY(255)    NOT NULL,
    created_at            BIGINT         NOT NULL,
    deleted_at            BIGINT,
    explanation           MEDIUMTEXT     NOT NULL,
    PRIMARY KEY (program_id, id),
    KEY commission_rewards_transaction (program_id, tx_key, position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- name and bucket are short (the engine makes them) so that the key fits
-- InnoDB's 3072 bytes.
CREATE TABLE IF NOT EXISTS commission_counters (
    program_id VARBINARY(255)    NOT NULL,
    name       VARBINARY(64)    NOT NULL,
    subject    VARBINARY(255)    NOT NULL,
    bucket     VARBINARY(64)    NOT NULL,
    value      DECIMAL(38,18) NOT NULL,
    PRIMARY KEY (program_id, name, subject, bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
