"""The phrase layer's prefilter (clean.PhraseMatcher) gives the plain alternation's verdict on every paragraph.

The prefilter tries only the patterns that can begin with a paragraph's first character, and a pattern that can
begin with anything only when the paragraph holds one of its required words. Both are read from the patterns,
so here the verdict is compared with `load_phrases(...).fullmatch` over benchmark-like lines, random text, and
examples generated from each pattern itself, for the default file and for files of unusual patterns.

All text here is written for these tests (no publisher text).
"""

from __future__ import annotations

import random
import re
from re import _constants as sre_c
from re import _parser as sre_parse

import pytest
from newsmon.clean import (
    _EDGE_PUNCT,
    CleanOptions,
    PhraseMatcher,
    is_boilerplate_phrase,
    load_phrases,
    phrase_key,
    phrase_match_key,
    phrase_matcher,
    phrase_patterns,
)

# Characters the regex engine's IGNORECASE treats specially (long s, dotless i, dotted capital I, Kelvin sign,
# micro sign, final sigma, sharp s), other scripts, and the punctuation and spaces that page text holds.
ODD = "ſıİKµΣςσßÅå’‘“”–—…•·\u00a0\u2009\u200b\u3000"
SCRIPTS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИКЛМНОПРСТ评论留言分享阅读相关版权广告关注微信äöüéèàçñ"
ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;!?()-_/@#&'\"\t" + ODD + SCRIPTS
)

STORY_LINES = [
    "The ferry will run three times a week from May until the river freezes, the transport office said.",
    "Comments by the ambassador drew a sharp reply from the ministry on Tuesday.",
    "Subscribers to the state broadcaster fell by a third after the price rise.",
    "Read more widely, the report suggests that trade between the neighbours will keep growing.",
    "We may earn more from exports this year, the minister told the chamber of commerce.",
    "Delegates said all rights reserved to the states under the old treaty would be reviewed line by line by a "
    "new panel of judges.",
    "Sign-up rates for the new newsletter of the city council doubled in March.",
    "Подписание соглашения состоялось в Пекине во вторник.",
    "中国和俄罗斯在边境城市签署了新的贸易协定。",
    "Die Fähre fährt dreimal pro Woche, sagte ein Sprecher der Stadt.",
    "Le ministre a partagé ses doutes sur le calendrier du projet.",
    "2 comments on the draft were filed before the deadline, officials said?",
]
FURNITURE_LINES = [
    "Comments",
    "12 comments",
    "Sign up",
    "Subscribe to our newsletter",
    "Read more",
    "Click here to read the full report",
    "Share this article",
    "Advertisement",
    "© 2026 The Lantern. All rights reserved.",
    "Get the best of the week delivered to your inbox every Friday",
    "We may earn a commission from purchases made through links on this page",
    "Sign up for our newsletter and never miss a story",
    "Updated at 10:32 a.m.",
    "5 min read",
    "What do you think?",
    "Комментарии",
    "Подпишитесь на наш телеграм-канал",
    "Все права защищены.",
    "责任编辑：王明",
    "扫码关注我们的微信公众号",
    "Weiterlesen",
    "Lire aussi : le programme de la semaine",
    "Compartir en redes",
]


def _plain(path: str | None, key: str) -> bool:
    return load_phrases(path).fullmatch(key) is not None


def _variants(line: str, rnd: random.Random) -> list[str]:
    """A line as the phrase layer may meet it: other case, an engine-equivalent letter, words around it."""
    swapped = "".join(c.upper() if rnd.random() < 0.3 else c for c in line)
    folded = line.replace("s", "ſ", 1).replace("i", "ı", 1).replace("k", "K", 1)  # IGNORECASE matches these
    return [
        line,
        line.lower(),
        line.upper(),
        swapped,
        folded,
        line + "?",
        "x " + line,
        line + " " + rnd.choice(["now", "today", "here", "ok", "и", "了"]),
        line[: max(1, len(line) // 2)],
        line[1:],
    ]


def _random_text(rnd: random.Random, words: list[str]) -> str:
    if rnd.random() < 0.5:
        return "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(1, 60)))
    return " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 8)))


def _vocabulary(patterns: list[str]) -> list[str]:
    """The literal words of the patterns, so that random lines often begin like one and hold its words."""
    words = {w for p in patterns for w in re.findall(r"[^\W\d_]{2,}", p)}
    return sorted(words) + ["2", "10", "a", "?", ":", "—"]


def _example(items, rnd: random.Random) -> str:
    """A random string built along a parsed pattern: most of them match it, the rest are near misses."""
    out = []
    for op, av in items:
        if op is sre_c.LITERAL:
            out.append(chr(av))
        elif op is sre_c.IN:
            out.append(_class_member(items, av, rnd))
        elif op in (sre_c.ANY, sre_c.NOT_LITERAL):
            out.append(rnd.choice("ab ,x1é"))
        elif op is sre_c.BRANCH:
            out.append(_example(rnd.choice(av[1]), rnd))
        elif op is sre_c.SUBPATTERN:
            out.append(_example(av[3], rnd))
        elif op is sre_c.ATOMIC_GROUP:
            out.append(_example(av, rnd))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            lo, hi, sub = av
            count = rnd.randint(lo, min(hi, lo + 3))
            out.extend(_example(sub, rnd) for _ in range(count))
    return "".join(out)


def _class_member(items, av, rnd: random.Random) -> str:
    from newsmon.clean import _class_source

    source = _class_source(av)
    pool = [c for c in ALPHABET if re.fullmatch(source, c, re.I)]
    return rnd.choice(pool) if pool else "a"


def _assert_same_verdicts(path: str | None, lines: list[str]) -> int:
    """Every line (as phrase_match_key makes it, and as it is) gets the plain alternation's verdict. Returns
    how many matched, so that a caller can check the lines were not all misses."""
    matcher = phrase_matcher(path)
    matched = 0
    for line in lines:
        for key in {phrase_match_key(line), line}:
            if not key:
                continue
            expected = _plain(path, key)
            assert matcher.matches(key) == expected, (path, key)
            matched += expected
    return matched


def test_phrase_key_is_the_two_substitutions_it_replaces():
    rnd = random.Random(7)
    samples = [
        "",
        "   ",
        "__init__",
        "• Read more »",
        "— Share —",
        "\u00a0Comments\u2009(3)\u3000",
        "tab\tnew\nline\r\x0bend\x1c",
        "Ünïcödé…",
        "?!",
        "a",
        "_a_",
        "(c) 2026",
        *STORY_LINES,
        *FURNITURE_LINES,
    ]
    samples += [
        "".join(rnd.choice(ALPHABET + "\n\r\x0c\x1d\x1e\x1f\x85") for _ in range(30)) for _ in range(3000)
    ]
    for text in samples:
        assert phrase_key(text) == _EDGE_PUNCT.sub("", re.sub(r"\s+", " ", text)).strip(), repr(text)


def test_the_prefilter_gives_the_plain_verdict_on_benchmark_like_lines():
    rnd = random.Random(11)
    lines = [v for line in STORY_LINES + FURNITURE_LINES for v in _variants(line, rnd)]
    matched = _assert_same_verdicts(None, lines)
    assert matched >= len(FURNITURE_LINES)  # the furniture lines and their variants do match
    assert all(is_boilerplate_phrase(line) for line in FURNITURE_LINES)
    assert not any(is_boilerplate_phrase(line) for line in STORY_LINES)


def test_the_prefilter_gives_the_plain_verdict_on_random_text():
    rnd = random.Random(13)
    patterns = [p for _, p in phrase_patterns()]
    words = _vocabulary(patterns)
    _assert_same_verdicts(None, [_random_text(rnd, words) for _ in range(20_000)])


def test_the_prefilter_gives_the_plain_verdict_on_each_patterns_own_examples():
    rnd = random.Random(17)
    patterns = phrase_patterns()
    matching_patterns = 0
    for _name, pattern in patterns:
        compiled = re.compile(pattern, re.I)
        tree = sre_parse.parse(pattern, re.I)
        examples = [_example(tree, rnd) for _ in range(40)]
        lines = [v for example in examples if example for v in _variants(example, rnd)]
        _assert_same_verdicts(None, lines)
        matching_patterns += any(compiled.fullmatch(e) for e in examples)
    # the generated examples really exercise the patterns (all but a few with lookarounds and anchors)
    assert matching_patterns >= 0.9 * len(patterns)


def test_the_prefilter_tries_few_patterns_for_a_story_line():
    """It is in effect for the default file: a line starting with "T" is tried against a small part of the
    ~150 patterns, and the patterns that can begin anywhere wait for their words."""
    matcher = phrase_matcher(None)
    assert matcher.prefiltered
    candidates = matcher.candidates("T")
    assert candidates is not None and candidates.pattern.count("|(?:") + 1 < len(phrase_patterns()) / 5
    gated = {needle for needles in matcher._gated for needle in needles}
    assert {"all rights reserved", "newsletter"} <= gated


UNUSUAL = [
    r"(?=a)\w+ start",
    r"[^a-z]foo",
    r".{0,5}",
    r"(?-i:Foo)bar",
    r"(?s:.)x",
    r"\W+lead",
    r"(\d+ )?x*y",
    r"(|a)bc",
    r"ſtar",
    r"\u212aelvin",
    r"\bword\b.{0,20}",
    r"a++b",
    r"(?>ab)c",
    r"q*?r",
    r"(?<=x)y|zz",
    r"(?!no)\w{2,4}",
    r"[\d\s]+items",
    r".*needle.*",
    r".{0,30}(haystack|стог)\b.{0,30}",
    r"(?:ıt|it) works",
    r".{0,10}ſecret\b.{0,10}",  # a needle that ASCII text holds, though str.lower() does not say so
    r".{0,10}\u212a[a-z]{2}",
]


@pytest.mark.parametrize("backreference", [False, True])
def test_the_prefilter_gives_the_plain_verdict_for_unusual_patterns(tmp_path, backreference):
    """A user's phrases file may hold lookarounds, groups with their own flags, anchors, possessive and lazy
    repeats, engine-equivalent letters; with a group reference the whole file uses the plain alternation."""
    patterns = UNUSUAL + ([r"(\w+) \1"] if backreference else [])
    path = tmp_path / "phrases.yaml"
    path.write_text("xx:\n" + "".join(f"  - '{p}'\n" for p in patterns), encoding="utf-8")
    matcher = phrase_matcher(str(path))
    assert matcher.prefiltered is not backreference
    rnd = random.Random(19)
    words = _vocabulary(patterns) + ["Foo", "foo", "FOO", "star", "STAR", "kelvin", "it", "ıt", "no", "secret"]
    lines = [_random_text(rnd, words) for _ in range(5000)]
    for pattern in patterns:
        tree = sre_parse.parse(pattern, re.I)
        lines += [v for _ in range(30) if (e := _example(tree, rnd)) for v in _variants(e, rnd)]
    assert _assert_same_verdicts(str(path), lines) > 100
    options = CleanOptions(phrases_file=path)
    assert is_boilerplate_phrase("Star", options) and is_boilerplate_phrase("KELVIN", options)
    assert is_boilerplate_phrase("top secret", options) and is_boilerplate_phrase("a kit", options)


def test_a_matcher_of_no_patterns_matches_nothing():
    matcher = PhraseMatcher([], re.compile(r"(?!x)x"))
    assert not matcher.matches("anything") and not matcher.matches("a")
