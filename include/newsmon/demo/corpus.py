"""The demo corpus: which article each outlet publishes on which day, with the ground truth tests compare against.

`build_corpus(end_day)` lays out 18 days of news ending on `end_day` (default: yesterday, UTC), so the demo always
looks current. Everything is derived from fixed seeds: two builds with the same end_day are equal.

What it contains, on purpose:
- recurring topics (stories.TOPICS) spread over the days and outlets, each use assembled differently;
- a planted spike on `spike_day` (end_day - 3): a China-Russia summit covered by every outlet, with previews the
  day before and follow-ups the day after;
- Meridian Wire stories syndicated by 2-4 other outlets under a new headline, with the last paragraph trimmed,
  small edits and a different URL (some feed links carry utm_ tracking parameters);
- pages that fail in the ways real pages do (FAILURE_MODES), and pages in windows-1251 and gb2312;
- short Russian and Chinese stories in their own feeds;
- after the spike, stories whose relations between countries are known (stories.RELATION_STORIES, RELATION_DAYS):
  US sanctions on Russian banks and a US-China exchange of accusations two days after it, a US-China summit with
  agreements on the last day.

`Corpus.render(base_url)` turns it into the bytes a server sends (see render.py).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from newsmon.demo import stories
from newsmon.demo.outlets import OUTLETS, OUTLETS_BY_KEY, Outlet
from newsmon.demo.stories import NAME_POOLS, Topic

SEED = 20261128
DAYS = 18
SPIKE_OFFSET = 3  # spike_day = end_day - SPIKE_OFFSET
# Days after the spike of the stories with known relations. Not the day right after it: its three US stories
# plus one would make a spike of stories about the United States there, which the demo does not plant.
RELATION_DAYS = {"bank-sanctions": 2, "port-hacking": 2, "singapore-summit": 3}

# How a page fails. not_found: 404. slow: the server waits `slow_seconds` before answering. broken_html: the page
# is truncated mid-paragraph with unclosed tags. thin: a video page with one caption line (the feed's summary
# is the better text). robots: the page lives under a path robots.txt disallows.
FAILURE_MODES = ("not_found", "slow", "broken_html", "thin", "robots")

# Outlets that run Meridian Wire copy (the state-affiliated outlets do not).
SYNDICATORS = ("harbor-ledger", "capital-dispatch", "pacific-sentinel", "danube-daily")
TRACKING_QUERIES = (
    "?utm_source=meridian&utm_medium=syndication&utm_campaign=wire",
    "?utm_source=rss&utm_medium=feed",
    "?ref=wire&utm_source=partner",
)
HARBOR_FEED_QUERY = "?utm_source=rss&utm_medium=feed&utm_campaign=harbor-ledger"


@dataclass(frozen=True)
class FeedSpec:
    """One feed the demo server publishes; `FeedConfig` entries for feeds.yaml are built from these."""

    name: str
    path: str
    outlet: str
    title: str
    language: str
    format: str  # rss or atom

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.path


FEEDS: tuple[FeedSpec, ...] = (
    FeedSpec(
        "meridian-wire", "/meridian-wire/rss.xml", "meridian-wire", "Meridian Wire: Top News", "en", "rss"
    ),
    FeedSpec(
        "meridian-wire-world",
        "/meridian-wire/world/atom.xml",
        "meridian-wire",
        "Meridian Wire: World",
        "en",
        "atom",
    ),
    FeedSpec("harbor-ledger", "/harbor-ledger/rss.xml", "harbor-ledger", "Harbor Ledger", "en", "rss"),
    FeedSpec(
        "capital-dispatch",
        "/capital-dispatch/feeds/latest.xml",
        "capital-dispatch",
        "Capital Dispatch: Latest",
        "en",
        "rss",
    ),
    FeedSpec(
        "steppe-courier",
        "/steppe-courier/export/rss2/index.xml",
        "steppe-courier",
        "Steppe Courier",
        "en",
        "rss",
    ),
    FeedSpec(
        "steppe-courier-ru", "/steppe-courier/ru/rss.xml", "steppe-courier", "Степной курьер", "ru", "rss"
    ),
    FeedSpec(
        "pacific-sentinel",
        "/pacific-sentinel/rss/asia.xml",
        "pacific-sentinel",
        "Pacific Sentinel: Asia",
        "en",
        "rss",
    ),
    FeedSpec("danube-daily", "/danube-daily/feed.xml", "danube-daily", "Danube Daily", "en", "rss"),
    FeedSpec(
        "eastern-lantern",
        "/eastern-lantern/rss/china.xml",
        "eastern-lantern",
        "Eastern Lantern: China",
        "en",
        "rss",
    ),
    FeedSpec("eastern-lantern-zh", "/eastern-lantern/zh/rss.xml", "eastern-lantern", "东方灯报", "zh", "rss"),
)
FEEDS_BY_NAME = {f.name: f for f in FEEDS}


@dataclass
class DemoArticle:
    """One article page and its ground truth."""

    outlet: str  # outlet key
    slug: str
    path: str  # URL path on the demo server
    title: str
    paragraphs: list[str]  # the real story paragraphs, without page chrome
    published: datetime  # UTC
    author: str
    summary: str  # the feed's description: 1-3 sentences from the article
    language: str
    topic: str
    countries: tuple[str, ...]  # watched countries the story is about; each is named in the text, and others
    # may be named in passing (the tagger finds those too)
    feed: str  # the feed that lists it (Meridian's world feed also lists its international stories)
    is_wire_copy_of: str | None = None  # path of the Meridian Wire original this page syndicates
    failure: str | None = None  # one of FAILURE_MODES, or None for a normal page
    charset: str = "utf-8"
    link_query: str = ""  # tracking parameters the feed appends to the link

    @property
    def day(self) -> date:
        return self.published.date()

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.path

    def feed_link(self, base_url: str) -> str:
        return self.url(base_url) + self.link_query


@dataclass
class Corpus:
    end_day: date
    articles: list[DemoArticle]
    outlets: dict[str, Outlet] = field(default_factory=lambda: dict(OUTLETS_BY_KEY))
    feeds: tuple[FeedSpec, ...] = FEEDS

    @property
    def start_day(self) -> date:
        return self.end_day - timedelta(days=DAYS - 1)

    @property
    def spike_day(self) -> date:
        return self.end_day - timedelta(days=SPIKE_OFFSET)

    @property
    def days(self) -> list[date]:
        return sorted({a.day for a in self.articles})

    def article(self, path: str) -> DemoArticle:
        for a in self.articles:
            if a.path == path:
                return a
        raise KeyError(f"no demo article at {path}")

    def feed_articles(self, feed_name: str) -> list[DemoArticle]:
        """The articles a feed lists, newest first."""
        spec = FEEDS_BY_NAME[feed_name]
        if spec.name == "meridian-wire-world":
            chosen = [a for a in self.articles if a.feed == "meridian-wire" and a.countries]
        else:
            chosen = [a for a in self.articles if a.feed == spec.name]
        return sorted(chosen, key=lambda a: a.published, reverse=True)

    def wire_copies(self) -> list[DemoArticle]:
        return [a for a in self.articles if a.is_wire_copy_of]

    def render(self, base_url: str) -> dict:
        """Every response the demo server gives, keyed by URL path: {path: render.Resource}."""
        from newsmon.demo.render import render_site

        return render_site(self, base_url)


def default_end_day() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


def build_corpus(end_day: date | None = None) -> Corpus:
    """The whole demo corpus ending on `end_day` (default: yesterday, UTC). Deterministic."""
    end_day = end_day or default_end_day()
    builder = _Builder(end_day)
    builder.schedule_regular()
    builder.schedule_summit_week()
    builder.schedule_specials()
    builder.assign_failures()
    builder.syndicate()
    builder.schedule_relation_stories()  # last: the articles before it draw the same random numbers as ever
    articles = sorted(builder.articles, key=lambda a: (a.published, a.path))
    return Corpus(end_day=end_day, articles=articles)


# ---------------------------------------------------------------------------------------------------------------
# Text assembly


def slugify(title: str, max_words: int = 9) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower().replace("'", ""))
    return "-".join(words[:max_words]) or "story"


def smarten(text: str) -> str:
    """Straight quotes to typographic ones, as several outlets' CMSs do."""
    text = re.sub(r"(^|[\s(\[—-])\"", "\\1\u201c", text)
    text = text.replace('"', "\u201d")
    text = re.sub(r"(^|[\s(\[—-])'", "\\1\u2018", text)
    return text.replace("'", "\u2019")


def dateline(outlet: Outlet, city: str) -> str:
    if outlet.dateline_style == "wire":
        return f"{city} (Meridian Wire) — "
    if outlet.dateline_style == "plain":
        return f"{city} — "
    return ""


def first_sentence(paragraph: str) -> str:
    """The first sentence, without the dateline: the feed summary of most items."""
    body = paragraph.split(" — ", 1)[1] if " — " in paragraph[:60] else paragraph
    parts = re.split(r"(?<=[.!?\u201d\"])\s+(?=[A-Z\u201c\"])", body, maxsplit=1)
    return parts[0]


@dataclass
class _TopicCursor:
    """Rotates a topic's pool so consecutive uses share as few paragraphs as possible."""

    order: list[int]
    uses: int = 0
    position: int = 0


class _Builder:
    def __init__(self, end_day: date) -> None:
        self.end_day = end_day
        self.start_day = end_day - timedelta(days=DAYS - 1)
        self.spike_day = end_day - timedelta(days=SPIKE_OFFSET)
        self.rng = random.Random(SEED)
        self.articles: list[DemoArticle] = []
        self.cursors: dict[str, _TopicCursor] = {}
        self.outlet_load: dict[str, int] = {o.key: 0 for o in OUTLETS}

    # -- scheduling ------------------------------------------------------------------------------------------

    def schedule_regular(self) -> None:
        """Recurring topics over the days; a developing story's second article comes about a week after its first."""
        ordinary = [self.start_day + timedelta(days=i) for i in range(DAYS)]
        ordinary.remove(self.spike_day)
        moments: list[tuple[float, Topic]] = []
        for topic in stories.TOPICS:
            first = self.rng.uniform(0, 1 if topic.uses == 1 else 0.55)
            moments += [(first + use * self.rng.uniform(0.35, 0.45), topic) for use in range(topic.uses)]
        sequence = [topic for _, topic in sorted(moments, key=lambda m: m[0])]
        per_day = {d: (len(sequence) - 1) // len(ordinary) for d in ordinary}
        for d in self.rng.sample(ordinary, (len(sequence) - 1) % len(ordinary)):
            per_day[d] += 1
        per_day[self.spike_day] = 1  # the news does not stop for the summit
        slots = [d for d in sorted(per_day) for _ in range(per_day[d])]
        self._separate_same_day_repeats(sequence, slots)
        used_today: dict[date, set[str]] = {}
        for d, topic in zip(slots, sequence, strict=True):
            outlet = self._pick_outlet(topic, used_today.setdefault(d, set()))
            used_today[d].add(outlet.key)
            self._add(topic, outlet, d)

    def _separate_same_day_repeats(self, sequence: list[Topic], slots: list[date]) -> None:
        for i in range(1, len(sequence)):
            same_day = [j for j in range(i) if slots[j] == slots[i]]
            if any(sequence[j].key == sequence[i].key for j in same_day):
                for k in range(i + 1, len(sequence)):
                    if sequence[k].key not in {sequence[j].key for j in same_day}:
                        sequence[i], sequence[k] = sequence[k], sequence[i]
                        break

    def _pick_outlet(self, topic: Topic, used_today: set[str]) -> Outlet:
        keys = list(topic.outlets) or [o.key for o in OUTLETS]
        fresh = [k for k in keys if k not in used_today] or keys

        def load(key: str) -> float:  # a wire service files about twice as much as a newspaper
            return self.outlet_load[key] / (2 if OUTLETS_BY_KEY[key].kind == "wire" else 1)

        least = min(load(k) for k in fresh)
        return OUTLETS_BY_KEY[self.rng.choice([k for k in fresh if load(k) == least])]

    def schedule_summit_week(self) -> None:
        s = self.spike_day
        plan = {
            s - timedelta(days=1): ("summit-preview", "summit-preview-steppe"),
            s: (
                "summit-main",
                "summit-markets",
                "summit-pipeline",
                "summit-washington",
                "summit-steppe",
                "summit-asia",
                "summit-europe",
                "summit-lantern",
                "summit-analysis",
            ),
            s + timedelta(days=1): ("summit-followup", "summit-hearing"),
        }
        by_key = {t.key: t for t in stories.SUMMIT_STORIES}
        for d, keys in plan.items():
            for key in keys:
                topic = by_key[key]
                self._add(topic, OUTLETS_BY_KEY[topic.outlets[0]], d)

    def schedule_specials(self) -> None:
        by_key = {t.key: t for t in stories.FOREIGN_STORIES}
        s = self.spike_day
        self._add(
            by_key["ru-summit"],
            OUTLETS_BY_KEY["steppe-courier"],
            s,
            "ru",
            "steppe-courier-ru",
            "windows-1251",
        )
        self._add(
            by_key["zh-summit"], OUTLETS_BY_KEY["eastern-lantern"], s, "zh", "eastern-lantern-zh", "gb2312"
        )
        self._add(
            by_key["ru-harvest"], OUTLETS_BY_KEY["steppe-courier"], self._day(9), "ru", "steppe-courier-ru"
        )
        self._add(
            by_key["zh-economy"], OUTLETS_BY_KEY["eastern-lantern"], self._day(12), "zh", "eastern-lantern-zh"
        )
        thin = self._add(stories.THIN_VIDEO, OUTLETS_BY_KEY["danube-daily"], self._day(6))
        thin.failure = "thin"
        thin.summary = stories.THIN_VIDEO_SUMMARY.format(weekday=thin.published.strftime("%A"))
        briefing = self._add(stories.SUBSCRIBER_BRIEFING, OUTLETS_BY_KEY["capital-dispatch"], self._day(8))
        briefing.failure = "robots"
        briefing.path = briefing.path.replace("/capital-dispatch/", "/capital-dispatch/private/", 1)

    def schedule_relation_stories(self) -> None:
        """After the spike, where they leave the spike day's baselines (the days before it) alone."""
        for topic in stories.RELATION_STORIES:
            day = self.spike_day + timedelta(days=RELATION_DAYS[topic.key])
            self._add(topic, OUTLETS_BY_KEY[topic.outlets[0]], day)

    def assign_failures(self) -> None:
        """Give three ordinary pages a failure mode: one 404, one slow, one broken."""
        for mode, outlet, offset in (
            ("not_found", "harbor-ledger", 10),
            ("slow", "pacific-sentinel", 5),
            ("broken_html", "capital-dispatch", 13),
        ):
            candidates = [
                a
                for a in self.articles
                if a.outlet == outlet and a.failure is None and a.day <= self._day(offset) and a.countries
            ]
            max(candidates, key=lambda a: a.published).failure = mode

    def syndicate(self) -> None:
        """Meridian Wire stories picked up by 2-4 other outlets."""
        originals = [
            a
            for a in self.articles
            if a.outlet == "meridian-wire" and a.failure is None and a.countries and a.topic in _SYNDICATABLE
        ]
        regular = [a for a in originals if not a.topic.startswith("summit")]
        regular.sort(key=lambda a: a.published)
        picks = self.rng.sample(regular, k=min(6, len(regular)))
        fixed_plan = {"summit-main": ("harbor-ledger", "pacific-sentinel", "danube-daily")}
        fixed_plan["summit-preview"] = ("pacific-sentinel", "danube-daily")
        for original in sorted(picks, key=lambda a: a.published):
            takers = self.rng.sample(SYNDICATORS, k=self.rng.randint(2, 4))
            self._copy_to(original, takers)
        for original in originals:
            if original.topic in fixed_plan:
                self._copy_to(original, fixed_plan[original.topic])

    # -- article assembly ------------------------------------------------------------------------------------

    def _day(self, offset: int) -> date:
        return self.end_day - timedelta(days=offset)

    def _publish_time(self, d: date) -> datetime:
        minutes = self.rng.randint(5 * 60, 21 * 60)
        return datetime.combine(d, time(minutes // 60, minutes % 60), tzinfo=UTC)

    def _add(
        self,
        topic: Topic,
        outlet: Outlet,
        d: date,
        language: str = "en",
        feed: str | None = None,
        charset: str = "utf-8",
    ) -> DemoArticle:
        title, paragraphs, city = self._assemble(topic, d)
        raw_lead = paragraphs[0]
        if language == "zh":  # Chinese papers date the dateline: "本报北京11月17日电"
            paragraphs[0] = f"本报{city}{d.month}月{d.day}日电\u3000" + paragraphs[0]
        else:
            paragraphs[0] = dateline(outlet, city) + paragraphs[0]
        if outlet.curly_quotes:
            title, paragraphs = smarten(title), [smarten(p) for p in paragraphs]
        published = self._publish_time(d)
        slug = topic.key if language != "en" else slugify(title)
        section = (
            f"/{outlet.key}/ru"
            if language == "ru"
            else f"/{outlet.key}/zh"
            if language == "zh"
            else f"/{outlet.key}"
        )
        article = DemoArticle(
            outlet=outlet.key,
            slug=slug,
            path=f"{section}/{d:%Y/%m/%d}/{slug}.html",
            title=title,
            paragraphs=paragraphs,
            published=published,
            author=self.rng.choice(outlet.authors),
            summary=first_sentence(smarten(raw_lead) if outlet.curly_quotes else raw_lead),
            language=language,
            topic=topic.key,
            countries=topic.countries,
            feed=feed or outlet.key,
            charset=charset,
            link_query=HARBOR_FEED_QUERY if outlet.key == "harbor-ledger" else "",
        )
        self.outlet_load[outlet.key] += 1
        self.articles.append(article)
        return article

    def _assemble(self, topic: Topic, d: date) -> tuple[str, list[str], str]:
        cursor = self.cursors.get(topic.key)
        if cursor is None:
            order = list(range(len(topic.pool)))
            self.rng.shuffle(order)
            cursor = self.cursors[topic.key] = _TopicCursor(order)
        use = cursor.uses
        cursor.uses += 1
        values = self._slot_values(topic, use, d)
        if topic.fixed:
            body = list(topic.pool)
        else:
            k = min(len(topic.pool), self.rng.choice((5, 6)))
            taken = [cursor.order[(cursor.position + i) % len(cursor.order)] for i in range(k)]
            cursor.position += k
            body = [topic.pool[i] for i in sorted(taken)]  # keep the pool's narrative order
        closer = [self.rng.choice(topic.closers)] if topic.closers else []
        paragraphs = [p.format(**values) for p in [topic.leads[use % len(topic.leads)], *body, *closer]]
        title = topic.titles[use % len(topic.titles)]
        city = topic.datelines[use % len(topic.datelines)]
        return title, paragraphs, city

    def _slot_values(self, topic: Topic, use: int, d: date) -> dict[str, str]:
        values = {"weekday": d.strftime("%A")}
        for name, options in NAME_POOLS.items():
            values[name] = self.rng.choice(options)
        for name, options in topic.slots.items():
            values[name] = options[use % len(options)]
        return values

    def _copy_to(self, original: DemoArticle, outlets: tuple[str, ...] | list[str]) -> None:
        topic = _ALL_TOPICS[original.topic]
        plain_title = _straight(original.title)
        alternatives = [t for t in topic.titles if t != plain_title] or [plain_title]
        for i, key in enumerate(outlets):
            outlet = OUTLETS_BY_KEY[key]
            title = alternatives[i % len(alternatives)]
            paragraphs = [
                _edit_for(outlet, p) for p in original.paragraphs[:-1]
            ]  # the last paragraph trimmed
            if self.rng.random() < 0.5:
                paragraphs.append(f"Additional reporting by {self.rng.choice(outlet.authors)}.")
            if outlet.curly_quotes:
                title, paragraphs = smarten(title), [smarten(p) for p in paragraphs]
            delay = timedelta(minutes=self.rng.randint(40, 300))
            end_of_day = datetime.combine(original.day, time(23, 40), tzinfo=UTC)
            published = min(original.published + delay, end_of_day)
            slug = slugify(title)
            self.articles.append(
                DemoArticle(
                    outlet=key,
                    slug=slug,
                    path=f"/{key}/{original.day:%Y/%m/%d}/{slug}.html",
                    title=title,
                    paragraphs=paragraphs,
                    published=published,
                    author=original.author,
                    summary=first_sentence(paragraphs[0]),
                    language=original.language,
                    topic=original.topic,
                    countries=original.countries,
                    feed=key,
                    is_wire_copy_of=original.path,
                    link_query=self.rng.choice(TRACKING_QUERIES) if self.rng.random() < 0.6 else "",
                )
            )
            self.outlet_load[key] += 1


def _straight(text: str) -> str:
    return text.translate(str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}))


def _edit_for(outlet: Outlet, paragraph: str) -> str:
    """The small edits a subscriber's desk makes to wire copy: house spelling, straight quotes."""
    text = _straight(paragraph)
    if outlet.country in ("AT", "SG", "GB"):
        text = text.replace(" percent", " per cent")
    else:
        text = text.replace("centre", "center").replace("favour", "favor")
    return text


_ALL_TOPICS = {t.key: t for t in (*stories.TOPICS, *stories.SUMMIT_STORIES)}
# Topics whose alternative headlines all fit any version of the story.
_SYNDICATABLE = {
    "arctic-shipping",
    "trade-talks",
    "chip-controls",
    "arms-control",
    "grain-exports",
    "bank-of-russia",
    "shoal-standoff",
    "china-economy",
    "lithium",
    "summit-main",
    "summit-preview",
    "us-jobs",
    "india-russian-oil",
    "climate-talks",
    "ev-plant-hungary",
}
