"""Shared fixtures and helpers for the exercise-kit tests (tests/test_kit_*.py).

Import the fixtures you use into the test module: ``from kit_helpers import workdir, ...``.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A fresh working folder (like a notebook's), with a fixed learner and no env overrides."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TECHLEAD_RESPONSES", raising=False)
    monkeypatch.delenv("TECHLEAD_BANKS", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setenv("TECHLEAD_LEARNER", "test-learner")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))  # the bank schema-pass cache
    return tmp_path


@pytest.fixture
def bank_dir(tmp_path, monkeypatch):
    """An extra bank folder on $TECHLEAD_BANKS; write banks into it with ``write_bank``."""
    folder = tmp_path / "extra-banks"
    folder.mkdir()
    monkeypatch.setenv("TECHLEAD_BANKS", str(folder))
    return folder


def write_bank(folder: Path, name: str, exercises: list, **top) -> Path:
    """Write a bank YAML file ``<folder>/<name>.yaml`` and return its path."""
    data = {"bank": top.pop("bank", name), "title": top.pop("title", f"Test bank {name}"), **top,
            "exercises": exercises}
    path = Path(folder) / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def responses(folder: Path) -> dict:
    """The saved responses (``responses`` mapping) in *folder*/responses.json."""
    return json.loads((Path(folder) / "responses.json").read_text(encoding="utf-8"))["responses"]


def choice_entry(**over) -> dict:
    """A practice-mode choice exercise entry (as the loader returns it)."""
    entry = {
        "id": "q", "full_id": "t/q", "bank": "t", "kind": "choice", "prompt": "Pick one",
        "options": [
            {"key": "a", "text": "Alpha", "correct": False, "feedback": "FB-alpha"},
            {"key": "b", "text": "Beta", "correct": True, "feedback": "FB-beta"},
            {"key": "c", "text": "Gamma", "correct": False, "feedback": "FB-gamma"},
        ],
    }
    entry.update(over)
    return entry


def many_entry(**over) -> dict:
    entry = {
        "id": "m", "full_id": "t/m", "bank": "t", "kind": "many-choice", "prompt": "Pick all",
        "options": [
            {"key": "a", "text": "Alpha", "correct": True, "feedback": "FB-alpha"},
            {"key": "b", "text": "Beta", "correct": False, "feedback": "FB-beta"},
            {"key": "c", "text": "Gamma", "correct": True, "feedback": "FB-gamma"},
            {"key": "d", "text": "Delta", "correct": False, "feedback": "FB-delta"},
        ],
    }
    entry.update(over)
    return entry


def classify_entry(**over) -> dict:
    entry = {
        "id": "s", "full_id": "t/s", "bank": "t", "kind": "classify", "prompt": "Sort",
        "categories": [{"key": "team", "label": "Team leadership"},
                       {"key": "technical", "label": "Technical leadership"},
                       {"key": "both", "label": "Both"}],
        "items": [
            {"key": "one", "text": "One-on-ones", "answer": "team", "feedback": "FB-one"},
            {"key": "two", "text": "Service boundaries", "answer": "technical", "feedback": "FB-two"},
            {"key": "three", "text": "Incident review", "answer": "both", "feedback": "FB-three"},
        ],
    }
    entry.update(over)
    return entry


def scenario_entry(**over) -> dict:
    entry = {
        "id": "sc", "full_id": "t/sc", "bank": "t", "kind": "scenario", "title": "A scenario",
        "focus": "both", "start": "s1",
        "situations": {
            "s1": {"text": "First situation", "actions": [
                {"key": "a", "text": "Act A", "rating": "best", "why": "WHY-A", "consequence": "CONS-A", "next": "s2"},
                {"key": "b", "text": "Act B", "rating": "poor", "why": "WHY-B", "consequence": "CONS-B"},
            ]},
            "s2": {"text": "Second situation", "actions": [
                {"key": "a", "text": "Act 2A", "rating": "acceptable", "why": "WHY-2A", "consequence": "CONS-2A",
                 "next": "s3"},
                {"key": "b", "text": "Act 2B", "rating": "best", "why": "WHY-2B", "consequence": "CONS-2B"},
            ]},
            "s3": {"text": "Third situation", "actions": [
                {"key": "a", "text": "Act 3A", "rating": "best", "why": "WHY-3A", "consequence": "CONS-3A"},
                {"key": "b", "text": "Act 3B", "rating": "poor", "why": "WHY-3B", "consequence": "CONS-3B"},
            ]},
        },
    }
    entry.update(over)
    return entry


def reflection_entry(**over) -> dict:
    entry = {"id": "r", "full_id": "t/r", "bank": "t", "kind": "reflection", "prompt": "Reflect",
             "guidance": "Be concrete.", "min_words": 3}
    entry.update(over)
    return entry


def self_entry(**over) -> dict:
    entry = {"id": "sa", "full_id": "t/sa", "bank": "t", "kind": "self-assessment", "prompt": "Rate",
             "qualities": [{"key": "design", "label": "Design", "description": "Weighing options"},
                           {"key": "coaching", "label": "Coaching"}]}
    entry.update(over)
    return entry


def widget_tree(widget):
    """The widget and every widget reachable from its traits (children, layout, style…)."""
    import ipywidgets as widgets

    seen, out, stack = set(), [], [widget]
    while stack:
        w = stack.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        out.append(w)
        for name in w.keys:
            value = getattr(w, name, None)
            values = value if isinstance(value, (list, tuple)) else [value]
            stack.extend(v for v in values if isinstance(v, widgets.Widget))
    return out


def all_state_text(widget) -> str:
    """Every synced state value of the widget tree, as one JSON-ish string (for leak checks)."""
    parts = []
    for w in widget_tree(widget):
        state = w.get_state()
        for k, v in state.items():
            if isinstance(v, (bytes, bytearray, memoryview)):
                continue
            parts.append(f"{k}={v!r}")
    return "\n".join(parts)


def concurrent_writer(path, prefix, n):
    """Save *n* answers ``<prefix>/q<i>`` into *path* (run in a separate process)."""
    from exercises.store import ResponseStore

    s = ResponseStore(path)
    for i in range(n):
        s.save(f"{prefix}/q{i}", "choice", f"answer-{i}")


def downloaded_answers(alert_html: str) -> dict:
    """The JSON inside the *Download my answers* ``data:`` link of a widget's warning area."""
    import base64
    import re

    match = re.search(r"href='data:application/json;charset=utf-8;base64,([A-Za-z0-9+/=]+)'", alert_html)
    assert match, f"no download link in: {alert_html[:300]}"
    return json.loads(base64.b64decode(match.group(1)).decode("utf-8"))


def slow_writer(path, size, ready_path):
    """Save big answers into *path* for ever, pausing inside each write's fsync after telling the
    parent (by creating *ready_path*) the first time: the parent kills it there (run in a process)."""
    import os
    import time

    from exercises import store as store_mod

    real_fsync = os.fsync
    state = {"n": 0}

    def fsync(fd):
        state["n"] += 1
        if state["n"] == 1:             # the 2nd save's temp file is written, not yet renamed: stop here
            Path(ready_path).write_text("in the middle of a write")
            time.sleep(600)
        return real_fsync(fd)

    s = store_mod.ResponseStore(path)
    s.save("w/first", "reflection", "x" * size)
    store_mod.os.fsync = fsync
    s.save("w/second", "reflection", "y" * size)


def looping_writer(path, log_path):
    """Save answer after answer into *path*, logging each finished save's id (run in a process)."""
    from exercises.store import ResponseStore

    s = ResponseStore(path)
    i = 0
    with open(log_path, "a", encoding="utf-8") as log:
        while True:
            s.save(f"loop/q{i}", "reflection", f"answer {i} " + "z" * 20000)
            log.write(f"loop/q{i}\n")
            log.flush()
            i += 1
