"""Accessibility of the exercise widgets, checked with axe-core inside the real page.

axe-core comes bundled in the PyPI package ``axe-playwright-python``. Each check runs all cells, puts
some exercises into their answered state (feedback, scenario outcome, chart), then runs axe twice:

* scoped to our widgets (every widget root in an output area): serious or critical violations fail;
* on the rest of the page (JupyterLab's own chrome, lesson Markdown and tables): reported as a
  warning and in screenshots/axe-<case>.json, never failed, since that is not our code.
"""
from __future__ import annotations

import json
import warnings

import pytest

pytest.register_assert_rewrite("browser_helpers")
from browser_helpers import IN_CI, ROOT, SCREENSHOTS, bank_entries, show_cells  # noqa: E402

pytest_plugins = ["browser_helpers"]
pytestmark = pytest.mark.browser

WIDGETS = ".jp-OutputArea-output > .jupyter-widgets"
FAILING_IMPACTS = {"serious", "critical"}


def _axe_script() -> str:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        reason = "axe-playwright-python is not installed (pip install -e '.[test]')"
        if IN_CI:
            pytest.fail(f"CI=true but the accessibility tests cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    return Axe().axe_script


def axe_run(page, context: dict) -> list[dict]:
    """axe.run(context) in the page; the violations, each with its nodes' targets."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_script())
    result = page.evaluate("([ctx, opts]) => axe.run(ctx, opts)",
                           [context, {"resultTypes": ["violations"]}])
    return result["violations"]


def summary(violations: list[dict]) -> list[str]:
    lines = []
    for v in violations:
        targets = ["; ".join(" ".join(t) if isinstance(t, list) else t for t in n["target"]) for n in v["nodes"]]
        lines.append(f"{v['id']} ({v['impact']}, {len(targets)}x): {v['help']}\n    " + "\n    ".join(targets[:6]))
    return lines


# ------------------------------------------------------------------ putting exercises in their answered state
def answer_first(lab, rel: str, kind: str) -> None:
    """Answer the first *kind* exercise of notebook *rel* through the page, so its feedback shows."""
    banks = bank_entries()
    for cell, ex_id in show_cells(ROOT / rel).items():
        entry = banks.get(ex_id, {})
        if entry.get("kind") != kind or entry.get("graded"):
            continue
        lab.scroll_to_cell(cell, settle_ms=150)
        root = lab.exercise(cell)
        if kind == "choice":
            right = next(o for o in entry["options"] if o.get("correct"))
            root.get_by_role("radio", name=right["text"], exact=True).check()
            root.get_by_role("button", name="Check").click()
            root.get_by_text("score 100%").wait_for()
        elif kind == "scenario":
            action = entry["situations"][entry["start"]]["actions"][0]
            root.get_by_role("radio", name=action["text"], exact=True).check()
            root.get_by_role("button", name="Choose").click()
            root.get_by_text("What happened:").wait_for()
        elif kind == "self-assessment":
            root.get_by_role("button", name="Save ratings").click()
            root.locator("img.techlead-chart").first.wait_for(timeout=60_000)
        return


CASES = {
    # the heart of the course: classify, choice, scenarios, many-choice and reflection
    "team-vs-technical": ("notebooks/04_team_vs_technical_leadership.ipynb", ("choice", "scenario")),
    # the branching-scenario lesson, with a path walked
    "scenario": ("notebooks/11_challenges_and_solutions.ipynb", ("scenario", "choice")),
    # the self-assessment (rating scales and chart)
    "self-assessment": ("notebooks/05_key_qualities.ipynb", ("self-assessment", "choice")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_exercise_widgets_have_no_serious_axe_violations(lab, case):
    rel, kinds = CASES[case]
    if not (ROOT / rel).exists():
        pytest.skip(f"{rel} does not exist yet")
    try:
        lab.ensure_run(rel)
        for kind in kinds:
            answer_first(lab, rel, kind)
        ours = axe_run(lab.page, {"include": [[WIDGETS]]})
        theirs = axe_run(lab.page, {"exclude": [[WIDGETS]]})
    finally:
        lab.shutdown_kernel(rel)
        lab._ran = False

    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / f"axe-{case}.json").write_text(
        json.dumps({"notebook": rel, "widgets": ours, "rest_of_page": theirs}, indent=1), encoding="utf-8")
    print(f"\n[{case}] axe on our widgets:", *(summary(ours) or ["no violations"]), sep="\n  ")
    print(f"[{case}] axe on JupyterLab and the lesson around them (not failed):",
          *(summary(theirs) or ["no violations"]), sep="\n  ")
    if theirs:
        warnings.warn(f"axe, {rel} outside our widgets (JupyterLab, Markdown): "
                      + ", ".join(f"{v['id']} ({v['impact']})" for v in theirs), stacklevel=1)
    failing = [v for v in ours if v["impact"] in FAILING_IMPACTS]
    assert not failing, f"serious/critical axe violations in our widgets in {rel}:\n" + "\n".join(summary(failing))
