"""`newsmon search` and newsmon.search on the demo corpus (real pipeline) and on hand-made rows."""

from __future__ import annotations

import json

import pytest
from helpers_explorer import demo_corpus
from newsmon.cli import main
from newsmon.reader import ReaderError, open_analyst
from newsmon.search import matching_sentence, search


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_corpus(tmp_path_factory.mktemp("demo"))


def test_a_phrase_of_the_spike_stories_finds_them_on_the_spike_day(demo):
    p, spike = demo
    con = open_analyst(p.analyst_db)
    try:
        result = search(con, "Pipeline Framework", pair="RU-CN", days=30)
        whole = search(con, "pipeline framework", days=30)
    finally:
        con.close()
    assert result.scope == "CN-RU (sentence)"
    peak = max(result.days, key=lambda d: d["stories"])
    assert peak["day"] == spike and peak["stories"] >= 1
    assert 0 < peak["share"] <= 1 and peak["scope_stories"] >= peak["stories"]
    assert result.stories and all("pipeline framework" in s["sentence"].lower() for s in result.stories)
    assert any("gas pipeline framework" in s["title"].lower() for s in result.stories)
    assert whole.total_articles >= result.total_articles and whole.scope == "all articles"
    # scope: every day of the range, even the quiet ones
    assert len(result.days) == 30 and result.days[-1]["day"] == result.end


def test_full_text_finds_at_least_what_the_evidence_finds(demo):
    p, _ = demo
    con = open_analyst(p.analyst_db)
    try:
        evidence = search(con, "secondary sanctions", days=30)
        full = search(con, "secondary sanctions", days=30, full_text=True)
    finally:
        con.close()
    assert full.total_articles >= evidence.total_articles > 0


def test_search_command_prints_a_sparkline_and_stories_or_json(demo, capsys, monkeypatch):
    p, spike = demo
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(p.data_dir))
    assert main(["search", "summit", "--pair", "CN-RU", "--days", "30"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('"summit" in CN-RU (sentence)') and "stories/day " in out
    assert any(ch in out for ch in "▂▃▄▅▆▇█") and "matching sentence" in out
    assert main(["search", "summit", "--country", "cn", "--days", "30", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scope"] == "CN" and data["stories"] and data["share"] > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", " "], "at least 2 characters"),
        (["search", "gas", "--pair", "CN-XX"], "known: CN-RU"),
        (["search", "gas", "--country", "ZZ"], "known: CN"),
        (["search", "gas", "--days", "0"], "--days must be between"),
        (["search", "gas", "--pair", "CN-RU", "--country", "CN"], "not both"),
    ],
)
def test_search_input_errors_are_one_line(demo, capsys, monkeypatch, argv, message):
    p, _ = demo
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(p.data_dir))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_matching_sentence_is_the_one_holding_the_phrase():
    body = "Talks went on. Western SANCTIONS bite hard, officials said. Nothing else."
    assert (
        matching_sentence("Trade talks", body, "sanctions") == "Western SANCTIONS bite hard, officials said."
    )
    assert matching_sentence("Sanctions loom", body, "sanctions") == "Sanctions loom"
    long = "word " * 200 + "the gas deal " + "word " * 200
    cut = matching_sentence("", long, "gas deal", limit=80)
    assert "gas deal" in cut and len(cut) <= 82 and cut.startswith("…")
    assert matching_sentence("", body, "pipeline") == ""
    with pytest.raises(ReaderError):
        from newsmon.search import clean_phrase

        clean_phrase("x")


def test_the_year_scale_bench_runs_small(tmp_path):
    """bench/search.py at 0.5% of its size: it builds and indexes, searches every scope with the index and by
    scanning, finds the phrases and gets the scan's answers from the index."""
    import subprocess
    import sys
    from pathlib import Path

    bench = Path(__file__).resolve().parents[1] / "bench" / "search.py"
    out = subprocess.run(
        [sys.executable, str(bench), "--scale", "0.005", "--keep", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    figures = json.loads(out.stdout[out.stdout.index("{") :])
    assert figures["articles"] == 5000 + 500 + 13  # a year at 0.5%, one publish of 500, one day at 0.5%
    assert figures["index_postings"] > 0 and figures["index_append_day_s"] >= 0
    for scope in ("all", "country_CN", "pair_CN-RU"):
        assert 0 < figures[f"{scope}_word_matches"] <= figures[f"{scope}_full_text_matches"]
        for kind in ("word", "words", "punctuated"):  # the index answers exactly as the scan
            assert figures[f"{scope}_{kind}_same_as_scan"] is True and figures[f"{scope}_{kind}_matches"] > 0
