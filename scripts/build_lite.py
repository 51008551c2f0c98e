#!/usr/bin/env python
"""Build the JupyterLite edition: the learner edition as a static site that runs in the browser.

    python scripts/build_lite.py                 # build/lite/ (serve it with any static web server)
    python scripts/build_lite.py --out DIR

Python runs in the browser (Pyodide 314.0.6, through jupyterlite-pyodide-kernel 0.8.6), and the whole
site is served from its own folder: nothing is fetched from elsewhere to start a kernel, run a lesson
or draw a widget. What the build puts together:

* the learner edition (scripts/build_learner_edition.py, leak-scanned) as the site's files:
  ``notebooks/``, ``release/`` and ``exercises/data/``;
* Pyodide's core from the npm package ``pyodide`` in ``static/pyodide/``, with the pure-Python wheels
  the kernel boots with (micropip, packaging, IPython and its dependencies, jedi) downloaded from PyPI
  for Python 3.14, and ipywidgets, comm, jupyterlab_widgets, filelock and the course's own package;
  ``pyodide-lock.json`` is rewritten to list them with their real sha256, so a lesson's
  ``from exercises import show`` loads them from the site (``disablePyPIFallback``: never PyPI);
* the course package as a wheel holding its banks and course map compiled to JSON (validated by the
  build), because PyYAML and jsonschema have no wheels here;
* packages of Pyodide's own distribution that the site does not carry (pandas, numpy, matplotlib ...)
  stay in the lock with their full address on Pyodide's CDN: online, a cell that imports pandas (lesson
  9b's data lab) gets it from there; offline, the cell shows a notice saying what is missing and why
  (:mod:`exercises.in_browser`, put in place by each lesson's first cell) and the rest of the lesson
  still works. The course package itself never imports them: its charts are SVG (:mod:`exercises.charts`),
  so the dashboard and the self-assessment work offline.

Downloads (the npm tarball and the wheels) are kept in ``build/cache/`` (or $TECHLEAD_BUILD_CACHE), so
a second build is offline. Answers are saved by the lessons in ``notebooks/responses.json`` inside the
browser's storage (IndexedDB, through JupyterLite's contents), where they survive reloads; the file
browser downloads them (and the lesson 12 export) like any file.
"""
from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import importlib.metadata as md
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_learner_edition  # noqa: E402

PYODIDE_VERSION = "314.0.6"
PYODIDE_CDN = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
PYTHON_VERSION = "3.14"
DEFAULT_OUT = ROOT / "build" / "lite"
CACHE = Path(os.environ.get("TECHLEAD_BUILD_CACHE") or ROOT / "build" / "cache")
# Lock packages the kernel needs to start (with everything they depend on in the lock).
BOOT = ("micropip", "packaging", "ipython", "jedi")
# Not in Pyodide's distribution: served from the site, at the versions this environment runs.
EXTRA = {"comm": ["traitlets"], "ipywidgets": ["comm", "ipython", "traitlets", "widgetsnbextension",
                                             "jupyterlab-widgets"],
         "jupyterlab-widgets": [], "filelock": []}
COURSE_WHEEL = "techlead-course"
COURSE_DEPENDS = ["ipywidgets", "filelock"]
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"
SERVER_EXTENSIONS = ("@jupyter/nbgrader",)
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def log(msg: str) -> None:
    print(msg, flush=True)


# ------------------------------------------------------------------------------------------ downloads
def npm_tarball(package: str, version: str, cache: Path = CACHE) -> Path:
    """``npm pack`` a package into the cache once; the tarball's path."""
    folder = cache / "npm"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"
    path = folder / name
    if not path.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is needed once to fetch the Pyodide core (apt-get install npm)")
        subprocess.run([npm, "pack", f"{package}@{version}", "--silent", "--pack-destination", str(folder)],
                       check=True, capture_output=True)
        if not path.exists():
            raise SystemExit(f"npm pack {package}@{version} did not write {path}")
    return path


def pip_wheels(pins: dict[str, str], cache: Path = CACHE) -> dict[str, Path]:
    """Pure-Python wheels for Pyodide's Python (downloaded once); ``{normalised name: wheel}``."""
    folder = cache / f"wheels-py{PYTHON_VERSION}"
    folder.mkdir(parents=True, exist_ok=True)

    def have() -> dict[str, Path]:
        found = {}
        for whl in folder.glob("*.whl"):
            dist, version = whl.name.split("-")[:2]
            if pins.get(norm(dist)) == version:
                found[norm(dist)] = whl
        return found

    missing = [f"{n}=={v}" for n, v in pins.items() if n not in have()]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--only-binary=:all:", "--python-version", PYTHON_VERSION,
                        "--implementation", "py", "--abi", "none", "--platform", "any", "-d", str(folder),
                        *missing], check=True)
    found = have()
    lost = sorted(set(pins) - set(found))
    if lost:
        raise SystemExit(f"no pure-Python wheel for: {', '.join(lost)}")
    return found


# ------------------------------------------------------------------------------------------ the course wheel
def course_wheel(edition: Path, dest: Path) -> Path:
    """The ``exercises`` package of the edition as a wheel, its banks and course map compiled to JSON."""
    from exercises import banks

    work = Path(tempfile.mkdtemp(prefix="lite-pkg-"))
    try:
        pkg = work / "exercises"
        shutil.copytree(edition / "exercises", pkg, ignore=shutil.ignore_patterns(
            "__pycache__", "examples", "*.pyc"))
        for yml in sorted(pkg.glob("banks/*.yaml")) + [pkg / "course.yaml"]:
            banks.compile_json(yml)
        version = md.version("techlead-course") if _installed("techlead-course") else "0.1.0"
        dist = f"techlead_course-{version}"
        name = dest / f"{dist}-py3-none-any.whl"
        meta = (f"Metadata-Version: 2.1\nName: {COURSE_WHEEL}\nVersion: {version}\n"
                "Summary: The exercise kit of the technical leadership course (JupyterLite build)\n"
                + "".join(f"Requires-Dist: {d}\n" for d in COURSE_DEPENDS))
        files = {f"{dist}.dist-info/METADATA": meta.encode(),
                 f"{dist}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: build_lite\nRoot-Is-Purelib: true\n"
                                            b"Tag: py3-none-any\n",
                 f"{dist}.dist-info/top_level.txt": b"exercises\n"}
        for path in sorted(pkg.rglob("*")):
            if path.is_file():
                files[path.relative_to(work).as_posix()] = path.read_bytes()
        record = io.StringIO()
        writer = csv.writer(record, lineterminator="\n")
        for arc, data in files.items():
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            writer.writerow([arc, f"sha256={digest}", len(data)])
        writer.writerow([f"{dist}.dist-info/RECORD", "", ""])
        files[f"{dist}.dist-info/RECORD"] = record.getvalue().encode()
        with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as zf:
            for arc, data in files.items():
                zf.writestr(zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)
        return name
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _installed(dist: str) -> bool:
    try:
        md.version(dist)
        return True
    except md.PackageNotFoundError:
        return False


# ------------------------------------------------------------------------------------------ Pyodide
def unpack_pyodide(tarball: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tf:
        for member in tf.getmembers():
            if not member.isfile() or not member.name.startswith("package/"):
                continue
            rel = member.name.removeprefix("package/")
            if rel.endswith((".d.ts", ".map")) or rel.startswith("console"):
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with tf.extractfile(member) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)


def lock_closure(packages: dict, names) -> list[str]:
    by_norm = {norm(k): k for k in packages}
    todo, seen = [norm(n) for n in names], []
    while todo:
        n = todo.pop()
        if n in seen or n not in by_norm:
            continue
        seen.append(n)
        todo.extend(norm(d) for d in packages[by_norm[n]].get("depends", []))
    return sorted(seen)


def serve_wheel(pyodide_dir: Path, lock: dict, wheel: Path, *, name: str, imports: list[str],
                depends: list[str]) -> None:
    """Put *wheel* beside Pyodide and list it in the lock (name, file, sha256, imports, depends)."""
    if wheel.parent.resolve() != pyodide_dir.resolve():
        shutil.copy2(wheel, pyodide_dir / wheel.name)
    version = wheel.name.split("-")[1]
    key = next((k for k in lock["packages"] if norm(k) == norm(name)), norm(name))
    entry = lock["packages"].get(key, {})
    entry.update(name=entry.get("name", name), version=version, file_name=wheel.name, sha256=sha256(wheel),
                 install_dir="site", package_type="package", imports=imports,
                 depends=entry.get("depends", depends) if entry else depends,
                 unvendored_tests=False, shared_library=False)
    lock["packages"][key] = entry


def top_level(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        tl = next((n for n in names if n.endswith(".dist-info/top_level.txt")), None)
        if tl:
            return [x for x in zf.read(tl).decode().split() if x]
        return sorted({n.split("/")[0].removesuffix(".py") for n in names
                       if not n.split("/")[0].endswith((".dist-info", ".data"))})


def prepare_pyodide(pyodide_dir: Path, edition: Path, cache: Path = CACHE) -> dict:
    """Pyodide's core, the boot wheels, the widget stack and the course package, all in *pyodide_dir*."""
    unpack_pyodide(npm_tarball("pyodide", PYODIDE_VERSION, cache), pyodide_dir)
    lock_path = pyodide_dir / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    packages = lock["packages"]
    boot = lock_closure(packages, BOOT)
    by_norm = {norm(k): k for k in packages}
    pins = {n: packages[by_norm[n]]["version"] for n in boot}
    for name in EXTRA:
        pins[name] = md.version(name)
    wheels = pip_wheels(pins, cache)
    for n in boot:
        entry = packages[by_norm[n]]
        if not entry["file_name"].endswith("none-any.whl"):
            raise SystemExit(f"{n} is not pure Python in Pyodide's lock; it cannot be served from PyPI's wheel")
        shutil.copy2(wheels[n], pyodide_dir / wheels[n].name)
        entry["file_name"], entry["sha256"] = wheels[n].name, sha256(wheels[n])
    for name, depends in EXTRA.items():
        serve_wheel(pyodide_dir, lock, wheels[name], name=name, imports=top_level(wheels[name]), depends=depends)
    kernel_pypi = Path(sys.prefix) / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension/static/pypi"
    stub = sorted(kernel_pypi.glob("widgetsnbextension-4.*.whl"))
    if not stub:
        raise SystemExit(f"jupyterlite-pyodide-kernel's widgetsnbextension wheel is missing from {kernel_pypi}")
    serve_wheel(pyodide_dir, lock, stub[-1], name="widgetsnbextension", imports=["widgetsnbextension"],
                depends=[])
    wheel = course_wheel(edition, pyodide_dir)
    serve_wheel(pyodide_dir, lock, wheel, name=COURSE_WHEEL, imports=["exercises"], depends=COURSE_DEPENDS)
    served = {norm(k) for k in lock["packages"] if (pyodide_dir / lock["packages"][k]["file_name"]).is_file()}
    for key, entry in lock["packages"].items():
        if norm(key) not in served and "://" not in entry["file_name"]:
            entry["file_name"] = PYODIDE_CDN + entry["file_name"]
    lock_path.write_text(json.dumps(lock, indent=1, sort_keys=True), encoding="utf-8")
    return {"served": sorted(served), "from_cdn": len(lock["packages"]) - len(served)}


# ------------------------------------------------------------------------------------------ the site
def lite_config() -> dict:
    from coursemap import load_course

    course = load_course()
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": f"{course['title']} (in your browser)",
            "defaultKernelName": "python",
            "litePluginSettings": {
                KERNEL_SETTINGS: {
                    "pyodideUrl": "./static/pyodide/pyodide.mjs",
                    "disablePyPIFallback": True,
                },
            },
            "settingsOverrides": {
                "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
            },
        },
    }


def contents(edition: Path, dest: Path) -> Path:
    """What a learner sees in the file browser: lessons, assignments, data (and a README)."""
    for rel in ("notebooks", "release", "exercises/data"):
        shutil.copytree(edition / rel, dest / rel)
    (dest / "README.md").write_text(
        "# Technical Leadership, Hands On, in your browser\n\n"
        "Open `notebooks/index.ipynb` to start. Python runs in this browser tab (Pyodide); your answers are "
        "saved in the browser's storage (`notebooks/responses.json`) and survive a reload. To keep them "
        "elsewhere, right-click `notebooks/responses.json` (or the plan lesson 12 exports) and choose "
        "*Download*.\n", encoding="utf-8")
    return dest


def drop_server_extensions(out: Path) -> None:
    """Remove JupyterLab extensions that need a Jupyter server (nbgrader's): JupyterLite has none."""
    path = out / "jupyter-lite.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    data = config["jupyter-config-data"]
    keep = []
    for ext in data.get("federated_extensions", []):
        if any(ext["name"].startswith(p) for p in SERVER_EXTENSIONS):
            shutil.rmtree(out / "extensions" / ext["name"], ignore_errors=True)
        else:
            keep.append(ext)
    data["federated_extensions"] = keep
    path.write_text(json.dumps(config, indent=1), encoding="utf-8")


def build(out: Path = DEFAULT_OUT, cache: Path = CACHE) -> dict:
    """Build the site into *out* (replaced); return facts about it (files, size, seconds per step)."""
    out = Path(out)
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="lite-build-"))
    try:
        edition = work / "edition"
        build_learner_edition.build(edition)
        t_edition = time.perf_counter() - t0
        lite_dir = work / "lite"
        lite_dir.mkdir()
        (lite_dir / "jupyter-lite.json").write_text(json.dumps(lite_config(), indent=1), encoding="utf-8")
        files = contents(edition, work / "contents")
        if out.exists():
            shutil.rmtree(out)
        env = dict(os.environ)
        jupyter = Path(sys.executable).with_name("jupyter")
        cmd = [str(jupyter) if jupyter.exists() else "jupyter", "lite", "build", "--lite-dir", str(lite_dir),
               "--contents", str(files), "--output-dir", str(out)]
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"jupyter lite build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        t_lite = time.perf_counter() - t0 - t_edition
        drop_server_extensions(out)
        facts = prepare_pyodide(out / "static" / "pyodide", edition, cache)
        (out / ".nojekyll").write_text("")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    facts.update(out=str(out), files=sum(1 for p in out.rglob("*") if p.is_file()), megabytes=round(size / 1e6, 1),
                 seconds={"edition": round(t_edition, 1), "jupyter_lite_build": round(t_lite, 1),
                          "pyodide": round(time.perf_counter() - t0 - t_edition - t_lite, 1)})
    return facts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    facts = build(args.out)
    log(f"JupyterLite site: {facts['files']} files, {facts['megabytes']} MB in {facts['out']}; "
        f"{len(facts['served'])} packages served from the site, {facts['from_cdn']} left to Pyodide's CDN")
    log(f"serve it with: python -m http.server -d {facts['out']} 8000   (then open http://127.0.0.1:8000/lab/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
