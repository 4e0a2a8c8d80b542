-- Stories renamed by the loader: a new article linked two stored stories (or a copy arrived before its
-- original and the two stories it had made met), so every article of `from_story` now carries `into_story`.
-- `days` are the days of the renamed articles, recomputed by the next `newsmon daily`.
CREATE TABLE IF NOT EXISTS story_merges (
    from_story VARCHAR NOT NULL,
    into_story VARCHAR NOT NULL,
    articles INTEGER NOT NULL,
    days DATE[] NOT NULL,
    merged_at TIMESTAMPTZ NOT NULL,
    staged_file VARCHAR NOT NULL
);

-- Stored articles whose text the loader changed after loading (`reason` 'boilerplate': a paragraph the site's
-- repetition layer learned later was removed), with their new tags and story; their days are recomputed.
CREATE TABLE IF NOT EXISTS article_revisions (
    article_id VARCHAR NOT NULL,
    day DATE NOT NULL,
    reason VARCHAR NOT NULL,
    revised_at TIMESTAMPTZ NOT NULL
);
