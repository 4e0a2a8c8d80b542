"""Where things live and how the pipeline is configured.

Everything is read from environment variables with sensible defaults, so the same code serves the DAGs,
the `newsmon` command and the tests. Nothing here touches the network or DuckDB.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

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
            p.mkdir(parents=True, exist_ok=True)
        return self


def paths(data_dir: str | os.PathLike | None = None) -> Paths:
    root = data_dir or os.environ.get("NEWSMON_DATA_DIR") or "data"
    return Paths(Path(root).resolve())


@dataclass
class Settings:
    """Tunable behaviour. Defaults live in config/settings.yaml; env vars override the common ones."""

    allow_hosts: list[str] = field(
        default_factory=list
    )  # NEWSMON_ALLOW_HOSTS: hosts or CIDRs exempt from the SSRF guard
    respect_robots: bool = True  # NEWSMON_ROBOTS=0 turns robots.txt checks off for article pages
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_feed_bytes: int = 10 * 1024 * 1024
    max_page_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    host_spacing: float = 1.0  # seconds between two requests to the same host
    fetch_workers: int = 16  # threads per fetch shard
    shards: int = 4  # mapped fetch tasks in news_ingest
    min_text_chars: int = 200  # below this the feed's own content is used
    max_items_per_feed: int = 100
    extra: dict = field(default_factory=dict)  # other sections of settings.yaml (quality gates, digest, ...)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> Settings:
        path = Path(path or os.environ.get("NEWSMON_SETTINGS") or DEFAULT_SETTINGS_FILE)
        raw: dict = {}
        if path.exists():
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(raw, dict):
                raise ConfigError(f"{path}: expected a mapping at the top level")
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        s = cls(**{k: v for k, v in raw.items() if k in known})
        s.extra = {k: v for k, v in raw.items() if k not in known}
        s._apply_env(os.environ)
        return s

    def _apply_env(self, env) -> None:
        """NEWSMON_<FIELD> overrides any setting, e.g. NEWSMON_READ_TIMEOUT=5 or NEWSMON_ALLOW_HOSTS=127.0.0.1."""
        for name in self.__dataclass_fields__:
            raw = env.get(f"NEWSMON_{name.upper()}")
            if raw is None or name == "extra":
                continue
            current = getattr(self, name)
            try:
                if isinstance(current, bool):
                    value = raw.strip().lower() not in ("0", "false", "no", "off", "")
                elif isinstance(current, list):
                    value = [h.strip() for h in raw.split(",") if h.strip()]
                else:
                    value = type(current)(raw)
            except ValueError:
                raise ConfigError(
                    f"NEWSMON_{name.upper()}={raw!r} is not a valid {type(current).__name__}"
                ) from None
            setattr(self, name, value)
        if env.get("NEWSMON_ROBOTS") is not None:  # short alias
            self.respect_robots = env["NEWSMON_ROBOTS"].strip().lower() not in ("0", "false", "no", "off")

    def section(self, name: str) -> dict:
        value = self.extra.get(name) or {}
        return value if isinstance(value, dict) else {}


def feeds_file(path: str | os.PathLike | None = None) -> Path:
    return Path(path or os.environ.get("NEWSMON_FEEDS") or DEFAULT_FEEDS_FILE)


def load_feeds(path: str | os.PathLike | None = None) -> list[FeedConfig]:
    """Read a feed list: a top-level `feeds:` list of mappings with at least `name` and `url`."""
    path = feeds_file(path)
    if not path.exists():
        raise ConfigError(f"feed list not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise ConfigError(f"{path}: not valid YAML{line}: {problem}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("feeds"), list):
        raise ConfigError(f"{path}: expected a top-level 'feeds:' list")
    feeds: list[FeedConfig] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw["feeds"], 1):
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("url"):
            raise ConfigError(f"{path}: feed #{i} needs at least 'name' and 'url'")
        name = str(entry["name"]).strip()
        if name in seen:
            raise ConfigError(f"{path}: feed name {name!r} appears twice")
        seen.add(name)
        url = str(entry["url"]).strip()
        if not url.lower().startswith(("http://", "https://")):
            raise ConfigError(f"{path}: feed {name!r} has a URL that is not http(s): {url}")
        feeds.append(
            FeedConfig(
                name=name,
                url=url,
                source=str(entry.get("source") or name),
                country=entry.get("country"),
                language=entry.get("language"),
                state_affiliated=bool(entry.get("state_affiliated", False)),
                kind=entry.get("kind"),
                enabled=bool(entry.get("enabled", True)),
            )
        )
    return feeds
