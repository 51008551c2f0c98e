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
pytestmark = pytest.mark.slow

LESSON = "notebooks/02_what_is_technical_leadership.ipynb"  # knowledge checks, no pandas


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
