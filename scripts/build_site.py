#!/usr/bin/env python
"""Build the course website: every lesson as a readable page with its outputs and widgets.

    python scripts/build_site.py                     # build/site/ (open build/site/index.html)
    python scripts/build_site.py --hub-url https://hub.example.edu   # add JupyterHub (nbgitpuller) links
    python scripts/build_site.py --lite-url ../lite/  # where the JupyterLite site is published

Steps: build the learner edition (leak-scanned); execute each lesson and companion notebook with
nbclient in a throwaway folder (widget state is stored, so the page draws every widget in its initial
state); add an "open this lesson live" bar to each page (JupyterLite, Binder, and a JupyterHub through
nbgitpuller when ``--hub-url`` is given); write a root page whose table of contents follows
exercises/course.yaml; copy the widget html-manager and require.js from their npm packages into the
site; run Sphinx (MyST-NB, sphinx-book-theme; configuration in site/conf.py). Search is Sphinx's own.
The site needs nothing from outside itself to be read.
"""
from __future__ import annotations

import argparse
import html
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_learner_edition  # noqa: E402
from build_lite import CACHE, npm_tarball  # noqa: E402
from coursemap import LEARNER_BRANCH, binder_url, load_course  # noqa: E402

DEFAULT_OUT = ROOT / "build" / "site"
CONF_DIR = ROOT / "site"
NPM = {"@jupyter-widgets/html-manager": "1.0.15", "requirejs": "2.3.8"}
LAUNCH_TAG = "launch-links"
CLONE_FOLDER = "technical-leadership"  # the folder nbgitpuller clones the learner edition into


def nbgitpuller_url(hub: str, repository: str, path: str) -> str:
    query = urlencode({"repo": f"https://github.com/{repository}", "branch": LEARNER_BRANCH,
                       "urlpath": f"lab/tree/{CLONE_FOLDER}/{path}"}, quote_via=quote)
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def launch_markdown(course: dict, rel: str, lite_url: str, hub_url: str | None) -> str:
    """The bar at the top of a page: where to open this notebook live."""
    repo = course["repository"]
    links = [(f"{lite_url.rstrip('/')}/lab/index.html?path={rel}", "in your browser (JupyterLite)"),
             (binder_url(repo, rel), "on Binder")]
    if hub_url:
        links.append((nbgitpuller_url(hub_url, repo, rel), "on your course's JupyterHub"))
    anchors = " · ".join(f'<a href="{html.escape(url)}">{text}</a>' for url, text in links)
    return (f'<p class="techlead-launch"><strong>Open this lesson live</strong> to answer its exercises: '
            f"{anchors}</p>")


def execute(path: Path, responses: Path, timeout: int = 300) -> None:
    """Run a notebook in place in a fresh kernel (in its own folder), keeping its widget state."""
    import nbformat
    from nbclient import NotebookClient

    from nbclient.exceptions import CellExecutionError

    os.environ["TECHLEAD_RESPONSES"] = str(responses)
    for attempt in range(3):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute()
            break
        except CellExecutionError as exc:  # the lesson itself fails: the build must say which and why
            raise SystemExit(f"{path.name} fails when executed:\n{exc}") from None
        except Exception:  # a kernel that could not start (e.g. a port taken meanwhile): try again
            if attempt == 2:
                raise
    nbformat.write(nb, path)


def with_launch_bar(path: Path, text: str) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["tags"] = [LAUNCH_TAG]
    at = 1 if nb.cells and "navigation" in nb.cells[0].get("metadata", {}).get("tags", []) else 0
    nb.cells.insert(at, cell)
    nbformat.write(nb, path)


def root_page(course: dict) -> str:
    lessons = "\n".join(f"notebooks/{lesson.file.removesuffix('.ipynb')}" for lesson in course["lesson_list"])
    extras = "\n".join(f"notebooks/{e['file'].removesuffix('.ipynb')}" for e in course.get("extras", []))
    rows = "\n".join(f"{lesson.number}. [{lesson.title}](notebooks/{lesson.file}) ({lesson.minutes} min): "
                     f"{lesson.outcome}" for lesson in course["lesson_list"])
    return f"""# {course['title']}

An open, interactive course on technical leadership for software engineers. These pages show every
lesson with its outputs; the exercises are drawn as they first appear. To answer them, open a lesson
live: each page has links to run it in your browser (JupyterLite), on Binder, or on your course's
JupyterHub. [The course index](notebooks/index.ipynb) has the same map with your progress.

{rows}

```{{toctree}}
:caption: Start
:maxdepth: 1

notebooks/index
```

```{{toctree}}
:caption: Lessons
:maxdepth: 1

{lessons}
```

```{{toctree}}
:caption: Alongside the lessons
:maxdepth: 1

{extras}
```
"""


def widget_assets(static: Path, cache: Path = CACHE) -> None:
    """The widget html-manager (embed-amd.js and its fonts) and require.js, from npm, into static/widgets."""
    dest = static / "widgets"
    dest.mkdir(parents=True, exist_ok=True)
    for package, version in NPM.items():
        with tarfile.open(npm_tarball(package, version, cache)) as tf:
            for m in tf.getmembers():
                name = m.name.removeprefix("package/")
                if not m.isfile():
                    continue
                keep = (name == "require.js" if package == "requirejs" else
                        name.startswith("dist/") and not name.endswith((".map", "embed.js", "libembed-amd.js")))
                if keep:
                    with tf.extractfile(m) as src, open(dest / Path(name).name, "wb") as out:
                        shutil.copyfileobj(src, out)


def fonts_where_the_widget_manager_looks(widgets: Path, out: Path) -> None:
    """The html-manager loads its icon fonts from ``@jupyter-widgets/html-manager/dist/`` next to the page
    (its webpack public path), so put them there for the root page and the lesson pages."""
    for folder in (out, out / "notebooks"):
        dest = folder / "@jupyter-widgets" / "html-manager" / "dist"
        dest.mkdir(parents=True, exist_ok=True)
        for font in widgets.iterdir():
            if font.suffix in (".woff2", ".woff", ".ttf", ".eot", ".svg"):
                shutil.copy2(font, dest / font.name)


def build(out: Path = DEFAULT_OUT, *, lite_url: str = "lite/", hub_url: str | None = None,
          cache: Path = CACHE) -> dict:
    out = Path(out)
    t0 = time.perf_counter()
    course = load_course()
    work = Path(tempfile.mkdtemp(prefix="site-build-"))
    old_responses = os.environ.get("TECHLEAD_RESPONSES")
    try:
        edition = work / "edition"
        build_learner_edition.build(edition)
        src = work / "src"
        (src / "notebooks").mkdir(parents=True)
        shutil.copytree(edition / "exercises" / "data", src / "exercises" / "data")
        pages = ["index.ipynb"] + [lesson.file for lesson in course["lesson_list"]] + \
                [e["file"] for e in course.get("extras", [])]
        t_edition = time.perf_counter() - t0
        for name in pages:
            page = src / "notebooks" / name
            shutil.copy2(edition / "notebooks" / name, page)
            execute(page, work / "responses.json")
            if name != "index.ipynb":
                rel_lite = lite_url if "://" in lite_url or lite_url.startswith("/") else "../" + lite_url
                with_launch_bar(page, launch_markdown(course, f"notebooks/{name}", rel_lite, hub_url))
        for leftover in (src / "notebooks").iterdir():  # the export of lesson 12, saved answers
            if leftover.name not in pages:
                leftover.unlink() if leftover.is_file() else shutil.rmtree(leftover)
        t_execute = time.perf_counter() - t0 - t_edition
        (src / "index.md").write_text(root_page(course), encoding="utf-8")
        static = work / "static"  # added to html_static_path by site/conf.py
        widget_assets(static, cache)
        if out.exists():
            shutil.rmtree(out)
        env = dict(os.environ, TECHLEAD_REPOSITORY=course["repository"], TECHLEAD_BRANCH=LEARNER_BRANCH,
                   TECHLEAD_SITE_TITLE=course["title"], TECHLEAD_SITE_STATIC=str(static))
        env.pop("TECHLEAD_RESPONSES", None)
        proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", str(CONF_DIR),
                               str(src), str(out)], env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"sphinx-build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        fonts_where_the_widget_manager_looks(static / "widgets", out)
        (out / ".nojekyll").write_text("")
    finally:
        if old_responses is None:
            os.environ.pop("TECHLEAD_RESPONSES", None)
        else:
            os.environ["TECHLEAD_RESPONSES"] = old_responses
        shutil.rmtree(work, ignore_errors=True)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"out": str(out), "pages": len(pages), "warnings": proc.stderr.strip(),
            "megabytes": round(size / 1e6, 1),
            "seconds": {"edition": round(t_edition, 1), "execute": round(t_execute, 1),
                        "sphinx": round(time.perf_counter() - t0 - t_edition - t_execute, 1)}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--lite-url", default="lite/",
                    help="where the JupyterLite site is published, relative to the website's root or absolute")
    ap.add_argument("--hub-url", default=os.environ.get("TECHLEAD_HUB_URL") or None,
                    help="a JupyterHub to offer nbgitpuller links to (or $TECHLEAD_HUB_URL)")
    args = ap.parse_args(argv)
    facts = build(args.out, lite_url=args.lite_url, hub_url=args.hub_url)
    if facts["warnings"]:
        print(facts["warnings"])
    print(f"website: {facts['pages']} pages, {facts['megabytes']} MB in {facts['out']} "
          f"(open {facts['out']}/index.html)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
