-- Daily aggregates (owned by newsmon.aggregates), published to the analyst database with the other tables.
-- Every statement is idempotent. No primary keys on purpose: a day's rows are deleted and re-inserted in one
-- transaction, and DuckDB checks unique indexes eagerly inside a transaction; the recompute code guarantees one
-- row per key instead. Column meanings: docs/analysts.md.

CREATE TABLE IF NOT EXISTS daily_total (
    day          DATE NOT NULL,
    articles     INTEGER NOT NULL,   -- articles of the day (syndicated copies included)
    stories      INTEGER NOT NULL,   -- distinct story_id
    sources      INTEGER NOT NULL,   -- distinct outlets
    mentions     INTEGER NOT NULL,   -- country mentions of all watched countries
    feeds_ok     INTEGER NOT NULL,   -- feeds fetched successfully that day (fetch_log, UTC date of the fetch)
    feeds_failed INTEGER NOT NULL    -- feeds whose every fetch that day failed
);

CREATE TABLE IF NOT EXISTS daily_country (
    day            DATE NOT NULL,
    country        VARCHAR NOT NULL,
    articles       INTEGER NOT NULL,  -- articles mentioning the country
    stories        INTEGER NOT NULL,  -- distinct stories among them: the count baselines and spikes use
    sources        INTEGER NOT NULL,
    mentions       INTEGER NOT NULL,
    articles_about INTEGER NOT NULL,  -- articles mostly about the country (article_countries.about)
    share          DOUBLE,            -- articles / daily_total.articles (NULL when the day has no article)
    history_days   INTEGER NOT NULL,  -- days of history behind the baselines, 0..28
    mean_7d        DOUBLE,
    mean_28d       DOUBLE,
    std_28d        DOUBLE,
    z_28d          DOUBLE,
    ratio_28d      DOUBLE,
    spike          BOOLEAN NOT NULL,
    -- the same baselines on the stories ABOUT the country (an article of the story has article_countries.about):
    -- a spike here is coverage of the country, not of stories that name it in passing
    stories_about  INTEGER NOT NULL DEFAULT 0,
    mean_28d_about DOUBLE,
    z_28d_about    DOUBLE,
    ratio_28d_about DOUBLE,
    spike_about    BOOLEAN NOT NULL DEFAULT false
);
-- warehouses made before the columns above (positional inserts need them at the end, as here)
ALTER TABLE daily_country ADD COLUMN IF NOT EXISTS stories_about INTEGER DEFAULT 0;
ALTER TABLE daily_country ADD COLUMN IF NOT EXISTS mean_28d_about DOUBLE;
ALTER TABLE daily_country ADD COLUMN IF NOT EXISTS z_28d_about DOUBLE;
ALTER TABLE daily_country ADD COLUMN IF NOT EXISTS ratio_28d_about DOUBLE;
ALTER TABLE daily_country ADD COLUMN IF NOT EXISTS spike_about BOOLEAN DEFAULT false;

CREATE TABLE IF NOT EXISTS daily_pair (
    day          DATE NOT NULL,
    pair         VARCHAR NOT NULL,    -- CN-RU, CN-US, RU-US, CN-RU-US (codes in alphabetical order)
    level        VARCHAR NOT NULL,    -- sentence, paragraph, article
    articles     INTEGER NOT NULL,
    stories      INTEGER NOT NULL,
    sources      INTEGER NOT NULL,
    share        DOUBLE,
    history_days INTEGER NOT NULL,
    mean_7d      DOUBLE,
    mean_28d     DOUBLE,
    std_28d      DOUBLE,
    z_28d        DOUBLE,
    ratio_28d    DOUBLE,
    spike        BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS daily_source (
    day              DATE NOT NULL,
    source           VARCHAR NOT NULL,
    country          VARCHAR NOT NULL,  -- mentioned country, or 'ALL' for every article of the outlet that day
    articles         INTEGER NOT NULL,
    stories          INTEGER NOT NULL,
    mentions         INTEGER NOT NULL,
    state_affiliated BOOLEAN NOT NULL,
    outlet_country   VARCHAR
);

-- Private to the warehouse (not published): how far `news_daily` has read the articles table.
CREATE TABLE IF NOT EXISTS aggregates_state (
    name         VARCHAR NOT NULL,
    loaded_until TIMESTAMPTZ
);
