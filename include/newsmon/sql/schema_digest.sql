-- The digest's delivery ledger (owned by newsmon.digest). One row per day and recipient, written only after the
-- SMTP server accepted the message (status 'sent') or the .eml file was written to the outbox (status 'outbox'),
-- so a retried or rerun digest never reaches the same reader twice unless forced. Idempotent.
CREATE TABLE IF NOT EXISTS digest_ledger (
    day        DATE NOT NULL,               -- the day the digest is about (UTC)
    recipient  VARCHAR NOT NULL,            -- lower-cased address
    message_id VARCHAR NOT NULL,            -- the Message-ID header of the delivered message
    subject    VARCHAR,
    sent_at    TIMESTAMPTZ NOT NULL,        -- when the server accepted it / the file was written
    status     VARCHAR NOT NULL,            -- sent | outbox
    PRIMARY KEY (day, recipient)
);
