"""A term index of the searched texts (titles and evidence sentences) in the analyst database.

DuckDB's fts extension is not in the wheel and nothing is downloaded at run time, so the index is plain
tables, kept by `update_index` at publish time for the rows appended since the last publish:

    search_terms       term, term_id, units           every distinct token, and how many units hold it
    search_separators  sep, sep_id                    every distinct text between two tokens (or at an end)
    search_postings    term_id, unit, pos, before, after
                                                      one row per token: its unit, its position there, and the
                                                      separators (sep_id) just before and just after it
    search_sentences   unit, art                      the article (row number) of each sentence unit

A *unit* is one searched text: the title of the article at row r of `articles` (unit -1 - r), or the sentence
at row r of `sentences` (unit r). Row numbers are DuckDB's `rowid`, which only grows while a table is only
appended to, as the analyst tables are between full publishes (a full publish rebuilds the index, and so does
an update that finds the rows it covers changed: `search_index_state` keeps their count and fingerprint).

Exact by construction, for any phrase with a letter or digit in it. A token is a maximal run of letters,
digits, marks and '_' of the lower-cased text, a separator a maximal run of anything else (empty at an end of
the text with a token there); the same rule splits the phrase into runs r0..rk and separators s0..s(k+1)
(s0 and s(k+1) may be empty). The phrase occurs in a text exactly when k+1 tokens at consecutive positions
t0..tk do so that: each inner separator s1..sk is the separator between its two tokens, the inner runs are
whole tokens, r0 ends t0 (is t0 if s0 is not empty), rk starts tk (is tk if s(k+1) is not empty), s0 ends the
separator before t0 and s(k+1) starts the separator after tk; a lone run with empty s0 and s1 lies inside a
token. Each condition is a lookup in the vocabulary, the separators and the postings, so `search` answers from
the index alone and gives the answer of the plain scan (tests/test_search_index.py checks both ways).
"""

from __future__ import annotations

import time

import duckdb

TOKEN = r"[\p{L}\p{N}\p{M}_]+"  # RE2 Unicode classes: works for Cyrillic and accented Latin as for ASCII
STATE = "search_index_state"
# The shape of the index; a state of another version (or none) makes the next update rebuild it.
VERSION = 2
# Postings appended in publish order are not clustered by term, so zone maps cannot skip them; once the
# unsorted tail is this share of the table, it is rewritten sorted by term (amortised, like a log merge).
RESORT_SHARE = 0.25
# Units tokenised per step of an update (titles, sentences): bounds the memory of a full build.
CHUNK_TITLES, CHUNK_SENTENCES = 500_000, 250_000


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


STATE_COLUMNS = (
    "version", "articles_rows", "sentences_rows", "sorted_postings", "postings", "fp_articles", "fp_sentences",
)  # fmt: skip
INDEX_TABLES = ("search_terms", "search_separators", "search_postings", "search_sentences")


def index_state(con, schema: str | None = None) -> dict | None:
    """The rows of `articles` and `sentences` the index covers, or None when there is no index of this shape."""
    schema = schema or con.execute("SELECT current_database()").fetchone()[0]
    if not _exists(con, schema, STATE) or not all(_exists(con, schema, t) for t in INDEX_TABLES):
        return None
    try:
        row = con.execute(f"SELECT {', '.join(STATE_COLUMNS)} FROM {_quoted(schema)}.{STATE}").fetchone()
    except duckdb.Error:  # a state table of an older shape: rebuild
        return None
    state = dict(zip(STATE_COLUMNS, row, strict=True)) if row else None
    return state if state and state["version"] == VERSION else None


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
    a_top, s_top = (_top_rowid(con, q, table) for table in ("articles", "sentences"))  # > count after deletes
    full = (
        state is None
        or state["articles_rows"] > n_articles
        or state["sentences_rows"] > n_sentences
        # rowid 0..n-1: nothing was deleted since the tables were created, so row numbers still hold
        or (a_top, s_top) != (n_articles, n_sentences)
        or _fingerprint(con, q, 0, state["articles_rows"], 0, state["sentences_rows"])
        != (state["fp_articles"], state["fp_sentences"])
    )
    if full:
        _create_tables(con, q)
        state = {"articles_rows": 0, "sentences_rows": 0, "sorted_postings": 0, "postings": 0}
        state |= {"fp_articles": 0, "fp_sentences": 0}
    units = postings = 0
    a, s = state["articles_rows"], state["sentences_rows"]
    while a < a_top or s < s_top:  # in steps, so a full build holds one step's tokens at a time
        a_to, s_to = min(a_top, a + CHUNK_TITLES), min(s_top, s + CHUNK_SENTENCES)
        step = _index_rows(con, q, a, a_to, s, s_to, sort=not full)
        units, postings = units + step["units"], postings + step["postings"]
        a, s = a_to, s_to
    _map_sentences(con, q, state["articles_rows"], state["sentences_rows"])
    new_a, new_s = _fingerprint(
        con, q, state["articles_rows"], n_articles, state["sentences_rows"], n_sentences
    )
    fp_articles, fp_sentences = state["fp_articles"] ^ new_a, state["fp_sentences"] ^ new_s
    total = state["postings"] + postings
    sorted_postings = state["sorted_postings"]
    if full or total - sorted_postings > RESORT_SHARE * total:
        con.execute(
            f"CREATE OR REPLACE TABLE {q}.search_postings AS "
            f"SELECT * FROM {q}.search_postings ORDER BY term_id, unit, pos"
        )
        sorted_postings = total
    con.execute(
        f"CREATE OR REPLACE TABLE {q}.{STATE} AS SELECT ? AS version, ? AS articles_rows, ? AS sentences_rows, "
        "? AS sorted_postings, ? AS postings, ?::UBIGINT AS fp_articles, ?::UBIGINT AS fp_sentences, "
        "now() AS updated_at",
        [VERSION, n_articles, n_sentences, sorted_postings, total, fp_articles, fp_sentences],
    )
    return {
        "mode": "full" if full else "append",
        "units": units,
        "postings": postings,
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


def _top_rowid(con, db: str, table: str) -> int:
    return con.execute(f"SELECT coalesce(max(rowid) + 1, 0) FROM {db}.{table}").fetchone()[0]


def _create_tables(con, db: str) -> None:
    con.execute(
        f"CREATE OR REPLACE TABLE {db}.search_terms (term VARCHAR NOT NULL, term_id INTEGER NOT NULL, "
        "units BIGINT NOT NULL)"
    )
    con.execute(f"CREATE OR REPLACE TABLE {db}.search_separators (sep VARCHAR NOT NULL, sep_id INTEGER NOT NULL)")
    con.execute(
        f"CREATE OR REPLACE TABLE {db}.search_postings (term_id INTEGER NOT NULL, unit BIGINT NOT NULL, "
        "pos INTEGER NOT NULL, before INTEGER NOT NULL, after INTEGER NOT NULL)"
    )
    con.execute(f"CREATE OR REPLACE TABLE {db}.search_sentences (unit BIGINT NOT NULL, art BIGINT NOT NULL)")


def _index_rows(con, db: str, a_lo: int, a_hi: int, s_lo: int, s_hi: int, sort: bool) -> dict:
    """Tokens of titles a_lo..a_hi-1 and sentences s_lo..s_hi-1 into the vocabulary, the separators and the
    postings (sorted by term within the step when `sort`)."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _search_new AS
            SELECT unit, unnest(range(len(tokens))) AS pos, unnest(tokens) AS term,
                   unnest(seps[1:len(tokens)]) AS before, unnest(seps[2:len(tokens) + 1]) AS after
            FROM (SELECT unit, regexp_extract_all(body, '{TOKEN}') AS tokens,
                         regexp_split_to_array(body, '{TOKEN}') AS seps
                  FROM (SELECT -1 - rowid AS unit, lower(title) AS body FROM {db}.articles
                        WHERE rowid >= {int(a_lo)} AND rowid < {int(a_hi)} AND title IS NOT NULL
                        UNION ALL
                        SELECT rowid, lower(text) FROM {db}.sentences
                        WHERE rowid >= {int(s_lo)} AND rowid < {int(s_hi)}))"""
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
        f"""INSERT INTO {db}.search_separators
            SELECT sep, (SELECT coalesce(max(sep_id), 0) FROM {db}.search_separators)
                        + row_number() OVER (ORDER BY sep)
            FROM (SELECT before AS sep FROM _search_new UNION SELECT after FROM _search_new) n
            ANTI JOIN {db}.search_separators t USING (sep)"""
    )
    con.execute(
        f"""INSERT INTO {db}.search_postings
            SELECT t.term_id, n.unit, n.pos, b.sep_id, a.sep_id FROM _search_new n
            JOIN {db}.search_terms t USING (term)
            JOIN {db}.search_separators b ON b.sep = n.before
            JOIN {db}.search_separators a ON a.sep = n.after
            {"ORDER BY t.term_id, n.unit, n.pos" if sort else ""}"""
    )
    units, postings = con.execute("SELECT count(DISTINCT unit), count(*) FROM _search_new").fetchone()
    con.execute("DROP TABLE _search_new")
    return {"units": units, "postings": postings}


def _map_sentences(con, db: str, from_article: int, from_sentence: int) -> None:
    """The article row of each sentence appended since `from_sentence`, into search_sentences.

    A sentence appended now belongs to an article appended now (publish appends both together): join with
    those first, and with all articles only for any sentence left over."""
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


# ---------------------------------------------------------------------------------------------------- query


def phrase_parts(con, needle: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The phrase's token runs, each with how a text token must relate to it ('exact', 'prefix': the token
    starts with it, 'suffix': ends with it, 'inside'), and its separators s0..s(k+1) (the first and the last
    may be empty). Split by DuckDB, exactly as the texts are."""
    runs, seps = con.execute(
        f"SELECT regexp_extract_all($n, '{TOKEN}'), regexp_split_to_array($n, '{TOKEN}')", {"n": needle}
    ).fetchone()
    out = []
    for i, run in enumerate(runs):
        before, after = i > 0 or seps[0] != "", i < len(runs) - 1 or seps[-1] != ""
        relation = {(True, True): "exact", (True, False): "prefix", (False, True): "suffix"}
        out.append((run, relation.get((before, after), "inside")))
    return out, list(seps) if runs else []


def phrase_runs(con, needle: str) -> list[tuple[str, str]]:
    """The phrase's token runs with their relation to a text token (see phrase_parts)."""
    return phrase_parts(con, needle)[0]


_RELATION = {
    "exact": "term = ?",
    "prefix": "starts_with(term, ?)",
    "suffix": "ends_with(term, ?)",
    "inside": "contains(term, ?)",
}
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


def _separator_ids(con, test: str, sep: str) -> list[int]:
    """The ids of the separators equal to (test 'sep = ?'), ending or starting with `sep`."""
    return [r[0] for r in con.execute(f"SELECT sep_id FROM search_separators WHERE {test}", [sep]).fetchall()]


def _run_conditions(con, seps: list[str], k: int) -> list[list[str]] | None:
    """By run, the conditions on a posting's separators (see the module's docstring); None when a separator
    the phrase needs is in no text."""
    def ids(test: str, sep: str) -> str | None:
        found = _separator_ids(con, test, sep)
        return ", ".join(map(str, found)) if found else None

    inner = {i: ids("sep = ?", seps[i]) for i in range(1, k + 1)}
    lead = ids("ends_with(sep, ?)", seps[0]) if seps[0] else ""
    tail = ids("starts_with(sep, ?)", seps[k + 1]) if seps[k + 1] else ""
    if None in (lead, tail, *inner.values()):
        return None
    out = []
    for i in range(k + 1):
        conds = []
        if i > 0:
            conds.append(f"before = {inner[i]}")
        elif lead:
            conds.append(f"before IN ({lead})")
        if i < k:
            conds.append(f"after = {inner[i + 1]}")
        elif tail:
            conds.append(f"after IN ({tail})")
        out.append(conds)
    return out


def find_units(con, needle: str) -> bool:
    """Into temp table `search_units` (unit), exactly the units that hold the phrase. False when the index
    cannot help: a phrase of punctuation only, or of runs so common that the scan is faster."""
    runs, seps = phrase_parts(con, needle)
    if not runs:
        return False
    totals = _run_terms(con, runs)
    units = con.execute("SELECT count(*) FROM sentences").fetchone()[0]
    if units >= SCAN_MIN_UNITS and min(totals) > SCAN_SHARE * units:
        con.execute("DROP TABLE search_run_terms")
        return False
    k = len(runs) - 1
    conditions = _run_conditions(con, seps, k) if min(totals) else None
    if conditions is None:  # some run or separator is in no text: nothing can match
        con.execute("CREATE OR REPLACE TEMP TABLE search_units AS SELECT NULL::BIGINT AS unit WHERE false")
        con.execute("DROP TABLE search_run_terms")
        return True

    def hits(i: int, columns: str) -> str:
        where = " AND ".join(conditions[i]) or "TRUE"
        return (
            f"SELECT {columns} FROM search_postings p "
            f"SEMI JOIN (SELECT term_id FROM search_run_terms WHERE run = {i}) t USING (term_id) WHERE {where}"
        )

    if k == 0:
        con.execute(f"CREATE OR REPLACE TEMP TABLE search_units AS SELECT DISTINCT unit FROM ({hits(0, 'unit')})")
    else:
        # Anchored on the rarest run's (unit, start); each other run must sit at start + its place.
        rarest = min(range(k + 1), key=totals.__getitem__)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE search_starts AS "
            f"SELECT DISTINCT unit, pos - {rarest} AS start FROM ({hits(rarest, 'unit, pos')})"
        )
        for i in sorted(range(k + 1), key=totals.__getitem__):
            if i == rarest:
                continue
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE search_starts AS
                    SELECT s.unit, s.start FROM search_starts s
                    SEMI JOIN ({hits(i, f"unit, pos - {i} AS start")}) h USING (unit, start)"""
            )
        con.execute("CREATE OR REPLACE TEMP TABLE search_units AS SELECT DISTINCT unit FROM search_starts")
        con.execute("DROP TABLE search_starts")
    con.execute("DROP TABLE search_run_terms")
    return True


def hit_rows(con, needle: str) -> bool:
    """Into temp table `search_rows` (art), the row numbers in `articles` of the articles whose title or an
    evidence sentence holds the phrase, from the index alone. False: the index cannot help, scan instead."""
    if not find_units(con, needle):
        return False
    con.execute(
        """CREATE OR REPLACE TEMP TABLE search_rows AS
           SELECT -1 - unit AS art FROM search_units WHERE unit < 0
           UNION SELECT s.art FROM search_sentences s SEMI JOIN search_units u USING (unit)"""
    )
    con.execute("DROP TABLE search_units")
    return True
