"""The dashboard in headless Chromium (Debian's package, driven by Playwright; no browser download).

Set POWDERKEG_SCREENSHOTS=1 to (re)write docs/dashboard.png and docs/dashboard-event.png.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from api_fixtures import XSS_SENTENCE, XSS_TITLE, Fixture, add_alert, build, serving
from powderkeg.api import create_app
from powderkeg.config import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS = Path(__file__).resolve().parent.parent / "docs"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install playwright")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed: apt-get install -y chromium"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Fixture]]:
    fixture = build(tmp_path_factory.mktemp("web") / "web.duckdb")
    mobilize = fixture.events["mobilize"].to_dict() | {"day": "2023-05-29"}
    add_alert(fixture.db, "a1", expected=1.5, events=[mobilize])
    with serving(create_app(Settings(db=str(fixture.db)))) as base:
        yield base, fixture


@pytest.fixture(scope="module")
def browser() -> Iterator["sync_api.Browser"]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


class Watch:
    """What a page did that it should not: script errors, console errors, dialogs, requests
    leaving the server."""

    def __init__(self, page: "sync_api.Page", base: str) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("dialog", self._dialog)

        def route(r: "sync_api.Route") -> None:
            if r.request.url.startswith(base + "/") or r.request.url.startswith("data:"):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)

    def _dialog(self, dialog: "sync_api.Dialog") -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def clean(self) -> None:
        assert self.errors == [] and self.dialogs == [] and self.outside == []


@pytest.fixture
def page(browser, site) -> Iterator[tuple["sync_api.Page", Watch]]:
    base, _ = site
    context = browser.new_context(viewport={"width": 1360, "height": 980})
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch = Watch(page, base)
    yield page, watch
    context.close()


def ready(page: "sync_api.Page") -> None:
    page.wait_for_selector("body[data-ready=true]")


def test_filter_to_a_dyad_and_read_an_events_sentence(page, site):
    page, watch = page
    base, fixture = site
    page.goto(base + "/")
    ready(page)
    assert page.locator("table.events tbody tr").count() == 9  # every actual event
    page.fill("input[name=dyad]", "SRB,XKX")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/?dyad=SRB%2CXKX")
    ready(page)
    rows = page.locator("table.events tbody tr")
    assert rows.count() == 4
    for i in range(4):
        actors = rows.nth(i).locator("td.source").inner_text() + rows.nth(i).locator("td.target").inner_text()
        assert "SRB" in actors and "XKX" in actors
    assert page.locator("#event-count").inner_text() == "1–4 of 4"
    assert page.locator("svg.map circle.dot").count() == 4
    assert page.locator("svg.timeline g.bar").count() == 3  # 29 and 30 May, 6 June
    if os.environ.get("POWDERKEG_SCREENSHOTS"):
        page.screenshot(path=str(DOCS / "dashboard.png"))

    mobilize = fixture.events["mobilize"]
    page.locator("tr", has_text="Jarinje crossing").locator("td.sentence").click()
    page.wait_for_url(f"**/events/{mobilize.event_id}")
    ready(page)
    hit = page.locator(".article-text mark#hit")
    assert hit.inner_text() == mobilize.sentence
    text = page.locator(".article-text").inner_text()
    assert text == fixture.articles["border"].text  # the whole article, the sentence marked in it
    assert page.locator(".article-title").inner_text() == "Serbian army moves toward the Kosovo border"
    if os.environ.get("POWDERKEG_SCREENSHOTS"):
        page.screenshot(path=str(DOCS / "dashboard-event.png"))

    page.click("text=← Events")
    page.wait_for_url("**/?dyad=SRB%2CXKX")
    ready(page)
    assert page.input_value("input[name=dyad]") == "SRB,XKX"
    watch.clean()


def test_a_shared_url_opens_the_same_view(page, site):
    page, watch = page
    base, fixture = site
    page.goto(base + "/?dyad=SRB,XKX&type=CONSULT")
    ready(page)
    assert page.input_value("input[name=type]") == "CONSULT"
    (row,) = page.locator("table.events tbody tr").all()
    assert row.get_attribute("data-event") == fixture.events["consult"].event_id
    watch.clean()


def test_a_dot_on_the_map_opens_its_event(page, site):
    page, watch = page
    base, fixture = site
    gao = fixture.events["gao"]
    page.goto(base + "/?country=MLI")
    ready(page)
    page.locator(f'svg.map circle.dot[data-event="{gao.event_id}"]').click()
    page.wait_for_url(f"**/events/{gao.event_id}")
    ready(page)
    assert page.locator("mark#hit").inner_text() == gao.sentence
    watch.clean()


def test_untrusted_text_is_shown_as_text_never_run(page, site):
    page, watch = page
    base, fixture = site
    leaflet = fixture.events["leaflet"]
    article = fixture.articles["leaflet"]
    for path in (f"/events/{leaflet.event_id}", f"/articles/{article.article_id}", "/?q=leaflet"):
        page.goto(base + path)
        ready(page)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("main img, main script, main iframe, main svg:not(.map):not(.timeline)").count() == 0
        assert page.locator("a[href^='javascript']").count() == 0
    page.goto(base + f"/events/{leaflet.event_id}")
    ready(page)
    assert page.locator(".article-title").inner_text() == XSS_TITLE
    assert page.locator("mark#hit").inner_text() == XSS_SENTENCE
    assert page.title().startswith("PROTEST")
    page.wait_for_timeout(200)  # give any injected handler (onerror) its chance to fire
    assert page.evaluate("window.__pwned") is None
    watch.clean()


def test_alerts_page(page, site):
    page, watch = page
    base, fixture = site
    page.goto(base + "/alerts")
    ready(page)
    (row,) = page.locator("table.alerts tbody tr").all()
    assert "SRB-XKX" in row.inner_text() and "7 vs 1.5" in row.inner_text()
    row.locator("summary").click()
    row.locator("a").click()
    page.wait_for_url(f"**/events/{fixture.events['mobilize'].event_id}")
    watch.clean()
