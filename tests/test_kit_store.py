"""The responses store: atomic writes, restarts, corrupt and read-only files, concurrency, limits."""
from __future__ import annotations

import json
import multiprocessing
import os
import stat

import pytest

from exercises import Choice, Reflection, store
from exercises.store import EmptyAnswer, ReadOnlyStore, ResponseStore
from kit_helpers import choice_entry, concurrent_writer, reflection_entry, responses


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
    """Is a corrupt file moved aside (kept, not deleted), the learner told, and saving continued?"""
    (workdir / "responses.json").write_bytes(content)
    w = Choice(choice_entry())
    kept = list(workdir.glob("responses.corrupt-*.json"))
    assert len(kept) == 1 and kept[0].read_bytes() == content
    assert "could not be read" in w.status.value and kept[0].name in w.status.value
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
    assert list(responses(workdir)) == ["b/y"]
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
        w.answer = "a"
        assert w.check() is None
        assert "read-only: not saved" in w.status.value
        assert "FB-alpha" in w.feedback.value  # practice feedback still shown
        assert path.read_bytes() == before
        with pytest.raises(ReadOnlyStore):
            ResponseStore().save("t/q", "choice", "c")
        r = Reflection(reflection_entry())
        r.text = "typed while read-only"
        r.save()
        assert path.read_bytes() == before
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
    assert not list(workdir.glob(".responses.json.*"))


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
