-- The private warehouse (data/warehouse.duckdb). Only the loader and the daily job write it; analysts read
-- the published copy (data/newsmon.duckdb). Every statement is idempotent.

CREATE TABLE IF NOT EXISTS articles (
    article_id        VARCHAR PRIMARY KEY,  -- first 16 hex of sha1(canonical_url)
    url               VARCHAR NOT NULL,     -- the URL the feed gave
    canonical_url     VARCHAR NOT NULL,
    guid              VARCHAR,
    feed              VARCHAR NOT NULL,     -- feed name from feeds.yaml
    source            VARCHAR NOT NULL,     -- outlet
    outlet_country    VARCHAR,
    state_affiliated  BOOLEAN,
    title             VARCHAR,
    text              VARCHAR,              -- cleaned text, paragraphs separated by newlines
    text_source       VARCHAR NOT NULL,     -- page | feed
    fetch_error       VARCHAR,              -- why the page text was not used
    published_at      TIMESTAMPTZ,
    published_from    VARCHAR,              -- page | feed | fetch
    day               DATE NOT NULL,        -- UTC date of published_at: the day the article counts for
    fetched_at        TIMESTAMPTZ NOT NULL,
    language          VARCHAR,              -- detected
    language_claimed  VARCHAR,              -- what the page says
    authors           VARCHAR[],
    sitename          VARCHAR,
    content_hash      VARCHAR,              -- sha1 of the normalised cleaned text
    raw_html_hash     VARCHAR,
    simhash           UBIGINT,
    story_id          VARCHAR NOT NULL,     -- article_id of the first article of its story
    duplicate_of      VARCHAR,              -- article_id this one copies (near or exact duplicate), else NULL
    dup_reason        VARCHAR,              -- content_hash | simhash | NULL
    is_wire           BOOLEAN DEFAULT FALSE,
    removed_structure INTEGER DEFAULT 0,    -- paragraphs removed by each cleaning layer
    removed_phrases   INTEGER DEFAULT 0,
    removed_repetition INTEGER DEFAULT 0,
    extractor_version VARCHAR,
    watchlist_version VARCHAR,
    countries         VARCHAR[],            -- codes mentioned, sorted
    countries_about   VARCHAR[],            -- codes the article is mostly about
    pairs_sentence    VARCHAR[],            -- 'CN-RU', ... co-mentioned in one sentence
    pairs_paragraph   VARCHAR[],
    pairs_article     VARCHAR[],
    staged_file       VARCHAR,              -- the staging file it came from
    loaded_at         TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS article_countries (
    article_id VARCHAR NOT NULL,
    country    VARCHAR NOT NULL,
    mentions   INTEGER NOT NULL,
    salience   DOUBLE,
    about      BOOLEAN,
    PRIMARY KEY (article_id, country)
);

-- One row per mention of a watched country. The sentence it stands in is stored once, in `sentences`; the
-- `mentions` view (views_mentions.sql) joins the two into one row per mention with its evidence.
CREATE TABLE IF NOT EXISTS mention_spans (
    article_id  VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,           -- order within the article
    country     VARCHAR NOT NULL,
    start_char  INTEGER NOT NULL,           -- offsets into title (position = title) or text
    end_char    INTEGER NOT NULL,
    surface     VARCHAR NOT NULL,
    alias       VARCHAR,
    kind        VARCHAR,                    -- name, demonym, capital, institution, person, combined
    position    VARCHAR,                    -- title, lead, body
    sentence    INTEGER,                    -- index into the text; -1 for the title
    paragraph   INTEGER,
    PRIMARY KEY (article_id, seq)
);

-- The evidence sentences of the mentions, once each (a window of at most 1000 characters of an endless one).
CREATE TABLE IF NOT EXISTS sentences (
    article_id  VARCHAR NOT NULL,
    sentence    INTEGER NOT NULL,           -- as in mention_spans.sentence; -1 is the title
    text        VARCHAR NOT NULL,
    PRIMARY KEY (article_id, sentence)
);

-- Items that were not stored as articles of their own, with the reason (never silently dropped).
CREATE TABLE IF NOT EXISTS rejections (
    url         VARCHAR NOT NULL,
    feed        VARCHAR,
    reason      VARCHAR NOT NULL,           -- duplicate_url, duplicate_guid, duplicate_text, robots, ...
    article_id  VARCHAR,                    -- the article it duplicates, when it is a duplicate
    detail      VARCHAR,
    "at"        TIMESTAMPTZ NOT NULL,       -- quoted: AT is a reserved word in DuckDB 2.0
    staged_file VARCHAR
);

CREATE TABLE IF NOT EXISTS feed_health (
    feed                 VARCHAR PRIMARY KEY,
    url                  VARCHAR,
    source               VARCHAR,
    last_status          VARCHAR,
    last_http_status     INTEGER,
    last_error           VARCHAR,
    bozo_reason          VARCHAR,
    consecutive_failures INTEGER,
    last_fetched_at      TIMESTAMPTZ,
    last_success_at      TIMESTAMPTZ,
    last_new_item_at     TIMESTAMPTZ,
    next_due_at          TIMESTAMPTZ,
    items_seen           BIGINT,
    retired              BOOLEAN,
    updated_at           TIMESTAMPTZ,
    items_deferred       INTEGER              -- new items over max_items_per_feed at the last fetch, for the next run
);
-- Warehouses created before items_deferred existed get the column too.
ALTER TABLE feed_health ADD COLUMN IF NOT EXISTS items_deferred INTEGER;

-- One row per feed per run, for cadence, items-per-day and extraction-failure trends.
CREATE TABLE IF NOT EXISTS fetch_log (
    run_id        VARCHAR NOT NULL,
    feed          VARCHAR NOT NULL,
    status        VARCHAR,
    http_status   INTEGER,
    error         VARCHAR,
    new_items     INTEGER,
    pages_ok      INTEGER,
    pages_failed  INTEGER,
    bytes_read    BIGINT,
    "at"          TIMESTAMPTZ NOT NULL,     -- quoted: AT is a reserved word in DuckDB 2.0
    PRIMARY KEY (run_id, feed)
);

CREATE TABLE IF NOT EXISTS loaded_files (
    staged_file VARCHAR PRIMARY KEY,        -- file name; loading it twice changes nothing
    articles    INTEGER,
    loaded_at   TIMESTAMPTZ
);

-- Staged batches the loader could not read (moved to staging/failed/ with a _REASON file); a batch put back and
-- loaded leaves this table.
CREATE TABLE IF NOT EXISTS failed_batches (
    staged_file VARCHAR PRIMARY KEY,
    reason      VARCHAR NOT NULL,
    failed_at   TIMESTAMPTZ NOT NULL
);

-- The analyst versions this warehouse published and their article counts: a version file is never rewritten, so
-- the publish guard against shrinking reads the current one's count here instead of opening the file each load.
CREATE TABLE IF NOT EXISTS published_versions (
    version  VARCHAR PRIMARY KEY,           -- file name in data/published/
    articles BIGINT NOT NULL
);
