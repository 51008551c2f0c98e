"""The responses store: atomic writes, restarts, corrupt and read-only files, concurrency, limits."""
from __future__ import annotations

import json
import multiprocessing
import os
import stat

import pytest

from exercises import Choice, Reflection, store
from exercises.store import EmptyAnswer, ReadOnlyStore, ResponseStore
from kit_helpers import (choice_entry, concurrent_writer, downloaded_answers, looping_writer,  # noqa: F401
                         reflection_entry, responses, slow_writer)


def test_file_format_and_timestamps(workdir):
    """Is an answer saved under its id with kind, answer, score, timestamps, attempts and schema_version?"""
    s = ResponseStore()
    first = s.save("b/x", "choice", "a", score=0)
    second = s.save("b/x", "choice", "b", score=1)
    data = json.loads((workdir / "responses.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == store.SCHEMA_VERSION
    rec = data["responses"]["b/x"]
    assert rec == second
    assert rec["answer"] == "b" and rec["score"] == 1.0 and rec["attempts"] == 2 and rec["kind"] == "choice"
    assert rec["first_saved"] == first["first_saved"] and rec["updated"] >= rec["first_saved"]
    assert s.get("b/x")["answer"] == "b" and s.get("b/nothing") is None
    assert not list(workdir.glob(".responses.json.*.tmp"))  # no temp files left behind


def test_path_from_env_and_argument(workdir, monkeypatch):
    """Does $TECHLEAD_RESPONSES (or a path argument) choose the file?"""
    monkeypatch.setenv("TECHLEAD_RESPONSES", str(workdir / "sub" / "mine.json"))
    ResponseStore().save("b/x", "choice", "a")
    assert (workdir / "sub" / "mine.json").exists()
    ResponseStore(workdir / "other.json").save("b/y", "choice", "a")
    assert "b/y" in json.loads((workdir / "other.json").read_text())["responses"]


def test_restart_new_widget_reads_saved_answer(workdir):
    """After a 'restart' (a new widget, new store object) is the saved answer shown?"""
    w = Choice(choice_entry())
    w.answer = "b"
    w.check()
    del w
    fresh = Choice(choice_entry(), store=ResponseStore())
    assert fresh.answer == "b" and "✔ Correct" in fresh.feedback.value


def test_constructing_never_overwrites(workdir):
    """Does building widgets (even many times) leave the saved answer untouched?"""
    ResponseStore().save("t/r", "reflection", "my text")
    before = (workdir / "responses.json").read_bytes()
    for _ in range(3):
        Reflection(reflection_entry())
        Choice(choice_entry())
    assert (workdir / "responses.json").read_bytes() == before


@pytest.mark.parametrize("content", [
    b"{not json",
    b"[1, 2, 3]",
    b'{"schema_version": "one", "responses": {}}',
    b'{"schema_version": 1, "responses": []}',
    b'{"schema_version": 1, "responses": {"a/b": 3}}',
    b"\xff\xfe\x00bad bytes",
])
def test_corrupt_file_moved_aside_and_learner_told(workdir, content):
    """Is a corrupt file moved aside (kept, not deleted), the learner warned (in the alert area,
    with the kept copy's name), and saving continued?"""
    (workdir / "responses.json").write_bytes(content)
    w = Choice(choice_entry())
    kept = list(workdir.glob("responses.corrupt-*.json"))
    assert len(kept) == 1 and kept[0].read_bytes() == content
    assert "could not be read" in w.alert.value and kept[0].name in w.alert.value
    assert "role='alert'" in w.alert.value and "⚠" in w.alert.value
    w.answer = "b"
    w.check()
    assert responses(workdir)["t/q"]["answer"] == "b"


def test_corrupt_file_found_while_saving(workdir):
    """If the file turns corrupt between load and save, is it still kept aside and the save done?"""
    s = ResponseStore()
    s.save("b/x", "choice", "a")
    (workdir / "responses.json").write_text("garbage", encoding="utf-8")
    s.save("b/y", "choice", "b")
    assert "kept as responses.corrupt-" in s.notice
    assert sorted(responses(workdir)) == ["b/x", "b/y"]   # b/x restored from the backup
    (workdir / "responses.json").write_text("garbage 2", encoding="utf-8")
    ResponseStore().load()
    assert len(list(workdir.glob("responses.corrupt-*.json"))) == 2  # same second: unique names


def test_empty_file_is_a_fresh_start(workdir):
    """Is an empty (0-byte) file read as 'no answers yet' rather than corrupt?"""
    (workdir / "responses.json").write_bytes(b"")
    assert ResponseStore().load() == {}
    assert not list(workdir.glob("responses.corrupt-*"))


def test_read_only_file_shows_answer_and_does_not_write(workdir):
    """With a mode-444 file (nbgrader autograded), is the answer shown, nothing written, a note shown?"""
    ResponseStore().save("t/q", "choice", "b", score=1)
    path = workdir / "responses.json"
    os.chmod(path, 0o444)
    try:
        before = path.read_bytes()
        w = Choice(choice_entry())
        assert w.answer == "b" and w.read_only
        assert "read-only: not saved" in w.status.value
        assert "Not saved: your answers file cannot be changed here" in w.alert.value
        assert "What to do" in w.alert.value and "Download my answers" in w.alert.value
        w.answer = "a"
        assert w.check() is None
        assert "read-only: not saved" in w.status.value
        downloaded = downloaded_answers(w.alert.value)
        assert downloaded["responses"]["t/q"]["answer"] == "a" and downloaded["responses"]["t/q"]["unsaved"]
        assert "FB-alpha" in w.feedback.value  # practice feedback still shown
        assert path.read_bytes() == before
        with pytest.raises(ReadOnlyStore):
            ResponseStore().save("t/q", "choice", "c")
        r = Reflection(reflection_entry())
        assert "Not saved here" in r.children[0].value and "saved as you type" not in r.children[0].value
        r.text = "typed while read-only"
        r.save()
        assert path.read_bytes() == before
        assert downloaded_answers(r.alert.value)["responses"]["t/r"]["answer"] == "typed while read-only"
        # every unsaveable exercise's link holds everything on screen, not only its own answer
        assert downloaded_answers(w.alert.value)["responses"]["t/r"]["answer"] == "typed while read-only"
    finally:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def test_read_only_corrupt_file_left_alone(workdir):
    """Is a corrupt read-only file left in place (not moved) with a message?"""
    path = workdir / "responses.json"
    path.write_text("{broken", encoding="utf-8")
    os.chmod(path, 0o444)
    try:
        s = ResponseStore()
        assert s.load() == {}
        assert "read-only" in s.notice and path.exists()
        assert not list(workdir.glob("responses.corrupt-*"))
    finally:
        os.chmod(path, 0o644)


def test_read_only_folder(workdir):
    """Is a read-only folder treated as read-only (no crash, no write)?"""
    folder = workdir / "locked"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        s = ResponseStore(folder / "responses.json")
        assert s.is_read_only()
        with pytest.raises(ReadOnlyStore):
            s.save("b/x", "choice", "a")
    finally:
        os.chmod(folder, 0o755)


def test_concurrent_writers_lose_nothing(workdir):
    """Do two processes saving 50 answers each into one file lose nothing?"""
    path = workdir / "responses.json"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=concurrent_writer, args=(str(path), f"p{n}", 50)) for n in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    data = responses(workdir)
    assert len(data) == 100
    assert all(data[f"p{n}/q{i}"]["answer"] == f"answer-{i}" for n in range(2) for i in range(50))


def test_unicode_kept_exactly(workdir):
    """Is any unicode kept exactly, stored as UTF-8 (not \\u escapes)?"""
    text = "Zoë’s “plan” — 漢字, emoji 🙂🚀, RTL שלום, combining é, NUL-free \t tabs"
    ResponseStore().save("b/u", "reflection", text)
    raw = (workdir / "responses.json").read_bytes().decode("utf-8")
    assert "漢字" in raw and "🙂" in raw
    assert ResponseStore().get("b/u")["answer"] == text


def test_one_megabyte_text(workdir):
    """Is a 1 MB answer stored and read back intact?"""
    big = "x" * (1024 * 1024)
    ResponseStore().save("b/big", "reflection", big)
    assert ResponseStore().get("b/big")["answer"] == big


@pytest.mark.parametrize("empty", [None, "", "   \n", [], {}])
def test_empty_answers_refused(workdir, empty):
    """Are empty answers refused with EmptyAnswer (a friendly message), and nothing written?"""
    with pytest.raises(EmptyAnswer, match="Nothing to save"):
        ResponseStore().save("b/e", "choice", empty)
    assert not (workdir / "responses.json").exists()


def test_sessions_appended(workdir):
    """Are rating sessions appended to a list, not replaced?"""
    s = ResponseStore()
    s.append_session("b/sa", "self-assessment", {"at": "t1", "ratings": {"a": 1}})
    rec = s.append_session("b/sa", "self-assessment", {"at": "t2", "ratings": {"a": 2}})
    assert [x["at"] for x in rec["sessions"]] == ["t1", "t2"] and rec["answer"] == {"a": 2}


def test_log_is_capped(workdir, monkeypatch):
    """Is an appended log (scenario steps) kept to the last LOG_LIMIT items?"""
    monkeypatch.setattr(store, "LOG_LIMIT", 3)
    s = ResponseStore()
    for i in range(5):
        rec = s.save("b/l", "scenario", ["a"], log=("explored", i))
    assert rec["explored"] == [2, 3, 4]


def test_unexpected_save_error_is_shown(workdir, monkeypatch):
    """If saving fails for an unexpected reason, does the widget say so instead of crashing?"""
    w = Choice(choice_entry())

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(w.store, "save", boom)
    w.answer = "b"
    w.check()
    assert "Could not save" in w.status.value and "disk full" in w.status.value
    assert "Not saved: your answer could not be saved" in w.alert.value and "disk full" in w.alert.value
    assert downloaded_answers(w.alert.value)["responses"]["t/q"]["answer"] == "b"
    monkeypatch.undo()
    w.check()                                   # saving works again: the warning goes
    assert "Not saved" not in w.alert.value and "Saved at" in w.status.value


def test_unreadable_path_is_moved_aside(workdir):
    """Is a responses 'file' that cannot be read (here a folder) moved aside with a message?"""
    (workdir / "responses.json").mkdir()
    s = ResponseStore()
    assert s.load() == {}
    assert "cannot read it" in s.notice
    assert [p.is_dir() for p in workdir.glob("responses.corrupt-*.json")] == [True]


def test_failed_write_leaves_old_file_and_no_temp(workdir, monkeypatch):
    """If the final rename fails, is the old file intact and the temp file removed?"""
    s = ResponseStore()
    s.save("b/x", "choice", "a")
    before = (workdir / "responses.json").read_bytes()

    def fail(*a, **k):
        raise OSError("rename failed")

    monkeypatch.setattr(store.os, "replace", fail)
    with pytest.raises(OSError):
        s.save("b/x", "choice", "b")
    monkeypatch.undo()
    assert (workdir / "responses.json").read_bytes() == before
    assert not list(workdir.glob(".responses.json.*.tmp"))


def test_corrupt_file_that_cannot_be_moved(workdir, monkeypatch):
    """If a corrupt file cannot be moved aside, is the learner told it was left as it is?"""
    (workdir / "responses.json").write_text("{bad", encoding="utf-8")
    real = store.os.replace

    def fail(src, dst):
        if "corrupt" in str(dst):
            raise OSError("nope")
        return real(src, dst)

    monkeypatch.setattr(store.os, "replace", fail)
    s = ResponseStore()
    assert s.load() == {}
    assert "could not be moved aside" in s.notice


def test_permission_error_while_writing_is_read_only(workdir, monkeypatch):
    """Is a PermissionError during a write reported as read-only, not a crash?"""
    def deny(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(store.tempfile, "mkstemp", deny)
    with pytest.raises(ReadOnlyStore, match="cannot be written"):
        ResponseStore().save("b/x", "choice", "a")


# ------------------------------------------------------------------ backup, restore, salvage (issue 19)
def _saved_three(workdir):
    s = ResponseStore()
    for key, text in (("b/one", "first answer"), ("b/two", "second answer"), ("b/three", "third answer")):
        s.save(key, "reflection", text)
    return s


def test_every_write_keeps_a_hidden_backup_and_a_hidden_lock(workdir):
    """After each save, is there a hidden backup with the same good text, and is the lock file hidden too?"""
    s = _saved_three(workdir)
    main, backup = workdir / "responses.json", workdir / ".responses.json.bak"
    assert backup.read_bytes() == main.read_bytes()
    assert s.lock_path.name == ".responses.json.lock" and s.lock_path.exists()
    visible = sorted(p.name for p in workdir.iterdir() if not p.name.startswith("."))
    assert visible == ["responses.json"]         # nothing else in the learner's file browser


def test_truncated_file_salvaged_and_rewritten(workdir):
    """A file cut off mid-record (no backup): are the complete records read back, the file rebuilt,
    the damaged copy kept, and the learner told how many came back?"""
    _saved_three(workdir)
    (workdir / ".responses.json.bak").unlink()
    main = workdir / "responses.json"
    raw = main.read_bytes()
    cut = raw[: raw.index(b'"b/two"') + 20]       # b/one and b/three (sorted first) whole, b/two cut
    main.write_bytes(cut)
    store._SEEN.clear()                           # a fresh kernel: nothing on screen
    s = ResponseStore()
    records = s.load()
    assert sorted(records) == ["b/one", "b/three"]
    assert records["b/three"]["answer"] == "third answer"
    assert sorted(responses(workdir)) == ["b/one", "b/three"]          # saved again at once
    kept = list(workdir.glob("responses.corrupt-*.json"))
    assert [k.read_bytes() for k in kept] == [cut]
    assert "2 answers" in s.notice and "read back from the damaged file" in s.notice and kept[0].name in s.notice


def test_salvage_reads_complete_records_only():
    """Does salvage() keep every whole record before the cut, and nothing of a broken one?"""
    text = ('{\n "responses": {\n  "a/1": {"answer": "x", "kind": "choice"},\n'
            '  "a/2": {"answer": "y"},\n  "a/3": {"answer": "cut he')
    assert store.salvage(text.encode()) == {"a/1": {"answer": "x", "kind": "choice"}, "a/2": {"answer": "y"}}
    assert store.salvage(b"garbage") == {}
    assert store.salvage(b'{"responses": {"a/1": 3, "a/2": {"answer": "k"}}}') == {"a/2": {"answer": "k"}}
    assert store.salvage(b'{"responses": {"a/1" 3}}') == {}
    assert store.salvage(b"[1, 2]") == {}


def test_corrupt_file_restored_from_backup(workdir):
    """Garbage over the whole file: are all answers restored from the backup, and the learner told once?"""
    _saved_three(workdir)
    (workdir / "responses.json").write_bytes(b"\x00\x00 not json at all")
    first = Choice(choice_entry())
    assert "3 answers" in first.alert.value and "from the automatic backup" in first.alert.value
    assert sorted(responses(workdir)) == ["b/one", "b/three", "b/two"]
    again = Choice(choice_entry())                # the file is good again: no second notice
    assert again.alert.value == ""


def test_restore_takes_the_newest_of_backup_damaged_file_and_screen(workdir):
    """Backup, damaged text and the answers this kernel has on screen: does the newest copy of each win?"""
    s = _saved_three(workdir)
    main, backup = workdir / "responses.json", workdir / ".responses.json.bak"
    old_backup = backup.read_bytes()
    s.save("b/two", "reflection", "second answer, edited")
    s.save("b/four", "reflection", "fourth answer")
    backup.write_bytes(old_backup)                # a backup from before the last two saves
    data = json.loads(main.read_text(encoding="utf-8"))
    del data["responses"]["b/four"]
    main.write_text(json.dumps(data)[:-40], encoding="utf-8")   # damaged, and b/four not in it
    records = ResponseStore().load()
    assert records["b/two"]["answer"] == "second answer, edited"
    assert records["b/four"]["answer"] == "fourth answer"      # only the screen (this kernel) had it
    assert records["b/one"]["answer"] == "first answer"
    assert responses(workdir) == records


def test_damaged_backup_is_salvaged_too(workdir):
    """With the file and its backup both damaged, is what the backup still holds recovered?"""
    _saved_three(workdir)
    backup = workdir / ".responses.json.bak"
    backup.write_bytes(backup.read_bytes()[:-60])
    (workdir / "responses.json").write_bytes(b"{")
    store._SEEN.clear()                           # a fresh kernel: nothing on screen
    records = ResponseStore().load()
    assert "b/one" in records and "b/three" in records


def test_read_only_damaged_file_still_shows_recovered_answers(workdir):
    """A damaged read-only file: is it left alone, yet the recoverable answers shown with a warning?"""
    _saved_three(workdir)
    main = workdir / "responses.json"
    main.write_bytes(b"{broken")
    os.chmod(main, 0o444)
    try:
        store._SEEN.clear()
        s = ResponseStore()
        records = s.load()
        assert records["b/two"]["answer"] == "second answer" and main.read_bytes() == b"{broken"
        assert "read-only" in s.notice and "3 answers could still be recovered" in s.notice
    finally:
        os.chmod(main, 0o644)


def test_nothing_recoverable_says_so(workdir):
    """A damaged file with no backup and nothing readable: does the notice say nothing could be found?"""
    (workdir / "responses.json").write_bytes(b"\xff\xfe")
    store._SEEN.clear()
    s = ResponseStore()
    assert s.load() == {}
    assert "No earlier answers could be found" in s.notice and "fresh responses.json" in s.notice


def test_writer_killed_in_the_middle_of_a_write(workdir):
    """A process killed (SIGKILL) while its temp file is written: is the file whole with every earlier
    answer, the lock free, and the stale temp file cleaned up by the next save?"""
    import signal
    import time

    path, ready = workdir / "responses.json", workdir / "ready"
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=slow_writer, args=(str(path), 300_000, str(ready)))
    proc.start()
    deadline = time.monotonic() + 120
    while not ready.exists() and time.monotonic() < deadline and proc.is_alive():
        time.sleep(0.05)
    assert ready.exists(), "the writer never reached the middle of its write"
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(30)
    assert proc.exitcode == -signal.SIGKILL
    assert list(workdir.glob(".responses.json.*.tmp")), "expected the killed write's temp file"
    data = responses(workdir)                     # valid JSON: the old version, whole
    assert list(data) == ["w/first"] and data["w/first"]["answer"] == "x" * 300_000
    s = ResponseStore(path)
    s.save("w/third", "choice", "a")              # the lock is free (a killed holder releases it)
    assert sorted(responses(workdir)) == ["w/first", "w/third"]
    assert not list(workdir.glob(".responses.json.*.tmp"))


def test_writer_killed_at_random_moments_never_damages_the_file(workdir):
    """Kill a writer saving in a loop at five random moments: is the file always valid, holding
    every answer the writer finished?"""
    import random
    import signal
    import time

    path, log = workdir / "responses.json", workdir / "done.log"
    ctx = multiprocessing.get_context("spawn")
    rng = random.Random(19)
    for _round in range(5):
        proc = ctx.Process(target=looping_writer, args=(str(path), str(log)))
        proc.start()
        deadline = time.monotonic() + 120
        while (not log.exists() or not log.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
        finished = set(log.read_text(encoding="utf-8").split())
        data = responses(workdir)                 # parses: never half written
        assert finished <= set(data), finished - set(data)
        log.write_text("", encoding="utf-8")


def test_two_writers_and_a_damaged_file_lose_nothing(workdir):
    """Two processes saving while the file is damaged once in between: is every answer there?"""
    path = workdir / "responses.json"
    ResponseStore(path).save("p0/q-first", "choice", "a")
    path.write_bytes(b"{ damaged")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=concurrent_writer, args=(str(path), f"p{n}", 30)) for n in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    data = responses(workdir)
    assert "p0/q-first" in data                   # restored from the backup by whichever writer came first
    assert all(f"p{n}/q{i}" in data for n in range(2) for i in range(30))
    assert len(list(workdir.glob("responses.corrupt-*.json"))) == 1
