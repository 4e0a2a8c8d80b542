"""Loading: articles per second from staged Parquet into the warehouse, against the same rows inserted with
row-by-row `executemany`, and the cost of publishing the analyst database as the data grows.

    .venv/bin/python bench/loading.py
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from newsmon.config import Paths  # noqa: E402
from newsmon.models import Article, Mention  # noqa: E402
from newsmon.warehouse import LoadCounts, _article_rows, load_batch, open_warehouse, publish, stage_batch  # noqa: E402

WORDS = "summit trade minister talks energy pipeline sanctions market grain port border visit treaty envoy".split()


def synthetic_articles(n: int, seed: int, start: datetime) -> list[Article]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        text = "\n".join(" ".join(rng.choice(WORDS) for _ in range(60)) for _ in range(6))
        aid = f"{seed:04x}{i:012x}"
        published = start + timedelta(minutes=rng.randrange(0, 24 * 60))
        mentions = [
            Mention(
                rng.choice("CN RU US".split()),
                k * 10,
                k * 10 + 5,
                "China",
                "name",
                "body",
                k,
                k // 2,
                "China",
                "s",
            )
            for k in range(5)
        ]
        out.append(
            Article(
                article_id=aid,
                url=f"https://site{i % 300}.example/a/{aid}",
                canonical_url=f"https://site{i % 300}.example/a/{aid}",
                guid=aid,
                feed=f"feed{i % 300}",
                source=f"source{i % 150}",
                title=f"Story {i}",
                text=text,
                text_source="page",
                published_at=published,
                published_from="page",
                fetched_at=published,
                simhash=rng.getrandbits(64),
                content_hash=aid,
                mentions=mentions,
                countries={"CN": {"mentions": 2, "salience": 0.4, "about": False}},
                pairs={"sentence": ["CN-RU"], "paragraph": ["CN-RU"], "article": ["CN-RU"]},
            )
        )
    return out


def bench_parquet_load(tmp: Path, articles: list[Article]) -> float:
    paths = Paths(tmp / "pq").ensure()
    batch = stage_batch(paths.staging, "bench-batch", articles)
    started = time.perf_counter()
    with open_warehouse(paths) as con:
        load_batch(con, batch, LoadCounts())
    return time.perf_counter() - started


def bench_executemany(tmp: Path, articles: list[Article]) -> float:
    paths = Paths(tmp / "em").ensure()
    rows, mentions, _ = _article_rows(articles)
    for r in rows:
        r.update(story_id=r["article_id"], duplicate_of=None, dup_reason=None, is_wire=False)
    cols = list(rows[0])
    mcols = [c for c in mentions[0] if c != "evidence"]  # the evidence sentence goes to `sentences`
    started = time.perf_counter()
    with open_warehouse(paths) as con:
        con.execute("BEGIN TRANSACTION")
        con.executemany(
            f"INSERT INTO articles ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [[r[c] for c in cols] for r in rows],
        )
        con.executemany(
            f"INSERT INTO mention_spans ({', '.join(mcols)}) VALUES ({', '.join('?' * len(mcols))})",
            [[m[c] for c in mcols] for m in mentions],
        )
        con.execute("COMMIT")
    return time.perf_counter() - started


def bench_publish_growth(tmp: Path, sizes: list[int], increment: int = 500) -> list[dict]:
    """At each size: a full rebuild, then one ingest's worth of new articles published incrementally."""
    paths = Paths(tmp / "pub").ensure()
    out, loaded = [], 0
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for size in sizes:
        _load(paths, f"grow-{size}", synthetic_articles(size - loaded, size, start))
        started = time.perf_counter()
        publish(paths, full=True)
        full_s = time.perf_counter() - started
        _load(paths, f"inc-{size}", synthetic_articles(increment, size + 1, start + timedelta(days=1)))
        loaded = size + increment
        started = time.perf_counter()
        publish(paths)
        inc_s = time.perf_counter() - started
        out.append(
            {
                "articles": size,
                "full_publish_s": round(full_s, 3),
                "incremental_publish_s": round(inc_s, 3),
                "analyst_db_mb": round(paths.analyst_db.stat().st_size / 1e6, 1),
            }
        )
    return out


def _load(paths: Paths, name: str, articles: list[Article]) -> None:
    batch = stage_batch(paths.staging, name, articles)
    with open_warehouse(paths) as con:
        load_batch(con, batch, LoadCounts())


def main() -> int:
    n_fast, n_slow = 20_000, 2_000  # executemany is measured on fewer rows and compared per article
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        t_pq = bench_parquet_load(tmp, synthetic_articles(n_fast, 1, start))
        t_em = bench_executemany(tmp, synthetic_articles(n_slow, 2, start))
        growth = bench_publish_growth(tmp, [10_000, 20_000, 40_000])
    pq_rate, em_rate = n_fast / t_pq, n_slow / t_em
    figures = {
        "parquet_load_articles_per_s": round(pq_rate),
        "executemany_articles_per_s": round(em_rate),
        "speedup_vs_executemany": round(pq_rate / em_rate, 1),
    }
    for g in growth:
        n = g["articles"]
        figures[f"full_publish_s_at_{n}_articles"] = g["full_publish_s"]
        figures[f"incremental_publish_s_at_{n}_articles_plus_500"] = g["incremental_publish_s"]
        figures[f"analyst_db_mb_at_{n}_articles"] = g["analyst_db_mb"]
    for k, v in figures.items():
        print(f"{k:<40} {v}")
    result = {
        "title": "Loading and publishing",
        "command": ".venv/bin/python bench/loading.py",
        "figures": figures,
        "notes": [
            f"{n_fast} staged articles (5 mentions each) loaded through Parquet with dedupe, against {n_slow} inserted "
            "row by row with executemany (rates per article).",
            "Publishing writes a new analyst database and renames it into place. A full rebuild copies every table "
            "and grows with the data; the incremental publish (what every run does) copies the previous file and "
            "appends one ingest's new articles (500 here), so it grows only with the file copy (figures at 10k, "
            "20k, 40k articles).",
        ],
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "loading.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
