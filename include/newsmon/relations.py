"""Relations: who does or says what to whom, between watched countries, with the sentence that proves it.

Input is the tagger's output (mentions with their sentence index and evidence sentence); nothing is
re-tagged. Only sentences that name at least two watched countries are looked at, so most text costs
nothing. In such a sentence the finder looks for cues (config/relations.yaml, per language and class),
and for each cue the clause around it: the actor before it (or after "by", or after 被), the target after
it (or after 对/向 in Chinese), joint subjects ("China and Russia signed ..."), and the words that cancel
or change it (negation, conditions, modals, intentions). Pure rules: a dependency parser was not used (see
docs/relations.md for why and what it would cost).

Policy: ../shared/docs/RELATIONS_POLICY.md. The lexicon is data, versioned like the watchlist.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from newsmon.config import ConfigError
from newsmon.models import Mention

CLASSES = ("verbal_cooperation", "material_cooperation", "verbal_conflict", "material_conflict")
COOPERATION = frozenset(CLASSES[:2])
LANGUAGES = ("en", "zh", "ru")
DEFAULT_LEXICON_FILE = Path(__file__).parent / "config" / "relations.yaml"
_CUE_KINDS = ("verbs", "nouns", "mutual_verbs", "mutual_nouns", "judgements")
_WORD_LISTS = (
    "negators",
    "demands",
    "pair_subjects",
    "hypothetical",
    "speculative",
    "intention",
    "passive",
    "agent",
    "coordinators",
    "speech",
    "clause_breaks",
    "locations",
    "judging",
    "partner_links",
    "determiners",
    "one_sided",
    "reciprocal",
)
_VERBAL_OF = {"material_cooperation": "verbal_cooperation", "material_conflict": "verbal_conflict"}
_ACTOR_KINDS = frozenset({"name", "capital", "institution", "person", "combined"})
_CJK = re.compile(r"[\u3400-\u9fff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Relation:
    source: str
    target: str
    cls: str  # one of CLASSES
    sentence: int  # the tagger's sentence index; -1 for the title
    evidence: str  # the sentence text
    cue: str  # the words that decided the class, as written
    reported: bool

    def to_json(self) -> dict:
        out = asdict(self)
        out["class"] = out.pop("cls")
        return out


# ---------------------------------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class Cue:
    cls: str
    noun: bool
    mutual: bool
    judgement: bool = False  # "destructive", "bore responsibility": said by a speaker about a country


@dataclass
class Language:
    """One language's lexicon, compiled."""

    code: str
    cue_index: dict[
        str, list[tuple[re.Pattern, Cue]]
    ]  # first character (lowercase) -> cues that may start so
    cue_anywhere: list[tuple[re.Pattern, Cue]]  # cues whose first character could be anything
    words: dict[str, re.Pattern | None]  # list name -> pattern matching any of its words
    state_heads: tuple[str, ...]
    private_heads: tuple[str, ...]
    max_subject_gap: int
    max_object_gap: int
    before_agent: re.Pattern | None = None
    target_links: re.Pattern | None = None

    def gap(self, text: str) -> int:
        """Distance in words (characters for Chinese)."""
        if self.code == "zh":
            return len(re.sub(r"\s", "", text))
        return len(_WORD.findall(text))

    def has(self, name: str, text: str) -> bool:
        p = self.words.get(name)
        return bool(p and p.search(text))


@dataclass
class Lexicon:
    version: str
    declared_version: str
    languages: dict[str, Language]


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    path = Path(path or DEFAULT_LEXICON_FILE)
    if not path.exists():
        raise ConfigError(f"relation lexicon not found: {path}")
    return parse_lexicon(path.read_text(encoding="utf-8"), source=str(path))


def parse_lexicon(text: str, source: str = "<relations>") -> Lexicon:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not str(raw.get("version") or "").strip():
        raise ConfigError(
            f"{source}: needs a top-level mapping with a 'version' (for example \"2026-12-01.1\")"
        )
    unknown = set(raw) - {"version", *LANGUAGES}
    if unknown:
        raise ConfigError(
            f"{source}: unknown section(s) {', '.join(sorted(unknown))} (use {', '.join(LANGUAGES)})"
        )
    languages = {
        code: _language(code, raw[code], f"{source}: {code}")
        for code in LANGUAGES
        if raw.get(code) is not None
    }
    if "en" not in languages:
        raise ConfigError(f"{source}: needs an 'en' section")
    declared = str(raw["version"]).strip()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return Lexicon(version=f"{declared}+{digest}", declared_version=declared, languages=languages)


def _strings(value, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(
            f"{where}: expected a list of non-empty strings (quote words YAML reads as true/false)"
        )
    return [v.strip() for v in value]


def _language(code: str, spec, where: str) -> Language:
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: must be a mapping")
    known = {*CLASSES, *_WORD_LISTS, "state_heads", "private_heads", "max_subject_gap", "max_object_gap"}
    known |= {"before_agent", "target_links"}
    unknown = set(spec) - known
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    entries: list[tuple[str, Cue]] = []
    for cls in CLASSES:
        by_kind = spec.get(cls) or {}
        if not isinstance(by_kind, dict) or set(by_kind) - set(_CUE_KINDS):
            raise ConfigError(f"{where}.{cls}: expected a mapping with {', '.join(_CUE_KINDS)}")
        for kind in _CUE_KINDS:
            for pattern in _strings(by_kind.get(kind), f"{where}.{cls}.{kind}"):
                _check_regex(pattern, f"{where}.{cls}.{kind}")
                cue = Cue(cls, "nouns" in kind, kind.startswith("mutual"), kind == "judgements")
                entries.append((pattern, cue))
    if not entries:
        raise ConfigError(f"{where}: no cues")
    # Each cue is tried only where its first character stands (at word starts for en/ru): one big
    # alternation would try every cue at every character, 50 times slower on dense text.
    words = code != "zh"
    flags = re.IGNORECASE if words else 0
    index: dict[str, list[tuple[re.Pattern, Cue]]] = {}
    anywhere: list[tuple[re.Pattern, Cue]] = []
    for pattern, cue in entries:
        compiled = re.compile(_bounded(pattern, code != "zh"), flags)
        firsts = _first_chars(pattern)
        if firsts is None:
            anywhere.append((compiled, cue))
        for ch in firsts or ():
            bucket = index.setdefault(ch.lower(), [])
            if (compiled, cue) not in bucket:
                bucket.append((compiled, cue))
    lists = {name: _word_pattern(_strings(spec.get(name), f"{where}.{name}"), words) for name in _WORD_LISTS}
    return Language(
        code=code,
        cue_index=index,
        cue_anywhere=anywhere,
        words=lists,
        state_heads=tuple(s.lower() for s in _strings(spec.get("state_heads"), f"{where}.state_heads")),
        private_heads=tuple(s.lower() for s in _strings(spec.get("private_heads"), f"{where}.private_heads")),
        max_subject_gap=_positive(spec.get("max_subject_gap", 10), f"{where}.max_subject_gap"),
        max_object_gap=_positive(spec.get("max_object_gap", 14), f"{where}.max_object_gap"),
        before_agent=_word_pattern(_strings(spec.get("before_agent"), f"{where}.before_agent"), words),
        target_links=_word_pattern(_strings(spec.get("target_links"), f"{where}.target_links"), words),
    )


def _check_regex(pattern: str, where: str) -> None:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where}: {pattern!r} is not a valid regular expression: {exc}") from None
    if compiled.groups:
        raise ConfigError(f"{where}: {pattern!r}: use (?:...) groups, not capturing ones")


def _first_chars(pattern: str) -> set[str] | None:
    """The characters a match of `pattern` can start with, or None when that is not a small known set."""
    from re import _parser  # the standard library's own regex parser

    return _first_of(list(_parser.parse(pattern)))


def _first_of(items: list) -> set[str] | None:
    from re import _constants as c

    out: set[str] = set()
    for op, arg in items:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # zero-width
        if op is c.LITERAL:
            return out | {chr(arg)}
        if op is c.IN:
            chars = set()
            for kind, value in arg:
                if kind is c.LITERAL:
                    chars.add(chr(value))
                elif kind is c.RANGE and value[1] - value[0] < 64:
                    chars.update(chr(v) for v in range(value[0], value[1] + 1))
                else:
                    return None
            return out | chars
        if op is c.BRANCH:
            firsts = [_first_of(list(b)) for b in arg[1]]
            return None if any(f is None for f in firsts) else out.union(*firsts)
        if op is c.SUBPATTERN:
            first = _first_of(list(arg[3]))
            return None if first is None else out | first
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            first = _first_of(list(arg[2]))
            if first is None:
                return None
            out |= first
            if arg[0] > 0:
                return out
            continue  # optional: the next item may start the match too
        return None
    return None


def _positive(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: must be a whole number above 0")
    return value


_SPACE_OR_QUOTE = r"[\s\"“”‘’«»]+"


def _bounded(pattern: str, words: bool) -> str:
    """Whole words for en/ru, and a space in a cue phrase also matches quotes ('expressed "strong concern"')."""
    if not words:
        return pattern
    return rf"(?<!\w)(?:{pattern.replace(' ', _SPACE_OR_QUOTE)})(?!\w)"


def _word_pattern(items: list[str], words: bool) -> re.Pattern | None:
    if not items:
        return None
    ordered = sorted(items, key=len, reverse=True)
    escaped = (i if "\\" in i else re.escape(i).replace("\\ ", " ") for i in ordered)
    return re.compile("|".join(_bounded(i, words) for i in escaped), re.I)


# ---------------------------------------------------------------------------------------------------- finder


@dataclass
class _Ref:
    """A mention inside one sentence: offsets relative to the sentence."""

    country: str
    start: int
    end: int
    kind: str
    actor: bool = False


@dataclass
class _CueHit:
    start: int
    end: int
    cue: Cue
    text: str


class RelationFinder:
    """The lexicon compiled once; `find` is safe to call from many threads."""

    def __init__(self, lexicon: Lexicon | None = None):
        self.lexicon = lexicon or load_lexicon()
        self.version = self.lexicon.version

    def find(self, mentions: list[Mention], text: str, title: str | None = None) -> list[Relation]:
        """Relations in one tagged article (the tagger's mentions of `title` and `text`)."""
        by_sentence: dict[int, list[Mention]] = {}
        for m in mentions:
            by_sentence.setdefault(-1 if m.position == "title" else m.sentence, []).append(m)
        out: list[Relation] = []
        for index, group in sorted(by_sentence.items()):
            if len({m.country for m in group}) < 2:
                continue  # a relation needs two watched countries in the sentence
            located = _locate_sentence(group, title or "" if index < 0 else text)
            if located is not None:
                out.extend(self.in_sentence(*located, index))
        return out

    def in_sentence(self, sentence: str, refs: list[_Ref], index: int) -> list[Relation]:
        lang = self.lexicon.languages.get(_language_of(sentence)) or self.lexicon.languages["en"]
        if _is_question(sentence) or _opens_with_condition(lang, sentence):
            return []
        refs = sorted(refs, key=lambda r: (r.start, r.country))
        cues = _cue_hits(lang, sentence)
        if not cues:
            return []
        for r in refs:
            r.actor = _is_actor(lang, sentence, r, refs, cues)
        clause = _Clause(lang, sentence, refs, cues)
        reported = lang.has("speech", sentence) or _quoted(sentence)
        found: dict[tuple[str, str, str], Relation] = {}
        for i, hit in enumerate(cues):
            cls = _class_in_context(lang, sentence, hit)
            pairs = clause.pairs(i, cls)
            for src, tgt in pairs:
                if src != tgt and (src, tgt, cls) not in found:
                    found[(src, tgt, cls)] = Relation(src, tgt, cls, index, sentence, hit.text, reported)
        return list(found.values())


def _class_in_context(lang: Language, sentence: str, hit: _CueHit) -> str | None:
    """The cue's class as the words before it leave it: None when denied, conditional or speculative;
    the verbal class of the same polarity for a pledged or threatened material action."""
    clause = _clause_before(lang, sentence, hit.start)
    if lang.has("negators", _last_words(lang, clause, 4)):
        return None
    if lang.has("speculative", _last_words(lang, clause, 3)) or lang.has("hypothetical", clause):
        return None
    cls = hit.cue.cls
    near = _last_words(lang, clause, 2) if hit.cue.noun else clause
    if cls in _VERBAL_OF and _intended(lang, near):
        return _VERBAL_OF[cls]
    return cls


def _intended(lang: Language, clause_before: str) -> bool:
    return lang.has("intention", _last_words(lang, clause_before, 4))


class _Clause:
    """Subjects and objects of the cues of one sentence. Cues are resolved left to right, because a
    later cue may inherit the actor of an earlier one ("Beijing praised Moscow and criticised Washington")."""

    def __init__(self, lang: Language, s: str, refs: list[_Ref], cues: list[_CueHit]):
        self.lang, self.s, self.refs, self.cues = lang, s, refs, cues
        self.sources: list[list[_Ref]] = []  # per cue resolved so far

    def pairs(self, i: int, cls: str | None) -> list[tuple[str, str]]:
        pairs, sources = ([], []) if cls is None else self._resolve(i)
        self.sources.append(sources)
        return pairs

    def _resolve(self, i: int) -> tuple[list[tuple[str, str]], list[_Ref]]:
        lang, s, hit = self.lang, self.s, self.cues[i]
        if hit.cue.judgement:
            return self._judgement(i), []
        if _participle(lang, s, hit):
            return [], []  # "two detained US citizens", "the sanctioned Russian bank": a description
        if lang.before_agent and lang.before_agent.search(s[max(0, hit.start - 1) : hit.start]):
            return [], []  # "被拘押的中国公民": passive with no actor named
        if lang.code == "zh" and not hit.cue.noun and s.startswith("的", hit.end):
            return [], []  # "俄罗斯向中国供应的天然气": a relative clause describing the gas, not an act
        agent = _agent_after(lang, s, self.refs, hit)
        if agent is not None:  # "sanctions imposed by Washington on Moscow", "was sanctioned by Washington"
            agents = self._coordinated_after(agent)
            if hit.cue.mutual and len({a.country for a in agents}) > 1:
                return _joint(agents), []  # "the agreements signed by China and Russia"
            others = self._objects(hit, {agent.country}, exclude=agent) if hit.cue.noun else []
            targets = others or self._subject(i) or self._objects(hit, {agent.country}, exclude=agent)
            # the agent is not the sentence's subject: a later "and warned ..." does not inherit it
            return [(agent.country, t.country) for t in targets], []
        zh = _chinese_frame(lang, s, self.refs, hit)
        if zh is not None:
            sources, targets, joint = zh
            if self._object_of_verbal_cue(i, sources[0]):
                return [], []  # "指责中国向俄罗斯提供...": what the accusation is about, not an act
            if joint and hit.cue.mutual:
                return _joint(sources + targets), sources
            return [(a.country, t.country) for a in sources if a.actor for t in targets], sources
        if hit.cue.mutual and re.match(r"\s+(?:between|между)\s", s[hit.end : hit.end + 12], re.I):
            return _joint(self._objects(hit, set(), exclude=None)), []  # "the meeting between X and Y"
        subject = self._subject(i)
        if hit.cue.noun and subject and lang.gap(s[subject[0].end : hit.start]) > 3:
            subject = []  # a noun cue's actor stands next to it ("US sanctions", "Russia's expulsion of")
        if subject and _is_passive(lang, s, hit, subject):
            return [], []  # "Russian banks were sanctioned" with no actor named: no relation
        by_target = _agent_before(lang, s, self.refs, hit, subject)
        if by_target is not None:  # "Russian banks hit by US sanctions"
            return [(a.country, by_target.country) for a in subject if a.actor], subject
        sources = [r for r in subject if r.actor]
        countries = {a.country for a in sources}
        objects = self._objects(hit, countries, exclude=None)
        if hit.cue.mutual:
            return self._mutual(hit, sources, objects), sources
        if len(countries) > 1 and not objects and self._reciprocal(hit):
            return _joint(sources), sources  # "Xi and Putin pledged to deepen their partnership"
        return [(a.country, o.country) for a in sources for o in objects], sources

    def _object_of_verbal_cue(self, i: int, actor: _Ref) -> bool:
        """Chinese: the actor of this cue is the object right after an earlier accusing or demanding cue
        ("鲁比奥指责中国向俄罗斯提供物资"): the clause is what that cue alleges, not an act of its own. After
        a cue that judges a fact ("谴责美方对中国企业实施制裁") the act stands."""
        prev = self.cues[i - 1] if i else None
        return (
            prev is not None
            and self.lang.has("demands", prev.text)
            and prev.end <= actor.start
            and self.lang.gap(self.s[prev.end : actor.start]) <= 1
        )

    def _reciprocal(self, hit: _CueHit) -> bool:
        if not hit.cue.cls.endswith("cooperation"):
            return False
        after = self.s[hit.start : _clause_end(self.lang, self.s, hit.end)]
        return self.lang.has("reciprocal", after)

    def _coordinated_after(self, first: _Ref) -> list[_Ref]:
        out = [first]
        for r in self.refs:
            if r.start > out[-1].end and _coordination(self.lang, self.s[out[-1].end : r.start]) and r.actor:
                out.append(r)
            elif r.start > out[-1].end:
                break
        return out

    def _mutual(self, hit: _CueHit, sources: list[_Ref], objects: list[_Ref]) -> list[tuple[str, str]]:
        """Both directions when both sides act: joint subjects ("China and Russia signed"), or a watched
        actor as partner ("met Putin", "signed a deal with Russia") unless only one side declares it
        ("ready to work with Washington")."""
        if len({a.country for a in sources}) > 1 and not objects:
            return _joint(sources)
        pairs = [(a.country, o.country) for a in sources for o in objects]
        partner = bool(objects) and self._partner(hit, objects[0])
        one_sided = self.lang.has(
            "one_sided", _last_words(self.lang, _clause_before(self.lang, self.s, hit.start), 5)
        )
        if partner and not one_sided:
            pairs += [(o.country, a.country) for a in sources for o in objects if o.actor]
        return pairs

    def _partner(self, hit: _CueHit, obj: _Ref) -> bool:
        lead = self.s[hit.end : obj.start] if obj.start >= hit.end else ""
        if self.lang.gap(self.s[hit.start : obj.start]) <= 1 or not lead.strip(" ,the"):
            return True  # "met Putin", "встретился с Си"
        return self.lang.has("partner_links", self.s[hit.start : obj.start])

    def _subject(self, i: int) -> list[_Ref]:
        """The mention(s) standing as the cue's subject: the nearest before it in its clause, with the
        countries coordinated with it ("China and Russia"); a coordinated verb inherits the subject of the
        verb before it ("Beijing praised Moscow and criticised Washington"); a cue inside what an earlier
        verbal cue says about its object has none ("criticised Beijing for its support of Moscow")."""
        lang, s, hit = self.lang, self.s, self.cues[i]
        clause_start = _clause_start(lang, s, hit.start)
        before = [r for r in self.refs if clause_start <= r.start and r.end <= hit.start]
        before = _without_places(lang, s, before)
        if not before:
            return self._pair_subject(i, clause_start) or self._inherited(i, clause_start)
        head = before[-1]
        gap = s[head.end : hit.start]
        prev = self.cues[i - 1] if i else None
        if prev is not None and gap.strip() == "," and re.match(r"\w+ing\b", hit.text, re.I):
            return self.sources[
                i - 1
            ]  # "..., adding 14 Chinese companies to a list": the main clause's actor
        if prev is not None and prev.end <= head.start:  # the nearest mention is the previous cue's object
            if _ends_with_conjunction(lang, gap):
                return self.sources[i - 1]
            if prev.cue.cls.startswith("verbal") and _content_of_previous(lang, gap):
                return []
            if _demanded(lang, prev, s[prev.end : head.start]):
                return []  # "demanded that Russia release ...": what is demanded has not happened
        if lang.gap(gap) > lang.max_subject_gap or _crosses_cue(self.cues, head.end, hit.start):
            return self._inherited(i, clause_start)
        if _relative_clause(lang, gap):
            return []  # "act against companies that supplied Russia's military": the companies supply
        group = [head]
        for r in reversed(before[:-1]):
            joiner = s[r.end : group[-1].start]
            if (
                r.country == group[-1].country
                and lang.gap(joiner) <= 4
                and not lang.has("coordinators", joiner)
            ):
                group.append(r)  # "China's foreign minister Wang Yi": one actor, several mentions
            elif _coordination(lang, joiner):
                group.append(r)
            else:
                break
        return group

    def _pair_subject(self, i: int, clause_start: int) -> list[_Ref]:
        """ "..., where the two leaders held talks", "The two sides agreed to ..., the Kremlin said, referring
        to Putin and Trump": a cooperative cue whose subject is a pair word stands for the two countries the
        sentence names as actors, when it names exactly two."""
        lang, s, hit = self.lang, self.s, self.cues[i]
        if not hit.cue.cls.endswith("cooperation"):
            return []
        if not lang.has("pair_subjects", _last_words(lang, s[clause_start : hit.start], 4)):
            return []
        first: dict[str, _Ref] = {}
        for r in self.refs:
            if r.actor:
                first.setdefault(r.country, r)
        return list(first.values()) if len(first) == 2 else []

    def _inherited(self, i: int, clause_start: int) -> list[_Ref]:
        """With no subject of its own, a cue takes the one of the cue before it in the same sentence when
        no other clause opens between them ("... but rejected ...", "中方表示，将与俄方...")."""
        if not i or not self.sources[i - 1]:
            return []
        lang, s = self.lang, self.s
        between = s[self.cues[i - 1].end : self.cues[i].start]
        own_clause = s[clause_start : self.cues[i].start]
        if lang.code != "zh" and lang.has("clause_breaks", between) and lang.gap(own_clause) > 2:
            return []
        return self.sources[i - 1]

    def _objects(self, hit: _CueHit, sources: set[str], exclude: _Ref | None) -> list[_Ref]:
        """The mention(s) after the cue in its clause: the first one of another country than the actor's,
        with any coordinated with it. A cue phrase may hold its object ("summoned the US ambassador")."""
        lang, s = self.lang, self.s
        first_word = re.match(r"\w{1,2}" if lang.code == "zh" else r"\w+", s[hit.start : hit.end])
        begin = hit.start + (first_word.end() if first_word else len(hit.text))
        end = _clause_end(lang, s, hit.end)
        after = [r for r in self.refs if r.start >= begin and r.end <= end and r is not exclude]
        out: list[_Ref] = []
        for r in after:
            lead = s[begin : r.start] if not out else s[out[-1].end : r.start]
            if not out:
                if lang.gap(lead) > lang.max_object_gap or lang.has("speech", lead):
                    break  # too far, or "... warned, Lavrov said": the speaker is no object
                outside = (
                    s[max(begin, hit.end) : r.start] if r.start >= hit.end else ""
                )  # "hit back at" is the cue
                if r.country in sources or _location(lang, outside) or _product(s, r, lead):
                    continue  # the actor's own side, "talks in Moscow", "an American-made drone"
                out.append(r)
            elif r.country == out[-1].country or _coordination(lang, lead):
                out.append(r)
            else:
                break
        return [r for r in out if r.country not in sources]

    def _judgement(self, i: int) -> list[tuple[str, str]]:
        """ "Lavrov said Washington's approach was destructive": the speaker judges the country named
        between the speech verb and the judgement."""
        lang, s, hit = self.lang, self.s, self.cues[i]
        p = lang.words.get("judging")
        verbs = [m for m in p.finditer(s, 0, hit.start)] if p else []
        if not verbs:
            return []
        verb = verbs[-1]
        speaker = [r for r in self.refs if r.end <= verb.start() and r.actor]
        judged = [r for r in self.refs if verb.end() <= r.start and r.end <= hit.start]
        if not speaker or not judged or lang.gap(s[judged[-1].end : hit.start]) > lang.max_subject_gap:
            return []
        source = speaker[-1]
        targets = [r for r in judged if r.country != source.country]
        return [(source.country, targets[-1].country)] if targets else []


def _joint(refs: list[_Ref]) -> list[tuple[str, str]]:
    countries = sorted({r.country for r in refs if r.actor})
    return [(a, b) for a in countries for b in countries if a != b]


def _without_places(lang: Language, s: str, before: list[_Ref]) -> list[_Ref]:
    """ "The Chinese embassy in Moscow congratulated ...": a place after the actor is not the actor."""
    out = list(before)
    while len(out) > 1 and _location(lang, s[out[-2].end : out[-1].start]):
        out.pop()
    return out


def _ends_with_conjunction(lang: Language, gap: str) -> bool:
    """ "... Moscow's restraint and criticised": the object's phrase ends and a coordinated verb follows."""
    p = lang.words.get("coordinators")
    if lang.gap(gap) > 6 or p is None:
        return False
    tail = re.sub(r"^[’']s\b", "", gap).rstrip()
    m = re.search(
        r"(?:,\s*)?(?<!\w)(?:"
        + p.pattern
        + r"|but|then|и|а|но|并|并且|还)(?:\s+(?:then|also|later|immediately))?$",
        tail,
    )
    return m is not None and not lang.has("speech", tail)


def _content_of_previous(lang: Language, gap: str) -> bool:
    """ "criticised Beijing for its support of ...", "warned China against providing ...", "invited
    Trump to visit ...", "批评北京支持...": what the earlier verbal cue is about, not an act of its own."""
    if "," in gap or "，" in gap or lang.has("speech", gap) or lang.has("clause_breaks", gap):
        return False
    if lang.code == "zh":
        return lang.gap(gap) <= 2
    return bool(
        re.match(
            r"^[’']?s?\W*(?:for|against|over|about|of|from|to|in|on|into|в|за|от|к)\b", gap.strip(), re.I
        )
    )


def _demanded(lang: Language, prev: _CueHit, between: str) -> bool:
    """ "Rubio demanded that Russia release ...": a cue of the `demands` list followed by "that" and the
    next cue's actor: what is demanded or alleged is not an act."""
    return lang.has("demands", prev.text) and bool(re.fullmatch(r"\s*that\s+(?:the\s+)?", between, re.I))


def _relative_clause(lang: Language, gap: str) -> bool:
    """The cue's subject is a noun between the mention and a relative pronoun: "... companies that supplied"."""
    if lang.code != "en":
        return False
    m = re.search(r"\b(\w+)\s+(?:that|which|who)\s+$", gap)
    return bool(m) and not lang.has("speech", m.group(1)) and not lang.has("judging", m.group(1))


def _participle(lang: Language, s: str, hit: _CueHit) -> bool:
    """A verb cue used as an adjective before a noun: preceded by an article or a number."""
    p = lang.words.get("determiners")
    if p is None or hit.cue.noun or " " in hit.text.strip() or not hit.text.lower().endswith(("ed", "en")):
        return False
    before = s[max(0, hit.start - 20) : hit.start]
    return bool(re.search(r"(?:" + p.pattern + r")\s+$", before, re.I))


def _agent_after(lang: Language, s: str, refs: list[_Ref], hit: _CueHit) -> _Ref | None:
    """The actor introduced after the cue by "by" / "со стороны": "sanctions imposed by Washington",
    "the detention of a Chinese journalist by US authorities"."""
    if lang.words.get("agent") is None:
        return None
    window = s[hit.end : hit.end + 60]
    by = r"(?:" + lang.words["agent"].pattern + r")\s+(?:the\s+)?"
    # "imposed by", "sanctions announced by"; after "detention of": "of a Chinese journalist by"
    between = (
        r"(?:[^\w,;]*[\w'’-]+){0,4}?" if re.search(r"\b(?:of|on)$", hit.text) else r"(?:\s+\w+(?:ed|en))?"
    )
    m = re.match(between + r"[^\w,;]*" + by, window, re.I)
    if m is None:
        return None
    at = hit.end + m.end()
    nxt = next((r for r in refs if r.start >= at), None)
    if nxt is not None and lang.gap(s[at : nxt.start]) <= 2 and nxt.actor:
        return nxt
    return None


def _agent_before(lang, s, refs, hit, subject) -> _Ref | None:
    """ "Russian banks hit by US sanctions": a noun cue whose actor stands right after "by" makes the
    mention before "by" its target."""
    if not subject or lang.words.get("agent") is None:
        return None
    actor = subject[-1]
    if lang.gap(s[actor.end : hit.start]) > 2:
        return None
    before = s[max(0, actor.start - 30) : actor.start]
    m = re.search(r"(?:" + lang.words["agent"].pattern + r")\s+(?:the\s+)?$", before, re.I)
    if m is None:
        return None
    target = [
        r for r in refs if r.end <= actor.start - (len(before) - m.start()) and r.country != actor.country
    ]
    return target[-1] if target else None


def _chinese_frame(lang, s, refs, hit):
    """Chinese frames with the target before the cue: "A对B实施制裁" (A acts on B), "A与B签署" (together),
    "B被A制裁" / "B遭到A制裁" (B suffers A's act). (sources, targets, joint) or None."""
    if lang.code != "zh":
        return None
    clause_start = _clause_start(lang, s, hit.start)
    before = [r for r in refs if clause_start <= r.start and r.end <= hit.start]
    if len(before) < 2:
        return None
    b, a = before[-1], None
    for r in reversed(before[:-1]):
        if r.country != b.country:
            a = r
            break
    if a is None:
        return None
    link = s[a.end : b.start]
    tail = s[b.end : hit.start]
    if lang.gap(tail) > lang.max_subject_gap or lang.gap(link) > lang.max_subject_gap:
        return None
    if lang.before_agent and lang.before_agent.search(link):
        return [b], [a], False  # "俄罗斯被美国制裁": 美国 acts on 俄罗斯
    if lang.target_links and re.search(r"(?:" + lang.target_links.pattern + r")\S{0,4}$", link):
        return [a], [b], False
    if _coordination(lang, link):
        return [a, b], [], True
    return None


def _is_passive(lang: Language, s: str, hit: _CueHit, subject: list[_Ref]) -> bool:
    if hit.cue.noun or lang.words.get("passive") is None:
        return False
    gap = s[subject[0].end : hit.start]
    return bool(re.search(r"(?:" + lang.words["passive"].pattern + r")\s+(?:\w+ly\s+)?$", gap, re.I))


def _crosses_cue(cues: list[_CueHit], start: int, end: int) -> bool:
    return any(start <= c.start and c.end <= end for c in cues)


def _coordination(lang: Language, joiner: str) -> bool:
    """'China and Russia', 'China, Russia', 'Russia and the United States', 'Russian and Chinese'."""
    # "Tsivilev and his Chinese counterpart": a possessive before the second actor still coordinates
    j = re.sub(r"\s+(?:the|his|her|its|their)$", "", joiner.strip(), flags=re.I).strip()
    if not j or j in {",", "、", "，"}:
        return lang.code == "zh" or bool(j)
    p = lang.words.get("coordinators")
    return bool(p and p.fullmatch(j.strip(", ")))


def _location(lang: Language, lead: str) -> bool:
    p = lang.words.get("locations")
    if p is None:
        return False
    return bool(re.search(r"(?:" + p.pattern + r")\s*(?:the\s+)?$", lead.strip() + " ", re.I))


def _product(s: str, r: _Ref, lead: str) -> bool:
    """ "shot down an American-made drone": a product of the country, not the country; but a measure on
    a country's products ("a ban on Chinese-made cars") is aimed at the country."""
    if re.search(r"\b(?:on|against|of)\s*$", lead):
        return False
    return bool(re.match(r"-(?:made|built|designed|produced|supplied|manufactured)\b", s[r.end : r.end + 14]))


def _clause_start(lang: Language, s: str, at: int) -> int:
    start = 0
    p = lang.words.get("clause_breaks")
    if p is not None:
        for m in p.finditer(s, 0, at):
            start = m.end()
    return start


def _clause_end(lang: Language, s: str, at: int) -> int:
    p = lang.words.get("clause_breaks")
    m = p.search(s, at) if p is not None else None
    end = m.start() if m else len(s)
    if lang.code == "zh":  # Chinese clauses are chained with commas: an object never stands past one
        comma = s.find("，", at)
        end = min(end, comma) if comma >= 0 else end
    return end


def _clause_before(lang: Language, s: str, at: int) -> str:
    """The text between the last clause start (or comma) and the cue: where its modifiers stand."""
    start = max(_clause_start(lang, s, at), s.rfind(",", 0, at) + 1, s.rfind("，", 0, at) + 1)
    return s[start:at]


def _last_words(lang: Language, text: str, n: int) -> str:
    if lang.code == "zh":
        return text[-n - 2 :]
    words = list(re.finditer(r"[\w'’]+", text))
    return text[words[-n].start() :] if len(words) >= n else text


_WORD_START = re.compile(r"(?<!\w)\w")


def _cue_hits(lang: Language, s: str) -> list[_CueHit]:
    """Cues left to right, without overlaps; at one place the longest cue wins ("lifted sanctions" over
    "lifted")."""
    starts = range(len(s)) if lang.code == "zh" else (m.start() for m in _WORD_START.finditer(s))
    hits: list[_CueHit] = []
    end = 0
    lower = s.lower()
    for pos in starts:
        if pos < end:
            continue
        best = None
        for pattern, cue in (*lang.cue_index.get(lower[pos], ()), *lang.cue_anywhere):
            m = pattern.match(s, pos)
            if m and (best is None or m.end() > best[0].end()):
                best = (m, cue)
        if best is not None:
            m, cue = best
            if m.end() > pos:
                hits.append(_CueHit(pos, m.end(), cue, m.group()))
                end = m.end()
    return hits


# ---------------------------------------------------------------------------------------------------- actors


def _is_actor(lang: Language, s: str, r: _Ref, refs: list[_Ref], cues: list[_CueHit]) -> bool:
    """A country form standing for the state: not a company or private person ("a Chinese carmaker",
    "China's BYD"), and a demonym only with a state head ("Chinese foreign ministry", "Russian diplomats")
    or a noun cue ("American sanctions")."""
    after = s[r.end : r.end + 60]
    if lang.code == "zh":
        return _zh_actor(lang, s, r, after)
    possessive = re.match(r"[’']s\s+", after)
    cue = next((c for c in cues if r.end <= c.start < r.end + 60), None)
    upto = after[: cue.start - r.end] if cue else after
    head = _head_words(upto, 3 if possessive or r.kind == "demonym" else 1, r)
    if head and _starts_with_any(head, lang.private_heads):
        return False
    if head and _starts_with_any(head, lang.state_heads):
        return True
    if r.kind == "demonym" and cue is not None and lang.gap(upto) <= 1:
        return cue.cue.noun  # "American sanctions", "Chinese criticism"
    if r.kind not in _ACTOR_KINDS:
        return False  # a demonym without a state head: "Chinese scientists", "Russians"
    if possessive:
        name = re.match(r"[A-Z][\w-]+", after[possessive.end() :])
        if name and not any(o.start == r.end + possessive.end() for o in refs):
            return False  # "China's BYD", "Russia's Gazprom": a company or person of the country
    return True


def _head_words(after: str, n: int, r: _Ref) -> list[str]:
    """Up to n lowercase words after the mention (past "'s" and a coordinated demonym)."""
    text = re.sub(r"^[’']s\b", "", after)
    if r.kind == "demonym":
        text = re.sub(r"^[\s-]*(?:and|и)\s+\w+\s+", " ", text)  # "Russian and Chinese ships"
    # an adverb is no head: "China firmly opposes" is not "a Chinese firm", "officially" no official
    words = [w.lower() for w in re.findall(r"[\w-]+", text) if not re.fullmatch(r"[a-z]{3,}ly", w.lower())]
    return words[:n]


def _starts_with_any(words: list[str], stems: tuple[str, ...]) -> bool:
    joined = " ".join(words)
    return any(w.startswith(stem) for stem in stems for w in words if " " not in stem) or any(
        joined.startswith(stem) or f" {stem}" in joined for stem in stems if " " in stem
    )


def _zh_actor(lang: Language, s: str, r: _Ref, after: str) -> bool:
    nxt = after[:6]
    for stem in lang.private_heads:
        if nxt.startswith(stem) or (len(stem) > 1 and stem in nxt[:4]):
            return False
    if r.kind == "demonym":
        return any(stem in nxt for stem in lang.state_heads)
    return r.kind in _ACTOR_KINDS


# ---------------------------------------------------------------------------------------------------- sentences


def _locate_sentence(group: list[Mention], text: str) -> tuple[str, list[_Ref]] | None:
    """The sentence text and the mentions with offsets into it, from the tagger's evidence sentence."""
    evidence = group[0].evidence
    first = min(m.start for m in group)
    last = max(m.end for m in group)
    start = text.find(evidence, max(0, last - len(evidence)), first + len(evidence))
    if start < 0:
        return None
    refs = [
        _Ref(m.country, m.start - start, m.end - start, m.kind)
        for m in group
        if start <= m.start and m.end <= start + len(evidence)
    ]
    return evidence, refs


def _language_of(sentence: str) -> str:
    if _CJK.search(sentence):
        return "zh"
    if len(_CYRILLIC.findall(sentence)) > 3:
        return "ru"
    return "en"


def _is_question(sentence: str) -> bool:
    return sentence.rstrip(" \"'”’»)").endswith(("?", "？")) or sentence.rstrip().endswith("吗")


def _opens_with_condition(lang: Language, sentence: str) -> bool:
    """ "If Washington imposed tariffs, Beijing would retaliate": the whole sentence is hypothetical."""
    p = lang.words.get("hypothetical")
    m = p.match(sentence.lstrip(" \"“‘'")) if p else None
    return bool(m)


def _quoted(sentence: str) -> bool:
    return sentence.count("“") + sentence.count('"') >= 2 or "「" in sentence


# ---------------------------------------------------------------------------------------------------- API


@lru_cache(maxsize=1)
def default_finder() -> RelationFinder:
    return RelationFinder(load_lexicon())


def find_relations(mentions: list[Mention], text: str, title: str | None = None) -> list[Relation]:
    """Relations in one article with the bundled lexicon."""
    return default_finder().find(mentions, text, title)


def relations_of_text(text: str, date=None, title: str | None = None) -> list[Relation]:
    """Tag `text` with the bundled watchlist and find its relations (tests, bench, `newsmon tag`)."""
    from newsmon.tagging import default_tagger

    result = default_tagger().tag_article(title, text, date)
    return find_relations(result.mentions, text, title)


def score_labelled(finder: RelationFinder, records: list[dict], tagger=None) -> dict:
    """Micro precision and recall of (source, target, class) tuples against labelled sentences
    ({"text", "date"?, "relations": [{source, target, class}]}), plus direction accuracy (of gold
    directed pairs found in either direction, the share found the right way round) and class accuracy
    (of gold pairs found with the right direction, the share with the right class)."""
    from newsmon.tagging import default_tagger

    tagger = tagger or default_tagger()
    tp = fp = fn = 0
    dir_total = dir_right = cls_total = cls_right = 0
    errors: list[dict] = []
    for rec in records:
        result = tagger.tag_article(None, rec["text"], rec.get("date"))
        got = {(r.source, r.target, r.cls) for r in finder.find(result.mentions, rec["text"])}
        gold = {(g["source"], g["target"], g["class"]) for g in rec.get("relations", [])}
        tp += len(got & gold)
        fp += len(got - gold)
        fn += len(gold - got)
        got_pairs = {(a, b) for a, b, _ in got}
        for a, b, cls in gold:
            if (a, b) in got_pairs or (b, a) in got_pairs:
                dir_total += 1
                dir_right += (a, b) in got_pairs
            if (a, b) in got_pairs:
                cls_total += 1
                cls_right += (a, b, cls) in got
        if got != gold:
            errors.append(
                {"id": rec.get("id"), "text": rec["text"], "gold": sorted(gold), "got": sorted(got)}
            )
    return {
        "sentences": len(records),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "direction_accuracy": dir_right / dir_total if dir_total else 1.0,
        "class_accuracy": cls_right / cls_total if cls_total else 1.0,
        "errors": errors,
    }


# ---------------------------------------------------------------------------------------------------- CLI


def cli_json(result, relations: list[Relation], doc_id) -> dict:
    """The `newsmon tag` output object: the tagger's, plus its relations."""
    from newsmon import tagging

    out = tagging.cli_json(result, doc_id)
    out["relations"] = [
        {
            "source": r.source,
            "target": r.target,
            "class": r.cls,
            "sentence": r.sentence,
            "cue": r.cue,
            "reported": r.reported,
            "evidence": r.evidence,
        }
        for r in relations
    ]
    return out


def cli_tag(args) -> int:
    """`newsmon tag [FILE] [--text] [--date D]`: the tagger's JSON objects with `relations` added. A JSON
    line may carry its own "date" (the article date for office-holder terms), else --date applies."""
    import json
    import sys
    from datetime import date

    from newsmon import tagging
    from newsmon.cli import UserError

    day = None
    if getattr(args, "date", None):
        try:
            day = date.fromisoformat(args.date)
        except ValueError:
            raise UserError(f"--date {args.date!r} is not a date (YYYY-MM-DD)") from None
    tagger, finder = tagging.default_tagger(), default_finder()
    out = sys.stdout
    bad: list[int] = []
    with tagging._open_input(getattr(args, "file", None)) as stream:
        if getattr(args, "text", False):
            text = stream.read().decode("utf-8", errors="replace")  # plain text: show what we can
            result = tagger.tag_article(None, text, day)
            rels = finder.find(result.mentions, text)
            out.write(json.dumps(cli_json(result, rels, args.file), ensure_ascii=False) + "\n")
            return 0
        for n, obj, error in tagging._json_lines(stream):
            if error is None and not isinstance(obj.get("date"), str | None):
                error = '"date" must be a string (YYYY-MM-DD) when given'
            if error is None:
                try:
                    result = tagger.tag_article(obj.get("title"), obj["text"], obj.get("date") or day)
                    rels = finder.find(result.mentions, obj["text"], obj.get("title"))
                except (ValueError, TypeError) as exc:
                    error = str(exc)
            if error is not None:
                bad.append(n)
                print(f"newsmon tag: line {n}: {error}; skipped", file=sys.stderr)
                continue
            out.write(json.dumps(cli_json(result, rels, obj.get("id", n)), ensure_ascii=False) + "\n")
    if bad:
        raise UserError(f"{len(bad)} input line(s) could not be tagged: {', '.join(map(str, bad[:10]))}")
    return 0
