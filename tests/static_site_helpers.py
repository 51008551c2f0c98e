"""Serve a built static site (JupyterLite, the course website) on the loopback, and open it in a
headless Chromium that cannot reach anything else.

* :class:`StaticSite` serves a folder on 127.0.0.1 (a free port) from a thread of the test process,
  with the MIME types a browser insists on for ES modules and WebAssembly;
* :func:`offline_context` is a Playwright browser context where every request to a host other than
  the loopback is aborted and recorded (``context.blocked``), backed by Chromium's resolver refusing
  every other host name, so neither the page nor a worker can leave the machine.
"""
from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urlparse

LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
OFFLINE_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
                      ".json": "application/json", ".whl": "application/zip", ".ipynb": "application/json",
                      ".svg": "image/svg+xml", ".webmanifest": "application/manifest+json"}

    def log_message(self, *args):  # quiet
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class StaticSite:
    """``with StaticSite(folder) as site: site.url`` — a static server on 127.0.0.1."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.requests: list[str] = []
        handler = functools.partial(_Handler, directory=str(self.root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> "StaticSite":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


def launch_offline_browser(playwright):
    """Debian's Chromium (headless) whose resolver knows only the loopback."""
    from browser_helpers import CHROMIUM_ARGS, chromium_path

    return playwright.chromium.launch(executable_path=chromium_path(), args=[*CHROMIUM_ARGS, *OFFLINE_ARGS])


def offline_context(browser, **kwargs):
    """A context that aborts (and records in ``context.blocked``) every request leaving the loopback."""
    context = browser.new_context(service_workers="allow", **kwargs)
    blocked: list[str] = []

    def guard(route):
        url = route.request.url
        host = urlparse(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", guard)
    context.blocked = blocked
    return context


def lite_notebook_page(context, site: StaticSite):
    """A :class:`browser_helpers.NotebookPage` driving a notebook in the JupyterLite site *site*."""
    from browser_helpers import NotebookPage

    class LiteNotebookPage(NotebookPage):
        def open(self, rel: str, timeout: float = 300_000) -> "LiteNotebookPage":
            """Open *rel* in JupyterLite's lab and wait for its Pyodide kernel (tens of seconds)."""
            self.rel = rel
            self.page.goto(f"{site.url}/lab/index.html?path={rel}", wait_until="domcontentloaded")
            self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=timeout)
            self.wait_idle(timeout)
            return self

        def reload(self, timeout: float = 300_000) -> "LiteNotebookPage":
            self.page.reload(wait_until="domcontentloaded")
            self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=timeout)
            self.wait_idle(timeout)
            return self

        def responses(self) -> dict:
            raise NotImplementedError("JupyterLite keeps files in the browser: read them through the page")

    page = context.new_page()
    page.set_default_timeout(120_000)
    return LiteNotebookPage(page, site)
