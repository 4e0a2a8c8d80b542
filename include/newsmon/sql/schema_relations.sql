-- Relations between watched countries (owned by newsmon.relations; ../shared/docs/RELATIONS_POLICY.md), written by
-- the loader and `newsmon retag`, and their daily aggregates (written by newsmon.aggregates). Every statement is
-- idempotent. Column meanings: docs/analysts.md.

-- One row per relation: (source, target, class) once per sentence. The evidence sentence is stored once, in
-- `sentences` (article_id, sentence), with the mentions; the analyst view `relation_evidence` joins them.
CREATE TABLE IF NOT EXISTS relations (
    article_id      VARCHAR NOT NULL,
    seq             INTEGER NOT NULL,   -- order within the article
    sentence        INTEGER NOT NULL,   -- as in mention_spans.sentence; -1 is the title
    source          VARCHAR NOT NULL,   -- the country that acts (ISO code)
    target          VARCHAR NOT NULL,   -- the country it acts toward
    class           VARCHAR NOT NULL,   -- verbal_cooperation, material_cooperation, verbal_conflict, material_conflict
    cue             VARCHAR,            -- the words that decided the class, as written
    reported        BOOLEAN,            -- reported speech ("officials said Moscow had warned ...")
    lexicon_version VARCHAR,            -- config/relations.yaml version + hash
    PRIMARY KEY (article_id, seq)
);

-- Per day, directed pair and class: relation sentences, articles and stories, with the same baselines as
-- daily_pair (metric: stories).
CREATE TABLE IF NOT EXISTS daily_relation (
    day          DATE NOT NULL,
    source       VARCHAR NOT NULL,
    target       VARCHAR NOT NULL,
    class        VARCHAR NOT NULL,
    sentences    INTEGER NOT NULL,
    articles     INTEGER NOT NULL,
    stories      INTEGER NOT NULL,
    history_days INTEGER NOT NULL,
    mean_7d      DOUBLE,
    mean_28d     DOUBLE,
    std_28d      DOUBLE,
    z_28d        DOUBLE,
    ratio_28d    DOUBLE,
    spike        BOOLEAN NOT NULL
);

-- Per day and pair (both directions): how much of what the two do to each other is cooperation, by stories.
CREATE TABLE IF NOT EXISTS daily_cooperation (
    day                 DATE NOT NULL,
    pair                VARCHAR NOT NULL,  -- CN-US (codes in alphabetical order)
    cooperation_stories INTEGER NOT NULL,  -- stories with a cooperation relation between the two, either way
    conflict_stories    INTEGER NOT NULL,
    stories             INTEGER NOT NULL,  -- stories with any relation between the two: the baselines' metric
    share               DOUBLE,            -- cooperation / (cooperation + conflict); NULL without relations
    share_28d           DOUBLE,            -- the same over the 28 days before (sums, not a mean of shares)
    history_days        INTEGER NOT NULL,
    mean_7d             DOUBLE,
    mean_28d            DOUBLE,
    std_28d             DOUBLE,
    z_28d               DOUBLE,
    ratio_28d           DOUBLE,
    spike               BOOLEAN NOT NULL
);
