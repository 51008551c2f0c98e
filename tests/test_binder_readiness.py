"""Will the course work on Binder? Checked without building an image.

* repo2docker finds environment.yml and postBuild where it looks for them;
* every module the notebooks and the course packages import is in the standard library, is the
  course's own, or comes with a dependency environment.yml declares (import names are mapped to
  distributions with importlib.metadata.packages_distributions());
* the README's Binder badge opens the course index, and every lesson's navigation links to itself
  on Binder;
* postBuild is executable (in git too) and installs the course package.
"""
from __future__ import annotations

import ast
import importlib.metadata as md
import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import nbformat
import pytest
import yaml

from coursemap import binder_url, load_course

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course()
OWN_PACKAGES = {"exercises", "course_tools"}
NOTEBOOK_DIRS = ("notebooks", "source", "exercises/examples")
PACKAGE_DIRS = ("exercises", "course_tools")
NOT_PACKAGES = {"python", "pip"}   # environment.yml entries that are not Python distributions


# ------------------------------------------------------------------ where repo2docker looks
def repo2docker_config_dir() -> Path:
    """repo2docker reads only binder/ (or .binder/) when that folder exists, else the repository root."""
    for name in ("binder", ".binder"):
        if (ROOT / name).is_dir():
            return ROOT / name
    return ROOT


def test_repo2docker_finds_environment_and_postbuild():
    """environment.yml and postBuild are where repo2docker reads its configuration.

    If a top-level binder/ (or .binder/) folder exists, repo2docker ignores every configuration file
    outside it, so environment.yml and postBuild at the root would be silently skipped on Binder."""
    where = repo2docker_config_dir()
    missing = [name for name in ("environment.yml", "postBuild") if not (where / name).is_file()]
    assert not missing, (
        f"repo2docker reads its configuration only from {where.relative_to(ROOT) or '.'}/ "
        f"(a top-level {where.name}/ folder exists: {sorted(p.name for p in where.iterdir())}), "
        f"but {missing} are not there. Move them into {where.name}/, or move the other files out "
        f"of {where.name}/ so that the repository root is used."
        if where != ROOT else f"missing at the repository root: {missing}")


def environment_file() -> Path:
    where = repo2docker_config_dir()
    return where / "environment.yml" if (where / "environment.yml").exists() else ROOT / "environment.yml"


def postbuild_file() -> Path:
    where = repo2docker_config_dir()
    return where / "postBuild" if (where / "postBuild").exists() else ROOT / "postBuild"


# ------------------------------------------------------------------ imports
def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions() -> set[str]:
    """Normalised names of the packages environment.yml declares (conda and pip sections)."""
    env = yaml.safe_load(environment_file().read_text(encoding="utf-8"))
    names = set()
    for dep in env.get("dependencies", []):
        specs = dep.get("pip", []) if isinstance(dep, dict) else [dep]
        for spec in specs:
            spec = str(spec).strip()
            if spec.startswith(("-e", ".", "git+", "-r")):
                continue
            name = re.split(r"[\s=<>!~\[;]", spec.split("::")[-1], maxsplit=1)[0]
            if name and name not in NOT_PACKAGES:
                names.add(_norm(name))
    return names


@lru_cache(maxsize=None)
def requirement_closure(roots: frozenset[str]) -> frozenset[str]:
    """The declared distributions and everything they require (no extras), as installed here."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for raw in reqs:
            req = Requirement(raw)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            todo.append(_norm(req.name))
    return frozenset(seen)


class _Imports(ast.NodeVisitor):
    """Top-level module names imported, minus optional ones (inside try/except ImportError)
    and typing-only ones (under ``if TYPE_CHECKING``)."""

    def __init__(self):
        self.names: set[str] = set()
        self._optional = 0

    def visit_Try(self, node):  # noqa: N802
        catches = any(
            h.type is None or any(
                isinstance(t, ast.Name) and t.id in ("ImportError", "ModuleNotFoundError", "Exception")
                for t in (h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]))
            for h in node.handlers)
        self._optional += catches
        for stmt in node.body:
            self.visit(stmt)
        self._optional -= catches
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    visit_TryStar = visit_Try  # noqa: N815

    def visit_If(self, node):  # noqa: N802
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"):
            for part in node.orelse:
                self.visit(part)
            return
        self.generic_visit(node)

    def visit_Import(self, node):  # noqa: N802
        if not self._optional:
            self.names.update(alias.name.split(".")[0] for alias in node.names)

    def visit_ImportFrom(self, node):  # noqa: N802
        if not self._optional and node.level == 0 and node.module:
            self.names.add(node.module.split(".")[0])


def _code_of_cell(source: str) -> str:
    """Cell source with IPython magics and shell escapes commented out, so ast can parse it."""
    return "\n".join("# " + line if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def imports_by_file() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for folder in NOTEBOOK_DIRS:
        for path in sorted((ROOT / folder).rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            nb = nbformat.read(path, as_version=4)
            visitor = _Imports()
            for cell in nb.cells:
                if cell.cell_type == "code":
                    visitor.visit(ast.parse(_code_of_cell(cell.source)))
            local = {p.stem for p in path.parent.glob("*.py")}   # helper modules beside a notebook
            found[str(path.relative_to(ROOT))] = visitor.names - local
    for folder in PACKAGE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            if path.name in HUB_SIDE:  # run on the JupyterHub / by the grader, with the `hub` extra
                continue
            visitor = _Imports()
            visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
            found[str(path.relative_to(ROOT))] = visitor.names
    return found


# Modules that run only on a cohort's JupyterHub (LTI sign-on, grade passback): their imports come from
# pyproject.toml's `lti` / `hub` extras, which the Hub's environment installs; Binder never runs them.
HUB_SIDE = {"lti_hub.py", "lti_passback.py"}


def test_hub_side_imports_are_declared_in_the_hub_extras():
    """Do the Hub-side modules import only what the `lti`/`hub` extras (or the course) provide?"""
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    wanted = " ".join(extras.get("lti", []) + extras.get("hub", [])).lower()
    for name in ("pyjwt", "cryptography", "tenacity", "jupyterhub-ltiauthenticator"):
        assert name in wanted, name


def test_there_are_imports_to_check():
    files = imports_by_file()
    assert any(f.endswith(".ipynb") for f in files) and any(f.endswith(".py") for f in files)


def test_every_import_is_available_on_binder():
    """Each imported module: stdlib, the course's own, or shipped by a distribution environment.yml
    declares (directly or as one of its requirements)."""
    declared = declared_distributions()
    assert declared, "environment.yml declares no packages"
    available = requirement_closure(frozenset(declared))
    providers = {mod: {_norm(d) for d in dists} for mod, dists in md.packages_distributions().items()}
    problems, indirect = [], {}
    for file, names in imports_by_file().items():
        for name in sorted(names):
            if name in sys.stdlib_module_names or name in OWN_PACKAGES or name == "__future__":
                continue
            dists = providers.get(name)
            if not dists:
                problems.append(f"{file}: imports {name!r}, which no installed distribution provides "
                                "(so nothing in environment.yml does)")
            elif not dists & available:
                problems.append(f"{file}: imports {name!r} (from {sorted(dists)}), not declared in "
                                f"{environment_file().relative_to(ROOT)} nor required by what it declares")
            elif not dists & declared:
                indirect.setdefault(name, sorted(dists & available))
    if indirect:
        print("imports provided only through a declared package's own requirements:", indirect)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ links
def test_readme_binder_badge_opens_the_course_index():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"\[!\[Binder\]\(https://mybinder\.org/badge_logo\.svg\)\]\((?P<url>[^)\s]+)\)", text)
    assert m, "no Binder badge ([![Binder](https://mybinder.org/badge_logo.svg)](…)) in README.md"
    url = urlparse(m["url"])
    assert (url.scheme, url.netloc) == ("https", "mybinder.org")
    assert url.path.startswith(f"/v2/gh/{COURSE['repository']}/"), url.path
    assert parse_qs(url.query).get("urlpath") == ["lab/tree/notebooks/index.ipynb"], url.query
    assert (ROOT / "notebooks" / "index.ipynb").exists()
    assert m["url"] == binder_url(COURSE["repository"], "notebooks/index.ipynb")


LESSONS = [lesson for lesson in COURSE["lesson_list"] if (ROOT / "notebooks" / lesson.file).exists()]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.file.removesuffix(".ipynb"))
def test_lesson_navigation_has_a_binder_link_to_itself(lesson):
    nb = nbformat.read(ROOT / "notebooks" / lesson.file, as_version=4)
    nav = [c.source for c in nb.cells if "navigation" in c.metadata.get("tags", [])]
    assert nav, f"{lesson.file} has no generated navigation cell (run `make nav`)"
    own = binder_url(COURSE["repository"], f"notebooks/{lesson.file}")
    assert any(own in text for text in nav), f"no link to {own} in the navigation of {lesson.file}"
    links = re.findall(r"https://mybinder\.org/[^)\s]+", "\n".join(nav))
    assert all(link == own for link in links), f"navigation Binder links point elsewhere: {links}"


# ------------------------------------------------------------------ postBuild
def test_postbuild_is_executable_and_installs_the_course():
    path = postbuild_file()
    assert path.exists(), "no postBuild"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#!"), "postBuild needs a shebang line (repo2docker executes it)"
    assert os.access(path, os.X_OK), f"{path.relative_to(ROOT)} is not executable here"
    if shutil.which("git") and (ROOT / ".git").exists():
        rel = str(path.relative_to(ROOT))
        staged = subprocess.run(["git", "ls-files", "-s", "--", rel], cwd=ROOT, capture_output=True, text=True)
        if staged.returncode == 0 and staged.stdout.strip():
            assert staged.stdout.split()[0] == "100755", (
                f"{rel} is not executable in git (mode {staged.stdout.split()[0]}); "
                f"Binder clones from git: git update-index --chmod=+x {rel}")
    if shutil.which("bash") and text.startswith(("#!/bin/bash", "#!/usr/bin/env bash", "#!/bin/sh")):
        check = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    commands = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    installs = [line for line in commands if re.search(r"\bpip\s+install\b.*\s(-e\s+)?\.(\s|$)", line)]
    assert installs, "postBuild does not install the course package (pip install [-e] .)"
