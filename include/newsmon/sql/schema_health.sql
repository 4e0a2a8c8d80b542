-- Feed-health alerts (owned by newsmon.health). One row per feed, flag kind and UTC day an alert was sent, so an
-- operator gets at most one email per feed per flag per day; cleared_at is set when the feed recovers.
CREATE TABLE IF NOT EXISTS alert_ledger (
    day         DATE NOT NULL,
    feed        VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,           -- failing | silent | extraction
    message     VARCHAR,
    sent_at     TIMESTAMPTZ NOT NULL,
    recipients  VARCHAR,                    -- comma-separated, or the outbox file when no SMTP server is set
    cleared_at  TIMESTAMPTZ,                -- when the flag was first seen gone again
    PRIMARY KEY (day, feed, kind)
);
