"""Country mentions: the watchlist, the tagger and `newsmon tag`.

The watchlist (config/watchlist.yaml) is compiled once into a single regular expression shaped like a trie
(common prefixes factored out, longer continuations tried first), so the text is scanned in one pass and the
work per character does not grow with the number of aliases. Python's regex engine skips straight to
characters that can start an alias, which is what makes the scan fast: in English text that is capital
letters only. Each hit is then checked against the context rules of the watchlist (exclusions, languages,
people named Washington, office-holder dates, the pronoun "us" in all-caps headlines).

Policy: ../shared/docs/MENTION_POLICY.md. Contract: docs/internals.md.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import BinaryIO

import yaml

from newsmon.config import DEFAULT_WATCHLIST_FILE, ConfigError
from newsmon.models import Mention

ALIAS_KINDS = ("name", "demonym", "capital", "institution", "combined")
MENTION_KINDS = (*ALIAS_KINDS, "person")
PAIR_LEVELS = ("sentence", "paragraph", "article")
_CODE = re.compile(r"^[A-Z]{2}$")
_CONTEXT = 80  # characters of context the rules look at on either side of a hit
_MAX_EVIDENCE = 1000  # longest evidence kept with a mention (a window around it in an endless sentence)


# ---------------------------------------------------------------------------------------------------- watchlist


@dataclass(frozen=True)
class Person:
    """An office holder: bare names count inside a term, titled names at any date."""

    country: str
    aliases: tuple[str, ...]
    titles: tuple[str, ...]
    terms: tuple[tuple[date, date | None], ...]

    def in_office(self, day: date) -> bool:
        return any(start <= day and (end is None or day <= end) for start, end in self.terms)


@dataclass(frozen=True)
class Rule:
    """A context rule from the watchlist: when its conditions hold, the hit is dropped (or loses its title)."""

    id: str
    why: str
    aliases: frozenset[str]
    kinds: frozenset[str]
    before: re.Pattern | None
    after: re.Pattern | None
    action: str = "exclude"  # exclude | drop_title
    exact_case: bool = False  # only for the alias as written ("Washington", not the dateline "WASHINGTON")

    def applies_to(self, alias: str, kind: str) -> bool:
        return (not self.aliases or alias in self.aliases) and (not self.kinds or kind in self.kinds)

    def holds(self, text: str, start: int, end: int) -> bool:
        # The anchored `after` match is the cheaper test, so it goes first.
        if self.after is not None and not self.after.match(text[end : end + _CONTEXT]):
            return False
        return self.before is None or bool(self.before.search(text[max(0, start - _CONTEXT) : start]))


@dataclass(frozen=True)
class PronounRule:
    """Tells the country from the pronoun for an alias that is also an English word in capitals ("US")."""

    country_after_words: frozenset[str]  # "THE US"
    always_pronoun_after: frozenset[str]  # "JOIN US", "HELP US ..."
    pronoun_before_words: frozenset[str]  # all-caps words after which "US" may be the pronoun ("TELLS US")
    function_words: frozenset[str]  # next words that mark the pronoun ("TELL US WHAT ...")


@dataclass(frozen=True)
class ProperNames:
    """Head words that tell what a capitalised name is: a country word inside "American Heart Association" names
    an organisation, inside "U.S. Department of Justice" the state's own body (which counts)."""

    organisation_heads: tuple[str, ...] = ()
    state_heads: tuple[str, ...] = ()
    sentence_starters: tuple[str, ...] = ()  # extra words that open a sentence after "U.S." or "p.m."
    organisation_heads_cjk: tuple[str, ...] = ()  # Chinese heads, within four characters after the name


@dataclass(frozen=True)
class Scoring:
    title_weight: float = 0.4
    lead_weight: float = 0.2
    share_weight: float = 0.4
    about_min_mentions: int = 3
    about_min_share: float = 0.3


@dataclass(frozen=True)
class Alias:
    """One surface form in the matcher. `excluded` entries exist only to win the match and drop it."""

    text: str  # the alias as written in the watchlist (also for its ALL-CAPS copy)
    country: str
    kind: str  # one of MENTION_KINDS, or "" for exclusions
    person: Person | None = None
    titled: bool = False
    excluded: bool = False
    coref: bool = False  # a bare surname that counts only after the full name in the same article

    @property
    def needs_separator(self) -> bool:
        """A combining form such as "Sino" or "российско" counts only before a hyphen; "中俄" stands alone."""
        return _needs_right_boundary(self.text)


@dataclass
class Watchlist:
    version: str  # declared version + short hash of the file, e.g. "2026-11-28.1+3f9a0c21"
    declared_version: str
    countries: dict[str, str]  # code -> label
    aliases: list[Alias]
    rules: list[Rule]
    pronoun_rules: dict[str, PronounRule]
    separators: tuple[str, ...]
    scoring: Scoring
    proper_names: ProperNames = None  # type: ignore[assignment]
    source: str = ""

    @property
    def codes(self) -> list[str]:
        return sorted(self.countries)


def load_watchlist(path: str | Path | None = None) -> Watchlist:
    """Read and check a watchlist file (default: the bundled config/watchlist.yaml)."""
    path = Path(path or DEFAULT_WATCHLIST_FILE)
    if not path.exists():
        raise ConfigError(f"watchlist not found: {path}")
    return parse_watchlist(path.read_text(encoding="utf-8"), source=str(path))


def parse_watchlist(text: str, source: str = "<watchlist>") -> Watchlist:
    """Build a Watchlist from YAML text; every problem is a ConfigError naming the file and the place."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    declared = str(raw.get("version") or "").strip()
    if not declared:
        raise ConfigError(f"{source}: needs a 'version' (for example \"2026-11-28.1\")")
    countries_raw = raw.get("countries")
    if not isinstance(countries_raw, dict) or not countries_raw:
        raise ConfigError(f"{source}: needs a 'countries:' mapping of country codes")
    countries: dict[str, str] = {}
    aliases: list[Alias] = []
    for code, spec in countries_raw.items():
        code = str(code)
        if not _CODE.match(code):
            raise ConfigError(f"{source}: country code {code!r} is not two capital letters (ISO 3166-1)")
        if not isinstance(spec, dict):
            raise ConfigError(f"{source}: countries.{code} must be a mapping")
        countries[code] = str(spec.get("label") or code)
        aliases.extend(_country_aliases(code, spec, source))
    for phrase in _str_list(raw.get("exclusions"), f"{source}: exclusions"):
        aliases.append(Alias(text=phrase, country="", kind="", excluded=True))
    known = {a.text for a in aliases}
    rules = [_rule(r, i, known, source) for i, r in enumerate(raw.get("rules") or [], 1)]
    pronoun_rules = {
        str(alias): _pronoun_rule(spec, f"{source}: pronoun_rules.{alias}")
        for alias, spec in (raw.get("pronoun_rules") or {}).items()
    }
    separators = tuple(
        _str_list((raw.get("combining") or {}).get("separators", ["-"]), f"{source}: combining")
    )
    scoring = Scoring(**_scoring(raw.get("scoring") or {}, source))
    names_raw = raw.get("proper_names") or {}
    if not isinstance(names_raw, dict):
        raise ConfigError(f"{source}: proper_names must be a mapping")
    proper_names = ProperNames(
        *(
            tuple(_str_list(names_raw.get(key), f"{source}: proper_names.{key}"))
            for key in ("organisation_heads", "state_heads", "sentence_starters", "organisation_heads_cjk")
        )
    )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return Watchlist(
        version=f"{declared}+{digest}",
        declared_version=declared,
        countries=countries,
        aliases=aliases,
        rules=rules,
        pronoun_rules=pronoun_rules,
        separators=separators,
        scoring=scoring,
        proper_names=proper_names,
        source=source,
    )


def _str_list(value, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list")
    out = []
    for item in value:
        if isinstance(item, bool):
            raise ConfigError(f'{where}: {item!r} was read as true/false; put the word in quotes ("ON")')
        if not isinstance(item, str | int | float) or not str(item).strip():
            raise ConfigError(f"{where}: {item!r} is not a non-empty string")
        out.append(str(item))
    return out


def _country_aliases(code: str, spec: dict, source: str) -> list[Alias]:
    out: list[Alias] = []
    by_kind = spec.get("aliases") or {}
    if not isinstance(by_kind, dict):
        raise ConfigError(f"{source}: countries.{code}.aliases must map kinds to lists")
    for kind, values in by_kind.items():
        if kind not in ALIAS_KINDS:
            raise ConfigError(
                f"{source}: countries.{code}.aliases.{kind}: unknown kind (use {', '.join(ALIAS_KINDS)})"
            )
        for text in _str_list(values, f"{source}: countries.{code}.aliases.{kind}"):
            out.append(Alias(text=text, country=code, kind=kind))
    for i, p in enumerate(spec.get("people") or [], 1):
        where = f"{source}: countries.{code}.people #{i}"
        if not isinstance(p, dict):
            raise ConfigError(f"{where}: must be a mapping with aliases, titles and terms")
        person = Person(
            country=code,
            aliases=tuple(_str_list(p.get("aliases"), f"{where}.aliases")),
            titles=tuple(_str_list(p.get("titles"), f"{where}.titles")),
            terms=_terms(p.get("terms"), where),
        )
        if not person.aliases:
            raise ConfigError(f"{where}: needs at least one alias")
        titled_only = _str_list(p.get("titled_only"), f"{where}.titled_only")
        for name in (*person.aliases, *titled_only):
            if name in person.aliases:
                out.append(Alias(text=name, country=code, kind="person", person=person))
            elif _is_latin(name):  # "Clinton" after "Hillary Clinton" in the same article
                out.append(Alias(text=name, country=code, kind="person", person=person, coref=True))
            if _is_latin(name):  # "President Putin"; titles are English
                for title in person.titles:
                    out.append(
                        Alias(text=f"{title} {name}", country=code, kind="person", person=person, titled=True)
                    )
    return out


def _terms(value, where: str) -> tuple[tuple[date, date | None], ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: needs terms: [[from, to], ...] (to: null while in office)")
    terms = []
    for term in value:
        if not isinstance(term, list) or len(term) != 2:
            raise ConfigError(f"{where}: term {term!r} must be [from, to]")
        start, end = (_as_date(t, where) if t is not None else None for t in term)
        if start is None:
            raise ConfigError(f"{where}: term {term!r} needs a start date")
        if end is not None and end < start:
            raise ConfigError(f"{where}: term {term!r} ends before it starts")
        terms.append((start, end))
    return tuple(terms)


def _as_date(value, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _rule(raw, i: int, known: set[str], source: str) -> Rule:
    where = f"{source}: rules #{i}"
    if not isinstance(raw, dict) or not raw.get("id"):
        raise ConfigError(f"{where}: each rule needs an id")
    where = f"{source}: rule {raw['id']!r}"
    aliases = frozenset(_str_list(raw.get("aliases"), f"{where}.aliases"))
    unknown = aliases - known
    if unknown:
        raise ConfigError(f"{where}: names aliases no country has: {', '.join(sorted(unknown))}")
    kinds = frozenset(_str_list(raw.get("kinds"), f"{where}.kinds"))
    bad_kinds = kinds - set(MENTION_KINDS) - {"person_titled"}
    if bad_kinds:
        raise ConfigError(f"{where}: unknown kinds {', '.join(sorted(bad_kinds))}")
    if not raw.get("before") and not raw.get("after"):
        raise ConfigError(f"{where}: needs a 'before' or an 'after' pattern")
    exact_case = raw.get("exact_case", False)
    if not isinstance(exact_case, bool):
        raise ConfigError(f"{where}: exact_case must be true or false")
    action = str(raw.get("action") or "exclude")
    if action not in ("exclude", "drop_title"):
        raise ConfigError(f"{where}: action must be exclude or drop_title, not {action!r}")
    return Rule(
        id=str(raw["id"]),
        why=str(raw.get("why") or ""),
        aliases=aliases,
        kinds=kinds,
        before=_regex(raw.get("before"), f"{where}.before"),
        after=_regex(raw.get("after"), f"{where}.after"),
        action=action,
        exact_case=exact_case,
    )


def _regex(pattern, where: str) -> re.Pattern | None:
    if not pattern:
        return None
    try:
        return re.compile(str(pattern))
    except re.error as exc:
        raise ConfigError(f"{where}: not a valid regular expression: {exc}") from None


def _pronoun_rule(spec, where: str) -> PronounRule:
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: must be a mapping")

    def words(key: str) -> frozenset[str]:
        return frozenset(w.upper() for w in _str_list(spec.get(key), f"{where}.{key}"))

    return PronounRule(
        words("country_after_words"),
        words("always_pronoun_after"),
        words("pronoun_before_words") | words("always_pronoun_after"),
        words("function_words"),
    )


def _scoring(raw: dict, source: str) -> dict:
    known = Scoring.__dataclass_fields__
    out = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"{source}: scoring.{key} is not a setting ({', '.join(known)})")
        if not isinstance(value, int | float):
            raise ConfigError(f"{source}: scoring.{key} must be a number")
        out[key] = value
    return out


# ---------------------------------------------------------------------------------------------------- matcher


_URL_CHARS = frozenset("/-_=.+%#?&~")


def _in_url(text: str, start: int) -> bool:
    """Whether the hit at `start` sits inside a web address (checked only after URL-ish punctuation)."""
    lo = max(0, start - 300)
    token_start = (
        max(text.rfind(" ", lo, start), text.rfind("\n", lo, start), text.rfind("\t", lo, start)) + 1
    )
    prefix = text[max(lo, token_start) : start]
    return "://" in prefix or prefix.startswith("www.")


def _is_latin(s: str) -> bool:
    return all(ord(c) < 0x250 or unicodedata.category(c)[0] in "PZ" for c in s)


def _is_cjk(ch: str) -> bool:
    # Chinese has no spaces between words, so CJK aliases match anywhere ("中国人" holds "中国").
    return "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _needs_left_boundary(alias: str) -> bool:
    return _word_char(alias[0]) and not _is_cjk(alias[0])


def _needs_right_boundary(alias: str) -> bool:
    return _word_char(alias[-1]) and not _is_cjk(alias[-1])


def _caps_copy(alias: str) -> str | None:
    """The ALL-CAPS form for headlines; only for aliases of 3+ letters ("XI" is also a Roman numeral)."""
    upper = alias.upper()
    letters = sum(c.isalpha() for c in alias)
    return upper if upper != alias and letters >= 3 else None


# News text often has a no-break or thin space inside names ("United\u00a0States"): a space in an alias
# matches any run of them, and the hit is looked up with its spaces folded back to one.
_SPACE_CLASS = "[ \u00a0\u2009\u202f]+"
_SPACES = re.compile(_SPACE_CLASS)


def _char_pattern(ch: str) -> str:
    return _SPACE_CLASS if ch == " " else re.escape(ch)


def fold_spaces(surface: str) -> str:
    return _SPACES.sub(" ", surface)


def _capitalised_copy(alias: str) -> str | None:
    """ "Российский" for "российский": Russian adjectives are lowercase except at the start of a sentence."""
    return alias[0].upper() + alias[1:] if alias[0].islower() else None


def trie_pattern(words: Iterable[str]) -> str:
    """One regex for many literal words: a trie, longer continuations before the end of a word, so at each
    start the longest alias wins ("South China Sea" over "South China"), with a word-boundary check at the
    end of word-like aliases."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = word

    def emit(node: dict) -> str:
        branches = [_char_pattern(ch) + emit(node[ch]) for ch in sorted(k for k in node if k)]
        if "" in node:
            branches.append(r"(?!\w)" if _needs_right_boundary(node[""]) else "")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return emit(root)


# ---------------------------------------------------------------------------------------------------- segmentation

# Sentence ends, as one regular expression so that splitting costs no Python work per full stop. It opens
# with a character class (the engine skips straight to candidates); the look-behinds after the stop reject
# abbreviations ("Mr.", "Jan.", "etc."), initials ("John F. Kennedy") and acronyms ("U.S.") unless the next
# word usually opens a sentence; a stop needs whitespace after it and no lowercase word or digit next
# ("approx. five", "3.5", "U.S.-China"). Chinese full stops need no space.
_ABBREVIATIONS = """Mr Mrs Ms Mx Dr Prof Gen Lt Col Maj Sgt Capt Cmdr Adm Sen Rep Gov Pres Amb St Jr Sr Rev Fr Hon
    Inc Corp Ltd Co Bros Messrs Mme Mlle Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues Wed Thu
    Thur Thurs Fri Sat Sun Mt Ft Ave Blvd Rd Hwy Univ Dept Fig No Nos Vol Art Sec Ch Op Ed Gov't Govt
    etc vs al approx cf e.g i.e viz est dept fig pp ch ca""".split()
_SENTENCE_STARTERS = """The A An It He She They We I In But And This That These Those There His Her Its Their Our On
    At As For However Meanwhile After Before When While If Some Many Most Officials Still Yet So Then Now Last
    Next Such According Both One Two Analysts Critics Asked Speaking Under Since Despite Although Though
    Earlier Later Instead Today Yesterday What Why How Where Who""".split()
_CLOSERS = r"[)\"'”’»\]]*"


def _not_after_abbreviation(words: list[str]) -> str:
    """Negative look-behinds for "Mr." etc.: one per word length (look-behinds must be fixed-width)."""
    by_len: dict[int, list[str]] = {}
    for w in words:
        by_len.setdefault(len(w), []).append(re.escape(w))
    return "".join(rf"(?<!\b(?:{'|'.join(ws)})\.)" for _, ws in sorted(by_len.items()))


# After "a.m." / "p.m." a capitalised word opens a new sentence ("at 5 p.m. Putin said") unless it continues the
# time ("5 p.m. Eastern", "p.m. Monday").
_TIME_WORDS = """ET EST EDT PT PST PDT CT CST CDT MT GMT UTC BST CET CEST MSK Eastern Pacific Central Mountain
    Moscow Beijing Washington local Monday Tuesday Wednesday Thursday Friday Saturday Sunday""".split()


def break_pattern(extra_starters: Iterable[str] = ()) -> re.Pattern:
    """The sentence-end expression; `extra_starters` are words that open a sentence after an acronym such as
    "U.S." (the watchlist's names: "... in the U.S. Beijing sent ..." is two sentences)."""
    starters = sorted({*_SENTENCE_STARTERS, *extra_starters}, key=len, reverse=True)
    return re.compile(
        r"[\n.!?…。！？](?<![.!?…。！？][.!?…。！？])"  # only at the first mark of a run ("?!", "...")
        r"(?:(?<=\n)\s*"  # a paragraph break, with any blank lines after it
        r"|(?<=[.!?…])"
        + _not_after_abbreviation(_ABBREVIATIONS)
        + r"(?:(?<!\b[^\W\d_]\.)"
        + rf"|(?<=\b[ap]\.m\.)(?={_CLOSERS}\s+(?!(?:{'|'.join(_TIME_WORDS)})\b)[\"“‘'(]*[A-Z])"
        + rf"|(?<=[^\W\d_]\.[^\W\d_]\.)(?<![ap]\.m\.)(?={_CLOSERS}\s+[\"“‘'(]*(?:{'|'.join(map(re.escape, starters))})\b))"
        + rf"[.!?…]*+{_CLOSERS}+(?:[^\S\n]*\n\s*|\s+(?![a-z\d\s])|\s*$)"
        + r"|(?<=[。！？])[。！？]*[」』”’]*\s*)"
    )


_BREAK = break_pattern()

# A dateline opening a paragraph is a unit of its own: "WASHINGTON (AP) — President ..." or
# "MOSCOW, Nov. 5 (Reuters) - ...": the break is the dash after it.
_DATELINE = re.compile(
    r"^[ \t]*[A-Z][A-Z.'’ -]{1,30}[A-Z.](?:,[ \t]+[A-Z][\w.]*(?:[ \t]+[\w.]+){0,2})?"
    r"(?:[ \t]*\([\w .]{1,30}\))?[ \t]*(?P<dash>[—–]|--?)[ \t]*",
    re.M,
)
# A dateline after a byline on the same line ("By Jill Colvin, Associated Press WASHINGTON (AP) — China ..."):
# found from the agency's name, then the place in capitals before it.
_AGENCY_DASH = re.compile(
    r"\((?:AP|Reuters|AFP|UPI|Xinhua|TASS|Interfax|Bloomberg|CNN|dpa|Yonhap|Kyodo|RIA Novosti"
    r"|Thomson Reuters Foundation)\)[ \t]*(?P<dash>[—–]|--?)[ \t]*"
)
_PLACE_BEFORE_AGENCY = re.compile(
    r"(?:^|(?<=\s))[A-Z][A-Z.'’ -]{1,30}[A-Z.](?:,[ \t]+[A-Z][\w.]*(?:[ \t]+[\w.]+){0,2})?[ \t]*$"
)


_PARAGRAPH_BREAK = re.compile(r"\n\s*")


class Segments:
    """Paragraphs (non-blank lines) and sentences of one text, with lookup by character offset.

    Only the break positions are collected (two regex passes, no Python work per character); spans are
    worked out on demand. Every break opens exactly one new non-empty sentence, because breaks swallow the
    whitespace after them, so sentence i is the text between break i-1 and break i. Spans are trimmed of
    surrounding whitespace; sentences never cross a paragraph break.
    """

    def __init__(self, text: str, pattern: re.Pattern = _BREAK):
        self.text = text
        self._first = len(text) - len(text.lstrip())
        self._breaks = [m.span() for m in pattern.finditer(text, self._first)]
        self._add_datelines()
        self._break_ends = [end for _, end in self._breaks]
        self._paragraph_starts = [self._first] + [
            m.end() for m in _PARAGRAPH_BREAK.finditer(text, self._first) if m.end() < len(text)
        ]
        if self._first == len(text):  # blank text: nothing at all
            self._paragraph_starts = []

    def _add_datelines(self) -> None:
        """Breaks after datelines that open a paragraph or follow a byline, unless a sentence break already falls
        inside them."""
        text = self.text
        if "—" not in text and "–" not in text and "-" not in text:
            return
        extra = []
        found = [(m.start(), m.start("dash"), m.end()) for m in _DATELINE.finditer(text)]
        if "(" in text:
            for m in _AGENCY_DASH.finditer(text):
                place = _PLACE_BEFORE_AGENCY.search(text, max(0, m.start() - 60), m.start())
                if place:
                    found.append((place.start(), m.start("dash"), m.end()))
        for first, start, end in sorted(set(found)):
            if end >= len(text) or not text[end].isalpha():
                continue  # a dash line or nothing after it
            i = bisect.bisect_left(self._breaks, (first, -1))
            if i < len(self._breaks) and self._breaks[i][0] < end and self._breaks[i][1] > first + 1:
                continue
            if (start, end) not in extra:
                extra.append((start, end))
        if extra:
            self._breaks = sorted(self._breaks + extra)

    @classmethod
    def of(cls, text: str, pattern: re.Pattern = _BREAK) -> Segments:
        return cls(text, pattern)

    def locate(self, offset: int) -> tuple[int, int]:
        """(sentence, paragraph) holding the character at `offset`."""
        sentence = bisect.bisect_right(self._break_ends, offset)
        paragraph = bisect.bisect_right(self._paragraph_starts, offset) - 1
        return sentence, max(paragraph, 0)

    def sentence_span(self, i: int) -> tuple[int, int]:
        text = self.text
        start = self._breaks[i - 1][1] if i else self._first
        if i < len(self._breaks):
            b_start, b_end = self._breaks[i]
            end = b_start if text[b_start] == "\n" else b_end
        else:
            end = len(text)
        while end > start and text[end - 1].isspace():
            end -= 1
        return start, end

    @property
    def sentences(self) -> list[tuple[int, int]]:
        count = len(self._breaks)
        if self._first < len(self.text) and (not self._breaks or self._breaks[-1][1] < len(self.text)):
            count += 1  # text after the last break
        return [self.sentence_span(i) for i in range(count)]

    @property
    def sentence_paragraph(self) -> list[int]:
        return [self.locate(start)[1] for start, _ in self.sentences]

    @property
    def paragraphs(self) -> list[tuple[int, int]]:
        starts = self._paragraph_starts
        ends = [*starts[1:], len(self.text)] if starts else []
        return [(s, s + len(self.text[s:e].rstrip())) for s, e in zip(starts, ends, strict=True)]


# ---------------------------------------------------------------------------------------------------- tagger


@dataclass
class TagResult:
    mentions: list[Mention]
    countries: dict[str, dict]  # code -> {"mentions": n, "salience": float, "about": bool}
    pairs: dict[str, list[str]]  # level -> ["CN-RU", ..., "CN-RU-US"]
    watchlist_version: str


# The rest of a capitalised name after a hit ("... Heart Association", "... Institute of Technology"): capitalised
# words, joined by "of", "and", "&", "for", "the", on one line; a possessive ("Russia's") ends the name.
_NAME_WORD = r"[A-Z][\w’'&.-]*"
_NAME_TAIL = re.compile(rf"(?:[ \t]+(?:(?:of|and|&|for|the|de|on)[ \t]+)*{_NAME_WORD})*")
_NAME_BEFORE_OF = re.compile(
    rf"({_NAME_WORD}(?:[ \t]+(?:(?:and|&|for|the)[ \t]+)*{_NAME_WORD})*)[ \t]+of[ \t]+(?:the[ \t]+)?$"
)


# Capitalised words before a surname that are not given names ("Mrs Clinton", "said Wang", "But Wang").
_NOT_GIVEN_NAMES = frozenset(
    """Mr Mrs Ms Mx Madam Dr Prof Sir Dame President Secretary State Minister Foreign Premier Prime Vice Former Sen
    Senator Rep Gov Governor Counselor Councilor Chairman Chief General Envoy Ambassador Comrade The A An But And When
    While If As After Before Then So In On At By For From With Of To That This Why How What Where Who Said Says
    Meanwhile However Also Even Only Both Neither Either Yesterday Today Did Does Do Has Have Had Will Would Can Could
    Should May Might Must Is Was Are Were Not No Under Since During Despite Although Though Because Unlike Like
    Against Between About Over Into Through Told Asked Met Called Thanked Urged Praised Blamed Dear Hail""".split()
)


def _namesake_in(article: str, surname: str, person: Person) -> bool:
    """Whether another person with this surname appears: a different given name before it ("Bill Clinton",
    "Amy B Wang") or, for names written surname first, after it ("Wang Quanzhang", "Wang Yi-chen")."""
    full = [a.split() for a in person.aliases if surname in a.split() and len(a.split()) > 1]
    given = {w for words in full for w in words if w != surname}
    for m in re.finditer(rf"(?<![\w.’'])([A-Z][\w’'-]*|[A-Z]\.)[ \t]+{re.escape(surname)}\b", article):
        word = m.group(1)
        if word not in given and word not in _NOT_GIVEN_NAMES and not word.endswith(("'s", "’s")):
            return True
    if any(words[0] == surname for words in full):
        for m in re.finditer(rf"\b{re.escape(surname)}[ \t]+([A-Z][\w’'-]*)", article):
            if m.group(1) not in given and m.group(1) not in _NOT_GIVEN_NAMES:
                return True
    return False


def _word_regex(words: Iterable[str]) -> re.Pattern | None:
    words = sorted(set(words), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b") if words else None


@dataclass
class _Hit:
    alias: Alias
    start: int
    end: int
    kind: str


class Tagger:
    """The watchlist compiled once; `tag_article` is safe to call from many threads."""

    def __init__(self, watchlist: Watchlist | None = None):
        self.watchlist = watchlist or load_watchlist()
        self.version = self.watchlist.version
        self._table: dict[str, list[Alias]] = {}
        for alias in self.watchlist.aliases:
            for surface in filter(None, (alias.text, _caps_copy(alias.text), _capitalised_copy(alias.text))):
                entries = self._table.setdefault(surface, [])
                if alias not in entries:
                    entries.append(alias)
        self._left_boundary = {s: _needs_left_boundary(s) for s in self._table}
        self._pattern = re.compile(trie_pattern(self._table))
        self._rules: dict[tuple[str, str], list[Rule]] = {}
        for alias in self.watchlist.aliases:
            kind = "person_titled" if alias.titled else alias.kind
            self._rules[(alias.text, alias.kind)] = [
                r for r in self.watchlist.rules if r.applies_to(alias.text, kind)
            ]
        self._separators = self.watchlist.separators
        self._sep_chars = "".join(s for s in self._separators if len(s) == 1)
        names = self.watchlist.proper_names
        self._organisation_heads = _word_regex(names.organisation_heads)
        self._state_heads = _word_regex(names.state_heads)
        cjk_heads = "|".join(map(re.escape, sorted(names.organisation_heads_cjk, key=len, reverse=True)))
        self._cjk_heads = re.compile(rf"[\u4e00-\u9fff]{{0,4}}?(?:{cjk_heads})") if cjk_heads else None
        starters = {
            a.text
            for a in self.watchlist.aliases
            if not a.excluded and not a.titled and _is_latin(a.text) and re.fullmatch(r"[A-Z][a-z]+", a.text)
        }
        self._break = break_pattern(starters | set(names.sentence_starters))
        self._coref_people: dict[str, list[Person]] = {}
        for a in self.watchlist.aliases:
            if a.coref:
                self._coref_people.setdefault(a.text, []).append(a.person)

    # -- matching

    def find(self, text: str, day: date) -> list[_Hit]:
        """Accepted hits in `text`, left to right, without overlaps."""
        hits: list[_Hit] = []
        search = self._pattern.search
        pos, n = 0, len(text)
        while pos < n:
            m = search(text, pos)
            if m is None:
                break
            start, end = m.span()
            surface = m.group()
            if surface not in self._table:
                surface = fold_spaces(surface)
            if start and self._left_boundary[surface] and _word_char(text[start - 1]):
                pos = start + 1  # inside a word ("Indochina"); an alias may still start further on
                continue
            pos = end
            if start and text[start - 1] in _URL_CHARS and _in_url(text, start):
                continue  # ".../news/Beijing-bans-..." is an address, not prose
            counted: set[str] = set()  # one mention per country, even when two entries share a surface
            for alias in self._table[surface]:
                if alias.excluded:
                    break
                if alias.country in counted:
                    continue
                kind = self._judge(alias, text, start, end, day)
                if kind:
                    counted.add(alias.country)
                    hits.append(_Hit(alias, start, end, kind))
        return hits

    def _judge(self, alias: Alias, text: str, start: int, end: int, day: date) -> str | None:
        """The mention kind when this hit counts, else None."""
        for rule in self._rules[(alias.text, alias.kind)]:
            if rule.exact_case and text[start:end] != alias.text:
                continue
            if rule.holds(text, start, end):
                if rule.action == "drop_title":
                    if not alias.person.in_office(day):
                        return None
                    break
                return None
        else:
            if alias.titled:
                return None if self._inside_organisation_name(text, start, end) else "person"
        if alias.coref:  # decided per article, once the full names are known (_resolve_coreference)
            return "coref" if alias.person.in_office(day) else None
        if alias.person is not None and not alias.titled and not alias.person.in_office(day):
            return None
        if self._inside_organisation_name(text, start, end, alias.kind):
            return None
        if alias.kind == "combined" and alias.needs_separator and not text.startswith(self._separators, end):
            return None  # "Sino" only as "Sino-Russian" ("中俄" is whole as it is)
        pronoun = self.watchlist.pronoun_rules.get(alias.text)
        if pronoun is not None and not self._country_not_pronoun(pronoun, text, start, end):
            return None
        return alias.kind

    def _inside_organisation_name(self, text: str, start: int, end: int, kind: str = "name") -> bool:
        """Whether the hit is part of a capitalised name whose head marks an organisation, company, event,
        school, party, outlet or work ("American Heart Association", "Culinary Institute of America",
        "The Moscow Times") rather than one of the state's own bodies ("U.S. Department of Justice")."""
        if _is_cjk(text[start]):
            return bool(self._cjk_heads and self._cjk_heads.match(text, end))
        if self._organisation_heads is None or not _is_latin(text[start:end]):
            return False
        tail = _NAME_TAIL.match(text, end)
        if tail and tail.end() > end:
            words = tail.group()
            if self._organisation_heads.search(words):
                return not (self._state_heads and self._state_heads.search(words))
        if kind not in ("name", "capital"):
            return False  # "the Chinese army" after "... Group of" is an adjective, not the end of a name
        # "Culinary Institute of America"; not "for" ("left the Soviet Union for America": measured, it cost a
        # held-out mention)
        if " of " in text[max(0, start - 12) : start]:
            head = _NAME_BEFORE_OF.search(text, max(0, start - _CONTEXT), start)
            if head and self._organisation_heads.search(head.group(1)):
                return not (self._state_heads and self._state_heads.search(head.group(1)))
        return False

    def _country_not_pronoun(self, rule: PronounRule, text: str, start: int, end: int) -> bool:
        line_start = text.rfind("\n", max(0, start - _CONTEXT), start) + 1 or max(0, start - _CONTEXT)
        line_end = text.find("\n", end, end + _CONTEXT)
        line_end = min(len(text), end + _CONTEXT) if line_end < 0 else line_end
        before, after = text[line_start:start], text[end:line_end]
        prev = re.search(r"([^\W\d_]+)[ \t]+$", before)
        prev_word = prev.group(1) if prev else None
        all_caps = not any(c.islower() for c in before + after)
        caps_verb = bool(prev_word and prev_word.isupper() and prev_word in rule.pronoun_before_words)
        if not all_caps and not caps_verb:
            return True  # "US" in mixed-case text is the country
        if after[:1] and after[0] in self._sep_chars and after[1:2].isalpha():
            return True  # "US-CHINA TALKS"
        if prev_word is None:
            return True  # "US TO IMPOSE TARIFFS": the pronoun does not open a headline
        if prev_word.upper() in rule.country_after_words:
            return True  # "THE US"
        if prev_word.upper() in rule.always_pronoun_after:
            return False  # "JOIN US", "HELP US REACH OUR GOAL"
        nxt = re.match(r"[ \t]+([^\W\d_]+)", after)
        if nxt is None or nxt.group(1).upper() in rule.function_words:
            return False  # "JOIN US", "TELL US WHAT YOU THINK"
        return all_caps or nxt.group(1).isupper()  # "PUTIN TELLS US ENVOY"

    # -- articles

    def tag_article(
        self, title: str | None, text: str, date: date | datetime | str | None = None
    ) -> TagResult:
        """Mentions, per-country figures and co-mention pairs of one article (text = cleaned text)."""
        day = _article_day(date)
        title = title or ""
        text = text or ""
        mentions: list[Mention] = []
        units: dict[str, list[set[str]]] = {level: [] for level in PAIR_LEVELS}
        title_hits = self.find(title, day) if title.strip() else []
        hits = self.find(text, day)
        self._resolve_coreference(((title, title_hits), (text, hits)), day)
        if title.strip():
            self._mark_combined(title, title_hits)
            for h in title_hits:
                mentions.append(self._mention(h, title, "title", -1, -1, title.strip()[:_MAX_EVIDENCE]))
            found = {h.alias.country for h in title_hits}
            units["sentence"].append(found)
            units["paragraph"].append(found)
        if hits:
            self._mark_combined(text, hits)
            segments = Segments.of(text, self._break)
            by_sentence: dict[int, set[str]] = {}
            by_paragraph: dict[int, set[str]] = {}
            for h in hits:
                sent, para = segments.locate(h.start)
                s_start, s_end = segments.sentence_span(sent)
                position = "lead" if para == 0 else "body"
                evidence = text[s_start:s_end]
                if len(evidence) > _MAX_EVIDENCE:  # a "sentence" of megabytes (no punctuation): keep a window
                    lo = max(s_start, h.start - _MAX_EVIDENCE // 2)
                    evidence = text[lo : min(s_end, lo + _MAX_EVIDENCE)]
                mentions.append(self._mention(h, text, position, sent, para, evidence))
                by_sentence.setdefault(sent, set()).add(h.alias.country)
                by_paragraph.setdefault(para, set()).add(h.alias.country)
            units["sentence"].extend(by_sentence.values())
            units["paragraph"].extend(by_paragraph.values())
        units["article"].append({m.country for m in mentions})
        return TagResult(
            mentions=mentions,
            countries=self._country_figures(mentions),
            pairs={level: _pairs(units[level]) for level in PAIR_LEVELS},
            watchlist_version=self.version,
        )

    def tag_text(self, text: str, date: date | datetime | str | None = None) -> TagResult:
        return self.tag_article(None, text, date)

    def _resolve_coreference(self, parts: tuple[tuple[str, list[_Hit]], ...], day: date) -> None:
        """A bare surname ("Clinton", "Wang") counts after the office holder's full or titled name earlier in the
        article (title first), when that person is in office and no namesake ("Bill Clinton", "Amy B Wang",
        "Wang Quanzhang") appears anywhere in the article; otherwise it is dropped."""
        if not any(h.kind == "coref" for _, hits in parts for h in hits):
            return
        article = "\n".join(text for text, _ in parts)
        named: set[Person] = set()
        for _text, hits in parts:
            kept = []
            for h in hits:
                if h.kind != "coref":
                    if h.alias.person is not None:
                        named.add(h.alias.person)
                    kept.append(h)
                    continue
                people = [p for p in self._coref_people[h.alias.text] if p in named and p.in_office(day)]
                if len(people) == 1 and not _namesake_in(article, h.alias.text, people[0]):
                    h.alias = next(a for a in self._table[h.alias.text] if a.coref and a.person is people[0])
                    h.kind = "person"
                    kept.append(h)
            hits[:] = kept

    def _mark_combined(self, text: str, hits: list[_Hit]) -> None:
        """Two mentions of different countries joined by a separator ("US-China") are a combined form."""
        for a, b in zip(hits, hits[1:], strict=False):
            if a.alias.country != b.alias.country and text[a.end : b.start] in self._separators:
                a.kind = b.kind = "combined"

    @staticmethod
    def _mention(h: _Hit, text: str, position: str, sentence: int, paragraph: int, evidence: str) -> Mention:
        return Mention(
            country=h.alias.country,
            start=h.start,
            end=h.end,
            surface=text[h.start : h.end],
            kind=h.kind,
            position=position,
            sentence=sentence,
            paragraph=paragraph,
            alias=h.alias.text,
            evidence=evidence,
        )

    def _country_figures(self, mentions: list[Mention]) -> dict[str, dict]:
        sc = self.watchlist.scoring
        counts: dict[str, int] = {}
        in_title: set[str] = set()
        in_lead: set[str] = set()
        for m in mentions:
            counts[m.country] = counts.get(m.country, 0) + 1
            if m.position == "title":
                in_title.add(m.country)
            elif m.position == "lead":
                in_lead.add(m.country)
        total = len(mentions)
        out: dict[str, dict] = {}
        for code in sorted(counts):
            n, t, lead = counts[code], code in in_title, code in in_lead
            share = n / total
            salience = sc.title_weight * t + sc.lead_weight * lead + sc.share_weight * share
            about = t or lead or (n >= sc.about_min_mentions and share >= sc.about_min_share)
            out[code] = {"mentions": n, "salience": round(salience, 4), "about": bool(about)}
        return out


def _pairs(units: list[set[str]]) -> list[str]:
    """Every pair (and triple) of countries that share at least one unit, as sorted 'CN-RU' strings."""
    found: set[str] = set()
    for codes in {frozenset(u) for u in units if len(u) > 1}:
        found.update(_combinations(codes))
    return sorted(found, key=lambda p: (p.count("-"), p))


@lru_cache(maxsize=256)
def _combinations(codes: frozenset[str]) -> tuple[str, ...]:
    ordered = sorted(codes)
    return tuple("-".join(c) for k in (2, 3) for c in combinations(ordered, k))


def _article_day(value: date | datetime | str | None) -> date:
    """The day office-holder terms are checked against; today (UTC) when the article has no date."""
    if value is None:
        return datetime.now(UTC).date()
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


@lru_cache(maxsize=1)
def default_tagger() -> Tagger:
    return Tagger(load_watchlist())


def tag_text(text: str, date: date | datetime | str | None = None) -> TagResult:
    """Tag plain text with the bundled watchlist."""
    return default_tagger().tag_article(None, text, date)


# ---------------------------------------------------------------------------------------------------- evaluation


def _overlaps(m: Mention, span: dict) -> bool:
    return m.country == span["country"] and m.start < span["end"] and span["start"] < m.end


def score_labelled(tagger: Tagger, records: list[dict]) -> dict[str, dict]:
    """Precision and recall per country against labelled text: records {"text", "spans": [{start, end,
    country}], "date"?}. A gold span is found by one mention of its country that overlaps it; mentions left
    over are false positives."""
    counts: dict[str, dict[str, int]] = {}
    for rec in records:
        mentions = tagger.tag_article(None, rec["text"], rec.get("date")).mentions
        used: set[int] = set()
        for span in rec["spans"]:
            c = counts.setdefault(span["country"], {"tp": 0, "fp": 0, "fn": 0})
            match = next((i for i, m in enumerate(mentions) if i not in used and _overlaps(m, span)), None)
            if match is None:
                c["fn"] += 1
            else:
                used.add(match)
                c["tp"] += 1
        for i, m in enumerate(mentions):
            if i not in used:
                counts.setdefault(m.country, {"tp": 0, "fp": 0, "fn": 0})["fp"] += 1
    return {code: _precision_recall(c) for code, c in sorted(counts.items())}


def _precision_recall(c: dict[str, int]) -> dict:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    return {
        **c,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
    }


def score_real_news(tagger: Tagger, docs: list[dict], labels: list[dict]) -> dict[str, dict]:
    """Precision and recall per split on the real-news labels: a labelled mention is found by a tagger mention
    of its country in the same part (title or text) that overlaps it; other tagger mentions are false."""
    gold: dict[tuple[str, str], list[dict]] = {}
    for row in labels:
        if row["type"] == "span" and row["country"]:
            gold.setdefault((row["doc"], row["part"]), []).append(row)
    split = {row["doc"]: row["split"] for row in labels if row["type"] == "doc"}
    counts = {name: {"tp": 0, "fp": 0, "fn": 0, "missed": [], "wrong": []} for name in ("tune", "heldout")}
    for d in docs:
        result = tagger.tag_article(d["title"], d["text"], d["date"])
        c = counts[split[d["doc"]]]
        for part, text in (("title", d["title"]), ("text", d["text"])):
            found = [m for m in result.mentions if (m.position == "title") == (part == "title")]
            used: set[int] = set()
            for g in gold.get((d["doc"], part), []):
                hit = next(
                    (
                        i
                        for i, m in enumerate(found)
                        if i not in used
                        and m.country == g["country"]
                        and m.start < g["end"]
                        and g["start"] < m.end
                    ),
                    None,
                )
                if hit is None:
                    c["fn"] += 1
                    c["missed"].append(f"{d['doc']} {text[max(0, g['start'] - 40) : g['end'] + 30]!r}")
                else:
                    used.add(hit)
                    c["tp"] += 1
            for i, m in enumerate(found):
                if i not in used:
                    c["fp"] += 1
                    c["wrong"].append(f"{d['doc']} {m.country} {text[max(0, m.start - 40) : m.end + 30]!r}")
    return {
        name: {**_precision_recall(c), "missed": c["missed"], "wrong": c["wrong"]}
        for name, c in counts.items()
    }


def geo_recall(tagger: Tagger, docs: list[dict]) -> dict[str, dict]:
    """Span recall per dataset on ../shared/benchmarks/geo: a gold span counts as found when a mention of the
    same country overlaps it. Extra mentions are not errors there (the gold omits cities and people)."""
    out: dict[str, dict] = {}
    for doc in docs:
        mentions = tagger.tag_article(None, doc["text"], None).mentions
        row = out.setdefault(doc["dataset"], {"spans": 0, "found": 0, "missed": []})
        for span in doc["country_spans"]:
            row["spans"] += 1
            if any(_overlaps(m, span) for m in mentions):
                row["found"] += 1
            else:
                text = doc["text"]
                row["missed"].append(text[max(0, span["start"] - 40) : span["end"] + 40])
    for row in out.values():
        row["recall"] = row["found"] / row["spans"] if row["spans"] else 1.0
    return out


# ---------------------------------------------------------------------------------------------------- CLI


def cli_json(result: TagResult, doc_id) -> dict:
    """The `newsmon tag` output object for one input."""
    return {
        "id": doc_id,
        "countries": sorted(result.countries),
        "mentions": [
            {
                "country": m.country,
                "start": m.start,
                "end": m.end,
                "surface": m.surface,
                "kind": m.kind,
                "sentence": m.sentence,
                "paragraph": m.paragraph,
            }
            for m in result.mentions
        ],
        "pairs": {
            level: [p.split("-") for p in result.pairs[level] if p.count("-") == 1] for level in PAIR_LEVELS
        },
    }


@contextmanager
def _open_input(file: str | None) -> Iterator[BinaryIO]:
    """The input as a binary stream: the file, or standard input for none or '-'."""
    if file in (None, "-"):
        yield sys.stdin.buffer
        return
    path = Path(file)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {file}")
    with path.open("rb") as fh:
        yield fh


def _json_lines(lines: Iterable[bytes]) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, object, error) for each non-blank line; read as a stream, so input size is no limit."""
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield n, None, f"not UTF-8 ({exc.reason} at byte {exc.start})"
            continue
        except json.JSONDecodeError as exc:
            yield n, None, f"not valid JSON ({exc.msg}, column {exc.colno})"
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            yield n, None, 'expected an object with a "text" string'
            continue
        if not isinstance(obj.get("title"), str | None):
            yield n, None, '"title" must be a string when given'
            continue
        yield n, obj, None


def cli_tag(args) -> int:
    """`newsmon tag [FILE] [--text] [--date D]`: one JSON object per input on stdout."""
    from newsmon.cli import UserError

    day = None
    if getattr(args, "date", None):
        try:
            day = date.fromisoformat(args.date)
        except ValueError:
            raise UserError(f"--date {args.date!r} is not a date (YYYY-MM-DD)") from None
    tagger = default_tagger()
    out = sys.stdout
    bad: list[int] = []
    with _open_input(getattr(args, "file", None)) as stream:
        if getattr(args, "text", False):
            text = stream.read().decode("utf-8", errors="replace")  # plain text: show what we can
            result = tagger.tag_article(None, text, day)
            out.write(json.dumps(cli_json(result, args.file), ensure_ascii=False) + "\n")
            return 0
        for n, obj, error in _json_lines(stream):
            if error is None:
                try:
                    result = tagger.tag_article(obj.get("title"), obj["text"], obj.get("date") or day)
                except (ValueError, TypeError) as exc:
                    error = str(exc)
            if error is not None:
                bad.append(n)
                print(f"newsmon tag: line {n}: {error}; skipped", file=sys.stderr)
                continue
            out.write(json.dumps(cli_json(result, obj.get("id", n)), ensure_ascii=False) + "\n")
    if bad:
        raise UserError(f"{len(bad)} input line(s) could not be tagged: {', '.join(map(str, bad[:10]))}")
    return 0
