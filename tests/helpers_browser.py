"""Headless Chromium for the screenshot tests (digest and News monitor page): one place for its flags."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
INSTALL_HINT = "Chromium not installed: apt-get install -y chromium chromium-driver"

# As root on a machine with no network: no sandbox, no GPU, nothing fetched in the background.
HEADLESS_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


def screenshot_command(page: Path, png: Path, width: int, height: int, *extra: str) -> list[str]:
    """The command line that screenshots the local file `page` to `png` at width x height."""
    return [
        CHROMIUM,
        *HEADLESS_FLAGS,
        *extra,
        f"--screenshot={png}",
        f"--window-size={width},{height}",
        page.as_uri(),
    ]
