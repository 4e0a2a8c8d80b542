-- One row per mention with the sentence it stands in: the shape of the `mentions` table before sentences were
-- stored once (warehouse and analyst database alike; created after the tables, see warehouse.apply_schema).
CREATE OR REPLACE VIEW mentions AS
SELECT m.article_id, m.seq, m.country, m.start_char, m.end_char, m.surface, m.alias, m.kind, m.position,
       m.sentence, m.paragraph, s.text AS evidence
FROM mention_spans m
LEFT JOIN sentences s ON s.article_id = m.article_id AND s.sentence = m.sentence;
