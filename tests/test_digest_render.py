"""The digest's HTML rendered by headless Chromium at phone and desktop width.

Screenshots are kept under test-artifacts/digest/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from helpers_browser import INSTALL_HINT, chromium_available, screenshot_command
from helpers_digest import make_analyst_db
from newsmon.digest import build_digest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "digest"
DAY = date(2026, 11, 27)

# Appended to a copy of the page (never to the email): reports broken images, horizontal overflow and the
# page's own errors on the console, where the test reads them.
PROBE = """<script>
window.addEventListener("error", e => console.log("NEWSMON-PAGE-ERROR " + e.message));
window.addEventListener("load", () => {
  const imgs = Array.from(document.images);
  console.log("NEWSMON-PROBE " + JSON.stringify({
    images: imgs.length,
    broken: imgs.filter(i => !i.complete || i.naturalWidth === 0).length,
    imageWidth: imgs.length ? imgs[0].getBoundingClientRect().width : 0,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
});
</script>"""

pytestmark = pytest.mark.skipif(not chromium_available(), reason=INSTALL_HINT)


def render(html_file: Path, png: Path, width: int, tmp_path: Path) -> tuple[dict, str]:
    """Screenshot `html_file` at `width` x 1200; returns the probe's report and Chromium's log."""
    cmd = screenshot_command(
        html_file,
        png,
        width,
        1200,
        # Nothing may be fetched: any host lookup fails, so an external resource would show up as broken.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / f'chromium-{width}'}",
        "--enable-logging=stderr",
        "--v=0",
    )
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-2000:]
    probes = re.findall(r"NEWSMON-PROBE (\{.*?\})", log)
    assert probes, f"the page never finished loading:\n{log[-2000:]}"
    return json.loads(probes[-1]), log


@pytest.fixture(scope="module")
def digest(tmp_path_factory):
    db = tmp_path_factory.mktemp("render") / "newsmon.duckdb"
    make_analyst_db(db, DAY, history_days=40, spike=True)
    return build_digest(db, DAY)


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_digest_renders_in_chromium(digest, width, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = digest.preview_html()
    (ARTIFACTS / "digest.html").write_text(page, encoding="utf-8")
    probe_page = tmp_path / "digest-probe.html"
    probe_page.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    # Headless Chromium lays a window out at least 500 px wide; an iframe of exactly `width` gives the page a
    # true phone-width viewport.
    frame = tmp_path / f"frame-{width}.html"
    frame.write_text(
        f'<!DOCTYPE html><html><body style="margin:0"><iframe src="{probe_page.name}" width="{width}" '
        f'height="1200" style="border:0;display:block"></iframe></body></html>',
        encoding="utf-8",
    )
    png = ARTIFACTS / f"digest-{width}.png"
    png.unlink(missing_ok=True)
    report, log = render(frame, png, width, tmp_path)
    assert report["innerWidth"] == width

    assert "NEWSMON-PAGE-ERROR" not in log and "Uncaught" not in log
    assert not re.search(r"CONSOLE.*(Failed to load|net::ERR)", log)
    assert report["images"] == 1 and report["broken"] == 0
    assert report["scrollWidth"] <= report["innerWidth"], report  # nothing wider than the screen
    assert 250 <= report["imageWidth"] <= 600  # the chart scales down on a phone, caps on a desktop

    assert png.exists() and png.stat().st_size > 20_000
    shot = Image.open(io.BytesIO(png.read_bytes())).convert("RGB")
    assert shot.size == (width, 1200)
    assert len(shot.getcolors(maxcolors=1_000_000) or []) > 100  # text, table, chart: not a blank page


def test_mail_html_references_only_its_inline_chart(digest):
    """In the email itself the one resource is the chart by Content-ID; the preview swaps it for a data: URI."""
    assert re.findall(r'src="([^"]*)"', digest.html) == [f"cid:{digest.content_id}"]
    assert "cid:" not in digest.preview_html()
