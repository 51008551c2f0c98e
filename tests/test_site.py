"""The course website (scripts/build_site.py, ``make site``): every lesson as a page, served on its own.

The site is built for real (once per session; lessons executed by nbclient, pages by Sphinx with
MyST-NB and sphinx-book-theme). The browser tests serve it on the loopback and read it in headless
Chromium with every other host unreachable: pages render, widgets are drawn from their saved state,
no request leaves the site, and axe-core finds no serious problem in the course's own content.
"""
from __future__ import annotations

import re
import shutil
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_learner_edition  # noqa: E402
import build_site  # noqa: E402
from coursemap import LEARNER_BRANCH, binder_url, load_course  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]  # builds run for minutes on a busy machine
HUB = "https://hub.example.edu"
COURSE = load_course()
PAGES = (["index"] + [lesson.file.removesuffix(".ipynb") for lesson in COURSE["lesson_list"]]
         + [e["file"].removesuffix(".ipynb") for e in COURSE["extras"]])
FAILING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "html"
    build_site.build(out, hub_url=HUB)
    return out


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (href, class of the enclosing element)
        self._classes: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._classes.append(attrs.get("class", ""))
        if tag == "a" and attrs.get("href"):
            self.links.append((attrs["href"], " ".join(self._classes)))

    def handle_endtag(self, tag):
        if self._classes:
            self._classes.pop()


def links(path: Path) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.links


# ------------------------------------------------------------------------------------ the built site
def test_every_lesson_is_a_page_in_the_order_of_the_course_map(site):
    """Is there a page per lesson and companion notebook, and does the table of contents follow the map?"""
    for name in PAGES:
        assert (site / "notebooks" / f"{name}.html").is_file(), name
    toc = [href for href, cls in links(site / "index.html") if "bd-sidenav" in cls or "toctree-l1" in cls]
    order = [Path(urlparse(h).path).stem for h in toc if h.startswith("notebooks/")]
    seen = list(dict.fromkeys(order))
    assert seen == PAGES, seen


def test_pages_show_the_lessons_outputs_and_widget_state(site):
    """Does a lesson page carry its code outputs (lesson 9b's chart) and its widgets' saved state?"""
    lesson2 = (site / "notebooks/02_what_is_technical_leadership.html").read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" in lesson2
    assert lesson2.count("application/vnd.jupyter.widget-view+json") >= 2
    lab = (site / "notebooks/09b_data_lab.html").read_text(encoding="utf-8")
    assert re.search(r'<img[^>]+src="[^"]+\.png"', lab), "lesson 9b's matplotlib chart is missing"


def test_each_lesson_page_opens_the_lesson_live_three_ways(site):
    """Does each lesson page link to the lesson in JupyterLite, on Binder and on a JupyterHub
    (nbgitpuller, learner-edition branch)?"""
    for lesson in COURSE["lesson_list"]:
        rel = f"notebooks/{lesson.file}"
        hrefs = [h for h, _ in links(site / "notebooks" / f"{lesson.file.removesuffix('.ipynb')}.html")]
        assert f"../lite/lab/index.html?path={rel}" in hrefs, lesson.file
        assert binder_url(COURSE["repository"], rel) in hrefs, lesson.file
        hub = [urlparse(h) for h in hrefs if h.startswith(HUB)]
        assert hub, f"no JupyterHub link on {lesson.file}"
        q = parse_qs(hub[0].query)
        assert hub[0].path == "/hub/user-redirect/git-pull"
        assert q["branch"] == [LEARNER_BRANCH] and q["repo"] == [f"https://github.com/{COURSE['repository']}"]
        assert unquote(q["urlpath"][0]).endswith(rel)


def test_search_is_built(site):
    """Is there a search page and an index that knows the lessons' words?"""
    assert (site / "search.html").is_file()
    index = (site / "searchindex.js").read_text(encoding="utf-8")
    assert "notebooks/04_team_vs_technical_leadership" in index and "leadership" in index


def test_the_site_holds_no_answer_key(site, tmp_path):
    """Do the pages (HTML, with every widget's saved state) pass the learner edition's leak scan?"""
    pages = tmp_path / "pages"
    shutil.copytree(site, pages, ignore=shutil.ignore_patterns("_static", "_sphinx_design_static"))
    leaks = build_learner_edition.scan(pages, ROOT / "source")
    assert leaks == [], "\n".join(map(str, leaks))


# ------------------------------------------------------------------------------------ in the browser
def _axe_script() -> str:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


@pytest.mark.browser
def test_pages_render_widgets_are_drawn_nothing_leaves_the_site_and_axe_is_clean(site, playwright_instance):
    """Every page offline: does it render, are its widgets drawn, does no request leave the site, and
    does axe-core find no serious or critical problem in the course's content (the article)?"""
    from browser_helpers import IN_CI, browser_unavailable_reason
    from static_site_helpers import StaticSite, launch_offline_browser, offline_context

    reason = browser_unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    axe = _axe_script()
    problems, theme_notes = [], []
    with StaticSite(site) as server:
        browser = launch_offline_browser(playwright_instance)
        context = offline_context(browser, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(60_000)
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        try:
            for name in PAGES:
                page.goto(f"{server.url}/notebooks/{name}.html", wait_until="load")
                page.locator("article h1").first.wait_for()
                views = page.locator("script[type='application/vnd.jupyter.widget-view+json']").count()
                if views:
                    page.wait_for_function(
                        "n => document.querySelectorAll('.cell_output .jupyter-widgets').length >= n", arg=1)
                    page.wait_for_timeout(300)
                    broken = page.locator(".cell_output", has_text=re.compile("Error displaying widget")).count()
                    if broken:
                        problems.append(f"{name}: {broken} widget(s) not drawn")
                    drawn = page.locator(".cell_output .jupyter-widgets.techlead-ex").count()
                    if name != "index" and "dashboard" not in name and drawn == 0:
                        problems.append(f"{name}: {views} widget outputs but no exercise drawn")
                page.evaluate(axe)
                result = page.evaluate("() => axe.run({include: [['article']]}, {resultTypes: ['violations']})")
                for v in result["violations"]:
                    line = f"{name}: {v['id']} ({v['impact']}, {len(v['nodes'])}x): {v['help']}: " + "; ".join(
                        " ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                        for n in v["nodes"][:3])
                    (problems if v["impact"] in FAILING_IMPACTS else theme_notes).append(line)
            lesson = f"{server.url}/notebooks/02_what_is_technical_leadership.html"
            page.goto(f"{server.url}/search.html?q=scenario", wait_until="load")
            page.locator("#search-results a[href*='notebooks/']").first.wait_for(timeout=60_000)
            page.goto(lesson, wait_until="load")
        finally:
            context.close()
            browser.close()
    if theme_notes:
        warnings.warn("axe (moderate/minor) on the course pages:\n" + "\n".join(theme_notes), stacklevel=2)
    assert context.blocked == [], f"requests left the site: {context.blocked[:8]}"
    assert not problems, "\n".join(problems)
