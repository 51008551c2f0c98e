"""A learner never loses work and is never misled about what is saved (issue 19), in JupyterLab and
headless Chromium: the six situations of the issue, each reproduced as a learner meets it, with what
the page shows asserted from the page and what is kept asserted from the files.

1. a kernel restart (and a kernel crash) without re-running the cells;
2. a corrupt responses file; 3. a truncated one; 4. a read-only one;
5. a lesson JupyterLab saved with its outputs, reopened later;
6. the status line after a new pick, and while a typed change waits for its save.
"""
from __future__ import annotations

import json
import os
import re
import signal
import stat
import time
from pathlib import Path

import pytest

pytest.register_assert_rewrite("browser_helpers")
from browser_helpers import DEMO, find_exercise  # noqa: E402

pytest_plugins = ["browser_helpers"]
pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail under CI) with the reason
    expect = None

LESSON = "notebooks/01_introduction.ipynb"
STOPPED = "This lesson has stopped running"
BANNER_CELL = 1   # the generated start_lesson() cell, right under the top navigation


def shown(kind: str, rel: str):
    found = find_exercise(kind, notebooks=[rel])
    if found is None:
        pytest.skip(f"{rel} shows no practice-mode {kind} exercise")
    return found


def responses_path(lab, rel: str) -> Path:
    return lab.server.root / Path(rel).parent / "responses.json"


def fresh_folder(lab, rel: str) -> Path:
    """No answers yet beside *rel* in the server's copy (file, backup, kept copies removed)."""
    folder = (lab.server.root / rel).parent
    for p in folder.glob("*responses*"):
        if p.is_file():
            os.chmod(p, 0o644)
            p.unlink()
    return folder


def seed_answers(lab, rel: str, answers: dict) -> Path:
    """Save *answers* ``{exercise_id: (kind, answer)}`` beside *rel*, through the real store."""
    from exercises.store import ResponseStore

    path = responses_path(lab, rel)
    s = ResponseStore(path)
    for ex_id, (kind, answer) in answers.items():
        s.save(ex_id, kind, answer)
    return path


def open_fresh(lab, rel: str) -> None:
    """A new kernel for *rel* (as when the learner comes back another day), all cells run."""
    lab.shutdown_kernel(rel)
    lab.open(rel)
    lab.run_all()
    lab.wait_widgets_settled()
    lab._ran = True


def exercise_root(lab, cell: int):
    lab.scroll_to_cell(cell, settle_ms=200)
    root = lab.exercise(cell)
    expect(root).to_be_visible()
    return root


def kernel_pid(lab, rel: str) -> int:
    """The process id of the kernel of notebook *rel* (from its connection file name)."""
    sessions = [s for s in lab.server.api("GET", "/api/sessions") or [] if s.get("path") == rel]
    assert sessions, f"no kernel for {rel}"
    kernel_id = sessions[0]["kernel"]["id"]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if f"kernel-{kernel_id}.json" in cmdline:
            return int(proc.name)
    raise LookupError(f"kernel {kernel_id} has no process")


# ------------------------------------------------------------------ 1. restart / crash without re-run
def test_restart_without_rerun_stops_the_exercises_visibly(lab):
    """Restart the kernel without re-running: does every exercise say the lesson stopped and what to
    do, with its controls gone (nothing can be typed into a dead widget), the file untouched; and do
    the saved answers come back after ▶▶ (restart and run all)?"""
    reflection = shown("reflection", DEMO)
    fresh_folder(lab, DEMO)
    text = "Saved before the restart: every word of it."
    path = seed_answers(lab, DEMO, {reflection.exercise_id: ("reflection", text)})
    open_fresh(lab, DEMO)
    root = exercise_root(lab, reflection.cell)
    box = root.get_by_role("textbox", name=re.compile("reflection", re.I))
    expect(box).to_have_value(text)
    expect(root.get_by_text(STOPPED)).to_be_hidden()
    before = path.read_bytes()

    lab.menu("Kernel", "kernelmenu:restart")
    lab.page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept", has_text="Restart").first.click()
    lab.wait_idle()
    expect(root.get_by_text(STOPPED)).to_be_visible()
    expect(root).to_contain_text("▶▶")
    expect(root).to_contain_text("Your saved answers come back")
    expect(box).to_be_hidden()
    expect(root.get_by_role("button", name="Save")).to_be_hidden()
    for other in find_exercise_cells(lab, DEMO):
        expect(lab.exercise(other).get_by_text(STOPPED)).to_be_visible()
    assert path.read_bytes() == before

    lab.menu("Run", "runmenu:run-all")           # what the notice says to do
    lab.wait_all_run()
    lab.wait_widgets_settled()
    root = exercise_root(lab, reflection.cell)
    expect(root.get_by_role("textbox", name=re.compile("reflection", re.I))).to_have_value(text)
    expect(root.get_by_text(STOPPED)).to_be_hidden()
    lab._ran = True


def find_exercise_cells(lab, rel: str) -> list[int]:
    from browser_helpers import ROOT, show_cells

    return list(show_cells(ROOT / rel))


def test_kernel_crash_stops_the_exercises_visibly(lab):
    """Kill the kernel process (a crash; the server restarts it): does the exercise say the lesson
    stopped, with its controls gone?"""
    choice = shown("choice", DEMO)
    lab.ensure_run(DEMO)
    root = exercise_root(lab, choice.cell)
    expect(root.get_by_text(STOPPED)).to_be_hidden()
    os.kill(kernel_pid(lab, DEMO), signal.SIGKILL)
    dialog = lab.page.locator(".jp-Dialog")
    dialog.wait_for(timeout=60_000)                # "Kernel Restarting: … appears to have died"
    dialog.get_by_role("button").last.click()
    expect(root.get_by_text(STOPPED)).to_be_visible(timeout=60_000)
    expect(root.get_by_role("button", name="Check")).to_be_hidden()
    lab._ran = False


# ------------------------------------------------------------------ 2./3. corrupt and truncated files
def _banner(lab):
    lab.scroll_to_cell(BANNER_CELL, settle_ms=200)
    banner = lab.cell(BANNER_CELL).locator(".techlead-banner")
    expect(banner).to_be_visible()
    return banner


def test_corrupt_file_restored_and_told_once_at_the_top(lab):
    """Garbage over responses.json, lesson reopened: are the answers restored from the backup and
    shown, the learner told once at the top what happened, the damaged copy kept?"""
    choice, reflection = shown("choice", LESSON), shown("reflection", LESSON)
    folder = fresh_folder(lab, LESSON)
    pick = choice.entry["options"][-1]
    text = "My reflection from last week, which must survive a damaged file."
    path = seed_answers(lab, LESSON, {choice.exercise_id: ("choice", pick["key"]),
                                      reflection.exercise_id: ("reflection", text)})
    path.write_bytes(b"\x00\x00\x00 this is not JSON any more")
    open_fresh(lab, LESSON)

    banner = _banner(lab)
    expect(banner).to_contain_text("was damaged")
    expect(banner).to_contain_text("Restored automatically: 2 answers")
    expect(banner).to_contain_text("from the automatic backup")
    assert lab.panel.get_by_text(re.compile("was damaged")).count() == 1   # told once
    root = exercise_root(lab, choice.cell)
    expect(root.get_by_role("radio", name=pick["text"], exact=True)).to_be_checked()
    root = exercise_root(lab, reflection.cell)
    expect(root.get_by_role("textbox", name=re.compile("reflection", re.I))).to_have_value(text)

    saved = json.loads(path.read_text(encoding="utf-8"))["responses"]
    assert saved[choice.exercise_id]["answer"] == pick["key"] and saved[reflection.exercise_id]["answer"] == text
    kept = list(folder.glob("responses.corrupt-*.json"))
    assert [k.read_bytes() for k in kept] == [b"\x00\x00\x00 this is not JSON any more"]


def test_truncated_file_salvaged_and_told(lab):
    """A file cut off mid-answer and no backup (say, copied from another machine): are the complete
    answers read back and shown, and the learner told how many came back?"""
    choice, reflection = shown("choice", LESSON), shown("reflection", LESSON)
    folder = fresh_folder(lab, LESSON)
    pick = choice.entry["options"][0]
    text = "Kept although the file was cut off."
    path = seed_answers(lab, LESSON, {choice.exercise_id: ("choice", pick["key"]),
                                      reflection.exercise_id: ("reflection", text),
                                      "zz-not-shown/last": ("choice", "a")})
    (folder / ".responses.json.bak").unlink()
    raw = path.read_bytes()
    path.write_bytes(raw[: raw.index(b'"zz-not-shown/last"') + 30])   # the last record cut in half
    open_fresh(lab, LESSON)

    banner = _banner(lab)
    expect(banner).to_contain_text("Restored automatically: 2 answers")
    expect(banner).to_contain_text("read back from the damaged file")
    root = exercise_root(lab, reflection.cell)
    expect(root.get_by_role("textbox", name=re.compile("reflection", re.I))).to_have_value(text)
    saved = json.loads(path.read_text(encoding="utf-8"))["responses"]
    assert sorted(saved) == sorted([choice.exercise_id, reflection.exercise_id])


# ------------------------------------------------------------------ 4. read-only file
def test_read_only_file_warns_and_the_download_keeps_what_was_typed(lab, tmp_path):
    """A read-only responses file: is there an unmistakable warning at the top and at the exercise,
    does the prompt no longer claim "saved as you type", and does the download hold the text just
    typed while the file stays unchanged?"""
    reflection = shown("reflection", LESSON)
    fresh_folder(lab, LESSON)
    path = seed_answers(lab, LESSON, {reflection.exercise_id: ("reflection", "an earlier text")})
    os.chmod(path, 0o444)
    try:
        before = path.read_bytes()
        open_fresh(lab, LESSON)
        banner = _banner(lab)
        expect(banner).to_contain_text("cannot be saved here")
        expect(banner.locator(".techlead-warning[role='alert']", has_text="Not saved")).to_be_visible()

        root = exercise_root(lab, reflection.cell)
        warning = root.locator(".techlead-warning[role='alert']", has_text="Not saved").first
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("🔒")
        expect(warning).to_contain_text("What to do")
        expect(root).not_to_contain_text("saved as you type")
        box = root.get_by_role("textbox", name=re.compile("reflection", re.I))
        typed = "an earlier text, and what I added on a read-only copy"
        box.fill(typed)
        expect(root).to_contain_text("read-only: not saved")
        link = root.get_by_role("link", name=re.compile("Download my answers"))
        deadline = time.monotonic() + 30          # the link follows the text on screen
        data = {}
        while time.monotonic() < deadline:
            with lab.page.expect_download() as info:
                link.click()
            target = tmp_path / "my_answers.json"
            info.value.save_as(target)
            data = json.loads(target.read_text(encoding="utf-8"))
            if data["responses"].get(reflection.exercise_id, {}).get("answer") == typed:
                break
            lab.page.wait_for_timeout(500)
        assert data["responses"][reflection.exercise_id]["answer"] == typed
        assert path.read_bytes() == before
    finally:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


# ------------------------------------------------------------------ 5. reopened autosaved lesson
def test_saved_lesson_reopens_clean_and_says_run_me(lab):
    """Work in a lesson, save it (as JupyterLab's autosave does), come back with a new kernel: no
    widget error anywhere, the first cell says to run the lesson, no widget output in the file;
    after Run All the answer is back."""
    choice = shown("choice", LESSON)
    fresh_folder(lab, LESSON)
    open_fresh(lab, LESSON)
    pick = next(o for o in choice.entry["options"] if o.get("correct"))
    root = exercise_root(lab, choice.cell)
    root.get_by_role("radio", name=pick["text"], exact=True).check()
    root.get_by_role("button", name="Check").click()
    expect(root).to_contain_text("Saved at")
    lab.menu("File", "docmanager:save")
    lab.page.wait_for_timeout(1500)
    on_disk = json.loads((lab.server.root / LESSON).read_text(encoding="utf-8"))
    views = [o for c in on_disk["cells"] for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert not views, "widget outputs were saved"
    assert "widgets" not in on_disk["metadata"]

    lab.shutdown_kernel(LESSON)
    lab.open(LESSON)                               # reopened another day: nothing run yet
    lab.page.wait_for_timeout(1500)
    body = lab.panel.inner_text()
    assert not re.search(r"Error displaying widget|model not found", body), body[:500]
    expect(lab.cell(0)).to_contain_text("Run All Cells")
    lab.run_all()
    lab.wait_widgets_settled()
    lab._ran = True
    root = exercise_root(lab, choice.cell)
    expect(root.get_by_role("radio", name=pick["text"], exact=True)).to_be_checked()
    assert not lab.problems(), lab.problems()


# ------------------------------------------------------------------ 6. truthful status lines
def test_status_after_a_new_pick_and_while_saving(lab):
    """After Check, a different pick says "not saved yet" (the file keeps the checked answer); typing a
    reflection shows "Saving…" while a save waits and "Saved at" once the file has every character."""
    choice, reflection = shown("choice", DEMO), shown("reflection", DEMO)
    fresh_folder(lab, DEMO)
    open_fresh(lab, DEMO)
    first, second = choice.entry["options"][0], choice.entry["options"][1]
    root = exercise_root(lab, choice.cell)
    root.get_by_role("radio", name=first["text"], exact=True).check()
    root.get_by_role("button", name="Check").click()
    expect(root).to_contain_text("Saved at")
    root.get_by_role("radio", name=second["text"], exact=True).check()
    expect(root).to_contain_text("Not saved yet")
    expect(root).not_to_contain_text("Saved at")
    assert lab.responses()[choice.exercise_id]["answer"] == first["key"]

    root = exercise_root(lab, reflection.cell)
    root.evaluate("""el => { window.__techleadSeen = [];
        new MutationObserver(() => window.__techleadSeen.push(el.innerText))
            .observe(el, {subtree: true, childList: true, characterData: true}); }""")
    box = root.get_by_role("textbox", name=re.compile("reflection", re.I))
    text = "Typing steadily, one key at a time, so that saves have to wait."
    box.click()
    box.press_sequentially(text, delay=60)
    expect(root).to_contain_text("Saved at", timeout=30_000)
    deadline = time.monotonic() + 30
    while lab.responses().get(reflection.exercise_id, {}).get("answer") != text and time.monotonic() < deadline:
        lab.page.wait_for_timeout(250)
    assert lab.responses()[reflection.exercise_id]["answer"] == text
    seen = lab.page.evaluate("window.__techleadSeen")
    assert any("Saving…" in s for s in seen), "the status never said Saving… while a save waited"
    expect(root).to_contain_text("Saved at")
