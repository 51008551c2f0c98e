"""The JupyterLite edition (scripts/build_lite.py, ``make lite``): the course running in the browser.

The site is built for real (once per session) from this checkout; its Pyodide and wheels come from
build/cache/ (downloaded from npm and PyPI on the first build). The browser test serves it on the
loopback and opens it in headless Chromium with every other host unreachable.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_learner_edition  # noqa: E402
import build_lite  # noqa: E402
from coursemap import load_course  # noqa: E402

pytest.register_assert_rewrite("browser_helpers")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]  # builds run for minutes on a busy machine

LESSON = "notebooks/02_what_is_technical_leadership.ipynb"  # knowledge checks, no pandas
QUALITIES = "notebooks/05_key_qualities.ipynb"  # the self-assessment and its charts
DASHBOARD = "notebooks/progress_dashboard.ipynb"
DATA_LAB = "notebooks/09b_data_lab.ipynb"  # pandas and matplotlib cells: online only in JupyterLite


@pytest.fixture(scope="session")
def lite_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lite") / "site"
    build_lite.build(out)
    return out


# ------------------------------------------------------------------------------------ banks as JSON
def test_banks_compiled_to_json_load_without_pyyaml_or_jsonschema(tmp_path, monkeypatch):
    """Does a bank compiled to JSON load where PyYAML and jsonschema cannot be imported (as in Pyodide)?"""
    from exercises import banks

    src = ROOT / "exercises" / "banks" / "intro.yaml"
    folder = tmp_path / "banks"
    folder.mkdir()
    bank = folder / "intro.yaml"
    bank.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    banks.compile_json(bank)
    expected = banks.load_bank_file(bank)["exercises"]
    banks.clear_cache()
    monkeypatch.setitem(sys.modules, "yaml", None)
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    monkeypatch.setattr(banks, "_validator", None)
    try:
        assert banks.load_bank_file(bank)["exercises"] == expected
        # an edited bank is never shadowed by a stale compiled copy: it needs YAML again
        bank.write_text(bank.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        banks.clear_cache()
        with pytest.raises(ImportError):
            banks.load_bank_file(bank)
    finally:
        banks.clear_cache()


def test_compiling_a_bad_bank_fails_with_the_banks_own_message(tmp_path):
    """Is a bank validated when it is compiled, so the site never carries a broken one?"""
    from exercises import banks

    bad = tmp_path / "broken.yaml"
    bad.write_text("bank: broken\ntitle: B\nexercises:\n  - id: x\n    kind: choice\n    prompt: P\n", encoding="utf-8")
    with pytest.raises(banks.BankError, match="broken.yaml"):
        banks.compile_json(bad)
    assert not bad.with_suffix(".json").exists()


# ------------------------------------------------------------------------------------ missing packages
NOTICE_SCRIPT = """
import sys
from IPython.core.interactiveshell import InteractiveShell
from exercises.in_browser import explain_missing_packages
sys.modules["pandas"] = None  # as in Pyodide when its CDN is unreachable: the import fails
shell = InteractiveShell.instance()
print("outside a browser:", explain_missing_packages(shell))
print("forced:", explain_missing_packages(shell, force=True))
print("=== pandas")
r = shell.run_cell("import pandas as pd\\nx = 1")
print("=== unrelated")
shell.run_cell("import no_such_module_here")
print("=== after")
shell.run_cell("print('still running', 'x' in shell.user_ns)")
"""


def test_a_package_pyodide_could_not_fetch_gives_a_notice_not_a_traceback():
    """In a real IPython shell with the browser handler in place, does a cell importing pandas (which
    cannot be imported) show the notice, with no traceback, while an unrelated missing module still gets
    its usual traceback? And is the handler left out outside a browser?"""
    import subprocess

    out = subprocess.run([sys.executable, "-c", NOTICE_SCRIPT], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout
    assert "outside a browser: False" in out and "forced: True" in out
    pandas_part = out.split("=== pandas")[1].split("=== unrelated")[0]
    assert "This cell needs pandas, which could not be loaded" in pandas_part
    assert "cdn.jsdelivr.net" in pandas_part and "exercises of this lesson work without it" in pandas_part
    assert "Traceback" not in pandas_part and "ModuleNotFoundError" not in pandas_part
    unrelated = out.split("=== unrelated")[1].split("=== after")[0]
    assert "ModuleNotFoundError" in unrelated and "no_such_module_here" in unrelated
    assert "needs" not in unrelated


def test_missing_package_names_only_the_cdn_packages():
    """Is the notice given for pandas, numpy and matplotlib (and their submodules) only?"""
    from exercises.in_browser import missing_package, notice_html

    assert missing_package(ModuleNotFoundError("x", name="matplotlib.pyplot")) == "matplotlib"
    assert missing_package(ModuleNotFoundError("x", name="pandas")) == "pandas"
    assert missing_package(ModuleNotFoundError("x", name="seaborn")) is None
    assert missing_package(ImportError("x", name="pandas")) is None  # a broken install is not a missing one
    html = notice_html("numpy")
    assert "role='alert'" in html and "<strong>⚠ This cell needs numpy, which could not be loaded.</strong>" in html


def test_saving_twice_in_the_browser_needs_no_file_lock(tmp_path, monkeypatch):
    """As in Pyodide (sys.platform "emscripten"), where filelock's soft lock is never released on the
    browser's drive: do two saves in a row both succeed, without leaving a lock file?"""
    from exercises.store import ResponseStore

    monkeypatch.setattr(sys, "platform", "emscripten")
    store = ResponseStore(tmp_path / "responses.json")
    store.append_session("t/sa", "self-assessment", {"ratings": {"a": 1}})
    store.append_session("t/sa", "self-assessment", {"ratings": {"a": 2}})
    assert [s["ratings"]["a"] for s in store.load()["t/sa"]["sessions"]] == [1, 2]
    assert not store.lock_path.exists()


# ------------------------------------------------------------------------------------ the built site
def test_every_lesson_the_dashboard_and_the_review_are_in_the_site(lite_site):
    """Are every lesson, the index, the dashboard, the spaced review and the assignments in the site?"""
    listing = json.loads((lite_site / "api/contents/notebooks/all.json").read_text(encoding="utf-8"))
    names = {item["name"] for item in listing["content"]}
    course = load_course()
    wanted = {lesson.file for lesson in course["lesson_list"]} | {e["file"] for e in course["extras"]}
    assert wanted | {"index.ipynb"} <= names, sorted(wanted - names)
    for folder in sorted((ROOT / "release").iterdir()):
        assert (lite_site / "files" / "release" / folder.name / f"{folder.name}.ipynb").is_file()
    assert (lite_site / "files/exercises/data/team_metrics.csv").is_file()


def test_the_site_holds_no_answer_key(lite_site, tmp_path):
    """Do the site's files and the course package it serves pass the learner edition's leak scan?"""
    wheel = next((lite_site / "static/pyodide").glob("techlead_course-*.whl"))
    unpacked = tmp_path / "site-texts"
    (unpacked / "files").mkdir(parents=True)
    import shutil

    shutil.copytree(lite_site / "files", unpacked / "files", dirs_exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(unpacked / "wheel")
    leaks = build_learner_edition.scan(unpacked, ROOT / "source")
    assert leaks == [], "\n".join(map(str, leaks))


def test_pyodide_and_every_package_a_lesson_needs_are_served_by_the_site(lite_site):
    """Is each package the kernel and the course load listed in the lock with the sha256 of the file the
    site serves, and is everything else an absolute address on Pyodide's own CDN?"""
    pyodide = lite_site / "static/pyodide"
    assert (pyodide / "pyodide.mjs").is_file() and (pyodide / "pyodide.asm.wasm").is_file()
    lock = json.loads((pyodide / "pyodide-lock.json").read_text(encoding="utf-8"))["packages"]
    local = {build_lite.norm(k): v for k, v in lock.items() if "://" not in v["file_name"]}
    needed = set(build_lite.lock_closure(lock, [*build_lite.BOOT, build_lite.COURSE_WHEEL]))
    assert {"ipywidgets", "comm", "jupyterlab-widgets", "widgetsnbextension", "filelock", "micropip",
            "ipython", "traitlets", "techlead-course"} <= needed
    assert needed <= set(local), sorted(needed - set(local))
    for name, entry in local.items():
        path = pyodide / entry["file_name"]
        assert path.is_file(), name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], f"{name}: sha256 mismatch"
    remote = [v["file_name"] for v in lock.values() if "://" in v["file_name"]]
    assert remote and all(f.startswith(build_lite.PYODIDE_CDN) for f in remote)
    config = json.loads((lite_site / "jupyter-lite.json").read_text(encoding="utf-8"))["jupyter-config-data"]
    kernel = config["litePluginSettings"][build_lite.KERNEL_SETTINGS]
    assert kernel["disablePyPIFallback"] is True and kernel["pyodideUrl"].startswith("./static/pyodide/")
    extensions = {e["name"] for e in config.get("federated_extensions", [])}
    assert "@jupyter-widgets/jupyterlab-manager" in extensions
    assert not any("nbgrader" in e for e in extensions), "nbgrader's extension needs a server Lite lacks"


def test_the_course_wheel_carries_every_bank_compiled(lite_site):
    """Does the course package in the site hold each bank and the course map as validated JSON?"""
    wheel = next((lite_site / "static/pyodide").glob("techlead_course-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for yml in sorted((ROOT / "exercises" / "banks").glob("*.yaml")):
            rel = f"exercises/banks/{yml.stem}.json"
            assert rel in names, rel
            doc = json.loads(zf.read(rel))
            assert doc["compiled_from_sha256"] == hashlib.sha256(yml.read_bytes()).hexdigest()
        assert "exercises/course.json" in names
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert not re.search(r"Requires-Dist: (pandas|matplotlib|pyyaml|jsonschema|nbgrader)", meta, re.I)


def test_the_course_package_in_the_site_never_imports_pandas_or_matplotlib(lite_site):
    """Does no module of the course package the site serves import pandas, numpy or matplotlib (which the
    site does not carry), so every widget, the dashboard and the charts work offline?"""
    import ast

    wheel = next((lite_site / "static/pyodide").glob("techlead_course-*.whl"))
    found = []
    with zipfile.ZipFile(wheel) as zf:
        modules = [n for n in zf.namelist() if n.startswith("exercises/") and n.endswith(".py")]
        assert {"exercises/charts.py", "exercises/dashboard.py", "exercises/in_browser.py"} <= set(modules)
        for name in modules:
            for node in ast.walk(ast.parse(zf.read(name), name)):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
                found += [f"{name}: {n}" for n in names if n.split(".")[0] in ("pandas", "numpy", "matplotlib")]
    assert found == []


# ------------------------------------------------------------------------------------ in the browser
@pytest.mark.browser
def test_a_lesson_runs_in_the_browser_offline_and_its_answer_survives_a_reload(lite_site, playwright_instance):
    """Open a lesson in JupyterLite with the network cut off, run it, answer a knowledge check, get
    feedback; reload the page and run it again: is the answer still there?"""
    from browser_helpers import bank_entries, browser_unavailable_reason, show_cells
    from playwright.sync_api import expect
    from static_site_helpers import StaticSite, launch_offline_browser, lite_notebook_page, offline_context

    reason = browser_unavailable_reason()
    if reason:
        if build_lite.IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    entries = bank_entries()
    cell, ex_id = next((c, e) for c, e in show_cells(ROOT / LESSON).items()
                       if entries[e]["kind"] == "choice" and not entries[e].get("graded"))
    entry = entries[ex_id]
    right = next(o for o in entry["options"] if o.get("correct"))
    expect.set_options(timeout=60_000)
    with StaticSite(lite_site) as site:
        browser = launch_offline_browser(playwright_instance)
        context = offline_context(browser, viewport={"width": 1280, "height": 900})
        try:
            nb = lite_notebook_page(context, site)
            nb.open(LESSON)
            nb.run_all(timeout=300_000)
            nb.wait_widgets_settled(60_000)
            assert not nb.problems(), nb.problems()
            counts = nb.widget_counts()
            assert sum(c["exercises"] for c in counts) >= 2, counts
            nb.scroll_to_cell(cell, settle_ms=200)
            root = nb.exercise(cell)
            root.get_by_role("radio", name=right["text"], exact=True).check()
            root.get_by_role("button", name="Check").click()
            expect(root).to_contain_text("score 100%")
            expect(root).to_contain_text(right["feedback"][:40])
            expect(root).to_contain_text("Saved at")

            nb.reload()
            nb.run_all(timeout=300_000)
            nb.wait_widgets_settled(60_000)
            nb.scroll_to_cell(cell, settle_ms=200)
            root = nb.exercise(cell)
            expect(root).to_contain_text("Your saved answer")
            expect(root.get_by_role("radio", name=right["text"], exact=True)).to_be_checked()
            assert not nb.problems(), nb.problems()
            assert context.blocked == [], f"requests left the site: {context.blocked[:5]}"
        finally:
            context.close()
            browser.close()


def _offline_notebook(playwright_instance, lite_site):
    from browser_helpers import browser_unavailable_reason

    reason = browser_unavailable_reason()
    if reason:
        if build_lite.IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.mark.browser
def test_the_self_assessment_chart_and_the_dashboard_work_offline(lite_site, playwright_instance):
    """With the network cut off: run lesson 5, save the self-assessment twice; are its chart (an image that
    really draws, with alt text giving the ratings), the change table and the change chart shown, with
    no error? Then run the progress dashboard: do its summary, table and chart show lesson 5's answer?"""
    from browser_helpers import bank_entries, show_cells
    from playwright.sync_api import expect
    from static_site_helpers import StaticSite, launch_offline_browser, lite_notebook_page, offline_context

    _offline_notebook(playwright_instance, lite_site)
    entries = bank_entries()
    cells = show_cells(ROOT / QUALITIES)
    cell, ex_id = next((c, e) for c, e in cells.items() if entries[e]["kind"] == "self-assessment")
    first = entries[ex_id]["qualities"][0]
    expect.set_options(timeout=60_000)
    with StaticSite(lite_site) as site:
        browser = launch_offline_browser(playwright_instance)
        context = offline_context(browser, viewport={"width": 1280, "height": 900})
        try:
            nb = lite_notebook_page(context, site)
            nb.open(QUALITIES)
            nb.run_all(timeout=300_000)
            nb.wait_widgets_settled(60_000)
            assert not nb.problems(), nb.problems()
            nb.scroll_to_cell(cell, settle_ms=200)
            root = nb.exercise(cell)
            root.get_by_role("radio", name="4", exact=True).first.check()
            nb.page.wait_for_timeout(300)  # the new value travels to the kernel
            root.get_by_role("button", name="Save ratings").click()
            chart = root.locator("img.techlead-chart").first
            expect(chart).to_be_visible()
            expect(root).to_contain_text("Saved at")
            assert chart.evaluate("img => img.complete && img.naturalWidth > 100"), "the chart does not draw"
            assert chart.get_attribute("src").startswith("data:image/svg+xml;base64,")
            alt = chart.get_attribute("alt") or ""
            assert "self-assessment ratings" in alt and f"{first['label']} 4" in alt, alt
            expect(root).to_contain_text("Save ratings again later")

            root.get_by_role("radio", name="2", exact=True).first.check()
            nb.page.wait_for_timeout(300)
            root.get_by_role("button", name="Save ratings").click()
            expect(root).to_contain_text("session 2")
            table = root.locator("table.techlead-table")
            expect(table).to_contain_text(first["label"])
            expect(table).to_contain_text("−2")
            charts = root.locator("img.techlead-chart")
            expect(charts).to_have_count(2)
            assert charts.nth(1).evaluate("img => img.complete && img.naturalWidth > 100")
            assert not nb.problems(), nb.problems()

            nb.open(DASHBOARD)
            nb.run_all(timeout=300_000)
            nb.wait_widgets_settled(60_000)
            assert not nb.problems(), nb.problems()
            board = nb.panel.locator(".techlead-ex").first
            expect(board.locator("[role=status]").first).to_contain_text(re.compile(r"[1-9]\d* of \d+ exercises answered"))
            lesson5 = board.locator("table.techlead-table tbody tr").filter(
                has=nb.page.locator("td:first-child", has_text=re.compile(r"^5$")))
            expect(lesson5).to_contain_text(re.compile(r"[1-9] of \d"))  # the self-assessment, at least
            img = board.locator("img.techlead-chart")
            expect(img).to_be_visible()
            assert img.evaluate("img => img.complete && img.naturalWidth > 100"), "the dashboard chart does not draw"
            assert "Two bar charts by lesson" in (img.get_attribute("alt") or "")
            assert context.blocked == [], f"requests left the site: {context.blocked[:5]}"
        finally:
            context.close()
            browser.close()


@pytest.mark.browser
def test_a_pandas_lesson_offline_says_what_is_missing_and_its_exercises_still_run(lite_site, playwright_instance):
    """With the network cut off, run lesson 9b (its data cells import pandas and matplotlib, which only
    Pyodide's CDN has): does each data cell show the notice instead of a traceback, and does Run All go on
    to draw every exercise below them?"""
    from playwright.sync_api import expect
    from static_site_helpers import StaticSite, launch_offline_browser, lite_notebook_page, offline_context

    _offline_notebook(playwright_instance, lite_site)
    import nbformat

    book = nbformat.read(ROOT / DATA_LAB, as_version=4)
    data_cells = [i for i, c in enumerate(book.cells) if c.cell_type == "code"
                  and ("import pandas" in c.source or "import matplotlib" in c.source)]
    shows = [i for i, c in enumerate(book.cells) if c.cell_type == "code" and c.source.startswith("show(")]
    assert data_cells and shows and max(shows) > max(data_cells)
    expect.set_options(timeout=60_000)
    with StaticSite(lite_site) as site:
        browser = launch_offline_browser(playwright_instance)
        context = offline_context(browser, viewport={"width": 1280, "height": 900})
        try:
            nb = lite_notebook_page(context, site)
            nb.open(DATA_LAB)
            nb.run_all(timeout=300_000)
            nb.wait_widgets_settled(60_000)
            problems = nb.problems()
            assert not problems.errors and not problems.broken_widgets, problems
            for i in data_cells:
                nb.scroll_to_cell(i, settle_ms=200)
                notice = nb.cell(i).locator(".techlead-warning")
                expect(notice).to_contain_text("could not be loaded")
                expect(notice).to_contain_text("cdn.jsdelivr.net")
            counts = nb.widget_counts()
            assert all(counts[i]["exercises"] == 1 for i in shows), [counts[i] for i in shows]
            assert context.blocked, "the kernel did not even try Pyodide's CDN"
            assert all(u.startswith(build_lite.PYODIDE_CDN) for u in context.blocked), context.blocked[:5]
        finally:
            context.close()
            browser.close()
