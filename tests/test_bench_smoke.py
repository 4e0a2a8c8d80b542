"""The end-to-end benchmark and its synthetic news day, run small so the benchmark code cannot rot."""

from __future__ import annotations

import gc
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import end_to_end  # noqa: E402
from synth import MENTION_RATES, SynthDay, SynthServer  # noqa: E402


def test_synthetic_day_is_deterministic_and_shaped_like_a_news_day():
    day, again = SynthDay(3000, 40), SynthDay(3000, 40)
    assert day.page(2500, "http://h") == again.page(2500, "http://h")
    assert day.feed_xml(7, "http://h") == again.feed_xml(7, "http://h")
    assert SynthDay(3000, 40, seed=1).story(2500) != day.story(2500)

    copies = [i for i, c in enumerate(day.copy_of) if c is not None]
    assert 0.10 < len(copies) / day.articles < 0.20
    for i in copies[:50]:  # a copy re-runs an earlier wire story on another host, minus its last paragraph
        original = day.copy_of[i]
        assert original < i and day.host_of(original) != day.host_of(i)
        assert day.chrome(day.host_of(original)) == "meridian-wire"
        assert day.story(i).paragraphs == day.story(original).paragraphs[:-1]
        assert day.published(original) < day.published(i)

    assert sorted(len(day.feed_items(f)) for f in range(day.feeds)) == [75] * 40
    stories = [day.story(i) for i in range(0, 3000, 3)]
    for code, rate in MENTION_RATES.items():
        share = sum(code in s.countries for s in stories) / len(stories)
        assert abs(share - rate) < 0.06, (code, share)
    assert all(5 <= len(day.story(i).paragraphs) <= 10 for i in range(0, 3000, 97) if day.copy_of[i] is None)

    page = day.page(1234, "http://127.0.0.9:1").decode()
    story = day.story(1234)
    assert story.paragraphs[0].split(". ")[0].replace("'", "&#x27;") in page
    for chrome in ("cookie-banner", "share-bar", 'rel="canonical"', "site-footer"):
        assert chrome in page
    with pytest.raises(ValueError, match="at least one article"):
        SynthDay(0, 3)


def test_server_serves_feeds_pages_robots_and_404s_on_distinct_hosts(tmp_path):
    day = SynthDay(120, 12)
    with SynthServer(day) as server:
        assert len({u.split("//")[1].split(":")[0] for u in server.base_urls}) == day.hosts > 1
        feeds_yaml = server.write_feeds_yaml(tmp_path / "feeds.yaml").read_text()
        assert feeds_yaml.count("url: http://127.0.0.") == 12
        with urllib.request.urlopen(server.feed_url(3), timeout=10) as resp:
            feed = resp.read().decode()
        assert feed.count("<item>") == 10 and day.title(3).replace("'", "&#x27;")[:20] in feed.replace(
            "'", "&#x27;"
        )
        host = server.base_urls[day.host_of(3)]
        with urllib.request.urlopen(host + day.path(3), timeout=10) as resp:
            assert resp.status == 200 and b"article-body" in resp.read()
        with urllib.request.urlopen(host + "/robots.txt", timeout=10) as resp:
            assert b"Disallow: /private/" in resp.read()
        other_host = server.base_urls[(day.host_of(3) + 1) % day.hosts]
        with pytest.raises(urllib.error.HTTPError) as err:  # an article lives on its own host only
            urllib.request.urlopen(other_host + day.path(3), timeout=10)
        assert err.value.code == 404
        # The server counts a request after answering it, so the last count may land just after our read.
        deadline = time.monotonic() + 5
        while server.stats()["requests"] < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.stats()["requests"] == 4


def test_small_day_end_to_end_through_every_stage(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSMON_ALLOW_HOSTS", "127.0.0.0/8")
    monkeypatch.setenv("NEWSMON_HOST_SPACING", "0")
    monkeypatch.delenv("NEWSMON_SMTP_HOST", raising=False)
    day = SynthDay(200, 10)
    result = end_to_end.run_day(day, workers=2, workdir=tmp_path)

    assert list(result["stages"]) == ["fetch", "load", "daily", "digest"]
    fetch = result["stages"]["fetch"]
    assert fetch["report"]["items"] == 200 and result["workers"] == 2
    pages_failed = sum(fetch["report"]["pages_failed"].values())
    not_found = sum(day.not_found(i) for i in range(200))
    assert fetch["report"]["pages_ok"] == 200 - not_found and pages_failed == not_found
    for step in ("feeds", "page_http", "extract", "clean", "tag", "hash", "stage_parquet"):
        assert fetch["steps"][step]["cpu_s"] > 0, step
    load = result["stages"]["load"]["report"]
    copies = sum(c is not None for c in day.copy_of[:200])
    # One outlet (host) that runs the same wire text in two of its feeds has one article, not two: the second
    # URL is rejected as duplicate_text. Only such same-outlet re-runs may be rejected.
    seen, same_outlet_reruns = set(), 0
    for i in range(200):
        key = (day.host_of(i), day.copy_of[i] if day.copy_of[i] is not None else i)
        same_outlet_reruns += key in seen
        seen.add(key)
    assert set(load["rejected"]) <= {"duplicate_text"}
    repeats = load["rejected"].get("duplicate_text", 0)
    assert repeats <= same_outlet_reruns
    assert load["articles_new"] + load["articles_duplicate"] + repeats == 200
    assert (copies - repeats) * 0.8 <= load["articles_duplicate"] <= copies  # syndicated copies found
    assert result["stages"]["digest"]["report"]["delivered"] == 1
    assert list((tmp_path / "outbox").glob("*.eml"))
    for stage in result["stages"].values():
        assert stage["wall_s"] > 0 and 20 < stage["peak_rss_mib"] < 2048
    shards = result["fetch_shards"]
    assert len(shards) == 2 and sum(s["articles"] for s in shards) == 200
    assert all(s["cpu_s"] > 0 and 20 < s["max_rss_mib"] < 2048 for s in shards)
    cpu = sum(st["cpu_s"] for st in result["stages"].values())
    assert result["cpu_s"] >= round(cpu, 1) and result["server"]["pages_rendered_ahead_s"] > 0
    assert cpu / 2 <= result["idle_core_bound_s"] <= result["cpu_s"] + 0.1
    assert result["analyst_tables"]["articles"].startswith(f"{total_articles(tmp_path)} rows, sha256 ")

    con = duckdb.connect(str(tmp_path / "data" / "newsmon.duckdb"), read_only=True)
    try:
        total = con.execute("SELECT articles FROM daily_total WHERE day = ?", [day.day]).fetchone()[0]
        tagged = dict(
            con.execute("SELECT country, count(*) FROM article_countries GROUP BY country").fetchall()
        )
    finally:
        con.close()
    assert total == 200 - repeats
    truth = {c: sum(c in day.story(i).countries for i in range(200)) for c in MENTION_RATES}
    for (
        code,
        n,
    ) in truth.items():  # the tagger finds what the generator wrote (404 pages fall back to a summary)
        assert n - not_found - 2 <= tagged.get(code, 0) <= n + 2, (code, tagged, truth)

    weight = end_to_end.page_weight(day, sample=3)
    if end_to_end.SHARED_PAGES.exists():
        assert weight["real_pages"] == 3 and weight["real_kib"] > weight["synthetic_kib"] > 5
        assert weight["real_ms"] > 0 and weight["synthetic_ms"] > 0
    else:
        assert weight is None
    out = end_to_end.report({1.0: result}, None, None, weight)
    assert {g["goal"].split()[0] for g in out["goals"]} == {"a", "peak"}
    assert out["figures"]["1x_articles"] == 200
    if weight:
        extra = (weight["real_ms"] - weight["synthetic_ms"]) / 1000 * 200 / 2
        assert out["figures"]["projected_wall_s_with_real_page_weight"] == round(result["wall_s"] + extra, 1)
    json.dumps(out)  # what bench/run_all.py reads


def total_articles(tmp_path) -> int:
    con = duckdb.connect(str(tmp_path / "data" / "newsmon.duckdb"), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        con.close()


def test_analyst_digest_is_the_same_for_the_same_tables_and_differs_otherwise(tmp_path):
    """What two runs of one day differ in (the clock, the server's ports in URLs and so in article ids and
    page hashes, story naming) does not count; any other change of an analyst row does."""

    def day(db, port: int, title: str, hours: int) -> dict:
        con = duckdb.connect(str(db))
        con.execute(
            "CREATE TABLE articles (article_id VARCHAR, canonical_url VARCHAR, story_id VARCHAR, "
            "staged_file VARCHAR, loaded_at TIMESTAMP, fetched_at TIMESTAMP, raw_html_hash VARCHAR, "
            "duplicate_of VARCHAR, title VARCHAR)"
        )
        con.execute("CREATE TABLE sentences (article_id VARCHAR, sentence INTEGER, text VARCHAR)")
        for n, path in enumerate(["/b", "/a"]):
            url = f"https://127.0.0.2:{port}{path}"
            aid = f"id{port}{n}"
            con.execute(
                "INSERT INTO articles VALUES (?, ?, ?, 'f', now(), now() + to_hours(?), ?, ?, ?)",
                [aid, url, f"s{port}", hours, f"h{port}", f"id{port}0" if n else None, title],
            )
            con.execute("INSERT INTO sentences VALUES (?, 0, 'Officials said.')", [aid])
        con.close()
        return end_to_end.analyst_fingerprint(db)

    first = day(tmp_path / "a.duckdb", 41000, "T", 0)
    assert day(tmp_path / "b.duckdb", 52000, "T", 3) == first
    assert day(tmp_path / "c.duckdb", 41000, "U", 0)["articles"] != first["articles"]


def test_real_weight_pages_weigh_what_real_news_pages_do_and_clean_to_the_same_story():
    import gzip

    from newsmon.clean import clean_page
    from newsmon.http import _BodyDecoder
    from synth import page_stats

    light, real = SynthDay(300, 12), SynthDay(300, 12, weight="real")
    picked = [i for i in range(0, 300, 37) if not real.not_found(i)]
    heavy = page_stats([real.page(i, "http://h") for i in picked])
    # the 137 Zyte news pages: 195 KiB, 753 elements, 18 levels deep at most, 10 on average (bench/synth.py)
    assert 160 < heavy["kib"] < 230 and 600 < heavy["elements"] < 950
    assert 15 <= heavy["max_depth"] <= 21 and 8.5 <= heavy["mean_depth"] <= 11.5
    assert page_stats([light.page(i, "http://h") for i in picked])["kib"] < 15
    for i in picked[:4]:  # the furniture is furniture: the cleaned story is the light page's
        url = "http://h" + real.path(i)
        assert clean_page(real.page(i, "http://h"), url, "s", None).text == (
            clean_page(light.page(i, "http://h"), url, "s", None).text
        )
        body = real.page_gzip(i, "http://h", 5)  # concatenated members, as the server sends it
        for size in (1, 4096):
            decoder = _BodyDecoder("gzip", 5 * 2**20, url)
            for k in range(0, len(body), size):
                decoder.feed(body[k : k + size])
            assert decoder.finish() == real.page(i, "http://h")
    with SynthServer(real) as server:
        i = picked[1]
        request = urllib.request.Request(
            server.base_urls[real.host_of(i)] + real.path(i), headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert gzip.decompress(resp.read()) == real.page(i, server.base_urls[real.host_of(i)])
    with pytest.raises(ValueError, match="weight"):
        SynthDay(10, 2, weight="heavy")


EXTRACTION_DATA = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "extraction"


@pytest.mark.skipif(not EXTRACTION_DATA.exists(), reason="shared benchmark folder absent")
def test_extraction_speed_measures_both_versions_and_compares_their_text():
    import extraction_speed
    from newsmon import clean

    systems = {
        "baseline": (clean.clean_page, clean.CleanOptions()),
        "current": (clean.clean_page, clean.CleanOptions()),
    }
    try:
        m = extraction_speed.measure("zyte_news", systems, repeat=1, limit=2)
    finally:
        gc.unfreeze()  # measure freezes what is alive, for its own timing
    assert m["pages"] == 2 and m["differ"] == []
    assert m["cpu"]["baseline"] > 0 and m["cpu"]["current"] > 0
    # the timing loop lives there only: bench/extraction.py measures quality
    assert "--speed" not in (BENCH / "extraction.py").read_text()


@pytest.mark.parametrize("weight", ["real", "light"])
def test_pages_rendered_ahead_are_the_pages_rendered_on_request(tmp_path, weight):
    """SynthServer(prerender=N) renders before serving, so the server spends no pipeline core on prose and
    markup during a fetch; the bytes sent must be the ones page_gzip makes on request."""
    import gzip

    day = SynthDay(60, 6, weight=weight)
    with SynthServer(day, prerender=2, render_dir=tmp_path) as server:
        assert server.render_s > 0 and list(tmp_path.glob("synth-pages-*"))
        for i in range(0, 60, 7):
            base = server.base_urls[day.host_of(i)]
            request = urllib.request.Request(base + day.path(i), headers={"Accept-Encoding": "gzip"})
            if day.not_found(i):
                with pytest.raises(urllib.error.HTTPError):
                    urllib.request.urlopen(request, timeout=10)
                continue
            with urllib.request.urlopen(request, timeout=10) as resp:
                body = resp.read()
            assert body == day.page_gzip(i, base, 5) and gzip.decompress(body) == day.page(i, base)
    assert not list(tmp_path.glob("synth-pages-*"))  # the rendered file goes with the server
