#!/usr/bin/env python3
"""Regenerate release/<id>/ (the student versions) from source/<id>/ with nbgrader.

    python scripts/generate_release.py               # every assignment (what `make assignments` runs)
    python scripts/generate_release.py a2-team-vs-tech
    python scripts/generate_release.py --check       # exit 1 if release/ is out of date

How: a clean copy of each source/<id>/ is staged in a temporary course next to a copy of
nbgrader_config.py, and ``nbgrader generate_assignment "*"`` runs there once. So:

* nothing is left in the repository: no gradebook.db, no .exchange/, no nbgrader log;
* an instructor's own ``responses.json`` (from trying the widgets in source/), its lock file, corrupt
  copies kept aside by the kit, checkpoints and caches never reach release/, because nbgrader copies
  *every* file of source/<id>/ into release/<id>/;
* release notebooks are written back in one canonical form (nbformat, sorted keys, trailing
  newline) so regenerating an unchanged source is a no-op in git.

release/<id>/ is then replaced as a whole, so files deleted from source/ disappear from release/.
Never edit release/ by hand.
"""
from __future__ import annotations

import argparse
import fnmatch
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Files in source/<id>/ that must never reach learners: saved widget answers (and the kit's lock
# and corrupt copies), editor/OS clutter, caches, nbgrader working files.
EXCLUDE = [
    "responses.json", "responses.json.*", "responses.corrupt-*", "*.lock",
    ".ipynb_checkpoints", "__pycache__", "*.pyc", ".*", "gradebook.db", "*.log",
]


def excluded(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in EXCLUDE)


def assignments(root: Path = ROOT) -> list[str]:
    """Assignment ids: folders source/<id>/ holding <id>.ipynb."""
    source = root / "source"
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file())


def nbgrader_command() -> list[str]:
    """The nbgrader of the running Python (the course venv), never one found on PATH first."""
    return [sys.executable, "-m", "nbgrader"]


def nbgrader_env(**extra: str) -> dict:
    """The environment for nbgrader: the venv's bin/ first on PATH (nbgrader runs `alembic` from
    PATH when it opens a gradebook, and `.venv/bin/python script.py` does not activate the venv)."""
    bindir = str(Path(sys.executable).parent)
    env = dict(os.environ, **extra)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def canonical_notebook(path: Path) -> None:
    """Rewrite a generated notebook in one stable form."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    text = nbformat.writes(nb) + "\n"
    path.write_text(text, encoding="utf-8")


def stage_course(root: Path, ids: list[str], tmp: Path) -> Path:
    """A temporary course holding nbgrader_config.py and clean copies of source/<id>/."""
    course = tmp / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy2(root / "nbgrader_config.py", course / "nbgrader_config.py")
    for aid in ids:
        shutil.copytree(root / "source" / aid, course / "source" / aid,
                        ignore=lambda _dir, names: [n for n in names if excluded(n)])
    return course


def generate(root: Path, ids: list[str], tmp: Path) -> Path:
    """Run nbgrader generate_assignment once for all staged assignments; return release/."""
    course = stage_course(root, ids, tmp)
    env = nbgrader_env(TECHLEAD_EXCHANGE=str(tmp / "exchange"))
    # One run for every staged assignment ("*" is a glob over source/): nbgrader takes seconds to
    # start, so this is much faster than one run per assignment.
    proc = subprocess.run(
        nbgrader_command() + ["generate_assignment", "*", "--force", "--log-level=WARN"],
        cwd=course, env=env, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"nbgrader generate_assignment failed (exit {proc.returncode})")
    out = course / "release"
    for path in out.rglob("*"):
        if path.is_file() and excluded(path.name):  # belt and braces: never ship these
            path.unlink()
    for nb in out.rglob("*.ipynb"):
        canonical_notebook(nb)
    missing = [aid for aid in ids if not (out / aid).is_dir()]
    if missing:
        raise SystemExit(f"nbgrader produced nothing for: {', '.join(missing)}")
    return out


def same_tree(a: Path, b: Path) -> bool:
    if not a.is_dir() or not b.is_dir():
        return False
    cmp = filecmp.dircmp(a, b)

    def walk(c) -> bool:
        if c.left_only or c.right_only or c.funny_files:
            return False
        _, mismatch, errors = filecmp.cmpfiles(c.left, c.right, c.common_files, shallow=False)
        if mismatch or errors:
            return False
        return all(walk(sub) for sub in c.subdirs.values())

    return walk(cmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="assignment ids (default: all in source/)")
    parser.add_argument("--root", type=Path, default=ROOT, help="course root (default: this repo)")
    parser.add_argument("--check", action="store_true", help="only report whether release/ is up to date")
    args = parser.parse_args(argv)

    root = args.root.resolve()
    known = assignments(root)
    ids = args.ids or known
    unknown = sorted(set(ids) - set(known))
    if unknown:
        parser.error(f"no source/<id>/<id>.ipynb for: {', '.join(unknown)}")

    stale = []
    with tempfile.TemporaryDirectory(prefix="techlead-release-") as tmpdir:
        released = generate(root, ids, Path(tmpdir))
        for aid in ids:
            generated = released / aid
            target = root / "release" / aid
            if same_tree(generated, target):
                print(f"release/{aid}: up to date")
                continue
            if args.check:
                stale.append(aid)
                print(f"release/{aid}: OUT OF DATE (run `make assignments`)")
                continue
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(generated, target)
            for path in target.rglob("*"):
                path.chmod(0o755 if path.is_dir() else 0o644)
            print(f"release/{aid}: regenerated")
        if not args.ids:
            for orphan in sorted(p for p in (root / "release").glob("*")
                                 if p.is_dir() and p.name not in known):
                print(f"release/{orphan.name}: has no source/ (left alone; delete it if it is retired)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
