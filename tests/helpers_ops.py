"""Fixture DuckDB files for the operators' tests: the documented tables, filled row by row."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from newsmon.warehouse import apply_schema

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
NORMAL_TEXT = (
    "Officials in Beijing and Moscow met on Tuesday to discuss trade.\n"
    "Analysts in Washington said the talks were mostly about energy prices and grain."
)


class FixtureDB:
    """A warehouse-shaped DuckDB file with helpers that insert plausible rows."""

    def __init__(self, path: Path):
        self.path = path
        self.con = duckdb.connect(str(path))
        self.con.execute("SET TimeZone = 'UTC'")
        apply_schema(self.con)
        self._n = 0

    def close(self) -> None:
        self.con.close()

    def article(
        self,
        feed: str,
        fetched_at: datetime,
        published_at: datetime | None = None,
        text: str = NORMAL_TEXT,
        title: str = "Trade talks continue",
        text_source: str = "page",
        fetch_error: str | None = None,
        countries: tuple[str, ...] = ("CN", "RU", "US"),
        source: str | None = None,
        story_of: str | None = None,
    ) -> str:
        self._n += 1
        url = f"https://{feed}.example/news/{self._n}"
        article_id = hashlib.sha1(url.encode()).hexdigest()[:16]
        published = published_at or fetched_at
        codes = sorted(countries)
        pairs = [f"{a}-{b}" for i, a in enumerate(codes) for b in codes[i + 1 :]]
        pairs += ["-".join(codes)] if len(codes) >= 3 else []
        self.con.execute(
            """INSERT INTO articles (article_id, url, canonical_url, feed, source, title, text, text_source,
                   fetch_error, published_at, published_from, day, fetched_at, story_id, countries, loaded_at,
                   pairs_sentence, pairs_paragraph, pairs_article)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'page', ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                article_id,
                url,
                url,
                feed,
                source or feed.title(),
                title,
                text,
                text_source,
                fetch_error,
                published,
                published.astimezone(UTC).date(),
                fetched_at,
                story_of or article_id,
                sorted(countries),
                fetched_at,
                pairs,
                pairs,
                pairs,
            ],
        )
        for code in countries:
            self.con.execute("INSERT INTO article_countries VALUES (?, ?, 2, 0.5, TRUE)", [article_id, code])
        return article_id

    def feed_health(self, feed: str, **values) -> None:
        row = {
            "feed": feed,
            "url": f"https://{feed}.example/rss",
            "source": feed.title(),
            "last_status": "ok",
            "last_http_status": 200,
            "last_error": None,
            "consecutive_failures": 0,
            "last_fetched_at": NOW,
            "last_success_at": NOW,
            "last_new_item_at": NOW,
            "items_seen": 10,
            "retired": False,
            "updated_at": NOW,
        }
        row.update(values)
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        updates = ", ".join(f"{c} = excluded.{c}" for c in row if c != "feed")
        self.con.execute(
            f"INSERT INTO feed_health ({cols}) VALUES ({marks}) ON CONFLICT (feed) DO UPDATE SET {updates}",
            list(row.values()),
        )

    def fetch_log(self, run_id: str, feed: str, at: datetime, status: str = "ok", new_items: int = 1) -> None:
        self.con.execute(
            "INSERT INTO fetch_log (run_id, feed, status, http_status, error, new_items, pages_ok, pages_failed, "
            'bytes_read, "at") VALUES (?, ?, ?, ?, ?, ?, ?, 0, 1000, ?)',
            [
                run_id,
                feed,
                status,
                200 if status == "ok" else 503,
                None if status == "ok" else "HTTP 503",
                new_items,
                new_items,
                at,
            ],
        )

    def regular_history(
        self, feeds: list[str], days: int = 10, every_hours: float = 2.0, end: datetime = NOW
    ) -> None:
        """Each feed published every few hours for some days up to `end`, all fetched fine."""
        for feed in feeds:
            self.feed_health(feed, last_new_item_at=end, last_success_at=end, last_fetched_at=end)
            t = end - timedelta(days=days)
            while t <= end:
                self.article(feed, t)
                t += timedelta(hours=every_hours)


def fixture_db(path: Path) -> FixtureDB:
    return FixtureDB(path)


def build_ops_corpus(paths, now: datetime = NOW) -> None:
    """A published analyst database: 30 days of three feeds, a China spike on the last day, a failing feed,
    daily tables computed by newsmon.aggregates, and one digest file in the outbox."""
    from email.message import EmailMessage

    from newsmon.aggregates import run_daily
    from newsmon.warehouse import open_warehouse

    mixes = [("CN", "US"), ("RU",), ("US",), ("CN", "RU", "US")]
    with open_warehouse(paths) as con:
        db = FixtureDB.__new__(FixtureDB)
        db.con, db.path, db._n = con, paths.warehouse, 0
        for back in range(30, -1, -1):
            day_start = (now - timedelta(days=back)).replace(hour=6, minute=0)
            for k, feed in enumerate(("wire", "daily", "herald")):
                for j, countries in enumerate(mixes):
                    db.article(
                        feed,
                        day_start + timedelta(hours=j * 3 + k),
                        title=f"{feed} report {back}-{j}: {' and '.join(countries)}",
                        countries=countries,
                    )
        spike_day = now.replace(hour=8, minute=0)
        original = None
        for i in range(12):
            aid = db.article(
                ("wire", "daily", "herald")[i % 3],
                spike_day + timedelta(minutes=i),
                title="Beijing unveils sweeping export controls" if i < 6 else f"China story {i}",
                countries=("CN",),
                story_of=original if i and i < 6 else None,
            )
            original = original or aid
        for feed in ("wire", "daily"):
            db.feed_health(feed, last_new_item_at=now, last_success_at=now)
        db.feed_health(
            "herald",
            last_status="failed",
            consecutive_failures=4,
            last_error="HTTP 503 Service Unavailable",
            last_success_at=now - timedelta(hours=3),
            last_new_item_at=now - timedelta(hours=4),
        )
    run_daily(paths, today=now.date())
    msg = EmailMessage()
    msg["Subject"] = f"China stories up sharply on {now:%d %B}"
    msg["From"] = "newsmon@localhost"
    msg["To"] = "digest@localhost"
    msg.set_content("China: 12 stories against a 28-day mean of 3.0.\nFeed health: 1 feed failing (herald).")
    paths.outbox.mkdir(parents=True, exist_ok=True)
    (paths.outbox / f"digest-{now:%Y-%m-%d}-digest_localhost.eml").write_bytes(bytes(msg))
