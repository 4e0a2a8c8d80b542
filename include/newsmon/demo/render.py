"""Turn the demo corpus into what a news site sends: article pages with full chrome, RSS and Atom feeds,
robots.txt and index pages. Pure functions of (corpus, base_url): no I/O.
"""

from __future__ import annotations

import hashlib
import html
import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape as xml_escape

from newsmon.demo.outlets import Outlet

if TYPE_CHECKING:
    from newsmon.demo.corpus import Corpus, DemoArticle, FeedSpec

DISCLAIMER = "All stories on this site are fictional, written for the newsmon demo."


@dataclass(frozen=True)
class Resource:
    """One response of the demo server."""

    status: int
    body: bytes
    content_type: str
    last_modified: datetime | None = None
    failure: str | None = None  # corpus.FAILURE_MODES, for the server's special handling (slow)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


# Class names differ between sites, as they do on the real web; the words in them are the usual ones.
_CLASSES = {
    "meridian-wire": ("donation-appeal", "newsletter-signup", "comments", "related-links"),
    "harbor-ledger": (
        "contribution-ask donation-appeal",
        "newsletter-signup",
        "comments-section",
        "related-links",
    ),
    "capital-dispatch": ("donate-box", "newsletter-promo", "comments", "read-next related"),
    "steppe-courier": ("promo-subscribe", "newsletter-form", "comments-block", "see-also related-links"),
    "pacific-sentinel": ("paywall-promo subscribe-appeal", "newsletter-signup", "comments", "related-links"),
    "danube-daily": ("", "newsletter-box", "comments", "more-stories"),
    "eastern-lantern": ("app-promo", "newsletter-signup", "comment-area", "related-news"),
}


def render_site(corpus: Corpus, base_url: str) -> dict[str, Resource]:
    base_url = base_url.rstrip("/")
    site: dict[str, Resource] = {"/robots.txt": robots_resource(corpus)}
    site["/"] = _html_resource(index_page(corpus, base_url), "utf-8")
    for outlet in corpus.outlets.values():
        site[f"/{outlet.key}/"] = _html_resource(outlet_page(corpus, outlet, base_url), "utf-8")
    for feed in corpus.feeds:
        site[feed.path] = feed_resource(corpus, feed, base_url)
    for article in corpus.articles:
        site[article.path] = article_resource(corpus, article, base_url)
    return site


def feed_resource(corpus: Corpus, feed: FeedSpec, base_url: str) -> Resource:
    """A feed listing the corpus's articles of that feed (it must have one)."""
    articles = corpus.feed_articles(feed.name)
    return Resource(
        200,
        feed_xml(corpus, feed, base_url.rstrip("/")),
        "application/atom+xml; charset=utf-8"
        if feed.format == "atom"
        else "application/rss+xml; charset=utf-8",
        last_modified=max(a.published for a in articles),
    )


def not_found_page(message: str = "Page not found") -> bytes:
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(message)}</title></head>"
        f"<body><h1>{html.escape(message)}</h1><p>The page you asked for is not here.</p></body></html>"
    ).encode()


def _html_resource(text: str, charset: str, status: int = 200, **kw) -> Resource:
    return Resource(status, text.encode(charset, "xmlcharrefreplace"), f"text/html; charset={charset}", **kw)


# --- robots and index pages -------------------------------------------------------------------------------------


def robots_resource(corpus: Corpus) -> Resource:
    lines = ["User-agent: *", "Disallow: /private/", "Disallow: /search"]
    lines += [f"Disallow: /{key}/private/" for key in corpus.outlets]
    lines += ["Allow: /", ""]
    return Resource(200, "\n".join(lines).encode(), "text/plain; charset=utf-8")


def index_page(corpus: Corpus, base_url: str) -> str:
    items = "\n".join(
        f'<li><a href="/{o.key}/">{html.escape(o.name)}</a> ({o.country}, {o.kind}'
        f"{', state-affiliated' if o.state_affiliated else ''})</li>"
        for o in corpus.outlets.values()
    )
    feeds = "\n".join(
        f'<li><a href="{f.path}">{html.escape(f.title)}</a> ({f.format})</li>' for f in corpus.feeds
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>newsmon demo news sites</title></head>"
        f"<body><h1>newsmon demo news sites</h1><p>{DISCLAIMER} {len(corpus.articles)} articles from "
        f"{corpus.start_day} to {corpus.end_day}.</p><h2>Outlets</h2><ul>{items}</ul><h2>Feeds</h2><ul>{feeds}</ul>"
        "</body></html>"
    )


def outlet_page(corpus: Corpus, outlet: Outlet, base_url: str) -> str:
    rows = [a for a in corpus.articles if a.outlet == outlet.key and a.failure != "robots"]
    items = "\n".join(
        f'<li><a href="{a.path}">{html.escape(a.title)}</a> <time>{a.published:%d %b %Y}</time></li>'
        for a in sorted(rows, key=lambda a: a.published, reverse=True)
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(outlet.name)}</title>"
        f"</head><body><h1>{html.escape(outlet.name)}</h1><p>{html.escape(outlet.tagline)}</p><ul>{items}</ul>"
        f"<p>{DISCLAIMER}</p></body></html>"
    )


# --- article pages ------------------------------------------------------------------------------------------------


def article_resource(corpus: Corpus, article: DemoArticle, base_url: str) -> Resource:
    outlet = corpus.outlets[article.outlet]
    if article.failure == "not_found":
        return Resource(404, not_found_page(f"{outlet.name}: page not found"), "text/html; charset=utf-8")
    page = article_html(corpus, article, base_url)
    if article.failure == "broken_html":
        page = break_html(page)
    return _html_resource(page, article.charset, last_modified=article.published, failure=article.failure)


def article_html(corpus: Corpus, article: DemoArticle, base_url: str) -> str:
    outlet = corpus.outlets[article.outlet]
    url = article.url(base_url)
    head = _head(outlet, article, url)
    appeal_cls, newsletter_cls, comments_cls, related_cls = _CLASSES[outlet.key]
    return f"""<!DOCTYPE html>
<html lang="{_lang(article)}">
{head}
<body class="{outlet.css_prefix}-site article-page">
<div class="cookie-banner" id="{outlet.css_prefix}-cookies" role="dialog" aria-label="Cookie consent">
  <p>{html.escape(outlet.cookie)}</p><button type="button">Accept</button> <button type="button">Settings</button>
</div>
{_site_header(outlet)}
<div class="registration-toast" role="status">{html.escape(outlet.toast)} <a href="/{outlet.key}/register">Register</a></div>
<main id="main-content">
<article class="{outlet.css_prefix}-article story">
<header class="article-header">
  <p class="kicker"><a href="/{outlet.key}/section/{_section(article).lower()}">{_section(article)}</a></p>
  <h1 class="headline">{html.escape(article.title)}</h1>
  {_byline(outlet, article)}
</header>
{_share_bar(outlet, url, article)}
<div class="article-body" itemprop="articleBody">
{_body(outlet, article, appeal_cls)}
</div>
<div class="{newsletter_cls}">
  <h3>{html.escape(outlet.newsletter[0])}</h3>
  <p>{html.escape(outlet.newsletter[1])}</p>
  <form action="/{outlet.key}/newsletter" method="post"><label>Email <input type="email" name="email" placeholder="you@example.com"></label>
  <button type="submit">{html.escape(outlet.newsletter[2])}</button></form>
</div>
{_related(corpus, article, related_cls, outlet.related_heading)}
<section class="{comments_cls}" id="comments">
  <h2>{html.escape(outlet.comments[0])}</h2>
  <p>{html.escape(outlet.comments[1])}</p>
  <button type="button">Show comments</button>
</section>
</article>
{_most_read(corpus, article, outlet)}
</main>
{_site_footer(outlet, article)}
</body>
</html>
"""


def break_html(page: str) -> str:
    """A page as a broken CMS or a cut connection leaves it: closing tags lost, then cut off mid-paragraph."""
    start = page.index('<div class="article-body"')
    body_end = page.index("</div>", page.index("itemprop", start))
    body = page[start:body_end].replace("</p>", "").replace("<p>", "<p><b>", 1)
    cut = body[: int(len(body) * 0.62)]
    return page[:start] + cut


def _lang(article: DemoArticle) -> str:
    return {"en": "en", "ru": "ru", "zh": "zh-CN"}.get(article.language, article.language)


def _section(article: DemoArticle) -> str:
    if article.topic.startswith("summit") or "CN" in article.countries and "RU" in article.countries:
        return "World"
    if article.topic in ("grain-exports", "bank-of-russia", "china-economy", "mortgage-rates", "lithium"):
        return "Business"
    if article.topic in ("porcelain-museum", "cocktail-bars", "soviet-archive"):
        return "Culture"
    if article.topic == "football":
        return "Sport"
    if article.countries == ("US",):
        return "US"
    return "World" if article.countries else "News"


def _head(outlet: Outlet, article: DemoArticle, url: str) -> str:
    published = article.published.isoformat().replace("+00:00", "Z")
    e = html.escape
    json_ld = ""
    if outlet.json_ld and article.failure != "thin":
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "description": article.summary,
            "datePublished": published,
            "dateModified": published,
            "inLanguage": _lang(article),
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "author": [{"@type": "Person", "name": article.author}],
            "publisher": {"@type": "Organization", "name": outlet.name, "url": f"https://{outlet.domain}/"},
            "articleSection": _section(article),
        }
        if article.is_wire_copy_of:
            data["sourceOrganization"] = {"@type": "Organization", "name": "Meridian Wire"}
        text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
        json_ld = f'\n<script type="application/ld+json">{text}</script>'
    return f"""<head>
<meta charset="{article.charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(article.title)} | {e(outlet.name)}</title>
<meta name="description" content="{e(article.summary)}">
<meta name="author" content="{e(article.author)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{e(article.title)}">
<meta property="og:description" content="{e(article.summary)}">
<meta property="og:site_name" content="{e(outlet.name)}">
<meta property="og:url" content="{e(url)}">
<meta property="og:locale" content="{_lang(article).replace("-", "_")}">
<meta property="article:published_time" content="{published}">
<meta property="article:section" content="{_section(article)}">
<link rel="canonical" href="{e(url)}">
<link rel="stylesheet" href="/{outlet.key}/static/site.css">{json_ld}
<style>body{{font-family:Georgia,serif;max-width:46rem;margin:0 auto;padding:0 1rem}}nav ul{{list-style:none;display:flex;gap:1rem;padding:0}}</style>
</head>"""


def _site_header(outlet: Outlet) -> str:
    links = "".join(
        f'<li><a href="/{outlet.key}/section/{s.lower().replace(" ", "-")}">{html.escape(s)}</a></li>'
        for s in outlet.nav
    )
    return f"""<header class="site-header" role="banner">
  <a class="logo" href="/{outlet.key}/">{html.escape(outlet.name)}</a> <span class="tagline">{html.escape(outlet.tagline)}</span>
  <nav class="main-nav" aria-label="Main"><ul>{links}</ul></nav>
  <a class="subscribe-link" href="/{outlet.key}/subscribe">Subscribe</a> <a class="login-link" href="/{outlet.key}/login">Sign in</a>
</header>"""


def _byline(outlet: Outlet, article: DemoArticle) -> str:
    when = f"{article.published:%A %d %B %Y %H:%M} UTC"
    iso = article.published.isoformat().replace("+00:00", "Z")
    agency = " | Meridian Wire" if article.is_wire_copy_of else ""
    return (
        f'<p class="byline">By <a rel="author" href="/{outlet.key}/authors/{_slug(article.author)}">'
        f'<span class="author-name">{html.escape(article.author)}</span></a>{agency}</p>\n'
        f'  <p class="dateline"><time datetime="{iso}">{when}</time></p>'
    )


def _share_bar(outlet: Outlet, url: str, article: DemoArticle) -> str:
    return f"""<div class="share-bar" aria-label="Share">
  <a href="https://social.example/share?u={html.escape(url)}">Share on Facebook</a>
  <a href="https://social.example/post?u={html.escape(url)}">Share on X</a>
  <a href="mailto:?subject={html.escape(article.title)}">Email</a> <button type="button">Copy link</button>
</div>"""


def _body(outlet: Outlet, article: DemoArticle, appeal_cls: str) -> str:
    if article.failure == "thin":
        return (
            f'<div class="video-player" data-video-id="{zlib.crc32(article.path.encode()):x}">'
            "<noscript>This video needs JavaScript.</noscript></div>\n"
            f'<p class="caption">{html.escape(article.paragraphs[0])}</p>'
        )
    paragraphs = [f"<p>{html.escape(p)}</p>" for p in article.paragraphs]
    if article.language == "en":
        at = 2 if len(paragraphs) > 3 else 1
        paragraphs.insert(at, _appeal(outlet, appeal_cls))
    return "\n".join(paragraphs)


def _appeal(outlet: Outlet, cls: str) -> str:
    text = "\n".join(f"<p>{html.escape(p)}</p>" for p in outlet.appeal)
    if not outlet.appeal_marked:  # no telltale markup: just more paragraphs in the story
        return text
    return (
        f'<aside class="{cls}" aria-label="Support us">\n<h3>{html.escape(outlet.appeal_heading)}</h3>\n{text}\n'
        f'<a class="button" href="/{outlet.key}/support">Support us</a>\n</aside>'
    )


def _neighbours(corpus: Corpus, article: DemoArticle, n: int, salt: str) -> list[DemoArticle]:
    """Other stories of the same outlet, chosen stably from the path (no randomness at render time)."""
    others = [
        a
        for a in corpus.articles
        if a.outlet == article.outlet and a.path != article.path and a.failure != "robots"
    ]
    others.sort(key=lambda a: hashlib.sha1((salt + article.path + a.path).encode()).digest())
    return others[:n]


def _related(corpus: Corpus, article: DemoArticle, cls: str, heading: str) -> str:
    items = "".join(
        f'<li><a href="{a.path}">{html.escape(a.title)}</a></li>'
        for a in _neighbours(corpus, article, 4, "r")
    )
    return f'<section class="{cls}"><h2>{html.escape(heading)}</h2><ul>{items}</ul></section>'


def _most_read(corpus: Corpus, article: DemoArticle, outlet: Outlet) -> str:
    items = "".join(
        f'<li><a href="{a.path}">{html.escape(a.title)}</a></li>'
        for a in _neighbours(corpus, article, 5, "m")
    )
    return (
        f'<aside class="most-read sidebar" aria-label="{html.escape(outlet.most_read_heading)}">'
        f"<h2>{html.escape(outlet.most_read_heading)}</h2><ol>{items}</ol></aside>"
    )


def _site_footer(outlet: Outlet, article: DemoArticle) -> str:
    links = "".join(
        f'<li><a href="/{outlet.key}/{_slug(x)}">{html.escape(x)}</a></li>' for x in outlet.footer
    )
    return f"""<footer class="site-footer" role="contentinfo">
  <ul class="footer-links">{links}</ul>
  <p class="copyright">&copy; {article.published.year} {html.escape(outlet.name)}. {DISCLAIMER}</p>
</footer>"""


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


# --- feeds --------------------------------------------------------------------------------------------------------


def feed_xml(corpus: Corpus, feed: FeedSpec, base_url: str) -> bytes:
    articles = corpus.feed_articles(feed.name)
    if feed.format == "atom":
        return _atom(corpus, feed, articles, base_url)
    return _rss(corpus, feed, articles, base_url)


def _guid(outlet: Outlet, article: DemoArticle, base_url: str) -> tuple[str, bool]:
    if outlet.key == "meridian-wire":  # an agency story id, not a URL
        return f"meridianwire:{article.published:%Y%m%d}:{article.slug}", False
    return article.url(base_url), True


def _rss(corpus: Corpus, feed: FeedSpec, articles: list[DemoArticle], base_url: str) -> bytes:
    outlet = corpus.outlets[feed.outlet]
    x = xml_escape
    items = []
    for a in articles:
        guid, permalink = _guid(outlet, a, base_url)
        items.append(
            f"""    <item>
      <title>{x(a.title)}</title>
      <link>{x(a.feed_link(base_url))}</link>
      <guid isPermaLink="{"true" if permalink else "false"}">{x(guid)}</guid>
      <description>{x(a.summary)}</description>
      <pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>
      <dc:creator>{x(a.author)}</dc:creator>
      <category>{_section(a)}</category>
    </item>"""
        )
    built = max(a.published for a in articles)
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>{x(feed.title)}</title>
    <link>{x(base_url)}/{outlet.key}/</link>
    <description>{x(outlet.tagline)}</description>
    <language>{feed.language}</language>
    <lastBuildDate>{format_datetime(built, usegmt=True)}</lastBuildDate>
    <atom:link href="{x(feed.url(base_url))}" rel="self" type="application/rss+xml"/>
    <ttl>30</ttl>
{chr(10).join(items)}
  </channel>
</rss>
"""
    return text.encode("utf-8")


def _atom(corpus: Corpus, feed: FeedSpec, articles: list[DemoArticle], base_url: str) -> bytes:
    outlet = corpus.outlets[feed.outlet]
    x = xml_escape
    entries = []
    for a in articles:
        when = _iso(a.published)
        entries.append(
            f"""  <entry>
    <title>{x(a.title)}</title>
    <id>tag:{outlet.domain},{a.published:%Y-%m-%d}:{x(a.slug)}</id>
    <link rel="alternate" type="text/html" href="{x(a.feed_link(base_url))}"/>
    <published>{when}</published>
    <updated>{when}</updated>
    <author><name>{x(a.author)}</name></author>
    <summary type="text">{x(a.summary)}</summary>
  </entry>"""
        )
    updated = _iso(max(a.published for a in articles))
    text = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{feed.language}">
  <title>{x(feed.title)}</title>
  <subtitle>{x(outlet.tagline)}</subtitle>
  <id>tag:{outlet.domain},2026:{feed.name}</id>
  <updated>{updated}</updated>
  <link rel="self" type="application/atom+xml" href="{x(feed.url(base_url))}"/>
  <link rel="alternate" type="text/html" href="{x(base_url)}/{outlet.key}/"/>
{chr(10).join(entries)}
</feed>
"""
    return text.encode("utf-8")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
