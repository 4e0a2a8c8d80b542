"""Boilerplate removal: the three layers, the repetition memory, language detection and `newsmon extract`.

All page text here is written for these tests (no publisher text).
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
from newsmon.clean import (
    STRUCTURE_RULES,
    BoilerplateMemory,
    CleanOptions,
    choose_text,
    clean_page,
    clean_text,
    detect_language,
    fingerprint,
    is_boilerplate_phrase,
    phrase_patterns,
    shape_print,
)

STORY = [
    "Officials in Harbin and Khabarovsk signed a agreement on Tuesday to reopen a river ferry between the two "
    "cities, ending a pause in passenger traffic that lasted more than four years.",
    "The ferry will run three times a week from May until the river freezes, carrying up to 180 passengers and a "
    "small number of cargo containers on each crossing, according to the regional transport office.",
    "Chinese and Russian trade officials said the service would help small traders who now drive several hundred "
    "kilometres to the nearest road bridge, a journey that can take most of a day in winter.",
    "Analysts in Vladivostok cautioned that customs checks on both banks remain slow, and that the new terminal "
    "on the Russian side still lacks the scanners needed to clear refrigerated goods quickly.",
    "A spokesman for the Heilongjiang provincial government said the first sailing was planned for the second week "
    "of May, weather permitting, and that tickets would be sold online and at the pier.",
    "Washington has raised concerns about the growing volume of border trade between China and Russia, which "
    "officials there say could help Moscow soften the effect of sanctions.",
    "Local residents interviewed at the pier were mostly pleased, although several said they worried that prices "
    "at the market on the far bank would rise once more visitors arrived.",
]
APPEAL = [
    "Your support helps us to tell the story",
    "From local courts to distant capitals, the Riverside Courier is on the ground when Americans need facts "
    "rather than noise, and American readers across the spectrum rely on our reporting every day.",
    "At such a critical moment in US history, we need reporters in the field. Your donation keeps them there.",
]
NEWSLETTER = "Sign up to our free morning briefing newsletter and get the day's top stories in your inbox."
COMMENT_PROMPT = [
    "Join our commenting forum",
    "Join lively conversations, follow other readers and see their replies",
]
TOAST = ["Thank you for registering", "Please refresh the page or navigate to another page on the site"]
RELATED = [
    "Mayor opens new bridge across the Amur",
    "Border markets see record winter crowds",
    "Ferry operators prepare for busy season",
]
FOOTER = "Copyright 2024 Riverside Courier Ltd. All rights reserved."
FURNITURE = [*APPEAL, NEWSLETTER, *COMMENT_PROMPT, *TOAST, *RELATED, FOOTER, "Comments"]


def seed_like_page(marked: bool = True, story=STORY, title="China and Russia reopen river ferry") -> str:
    """A news page built like the seed article: appeal inside the body, newsletter box, comment prompt,
    registration toast, related links and footer. `marked=False` drops the classes that name the furniture,
    so only the phrase and repetition layers can find it."""

    def cls(name: str) -> str:
        return f' class="{name}"' if marked else ""

    paras = [f"<p>{p}</p>" for p in story]
    appeal = f"<div{cls('article-donation-appeal')}>" + "".join(f"<p>{p}</p>" for p in APPEAL) + "</div>"
    body = "\n".join(paras[:2]) + appeal + "\n".join(paras[2:])
    related = "".join(f'<li><a href="/news/{i}">{t}</a></li>' for i, t in enumerate(RELATED))
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{title} | Riverside Courier</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Riverside Courier">
<meta property="article:published_time" content="2024-03-05T09:30:00+03:00">
<meta name="author" content="Mara Quill">
<link rel="canonical" href="https://www.riverside-courier.example/world/ferry-reopens?utm_source=rss">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<main><article>
<h1>{title}</h1>
<div class="byline">Mara Quill <span>Tuesday 5 March 2024</span> <a href="#comments">Comments</a></div>
<div class="article-body">
{body}
</div>
<div{cls("newsletter-signup")}><p>{NEWSLETTER}</p><form><input type="email"><button>Sign up</button></form></div>
<section{cls("comments-section")} id="{"comments" if marked else "c1"}"><h3>{COMMENT_PROMPT[0]}</h3><p>{COMMENT_PROMPT[1]}</p>
<p>Comments</p></section>
<div{cls("registration-toast")}{" hidden" if marked else ""}><p>{TOAST[0]}</p><p>{TOAST[1]}</p></div>
<aside{cls("related-articles")}><h3>More on this</h3><ul>{related}</ul></aside>
</article></main>
<footer><p>{FOOTER}</p><ul><li><a href="/about">About us</a></li><li><a href="/privacy">Privacy</a></li></ul></footer>
</body></html>"""


def _paragraphs(text: str) -> list[str]:
    return text.splitlines()


def test_seed_like_page_keeps_every_story_paragraph_and_no_furniture():
    page = clean_page(seed_like_page().encode("utf-8"), "https://riverside-courier.example/a", "courier")
    paras = _paragraphs(page.text)
    for p in STORY:
        assert p in paras, f"story paragraph lost: {p[:50]}"
    for junk in FURNITURE:
        assert junk not in page.text, f"furniture kept: {junk}"
    # The appeal's country words must not reach the tagger: only the story's own Washington line stays.
    assert "Americans" not in page.text and "US history" not in page.text
    assert page.removed["structure"] >= len(APPEAL) + 1
    assert sum(n for n in page.removed.values()) == len(page.removed_text)
    assert {layer for layer, _ in page.removed_text} <= {"structure", "phrases", "repetition"}


def test_seed_like_page_metadata():
    page = clean_page(seed_like_page(), None, "courier")
    assert page.title == "China and Russia reopen river ferry"
    assert page.published is not None and page.published.utcoffset().total_seconds() == 0
    assert page.published.isoformat() == "2024-03-05T06:30:00+00:00"
    assert page.authors == ["Mara Quill"]
    assert page.language == "en" and page.language_claimed == "en"
    assert page.sitename == "Riverside Courier"
    assert page.canonical_url.startswith("https://www.riverside-courier.example/world/ferry-reopens")
    assert len(page.raw_html_hash) == 40
    assert page.text.splitlines()[0] == STORY[0]  # the repeated headline is not part of the text


def test_phrase_layer_cleans_unmarked_furniture():
    page = clean_page(seed_like_page(marked=False), None, "courier", options=CleanOptions(structure=False))
    paras = _paragraphs(page.text)
    for p in STORY:
        assert p in paras
    for junk in [APPEAL[0], NEWSLETTER, *COMMENT_PROMPT, *TOAST, FOOTER]:
        assert junk not in paras, f"unmarked furniture kept: {junk}"
    assert page.removed["structure"] == 0 and ("phrases", APPEAL[0]) in page.removed_text
    unphrased = clean_page(
        seed_like_page(marked=False), None, "c", options=CleanOptions(structure=False, phrases=False)
    )
    assert APPEAL[0] in _paragraphs(unphrased.text)  # it was the phrase layer that removed it


def test_each_layer_can_be_switched_off():
    raw = clean_page(seed_like_page(), None, "courier", options=CleanOptions.raw())
    assert raw.removed == {"structure": 0, "phrases": 0, "repetition": 0}
    assert APPEAL[1] in raw.text  # trafilatura alone keeps the appeal inside the body
    structure_only = clean_page(seed_like_page(), None, "c", options=CleanOptions(phrases=False))
    assert structure_only.removed["phrases"] == 0 and APPEAL[1] not in structure_only.text


def test_each_structure_rule_can_be_switched_off_and_reports_what_it_matched():
    page = clean_page(seed_like_page(), None, "courier", record_rules=True)
    # the seed page's furniture is named by these families; the story wrapper matches none of them
    assert {"appeal", "newsletter", "comments", "related", "hidden"} <= page.rules_matched
    assert "video" not in page.rules_matched
    assert set(page.rules_matched) <= set(STRUCTURE_RULES)
    no_appeal = clean_page(
        seed_like_page(), None, "c", options=CleanOptions(disabled_rules=frozenset({"appeal"}))
    )
    assert APPEAL[1] in no_appeal.text and APPEAL[1] not in page.text
    assert NEWSLETTER not in no_appeal.text  # the other families still cut their blocks
    # the headline repeated at the top of the body
    titled = seed_like_page().replace(
        '<div class="article-body">', '<div class="article-body"><p>China and Russia reopen river ferry</p>'
    )
    assert "repeated-title" in clean_page(titled, None, "c", record_rules=True).rules_matched
    assert clean_page(titled, None, "c").text.splitlines()[0] == STORY[0]
    no_title_rule = clean_page(
        titled, None, "c", options=CleanOptions(disabled_rules=frozenset({"repeated-title"}))
    )
    assert no_title_rule.text.splitlines()[0] == "China and Russia reopen river ferry"
    assert clean_page(seed_like_page(), None, "c").rules_matched is None  # recorded only when asked


def test_phrase_patterns_are_named_by_language_and_number():
    names = dict(phrase_patterns())
    assert names["en:1"].startswith("(\\d+ )?comments?")
    assert all(re.fullmatch(r"[a-z]+:\d+", name) for name in names)


@pytest.mark.parametrize(
    "line",
    [
        "Comments",
        "12 comments",
        "Sign up",
        "Subscribe to our newsletter",
        "Read more",
        "Click here to read the full report",
        "Share this article",
        "Advertisement",
        "Thank you for registering",
        "Комментарии",
        "Подпишитесь на наш телеграм-канал",
        "Читайте также: Новые правила для туристов",
        "责任编辑：王明",
        "相关阅读",
        "分享到：",
        "点击这里查看更多",
    ],
)
def test_phrase_patterns_match_whole_furniture_lines(line):
    assert is_boilerplate_phrase(line)


@pytest.mark.parametrize(
    "line",
    [
        "The minister said she would sign up for the programme after reading more about its costs.",
        "Comments by the ambassador drew a sharp reply from Moscow on Tuesday.",
        "Read more widely, the report suggests that trade between the neighbours will keep growing this year.",
        "Подписание соглашения состоялось в Пекине во вторник.",
        "中国和俄罗斯在边境城市签署了新的贸易协定。",
        "Subscribers to the state broadcaster's service fell by a third after the price rise, the company said "
        "in its annual report, which also showed falling advertising revenue across its regional channels.",
    ],
)
def test_phrase_patterns_leave_story_sentences_alone(line):
    assert not is_boilerplate_phrase(line)


# ------------------------------------------------------------------------------------------ repetition layer

UNRULED_APPEAL = (
    "Readers like you keep the Lantern's lamps lit; a small gift each month pays for the next trip upriver."
)
SHARED_QUOTE = (
    '"We will not accept any deal that leaves our farmers worse off than they were last spring," the deputy '
    "minister told reporters outside the parliament building."
)


def _story(n: int, extra: list[str] = ()) -> str:
    body = [
        f"Story number {n} begins with its own opening paragraph about topic {n} and the people it affects, "
        f"written so that no other story shares it (variant {n * 7919}).",
        f"A second paragraph of story {n} adds detail number {n * 31} that only this article reports.",
        *extra,
        f"Story {n} ends with a closing line that is unique as well, reference {n * 104729}.",
    ]
    return "\n".join(body)


def test_repetition_learns_a_sites_appeal_and_keeps_a_quote_two_stories_share(tmp_path):
    memory = BoilerplateMemory(tmp_path / "bp")
    assert not is_boilerplate_phrase(UNRULED_APPEAL)  # no rule knows this appeal
    results = []
    for n in range(1, 8):
        extra = [UNRULED_APPEAL] + ([SHARED_QUOTE] if n in (2, 5) else [])
        results.append(clean_text(_story(n, extra), "lantern", memory, article_key=f"a{n}"))
    kept_appeal = [UNRULED_APPEAL in r.text for r in results]
    assert kept_appeal[:4] == [True] * 4  # learning: the first articles still show it
    assert kept_appeal[4:] == [False] * 3, "appeal not learned after five articles"
    assert results[4].removed["repetition"] == 1
    assert ("repetition", UNRULED_APPEAL) in results[5].removed_text
    assert SHARED_QUOTE in results[1].text and SHARED_QUOTE in results[4].text
    for n, r in enumerate(results, 1):
        assert f"Story number {n} begins" in r.text

    # Persisted per site; a new process knows the appeal at once.
    assert memory.save() == 1
    files = list((tmp_path / "bp").glob("*.json"))
    assert len(files) == 1 and "lantern" in files[0].name
    again = BoilerplateMemory(tmp_path / "bp")
    r = clean_text(_story(99, [UNRULED_APPEAL]), "lantern", again, article_key="a99")
    assert UNRULED_APPEAL not in r.text
    # Another site has learned nothing.
    other = clean_text(_story(100, [UNRULED_APPEAL]), "another-site", again, article_key="b1")
    assert UNRULED_APPEAL in other.text


def test_repetition_counts_distinct_articles_not_refetches(tmp_path):
    memory = BoilerplateMemory(None)
    for _ in range(10):  # the same article cleaned ten times is one article
        r = clean_text(_story(1, [UNRULED_APPEAL]), "site", memory, article_key="same")
    assert UNRULED_APPEAL in r.text


def test_repetition_forgets_outside_the_window():
    now = [1_700_000_000.0]
    memory = BoilerplateMemory(None, window_days=30, clock=lambda: now[0])
    for n in range(4):
        clean_text(_story(n, [UNRULED_APPEAL]), "site", memory, article_key=f"old{n}")
    now[0] += 40 * 86400  # the four old sightings fall out of the window
    r = clean_text(_story(9, [UNRULED_APPEAL]), "site", memory, article_key="new")
    assert UNRULED_APPEAL in r.text


def test_memory_share_threshold_protects_background_paragraphs_on_busy_sites():
    memory = BoilerplateMemory(None, min_articles=5, min_share=0.05)
    background = "The border crossing was closed in early 2020 and reopened to trucks two years later."
    for n in range(200):  # a busy site: 200 different stories
        clean_text(_story(n), "busy", memory, article_key=f"s{n}")
    results = [
        clean_text(_story(300 + n, [background]), "busy", memory, article_key=f"b{n}") for n in range(6)
    ]
    assert all(background in r.text for r in results)  # 6 of 206 articles is under 5%


def test_memory_threads_share_a_site_safely():
    memory = BoilerplateMemory(None)
    fp = fingerprint(UNRULED_APPEAL)

    def worker(k: int) -> None:
        for n in range(50):
            memory.observe("site", f"t{k}-{n}", [fp, fingerprint(f"unique {k} {n}")])

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert memory.stats("site")["articles"] == 300
    assert memory.observe("site", "last", [fp], learn=False) == {fp}


def test_corrupt_memory_file_is_set_aside_not_fatal(tmp_path):
    memory = BoilerplateMemory(tmp_path)
    file = memory.file_for("site")
    file.write_text("{not json", encoding="utf-8")
    r = clean_text("A paragraph that is perfectly ordinary text.", "site", memory, article_key="x")
    assert r.text == "A paragraph that is perfectly ordinary text."
    assert file.with_suffix(".corrupt").exists()
    memory.save()
    assert json.loads(file.read_text())["articles"] == {"x": memory._today()}


def test_clean_text_for_feed_summaries():
    summary = "The ferry will reopen in May.\nRead more\nShare this article\nTickets go on sale next week."
    r = clean_text(summary, "courier")
    assert r.text == "The ferry will reopen in May.\nTickets go on sale next week."
    assert r.removed == {"structure": 0, "phrases": 2, "repetition": 0}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "The ferry between the two cities will reopen in May, and officials said it was good for trade.",
            "en",
        ),
        ("Паром между двумя городами снова начнёт работу в мае, сообщили в транспортном управлении.", "ru"),
        ("两座城市之间的渡轮将于五月恢复运营，交通部门表示这有利于边境贸易。", "zh"),
        (
            "Die Fähre zwischen den beiden Städten wird im Mai wieder fahren, und das ist gut für den Handel.",
            "de",
        ),
        (
            "Le ferry entre les deux villes reprendra en mai, et les responsables disent que c'est bon pour le commerce.",
            "fr",
        ),
        (
            "El ferry entre las dos ciudades volverá a funcionar en mayo, y los funcionarios dicen que es bueno.",
            "es",
        ),
        ("", None),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


# ------------------------------------------------------------------------------------------ newsmon extract


def test_cli_extract_prints_json_per_file_and_fails_clearly_for_bad_files(tmp_path, capsys):
    from newsmon.cli import main

    good = tmp_path / "page.html"
    good.write_text(seed_like_page(), encoding="utf-8")
    text_file = tmp_path / "notes.txt"
    text_file.write_text("just some notes, no markup at all", encoding="utf-8")
    missing = tmp_path / "missing.html"
    code = main(["extract", "--explain", "--url", "https://riverside-courier.example/a", str(missing),
                 str(text_file), str(good)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 2
    rec = json.loads(out)  # --explain is for reading: one indented object, not one long line
    assert out.count("\n") > 10 and '\n  "title": ' in out
    assert rec["path"] == str(good) and rec["title"] == "China and Russia reopen river ferry"
    assert rec["text"].splitlines() == STORY
    assert rec["removed"]["structure"] >= 4
    assert any(r["layer"] == "structure" and r["text"] == APPEAL[1] for r in rec["removed_text"])
    assert f"{missing}: no such file" in err and "not an HTML page" in err
    assert len(err.strip().splitlines()) == 2  # one line per bad file
    assert "Traceback" not in err


def test_cli_extract_raw_keeps_trafilatura_text(tmp_path, capsys):
    from newsmon.cli import main

    good = tmp_path / "page.html"
    good.write_bytes(seed_like_page().encode("utf-8"))
    assert main(["extract", "--raw", str(good)]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert APPEAL[1] in rec["text"] and "removed_text" not in rec


def test_no_publisher_text_in_this_file():
    # Guard for the house rule: the seed's own sentences must not be copied into tests.
    seed = Path(__file__).resolve().parents[1].parent / "shared" / "seed"
    if not seed.exists():
        pytest.skip("shared seed folder absent")
    own = Path(__file__).read_text(encoding="utf-8")
    for txt in seed.glob("*.txt"):
        for line in txt.read_text(encoding="utf-8").splitlines():
            if len(line) > 60:
                assert line not in own


def test_choose_text_falls_back_to_the_feed_under_200_characters():
    full = clean_page(seed_like_page(), None, "courier")
    chosen = choose_text(full, "A summary.", "courier")
    assert (chosen.source, chosen.reason, chosen.text) == ("page", None, full.text)
    thin_page = clean_page(
        seed_like_page(story=["The ferry reopens in May, officials said."]), None, "courier"
    )
    assert len(thin_page.text) < 200
    summary = " ".join(STORY[:3]) + "\nRead more"
    chosen = choose_text(thin_page, summary, "courier")
    assert chosen.source == "feed" and chosen.text == " ".join(STORY[:3])
    assert chosen.reason == "page text under 200 characters" and chosen.removed["phrases"] == 1
    failed = choose_text(None, summary, "courier", page_error="HTTP 404")
    assert (failed.source, failed.reason) == ("feed", "HTTP 404")
    # A short page still beats an even shorter summary.
    assert choose_text(thin_page, "Ferry.", "courier").source == "page"


def test_a_story_wrapper_with_a_furniture_word_in_its_class_survives():
    html = seed_like_page().replace(
        '<div class="article-body">', '<div class="article-body subscriber-content">'
    )
    page = clean_page(html, None, "courier")
    for p in STORY:
        assert p in page.text.splitlines()
    assert APPEAL[1] not in page.text


@pytest.mark.parametrize(
    ("paragraphs", "codec", "content_type", "lang"),
    [
        (
            [
                "黑龙江省交通运输厅周二宣布，中断四年多的黑河至布拉戈维申斯克客运渡轮将于五月恢复运营，首班船计划于五月第二周启航。",
                "渡轮每周往返三次，每班可搭载一百八十名旅客和少量集装箱货物，边境商户表示这将大大缩短他们往返两地的时间。",
                "分析人士指出，两岸海关查验速度仍然较慢，新码头也尚未配备冷链货物快速通关所需的扫描设备。",
            ],
            "gbk",
            "text/html; charset=gb2312",
            "zh",
        ),
        (
            [
                "Паромное сообщение между Благовещенском и Хэйхэ возобновится в мае после перерыва, который длился больше четырёх лет.",
                "Суда будут ходить три раза в неделю и перевозить до 180 пассажиров за рейс, а также небольшое количество контейнеров.",
                "Аналитики предупреждают, что таможенный досмотр на обоих берегах по-прежнему идёт медленно, а новый терминал не готов.",
            ],
            "cp1251",
            "text/html; charset=windows-1251",
            "ru",
        ),
    ],
)
def test_clean_page_decodes_and_cleans_non_english_pages(paragraphs, codec, content_type, lang):
    furniture = {
        "zh": ["相关阅读", "责任编辑：王明"],
        "ru": ["Читайте также: Новые правила для туристов", "Комментарии"],
    }
    html = (
        "<html><head><title>t</title></head><body><article>"
        + "".join(f"<p>{p}</p>" for p in paragraphs + furniture[lang])
        + "</article></body></html>"
    )
    page = clean_page(html.encode(codec), None, "site", content_type=content_type)
    assert page.text.splitlines() == paragraphs
    assert page.language == lang and page.removed["phrases"] == 2


def test_memory_forgets_one_off_paragraphs_after_a_week_but_keeps_repeats(tmp_path):
    now = [1_700_000_000.0]
    memory = BoilerplateMemory(tmp_path, clock=lambda: now[0])
    clean_text("A paragraph seen once.\nA paragraph seen twice.", "site", memory, article_key="a1")
    clean_text("Another story.\nA paragraph seen twice.", "site", memory, article_key="a2")
    now[0] += 8 * 86400
    memory.save()
    kept = json.loads(memory.file_for("site").read_text())["fingerprints"]
    assert fingerprint("A paragraph seen twice.") in kept
    assert fingerprint("A paragraph seen once.") not in kept and len(kept) == 1


def test_shape_prints_ignore_figures_only_and_need_words():
    assert shape_print("Updated at 10:32, desk item 137") == shape_print("Updated at 9:05, desk item 4")
    assert shape_print("Updated at 10:32, desk item 137") != shape_print("Filed at 10:32, desk item 137")
    assert shape_print("Updated at noon, desk item") is None  # no figures: the fingerprint is enough
    assert shape_print("Page 12") is None  # too few words to stand for a template block
    report = "Cases in the harbour district rose to 412 this week, the health office said, " * 3
    assert shape_print(report) is None  # a long paragraph that differs only in figures is a recurring report
    assert shape_print("Updated at 10:32") != fingerprint("Updated at 10:32")


def test_memory_learns_a_template_place_from_three_pages_and_forgets_it_with_the_window(tmp_path):
    now = [1_700_000_000.0]
    memory = BoilerplateMemory(tmp_path, clock=lambda: now[0])
    note, place = fingerprint("Corrections: write to the desk."), "e0|article>p.correction"
    for n in range(2):
        assert (
            memory.observe("site", f"a{n}", [note, fingerprint(f"story {n}")], templates=[(place, note)])
            == set()
        )
    # judged without learning, an article at that place counts once: the third page
    assert memory.observe("site", "a2", [note], learn=False, templates=[(place, note)]) == {note}
    assert memory.observe("site", "a2", [note], learn=False) == set()  # stored text alone: 2 pages so far
    memory.observe("site", "a2", [note], templates=[(place, note)])
    assert memory.furniture("site") == {note}
    assert memory.observe("site", "stored", [note], learn=False) == {note}  # now anywhere on the site
    # the same text at three different places is not a template block
    other = fingerprint("A quote three stories share.")
    for n in range(3):
        memory.observe("site", f"q{n}", [other], templates=[(f"s{n}|article>blockquote>p", other)])
    assert other not in memory.furniture("site")
    memory.save()
    assert place in json.loads(memory.file_for("site").read_text())["templates"][note]
    now[0] += 31 * 86400  # out of the window: forgotten, and pruned from the file
    assert memory.furniture("site") == set()
    memory.observe("site", "late", [fingerprint("a new story")])
    memory.save()
    assert json.loads(memory.file_for("site").read_text())["templates"] == {}


NEWS_LD = (
    '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle"}</script>'
)


def _page(body: str, url_host: str = "www.riverside-courier.example", news: bool = True) -> str:
    """A page of the courier; `news`: it declares itself a NewsArticle in JSON-LD, as news sites do."""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Guide</title>'
        f'<link rel="canonical" href="https://{url_host}/guide">{NEWS_LD if news else ""}</head><body><main>'
        f"<article>{body}</article></main></body></html>"
    )


def test_an_ad_container_that_broken_markup_wrapped_around_story_paragraphs_keeps_them():
    story = "".join(f"<p>{p}</p>" for p in STORY[:3])
    wrapped = "".join(f"<p>{p}</p>" for p in STORY[3:6])
    html = _page(
        f'<div class="article-body">{story}<div class="article-ad"><p>Advertisement</p>{wrapped}</div>'
        f'<p>{STORY[6]}</p><div class="inline-ad"><p>Sponsored: cheap ferry tickets to anywhere</p></div></div>'
    )
    page = clean_page(html, None, "courier")
    for p in STORY:
        assert p in page.text.splitlines(), f"story paragraph lost: {p[:50]}"
    assert "cheap ferry tickets" not in page.text  # a real ad slot is still cut
    off = clean_page(html, None, "c", options=CleanOptions(disabled_rules=frozenset({"keep-story-in-ad"})))
    assert STORY[4] not in off.text  # it was the keeping rule that saved them


def _roundup(items: list[tuple[str, str]]) -> str:
    body = "".join(
        f'<p><a href="{href}">{name}</a></p><p>{STORY[k]}</p>' for k, (name, href) in enumerate(items)
    )
    return _page(f'<div class="article-body"><p>{STORY[6]}</p>{body}</div>')


def _cut_by_structure(page) -> list[str]:
    return [text for layer, text in page.removed_text if layer == "structure"]


def test_a_roundups_linked_item_names_are_not_cut_as_link_paragraphs():
    # (trafilatura's own link-density test may still drop some; the structure layer must not be the one)
    names = [
        ("Amur Ferry Line", "/reviews/amur-ferry"),
        ("Heihe River Tours", "/reviews/heihe"),
        ("Blago", "/b"),
    ]
    assert _cut_by_structure(clean_page(_roundup(names), None, "courier")) == []
    off = CleanOptions(disabled_rules=frozenset({"keep-linked-subhead"}))
    assert _cut_by_structure(clean_page(_roundup(names), None, "c", options=off)) == [n for n, _ in names]
    one = _roundup(names[:1])  # a single linked line between paragraphs is a pointer, not a roundup's subhead
    assert _cut_by_structure(clean_page(one, None, "c")) == ["Amur Ferry Line"]
    numbered = _roundup([("1. Amur Ferry Line", "/reviews/amur-ferry")])
    assert _cut_by_structure(clean_page(numbered, None, "c")) == []


def test_short_links_to_other_sites_are_content_but_pointers_are_cut():
    links = [
        ("B&H Photo", "https://www.bhphotovideo.example/item/1"),  # a shop: content of a guide
        ("Harbin Outdoor", "https://harbin.example/"),
        ("Mayor opens new bridge across the Amur", "/world/bridge"),  # the site's own story
        ("Read more: border markets boom", "https://other-news.example/x"),  # a pointer, wherever it links
    ]
    body = "".join(
        f"<p>{STORY[k]}</p><p><a href='{href}'>{name}</a></p>" for k, (name, href) in enumerate(links)
    )
    page = clean_page(_page(f'<div class="article-body">{body}<p>{STORY[5]}</p></div>'), None, "courier")
    assert _cut_by_structure(page) == [links[2][0], links[3][0]]


def test_outside_news_pages_link_lines_are_part_of_the_text():
    # a guide's "Learn more" line to the site's own page is text there; the same line on a news page is a
    # pointer to another story
    body = (
        f'<div class="article-body"><p>{STORY[0]}</p><p><a href="/ferries">Learn more: ferry timetables</a>'
    )
    body += f"</p><p>{STORY[1]}</p><p>{STORY[2]}</p></div>"
    # (trafilatura's own link-density test may still drop it; the structure layer must not be the one)
    guide = clean_page(_page(body, news=False), None, "courier", options=CleanOptions(repetition=False))
    assert _cut_by_structure(guide) == []
    off = CleanOptions(repetition=False, disabled_rules=frozenset({"keep-link-outside-news"}))
    assert _cut_by_structure(clean_page(_page(body, news=False), None, "c", options=off)) == [
        "Learn more: ferry timetables"
    ]
    news = clean_page(_page(body), None, "courier", options=CleanOptions(repetition=False))
    assert _cut_by_structure(news) == ["Learn more: ferry timetables"]


def test_author_bios_and_rating_widgets_are_cut_from_guides():
    html = _page(
        '<div class="article-body">' + "".join(f"<p>{p}</p>" for p in STORY) + "</div>"
        '<div class="star-rating"><span>4.5 out of 5 stars</span><p>Rate this ferry guide</p></div>'
        '<div class="author-bio"><p>Mara Quill has covered the Russian Far East and north-east China for the '
        "Courier since 2015 and lives in Khabarovsk with two cats and a great many maps of the Amur.</p></div>"
    )
    page = clean_page(html, None, "courier")
    assert page.text.splitlines() == STORY
    assert "Rate this" not in page.text and "two cats" not in page.text


def test_when_the_cuts_lose_the_story_the_uncut_extraction_less_the_cut_furniture_is_used():
    from newsmon.clean import _better_of_cut_and_uncut, _misses_the_story

    story = [" ".join(p.split()) for p in STORY]
    assert _misses_the_story(STORY[0], story)
    assert not _misses_the_story("\n".join(STORY[:5]), story)
    html = _page(
        '<div class="article-body">' + "".join(f"<p>{p}</p>" for p in STORY) + f"<p>{NEWSLETTER}</p></div>"
    )
    text = _better_of_cut_and_uncut(STORY[0], html, None, [NEWSLETTER], CleanOptions())
    assert text.splitlines() == STORY  # the uncut text wins, the cut newsletter line stays out
    # no more story text without the cuts: the cut extraction stays
    assert _better_of_cut_and_uncut("\n".join(STORY), html, None, [NEWSLETTER], CleanOptions()) == "\n".join(
        STORY
    )


def test_cuts_that_would_take_most_of_the_story_spare_the_marked_blocks_that_hold_it():
    # A CMS that prefixes every component with a word of a furniture family ("cmp" is also a consent
    # manager's name): each section of the story is one such block, none holds most of the story alone.
    sections = "".join(
        f'<div class="cmp-text"><p>{STORY[k]}</p><p>{STORY[k + 1]}</p></div>' for k in (0, 2, 4)
    )
    html = _page(
        f'{sections}<div class="cmp-text"><p>{STORY[6]}</p></div><div class="cookie-banner">'
        "<p>We use cookies to remember your choices.</p></div>"
    )
    page = clean_page(html, None, "courier", options=CleanOptions(repetition=False))
    assert page.text.splitlines() == STORY[:6] + [STORY[6]]
    assert "cookies" not in page.text  # the walk went on: real furniture is still cut
    off = CleanOptions(repetition=False, disabled_rules=frozenset({"keep-story-majority"}))
    assert STORY[2] not in clean_page(html, None, "c", options=off).text  # it was this rule that kept them


def test_when_the_fast_extraction_misses_the_story_trafilaturas_fallback_extractors_are_asked():
    # broken markup: an unclosed announcement <aside> wraps the whole page, and trafilatura's fast mode drops
    # every <aside>; its fallback extractors (readability, jusText) find the story
    html = (
        "<html><head><title>Ferry</title></head><body><aside class='announcement-banner'><p>Office closed.</p>"
        "<main><article>" + "".join(f"<p>{p}</p>" for p in STORY[:4]) + "</article></main></body></html>"
    )
    page = clean_page(
        html, "https://courier.example/ferry", "courier", options=CleanOptions(repetition=False)
    )
    assert page.text.splitlines() == STORY[:4]
    off = CleanOptions(repetition=False, disabled_rules=frozenset({"fallback-check"}))
    assert clean_page(html, "https://courier.example/ferry", "c", options=off).text == ""


def test_guides_lose_their_shop_buttons_disclosures_and_pagers_but_keep_item_names_and_paragraphs():
    names = ["Amur Ferry Line", "Heihe River Tours", "Blago Boat Club"]
    items = "".join(
        f"<h3>{k + 1}. {name}</h3><p>{STORY[k]}</p>"
        f'<div class="product-cta"><p>Tickets from 40 yuan. <a href="https://shop.example/{k}">View at the shop</a>'
        "</p></div>"
        for k, name in enumerate(names)
    )
    html = _page(
        '<div class="article-body"><div class="affiliate-disclosure"><p>We may be paid a fee when you buy through '
        f"the links on this page, which helps fund the guide.</p></div>{items}"
        '<div class="post-navigation"><p>Previous guide: <a href="/prev">Ferries of the Amur</a></p>'
        '<p>Next guide: <a href="/next">Bridges of Heihe</a></p></div></div>'
    )
    page = clean_page(html, None, "courier", options=CleanOptions(repetition=False))
    assert page.text.splitlines() == [
        line for k, name in enumerate(names) for line in (f"{k + 1}. {name}", STORY[k])
    ]
    off = CleanOptions(repetition=False, disabled_rules=frozenset({"cta", "disclosure"}))
    text = clean_page(html, None, "c", options=off).text
    assert "View at the shop" in text and "paid a fee" in text  # it was these two families that cut them


@pytest.mark.parametrize(
    "line",
    [
        "As an Amazon Associate we earn from qualifying purchases.",
        "Disclosure: this post contains affiliate links.",
        "If you buy through our links, we may earn a commission.",
        "7 min read",
        "Back to blog",
        "Pin it for later!",
        "Page 2 of 7",
    ],
)
def test_guide_and_blog_furniture_lines_are_phrases(line):
    assert is_boilerplate_phrase(line)


def test_a_story_sentence_about_commissions_is_not_a_disclosure():
    assert not is_boilerplate_phrase(
        "The ferry operator said travel agents would earn commissions on tickets."
    )


def test_the_fallback_check_resumes_on_the_cut_tree_with_the_text_of_a_fresh_parse():
    from newsmon.clean import StructureRules, _prune, _with_fallback
    from newsmon.extract import extract_page, parse_html

    html = (
        "<html><head><title>Ferry</title></head><body><aside class='announcement-banner'><p>Office closed.</p>"
        "<div class='share-bar'><a href='/s'>Share</a></div>"
        "<main><article>" + "".join(f"<p>{p}</p>" for p in STORY[:4]) + "</article></main></body></html>"
    )
    url, options = "https://courier.example/ferry", CleanOptions(repetition=False)
    tree = parse_html(html)
    _prune(tree, StructureRules(), url)
    first = extract_page(tree, url)
    assert first.text == ""  # fast mode missed the story: the fallback is what finds it
    resumed = _with_fallback(first.text, html, url, StructureRules(), options, tree, first)
    fresh = _with_fallback(first.text, html, url, StructureRules(), options)  # parses and cuts again
    assert resumed == fresh and resumed.splitlines() == STORY[:4]


def test_the_one_scan_family_finder_names_what_each_familys_own_pattern_finds():
    from newsmon.clean import _FURNITURE_ONE, _attribute_words, _families_in

    samples = [
        "",
        "article-body",
        "share-bar social",
        "read more",  # a family word across two class tokens
        "readmore related-posts ad-slot",
        "sign up newsletter-signup",
        "ad",
        "adsense",  # not a whole word
        "header--social-icons-left",
        "post-navigation prev-next cta-box affiliate-disclosure star-rating",
        "author-bio-box about-the-author",
        "cookie-consent gdpr",
        "most-read trending top-stories",
        "subscriber-content",
        "video-player jw-player",
    ]
    for words in samples:
        words = _attribute_words((("class", words),))
        assert _families_in(words) == {name for name, rx in _FURNITURE_ONE.items() if rx.search(words)}, words


def test_attribute_words_cut_long_tokens_and_bem_modifiers():
    from newsmon.clean import _attribute_words

    assert _attribute_words((("class", "header--social-icons-left  Main-Nav"),)) == "header main-nav"
    assert _attribute_words((("id", "x" * 100),)) == "x" * 80
    assert (
        _attribute_words((("data-widget", "ShareBar"), ("data-config", '{"a": 1}')))
        == "widget share-bar config"
    )


def test_attribute_words_token_by_token_are_the_words_of_the_joined_attributes():
    from newsmon.clean import _CAMEL, _NON_WORD, _attribute_words

    def joined(items):  # the whole-string spelling, as it was before the per-token cache
        values = [v for _, v in items]
        text = " ".join(t[:80].split("--")[0] for v in values for t in v.split())
        return _NON_WORD.sub("-", _CAMEL.sub("-", text).lower())

    for value in (
        "ShareBar  readMore",
        "ΟΔΟΣ ΣΣ x.Σ Σ",  # final sigma: lower case looks at neighbours, never across a space
        "İstanbul--big Über_box",
        "--lead a--b " + "y" * 90 + "--z",
        "tab\tnew\nline",
    ):
        assert _attribute_words((("class", value),)) == joined((("class", value),)), value


def test_the_family_word_table_names_what_each_familys_own_pattern_finds():
    """_words_named (families as lists of words, looked up piece by piece) against the regexes it replaces, on
    words built from the families' own strings, their pieces and other tokens, joined by dashes and spaces."""
    import random

    from newsmon.clean import _EMBED, _EMBED_RX, _FURNITURE_ONE, _word_table, _words_named

    table = _word_table()
    assert table is not None  # every built-in family is a finite list of words
    words_of, starts, most = table
    assert "read-more" in words_of and "readmore" in words_of and most >= 3
    vocabulary = (
        sorted(words_of) + sorted(starts) + ["wp", "block", "x", "content", "", "md", "6", "b-ad", "adsense"]
    )
    rnd = random.Random(23)
    samples = []
    for _ in range(20_000):
        parts = [rnd.choice(vocabulary) for _ in range(rnd.randint(1, 6))]
        text = parts[0]
        for part in parts[1:]:
            text += rnd.choice(["-", " ", "", "- ", "--"]) + part
        samples.append(rnd.choice(["", "-", " "]) + text + rnd.choice(["", "-", " "]))
    named = 0
    for words in samples:
        found = _words_named(words, *table)
        assert found - {_EMBED} == {name for name, rx in _FURNITURE_ONE.items() if rx.search(words)}, words
        assert (_EMBED in found) == (_EMBED_RX.search(words) is not None), words
        named += bool(found)
    assert named > 5_000  # the samples do name families, not only miss them
