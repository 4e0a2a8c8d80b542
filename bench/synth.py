"""A simulated news day for benchmarks: N articles from F feeds on loopback "hosts" 127.0.0.x.

    day = SynthDay(articles=20_000, feeds=300)
    with SynthServer(day) as server:          # serves from a child process, one HTTP server per host address
        server.write_feeds_yaml(tmp / "feeds.yaml")
        ... NEWSMON_ALLOW_HOSTS=127.0.0.0/8, fetch ...
        server.stats()                        # requests, bytes and CPU seconds the server spent

Pages wear the demo outlets' chrome (cookie banner, navigation, share bar, donation appeal, newsletter box,
related links, comments, footer: `newsmon.demo.render`), around 5-10 paragraphs of generated English news
prose. China, Russia and the United States are mentioned at fixed rates (MENTION_RATES) in several surface
forms (name, demonym, capital, institution); about 15% of the articles are wire copies: a wire story re-run by
another outlet under a new headline with its last paragraph trimmed. About 1% of the pages answer 404 (the
pipeline then falls back to the feed's summary). Everything is a function of (seed, index): two days built with
the same arguments are equal, and pages are rendered only when asked for, so a day of 80,000 articles costs
nothing to set up.

    .venv/bin/python bench/synth.py --articles 2000 --feeds 30      # serve one until Ctrl-C
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import multiprocessing as mp
import os
import random
import resource
import string
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from functools import cache, cached_property, lru_cache
from html import escape as html_escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape as xml_escape

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "include") not in sys.path:
    sys.path.insert(0, str(ROOT / "include"))

from newsmon.demo.corpus import DemoArticle  # noqa: E402
from newsmon.demo.outlets import OUTLETS_BY_KEY, Outlet  # noqa: E402
from newsmon.demo.render import article_html  # noqa: E402

DEFAULT_DAY = date(2026, 3, 2)  # a fixed day: the same articles, dates and aggregates on every run
MENTION_RATES = {"CN": 0.30, "RU": 0.25, "US": 0.45}  # share of stories that name each country
SYNDICATED_SHARE = 0.15  # wire copies among all articles
NOT_FOUND_SHARE = 0.01  # pages that answer 404
FEEDS_PER_HOST = 5
MAX_HOSTS = 250  # 127.0.0.1 .. 127.0.0.250
WIRE_CHROME = "meridian-wire"
PAPER_CHROMES = (
    "harbor-ledger",
    "capital-dispatch",
    "steppe-courier",
    "pacific-sentinel",
    "danube-daily",
    "eastern-lantern",
)

# ------------------------------------------------------------------------------------------------ the prose

SURFACES = {
    "CN": {
        "name": ["China"],
        "demonym": ["Chinese"],
        "capital": ["Beijing"],
        "institution": ["the People's Bank of China"],
    },
    "RU": {"name": ["Russia"], "demonym": ["Russian"], "capital": ["Moscow"], "institution": ["the Kremlin"]},
    "US": {
        "name": ["the United States"],
        "demonym": ["American"],
        "capital": ["Washington"],
        "institution": ["the White House", "the Pentagon"],
    },
}
# Each template names one country through {name}, {demonym}, {capital} or {institution}.
COUNTRY_SENTENCES = (
    "Officials in {capital} said the agreement on {topic} would be reviewed {when}.",
    "{Name} said it would {act} {topic}, according to a statement released {when}.",
    "{Demonym} {group} reacted cautiously to {event}, {source} said.",
    "Trade between {name} and its neighbours in {topic} rose by {pct} percent last year.",
    "A spokesperson for {institution} declined to comment on {topic} {when}.",
    "The decision puts {name} at odds with {group} who had pushed for {topic}.",
    "{Demonym} negotiators are expected to {act} {topic} before the end of the {period}.",
    "Analysts in {capital} expect {topic} to {move} by {pct} percent over the next {period}.",
)
NEUTRAL_SENTENCES = (
    "{Actor} {person} said {when} that {topic} would {move} by {pct} percent over the next {period}.",
    "The {org} in {town} reported that {topic} rose by {pct} percent in {month}, the {ordinal} increase in a row.",
    "{Actor} {person} warned that {problem} could hit {group} in {town} if {topic} is not settled {when}.",
    "Talks on {topic} are expected to resume {when} in {town}, according to {source}.",
    "{Group} in {city} reacted with {emotion} to the decision, which followed {event} in {town}.",
    "The plan, first proposed by {person} in {month}, would {act} {topic} and cost about {money}.",
    "{Source} said the figures for {month} were broadly in line with forecasts of {pct} percent.",
    "Critics such as {person} say {topic} has been neglected for years, and {problem} has grown worse since {month}.",
    "Shares of {company} rose {pct} percent in {city} after {person} announced the {topic} deal.",
    "Local officials in {town} said more than {count} people had been affected by {problem}.",
    "The {org} will publish a fuller assessment of {topic} {when}, {person} told the {town} council.",
    "{Actor} {person} told reporters in {city} that the government was {emotion_adj} about {topic}.",
    "{Company} said it would hire {count} workers in {town} once {topic} improves.",
    "In {town}, {person} said {group} had waited {number} weeks for a decision on {topic}.",
)
WORDS = {
    "when": [
        "on Monday",
        "on Tuesday",
        "this week",
        "next month",
        "later this year",
        "on Friday",
        "by spring",
    ],
    "act": ["review", "expand", "suspend", "renegotiate", "fund", "limit", "restore"],
    "group": ["lawmakers", "farmers", "business leaders", "trade unions", "exporters", "regional governors"],
    "event": [
        "last week's vote",
        "the collapse of the talks",
        "a surprise rate cut",
        "the flooding in the south",
        "the court ruling",
    ],
    "source": [
        "people familiar with the matter",
        "a government spokesperson",
        "the ministry",
        "two officials",
    ],
    "period": ["quarter", "year", "two years", "decade", "season"],
    "move": ["grow", "fall", "recover", "slow", "double"],
    "actor": [
        "The finance minister",
        "The central bank governor",
        "A senior diplomat",
        "The trade commissioner",
        "The mayor",
        "An industry spokesperson",
    ],
    "org": ["statistics office", "central bank", "port authority", "trade council", "energy agency"],
    "month": ["January", "February", "March", "April", "May", "June", "September", "October"],
    "ordinal": ["second", "third", "fourth", "fifth"],
    "problem": ["the labour shortage", "rising costs", "the drought", "supply delays", "the budget gap"],
    "city": ["Berlin", "Nairobi", "Lima", "Jakarta", "Warsaw", "Ottawa", "Madrid", "Cairo", "Hanoi", "Oslo"],
    "emotion": ["relief", "anger", "caution", "scepticism", "surprise"],
    "emotion_adj": ["confident", "concerned", "optimistic", "cautious"],
    "actor_short": ["minister", "regulator", "governor", "council"],
    "event_short": ["vote", "ruling", "storm", "strike", "summit"],
}
TOPIC_PARTS = (
    (
        "grain",
        "port",
        "steel",
        "rail",
        "fishing",
        "battery",
        "satellite",
        "river",
        "gas",
        "vaccine",
        "chip",
        "border",
        "wheat",
        "shipping",
        "mining",
        "climate",
        "housing",
        "pension",
        "tourism",
        "dairy",
        "timber",
        "cotton",
        "water",
        "airport",
        "broadband",
        "fertiliser",
        "coal",
        "solar",
        "wind",
        "tobacco",
    ),
    (
        "exports",
        "fees",
        "tariffs",
        "freight",
        "quotas",
        "supply chains",
        "launches",
        "rights",
        "pipelines",
        "production",
        "controls",
        "crossings",
        "prices",
        "insurance",
        "subsidies",
        "permits",
        "reforms",
        "inspections",
        "contracts",
        "standards",
        "loans",
        "taxes",
    ),
)
SYLLABLES = (
    "ka", "lo", "mer", "dan", "vi", "sha", "tor", "el", "bra", "ni", "zo", "ran", "fen", "gal", "pe", "hol",
    "mi", "dra", "ost", "ven", "lu", "gor", "tam", "ri", "sel", "bo", "kin", "ade", "wen", "ul",
)  # fmt: skip


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


# Slots whose words are made up on the spot: names, places and figures make each story's wording its own, as in
# real news (templated prose alone would look like near-duplicates to the story grouping).
GENERATED = {
    "topic": lambda rng: f"{rng.choice(TOPIC_PARTS[0])} {rng.choice(TOPIC_PARTS[1])}",
    "person": lambda rng: f"{rng.choice(FIRST)} {_name(rng, rng.randint(2, 3))}",
    "town": lambda rng: _name(rng, rng.randint(2, 3)) + rng.choice(("", "", "burg", "ville", "ford", "sk")),
    "company": lambda rng: (
        f"{_name(rng, 2)} {rng.choice(('Freight', 'Mining', 'Systems', 'Energy', 'Foods'))}"
    ),
    "pct": lambda rng: (
        f"{rng.randint(1, 40)}.{rng.randint(0, 9)}" if rng.random() < 0.5 else str(rng.randint(1, 60))
    ),
    "count": lambda rng: f"{rng.randint(2, 900) * 50:,}",
    "number": lambda rng: str(rng.randint(2, 30)),
    "money": lambda rng: f"${rng.randint(2, 990)} {rng.choice(('million', 'billion'))}",
}
# Free sentences: subject + verb phrase + object + modifier, so that stories share few runs of words.
CLAUSE_SUBJECTS = ("{Actor} {person}", "{person}", "The {org} in {town}", "{Company}", "Officials in {town}",
                   "{Group} in {city}", "A report by the {org}", "The council of {town}")  # fmt: skip
CLAUSE_VERBS = (
    "approved", "rejected", "postponed a vote on", "criticised", "welcomed", "is weighing", "questioned",
    "defended", "called for a review of", "announced new", "cut spending on", "raised concerns about",
    "backed", "challenged", "promised to simplify", "published figures on", "set aside {money} for",
    "asked {person} to study", "blamed {problem} for delays in", "praised",
)  # fmt: skip
CLAUSE_MODIFIERS = (
    "", "", "{when}", "after {number} weeks of talks", "despite objections from {group}", "in a statement",
    "ahead of the {month} deadline", "for the {ordinal} time this year", "at a meeting in {city}",
    "according to {source}", "as {problem} deepened", "with support from {Company}", "by {pct} percent",
)  # fmt: skip
HEADLINE_PATTERNS = (
    "{Topic}: {actor_short} to {act} plan after {event_short}",
    "{Topic} talks stall as {group} push back",
    "What the {event_short} means for {topic}",
    "{Group} in {city} wait on {topic} decision",
)
HEADLINE_NAMES = {"CN": "China", "RU": "Russia", "US": "US"}
FIRST = ["Ana", "Tom", "Leila", "Marek", "Sofia", "Ravi", "Jun", "Elena", "Omar", "Claire", "Ivo", "Mina"]
LAST = ["Hart", "Novak", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Reyes", "Weber", "Costa", "Ilves"]
SITE_WORDS = ["Northgate", "Riverside", "Lakeshore", "Highland", "Bayview", "Ironbridge", "Cedar", "Summit"]
SITE_NOUNS = ["Herald", "Courier", "Tribune", "Gazette", "Observer", "Post", "Chronicle", "Wire", "Record"]


_FORMATTER = string.Formatter()


@cache
def _fields(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in _FORMATTER.parse(template) if name)


def _fill(rng: random.Random, template: str, country: str | None = None) -> str:
    """The template with a random word in each slot (only the slots it has: this runs a million times a day)."""
    values = {}
    for name in _fields(template):
        key = name.lower()
        forms = SURFACES[country].get(key) if country is not None else None
        if forms:
            word = rng.choice(forms)
        elif key in GENERATED:
            word = GENERATED[key](rng)
        else:
            word = rng.choice(WORDS[key])
        values[name] = word[0].upper() + word[1:] if name[0].isupper() else word
    return template.format(**values)


class Story(NamedTuple):
    title: str
    paragraphs: list[str]
    countries: tuple[str, ...]  # watched countries named in the story text, in code order
    author: str


def choose_countries(rng: random.Random) -> tuple[str, ...]:
    return tuple(c for c, rate in MENTION_RATES.items() if rng.random() < rate)


def write_headline(rng: random.Random, countries: tuple[str, ...]) -> str:
    if countries and rng.random() < 0.5:  # half the stories about a country name it in the headline
        return f"{HEADLINE_NAMES[countries[0]]} moves to {_fill(rng, '{act} {topic}')}"
    return _fill(rng, rng.choice(HEADLINE_PATTERNS))


def _neutral_sentence(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return _fill(rng, rng.choice(NEUTRAL_SENTENCES))
    modifier = rng.choice(CLAUSE_MODIFIERS)
    template = f"{rng.choice(CLAUSE_SUBJECTS)} {rng.choice(CLAUSE_VERBS)} {{topic}}{' ' + modifier if modifier else ''}."
    return _fill(rng, template)


def write_body(rng: random.Random, countries: tuple[str, ...]) -> tuple[list[str], str]:
    """5-10 paragraphs of 2-4 sentences; each country is named 1-4 times, once in the first two paragraphs."""
    n = rng.randint(5, 10)
    paragraphs = [[_neutral_sentence(rng) for _ in range(rng.randint(2, 4))] for _ in range(n)]
    for country in countries:
        for p in [rng.randrange(2)] + [rng.randrange(n) for _ in range(rng.randint(0, 3))]:
            sentence = _fill(rng, rng.choice(COUNTRY_SENTENCES), country)
            paragraphs[p].insert(rng.randrange(len(paragraphs[p]) + 1), sentence)
    return [" ".join(p) for p in paragraphs], f"{rng.choice(FIRST)} {rng.choice(LAST)}"


# ------------------------------------------------------------------------------------------------ the day


@dataclass(frozen=True)
class FeedInfo:
    index: int
    name: str
    host: int  # host number: served at 127.0.0.<host + 1>
    path: str
    source: str
    country: str
    kind: str
    state_affiliated: bool


class _Neighbour(NamedTuple):  # what render's related/most-read lists read of another article
    outlet: str
    path: str
    title: str
    failure: str | None


@dataclass(frozen=True)
class SynthDay:
    """Which article is where; content is generated per article on demand from (seed, index)."""

    articles: int = 20_000
    feeds: int = 300
    seed: int = 20260302
    day: date = DEFAULT_DAY
    weight: str = (
        "light"  # "real": pages wrapped in generated furniture of real news pages' size (RealChrome)
    )

    def __post_init__(self) -> None:
        if self.articles < 1 or self.feeds < 1:
            raise ValueError(f"need at least one article and one feed, not {self.articles} and {self.feeds}")
        if self.weight not in ("light", "real"):
            raise ValueError(f"weight is 'light' or 'real', not {self.weight!r}")

    # --- layout -------------------------------------------------------------------------------------------

    @cached_property
    def hosts(self) -> int:
        return max(1, min(MAX_HOSTS, round(self.feeds / FEEDS_PER_HOST)))

    def host_of_feed(self, feed: int) -> int:
        return feed * self.hosts // self.feeds

    def feed_of(self, i: int) -> int:
        return i % self.feeds

    def host_of(self, i: int) -> int:
        return self.host_of_feed(self.feed_of(i))

    def chrome(self, host: int) -> str:
        """Every tenth host is a wire service; the others wear the demo newspapers' chrome in turn."""
        return WIRE_CHROME if host % 10 == 0 else PAPER_CHROMES[host % len(PAPER_CHROMES)]

    @cached_property
    def outlets(self) -> list[Outlet]:
        """One outlet per host: a demo outlet's chrome under its own name."""
        rng = random.Random(self.seed)
        out = []
        for h in range(self.hosts):
            base = OUTLETS_BY_KEY[self.chrome(h)]
            name = f"{rng.choice(SITE_WORDS)} {rng.choice(SITE_NOUNS)} {h}"
            out.append(dataclasses.replace(base, name=name, domain=f"host{h}.synth.example"))
        return out

    @cached_property
    def feed_list(self) -> list[FeedInfo]:
        rows = []
        for f in range(self.feeds):
            h = self.host_of_feed(f)
            outlet = self.outlets[h]
            rows.append(
                FeedInfo(
                    f,
                    f"synth-{f:05d}",
                    h,
                    f"/feeds/{f}.xml",
                    outlet.name,
                    outlet.country,
                    outlet.kind,
                    outlet.state_affiliated,
                )
            )
        return rows

    @cached_property
    def copy_of(self) -> list[int | None]:
        """For each article, the earlier wire article it re-runs, or None for an original story."""
        rng = random.Random(self.seed + 1)
        wire_hosts = sum(1 for h in range(self.hosts) if self.chrome(h) == WIRE_CHROME)
        paper_share = 1 - wire_hosts / self.hosts
        p_copy = min(1.0, SYNDICATED_SHARE / paper_share) if paper_share > 0 else 0.0
        recent_wire: list[int] = []
        out: list[int | None] = []
        for i in range(self.articles):
            if self.chrome(self.host_of(i)) == WIRE_CHROME:
                recent_wire.append(i)
                del recent_wire[:-200]
                out.append(None)
            elif recent_wire and rng.random() < p_copy:
                out.append(rng.choice(recent_wire))
            else:
                out.append(None)
        return out

    def published(self, i: int) -> datetime:
        start = datetime(self.day.year, self.day.month, self.day.day, tzinfo=UTC)
        return start + timedelta(seconds=int(86_399 * i / self.articles))

    def path(self, i: int) -> str:
        return f"/news/{self.day:%Y/%m/%d}/{i:06d}.html"

    def not_found(self, i: int) -> bool:
        return random.Random(self.seed * 7 + i).random() < NOT_FOUND_SHARE

    def feed_items(self, feed: int) -> list[int]:
        """The articles a feed lists, newest first."""
        return list(range(feed, self.articles, self.feeds))[::-1]

    # --- content ------------------------------------------------------------------------------------------

    def _rng(self, stream: int, i: int) -> random.Random:
        return random.Random((self.seed * 8 + stream) * 10_000_019 + i)

    def countries(self, i: int) -> tuple[str, ...]:
        """The countries the story was written about (a wire copy: its original's)."""
        original = self.copy_of[i]
        return choose_countries(self._rng(0, i if original is None else original))

    def title(self, i: int) -> str:
        return _cached_title(
            self, i
        )  # each title is shown on its page, in its feed and in ten neighbours' lists

    def _make_title(self, i: int) -> str:
        original = self.copy_of[i]
        if original is None:
            return write_headline(self._rng(1, i), self.countries(i))
        suffix = self._rng(3, i).choice(["what we know", "the latest", "explained", "live updates"])
        return f"{self.title(original).split(':')[0]}: {suffix}"

    def story(self, i: int) -> Story:
        original = self.copy_of[i]
        countries = self.countries(i)
        paragraphs, author = write_body(self._rng(2, i if original is None else original), countries)
        if original is not None:  # the re-run drops the wire story's last paragraph
            paragraphs = paragraphs[:-1]
            text = "\n".join(paragraphs)
            countries = tuple(
                c for c in countries if any(f in text for fs in SURFACES[c].values() for f in fs)
            )
        return Story(self.title(i), paragraphs, countries, author)

    def summary(self, story: Story) -> str:
        return story.paragraphs[0]

    def demo_article(self, i: int, story: Story | None = None) -> DemoArticle:
        story = story or self.story(i)
        return DemoArticle(
            outlet=self.chrome(self.host_of(i)),
            slug=f"{i:06d}",
            path=self.path(i),
            title=story.title,
            paragraphs=story.paragraphs,
            published=self.published(i),
            author=story.author,
            summary=self.summary(story),
            language="en",
            topic="synthetic",
            countries=story.countries,
            feed=self.feed_list[self.feed_of(i)].name,
            is_wire_copy_of=self.path(self.copy_of[i]) if self.copy_of[i] is not None else None,
        )

    def page(self, i: int, base_url: str) -> bytes:
        """The article page as its host sends it: the outlet's chrome around the story (at real weight, inside
        the host's generated site furniture too)."""
        return "".join(text for text, _ in self._pieces(i, base_url)).encode("utf-8")

    def page_gzip(self, i: int, base_url: str, level: int) -> bytes:
        """page() gzip-compressed. At real weight as concatenated gzip members (RFC 1952; clients decode them as
        one body), the host's static furniture compressed once: the server would otherwise spend ~2.5 ms of the
        machine's 2 cores per page on compressing what a real site serves from elsewhere."""
        return b"".join(
            _gzip_static(text, level) if static else gzip.compress(text.encode("utf-8"), level, mtime=0)
            for text, static in self._pieces(i, base_url)
        )

    def real_chrome(self, host: int) -> RealChrome:
        return _real_chrome(self.seed, host, self.outlets[host].name)

    def _pieces(self, i: int, base_url: str) -> list[tuple[str, bool]]:
        article = self.demo_article(i)
        host = self.host_of(i)
        neighbours = [
            _Neighbour(article.outlet, self.path(j), self.title(j), None)
            for j in range(i - self.feeds * 9, i, self.feeds)
            if j >= 0 and self.host_of(j) == host
        ]
        corpus = _PageCorpus({article.outlet: self.outlets[host]}, neighbours)
        light = article_html(corpus, article, base_url)
        return self.real_chrome(host).pieces(light) if self.weight == "real" else [(light, False)]

    def feed_xml(self, feed: int, base_url: str) -> bytes:
        info = self.feed_list[feed]
        outlet = self.outlets[info.host]
        x = xml_escape
        items = []
        for i in self.feed_items(feed):
            story = self.story(i)
            link = base_url + self.path(i)
            items.append(
                f"<item><title>{x(story.title)}</title><link>{x(link)}</link>"
                f'<guid isPermaLink="true">{x(link)}</guid><description>{x(self.summary(story))}</description>'
                f"<pubDate>{format_datetime(self.published(i), usegmt=True)}</pubDate>"
                f"<dc:creator>{x(story.author)}</dc:creator></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>{x(outlet.name)}: feed {feed}</title><link>{x(base_url)}/</link>"
            f"<description>{x(outlet.tagline)}</description><language>en</language>"
            + "".join(items)
            + "</channel></rss>\n"
        ).encode("utf-8")

    def expected_country_articles(self) -> dict[str, int]:
        """How many articles name each country in their text (the generator's ground truth; pages only)."""
        counts = dict.fromkeys(MENTION_RATES, 0)
        for i in range(self.articles):
            for c in self.story(i).countries:
                counts[c] += 1
        return counts


@lru_cache(maxsize=1 << 16)
def _cached_title(day: SynthDay, i: int) -> str:
    return day._make_title(i)


@lru_cache(maxsize=MAX_HOSTS * 4)
def _real_chrome(seed: int, host: int, name: str) -> RealChrome:
    return RealChrome.build(seed, host, name)


@lru_cache(maxsize=MAX_HOSTS * 8)
def _gzip_static(text: str, level: int) -> bytes:
    return gzip.compress(text.encode("utf-8"), level, mtime=0)


@dataclass
class _PageCorpus:  # the two attributes render.article_html reads from a corpus
    outlets: dict[str, Outlet]
    articles: list[_Neighbour]


ROBOTS = b"User-agent: *\nDisallow: /private/\nAllow: /\n"


# ------------------------------------------------------------------------------------------------ real page weight

# What the 137 English news pages of ../shared/benchmarks/extraction/zyte_aeb weigh (means; `page_stats` measures
# them and the generated pages alike, bench/end_to_end.py --weight real reports both): 195 KiB of HTML, 753
# elements, markup 18 levels deep at most and 10 on average, 58 KiB of inline script, 55 KiB of inline style,
# 148 links. The synthetic pages' own chrome (newsmon.demo.render) is 9 KiB and 130 elements; real-weight pages
# wrap it in generated site furniture up to those figures. Nothing of the publishers' markup is copied: the
# furniture is made of syllables, numbers and common class names.
REAL_CSS_BYTES = 57_000
REAL_SCRIPT_BYTES = 60_000
MENU_SECTIONS = 8  # mega-menu: sections x columns x links
MENU_COLUMNS = 2
MENU_LINKS = 3
TEASERS = 10
FOOTER_COLUMNS = 5
FOOTER_LINKS = 6
WRAPPERS = ("site-wrapper", "page-shell")
SPRITE_ICONS = 30


def _word(rng: random.Random) -> str:
    return _name(rng, rng.randint(2, 3)).lower()


def _words(rng: random.Random, n: int) -> str:
    return " ".join(_word(rng) for _ in range(n)).capitalize()


def _track(rng: random.Random, event: str) -> str:
    """A link's analytics payload, as real pages carry one on most links."""
    return (
        f'data-analytics=\'{{"event":"{event}","label":"{_word(rng)}-{_word(rng)}",'
        f'"position":{rng.randint(1, 60)},"module":"{_word(rng)}"}}\''
    )


def _utility(rng: random.Random) -> str:
    """Utility classes of a CSS framework: most of a real page's class attribute bytes."""
    return " ".join(
        rng.choice(
            (
                "flex",
                "grid",
                "block",
                "hidden md:block",
                "items-center",
                "justify-between",
                "gap-2",
                "px-4",
                "py-2",
                "text-sm",
                "font-medium",
                "leading-tight",
                "hover:underline",
                "rounded",
                "shadow-sm",
                "w-full",
                "max-w-screen-xl",
                "mx-auto",
                "relative",
                "z-10",
            )
        )
        for _ in range(5)
    )


def _sprite(rng: random.Random) -> str:
    """The icon sprite real pages inline at the top of the body, hidden."""
    symbols = "".join(
        f'<symbol id="i-{_word(rng)}" viewBox="0 0 24 24"><path d="'
        + " ".join(
            f"M{rng.uniform(0, 24):.2f} {rng.uniform(0, 24):.2f}C{rng.uniform(0, 24):.2f} {rng.uniform(0, 24):.2f}"
            f" {rng.uniform(0, 24):.2f} {rng.uniform(0, 24):.2f} {rng.uniform(0, 24):.2f} {rng.uniform(0, 24):.2f}"
            for _ in range(14)
        )
        + '"/></symbol>'
        for _ in range(SPRITE_ICONS)
    )
    return f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none">{symbols}</svg>'


def _ad_slot(rng: random.Random, place: str) -> str:
    """An ad slot as ad tags leave it: nested containers, a data payload, an empty frame holder."""
    unit = f"/{rng.randint(1000, 9999)}/{_word(rng)}/{place}"
    return (
        f'<div class="ad-slot ad-slot--{place}" data-ad-unit="{unit}" data-sizes="[[728,90],[970,250]]">'
        f'<div class="ad-slot__label">Advertisement</div><div class="ad-slot__inner" id="gpt-{place}-{_word(rng)}">'
        f'<div id="google_ads_iframe_{unit}_container"><div class="ad-frame"></div></div></div></div>'
    )


def _icon(rng: random.Random, name: str) -> str:
    d = " ".join(
        f"M{rng.randint(0, 24)} {rng.randint(0, 24)}L{rng.randint(0, 24)} {rng.randint(0, 24)}"
        for _ in range(6)
    )
    return (
        f'<svg class="icon icon-{name}" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
        f'<g fill="none" stroke="currentColor"><path d="{d}"/><path d="{d[::-1].strip()}"/></g></svg>'
    )


def _css(rng: random.Random, size: int) -> str:
    rules, total = [], 0
    while total < size:
        sel = f".{_word(rng)}-{_word(rng)}{rng.randint(1, 99)}"
        if rng.random() < 0.4:
            sel += f" .{_word(rng)}__{_word(rng)}"
        body = ";".join(
            f"{prop}:{rng.randint(0, 48)}px"
            for prop in rng.sample(
                ("margin", "padding", "top", "left", "width", "max-width", "gap", "line-height"), 3
            )
        )
        rule = f"{sel}{{{body};color:#{rng.randrange(16**6):06x}}}\n"
        if rng.random() < 0.08:
            rule = f"@media (min-width:{rng.choice((480, 768, 1024, 1280))}px){{{rule}}}\n"
        rules.append(rule)
        total += len(rule)
    return "".join(rules)


def _script(rng: random.Random, size: int) -> str:
    """Inline script as real pages carry it: a state blob of the site's navigation and some bundled functions."""
    parts, total = [], 0
    while total < size:
        if rng.random() < 0.5:
            items = ",".join(
                f'{{"id":{rng.randint(1, 99999)},"label":"{_word(rng)}","href":"/{_word(rng)}/{_word(rng)}","w":{rng.random():.4f}}}'
                for _ in range(8)
            )
            part = f"window.__state_{_word(rng)}=JSON.parse('{{\"items\":[{items}]}}');\n"
        else:
            a, b = _word(rng), _word(rng)
            part = (
                f"function {a}_{rng.randint(1, 999)}(e,t){{var n=e&&e.{b}||{rng.randint(1, 999)};"
                f"for(var r=0;r<t.length;r++){{n+=t[r].{a}*{rng.randint(2, 97)}}}return n%{rng.randint(3, 999)}}}\n"
            )
        parts.append(part)
        total += len(part)
    return "".join(parts)


@dataclass(frozen=True)
class RealChrome:
    """One host's generated site furniture of real news pages' size and depth: what goes before </head>, right
    after <body> and right before </body>. The same on every page of the host, as a site's chrome is."""

    head: str
    body_open: str
    body_close: str

    @classmethod
    def build(cls, seed: int, host: int, name: str) -> RealChrome:
        rng = random.Random(seed * 31 + host)
        prefix = _word(rng)
        head = [
            *(
                f'<link rel="preload" href="/static/{_word(rng)}.{rng.randint(1000, 9999)}.js" as="script">'
                for _ in range(8)
            ),
            *(
                f'<link rel="stylesheet" href="/static/{_word(rng)}.{rng.randint(1000, 9999)}.css">'
                for _ in range(4)
            ),
            *(f'<meta name="{prefix}:{_word(rng)}" content="{_word(rng)}">' for _ in range(10)),
            f'<script type="application/ld+json">{{"@context":"https://schema.org","@type":"Organization","name":"{name}"}}</script>',
            f"<style>{_css(rng, REAL_CSS_BYTES // 2)}</style>",
            f"<style>{_css(rng, REAL_CSS_BYTES - REAL_CSS_BYTES // 2)}</style>",
            f"<script>{_script(rng, REAL_SCRIPT_BYTES * 2 // 3)}</script>",
            '<script async src="/static/analytics.js"></script>',
        ]
        menu = []
        for s in range(MENU_SECTIONS):
            columns = "".join(
                f'<div class="mega-menu__column"><h4 class="mega-menu__heading">{_words(rng, 1)}</h4><ul class="mega-menu__list">'
                + "".join(
                    f'<li class="mega-menu__item {_utility(rng)}"><a class="mega-menu__link {_utility(rng)}" href="https://www.{prefix}.example/{_word(rng)}/{_word(rng)}?ref=nav" {_track(rng, "nav_click")}><span class="mega-menu__label"><svg class="icon"><use href="#i-arrow"></use></svg>{_words(rng, 2)}</span></a></li>'
                    for _ in range(MENU_LINKS)
                )
                + "</ul></div>"
                for _ in range(MENU_COLUMNS)
            )
            menu.append(
                f'<li class="site-nav__item {_utility(rng)}" data-section="{s}"><a class="site-nav__link" href="/{_word(rng)}" {_track(rng, "nav_click")}>{_words(rng, 1)}</a>'
                f'<div class="mega-menu {_utility(rng)}" role="region">{columns}</div></li>'
            )
        icons = "".join(
            f'<li class="header-social__item"><a href="https://{_word(rng)}.example/{prefix}">{_icon(rng, _word(rng))}</a></li>'
            for _ in range(5)
        )
        body_open = (
            _sprite(rng)
            + "".join(f'<div class="{w} {_utility(rng)}">' for w in WRAPPERS)
            + _ad_slot(rng, "top")
            + f'<header class="site-masthead"><div class="site-masthead__inner"><a class="site-logo" href="/">{_icon(rng, "logo")}'
            f'<span class="visually-hidden">{html_escape(name)}</span></a>'
            f'<nav class="site-nav" aria-label="Sections"><ul class="site-nav__list">{"".join(menu)}</ul></nav>'
            f'<ul class="header-social">{icons}</ul></div></header>'
        )
        teasers = "".join(
            f'<div class="teaser-card {_utility(rng)}"><a class="teaser-card__media" href="https://www.{prefix}.example/{_word(rng)}/{rng.randint(10000, 99999)}" {_track(rng, "teaser_click")}>'
            f'<picture><source srcset="{", ".join(f"/img/{_word(rng)}-{w}.webp {w}w" for w in (320, 640, 960, 1280, 1920))}" type="image/webp">'
            f'<img src="/img/{_word(rng)}.jpg" alt="" loading="lazy" width="320" height="180"></picture></a>'
            f'<div class="teaser-card__body"><span class="teaser-card__kicker"><a href="/{_word(rng)}">{_words(rng, 1)}</a></span>'
            f'<h3 class="teaser-card__title {_utility(rng)}"><a href="https://www.{prefix}.example/{_word(rng)}/{rng.randint(10000, 99999)}" {_track(rng, "teaser_click")}>{_words(rng, 6)}</a></h3>'
            f'<div class="teaser-card__meta {_utility(rng)}"><span class="teaser-card__label">{_words(rng, 1)}</span>'
            f'<time class="teaser-card__time">{rng.randint(1, 23)} hours ago</time>'
            f'<span class="teaser-card__read"><svg class="icon"><use href="#i-clock"></use></svg>{rng.randint(2, 9)} min</span>'
            "</div></div></div>"
            for _ in range(TEASERS)
        )
        footer_cols = "".join(
            f'<div class="site-footer__column"><h4>{_words(rng, 1)}</h4><ul>'
            + "".join(
                f'<li class="{_utility(rng)}"><a href="https://www.{prefix}.example/{_word(rng)}/{_word(rng)}"'
                f" {_track(rng, 'footer_click')}>{_words(rng, 2)}</a></li>"
                for _ in range(FOOTER_LINKS)
            )
            + "</ul></div>"
            for _ in range(FOOTER_COLUMNS)
        )
        body_close = (
            f'<aside class="more-stories"><h2 class="more-stories__heading">{_words(rng, 2)}</h2>'
            f'<div class="more-stories__grid">{teasers}</div></aside>'
            + _ad_slot(rng, "bottom")
            + f'<footer class="site-footer"><div class="site-footer__inner">{footer_cols}'
            f'<p class="site-footer__legal">&copy; {html_escape(name)}</p></div></footer>'
            + "</div>" * len(WRAPPERS)
            + f"<script>{_script(rng, REAL_SCRIPT_BYTES - REAL_SCRIPT_BYTES * 2 // 3)}</script>"
        )
        return cls("\n".join(head) + "\n", body_open, body_close)

    def static(self) -> tuple[str, str, str]:
        """The furniture in the order pieces() puts it in the page."""
        return (self.head, self.body_open, self.body_close)

    def pieces(self, page: str) -> list[tuple[str, bool]]:
        """The light page with the furniture put in: (text, is this host's static furniture) in page order."""
        head_end = page.index("</head>")
        body_start = page.index(">", page.index("<body")) + 1
        body_end = page.rindex("</body>")
        return [
            (page[:head_end], False),
            (self.head, True),
            (page[head_end:body_start], False),
            (self.body_open, True),
            (page[body_start:body_end], False),
            (self.body_close, True),
            (page[body_end:], False),
        ]


def page_stats(pages: list[bytes]) -> dict[str, float]:
    """Mean weight and shape of pages: KiB, elements, deepest and mean element depth, KiB of inline script and
    style, links."""
    import lxml.html

    rows = []
    for body in pages:
        tree = lxml.html.fromstring(body)
        depths = []
        stack = [(tree, 1)]
        while stack:
            el, d = stack.pop()
            depths.append(d)
            stack.extend((c, d + 1) for c in el if isinstance(c.tag, str))
        rows.append(
            (
                len(body) / 1024,
                len(depths),
                max(depths),
                sum(depths) / len(depths),
                sum(len(s.text or "") for s in tree.iter("script")) / 1024,
                sum(len(s.text or "") for s in tree.iter("style")) / 1024,
                sum(1 for _ in tree.iter("a")),
            )
        )
    names = ("kib", "elements", "max_depth", "mean_depth", "script_kib", "style_kib", "links")
    return {k: round(sum(r[n] for r in rows) / len(rows), 1) for n, k in enumerate(names)}


# ------------------------------------------------------------------------------------------------ serving


class _Farm:
    """Runs in the server process: one ThreadingHTTPServer per host address, counters for stats()."""

    def __init__(self, day: SynthDay, gzip_level: int = 5) -> None:
        self.day = day
        self.gzip_level = gzip_level
        self.lock = threading.Lock()
        self.requests = 0
        self.bytes_sent = 0
        self.rendered: _Rendered | None = None  # pages rendered ahead (SynthServer(prerender=...))
        self.servers: list[ThreadingHTTPServer] = []
        self.base_urls: list[str] = []
        for h in range(day.hosts):
            server = ThreadingHTTPServer((f"127.0.0.{h + 1}", 0), self._handler(h))
            server.daemon_threads = True
            self.servers.append(server)
            self.base_urls.append(f"http://127.0.0.{h + 1}:{server.server_address[1]}")

    def serve(self) -> None:
        for server in self.servers:
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()

    def gzip_page(self, i: int, base: str) -> bytes:
        if self.rendered is not None:
            return self.rendered.page(i)
        return self.day.page_gzip(i, base, self.gzip_level)

    def respond(self, host: int, path: str) -> tuple[int, bytes | int, str]:
        base = self.base_urls[host]
        if path == "/robots.txt":
            return 200, ROBOTS, "text/plain; charset=utf-8"
        if path.startswith("/feeds/") and path.endswith(".xml"):
            try:
                feed = int(path[len("/feeds/") : -len(".xml")])
            except ValueError:
                feed = -1
            if 0 <= feed < self.day.feeds and self.day.host_of_feed(feed) == host:
                return 200, self.day.feed_xml(feed, base), "application/rss+xml; charset=utf-8"
        prefix = f"/news/{self.day.day:%Y/%m/%d}/"
        if path.startswith(prefix) and path.endswith(".html"):
            try:
                i = int(path[len(prefix) : -len(".html")])
            except ValueError:
                i = -1
            if 0 <= i < self.day.articles and self.day.host_of(i) == host and not self.day.not_found(i):
                return (
                    200,
                    i,
                    "text/html; charset=utf-8",
                )  # the article's index: do_GET renders or compresses it
        return 404, b"<html><body><h1>Not found</h1></body></html>", "text/html; charset=utf-8"

    def _handler(farm, host: int):  # noqa: N805 (the farm, seen from the handler class)
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = (
                True  # headers and body in two writes: no 40 ms stall per keep-alive request
            )

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                status, body, ctype = farm.respond(host, self.path.split("?", 1)[0])
                gz = status == 200 and "gzip" in (self.headers.get("Accept-Encoding") or "")
                if isinstance(body, int):  # an article page
                    base = farm.base_urls[host]
                    body = farm.gzip_page(body, base) if gz else farm.day.page(body, base)
                elif gz:
                    body = gzip.compress(body, farm.gzip_level, mtime=0)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if gz:
                    self.send_header("Content-Encoding", "gzip")
                self.end_headers()
                self.wfile.write(body)
                with farm.lock:
                    farm.requests += 1
                    farm.bytes_sent += len(body)

        return Handler

    def stats(self) -> dict:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with self.lock:
            return {
                "requests": self.requests,
                "bytes_sent": self.bytes_sent,
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                "max_rss_mib": round(usage.ru_maxrss / 1024, 1),
            }


def _serve(day: SynthDay, conn) -> None:
    farm = _Farm(day)
    conn.send(farm.base_urls)
    while True:
        command = conn.recv()
        if isinstance(command, tuple) and command[0] == "rendered":  # before serving: pages rendered ahead
            farm.rendered = _Rendered(day, command[1], command[2], farm.gzip_level)
            conn.send("ok")
        elif command == "serve":
            farm.serve()
            conn.send("ok")
        elif command == "stats":
            conn.send(farm.stats())
        else:  # "stop"
            for server in farm.servers:
                server.shutdown()
                server.server_close()
            conn.send("bye")
            return


class _Rendered:
    """Pages rendered ahead: their per-page gzip members in one mapped file (the page cache holds them, not the
    server's heap); a real-weight page's static furniture members are compressed once per host, as page_gzip
    does, and put back in between."""

    def __init__(self, day: SynthDay, path: str, pieces: list[tuple[int, ...]], level: int) -> None:
        import mmap

        self.day, self.level, self.pieces = day, level, pieces  # page i: the lengths of its own members
        self.starts = [0]
        for lengths in pieces:
            self.starts.append(self.starts[-1] + sum(lengths))
        with open(path, "rb") as f:
            self.data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if self.starts[-1] else b""

    def page(self, i: int) -> bytes:
        at, own = self.starts[i], iter(self.pieces[i])
        static = iter(self.day.real_chrome(self.day.host_of(i)).static() if self.day.weight == "real" else ())
        out = []
        for n in range(len(self.pieces[i])):  # own members and static ones alternate, own first and last
            length = next(own)
            out.append(self.data[at : at + length])
            at += length
            if n < len(self.pieces[i]) - 1:
                out.append(_gzip_static(next(static), self.level))
        return b"".join(out)


def _render_range(
    day: SynthDay, base_urls: list[str], start: int, stop: int, level: int
) -> list[tuple[tuple[int, ...], bytes]]:
    """Pages start..stop-1: the lengths of their own (not static) gzip members and the members, concatenated."""
    out = []
    for i in range(start, stop):
        if day.not_found(i):
            out.append(((), b""))
            continue
        members = [
            gzip.compress(text.encode("utf-8"), level, mtime=0)
            for text, static in day._pieces(i, base_urls[day.host_of(i)])
            if not static
        ]
        out.append((tuple(map(len, members)), b"".join(members)))
    return out


def render_pages(
    day: SynthDay, base_urls: list[str], workers: int, folder: str | os.PathLike | None = None, level: int = 5
) -> tuple[Path, list[tuple[int, ...]]]:
    """Every article page's own gzip members, as page_gzip makes them, rendered in `workers` processes into one
    file; returns the file and each page's member lengths (none for a page that answers 404)."""
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    fd, name = tempfile.mkstemp(prefix="synth-pages-", suffix=".bin", dir=folder)
    pieces: list[tuple[int, ...]] = []
    chunk = 500
    context = mp.get_context("spawn")
    with os.fdopen(fd, "wb") as out, ProcessPoolExecutor(max(1, workers), mp_context=context) as pool:
        futures = [
            pool.submit(_render_range, day, base_urls, start, min(start + chunk, day.articles), level)
            for start in range(0, day.articles, chunk)
        ]
        for future in futures:  # in order: the file holds page 0, 1, 2, ...
            for lengths, body in future.result():
                out.write(body)
                pieces.append(lengths)
    return Path(name), pieces


class SynthServer:
    """A SynthDay served from a child process (its CPU must not share the pipeline's interpreter lock)."""

    def __init__(
        self, day: SynthDay, prerender: int = 0, render_dir: str | os.PathLike | None = None
    ) -> None:
        """prerender=N: before serving, render and compress every article page in N processes into a file in
        render_dir (default: the temp folder) that the server then only reads, so that the server's CPU during
        a fetch is sending bytes, not generating prose and markup (a real site's CPU is not on our machine).
        The pages are the same bytes either way."""
        self.day = day
        self.prerender = prerender
        self.render_dir = render_dir
        self.render_s = 0.0  # wall seconds the rendering ahead took
        self.base_urls: list[str] = []
        self._conn = None
        self._proc = None
        self._rendered_file: Path | None = None

    def start(self) -> SynthServer:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(self.day, child), daemon=True, name="synth-server")
        self._proc.start()
        if not self._conn.poll(60):
            self.stop()
            raise RuntimeError("the synthetic news server did not start within 60 s")
        self.base_urls = self._conn.recv()
        try:
            if self.prerender:
                started = time.perf_counter()
                self._rendered_file, pieces = render_pages(
                    self.day, self.base_urls, self.prerender, self.render_dir
                )
                self._command(("rendered", str(self._rendered_file), pieces))
                self.render_s = time.perf_counter() - started
            self._command("serve")
        except BaseException:
            self.stop()
            raise
        return self

    def _command(self, command) -> None:
        self._conn.send(command)
        if self._conn.recv() != "ok":
            raise RuntimeError(f"the synthetic news server refused {command!r:.40}")

    def stop(self) -> None:
        if self._proc is None:
            return
        try:
            self._conn.send("stop")
            self._conn.poll(10)
        except (OSError, EOFError):
            pass
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(5)
        self._proc = None
        if self._rendered_file is not None:
            self._rendered_file.unlink(missing_ok=True)
            self._rendered_file = None

    def __enter__(self) -> SynthServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stats(self) -> dict:
        self._conn.send("stats")
        return self._conn.recv()

    def feed_url(self, feed: int) -> str:
        info = self.day.feed_list[feed]
        return self.base_urls[info.host] + info.path

    def feeds(self) -> list[dict]:
        """Entries for a feeds.yaml that points at this server."""
        return [
            {
                "name": f.name,
                "url": self.feed_url(f.index),
                "source": f.source,
                "country": f.country,
                "language": "en",
                "state_affiliated": f.state_affiliated,
                "kind": f.kind,
            }
            for f in self.day.feed_list
        ]

    def write_feeds_yaml(self, path: str | os.PathLike) -> Path:
        import yaml

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"feeds": self.feeds()}, sort_keys=False), encoding="utf-8")
        return path


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=20_000)
    ap.add_argument("--feeds", type=int, default=300)
    ap.add_argument("--serve", action="store_true", help="serve the day until Ctrl-C (default: describe it)")
    ap.add_argument(
        "--write-feeds", metavar="FILE", help="with --serve: write a feeds.yaml pointing at the server"
    )
    args = ap.parse_args(argv)
    day = SynthDay(args.articles, args.feeds)
    if not args.serve:  # `make bench` runs every bench/*.py: describe the day and return
        return describe(day)
    with SynthServer(day) as server:
        print(f"{day.articles} articles, {day.feeds} feeds on {day.hosts} hosts: {server.base_urls[0]} ...")
        if args.write_feeds:
            print(
                f"feeds file: {server.write_feeds_yaml(args.write_feeds)} (NEWSMON_ALLOW_HOSTS=127.0.0.0/8)"
            )
        print("Ctrl-C stops the server.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


def describe(day: SynthDay, sample: int = 500) -> int:
    """What the day holds, from a sample of its articles (the generator, not a benchmark)."""
    started = time.perf_counter()
    step = max(1, day.articles // sample)
    picked = range(0, day.articles, step)
    stories = [day.story(i) for i in picked]
    pages = [len(day.page(i, "http://127.0.0.1:8000")) for i in picked[:100]]
    took = time.perf_counter() - started
    copies = sum(c is not None for c in day.copy_of)
    print(
        f"{day.articles} articles, {day.feeds} feeds, {day.hosts} hosts; wire copies {copies / day.articles:.1%}; "
        f"paragraphs per story {sum(len(s.paragraphs) for s in stories) / len(stories):.1f}; "
        f"page {sum(pages) / len(pages) / 1024:.1f} KiB"
    )
    for code in MENTION_RATES:
        share = sum(code in s.countries for s in stories) / len(stories)
        print(f"  stories naming {code}: {share:.1%} (rate {MENTION_RATES[code]:.0%})")
    print(f"sample of {len(stories)} stories and {len(pages)} pages generated in {took:.2f} s")
    print("serve it: .venv/bin/python bench/synth.py --serve --write-feeds /tmp/feeds.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
