"""Fixtures for the digest tests: a small analyst database written from scratch, and a real SMTP server.

The corpus is synthetic (sentences written for these tests, no publisher text). The daily tables follow the
contract in docs/internals.md; their baselines are computed here by the documented definitions (trailing means
of `stories` over the days before, z-score against the 28 days before) with a simple spike rule, so the digest
can be tested without the aggregates module.
"""

from __future__ import annotations

import hashlib
import random
import socket
import statistics
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from itertools import combinations
from pathlib import Path

import duckdb
import pyarrow as pa
from aiosmtpd.controller import Controller
from newsmon.config import SQL_DIR
from newsmon.warehouse import _create_analyst_views

DAILY_DDL = """
CREATE TABLE IF NOT EXISTS daily_total (day DATE, articles INTEGER, stories INTEGER, sources INTEGER,
    feeds_ok INTEGER, feeds_failed INTEGER);
CREATE TABLE IF NOT EXISTS daily_country (day DATE, country VARCHAR, articles INTEGER, stories INTEGER,
    sources INTEGER, mentions INTEGER, articles_about INTEGER, share DOUBLE, mean_7d DOUBLE, mean_28d DOUBLE,
    z_28d DOUBLE, ratio_28d DOUBLE, spike BOOLEAN, history_days INTEGER, std_28d DOUBLE);
CREATE TABLE IF NOT EXISTS daily_pair (day DATE, pair VARCHAR, level VARCHAR, articles INTEGER, stories INTEGER,
    sources INTEGER, share DOUBLE, mean_7d DOUBLE, mean_28d DOUBLE, z_28d DOUBLE, ratio_28d DOUBLE, spike BOOLEAN,
    history_days INTEGER, std_28d DOUBLE);
CREATE TABLE IF NOT EXISTS daily_source (day DATE, source VARCHAR, country VARCHAR, articles INTEGER,
    stories INTEGER, state_affiliated BOOLEAN);
"""

NAMES = {"CN": "China", "RU": "Russia", "US": "the United States"}
SOURCES = [
    "Harbour Ledger",
    "Northern Courier",
    "Plains Gazette",
    "Eastern Wire",
    "Coastal Times",
    "Metro Daily",
]
SPIKE_STORIES = 9  # extra China-Russia stories on the spike day
SPIKE_HEADLINE = "Beijing and Moscow sign a pipeline accord <at> the border"  # '<' tests HTML escaping


@dataclass
class Corpus:
    end_day: date
    first_day: date | None
    spike_day: date | None
    spike_titles: list[str] = field(default_factory=list)


def _aid(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _article(
    day: date, n: int, source: str, countries: list[str], title: str, story_id: str | None = None
) -> dict:
    aid = _aid(f"{day}-{n}-{source}-{title}")
    url = f"https://news.example.org/{day.isoformat()}/{aid}"
    lead = f"Officials in {' and '.join(NAMES[c] for c in countries)} met on {day:%d %B} to discuss trade."
    others = [f"Analysts said {NAMES[c]} would watch the outcome closely." for c in countries]
    published = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=6 + n % 12, minutes=n
    )
    pairs = ["-".join(p) for p in combinations(sorted(countries), 2)]
    return {
        "article_id": aid,
        "url": url,
        "canonical_url": url,
        "feed": source.lower().replace(" ", "-"),
        "source": source,
        "title": title,
        "text": "\n".join([lead, *others]),
        "text_source": "page",
        "published_at": published,
        "day": day,
        "fetched_at": published + timedelta(minutes=5),
        "story_id": story_id or aid,
        "duplicate_of": None if story_id in (None, aid) else story_id,
        "countries": sorted(countries),
        "countries_about": sorted(countries)[:1],
        "pairs_sentence": pairs,  # the lead names all of them in one sentence
        "pairs_paragraph": pairs,
        "pairs_article": pairs,
        "_sentences": [lead, *others],
    }


def _mentions(a: dict) -> tuple[list[dict], list[dict]]:
    rows, seq = [], 0
    lead, *others = a["_sentences"]
    for c in a["countries"]:
        rows.append(_mention(a, seq, c, "lead", 0, lead))
        seq += 1
    for i, (c, sentence) in enumerate(zip(a["countries"], others, strict=True), 1):
        rows.append(_mention(a, seq, c, "body", i, sentence))
        seq += 1
    countries = [
        {"article_id": a["article_id"], "country": c, "mentions": 2, "salience": 0.5, "about": i == 0}
        for i, c in enumerate(a["countries"])
    ]
    return rows, countries


def _mention(a: dict, seq: int, country: str, position: str, sentence: int, evidence: str) -> dict:
    surface = NAMES[country].removeprefix("the ")
    start = max(0, evidence.find(surface))
    return {
        "article_id": a["article_id"],
        "seq": seq,
        "country": country,
        "start_char": start,
        "end_char": start + len(surface),
        "surface": surface,
        "alias": surface,
        "kind": "name",
        "position": position,
        "sentence": sentence,
        "paragraph": 0,
        "evidence": evidence,
    }


def _day_articles(day: date, rng: random.Random, spike: bool) -> tuple[list[dict], list[str]]:
    plan = [["CN"]] * rng.randint(3, 5) + [["RU"]] * rng.randint(2, 4) + [["US"]] * rng.randint(4, 6)
    plan += [["CN", "RU"]] * rng.randint(1, 2) + [["CN", "US"]] * rng.randint(1, 3) + [["RU", "US"]] * 1
    out = [
        _article(day, i, SOURCES[i % len(SOURCES)], c, f"Routine report {i} on {'/'.join(c)} for {day}")
        for i, c in enumerate(plan)
    ]
    titles = []
    if spike:
        for k in range(SPIKE_STORIES):
            title = SPIKE_HEADLINE if k == 0 else f"China-Russia energy talks, angle {k}"
            original = _article(day, 100 + k, SOURCES[k % len(SOURCES)], ["CN", "RU"], title)
            out.append(original)
            titles.append(title)
            if k == 0:  # a syndicated copy: same story, another outlet; counts once as a story
                out.append(_article(day, 200, SOURCES[3], ["CN", "RU"], title, story_id=original["story_id"]))
    return out, titles


def _baselines(series: list[tuple[date, int]]) -> dict[date, dict]:
    out = {}
    for i, (d, stories) in enumerate(series):
        before = [s for _, s in series[max(0, i - 28) : i]]
        last7 = before[-7:]
        mean28 = statistics.fmean(before) if before else None
        sd = statistics.stdev(before) if len(before) >= 2 else None
        z = (stories - mean28) / sd if sd else None
        ratio = stories / mean28 if mean28 else None
        out[d] = {
            "history_days": len(before),
            "std_28d": sd,
            "mean_7d": statistics.fmean(last7) if last7 else None,
            "mean_28d": mean28,
            "z_28d": z,
            "ratio_28d": ratio,
            # fixture rule: a week of history, at least 3 stories, 2x the mean and z >= 2
            "spike": bool(len(before) >= 7 and stories >= 3 and ratio and ratio >= 2 and z and z >= 2),
        }
    return out


def compute_daily(con: duckdb.DuckDBPyConnection) -> None:
    """The daily tables from the articles, by the documented definitions (every day of history filled)."""
    con.execute(DAILY_DDL)
    for t in ("daily_total", "daily_country", "daily_pair", "daily_source"):
        con.execute(f"DELETE FROM {t}")
    span = con.execute("SELECT min(day), max(day) FROM articles").fetchone()
    if span[0] is None:
        return
    days = [span[0] + timedelta(days=i) for i in range((span[1] - span[0]).days + 1)]
    totals = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT day, count(*), count(DISTINCT story_id), count(DISTINCT source) FROM articles GROUP BY day"
        ).fetchall()
    }
    for d in days:
        a, s, src = totals.get(d, (0, 0, 0))
        con.execute("INSERT INTO daily_total VALUES (?, ?, ?, ?, 6, 0)", [d, a, s, src])
    keys = [("country", c, "countries", None) for c in ("CN", "RU", "US")]
    keys += [
        ("pair", p, f"pairs_{lvl}", lvl)
        for p in ("CN-RU", "CN-US", "RU-US")
        for lvl in ("sentence", "article")
    ]
    for kind, key, col, level in keys:
        per_day = {
            r[0]: r[1:]
            for r in con.execute(
                f"""SELECT day, count(*), count(DISTINCT story_id), count(DISTINCT source) FROM articles
                    WHERE list_contains({col}, ?) GROUP BY day""",
                [key],
            ).fetchall()
        }
        base = _baselines([(d, per_day.get(d, (0, 0, 0))[1]) for d in days])
        for d in days:
            a, s, src = per_day.get(d, (0, 0, 0))
            share = a / totals[d][0] if d in totals and totals[d][0] else None
            b = base[d]
            tail = [
                b[k]
                for k in ("mean_7d", "mean_28d", "z_28d", "ratio_28d", "spike", "history_days", "std_28d")
            ]
            if kind == "country":
                con.execute(
                    "INSERT INTO daily_country VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [d, key, a, s, src, a * 2, a, share, *tail],
                )
            else:
                con.execute(
                    "INSERT INTO daily_pair VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [d, key, level, a, s, src, share, *tail],
                )


def make_corpus(
    end_day: date, history_days: int = 40, spike: bool = True, empty_last_day: bool = False, seed: int = 7
) -> tuple[Corpus, list[dict]]:
    """`history_days` days of synthetic articles ending on `end_day` (0: none at all)."""
    rng = random.Random(seed)
    corpus = Corpus(end_day=end_day, first_day=None, spike_day=end_day if spike else None)
    articles: list[dict] = []
    for i in range(history_days):
        d = end_day - timedelta(days=history_days - 1 - i)
        if empty_last_day and d == end_day:
            continue
        rows, titles = _day_articles(d, rng, spike=spike and d == end_day)
        articles += rows
        corpus.spike_titles += titles
    if articles:
        corpus.first_day = min(a["day"] for a in articles)
    return corpus, articles


def fill(con: duckdb.DuckDBPyConnection, articles: list[dict], end_day: date) -> None:
    """Insert the articles with their mentions and countries, and a feed_health table, into `con`."""
    loaded_at = datetime.combine(end_day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23, minutes=30)
    _insert(con, [a | {"loaded_at": loaded_at} for a in articles])
    _insert_feed_health(con, end_day)


def make_analyst_db(
    path: Path,
    end_day: date,
    history_days: int = 40,
    spike: bool = True,
    empty_last_day: bool = False,
    seed: int = 7,
) -> Corpus:
    """An analyst database with the corpus and daily tables computed here (no aggregates module needed), and the
    views and macros of docs/analysts.md created as `publish` creates them (daily_series, top_stories ...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    corpus, articles = make_corpus(end_day, history_days, spike, empty_last_day, seed)
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute((SQL_DIR / "schema.sql").read_text(encoding="utf-8"))
        # relations empty, as in a published file before any was found: relation_evidence reads it
        con.execute((SQL_DIR / "schema_relations.sql").read_text(encoding="utf-8"))
        fill(con, articles, end_day)
        compute_daily(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    _create_analyst_views(path)
    return corpus


def _insert(con, articles: list[dict]) -> None:
    if not articles:
        return
    mentions, countries = [], []
    for a in articles:
        m, c = _mentions(a)
        mentions += m
        countries += c
    rows = [{k: v for k, v in a.items() if not k.startswith("_")} for a in articles]
    for table, data in (("articles", rows), ("article_countries", countries)):
        con.register("_rows", pa.Table.from_pylist(data))
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
        con.unregister("_rows")
    # Mentions as the warehouse stores them: spans, and each evidence sentence once (the `mentions` view joins them).
    con.register("_rows", pa.Table.from_pylist(mentions))
    con.execute("INSERT INTO mention_spans BY NAME SELECT * EXCLUDE (evidence) FROM _rows")
    con.execute(
        "INSERT INTO sentences SELECT article_id, sentence, first(evidence ORDER BY seq) FROM _rows "
        "GROUP BY ALL ON CONFLICT DO NOTHING"
    )
    con.unregister("_rows")
    con.execute((SQL_DIR / "views_mentions.sql").read_text(encoding="utf-8"))


def _insert_feed_health(con, end_day: date) -> None:
    now = datetime.combine(end_day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23)
    for i, source in enumerate(SOURCES):
        failing = i == 1
        silent = i == 2
        con.execute(
            """INSERT INTO feed_health (feed, url, source, last_status, last_http_status, last_error,
                   consecutive_failures, last_fetched_at, last_success_at, last_new_item_at, retired, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE, ?)""",
            [
                source.lower().replace(" ", "-"),
                f"https://news.example.org/{i}.xml",
                source,
                "failed" if failing else "ok",
                503 if failing else 200,
                "HTTP 503" if failing else None,
                3 if failing else 0,
                now,
                now - timedelta(days=1) if failing else now,
                now - timedelta(days=4) if silent else now,
                now,
            ],
        )


# ---------------------------------------------------------------------------------------------------- SMTP


class RecordingHandler:
    """aiosmtpd handler that keeps every accepted message; can reject the first `fail_data` DATA commands
    and refuse recipients listed in `refuse` (until they are removed from it)."""

    def __init__(self, fail_data: int = 0, refuse: set[str] | None = None):
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.fail_data = fail_data
        self.refuse = set(refuse or ())
        self.attempts = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "450 4.2.1 mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.attempts += 1
            if self.fail_data > 0:
                self.fail_data -= 1
                return "451 4.3.0 temporary failure, try again later"
            msg = message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    # aiosmtpd's Controller checks readiness by connecting to its own port, so it needs a concrete one.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """A real SMTP server on a free loopback port (aiosmtpd Controller in its own thread)."""

    def __init__(self, handler: RecordingHandler | None = None):
        self.handler = handler or RecordingHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=_free_port())

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    def settings(self) -> dict:
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "from": "newsmon <digest@newsmon.test>",
            "timeout": 10,
        }
