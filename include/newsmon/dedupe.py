"""Canonical URLs, content fingerprints and story grouping.

- `canonical_url` folds the URL variants of one article (tracking parameters, fragments, AMP and mobile
  versions, http/https, www, trailing slashes, default ports, parameter order) into one URL;
  `article_id` is the first 16 hex digits of its SHA-1.
- `content_hash` identifies identical text (case and spacing do not matter); `simhash` is a 64-bit SimHash over
  3-word shingles (single characters for Chinese, Japanese and Korean) that stays close for lightly edited copies.
- `StoryIndex` groups articles into stories: an exact content-hash match, or a SimHash within
  `max_distance` bits (or within `verify_distance` with mostly the same shingles) inside the time window.
  Candidates come from banded lookup tables (LSH over SimHash bits), so adding an article costs a few table
  lookups, not a pass over every stored article. The match is symmetric and every match of a new article counts
  (stories it links merge, `merges`), so the stories do not depend on the order articles arrive in.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import numpy as np

# ---------------------------------------------------------------------------------------------- canonical URL

# Query parameters that say how a reader arrived, never which article it is.
TRACKING_PARAMS = {
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ref", "ref_src", "ref_url", "referrer", "cmpid", "cmp", "icid",
    "ocid", "ito", "smid", "smtyp", "sr_share", "taid", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname",
    "ns_fee", "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4", "spm",
    "share", "amp", "outputtype", "s_cid", "cid_source", "xtor", "guccounter", "guce_referrer",
    "guce_referrer_sig", "rss", "from_rss", "via", "tracking", "trk", "wt.mc_id", "__twitter_impression",
}  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmsr", "hmpl", "hmcu", "hmkw", "hmci", "at_")
_HOST_PREFIXES = ("www.", "amp.", "m.", "mobile.")
# Characters a path may hold unescaped (RFC 3986 pchar plus "/"); everything else is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_PCT = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _normalise_path(path: str) -> str:
    """Same escapes everywhere: unreserved characters decoded, other escapes upper-case, the rest quoted."""

    def fix(m: re.Match) -> str:
        ch = chr(int(m.group(0)[1:], 16))
        return ch if ch in _UNRESERVED else m.group(0).upper()

    path = _PCT.sub(fix, path)
    # Quote what is neither safe nor an existing escape; "%" of an escape stays as it is.
    parts = re.split(r"(%[0-9A-F]{2})", path)
    return "".join(p if _PCT.fullmatch(p) else quote(p, safe=_PATH_SAFE) for p in parts)


def _strip_amp_path(path: str) -> str:
    segments = path.split("/")
    if segments and segments[-1].endswith(".amp.html"):
        segments[-1] = segments[-1][: -len(".amp.html")] + ".html"
    elif segments and segments[-1].endswith(".amp"):
        segments[-1] = segments[-1][: -len(".amp")]
    kept = [s for s in segments if s.lower() != "amp"]
    return "/".join(kept)


def canonical_url(url: str) -> str:
    """One URL for all the variants of an article. Raises ValueError for something that is not an http(s) URL.

    https always; host lower-case without www./amp./m./mobile. and default port; path with /amp segments,
    .amp(.html) suffixes, repeated and trailing slashes removed; tracking parameters (utm_*, fbclid, gclid, ...)
    and ?amp dropped, the rest sorted; no fragment, no user info.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("empty URL")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"URL without a host: {url!r}")
    changed = True
    while changed:  # "m.www." and the like
        changed = False
        for prefix in _HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") >= 2:
                host, changed = host[len(prefix) :], True
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"URL with a bad port: {url!r}") from None
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"  # the default ports of http and https
    path = _normalise_path(_strip_amp_path(parts.path))
    path = re.sub(r"/{2,}", "/", path).rstrip("/") or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    return urlunsplit(("https", netloc, path, urlencode(sorted(query)), ""))


def article_id(canonical: str) -> str:
    """16 hex digits of SHA-1 of the canonical URL: the article's key everywhere."""
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------------------------- text fingerprints

_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7af]|[^\W_]+", re.U)
# ASCII text after lower(): _TOKEN's words are the runs of [a-z0-9]; every other character separates them.
_ASCII_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


def normalise_text(text: str) -> str:
    """NFKC, lower case, runs of whitespace as one space, stripped.

    ASCII text is its own NFKC form, and str.split() splits on exactly the characters regex \\s matches
    (tests/test_dedupe.py checks both over every code point), so this is re.sub(r"\\s+", " ", ...).strip()
    at a third of the cost.
    """
    text = text or ""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.lower().split())


def content_hash(text: str) -> str:
    """SHA-1 of the text with case, Unicode form and whitespace normalised: identical copies share it."""
    return hashlib.sha1(normalise_text(text).encode("utf-8")).hexdigest()


def tokens(text: str) -> list[str]:
    text = text or ""
    if (
        text.isascii()
    ):  # normalise_text's spaces are split again here: _tokens_of without that pass, same list
        return text.lower().translate(_ASCII_SEPARATORS).split()
    return _tokens_of(normalise_text(text))


def _tokens_of(normalised: str) -> list[str]:
    """_TOKEN's matches in normalised (so lower-case) text; for ASCII, by translate and split (4x faster)."""
    if normalised.isascii():
        return normalised.translate(_ASCII_SEPARATORS).split()
    return _TOKEN.findall(normalised)


@lru_cache(maxsize=200_000)
def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


class _TokenHashes(dict):
    """token -> _token_hash(token), filled on first sight: `map(table.__getitem__, ...)` is a C lookup per token,
    three times faster than calling the lru_cache wrapper (shingling was a third of a day's load). Emptied when
    it outgrows `limit`, as the cache would evict; safe across threads (a lost race computes the same value)."""

    limit = 200_000

    def __missing__(self, token: str) -> int:
        if len(self) >= self.limit:
            self.clear()
        value = self[token] = _token_hash(token)
        return value


_TOKEN_HASHES = _TokenHashes()


_SHINGLE_MULT = np.uint64(0x9E3779B97F4A7C15)
_MIX = (
    np.uint64(30),
    np.uint64(0xBF58476D1CE4E5B9),
    np.uint64(27),
    np.uint64(0x94D049BB133111EB),
    np.uint64(31),
)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the bits of a combined shingle value over all 64 bits (in place)."""
    s1, m1, s2, m2, s3 = _MIX
    x ^= x >> s1
    x *= m1  # unsigned arrays wrap modulo 2**64, silently
    x ^= x >> s2
    x *= m2
    x ^= x >> s3
    return x


def shingle_hashes(text: str, size: int = 3) -> np.ndarray:
    """Distinct 64-bit hashes of the text's runs of `size` tokens (the whole text when shorter), sorted."""
    toks = tokens(text)
    if not toks:
        return np.zeros(0, dtype=np.uint64)
    h = np.fromiter(map(_TOKEN_HASHES.__getitem__, toks), dtype=np.uint64, count=len(toks))
    if len(h) < size:
        combined = np.array([np.bitwise_xor.reduce(h)], dtype=np.uint64)
    else:
        n = len(h) - size + 1
        combined = h[:n].copy()
        for i in range(1, size):
            combined *= _SHINGLE_MULT
            combined += h[i : i + n]
    mixed = _mix(combined)
    mixed.sort()
    if len(mixed) > 1:  # np.unique without its bookkeeping
        keep = np.empty(len(mixed), dtype=bool)
        keep[0] = True
        np.not_equal(mixed[1:], mixed[:-1], out=keep[1:])
        mixed = mixed[keep]
    return mixed


def simhash(text: str) -> int:
    """64-bit SimHash (unsigned) over the text's shingles; 0 for a text without words."""
    hashes = shingle_hashes(text)
    if hashes.size == 0:
        return 0
    bits = np.unpackbits(hashes.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    ones = bits.sum(axis=0, dtype=np.int64)
    majority = ones * 2 > hashes.size  # bit b of the SimHash: set in more than half of the shingles
    return int(np.packbits(majority, bitorder="little").view("<u8")[0])


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


# ----------------------------------------------------------------------------------------------- story index

_simhash, _content_hash = simhash, content_hash  # StoryIndex.add takes arguments of the same names


@dataclass
class StoryMatch:
    story_id: str  # the story's id: the article_id of its first article when it was first filed
    duplicate_of: str | None  # the story's earliest article, when that is another one (see `_match_of`)
    reason: str | None  # "content_hash" (same text as the earliest) | "simhash" | None
    is_wire: bool  # another outlet's copy of the earliest article, or an earliest article others copy


@dataclass
class _Entry:
    article_id: str
    story_id: str
    simhash: int
    content_hash: str | None
    when: float | None  # POSIX seconds
    source: str | None
    indexed: bool  # in the SimHash tables (texts too short for a trustworthy SimHash are not)
    text: str = ""  # kept (a reference, not a copy) for articles added with text, to verify near matches
    restored: bool = False  # from stored rows, text not fetched yet
    _shingles: np.ndarray | None = None

    def shingles(self) -> np.ndarray | None:
        if self._shingles is None and self.text:
            self._shingles = shingle_hashes(self.text)
        return self._shingles


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller shingle set found in the larger: 1.0 for a trimmed copy."""
    if a.size == 0 or b.size == 0:
        return 0.0
    # Each set is distinct (shingle_hashes), so in both together a shared value is exactly one pair of equal
    # neighbours: two thirds of np.intersect1d's time, which builds the intersection itself.
    both = np.concatenate((a, b))
    both.sort()
    return int(np.count_nonzero(both[1:] == both[:-1])) / min(a.size, b.size)


def _timestamp(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return float(value)


# Longer texts always count as long enough for a SimHash (30 tokens in 1,000 characters is any real text); the
# loader then needs only the text of shorter stored articles to judge them as `add` would.
LONG_TEXT_CHARS = 1000


@lru_cache(maxsize=8)
def _key_tables(seed: int, tables: int, bits_per_table: int) -> tuple[list[list[int]], list[list[int]]]:
    """The LSH bit positions of each table, and per byte of a SimHash the contribution of each byte value to all
    table keys, packed in one int: a SimHash's keys are then 8 lookups OR-ed together and one shift per table,
    instead of one shift per selected bit (tables x bits_per_table). Read-only once built (shared by indexes)."""
    rng = random.Random(seed)
    positions = [sorted(rng.sample(range(64), bits_per_table)) for _ in range(tables)]
    byte_keys = [[0] * 256 for _ in range(8)]
    for t, chosen in enumerate(positions):
        for i, pos in enumerate(chosen):
            byte, bit = divmod(pos, 8)
            for value in range(256):
                if value >> bit & 1:
                    byte_keys[byte][value] |= 1 << (t * bits_per_table + i)
    return positions, byte_keys


class StoryIndex:
    """Groups articles into stories: exact copies by content hash, near copies by SimHash.

    Two SimHashes of unrelated texts differ in about 32 of 64 bits, but with many articles in the window the
    tail matters: P(d <= 10) is about 2e-8 per pair, P(d <= 14) about 3e-6, i.e. a false merge for one article
    in twenty against a 20,000-article window. So a SimHash within `max_distance` (10 bits) is a match on its
    own; between that and `verify_distance` (16 bits), the zone where short lightly edited copies land (a trimmed
    last paragraph moves a 200-word text by 8-15 bits), it is a match only if both texts are at hand (articles
    added with text in this process, e.g. one staged batch) and at least `min_containment` (70%) of the smaller
    text's shingles are in the other. Different stories on the same topic share far fewer (bench/dedupe.py
    measures both sides).

    Candidate lookup: `tables` lookup tables, each keyed by `bits_per_table` fixed random SimHash bits; a pair
    `d` bits apart collides in one table with probability (1 - d/64)^bits_per_table, so with 48 tables of 10
    bits a pair at distance 14 is found about 98% of the time, while an unrelated article (about 32 bits away)
    is a candidate for about 5% of additions and is then rejected by its distance. Visiting those candidates one
    by one made each addition cost 5% of the window in Python (quadratic over a day); instead the distances to
    every indexed article are computed at once with numpy, and only the few within `verify_distance` are
    checked for a shared table key: the same candidates, for a few µs per thousand indexed articles.
    Articles more than `window_days` apart never match; texts under `min_tokens` words match only exactly.

    Order does not matter: an article joins the story of every article it matches (earlier or later in time),
    and stories it links merge into the one with the oldest article (`merges` lists the renames, `story_of`
    gives an article's story now). Restored rows may carry their text or fetch it on demand (`from_rows`).
    """

    def __init__(
        self,
        window_days: float = 7,
        max_distance: int = 10,
        verify_distance: int = 16,
        min_containment: float = 0.7,
        tables: int = 48,
        bits_per_table: int = 10,
        min_tokens: int = 30,
        seed: int = 20240611,
    ):
        self.window = timedelta(days=window_days).total_seconds()
        self.max_distance = max_distance
        self.verify_distance = verify_distance
        self.min_containment = min_containment
        self.min_tokens = min_tokens
        # fixed bit choices, so a rebuilt index behaves exactly like the old one; built once per process (the
        # byte tables took 60 ms, which every small batch's load paid again)
        self._positions, self._byte_keys = _key_tables(seed, tables, bits_per_table)
        self._slot, self._slot_mask = bits_per_table, (1 << bits_per_table) - 1
        # The indexed entries (those in the SimHash tables) with their SimHashes and table keys in parallel
        # numpy buffers: the first len(self._indexed) rows are in use.
        self._indexed: list[_Entry] = []
        self._index_sh = np.zeros(1024, dtype=np.uint64)
        self._index_keys = np.zeros((1024, tables), dtype=np.int32)
        self._by_hash: dict[str, list[_Entry]] = defaultdict(list)
        self._by_id: dict[str, _Entry] = {}
        self._newest: float | None = None
        self._adds_since_evict = 0
        self._members: dict[str, list[_Entry]] = defaultdict(list)  # story -> its entries
        self.merges: list[tuple[str, str]] = []  # (merged story, surviving story), in the order they happened
        self.text_loader = None  # article_id -> stored text, for grey-zone checks against restored entries
        self._oldest_added: float | None = None
        self._last_keys: tuple[int | None, list[int]] = (None, [])

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._by_id

    def _keys(self, value: int) -> list[int]:
        if self._last_keys[0] == value:  # `add` looks for candidates with them, then stores the new entry
            return self._last_keys[1]
        packed = 0
        for byte, table in enumerate(self._byte_keys):
            packed |= table[(value >> (8 * byte)) & 0xFF]
        slot, mask = self._slot, self._slot_mask
        keys = [(packed >> (t * slot)) & mask for t in range(len(self._positions))]
        self._last_keys = (value, keys)
        return keys

    def _in_window(self, a: float | None, b: float | None) -> bool:
        return a is None or b is None or abs(a - b) <= self.window

    def _keys_many(self, values: list[int]) -> np.ndarray:
        """Table keys for many SimHashes at once (rebuilding from stored rows): shape (len(values), tables)."""
        arr = np.array(values, dtype=np.uint64)
        keys = np.zeros((len(values), len(self._positions)), dtype=np.int64)
        for t, positions in enumerate(self._positions):
            for i, pos in enumerate(positions):
                keys[:, t] |= ((arr >> np.uint64(pos)) & np.uint64(1)).astype(np.int64) << i
        return keys

    def _store(self, entry: _Entry, keys: list[int] | None = None) -> None:
        self._by_id[entry.article_id] = entry
        self._members[entry.story_id].append(entry)
        if entry.content_hash:
            self._by_hash[entry.content_hash].append(entry)
        if entry.indexed:
            self._append_indexed(entry, keys or self._keys(entry.simhash))
        if entry.when is not None:
            self._newest = entry.when if self._newest is None else max(self._newest, entry.when)

    def _append_indexed(self, entry: _Entry, keys: list[int]) -> None:
        n = len(self._indexed)
        if n == len(self._index_sh):  # full: double both buffers
            self._index_sh = np.concatenate([self._index_sh, np.zeros_like(self._index_sh)])
            self._index_keys = np.concatenate([self._index_keys, np.zeros_like(self._index_keys)])
        self._index_sh[n] = entry.simhash
        self._index_keys[n] = keys
        self._indexed.append(entry)

    def _candidates(self, sh: int) -> list[tuple[int, _Entry]]:
        """(distance, entry) for the indexed entries within verify_distance that share a table key with `sh`."""
        n = len(self._indexed)
        if n == 0:
            return []
        distances = np.bitwise_count(self._index_sh[:n] ^ np.uint64(sh))
        near = np.flatnonzero(distances <= self.verify_distance)
        if near.size == 0:
            return []
        keys = np.array(self._keys(sh), dtype=np.int32)
        shared = (self._index_keys[near] == keys).any(axis=1)
        return [(int(distances[i]), self._indexed[i]) for i in near[shared].tolist()]

    def _matches(self, new: _Entry) -> list[tuple[tuple, _Entry, str]]:
        """Every entry in the window that `new` copies or is copied by, with a sort key (closest first).

        The relation is symmetric (same window both ways, same hashes, containment of the smaller text), so
        the stories it makes do not depend on which article arrived first.
        """
        found: dict[str, tuple[tuple, _Entry, str]] = {}
        if new.content_hash:
            for e in self._by_hash.get(new.content_hash, ()):
                if self._in_window(e.when, new.when):
                    found[e.article_id] = ((0, e.when or 0, e.article_id), e, "content_hash")
        if not new.indexed:
            return sorted(found.values(), key=lambda m: m[0])
        for d, e in self._candidates(new.simhash):
            if e.article_id in found or not self._in_window(e.when, new.when):
                continue
            if d <= self.max_distance or self._verified(new, e):
                found[e.article_id] = ((d, e.when or 0, e.article_id), e, "simhash")
        return sorted(found.values(), key=lambda m: m[0])

    def _verified(self, a: _Entry, b: _Entry) -> bool:
        """A SimHash in the grey zone counts only when both texts are at hand and mostly the same shingles.

        A restored entry's text is fetched on demand (`text_loader`): only grey-zone candidates need it.
        """
        for e in (a, b):
            if not e.text and e.restored and self.text_loader is not None:
                e.text, e.restored = self.text_loader(e.article_id) or "", False
        sa, sb = a.shingles(), b.shingles()
        return sa is not None and sb is not None and containment(sa, sb) >= self.min_containment

    def add(
        self,
        article_id: str,
        text: str,
        published: datetime | float | None,
        source: str | None,
        simhash: int | None = None,
        content_hash: str | None = None,
    ) -> StoryMatch:
        """File an article under its story (adding the same id twice returns the same answer)."""
        when = _timestamp(published)
        if article_id in self._by_id:
            return self._match_of(self._by_id[article_id])
        sh = (simhash if simhash is not None else _simhash(text)) & 0xFFFFFFFFFFFFFFFF
        ch = content_hash if content_hash is not None else (_content_hash(text) if text else None)
        entry = _Entry(article_id, article_id, sh, ch, when, source, self.indexable(sh, text), text or "")
        matches = self._matches(entry)
        if matches:
            entry.story_id = self._settle([e.story_id for _, e, _ in matches])
        self._store(entry)
        self._maybe_evict(when)
        return self._match_of(entry)

    def _settle(self, stories: list[str]) -> str:
        """The story a new article joins; when it links several stories they merge into the oldest one.

        The oldest is the one whose earliest known article is earliest, so a story keeps its id when a late
        copy (or a late original) joins it; every merge is appended to `merges` as (old id, surviving id).
        """
        distinct = sorted(set(stories), key=self._story_age)
        survivor = distinct[0]
        for loser in distinct[1:]:
            for e in self._members.pop(loser, []):
                e.story_id = survivor
                self._members[survivor].append(e)
            self.merges.append((loser, survivor))
        return survivor

    def _story_age(self, story_id: str) -> tuple:
        members = self._members.get(story_id) or []
        return min(((e.when or 0, e.article_id) for e in members), default=(0, story_id))

    def size_of(self, story_id: str) -> int:
        """How many articles the index knows in this story."""
        return len(self._members.get(story_id) or ())

    def story_of(self, article_id: str) -> str | None:
        """The article's story now (a later merge may have renamed the one `add` returned)."""
        entry = self._by_id.get(article_id)
        return entry.story_id if entry else None

    def _match_of(self, entry: _Entry) -> StoryMatch:
        """The first-article columns as a function of the story's members, not of who arrived first.

        The story's original is its earliest member (published, ties by article id); every other member is a
        copy of it (`content_hash` when the texts are the same, else `simhash`: it is in the story through
        near matches), a wire copy when another outlet's. The original is a wire story when another outlet
        carries it. The loader settles the same columns over every stored member (`_settle_first_columns`).
        """
        members = self._members.get(entry.story_id) or [entry]
        first = min(members, key=lambda e: (e.when or 0, e.article_id))
        if first is entry:
            return StoryMatch(entry.story_id, None, None, any(e.source != entry.source for e in members))
        same = entry.content_hash is not None and entry.content_hash == first.content_hash
        reason = "content_hash" if same else "simhash"
        return StoryMatch(entry.story_id, first.article_id, reason, first.source != entry.source)

    def indexable(self, sh: int, text: str | None) -> bool:
        """Whether an article goes into the SimHash tables (restored rows must be judged the same way)."""
        return sh != 0 and (self._long_enough(text) if text else True)

    def _long_enough(self, text: str) -> bool:
        if len(text) > LONG_TEXT_CHARS:  # so a restore needs the text of short rows only
            return True
        if len(text.split()) >= self.min_tokens:  # cheap and enough for spaced scripts
            return True
        return len(tokens(text)) >= self.min_tokens  # Chinese or Japanese: one token per character

    def from_rows(self, rows, text_loader=None) -> StoryIndex:
        """Restore from stored (article_id, story_id, simhash, content_hash, published, source[, text]) rows.

        With the text (the optional 7th column, or `text_loader(article_id)` fetching it when a grey-zone
        SimHash needs it), near matches against these articles are verified as within one batch (see the class
        docstring); without either only distances up to `max_distance` match them. A 7th column of None with a
        loader means "long text, fetch it when needed" (see LONG_TEXT_CHARS).
        """
        if text_loader is not None:
            self.text_loader = text_loader
        entries = []
        for row in rows:
            article_id_, story_id, sh, ch, published, source = row[:6]
            if article_id_ in self._by_id:
                continue
            sh = int(sh or 0) & 0xFFFFFFFFFFFFFFFF
            when = _timestamp(published)
            text = row[6] if len(row) > 6 else ""
            lazy = text is None and self.text_loader is not None
            indexed = sh != 0 if (lazy or not text) else self.indexable(sh, text)
            entry = _Entry(article_id_, story_id or article_id_, sh, ch, when, source, indexed, text or "")
            entry.restored = lazy
            entries.append(entry)
        if entries:
            keys = self._keys_many([e.simhash for e in entries]).tolist()
            for entry, entry_keys in zip(entries, keys, strict=True):
                self._store(entry, entry_keys)
        return self

    def _maybe_evict(self, when: float | None = None) -> None:
        """Forget articles two windows older than the newest one (and a window older than any article added
        since the last look, which a late copy may still need), every few thousand additions."""
        self._adds_since_evict += 1
        if when is not None:
            self._oldest_added = when if self._oldest_added is None else min(self._oldest_added, when)
        if self._adds_since_evict < 5000 or self._newest is None:
            return
        self._adds_since_evict = 0
        cutoff = self._newest - 2 * self.window
        if self._oldest_added is not None:
            cutoff = min(cutoff, self._oldest_added - self.window)
        self._oldest_added = None
        old = [e for e in self._by_id.values() if e.when is not None and e.when < cutoff]
        if not old:
            return
        gone = {e.article_id for e in old}
        for aid in gone:
            del self._by_id[aid]
        for story in {e.story_id for e in old}:
            kept_members = [e for e in self._members[story] if e.article_id not in gone]
            if kept_members:
                self._members[story] = kept_members
            else:
                del self._members[story]
        for key in list(self._by_hash):
            kept = [e for e in self._by_hash[key] if e.article_id not in gone]
            if kept:
                self._by_hash[key] = kept
            else:
                del self._by_hash[key]
        rows = [i for i, e in enumerate(self._indexed) if e.article_id not in gone]
        self._index_sh[: len(rows)] = self._index_sh[rows]
        self._index_keys[: len(rows)] = self._index_keys[rows]
        self._indexed = [self._indexed[i] for i in rows]
