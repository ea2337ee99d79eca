"""The tutorial site, tested the way a reader meets it.

The site is built once with `mkdocs build --strict` (every tutorial's code runs;
a failing block fails the build), served on localhost, and every page is opened
in headless Chromium. For each page: math is rendered by the bundled KaTeX, every
image has loaded, the console shows no error, and no request leaves localhost.
A screenshot of each page is kept in `artifacts/screenshots/`.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def built_site() -> Path:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(SITE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return SITE


@pytest.fixture(scope="session")
def site_url(built_site: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def _pages(site: Path) -> list[str]:
    pages = []
    for index in sorted(site.rglob("index.html")):
        rel = index.parent.relative_to(site).as_posix()
        if rel.startswith("assets"):
            continue
        pages.append("" if rel == "." else rel + "/")
    return pages


def test_strict_build_has_every_page(built_site: Path):
    pages = _pages(built_site)
    for expected in [
        "",
        "getting-started/",
        "results/",
        "tutorials/backprop/",
        "tutorials/deep/",
        "tutorials/filters/",
        "tutorials/captioning/",
        "tutorials/calculator/",
        "reference/backprop/",
        "contributing/",
    ]:
        assert expected in pages, f"page {expected!r} missing from the built site"


def test_every_tutorial_offers_its_notebook_and_shows_clean_code(built_site: Path):
    import html
    import json
    import re

    for md in sorted((ROOT / "docs" / "tutorials").glob("*.md")):
        page = (built_site / "tutorials" / md.stem / "index.html").read_text(encoding="utf-8")
        assert f'download="{md.stem}.ipynb"' in page, f"{md.stem}: no notebook download button"
        notebook = json.loads((built_site / "notebooks" / f"{md.stem}.ipynb").read_text())
        assert sum(c["cell_type"] == "code" for c in notebook["cells"]) >= 3
        shown = html.unescape(
            re.sub(r"<[^>]+>", "", " ".join(re.findall(r"<pre.*?</pre>", page, re.S)))
        )
        for boilerplate in ("figure_to_html", 'matplotlib.use("Agg")', "markdown-exec"):
            assert boilerplate not in shown, f"{md.stem}: visible code contains {boilerplate!r}"
        assert 'href="../../reference/' in page, f"{md.stem}: no link into the API reference"


def test_no_request_can_leave_the_site(built_site: Path):
    # Static check that backs up the browser's: no page refers to a CDN or web font.
    for page in built_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for host in ("fonts.googleapis.com", "fonts.gstatic.com", "cdn.jsdelivr.net", "unpkg.com"):
            assert host not in text, f"{page.relative_to(built_site)} refers to {host}"


@pytest.mark.browser
def test_every_page_in_chromium(built_site: Path, site_url: str):
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for rel in _pages(built_site):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            outside: list[str] = []
            page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))

            def check_request(req, out=outside):
                url = urlparse(req.url)
                if url.scheme not in ("data", "blob") and url.hostname not in ("127.0.0.1",):
                    out.append(req.url)

            page.on("request", check_request)
            page.goto(site_url + rel, wait_until="networkidle")
            name = rel.strip("/").replace("/", "_") or "home"
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

            math_sources = page.locator(".arithmatex").count()
            rendered = page.locator(".katex").count()
            if math_sources and rendered < math_sources:
                problems.append(f"{rel}: {math_sources} math spans but {rendered} rendered")
            # Prose only: code blocks show TeX source on purpose.
            text = page.evaluate(
                "() => { const a = document.querySelector('article').cloneNode(true);"
                " a.querySelectorAll('pre, code, .katex').forEach(e => e.remove());"
                " return a.textContent; }"
            )
            if "$$" in text or "\\(" in text or "\\[" in text:
                problems.append(f"{rel}: raw TeX delimiters left in the text")
            if "```" in text:
                problems.append(f"{rel}: a code fence was not rendered (unclosed block?)")
            broken = page.evaluate(
                "() => Array.from(document.images)"
                ".filter(img => !img.complete || img.naturalWidth === 0)"
                ".map(img => img.alt || img.src.slice(0, 60))"
            )
            if broken:
                problems.append(f"{rel}: images not loaded: {broken}")
            missing_alt = page.evaluate(
                "() => Array.from(document.querySelectorAll('article img'))"
                ".filter(img => !img.alt).map(img => img.src.slice(0, 60))"
            )
            if missing_alt:
                problems.append(f"{rel}: images without alt text: {missing_alt}")
            if errors:
                problems.append(f"{rel}: console errors: {errors}")
            if outside:
                problems.append(f"{rel}: requests left localhost: {outside}")
            page.close()
        browser.close()
    assert not problems, "\n".join(problems)
