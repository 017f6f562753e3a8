"""The day page in a real browser: Debian's chromium, headless, driven by selenium through
chromedriver, loads the page from a local HTTP server at a phone's width (390 px) and a desktop's
(1280 px), light and dark; screenshots go to the test's folder. No horizontal scroll, every story
laid out inside the viewport, the stylesheet applied, and not one console error.

.ci/run installs chromium and chromium-driver with apt-get; where they are missing outside CI the
test skips and says so; in CI (CI=true) it fails instead.
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from test_render_support import make_digest, make_item

from bot.config import Settings, SiteSettings
from bot.models import AlsoSource
from bot.site.build import render_site, site_options, write_site
from bot.site.render import StoredDay

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")
WIDTHS = {"phone": (390, 844, True), "desktop": (1280, 900, False)}

# What the page reports about itself: layout width, and each story's box and visibility.
PROBE = """
const vw = window.innerWidth;
const items = [...document.querySelectorAll('article.item')].map(e => {
  const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
  return {id: e.id, left: r.left, right: r.right, width: r.width, height: r.height,
          shown: cs.display !== 'none' && cs.visibility === 'visible' && cs.opacity !== '0'};
});
const overflowing = [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > vw + 0.5 || e.getBoundingClientRect().left < -0.5)
  .map(e => e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').slice(0, 40));
return {vw: vw, scroll: document.documentElement.scrollWidth, items: items, overflowing: overflowing,
        mainWidth: getComputedStyle(document.querySelector('main')).maxWidth,
        background: getComputedStyle(document.body).backgroundColor};
"""


def _need_chromium() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        reason = (f"{' and '.join(missing)} not installed (apt-get install -y chromium chromium-driver; "
                  ".ci/run does it)")
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test: {reason}")
        pytest.skip(reason)


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    _need_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium must never look for a driver online
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A site with one hard-to-lay-out day (long unbroken words and links, RTL, emoji, many
    sources) served on 127.0.0.1; yields its address and the ids of the day's stories."""
    long_word = "Supercalifragilistic" * 15
    items = [
        make_item(i, also=tuple(AlsoSource(f"https://o{n}.example/{'p' * 60}", f"Outlet {n}") for n in range(i % 6)))
        for i in range(1, 25)
    ]
    items[0] = dataclasses.replace(items[0], title=f"{long_word} 🚀 model", source=long_word)
    items[1] = dataclasses.replace(items[1], title="\u202eمرحبا بالعالم שלום 👨‍👩‍👧‍👦 override",
                                   points=("https://example.com/" + "x" * 300, long_word, "正常的要点。"))
    items[2] = dataclasses.replace(items[2], url="https://example.com/" + "y" * 1500, source="")
    digest = dataclasses.replace(make_digest(items), date=date(2026, 11, 28))
    earlier = dataclasses.replace(make_digest(items[:3]), date=date(2026, 11, 27))
    options = site_options(Settings(site=SiteSettings(base_url="https://digest.example.org/")),
                           output=str(tmp_path / "site"))
    built = [StoredDay(digest, datetime(2026, 11, 28, tzinfo=UTC)),
             StoredDay(earlier, datetime(2026, 11, 27, tzinfo=UTC))]
    files, failed = render_site(built, options)
    assert write_site(files, options.output_dir, 2, failed).failed == ()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(options.output_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", [f"item-{i.id}" for i in digest.items()]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_day_page_lays_out_at_phone_and_desktop_widths(browser, served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, ids = served
    backgrounds: dict[str, str] = {}
    for name, (width, height, mobile) in WIDTHS.items():
        for scheme in ("light", "dark"):
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {
                "features": [{"name": "prefers-color-scheme", "value": scheme}]})
            for page in ("2026-11-28/", ""):
                browser.get(base + page)
                shot = tmp_path / f"{page.strip('/') or 'index'}-{name}-{scheme}.png"
                assert browser.save_screenshot(str(shot)) and shot.read_bytes()[:4] == b"\x89PNG"
                seen = browser.execute_script(PROBE)
                where = f"{page or 'index'} at {width}px {scheme}"
                assert seen["vw"] == width, (where, seen["overflowing"])
                assert seen["scroll"] <= width, f"horizontal scroll on {where}: {seen['scroll']}px"
                assert seen["overflowing"] == [], where
                assert seen["mainWidth"] == "736px", f"stylesheet not applied on {where}"
                assert [i["id"] for i in seen["items"]] == ids, where  # every story, in order
                for box in seen["items"]:
                    assert box["shown"] and box["width"] > 0 and box["height"] > 0, (where, box)
                    assert box["left"] >= 0 and box["right"] <= width, (where, box)
                errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
                assert errors == [], (where, errors)
                backgrounds[f"{name}-{scheme}"] = seen["background"]
    assert backgrounds["phone-light"] != backgrounds["phone-dark"]  # prefers-color-scheme honoured
    assert len(list(tmp_path.glob("*.png"))) == 8


def test_missing_chromium_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    import test_site_browser as here

    monkeypatch.setattr(here, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(here, "CHROMEDRIVER", sys.executable)  # present, whatever this machine has
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser test"):
        here._need_chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="/nonexistent/chromium not installed"):
        here._need_chromium()
