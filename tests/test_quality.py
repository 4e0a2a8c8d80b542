"""Data-quality gates: each fails on a corpus built to trip it and passes on a normal one."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from helpers_ops import NOW, fixture_db
from newsmon.config import ConfigError, Settings
from newsmon.quality import QualityGateFailed, QualitySettings, check_analyst_db, check_ingest

QS = QualitySettings()
FEEDS = ["alpha", "beta", "gamma"]
RUN = "scheduled__2026-03-10T11:30:00+00:00"
RUN_START = NOW - timedelta(minutes=30)


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    """A week of normal history, then one normal run of 30 articles (10 per feed)."""
    path = tmp_path_factory.mktemp("quality") / "warehouse.duckdb"
    db = fixture_db(path)
    db.regular_history(FEEDS, days=7, every_hours=3, end=RUN_START - timedelta(hours=1))
    db.close()
    return path


@pytest.fixture
def db(tmp_path, template_db):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(template_db, path)
    d = fixture_db(path)
    d._n = 100_000
    yield d
    d.close()


def _run(db, n_per_feed: int = 10, **article) -> None:
    for feed in FEEDS:
        db.fetch_log(RUN, feed, RUN_START, new_items=n_per_feed)
        for i in range(n_per_feed):
            db.article(feed, RUN_START + timedelta(minutes=1 + i), **article)


def _failed_gates(db) -> dict[str, str]:
    with pytest.raises(QualityGateFailed) as exc:
        check_ingest(db.con, run_id=RUN, now=NOW, settings=QS)
    return {g.name: g.message for g in exc.value.report.failures}


def test_a_normal_run_passes_every_gate(db):
    _run(db)
    report = check_ingest(db.con, run_id=RUN, now=NOW, settings=QS)
    assert report.articles == 30 and report.failures == []
    assert {g.name for g in report.gates} == {
        "no_articles",
        "extraction",
        "future_dates",
        "mojibake",
        "mentions",
        "batches",
    }


def test_every_feed_failing_fails_the_run(db):
    for feed in FEEDS:
        db.fetch_log(RUN, feed, RUN_START, status="failed", new_items=0)
    failed = _failed_gates(db)
    assert list(failed) == ["no_articles"]
    assert "all 3 feeds fetched in this run failed" in failed["no_articles"]


def test_a_day_without_any_article_fails(db):
    later = NOW + timedelta(days=2)
    run = "scheduled__later"
    for feed in FEEDS:
        db.fetch_log(run, feed, later - timedelta(minutes=5), status="not_modified", new_items=0)
    with pytest.raises(QualityGateFailed, match=r"no article arrived from any of 3 feeds in the last 24 h"):
        check_ingest(db.con, run_id=run, now=later, settings=QS)


def test_a_quiet_half_hour_is_not_a_failure(db):
    _run(db)
    run = "scheduled__quiet"
    for feed in FEEDS:
        db.fetch_log(run, feed, NOW + timedelta(minutes=25), status="not_modified", new_items=0)
    report = check_ingest(db.con, run_id=run, now=NOW + timedelta(minutes=30), settings=QS)
    assert report.articles == 0 and report.failures == []


def test_extraction_failures_above_threshold(db):
    _run(db, text_source="feed", fetch_error="HTTP 403")
    failed = _failed_gates(db)
    assert list(failed) == ["extraction"]
    assert "100% of 30 articles fell back to the feed summary (limit 50%)" in failed["extraction"]
    assert "HTTP 403 (30)" in failed["extraction"]


def test_extraction_rate_not_judged_on_few_articles(db):
    _run(db, n_per_feed=3, text_source="feed")
    assert check_ingest(db.con, run_id=RUN, now=NOW, settings=QS).failures == []


def test_future_dates(db):
    _run(db)
    db.article("beta", RUN_START + timedelta(minutes=3), published_at=NOW + timedelta(days=2))
    failed = _failed_gates(db)
    assert list(failed) == ["future_dates"]
    assert "1 articles are dated after" in failed["future_dates"] and "beta" in failed["future_dates"]


def test_mojibake(db):
    _run(db)
    garbled = "Le prÃ©sident a dÃ©clarÃ© que lâ€™accord Ã©tait prÃªt. Beijing and Moscow agreed."
    for i in range(3):
        db.article("gamma", RUN_START + timedelta(minutes=2 + i), text=garbled)
    failed = _failed_gates(db)
    assert list(failed) == ["mojibake"]
    assert "3 of 33 articles" in failed["mojibake"] and "gamma (3)" in failed["mojibake"]


def test_real_accents_and_cyrillic_are_not_mojibake(db):
    _run(db, text="Le président a déclaré à São Paulo. Президент России. Ðorđe Ñandú. Beijing.")
    assert check_ingest(db.con, run_id=RUN, now=NOW, settings=QS).failures == []


RU_TEXT = (
    "Паромное сообщение между Благовещенском и Хэйхэ возобновится в мае, сообщили в администрации области. "
    "Первый рейс запланирован на вторую неделю месяца, билеты уже продаются."
)
UK_TEXT = "Рівне і Харків: у Січеславі відбулася зустріч, про яку повідомили агентства «ТАСС» і Укрінформ."
ZH_TEXT = "中国与俄罗斯在黑龙江边境口岸恢复客运渡轮，首班船计划于五月第二周启航。两国官员表示，客流量预计将大幅增长。"


@pytest.mark.parametrize(
    ("text", "written_as", "read_as"),
    [
        (RU_TEXT, "utf-8", "cp1251"),  # "РџР°СЂРѕРјРЅРѕРµ"
        (RU_TEXT, "utf-8", "koi8-u"),  # what feedparser guessed for a UTF-8 feed with one bad byte
        (RU_TEXT, "utf-8", "koi8-r"),
        (RU_TEXT, "utf-8", "cp866"),
        (RU_TEXT, "utf-8", "mac_roman"),
        (RU_TEXT, "cp1251", "cp1252"),  # "Ïàðîìíîå"
        (RU_TEXT, "koi8-r", "latin-1"),
        (ZH_TEXT, "utf-8", "latin-1"),  # "ä¸­å›½"
        (ZH_TEXT, "utf-8", "cp1252"),
        (ZH_TEXT, "utf-8", "cp1251"),
        (ZH_TEXT, "utf-8", "cp1125"),  # what feedparser guessed for a Chinese UTF-8 feed with one bad byte
        (ZH_TEXT, "utf-8", "mac_roman"),
        (ZH_TEXT, "gbk", "latin-1"),  # "ÖÐ¹úÓë"
        (ZH_TEXT, "gbk", "cp1252"),
    ],
    ids=lambda v: {RU_TEXT: "ru", ZH_TEXT: "zh"}.get(v, v),
)
def test_cyrillic_and_cjk_misreadings_are_mojibake(db, text, written_as, read_as):
    garbled = text.encode(written_as).decode(read_as, errors="replace")
    _run(db)
    for i in range(3):
        db.article("gamma", RUN_START + timedelta(minutes=2 + i), title=garbled[:60], text=garbled)
    failed = _failed_gates(db)
    assert list(failed) == ["mojibake"], garbled[:40]
    assert "3 of 33 articles" in failed["mojibake"] and "gamma (3)" in failed["mojibake"]


def test_a_misread_title_alone_is_mojibake(db):
    """The feed's title decoded wrongly while the page text is fine: the title is judged on its own."""
    _run(db)
    garbled = "Паромное сообщение возобновится".encode().decode("cp1251")
    for i in range(3):
        db.article("gamma", RUN_START + timedelta(minutes=2 + i), title=garbled, text=RU_TEXT * 20)
    assert list(_failed_gates(db)) == ["mojibake"]


def test_real_russian_ukrainian_and_chinese_text_is_not_mojibake(db):
    weather = "Жара до +35 °С, 100 м² жилья, № 5, «ТАСС», «РИА Новости», Сёмга и её улов… „цитата“."
    texts = [RU_TEXT, UK_TEXT, ZH_TEXT, weather, "Рівне. Рік. Сік. Ріо. " * 3, "Сёма и Сёмга. ООО «РС»."]
    _run(db)
    for i, text in enumerate(texts * 3):
        db.article("gamma", RUN_START + timedelta(minutes=2 + i), title=text[:60], text=text)
    assert check_ingest(db.con, run_id=RUN, now=NOW, settings=QS).failures == []


BENCH_FEEDS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "feeds"


@pytest.mark.skipif(
    not (BENCH_FEEDS / "manifest.json").exists(), reason=f"no benchmark feeds at {BENCH_FEEDS}"
)
def test_real_feeds_in_many_scripts_are_not_mojibake(db):
    """Titles and summaries of the real benchmark feeds (Russian, Chinese, Greek, Hindi, Latin scripts)."""
    import json

    from newsmon.feeds import parse_feed
    from newsmon.models import FeedConfig

    manifest = json.loads((BENCH_FEEDS / "manifest.json").read_text(encoding="utf-8"))
    _run(db)
    added = 0
    for entry in manifest:
        if not entry["file"].startswith("real/"):
            continue
        body = (BENCH_FEEDS / entry["file"]).read_bytes()
        parsed = parse_feed(body, "https://p.example/feed", {}, FeedConfig("p", "https://p.example/", "P"))
        for item in parsed.items:
            added += 1
            db.article("gamma", RUN_START + timedelta(seconds=added), title=item.title, text=item.summary)
    assert added > 200
    report = check_ingest(db.con, run_id=RUN, now=NOW, settings=QS)
    assert "mojibake" not in {g.name for g in report.failures}


def test_mentions_collapsing_to_zero(db):
    _run(db, countries=())
    failed = _failed_gates(db)
    assert list(failed) == ["mentions"]
    assert "CN: 0 articles, expected about 30" in failed["mentions"]
    assert "watchlist" in failed["mentions"]


def test_one_country_collapsing(db):
    _run(db, countries=("CN", "US"))
    failed = _failed_gates(db)
    assert list(failed) == ["mentions"] and "RU: 0 articles" in failed["mentions"]
    assert "CN:" not in failed["mentions"]


def test_several_failures_are_reported_together(db):
    _run(db, text_source="feed", countries=())
    assert set(_failed_gates(db)) == {"extraction", "mentions"}


def test_since_scope_and_read_only_file(db, tmp_path):
    _run(db, text_source="feed")
    db.con.execute("CHECKPOINT")
    path = db.path
    db.close()
    with pytest.raises(QualityGateFailed, match=r"(?s)articles fetched since .*extraction"):
        check_analyst_db(path, since=RUN_START)
    db.con = duckdb.connect(str(path))  # reopened for the fixture's teardown


def test_thresholds_come_from_settings(tmp_path):
    cfg = tmp_path / "settings.yaml"
    cfg.write_text("quality:\n  max_extraction_failure_rate: 0.9\n  min_articles_for_rates: 5\n")
    qs = QualitySettings.from_settings(Settings.load(cfg))
    assert qs.max_extraction_failure_rate == 0.9 and qs.min_articles_for_rates == 5
    cfg.write_text("quality:\n  max_extraction_failure: 0.9\n")
    with pytest.raises(ConfigError, match="max_extraction_failure"):
        QualitySettings.from_settings(Settings.load(cfg))
    cfg.write_text("quality:\n  max_future_articles: lots\n")
    with pytest.raises(ConfigError, match="max_future_articles"):
        QualitySettings.from_settings(Settings.load(cfg))


def test_scope_is_required(db):
    with pytest.raises(ValueError, match="run_id or since"):
        check_ingest(db.con, now=NOW, settings=QS)
