"""Reflection widget: labelled text area, live word count, debounced auto-save, Save button."""
from __future__ import annotations

import re

import pytest

from course_tools.cells import KERNELSPEC
from exercises import Reflection, show
from exercises.reflection import Debouncer
from kit_helpers import reflection_entry, responses


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class FakeScheduler:
    """Collects scheduled calls (as ``loop.call_later`` would); the test fires them by hand."""

    def __init__(self):
        self.made: list = []

    def __call__(self, delay, fn):
        handle = FakeHandle(delay, fn)
        self.made.append(handle)
        return handle


class FakeHandle:
    def __init__(self, delay, fn):
        self.delay, self.fn, self.cancelled = delay, fn, False

    def cancel(self):
        self.cancelled = True

    def fire(self):
        if not self.cancelled:
            self.fn()


def test_debouncer_saves_at_most_once_per_interval_plus_trailing_flush():
    """While typing fast, is there one save per interval, then a final save of the last change?"""
    calls, clock, sched = [], FakeClock(), FakeScheduler()
    d = Debouncer(lambda: calls.append(clock.now), interval=2.0, clock=clock, call_later=sched)
    d.trigger()                     # first keystroke: saved at once
    assert calls == [100.0]
    for _ in range(10):             # ten keystrokes within 1 s: no more saves yet
        clock.now += 0.1
        d.trigger()
    assert calls == [100.0] and len(sched.made) == 1
    assert abs(sched.made[0].delay - 1.9) < 1e-6 and d.pending
    clock.now = 102.0
    sched.made[0].fire()            # trailing save catches the last change
    assert calls == [100.0, 102.0] and not d.pending
    clock.now = 102.5
    d.trigger()                     # inside the interval again: scheduled, then flushed
    assert len(calls) == 2
    d.flush()
    assert calls == [100.0, 102.0, 102.5] and sched.made[-1].cancelled
    d.flush()                       # nothing pending: no extra save
    assert len(calls) == 3
    d.trigger()
    d.cancel()
    assert not d.pending



def in_a_fresh_thread(fn):
    """Run *fn* in a new thread and return its result (re-raising what it raised).

    A thread starts with no running event loop, whatever earlier tests in this worker left behind
    (Playwright's sync API leaves its loop marked as running in the main thread), so these tests see
    exactly the loop they set up, or none.
    """
    import threading

    box = {}

    def run():
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: B036 - handed back to the test's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="fresh-test-thread")
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


def test_debouncer_without_an_event_loop_saves_every_change_at_once():
    """Where nothing can schedule a delayed call (no running loop, e.g. a script), is each change
    saved at once, with no thread started?"""
    import threading

    def script():
        calls = []
        before = threading.active_count()
        d = Debouncer(lambda: calls.append(1), interval=60)
        for _ in range(3):
            d.trigger()
        assert calls == [1, 1, 1] and not d.pending and threading.active_count() == before

    in_a_fresh_thread(script)


def test_debouncer_on_a_running_asyncio_loop():
    """On a running asyncio loop (as in the kernel), is the trailing save a loop.call_later, no thread?"""
    import asyncio
    import threading

    calls = []

    async def typing():
        d = Debouncer(lambda: calls.append(threading.current_thread().name), interval=0.05)
        d.trigger()
        d.trigger()
        assert d.pending and len(calls) == 1
        await asyncio.sleep(0.5)
        return d

    d = in_a_fresh_thread(lambda: asyncio.run(typing()))
    assert len(calls) == 2 and set(calls) == {"fresh-test-thread"} and not d.pending


def test_typing_saves_debounced_and_save_button(workdir):
    """On the kernel's asyncio loop: does typing save at once, then say "Saving…" while a change
    waits, save it on flush, and does Save save now with 'Saved at HH:MM'?"""
    import asyncio

    async def learner():
        w = Reflection(reflection_entry(), save_interval=60)
        assert w.textarea.description and w.textarea.continuous_update
        w.textarea.value = "first words"
        assert responses(workdir)["t/r"]["answer"] == "first words"   # leading save
        assert re.search(r"Saved at \d\d:\d\d", w.status.value)
        w.textarea.value = "first words and more"                     # within the interval: pending
        assert responses(workdir)["t/r"]["answer"] == "first words"
        assert "Saving…" in w.status.value and "Saved at" not in w.status.value
        w.flush()                                                     # the final flush
        assert responses(workdir)["t/r"]["answer"] == "first words and more"
        assert re.search(r"Saved at \d\d:\d\d", w.status.value)
        w.textarea.value = "edited again"
        w.save_button.click()
        rec = responses(workdir)["t/r"]
        assert rec["answer"] == "edited again" and rec["words"] == 2 and rec["kind"] == "reflection"
        assert w.save() == rec  # unchanged text: nothing new written
        assert responses(workdir)["t/r"]["attempts"] == rec["attempts"]

    in_a_fresh_thread(lambda: asyncio.run(learner()))


def test_typing_without_an_event_loop_saves_every_change(workdir):
    """With no event loop to delay saves on, is every typed change saved at once (none waits)?"""
    def script():
        w = Reflection(reflection_entry(), save_interval=60)
        for text in ("one", "one two", "one two three"):
            w.textarea.value = text
            assert responses(workdir)["t/r"]["answer"] == text and "Saved at" in w.status.value

    in_a_fresh_thread(script)


def test_live_word_count(workdir):
    """Does the word count follow the text and mark the goal when reached?"""
    w = Reflection(reflection_entry(), save_interval=60)
    assert "0 words" in w.words.value and "at least 3" in w.words.value
    w.text = "one"
    assert "1 word " in w.words.value
    w.text = "one two three"
    assert "3 words" in w.words.value and "✔" in w.words.value


def test_empty_text_refused_and_saved_text_kept(workdir):
    """Is empty text refused (Save or auto-save) without wiping the saved reflection?"""
    w = Reflection(reflection_entry(), save_interval=0)
    assert w.save() is None and "Nothing to save yet" in w.status.value
    w.text = "keep me"
    w.text = "   "
    assert "Empty text is not saved" in w.status.value
    assert responses(workdir)["t/r"]["answer"] == "keep me"


def test_restart_shows_saved_text(workdir):
    """Does a new widget show the saved text, without saving anything on construction?"""
    w = Reflection(reflection_entry(), save_interval=0)
    w.text = "ünïcødé ✓ 漢字 🙂\nsecond line"
    again = Reflection(reflection_entry())
    assert again.text == "ünïcødé ✓ 漢字 🙂\nsecond line"
    assert "Your saved reflection" in again.status.value
    assert responses(workdir)["t/r"]["attempts"] == 1


def test_one_megabyte_text_and_max_chars(workdir):
    """Is a 1 MB reflection saved and read back exactly; is text over max_chars refused?"""
    big = ("word " * 210_000)[:1_048_576]
    w = Reflection(reflection_entry(), save_interval=60)
    w.text = big
    w.save()
    assert responses(workdir)["t/r"]["answer"] == big
    assert Reflection(reflection_entry()).text == big
    small = Reflection(reflection_entry(id="r2", full_id="t/r2", max_chars=5), save_interval=60)
    small.text = "too long"
    assert small.save() is None and "longer than 5" in small.status.value


def test_reflection_via_show(workdir):
    """Does show() build a Reflection from the demo bank, with guidance shown?"""
    w = show("demo/reflect")
    assert isinstance(w, Reflection) and "at least 30" in w.words.value
    assert "Name at least one" in w.children[0].value
    assert isinstance(Reflection.from_bank("demo/reflect"), Reflection)


@pytest.mark.slow
def test_trailing_autosave_in_a_real_kernel(tmp_path):
    """In a real kernel, does the trailing save (on the kernel's event loop, no thread) land in the
    file, with "Saving…" shown while it waits?"""
    import nbformat
    from nbclient import NotebookClient
    from nbformat import v4

    code = (
        "import asyncio, json, threading\n"
        "threads = threading.active_count()\n"
        "from exercises import show\n"
        "w = show('demo/reflect')\n"
        "w._debouncer.interval = 3.0\n"
        "w.text = 'first'\n"
        "w.text = 'first and last'\n"
        "assert 'Saving…' in w.status.value, w.status.value\n"
        "import threading; assert threading.active_count() == threads, 'a thread was started'\n"
        "await asyncio.sleep(4.5)\n"
        "saved = json.load(open('responses.json', encoding='utf-8'))['responses']['demo/reflect']['answer']\n"
        "assert saved == 'first and last', saved\n"
        "assert 'Saved at' in w.status.value\n"
        "print('ok')"
    )
    nb = v4.new_notebook(cells=[v4.new_code_cell(code)])
    NotebookClient(nb, timeout=60, kernel_name=KERNELSPEC["name"], allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outs = nb.cells[0].outputs
    assert not [o for o in outs if o.output_type == "error"], [o.get("evalue") for o in outs]
    assert any(o.output_type == "stream" and "ok" in o.text for o in outs)
    assert nbformat.validate(nb) is None
