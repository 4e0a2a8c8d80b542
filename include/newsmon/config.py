"""Where things live and how the pipeline is configured.

Everything is read from environment variables with sensible defaults, so the same code serves the DAGs,
the `newsmon` command and the tests. Nothing here touches the network or DuckDB.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Annotated, get_type_hints
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    Strict,
    StrictBool,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

from newsmon.models import FeedConfig

PACKAGE_DIR = Path(__file__).resolve().parent
CONFIG_DIR = PACKAGE_DIR / "config"
SQL_DIR = PACKAGE_DIR / "sql"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
DEFAULT_FEEDS_FILE = CONFIG_DIR / "feeds.yaml"
DEFAULT_WATCHLIST_FILE = CONFIG_DIR / "watchlist.yaml"
DEFAULT_SETTINGS_FILE = CONFIG_DIR / "settings.yaml"

USER_AGENT = "newsmon/0.1 (+https://github.com/newsmon/newsmon; news monitoring research bot)"


class ConfigError(ValueError):
    """A configuration file or value is wrong; the message says which and why."""


@dataclass(frozen=True)
class Paths:
    """The data folder and everything under it (NEWSMON_DATA_DIR, default ./data)."""

    data_dir: Path

    @property
    def staging(self) -> Path:  # Parquet written by fetch tasks, loaded by the single loader
        return self.data_dir / "staging"

    @property
    def state(self) -> Path:  # per-feed state, boilerplate memory, robots cache
        return self.data_dir / "state"

    @property
    def warehouse(self) -> Path:  # private: only the loader and the daily job open it
        return self.data_dir / "warehouse.duckdb"

    @property
    def analyst_db(self) -> Path:  # published copy for analysts, replaced atomically
        return self.data_dir / "newsmon.duckdb"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def lock(self) -> Path:
        return self.data_dir / "warehouse.lock"

    def ensure(self) -> Paths:
        for p in (self.data_dir, self.staging, self.state, self.outbox):
            try:
                p.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise ConfigError(
                    f"data folder {self.data_dir}: {p} is a file, not a folder "
                    "(set NEWSMON_DATA_DIR or --data-dir to a folder)"
                ) from None
            except OSError as exc:
                raise ConfigError(
                    f"data folder {self.data_dir}: cannot create {p}: {exc.strerror or exc}"
                ) from None
        return self


def paths(data_dir: str | os.PathLike | None = None) -> Paths:
    root = data_dir or os.environ.get("NEWSMON_DATA_DIR") or "data"
    return Paths(Path(root).resolve())


# Types and ranges of the settings, checked by pydantic in Settings.load() (strictly: `read_timeout: "5"` or
# `respect_robots: 'no'` in the file are errors, not guesses). Settings(...) built in code is not checked.
Seconds = Annotated[float, Strict(), Field(gt=0)]
Count = Annotated[int, Strict(), Field(ge=1)]
Bytes = Annotated[int, Strict(), Field(ge=1024)]


@dataclass
class Settings:
    """Tunable behaviour. Defaults live in config/settings.yaml; env vars override the common ones."""

    allow_hosts: list[StrictStr] = field(
        default_factory=list
    )  # NEWSMON_ALLOW_HOSTS: origins (http://host:port) or CIDRs exempt from the SSRF guard
    respect_robots: StrictBool = True  # NEWSMON_ROBOTS=0 turns robots.txt checks off for article pages
    connect_timeout: Seconds = 5.0
    read_timeout: Seconds = 20.0
    max_feed_bytes: Bytes = 10 * 1024 * 1024
    max_page_bytes: Bytes = 5 * 1024 * 1024
    max_redirects: Annotated[int, Strict(), Field(ge=0)] = 5
    host_spacing: Annotated[float, Strict(), Field(ge=0)] = (
        1.0  # seconds between two requests to the same host
    )
    fetch_workers: Count = 16  # threads per fetch shard
    fetch_cpu_threads: Count = 1  # of those, how many extract, clean and tag at once (pipeline.process_item)
    shards: Count = 4  # mapped fetch tasks in news_ingest
    min_text_chars: Annotated[int, Strict(), Field(ge=0)] = 200  # below this the feed's own content is used
    max_items_per_feed: Count = 100
    # Per-item caps, applied before tagging (a 9 MB title of "China " made 1.5 million mention rows); each
    # cap is counted in the run summary when it bites (pipeline.ADJUSTMENTS).
    max_title_chars: Count = 1000
    max_text_chars: Count = 200_000  # a long read is ~60k characters
    max_mentions_per_article: Count = 2000
    max_mentions_per_country: Count = 500
    loaded_retention_days: Annotated[float, Strict(), Field(gt=0)] = (
        14.0  # staging/loaded/ batches (what `newsmon rebuild` uses) are kept this long
    )
    extra: dict = field(default_factory=dict)  # other sections of settings.yaml (quality gates, digest, ...)

    __pydantic_config__ = ConfigDict(extra="forbid")

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> Settings:
        """settings.yaml, then NEWSMON_<FIELD> overrides; any wrong value is a ConfigError naming file and key."""
        path = Path(path or os.environ.get("NEWSMON_SETTINGS") or DEFAULT_SETTINGS_FILE)
        raw = read_yaml(path) if path.exists() else None
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping of settings at the top level")
        fields_ = setting_names()
        unknown = [k for k in raw if k not in fields_ and k not in SECTIONS]
        if unknown:
            raise ConfigError(f"{path}: {_unknown_key(unknown[0], [*fields_, *SECTIONS])}")
        extra = {}
        for name in SECTIONS:
            section = raw.get(name)
            if section is not None and not isinstance(section, dict):
                raise ConfigError(f"{path}: {name}: expected a mapping, got {_shown(section)}")
            extra[name] = section or {}
        values = {k: v for k, v in raw.items() if k in fields_}
        try:
            s = _SETTINGS.validate_python({**values, "extra": extra})
        except ValidationError as exc:
            raise ConfigError(f"{path}: {_first_problem(exc)}") from None
        s._apply_env(os.environ)
        for entry in s.allow_hosts:  # a malformed exemption is an error now, not a silent no-op later
            parse_allow_entry(entry)
        check_sections(s, path)
        return s

    def _apply_env(self, env) -> None:
        """NEWSMON_<FIELD> overrides any setting, e.g. NEWSMON_READ_TIMEOUT=5 or NEWSMON_ALLOW_HOSTS=http://127.0.0.1:8765.

        Values are text, so numbers are parsed (then range-checked like the file's), a list is comma-separated
        and a switch must be one of 1/0, true/false, yes/no, on/off: anything else is an error, not a guess.
        """
        overrides = {f"NEWSMON_{name.upper()}": name for name in setting_names()}
        overrides["NEWSMON_ROBOTS"] = "respect_robots"  # short alias
        hints = _setting_types()
        for var, name in overrides.items():
            raw = env.get(var)
            if raw is None:
                continue
            current = getattr(self, name)
            if isinstance(current, bool):
                value = _switch(raw)
                if value is None:
                    raise ConfigError(f"{var}={raw!r}: {name} must be one of {', '.join(SWITCH_WORDS)}")
            elif isinstance(current, list):
                value = [h.strip() for h in raw.split(",") if h.strip()]
            else:
                kind = type(current)
                try:
                    value = TypeAdapter(hints[name]).validate_python(kind(raw.strip()))
                except ValidationError as exc:  # a range (a ValueError too, so first)
                    raise ConfigError(f"{var}={raw!r}: {_first_problem(exc, name)}") from None
                except ValueError:
                    what = "a whole number" if kind is int else "a number" if kind is float else kind.__name__
                    raise ConfigError(f"{var}={raw!r}: {name} must be {what}") from None
            setattr(self, name, value)

    def section(self, name: str) -> dict:
        value = self.extra.get(name) or {}
        return value if isinstance(value, dict) else {}


SECTIONS = ("quality", "health", "digest")  # the settings.yaml sections, checked at load by check_sections


class DigestSection(BaseModel):
    """The `digest:` section's schema (newsmon.digest reads it; the pair level is judged there too)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    to: list[StrictStr] | StrictStr = []
    from_: StrictStr | None = Field(None, alias="from")
    pair_level: StrictStr | None = None
    manage_url: StrictStr | None = None


def check_sections(settings: Settings, path: Path) -> None:
    """Each section against its owner's schema now, so a typo stops the run before it fetches anything."""
    from newsmon.health import HealthSettings
    from newsmon.quality import QualitySettings

    try:
        DigestSection.model_validate(settings.section("digest"))
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_first_problem(exc, section='digest')}") from None
    for owner in (QualitySettings, HealthSettings):
        try:
            owner.from_settings(settings)
        except ConfigError as exc:  # their messages start "settings.yaml <section>...": name the real file
            raise ConfigError(f"{path}: {str(exc).removeprefix('settings.yaml ')}") from None


SWITCH_WORDS = ("1", "0", "true", "false", "yes", "no", "on", "off")
_SETTINGS = TypeAdapter(Settings)


def setting_names() -> list[str]:
    return [f.name for f in fields(Settings) if f.name != "extra"]


@lru_cache(maxsize=1)
def _setting_types() -> dict:
    return get_type_hints(Settings, include_extras=True)


def _switch(raw: str) -> bool | None:
    word = raw.strip().lower()
    if word not in SWITCH_WORDS:
        return None
    return word in ("1", "true", "yes", "on")


def read_yaml(path: Path):
    """The YAML document in path; unreadable, binary or malformed files are one ConfigError line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text file (byte {exc.start} cannot be decoded)") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a YAML file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "cannot be parsed"
        raise ConfigError(f"{path}: not valid YAML{line}: {problem}") from None


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_key(key, valid: list[str]) -> str:
    hint = difflib.get_close_matches(str(key), valid, n=1)
    maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
    return f"unknown key {str(key)!r}{maybe}; valid keys: {', '.join(valid)}"


def _first_problem(exc: ValidationError, key: str | None = None, section: str | None = None) -> str:
    """One line from pydantic's errors: the key, what is wrong and the value given (and how many more)."""
    errors = exc.errors(include_url=False)
    err = errors[0]
    where = [str(p) for p in err["loc"] if not _is_type_tag(p)]  # "to.list[str]" -> "to"
    loc = ".".join([section] * bool(section) + where) or key or "value"
    if err["type"] == "extra_forbidden":
        unknown = _unknown_key(err["loc"][-1], key_names(exc.title))
        return f"{section}: {unknown}" if section else unknown
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "bool_type":
        message = "must be true or false (unquoted)"
    if len({tuple(e["loc"][:1]) for e in errors}) == 1 and len(errors) > 1:  # one key, every form of a union
        message = " or ".join(dict.fromkeys(e["msg"] for e in errors))
        errors = errors[:1]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{loc}: {message}, got {_shown(err.get('input'))}{more}"


def _is_type_tag(part) -> bool:
    """pydantic names the member of a union it tried in the error location: not a key of the file."""
    return isinstance(part, str) and (part in ("str", "int", "float", "bool") or "[" in part)


def key_names(model_title: str) -> list[str]:
    for model in (FeedEntry, DigestSection):
        if model_title == model.__name__:
            return [f.alias or name for name, f in model.model_fields.items()]
    return setting_names()


def feeds_file(path: str | os.PathLike | None = None) -> Path:
    return Path(path or os.environ.get("NEWSMON_FEEDS") or DEFAULT_FEEDS_FILE)


def _http_url(value: str) -> str:
    """An absolute http(s) URL with a host, parsed the way the fetcher will parse it; returned as written."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in 0-65535)
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("not an http(s) URL")
    if not parts.hostname:
        raise ValueError("URL has no host")
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError as exc:
        raise ValueError(f"not a valid URL ({exc.errors()[0]['msg']})") from None
    return value


_HTTP_URL = TypeAdapter(HttpUrl)
Text = Annotated[str, Field(min_length=1)]


class FeedEntry(BaseModel):
    """The schema of one feeds.yaml entry (the fields of models.FeedConfig; source defaults to the name)."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    name: Text
    url: Annotated[str, AfterValidator(_http_url)]
    source: Text | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None  # ISO 3166-1 alpha-2, capitals
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] | None = None  # BCP 47
    state_affiliated: bool = False
    kind: Text | None = None
    enabled: bool = True

    def config(self) -> FeedConfig:
        return FeedConfig(**{**self.model_dump(), "source": self.source or self.name})


FEEDS_FILE_KEYS = ["feeds"]


def load_feeds(path: str | os.PathLike | None = None) -> list[FeedConfig]:
    """Read a feed list: a top-level `feeds:` list of mappings with at least `name` and `url`.

    Every entry is checked against FeedEntry; the first problem is a ConfigError naming the file, the entry
    (its name, or its number when it has none) and the key.
    """
    path = feeds_file(path)
    if not path.exists():
        raise ConfigError(f"feed list not found: {path}")
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a top-level 'feeds:' list")
    unknown = [k for k in raw if k not in FEEDS_FILE_KEYS]
    if unknown:
        raise ConfigError(f"{path}: {_unknown_key(unknown[0], FEEDS_FILE_KEYS)}")
    if not isinstance(raw.get("feeds"), list):
        raise ConfigError(f"{path}: expected a top-level 'feeds:' list")
    feeds: list[FeedConfig] = []
    first_seen: dict[str, int] = {}
    for i, entry in enumerate(raw["feeds"], 1):
        where = f"{path}: feed #{i}"
        if not isinstance(entry, dict):
            raise ConfigError(
                f"{where}: expected a mapping with at least 'name' and 'url', got {_shown(entry)}"
            )
        if isinstance(entry.get("name"), str) and entry["name"].strip():
            where = f"{path}: feed {entry['name'].strip()!r} (#{i})"
        try:
            feed = FeedEntry.model_validate(entry).config()
        except ValidationError as exc:
            raise ConfigError(f"{where}: {_first_problem(exc)}") from None
        if feed.name in first_seen:
            raise ConfigError(
                f"{where}: name: {feed.name!r} is already the name of feed #{first_seen[feed.name]}"
            )
        first_seen[feed.name] = i
        feeds.append(feed)
    return feeds


# ---------------------------------------------------------------------------------------------------- allow_hosts

Origin = tuple[str, str, int]  # (scheme, host, port): what one address-guard exemption covers
ALLOW_HOSTS_FORMS = "an origin such as http://127.0.0.1:8080 or a CIDR range such as 10.0.0.0/8"


def normal_host(host: str) -> str:
    host = host.lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        return host


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL, the default port filled in; None when it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, normal_host(parts.hostname), port or (443 if parts.scheme == "https" else 80)


def parse_allow_entry(entry: str) -> Origin | ipaddress.IPv4Network | ipaddress.IPv6Network:
    """One NEWSMON_ALLOW_HOSTS entry: an origin (scheme://host[:port]) or a CIDR range; anything else is an error."""
    text = entry.strip()
    if "://" in text:
        origin = origin_of(text)
        parts = urlsplit(text)
        if (
            origin is None
            or parts.username
            or parts.password
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise ConfigError(
                f"NEWSMON_ALLOW_HOSTS entry {entry!r} is not a bare origin: write {ALLOW_HOSTS_FORMS}"
            )
        return origin
    if "/" in text:
        try:
            return ipaddress.ip_network(text, strict=False)
        except ValueError:
            pass
    raise ConfigError(f"NEWSMON_ALLOW_HOSTS entry {entry!r} is not valid: write {ALLOW_HOSTS_FORMS}")
