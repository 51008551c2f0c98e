"""A pretend learner on one machine (course_tools.pretend_learner): the printed commands really fetch
and submit as that learner, through the course's exchange, on a temporary course with real nbgrader."""
from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pytest

from course_tools import pretend_learner as pl
from nbgrader_helpers import env, nbgrader, record_answers, source_nb, widget_keys

AID = "a2-team-vs-tech"


def learner_commands(output: str) -> dict[str, list[str]]:
    """The printed ``... -- nbgrader <step>`` commands, by step, as argument lists."""
    out = {}
    for line in output.splitlines():
        if " -- nbgrader " in line:
            args = shlex.split(line.strip())
            out[args[args.index("--") + 2]] = args
    return out


def test_a_bad_name_or_folder_is_refused_clearly(tmp_path, capsys):
    """Is a learner id nbgrader cannot use, or a folder that is no course, refused with a message?"""
    assert pl.main(["ana+1", "--course-dir", str(tmp_path)]) == 2
    assert "not a usable learner id" in capsys.readouterr().err
    assert pl.main(["ana", "--course-dir", str(tmp_path)]) == 2
    assert "has no nbgrader_config.py" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was created


@pytest.fixture(scope="module")
def course(tmp_path_factory, generated_course):
    """A temporary course with a2 released to a private exchange (the instructor's side)."""
    base = tmp_path_factory.mktemp("pretend")
    course = generated_course(base / "course", AID)
    exchange = base / "exchange"
    nbgrader(course, "release_assignment", AID, exchange=exchange)
    return {"course": course, "exchange": exchange}


@pytest.mark.nbgrader
@pytest.mark.slow
def test_printed_commands_fetch_and_submit_as_the_learner(course):
    """Do the commands the tool prints fetch the release into the learner's own folder and submit it
    as that learner (with their own responses.json), so the instructor collects it under their id?"""
    root, exchange = course["course"], course["exchange"]
    instructor = env(exchange, TECHLEAD_RESPONSES=str(root / "instructor-responses.json"))
    proc = subprocess.run([sys.executable, "-m", "course_tools.pretend_learner", "ana", "--assignment", AID],
                          cwd=root, env=instructor, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    folder = pl.learner_dir(root.resolve(), "ana")
    assert f"Pretend learner 'ana' is ready in {folder}" in proc.stdout
    assert f"exchange {exchange.resolve()}, course 'techlead'" in proc.stdout
    steps = learner_commands(proc.stdout)
    assert sorted(steps) == ["fetch_assignment", "fetch_feedback", "list", "submit"]

    fetched = subprocess.run(steps["fetch_assignment"], cwd=root, env=instructor, capture_output=True,
                             text=True, timeout=300)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    notebook = folder / AID / f"{AID}.ipynb"
    assert notebook.is_file() and "BEGIN HIDDEN TESTS" not in notebook.read_text(encoding="utf-8")
    listed = subprocess.run(steps["list"], cwd=root, env=instructor, capture_output=True, text=True, timeout=300)
    assert f"techlead {AID}" in listed.stdout + listed.stderr

    # ana answers the widget questions in her folder: her own responses.json, not the instructor's
    record_answers({folder / AID: widget_keys(source_nb(AID))})
    assert (folder / AID / "responses.json").is_file()
    assert not (root / "instructor-responses.json").exists()
    submitted = subprocess.run(steps["submit"], cwd=root, env=instructor, capture_output=True, text=True,
                               timeout=300)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    inbound = list((exchange / "techlead" / "inbound").iterdir())
    assert [p.name.split("+")[:2] for p in inbound] == [["ana", AID]]  # submitted as ana, via the exchange
    # her cache is in her own home, not the instructor's
    assert list((folder / "home" / ".nbgrader_cache" / "techlead").glob(f"ana+{AID}+*"))

    nbgrader(root, "collect", AID, exchange=exchange)
    collected = root / "submitted" / "ana" / AID
    answers = json.loads((collected / "responses.json").read_text(encoding="utf-8"))
    assert set(widget_keys(source_nb(AID))) <= set(answers["responses"])


@pytest.mark.nbgrader
@pytest.mark.slow
def test_two_pretend_learners_keep_apart_and_env_sh_acts_as_one(course, monkeypatch):
    """Does a second learner, acting through env.sh in a shell, fetch and submit as themselves,
    with their own cache, while the first learner's work is untouched?"""
    root, exchange = course["course"], course["exchange"]
    instructor = env(exchange)
    monkeypatch.setenv("TECHLEAD_EXCHANGE", str(exchange))  # the instructor's shell, for prepare/run_as
    folder = pl.prepare(root, "ben")
    script = f"source {shlex.quote(str(folder / 'env.sh'))} && nbgrader fetch_assignment {AID} && " \
             f"echo HOME=$HOME LEARNER=$TECHLEAD_LEARNER PWD=$PWD && nbgrader submit {AID}"
    proc = subprocess.run(["bash", "-c", script], cwd=root, env=instructor, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"HOME={folder / 'home'} LEARNER=ben PWD={folder}" in proc.stdout
    assert (folder / AID / f"{AID}.ipynb").is_file()
    assert list((folder / "home" / ".nbgrader_cache" / "techlead").glob(f"ben+{AID}+*"))
    assert not list((folder / "home" / ".nbgrader_cache" / "techlead").glob("ana+*"))
    names = sorted(p.name.split("+")[0] for p in (exchange / "techlead" / "inbound").iterdir())
    assert "ben" in names
    # the run-a-command form works the same for ben
    again = pl.run_as(root, "ben", ["nbgrader", "list", "--inbound"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and f"ben {AID}" in again.stdout + again.stderr
