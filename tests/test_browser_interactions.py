"""A learner's real clicks and keys on each kind of exercise, in JupyterLab and headless Chromium.

The exercises are taken from the demo notebook (exercises/examples/demo.ipynb) when it has the kind,
else from the first lesson that shows one; expected texts come from the banks, so the tests follow
the content. Each test checks what the learner sees and what reached responses.json.
"""
from __future__ import annotations

import re
import time

import pytest

pytest.register_assert_rewrite("browser_helpers")
from browser_helpers import find_exercise  # noqa: E402

pytest_plugins = ["browser_helpers"]
pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail under CI) with the reason
    expect = None


def plain(md: str, n: int = 60) -> str:
    """The first *n* characters of bank Markdown as the page shows it (no ** or backticks)."""
    text = re.sub(r"[*`]", "", md)
    return re.sub(r"\s+", " ", text).strip()[:n]


def exercise_of(kind: str, where=None):
    shown = find_exercise(kind, where=where)
    if shown is None:
        pytest.skip(f"no notebook shows a practice-mode {kind} exercise yet")
    return shown


def open_exercise(lab, shown):
    lab.ensure_run(shown.rel)
    lab.scroll_to_cell(shown.cell, settle_ms=200)
    root = lab.exercise(shown.cell)
    expect(root).to_be_visible()
    return root


def test_choice_check_gives_feedback(lab):
    """Pick a wrong option → Check → its feedback and 0%; pick the right one → Check → 100% and saved."""
    from exercises.scoring import verdict_text

    shown = exercise_of("choice")
    root = open_exercise(lab, shown)
    options = shown.entry["options"]
    right = next(o for o in options if o.get("correct"))
    wrong = next(o for o in options if not o.get("correct"))

    root.get_by_role("radio", name=wrong["text"], exact=True).check()
    root.get_by_role("button", name="Check").click()
    expect(root).to_contain_text("score 0%")
    expect(root).to_contain_text(plain(wrong["feedback"]))

    root.get_by_role("radio", name=right["text"], exact=True).check()
    root.get_by_role("button", name="Check").click()
    expect(root).to_contain_text("score 100%")
    expect(root).to_contain_text(verdict_text(1.0))
    expect(root).to_contain_text(plain(right["feedback"]))
    expect(root).to_contain_text("Saved at")
    assert lab.responses()[shown.exercise_id]["answer"] == right["key"]


def test_many_choice_ticks_and_checks(lab):
    """Tick every right option → Check → 100%."""
    shown = exercise_of("many-choice")
    root = open_exercise(lab, shown)
    for option in shown.entry["options"]:
        if option.get("correct"):
            root.get_by_role("checkbox", name=option["text"], exact=True).check()
    root.get_by_role("button", name="Check").click()
    expect(root).to_contain_text("score 100%")
    keys = sorted(o["key"] for o in shown.entry["options"] if o.get("correct"))
    assert lab.responses()[shown.exercise_id]["answer"] == keys


def test_classify_sorts_every_item(lab):
    """Sort each statement with its toggle buttons (or drop-down) → Check → all right, per-item feedback."""
    shown = exercise_of("classify")
    root = open_exercise(lab, shown)
    labels = {c["key"]: c["label"] for c in shown.entry["categories"]}
    items = shown.entry["items"]
    # one control per statement, in order: toggle buttons (default) or a <select>
    toggles = root.locator(".widget-toggle-buttons")
    selects = root.locator("select")
    for i, item in enumerate(items):
        label = labels[item["answer"]]
        if toggles.count() == len(items):
            toggles.nth(i).get_by_role("button", name=label, exact=True).click()
        else:
            selects.nth(i).select_option(label=label)
    root.get_by_role("button", name="Check").click()
    expect(root).to_contain_text(f"{len(items)} of {len(items)} sorted right")
    expect(root.get_by_text("✔ Right", exact=False)).to_have_count(len(items))
    assert lab.responses()[shown.exercise_id]["answer"] == {it["key"]: it["answer"] for it in items}


def _branching(entry) -> bool:
    start = entry["situations"][entry["start"]]
    return any(a.get("next") for a in start["actions"])


def test_scenario_branch_and_back(lab):
    """Choose an action that leads on → its rating, consequence and the follow-up situation; Back → start."""
    shown = exercise_of("scenario", where=_branching)
    root = open_exercise(lab, shown)
    entry = shown.entry
    start = entry["situations"][entry["start"]]
    action = next(a for a in start["actions"] if a.get("next"))
    follow_up = entry["situations"][action["next"]]

    back = root.get_by_role("button", name="Back")
    for _ in range(10):                      # a path saved by an earlier visit comes back: rewind it
        if back.is_disabled():
            break
        back.click()
        lab.page.wait_for_timeout(300)
    expect(root).to_contain_text("Situation 1.")
    root.get_by_role("radio", name=action["text"], exact=True).check()
    root.get_by_role("button", name="Choose").click()
    expect(root).to_contain_text("What happened:")
    expect(root).to_contain_text(plain(action["consequence"]))
    expect(root).to_contain_text("Situation 2.")
    expect(root).to_contain_text(plain(follow_up["text"]))
    expect(root).to_contain_text("Your path so far")
    assert lab.responses()[shown.exercise_id]["answer"] == [action["key"]]

    root.get_by_role("button", name="Back").click()
    expect(root).to_contain_text("Situation 1.")
    expect(root).to_contain_text(plain(start["text"]))
    expect(root).not_to_contain_text("Your path so far")
    expect(root.get_by_role("button", name="Back")).to_be_disabled()
    assert lab.responses()[shown.exercise_id]["answer"] == []


def test_self_assessment_by_keyboard_and_chart(lab):
    """Rate a quality with the arrow keys on its named 1-5 scale → Save ratings → the chart (with alt
    text) appears and the rating is saved."""
    shown = exercise_of("self-assessment")
    root = open_exercise(lab, shown)
    first = shown.entry["qualities"][0]
    checked = root.locator("input[type=radio]:checked").first
    before = int(checked.evaluate("el => el.closest('label').textContent.trim()"))
    want = before + 1 if before < 5 else before - 1
    # Keyboard only: Tab from the current rating to the next one, then Space to choose it.
    checked.focus()
    lab.page.keyboard.press("Shift+Tab" if want < before else "Tab")
    target = root.get_by_role("radio", name=str(want), exact=True).first
    expect(target).to_be_focused()
    lab.page.keyboard.press("Space")
    expect(target).to_be_checked()
    lab.page.wait_for_timeout(300)  # the new value travels to the kernel
    root.get_by_role("button", name="Save ratings").click()
    chart = root.locator("img.techlead-chart").first
    expect(chart).to_be_visible(timeout=60_000)  # generous: the first save also starts the chart code
    assert chart.evaluate("img => img.naturalWidth > 0"), "the chart image is empty"
    assert "self-assessment ratings" in (chart.get_attribute("alt") or "")
    expect(root).to_contain_text("Saved at")
    sessions = lab.responses()[shown.exercise_id]["sessions"]
    assert sessions[-1]["ratings"][first["key"]] == want


def test_reflection_is_saved_and_comes_back_after_reload(lab):
    """Type a reflection → "Saved at" → kernel shut down, page reloaded, cells re-run → the text is back."""
    shown = exercise_of("reflection")
    root = open_exercise(lab, shown)
    text = ("Last week I chose between two caching designs and wrote down the trade-offs, which was "
            "technical leadership. I also helped Leo plan his first on-call shift, which was team "
            "leadership, because it was about his growth and confidence rather than the code.")
    box = root.get_by_role("textbox", name=re.compile("reflection", re.I))
    box.click()
    box.fill(text[:-1])
    box.press_sequentially(text[-1])           # a real key press as well as the fill
    expect(root).to_contain_text("Saved at", timeout=20_000)
    words = len(text.split())
    expect(root).to_contain_text(f"{words} words")
    # saving is debounced while typing: the last key reaches the file within the save interval
    deadline = time.monotonic() + 20
    while lab.responses().get(shown.exercise_id, {}).get("answer") != text and time.monotonic() < deadline:
        lab.page.wait_for_timeout(250)
    assert lab.responses()[shown.exercise_id]["answer"] == text

    lab.shutdown_kernel()
    lab.reload()
    lab.run_all()
    lab.wait_widgets_settled()
    lab.scroll_to_cell(shown.cell, settle_ms=200)
    root = lab.exercise(shown.cell)
    box = root.get_by_role("textbox", name=re.compile("reflection", re.I))
    expect(box).to_have_value(text)
    expect(root).to_contain_text("Your saved reflection")
    assert not lab.problems(), lab.problems()


def test_radio_buttons_sit_before_their_option_text(lab):
    """Each radio circle is at the start of its option, as in every form, not after the text."""
    shown = exercise_of("choice")
    root = open_exercise(lab, shown)
    misplaced = root.locator(".widget-radio-box label").evaluate_all(
        """labels => labels.map(label => {
            const input = label.querySelector('input');
            const text = [...label.childNodes].find(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
            if (!input || !text) return null;
            const range = document.createRange();
            range.selectNodeContents(text);
            const t = range.getBoundingClientRect(), i = input.getBoundingClientRect();
            return i.left < t.left ? null : `${text.textContent.trim().slice(0, 40)}… (circle at x=${Math.round(i.left)}, text from x=${Math.round(t.left)})`;
        }).filter(Boolean)""")
    assert not misplaced, ("radio circles drawn after their text (the exercise CSS makes the label a flex box, "
                           "so ipywidgets' `float: left` on the input no longer applies):\n" + "\n".join(misplaced))
