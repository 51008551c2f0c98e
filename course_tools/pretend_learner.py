"""A pretend learner on the instructor's own machine, for trying the nbgrader workflow end to end.

    python -m course_tools.pretend_learner NAME                 # prepare NAME's folder, print the commands
    python -m course_tools.pretend_learner NAME -- nbgrader fetch_assignment a2-team-vs-tech
    make pretend-learner NAME=ana                               # the same as the first line

A real learner is another unix user with their own home, nbgrader settings and submission cache. A
pretend learner gets the same from a folder of their own (by default
``.grading/pretend-learners/NAME/`` in the course, git-ignored):

* ``nbgrader_config.py`` with what a learner's nbgrader needs (INSTRUCTORS.md, "Where the exchange
  is"): the course's exchange root (``$TECHLEAD_EXCHANGE`` or the course's ``.exchange/``, as the
  course's own config decides) and course id, the learner's id (``CourseDirectory.student_id``, so
  ``submit`` and ``fetch_feedback`` act as NAME without ``--student``) and their own
  ``Exchange.cache`` (a shared cache would hand every pretend learner everybody's feedback);
* ``home/``: their ``$HOME``, so nothing of the instructor's ``~/.jupyter`` or nbgrader cache is read
  or written;
* ``env.sh``: the environment to act as them in a shell (``source`` it in a new terminal).

Running a command after ``--`` runs it in that folder with that environment: ``HOME``, ``TECHLEAD_LEARNER``
(the kit's "who is learning"), the course's Python first on ``PATH``, and no ``TECHLEAD_RESPONSES`` or
``TECHLEAD_EXCHANGE`` inherited from the instructor (widget answers go to ``responses.json`` beside the
fetched notebook, the learner's own).
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_COURSE_ID = "techlead"


def course_settings(course_dir: Path) -> tuple[Path, str]:
    """(exchange root, course id) exactly as the course's nbgrader_config.py sets them."""
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    root = cfg.Exchange.root if "root" in cfg.Exchange else str(course_dir / ".exchange")
    course_id = cfg.CourseDirectory.course_id if "course_id" in cfg.CourseDirectory else DEFAULT_COURSE_ID
    return Path(root).resolve(), str(course_id)


def learner_dir(course_dir: Path, name: str) -> Path:
    return course_dir / ".grading" / "pretend-learners" / name


def learner_env(folder: Path, name: str, base: dict | None = None) -> dict:
    """The environment of a pretend learner's processes (see the module docstring)."""
    env = dict(os.environ if base is None else base)
    for inherited in ("TECHLEAD_RESPONSES", "TECHLEAD_EXCHANGE", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR",
                      "JUPYTER_RUNTIME_DIR"):
        env.pop(inherited, None)
    env["HOME"] = str(folder / "home")
    env["TECHLEAD_LEARNER"] = name
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def prepare(course_dir: Path, name: str, folder: Path | None = None) -> Path:
    """Create (or refresh) the pretend learner's folder; return it. Their fetched work is never touched."""
    if not NAME_RE.match(name):
        raise ValueError(f"{name!r} is not a usable learner id: letters, digits, '.', '_' and '-' only "
                         "(nbgrader puts it in file names in the exchange)")
    course_dir = Path(course_dir).resolve()
    if not (course_dir / "nbgrader_config.py").is_file():
        raise FileNotFoundError(f"{course_dir} has no nbgrader_config.py: give the course folder (--course-dir)")
    exchange, course_id = course_settings(course_dir)
    folder = Path(folder).resolve() if folder else learner_dir(course_dir, name)
    (folder / "home").mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(
        f'"""nbgrader settings of the pretend learner {name!r} (written by course_tools.pretend_learner)."""\n'
        "c = get_config()  # noqa: F821\n"
        "# The course's exchange and id, as every learner of the course has them.\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.CourseDirectory.course_id = {course_id!r}\n"
        "# Who this learner is (a real learner is their own unix user; here every one is the instructor).\n"
        f"c.CourseDirectory.student_id = {name!r}\n"
        "# Their own submission cache: a shared one would give every pretend learner everybody's feedback.\n"
        f"c.Exchange.cache = {str(folder / 'home' / '.nbgrader_cache')!r}\n", encoding="utf-8")
    env = learner_env(folder, name, base={})
    lines = [f"# Act as the pretend learner {name!r}: source this file in a new terminal.",
             "unset TECHLEAD_RESPONSES TECHLEAD_EXCHANGE JUPYTER_CONFIG_DIR JUPYTER_DATA_DIR JUPYTER_RUNTIME_DIR"]
    lines += [f"export {key}={shlex.quote(env[key])}" for key in ("HOME", "TECHLEAD_LEARNER")]
    lines += [f"export PATH={shlex.quote(str(Path(sys.executable).parent))}:\"$PATH\"",
              f"cd {shlex.quote(str(folder))}", ""]
    (folder / "env.sh").write_text("\n".join(lines), encoding="utf-8")
    return folder


def run_as(course_dir: Path, name: str, command: list[str], folder: Path | None = None,
           **kwargs) -> subprocess.CompletedProcess:
    """Run ``command`` as the pretend learner: in their folder, with their environment."""
    folder = prepare(course_dir, name, folder)
    return subprocess.run(command, cwd=folder, env=learner_env(folder, name), **kwargs)


def instructions(course_dir: Path, name: str, folder: Path, assignment: str) -> str:
    me = f"{shlex.quote(sys.executable)} -m course_tools.pretend_learner {name}"
    if folder != learner_dir(Path(course_dir).resolve(), name):
        me += f" --folder {shlex.quote(str(folder))}"
    exchange, course_id = course_settings(Path(course_dir).resolve())
    return "\n".join([
        f"Pretend learner {name!r} is ready in {folder}",
        f"  exchange {exchange}, course {course_id!r}, own home and submission cache in {folder / 'home'}",
        "",
        "Run each learner step from the course folder (each runs in their folder, as them):",
        f"  {me} -- nbgrader list",
        f"  {me} -- nbgrader fetch_assignment {assignment}",
        f"      then answer in {folder / assignment}/ (open the notebook in JupyterLab: widget answers",
        "      are saved in responses.json beside it, and travel with the submission)",
        f"  {me} -- nbgrader submit {assignment}",
        f"  {me} -- nbgrader fetch_feedback {assignment}",
        "",
        "Or act as them in a new terminal:",
        f"  source {shlex.quote(str(folder / 'env.sh'))}",
        f"  nbgrader fetch_assignment {assignment}   # ... submit, fetch_feedback, as above",
    ])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = []
    if "--" in argv:
        at = argv.index("--")
        argv, command = argv[:at], argv[at + 1:]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 usage="python -m course_tools.pretend_learner NAME [options] [-- COMMAND ...]")
    ap.add_argument("name", help="the learner's id (as in the gradebook), e.g. ana")
    ap.add_argument("--course-dir", type=Path, default=Path.cwd(), help="the course folder (default: here)")
    ap.add_argument("--folder", type=Path, default=None,
                    help="the learner's folder (default: .grading/pretend-learners/NAME in the course)")
    ap.add_argument("--assignment", default="a2-team-vs-tech", help="assignment named in the printed commands")
    args = ap.parse_args(argv)
    try:
        if command:
            return run_as(args.course_dir, args.name, command, args.folder).returncode
        folder = prepare(args.course_dir, args.name, args.folder)
    except (ValueError, FileNotFoundError) as exc:
        print(f"pretend_learner: {exc}", file=sys.stderr)
        return 2
    print(instructions(args.course_dir, args.name, folder, args.assignment))
    return 0


if __name__ == "__main__":
    sys.exit(main())
