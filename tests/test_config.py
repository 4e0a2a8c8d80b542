"""Settings and feed files are checked against a schema at load: one error line naming file, entry and key."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap

import pytest
from newsmon.cli import main
from newsmon.config import (
    DEFAULT_FEEDS_FILE,
    DEFAULT_SETTINGS_FILE,
    ConfigError,
    FeedEntry,
    Settings,
    load_feeds,
    paths,
)
from newsmon.models import FeedConfig

GOOD = "  - name: wire\n    url: http://news.example/rss\n"


def _feeds(tmp_path, body: str, name: str = "feeds.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def _error(fn, *args) -> str:
    with pytest.raises(ConfigError) as info:
        fn(*args)
    message = str(info.value)
    assert "\n" not in message  # one line
    return message


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        # strict booleans: a quoted word is a mistake to report, not a truthy string
        ("    enabled: 'false'\n", ["feed 'wire' (#1)", "enabled", "true or false", "'false'"]),
        ("    state_affiliated: 'no'\n", ["feed 'wire' (#1)", "state_affiliated", "'no'"]),
        (
            "    enabeld: false\n",
            ["feed 'wire' (#1)", "unknown key 'enabeld'", "'enabled'", "valid keys: name, url"],
        ),
        ("    sorce: Wire\n", ["unknown key 'sorce'", "did you mean 'source'"]),
        ("    country: usa\n", ["country", "'usa'"]),
        ("    language: 3\n", ["language", "valid string"]),
    ],
)
def test_a_wrong_value_in_a_feed_entry_names_file_entry_and_key(tmp_path, entry, expected):
    path = _feeds(tmp_path, "feeds:\n" + GOOD + entry)
    message = _error(load_feeds, path)
    assert message.startswith(f"{path}: ")
    for part in expected:
        assert part in message


def test_a_malformed_url_is_an_error_for_that_entry(tmp_path):
    body = "feeds:\n" + GOOD + "  - name: broken\n    url: 'http://[::1/f.xml'\n"
    message = _error(load_feeds, _feeds(tmp_path, body))
    assert "feed 'broken' (#2): url: not a valid URL" in message and "http://[::1/f.xml" in message
    for url in ("ftp://news.example/f", "http://news.example:99999/f", "http:///f", "http://exa mple/f"):
        body = "feeds:\n  - name: odd\n    url: '" + url + "'\n"
        assert "feed 'odd' (#1): url: " in _error(load_feeds, _feeds(tmp_path, body))


def test_unknown_top_level_key_duplicates_and_bare_entries(tmp_path):
    assert "unknown key 'feedz' (did you mean 'feeds'?); valid keys: feeds" in _error(
        load_feeds, _feeds(tmp_path, "feedz:\n" + GOOD)
    )
    assert "feed 'wire' (#2): name: 'wire' is already the name of feed #1" in _error(
        load_feeds, _feeds(tmp_path, "feeds:\n" + GOOD + GOOD)
    )
    assert "feed #1: name: Field required" in _error(
        load_feeds, _feeds(tmp_path, "feeds:\n  - url: http://news.example/rss\n")
    )
    assert "feed #2: expected a mapping" in _error(
        load_feeds, _feeds(tmp_path, "feeds:\n" + GOOD + "  - x\n")
    )


def test_binary_and_malformed_files_are_one_line(tmp_path):
    binary = tmp_path / "feeds.gz"
    binary.write_bytes(b"\x1f\x8b\x08\x00\xff\xfe" + bytes(range(256)))
    assert "not a UTF-8 text file" in _error(load_feeds, binary)
    assert "not valid YAML at line" in _error(load_feeds, _feeds(tmp_path, "feeds: [\n  - name: a\n"))
    settings = _feeds(tmp_path, "quality: [1\n", "settings.yaml")
    assert f"{settings}: not valid YAML at line 2" in _error(Settings.load, settings)


def test_valid_files_load_as_before(tmp_path):
    body = (
        "feeds:\n"
        + GOOD
        + "    enabled: false\n    state_affiliated: no\n    country: CN\n    language: zh-Hans\n"
    )
    (feed,) = load_feeds(_feeds(tmp_path, body))
    assert feed == FeedConfig(
        name="wire",
        url="http://news.example/rss",
        source="wire",
        country="CN",
        language="zh-Hans",
        enabled=False,
    )
    assert len(load_feeds(DEFAULT_FEEDS_FILE)) >= 25
    assert Settings.load(DEFAULT_SETTINGS_FILE).section("quality")["max_future_articles"] == 0


def test_the_feed_schema_has_exactly_the_feed_config_fields():
    assert list(FeedEntry.model_fields) == [f.name for f in dataclasses.fields(FeedConfig)]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("read_timeout: abc\n", "read_timeout: Input should be a valid number, got 'abc'"),
        ("read_timeout: 0\n", "read_timeout: Input should be greater than 0"),
        ("respect_robots: 'no'\n", "respect_robots: must be true or false"),
        ("shards: 2.5\n", "shards: Input should be a valid integer"),
        ("feedz: []\n", "unknown key 'feedz'; valid keys: allow_hosts,"),
        ("max_item_per_feed: 5\n", "did you mean 'max_items_per_feed'"),
        ("allow_hosts: 127.0.0.1\n", "allow_hosts: Input should be a valid list"),
        ("health: 3\n", "health: expected a mapping"),
        # the sections are checked at load too, by their owners' schemas
        ("quality:\n  max_mojibake_shar: 0.1\n", "quality: unknown keys ['max_mojibake_shar']"),
        ("health:\n  failing_after: abc\n", "health.failing_after: 'abc' is not valid"),
        ("digest:\n  pair_levle: article\n", "digest: unknown key 'pair_levle' (did you mean 'pair_level'?)"),
        ("digest:\n  to: 3\n", "digest.to: Input should be a valid list or Input should be a valid string"),
    ],
)
def test_a_wrong_setting_names_file_and_key(tmp_path, monkeypatch, yaml_text, expected):
    path = _feeds(tmp_path, yaml_text, "settings.yaml")
    message = _error(Settings.load, path)
    assert message.startswith(f"{path}: ") and expected in message


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        (
            "NEWSMON_READ_TIMEOUT",
            "0",
            "NEWSMON_READ_TIMEOUT='0': read_timeout: Input should be greater than 0",
        ),
        ("NEWSMON_READ_TIMEOUT", "abc", "NEWSMON_READ_TIMEOUT='abc': read_timeout must be a number"),
        ("NEWSMON_SHARDS", "2.5", "shards must be a whole number"),
        ("NEWSMON_ROBOTS", "maybe", "respect_robots must be one of 1, 0, true, false"),
        ("NEWSMON_RESPECT_ROBOTS", "", "respect_robots must be one of"),
    ],
)
def test_a_wrong_environment_override_names_the_variable(monkeypatch, var, value, expected):
    monkeypatch.setenv(var, value)
    assert expected in _error(Settings.load, DEFAULT_SETTINGS_FILE)


def test_environment_overrides_are_parsed_and_checked(monkeypatch):
    for var, value in {
        "NEWSMON_READ_TIMEOUT": "2.5",
        "NEWSMON_SHARDS": " 3 ",
        "NEWSMON_ROBOTS": "off",
        "NEWSMON_HOST_SPACING": "0",
        "NEWSMON_ALLOW_HOSTS": "http://127.0.0.1:8765, 10.0.0.0/8",
    }.items():
        monkeypatch.setenv(var, value)
    s = Settings.load(DEFAULT_SETTINGS_FILE)
    assert (s.read_timeout, s.shards, s.respect_robots, s.host_spacing) == (2.5, 3, False, 0.0)
    assert s.allow_hosts == ["http://127.0.0.1:8765", "10.0.0.0/8"]


# ---------------------------------------------------------------------------------------------------- the command


def _run_cli(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    return code, err


def test_run_with_a_bad_feed_file_exits_non_zero_with_one_line(tmp_path, capsys, data_dir):
    path = _feeds(tmp_path, "feeds:\n" + GOOD + "    enabled: 'false'\n")
    code, err = _run_cli(capsys, "run", "--once", "--no-progress", "--feeds", str(path))
    assert code == 2
    assert (
        err.strip()
        == f"newsmon run: {path}: feed 'wire' (#1): enabled: must be true or false (unquoted), got 'false'"
    )
    assert not data_dir.joinpath("warehouse.duckdb").exists()  # nothing ran


def test_run_with_a_bad_setting_or_override_exits_non_zero(tmp_path, capsys, monkeypatch, data_dir):
    feeds = _feeds(tmp_path, "feeds:\n" + GOOD)
    monkeypatch.setenv("NEWSMON_READ_TIMEOUT", "0")
    code, err = _run_cli(capsys, "run", "--once", "--feeds", str(feeds))
    assert code == 2 and err.count("\n") == 1 and "NEWSMON_READ_TIMEOUT='0'" in err
    monkeypatch.delenv("NEWSMON_READ_TIMEOUT")
    monkeypatch.setenv("NEWSMON_SETTINGS", str(_feeds(tmp_path, "read_timeout: abc\n", "settings.yaml")))
    code, err = _run_cli(capsys, "run", "--once", "--feeds", str(feeds))
    assert code == 2 and err.count("\n") == 1 and "settings.yaml: read_timeout:" in err


def test_a_data_dir_that_is_a_file_is_one_line(tmp_path, capsys):
    afile = tmp_path / "data"
    afile.write_text("not a folder")
    assert "is a file, not a folder" in _error(paths(afile).ensure)
    feeds = _feeds(tmp_path, "feeds:\n" + GOOD)
    code, err = _run_cli(capsys, "--data-dir", str(afile), "run", "--once", "--feeds", str(feeds))
    assert code == 2 and err.count("\n") == 1 and f"{afile} is a file, not a folder" in err


def test_demo_server_refuses_a_port_out_of_range(capsys):
    code, err = _run_cli(capsys, "demo-server", "--port", "70000")
    assert code == 2 and err.strip() == "newsmon demo-server: --port 70000 is not a TCP port (0-65535)"


def test_the_real_command_prints_no_traceback(tmp_path):
    """The installed command, in its own process: exit status and stderr as a user sees them."""
    path = _feeds(tmp_path, "feeds:\n" + GOOD + "  - name: broken\n    url: 'http://[::1/f.xml'\n")
    env = {**os.environ, "NEWSMON_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "run", "--once", "--feeds", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"newsmon run: {path}: feed 'broken' (#2): url: not a valid URL (Invalid IPv6 URL), got 'http://[::1/f.xml'"
    ]
