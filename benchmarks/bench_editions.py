#!/usr/bin/env python
"""How long do the learner edition, the JupyterLite site and the website take to build? (printed only)

Each is built into a temporary folder, the way `make edition`, `make lite` and `make site` build them;
downloads (Pyodide's npm tarball, the wheels, the widget manager) come from build/cache/ once fetched,
so the first run also times those downloads.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import build_learner_edition  # noqa: E402
import build_lite  # noqa: E402
import build_site  # noqa: E402


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        files = build_learner_edition.build(tmp / "edition")
        took = time.perf_counter() - t
        print(f"learner edition: {took:6.1f} s  ({len(files)} files, {size_mb(tmp / 'edition'):.1f} MB, leak scan included)")
        t = time.perf_counter()
        facts = build_lite.build(tmp / "lite")
        took = time.perf_counter() - t
        print(f"JupyterLite site: {took:6.1f} s  ({facts['files']} files, {facts['megabytes']} MB; "
              f"steps: {facts['seconds']})")
        t = time.perf_counter()
        facts = build_site.build(tmp / "site")
        took = time.perf_counter() - t
        print(f"website:         {took:6.1f} s  ({facts['pages']} pages, {facts['megabytes']} MB; "
              f"steps: {facts['seconds']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
