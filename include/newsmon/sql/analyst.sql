-- Views and macros of the analyst database (data/newsmon.duckdb), created by `publish` after the tables are
-- copied. Documented with examples in docs/analysts.md. Every statement is idempotent.

-- key_of('ru-cn') = 'CN-RU': a country or pair the way the daily tables store it (upper case, codes sorted), so
-- the macros below answer the same for RU-CN as for CN-RU.
CREATE OR REPLACE MACRO key_of(k) AS
    array_to_string(list_sort(list_distinct(list_filter(
        list_transform(string_split(replace(upper(k), '/', '-'), '-'), lambda c: trim(c)), lambda c: c <> ''))), '-');

-- Countries and pairs in one long table: key is a country code (level 'country') or a pair (level sentence,
-- paragraph or article), so one query can compare both.
CREATE OR REPLACE VIEW daily_series AS
SELECT day, country AS key, 'country' AS level, articles, stories, sources, share, history_days,
       mean_7d, mean_28d, std_28d, z_28d, ratio_28d, spike
FROM daily_country
UNION ALL
SELECT day, pair AS key, level, articles, stories, sources, share, history_days,
       mean_7d, mean_28d, std_28d, z_28d, ratio_28d, spike
FROM daily_pair;

-- Every flagged day, newest first.
CREATE OR REPLACE VIEW spikes AS
SELECT day, key, level, stories, mean_28d, z_28d, ratio_28d, articles, sources
FROM daily_series
WHERE spike
ORDER BY day DESC, z_28d DESC, key, level;

-- One row per article and key it counts for (a mentioned country, or a co-mentioned pair at each level).
CREATE OR REPLACE VIEW article_keys AS
SELECT article_id, day, story_id, source, coalesce(state_affiliated, false) AS state_affiliated,
       unnest(countries) AS key, 'country' AS level
FROM articles
UNION ALL
SELECT article_id, day, story_id, source, coalesce(state_affiliated, false), unnest(pairs_sentence), 'sentence'
FROM articles
UNION ALL
SELECT article_id, day, story_id, source, coalesce(state_affiliated, false), unnest(pairs_paragraph), 'paragraph'
FROM articles
UNION ALL
SELECT article_id, day, story_id, source, coalesce(state_affiliated, false), unnest(pairs_article), 'article'
FROM articles;

-- State-affiliated outlets against all others: per day and mentioned country, how many of each group's
-- articles and stories mention it.
CREATE OR REPLACE VIEW state_vs_other AS
WITH a AS (
    SELECT article_id, day, story_id, CASE WHEN state_affiliated THEN 'state-affiliated' ELSE 'other' END AS outlets
    FROM articles
), outlet_totals AS (
    SELECT day, outlets, count(*) AS outlet_articles, count(DISTINCT story_id) AS outlet_stories
    FROM a GROUP BY day, outlets
), hits AS (
    SELECT a.day, ac.country, a.outlets, count(*) AS articles, count(DISTINCT a.story_id) AS stories,
           sum(ac.mentions)::BIGINT AS mentions
    FROM a JOIN article_countries ac USING (article_id)
    GROUP BY a.day, ac.country, a.outlets
)
SELECT h.day, h.country, h.outlets, h.articles, h.stories, h.mentions, t.outlet_articles, t.outlet_stories,
       h.articles / t.outlet_articles AS share
FROM hits h JOIN outlet_totals t USING (day, outlets);

-- series(key, start_day, end_day, lvl := 'sentence'): a dense daily series (a row for every day, zeros where
-- nothing was counted) for a country ('CN') or a pair ('CN-RU', at level lvl), with the stored baselines and
-- rolling means of stories over the 7 and 28 days ending on each day (inclusive).
CREATE OR REPLACE MACRO series(k, start_day, end_day, lvl := 'sentence') AS TABLE
WITH cal AS (
    SELECT CAST(d AS DATE) AS day
    FROM range(CAST(start_day AS DATE) - INTERVAL 27 DAY, CAST(end_day AS DATE) + INTERVAL 1 DAY, INTERVAL 1 DAY) t(d)
), s AS (
    SELECT * FROM daily_series
    WHERE key = key_of(k) AND level = CASE WHEN contains(k, '-') THEN lvl ELSE 'country' END
      AND day BETWEEN CAST(start_day AS DATE) - 27 AND CAST(end_day AS DATE)
), dense AS (
    SELECT cal.day, key_of(k) AS key, CASE WHEN contains(k, '-') THEN lvl ELSE 'country' END AS level,
           coalesce(s.articles, 0) AS articles, coalesce(s.stories, 0) AS stories,
           coalesce(s.sources, 0) AS sources, s.share,
           avg(coalesce(s.stories, 0)) OVER (ORDER BY cal.day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS rolling_7d,
           avg(coalesce(s.stories, 0)) OVER (ORDER BY cal.day ROWS BETWEEN 27 PRECEDING AND CURRENT ROW) AS rolling_28d,
           s.history_days, s.mean_7d, s.mean_28d, s.z_28d, s.ratio_28d, coalesce(s.spike, false) AS spike
    FROM cal LEFT JOIN s USING (day)
)
SELECT * FROM dense WHERE day >= CAST(start_day AS DATE) ORDER BY day;

-- top_stories(key, on_day, n := 10, lvl := 'sentence'): the stories that carried a country or pair on a day,
-- most copies first, with the lead article (the earliest copy) and up to three evidence sentences from it
-- (sentences naming every country of the key first).
CREATE OR REPLACE MACRO top_stories(k, on_day, n := 10, lvl := 'sentence') AS TABLE
WITH hits AS (
    SELECT ak.article_id, ak.story_id, a.source, a.title, a.url, coalesce(a.published_at, a.fetched_at) AS seen_at
    FROM article_keys ak JOIN articles a USING (article_id)
    WHERE ak.day = CAST(on_day AS DATE) AND ak.key = key_of(k)
      AND ak.level = CASE WHEN contains(k, '-') THEN lvl ELSE 'country' END
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY story_id ORDER BY seen_at, article_id) AS nth,
           count(*) OVER (PARTITION BY story_id) AS copies,
           count(DISTINCT source) OVER (PARTITION BY story_id) AS sources
    FROM hits
), leads AS (
    SELECT * FROM ranked WHERE nth = 1
), sentences AS (
    SELECT m.article_id, m.evidence, min(m.seq) AS first_seq,
           count(DISTINCT m.country) FILTER (WHERE list_contains(string_split(key_of(k), '-'), m.country)) AS matched
    FROM mentions m
    WHERE m.article_id IN (SELECT article_id FROM leads) AND coalesce(m.evidence, '') <> ''
    GROUP BY m.article_id, m.evidence
), evidence AS (
    SELECT article_id, list(evidence ORDER BY matched DESC, first_seq)[1:3] AS evidence,
           sum(matched) AS key_mentions
    FROM sentences WHERE matched > 0 GROUP BY article_id
)
SELECT l.story_id, l.title, l.source, l.url, l.seen_at AS published_at, l.copies, l.sources,
       coalesce(e.evidence, []) AS evidence
FROM leads l LEFT JOIN evidence e USING (article_id)
ORDER BY l.copies DESC, l.sources DESC, coalesce(e.key_mentions, 0) DESC, l.story_id
LIMIT n;

-- spike_sources(key, on_day, lvl := 'sentence'): which outlets drove a day's count: each outlet's stories that
-- day against its own daily mean over the 28 days before; biggest excess first.
CREATE OR REPLACE MACRO spike_sources(k, on_day, lvl := 'sentence') AS TABLE
WITH hits AS (
    SELECT day, source, story_id, state_affiliated
    FROM article_keys
    WHERE key = key_of(k) AND level = CASE WHEN contains(k, '-') THEN lvl ELSE 'country' END
      AND day BETWEEN CAST(on_day AS DATE) - 28 AND CAST(on_day AS DATE)
), per_source AS (
    SELECT source, bool_or(state_affiliated) AS state_affiliated,
           count(DISTINCT story_id) FILTER (WHERE day = CAST(on_day AS DATE)) AS stories,
           count(DISTINCT CAST(day AS VARCHAR) || '|' || story_id) FILTER (WHERE day < CAST(on_day AS DATE)) AS prior
    FROM hits GROUP BY source
), history AS (  -- days of history in the window, as in daily_country.history_days
    SELECT greatest(1, count(*)) AS days FROM daily_total
    WHERE day BETWEEN CAST(on_day AS DATE) - 28 AND CAST(on_day AS DATE) - 1
      AND day >= (SELECT min(day) FROM daily_total WHERE articles > 0)
)
SELECT source, state_affiliated, stories, prior / history.days AS mean_28d,
       stories - prior / history.days AS excess, stories / sum(stories) OVER () AS share_of_day
FROM per_source, history
WHERE stories > 0
ORDER BY excess DESC, stories DESC, source;

-- key_share(key, start_day, end_day, lvl := 'sentence'): state-affiliated outlets against all others for a
-- country or pair over a range: articles and distinct stories per group, and the share of the group's articles.
CREATE OR REPLACE MACRO key_share(k, start_day, end_day, lvl := 'sentence') AS TABLE
WITH a AS (
    SELECT article_id, story_id, CASE WHEN coalesce(state_affiliated, false) THEN 'state-affiliated' ELSE 'other' END AS outlets
    FROM articles WHERE day BETWEEN CAST(start_day AS DATE) AND CAST(end_day AS DATE)
), hits AS (
    SELECT DISTINCT ak.article_id FROM article_keys ak
    WHERE ak.day BETWEEN CAST(start_day AS DATE) AND CAST(end_day AS DATE) AND ak.key = key_of(k)
      AND ak.level = CASE WHEN contains(k, '-') THEN lvl ELSE 'country' END
)
SELECT a.outlets, count(*) AS outlet_articles,
       count(*) FILTER (WHERE h.article_id IS NOT NULL) AS articles,
       count(DISTINCT a.story_id) FILTER (WHERE h.article_id IS NOT NULL) AS stories,
       count(*) FILTER (WHERE h.article_id IS NOT NULL) / count(*) AS share
FROM a LEFT JOIN hits h USING (article_id)
GROUP BY a.outlets
ORDER BY a.outlets;

-- Every relation with its evidence sentence and article (RELATIONS_POLICY.md; docs/analysts.md).
CREATE OR REPLACE VIEW relation_evidence AS
SELECT a.day, r.source, r.target, r.class, r.cue, r.reported, r.sentence, s.text AS evidence,
       a.article_id, a.story_id, a.source AS outlet, a.state_affiliated, a.url, a.title, r.lexicon_version
FROM relations r
JOIN articles a USING (article_id)
LEFT JOIN sentences s USING (article_id, sentence);
