"""A term index of the searched texts (titles and evidence sentences) in the analyst database.

DuckDB's fts extension is not in the wheel and nothing is downloaded at run time, so the index is two plain
tables, kept by `update_index` at publish time for the rows appended since the last publish:

    search_terms     term, term_id, units     every distinct token, and how many units hold it
    search_postings  term_id, unit            one row per (token, unit)

A *unit* is one searched text: the title of the article at row r of `articles` (unit -1 - r), or the sentence
at row r of `sentences` (unit r). Row numbers are DuckDB's `rowid`, which only grows while a table is only
appended to, as the analyst tables are between full publishes (a full publish rebuilds the index).

Exact by construction: a token is a maximal run of letters, digits, marks and '_' of the lower-cased text, the
same rule for text and phrase. If the phrase occurs in a text, each of its runs lies in one token of the text:
a run between two separators is a whole token, a run after a separator starts one, a run before a separator
ends one, a lone run is inside one. So the units whose tokens pass that test for the phrase's rarest runs are a
superset of the matching units, and `search` checks the exact phrase on those few, with the same predicate as
the plain scan; results are those of the scan.
"""

from __future__ import annotations

import time

import duckdb

TOKEN = r"[\p{L}\p{N}\p{M}_]+"  # RE2 Unicode classes: works for Cyrillic and accented Latin as for ASCII
STATE = "search_index_state"
# Postings appended in publish order are not clustered by term, so zone maps cannot skip them; once the
# unsorted tail is this share of the table, it is rewritten sorted by term (amortised, like a log merge).
RESORT_SHARE = 0.25


def _exists(con, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?", [schema, table]
        ).fetchone()[0]
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows(con, schema: str, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {_quoted(schema)}.{table}").fetchone()[0]


def index_state(con, schema: str | None = None) -> dict | None:
    """The rows of `articles` and `sentences` the index covers, or None when there is no index."""
    schema = schema or con.execute("SELECT current_database()").fetchone()[0]
    if not _exists(con, schema, STATE):
        return None
    names = ("articles_rows", "sentences_rows", "sorted_postings", "postings", "fp_articles", "fp_sentences")
    try:
        row = con.execute(f"SELECT {', '.join(names)} FROM {_quoted(schema)}.{STATE}").fetchone()
    except duckdb.Error:  # a state table of an older shape: rebuild
        return None
    return dict(zip(names, row, strict=True)) if row else None


def is_current(con, schema: str | None = None) -> bool:
    """True when the index covers every row of both tables (else search scans, and stays exact)."""
    schema = schema or con.execute("SELECT current_database()").fetchone()[0]
    state = index_state(con, schema)
    if state is None or not _exists(con, schema, "sentences"):
        return False
    return (state["articles_rows"], state["sentences_rows"]) == (
        _rows(con, schema, "articles"),
        _rows(con, schema, "sentences"),
    )


def update_index(con: duckdb.DuckDBPyConnection, schema: str | None = None) -> dict:
    """Index the titles and sentences appended since the last call (all of them the first time).

    `schema`: the attached database to index (default the connection's own); `warehouse.publish` passes its
    analyst copy. Returns what it did, for the bench."""
    started = time.perf_counter()
    schema = schema or con.execute("SELECT current_database()").fetchone()[0]
    if not (_exists(con, schema, "articles") and _exists(con, schema, "sentences")):
        return {"mode": "skipped", "units": 0, "seconds": 0.0}
    state = index_state(con, schema)
    n_articles, n_sentences = _rows(con, schema, "articles"), _rows(con, schema, "sentences")
    q = _quoted(schema)
    full = (
        state is None
        or state["articles_rows"] > n_articles
        or state["sentences_rows"] > n_sentences
        or not _rowids_dense(con, q)
        or _fingerprint(con, q, 0, state["articles_rows"], 0, state["sentences_rows"])
        != (state["fp_articles"], state["fp_sentences"])
    )
    if full:
        _create_tables(con, q)
        state = {"articles_rows": 0, "sentences_rows": 0, "sorted_postings": 0, "postings": 0}
        state |= {"fp_articles": 0, "fp_sentences": 0}
    units = _index_rows(con, q, state["articles_rows"], state["sentences_rows"])
    new_a, new_s = _fingerprint(
        con, q, state["articles_rows"], n_articles, state["sentences_rows"], n_sentences
    )
    fp_articles, fp_sentences = state["fp_articles"] ^ new_a, state["fp_sentences"] ^ new_s
    postings = state["postings"] + units["postings"]
    sorted_postings = state["sorted_postings"] if not full else postings
    if not full and postings - sorted_postings > RESORT_SHARE * postings:
        con.execute(
            f"CREATE OR REPLACE TABLE {q}.search_postings AS "
            f"SELECT * FROM {q}.search_postings ORDER BY term_id, unit, pos"
        )
        sorted_postings = postings
    con.execute(
        f"CREATE OR REPLACE TABLE {q}.{STATE} AS SELECT ? AS articles_rows, ? AS sentences_rows, "
        "? AS sorted_postings, ? AS postings, ?::UBIGINT AS fp_articles, ?::UBIGINT AS fp_sentences, "
        "now() AS updated_at",
        [n_articles, n_sentences, sorted_postings, postings, fp_articles, fp_sentences],
    )
    return {
        "mode": "full" if full else "append",
        "units": units["units"],
        "postings": units["postings"],
        "seconds": round(time.perf_counter() - started, 3),
    }


def _fingerprint(con, db: str, a_lo: int, a_hi: int, s_lo: int, s_hi: int) -> tuple[int, int]:
    """What rows lo..hi-1 of each table are (their keys at their row numbers), as one number per table.

    Row numbers are dense again after a checkpoint compacts deleted rows, but other rows then sit at them (an
    UPDATE of a list column is a delete and an insert): the index must notice and rebuild, not point at them."""
    fa = con.execute(
        f"SELECT coalesce(bit_xor(hash(rowid, article_id)), 0) FROM {db}.articles "
        f"WHERE rowid >= {int(a_lo)} AND rowid < {int(a_hi)}"
    ).fetchone()[0]
    fs = con.execute(
        f"SELECT coalesce(bit_xor(hash(rowid, article_id, sentence)), 0) FROM {db}.sentences "
        f"WHERE rowid >= {int(s_lo)} AND rowid < {int(s_hi)}"
    ).fetchone()[0]
    return int(fa), int(fs)


def _rowids_dense(con, db: str) -> bool:
    """rowid 0..n-1 in both tables: nothing was deleted since they were created, so row numbers still hold."""
    for table in ("articles", "sentences"):
        count, top = con.execute(f"SELECT count(*), coalesce(max(rowid) + 1, 0) FROM {db}.{table}").fetchone()
        if count != top:
            return False
    return True


def _create_tables(con, db: str) -> None:
    con.execute(
        f"CREATE OR REPLACE TABLE {db}.search_terms (term VARCHAR NOT NULL, term_id INTEGER NOT NULL, "
        "units BIGINT NOT NULL)"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {db}.search_postings (term_id INTEGER NOT NULL, unit BIGINT NOT NULL, "
        "pos INTEGER NOT NULL, space BOOLEAN NOT NULL)"
    )
    con.execute(f"CREATE OR REPLACE TABLE {db}.search_sentences (unit BIGINT NOT NULL, art BIGINT NOT NULL)")


def _index_rows(con, db: str, from_article: int, from_sentence: int) -> dict:
    """Tokens of the new units into the vocabulary and the postings (sorted by term within the append).

    Each posting keeps the token's position in its unit and whether exactly one space comes before it, so a
    phrase of words separated by single spaces is answered from the index alone."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _search_new AS
            SELECT unit, unnest(range(len(tokens))) AS pos, unnest(tokens) AS term,
                   unnest(seps[1:len(tokens)]) = ' ' AS space
            FROM (SELECT unit, regexp_extract_all(body, '{TOKEN}') AS tokens,
                         regexp_split_to_array(body, '{TOKEN}') AS seps
                  FROM (SELECT -1 - rowid AS unit, lower(title) AS body FROM {db}.articles
                        WHERE rowid >= {int(from_article)} AND title IS NOT NULL
                        UNION ALL
                        SELECT rowid, lower(text) FROM {db}.sentences WHERE rowid >= {int(from_sentence)}))"""
    )
    con.execute(
        f"""INSERT INTO {db}.search_terms
            SELECT term, (SELECT coalesce(max(term_id), 0) FROM {db}.search_terms)
                         + row_number() OVER (ORDER BY term), 0
            FROM (SELECT DISTINCT term FROM _search_new) n
            ANTI JOIN {db}.search_terms t USING (term)"""
    )
    con.execute(
        f"""UPDATE {db}.search_terms AS t SET units = t.units + c.n
            FROM (SELECT term, count(DISTINCT unit) AS n FROM _search_new GROUP BY term) c
            WHERE t.term = c.term"""
    )
    con.execute(
        f"""INSERT INTO {db}.search_postings
            SELECT t.term_id, n.unit, n.pos, n.space FROM _search_new n JOIN {db}.search_terms t USING (term)
            ORDER BY t.term_id, n.unit, n.pos"""
    )
    # A sentence appended now belongs to an article appended now (publish appends both together): join with
    # those first, and with all articles only for any sentence left over.
    for articles in (f"WHERE rowid >= {int(from_article)}", ""):
        con.execute(
            f"""INSERT INTO {db}.search_sentences
                SELECT s.rowid, a.art FROM {db}.sentences s
                JOIN (SELECT rowid AS art, article_id FROM {db}.articles {articles}) a USING (article_id)
                WHERE s.rowid >= {int(from_sentence)}
                  AND s.rowid NOT IN (SELECT unit FROM {db}.search_sentences WHERE unit >= {int(from_sentence)})
                ORDER BY s.rowid"""
        )
        left = con.execute(
            f"SELECT (SELECT count(*) FROM {db}.sentences WHERE rowid >= {int(from_sentence)}) - "
            f"(SELECT count(*) FROM {db}.search_sentences WHERE unit >= {int(from_sentence)})"
        ).fetchone()[0]
        if not left:
            break
    units, postings = con.execute("SELECT count(DISTINCT unit), count(*) FROM _search_new").fetchone()
    con.execute("DROP TABLE _search_new")
    return {"units": units, "postings": postings}


# ---------------------------------------------------------------------------------------------------- query


def phrase_runs(con, needle: str) -> list[tuple[str, str]]:
    """The phrase's token runs, each with how a text token must relate to it: 'exact', 'prefix' (the token
    starts with it), 'suffix' (ends with it) or 'inside'. Tokenised by DuckDB, exactly as the texts are."""
    runs = con.execute(f"SELECT regexp_extract_all(?, '{TOKEN}')", [needle]).fetchone()[0]
    out, at = [], 0
    for run in runs:
        at = needle.index(run, at)  # runs are maximal, so only separators lie between two of them
        before, after = at > 0, at + len(run) < len(needle)  # a separator on that side, in the phrase
        at += len(run)
        relation = {(True, True): "exact", (True, False): "prefix", (False, True): "suffix"}
        out.append((run, relation.get((before, after), "inside")))
    return out


_RELATION = {
    "exact": "term = ?",
    "prefix": "starts_with(term, ?)",
    "suffix": "ends_with(term, ?)",
    "inside": "contains(term, ?)",
}
# A second run narrows the candidates of a phrase that needs the text checked, but reading its postings costs;
# worth it when it is not much commoner than the rarest one.
SECOND_RUN_RATIO = 8
# A phrase whose every run is in this share of the units or more ("the", "e b") is found faster by the scan,
# once there are enough units for it to matter.
SCAN_SHARE = 0.05
SCAN_MIN_UNITS = 100_000


def _run_terms(con, runs: list[tuple[str, str]]) -> list[int]:
    """Into temp table `search_run_terms` (run, term_id), the vocabulary terms each run may stand in; returns
    the units each run is in at most (the sum of its terms' counts), by run."""
    parts, params = [], []
    for i, (run, relation) in enumerate(runs):
        parts.append(f"SELECT {i} AS run, term_id, units FROM search_terms WHERE {_RELATION[relation]}")
        params.append(run)
    con.execute("CREATE OR REPLACE TEMP TABLE search_run_terms AS " + " UNION ALL ".join(parts), params)
    totals = dict(con.execute("SELECT run, sum(units) FROM search_run_terms GROUP BY run").fetchall())
    return [int(totals.get(i, 0)) for i in range(len(runs))]


def find_units(con, needle: str) -> bool | None:
    """Into temp table `search_units` (unit), the units that may hold the phrase. Returns True when they are
    exactly the units that hold it, False when each still needs the text checked, None when the index cannot
    help (a phrase of punctuation only, or of runs so common that the scan is faster).

    Exact from the index alone: one run (a word, or part of one), or words joined by single spaces (a run
    must start at the position after the previous one, with one space before it)."""
    runs = phrase_runs(con, needle)
    if not runs:
        return None
    spaced = " ".join(run for run, _ in runs) == needle
    totals = _run_terms(con, runs)
    units = con.execute("SELECT count(*) FROM sentences").fetchone()[0]
    if units >= SCAN_MIN_UNITS and min(totals) > SCAN_SHARE * units:
        con.execute("DROP TABLE search_run_terms")
        return None
    if min(totals) == 0:  # some run is in no text: nothing can match
        con.execute("CREATE OR REPLACE TEMP TABLE search_units AS SELECT NULL::BIGINT AS unit WHERE false")
        return True
    if spaced:
        # Anchored on the rarest run's units; the others must line up behind or ahead of it.
        rarest = min(range(len(runs)), key=totals.__getitem__)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE search_units AS
                WITH hits AS (SELECT p.unit, p.pos, p.space, t.run FROM search_postings p
                              JOIN search_run_terms t USING (term_id)),
                     anchor AS (SELECT DISTINCT unit FROM hits WHERE run = {rarest})
                SELECT DISTINCT unit FROM (
                    SELECT unit, pos - run AS start FROM hits SEMI JOIN anchor USING (unit)
                    WHERE run = 0 OR space
                    GROUP BY unit, start HAVING count(DISTINCT run) = {len(runs)})"""
        )
        exact = True
    else:
        order = sorted(range(len(runs)), key=totals.__getitem__)
        chosen = [order[0]] + [i for i in order[1:2] if totals[i] <= SECOND_RUN_RATIO * totals[order[0]]]
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE search_units AS
                SELECT p.unit FROM search_postings p
                JOIN (SELECT * FROM search_run_terms WHERE run IN ({", ".join(map(str, chosen))})) t
                USING (term_id)
                GROUP BY p.unit HAVING count(DISTINCT t.run) = {len(chosen)}"""
        )
        exact = False
    con.execute("DROP TABLE search_run_terms")
    return exact


def hit_rows(con, needle: str) -> bool:
    """Into temp table `search_rows` (art), the row numbers in `articles` of the articles whose title or an
    evidence sentence holds the phrase, from the index (checking the candidates' text when the index alone
    cannot tell). False: the index cannot help, scan instead."""
    exact = find_units(con, needle)
    if exact is None:
        return False
    if exact:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE search_rows AS
               SELECT -1 - unit AS art FROM search_units WHERE unit < 0
               UNION SELECT s.art FROM search_sentences s SEMI JOIN search_units u USING (unit)"""
        )
    else:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE search_rows AS
               SELECT a.rowid AS art FROM articles a SEMI JOIN search_units u ON a.rowid = -1 - u.unit
               WHERE contains(lower(coalesce(a.title, '')), $n)
               UNION
               SELECT s.art FROM search_sentences s SEMI JOIN (
                   SELECT t.rowid AS unit FROM sentences t SEMI JOIN search_units u ON t.rowid = u.unit
                   WHERE contains(lower(t.text), $n)) m USING (unit)""",
            {"n": needle},
        )
    con.execute("DROP TABLE search_units")
    return True
