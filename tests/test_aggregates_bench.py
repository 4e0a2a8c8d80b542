"""bench/aggregates.py run small, so the benchmark cannot rot, and its generator is checked for consistency."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import aggregates as bench  # noqa: E402


def test_generated_year_is_consistent_and_measured(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "DAYS", 30)
    size = bench.build(tmp_path / "data", per_day=40)
    assert size["articles"] == 30 * 40
    assert 5 * size["articles"] < size["mentions"] < 8 * size["articles"]
    con = duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True)
    try:
        # article_countries agrees with the mention rows it summarises, country by country
        per_country = con.execute(
            """SELECT count(*) FROM (
                   SELECT article_id, country, count(*) AS n FROM mentions GROUP BY ALL
               ) m FULL JOIN article_countries ac USING (article_id, country)
               WHERE m.n IS DISTINCT FROM ac.mentions"""
        ).fetchall()[0][0]
        copies = con.execute("SELECT count(*) FROM articles WHERE story_id <> article_id").fetchall()[0][0]
        pairs = con.execute("SELECT count(*) FROM articles WHERE len(pairs_sentence) > 0").fetchall()[0][0]
    finally:
        con.close()
    assert per_country == 0
    assert 0.1 * size["articles"] < copies < 0.3 * size["articles"]
    assert pairs > 0

    figures = bench.measure(tmp_path / "data")
    assert (
        figures["recompute_one_day_best_s"]
        <= figures["recompute_one_day_s"]
        <= figures["recompute_one_day_max_s"]
    )
    assert (
        figures["trend_query_ms"] > 0 and figures["publish_s"] > 0 and figures["publish_without_text_s"] > 0
    )
    assert (tmp_path / "data" / "newsmon.duckdb").exists()
