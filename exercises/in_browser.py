"""The course in the browser (JupyterLite, Python on Pyodide): a clear message where a lesson needs the network.

The exercise kit itself needs nothing beyond what the JupyterLite site serves (its charts are SVG written
in plain Python). A few lesson cells teach pandas and matplotlib (lesson 9b's data lab) and the pandas
assignments (a3, a5) import them: Pyodide's kernel downloads such packages from Pyodide's CDN
(cdn.jsdelivr.net) when a cell imports them, which works online. Offline, or with that host blocked, the
download fails silently and the cell stops with ``ModuleNotFoundError`` and a traceback.

:func:`explain_missing_packages` (called by every lesson's first cell, :func:`exercises.start_lesson`,
when it runs in a browser) replaces that traceback, for the packages named in :data:`FROM_PYODIDE_CDN`,
with a short notice saying what is missing, why, and what to do. The cell then counts as run, so *Run All*
carries on to the lesson's exercises, which all work offline. Other errors keep their tracebacks.
"""
from __future__ import annotations

import sys

IN_BROWSER = sys.platform == "emscripten"
# What course cells import that JupyterLite can only get from Pyodide's CDN.
FROM_PYODIDE_CDN = ("pandas", "numpy", "matplotlib")
CDN_HOST = "cdn.jsdelivr.net"


def missing_package(exc: BaseException) -> str | None:
    """The CDN package a ``ModuleNotFoundError`` is about (``"pandas"`` for ``pandas.io``), or None."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    return name if isinstance(exc, ModuleNotFoundError) and name in FROM_PYODIDE_CDN else None


def notice_text(package: str) -> str:
    return (f"⚠ This cell needs {package}, which could not be loaded. In the browser edition of the course "
            f"(JupyterLite), {package} is downloaded from Pyodide's servers ({CDN_HOST}) the first time a cell "
            f"uses it, and they could not be reached: you seem to be offline, or the address is blocked. "
            f"The exercises of this lesson work without it, and your answers are saved as usual. To run this "
            f"cell, connect to the internet and run it again (the rest of this part of the lesson needs it "
            f"too), or open the lesson in the local, Binder or JupyterHub edition of the course.")


def notice_html(package: str) -> str:
    from ._ui import STYLE, esc, warning_box

    text = notice_text(package)
    head, _, rest = text.removeprefix("⚠ ").partition(". ")
    return STYLE + warning_box(f"<strong>⚠ {esc(head)}.</strong> {esc(rest)}")


def _handler(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler: a notice for a missing CDN package, else the usual traceback."""
    package = missing_package(value)
    if package is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)  # as if no handler were set
        return None
    from IPython.display import display

    display({"text/plain": notice_text(package), "text/html": notice_html(package)}, raw=True)
    return None  # no traceback: the cell ends with the notice (IPython displays nothing a handler returns)


def explain_missing_packages(shell=None, *, force: bool = False) -> bool:
    """Show :func:`notice_text` instead of a traceback when a cell imports a package Pyodide could not fetch.

    Does nothing outside a browser (a real Python has the packages installed) unless *force*.
    *shell*: the IPython shell (the running one by default). Returns whether the handler is in place."""
    if not (IN_BROWSER or force):
        return False
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            return False
    shell.set_custom_exc((ModuleNotFoundError,), _handler)
    return True
