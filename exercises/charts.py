"""Charts and tables for self-assessment ratings and the progress dashboard, in plain Python.

Every chart is a small SVG document written here with the standard library, so it draws the same in a
local kernel, on Binder, on the course's JupyterHub and in JupyterLite (Pyodide), where matplotlib and
pandas are not available offline (and are never loaded by the kit, online or not). A bar chart is a
few rectangles and labels; a plotting library would add a download of tens of megabytes in the
browser for nothing a learner sees.

How a chart reaches the screen (:func:`img_html`): an ``<img>`` whose ``src`` is the SVG as a data URI
and whose ``alt`` text states the numbers, shown through ``ipywidgets.HTML``. The SVG itself carries a
``<title>`` and a ``<desc>`` listing every value (for anyone who saves or opens the image alone); being an
image, its ids and styles cannot clash with the notebook's. The charts do not rely on colour: bars
carry value labels, and the previous session and falls are hatched. The background is drawn (light),
so the chart reads in dark themes too. Each chart has a text twin: the change table, the progress
table.
"""
from __future__ import annotations

import base64
import html
from collections.abc import Sequence

INK = "#1a1a1a"
BACKGROUND = "#fafafa"
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif' font-size='12'"
LATEST, PREVIOUS = "#3b78c2", "#d9d9d9"
RISE, FALL, SAME = "#2e7d32", "#c62828", "#9e9e9e"
ANSWERED, SCORE = "#4c72b0", "#55a868"
# Hatching fills (defined in every chart's <defs>): diagonal lines, crosses, dots.
PATTERNS = (
    "<pattern id='hatch' patternUnits='userSpaceOnUse' width='6' height='6' patternTransform='rotate(45)'>"
    "<rect width='6' height='6' fill='{bg}'/><line x1='0' y1='0' x2='0' y2='6' stroke='#1a1a1a' "
    "stroke-width='1.4'/></pattern>"
    "<pattern id='cross' patternUnits='userSpaceOnUse' width='6' height='6'>"
    "<rect width='6' height='6' fill='{fall}'/><path d='M0 0L6 6M6 0L0 6' stroke='#1a1a1a' "
    "stroke-width='1'/></pattern>"
    "<pattern id='dots' patternUnits='userSpaceOnUse' width='4' height='4'>"
    "<rect width='4' height='4' fill='{same}'/><circle cx='2' cy='2' r='0.9' fill='#1a1a1a'/></pattern>"
)


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def text_width(text: str, size: int = 12) -> float:
    """A generous estimate of *text*'s width in pixels (no font metrics are at hand in a browser's Python)."""
    return 0.62 * size * len(str(text)) + 4


def signed(change) -> str:
    """``+2``, ``0``, ``−1`` (a real minus sign), or ``""`` for no change to show."""
    if change is None:
        return ""
    return f"+{change}" if change > 0 else ("0" if change == 0 else f"−{-change}")


def svg_document(width: float, height: float, title: str, desc: str, body: Sequence[str]) -> str:
    """A standalone SVG with a title, a description, the hatching patterns and a light background."""
    w, h = round(width), round(height)
    patterns = PATTERNS.format(bg=PREVIOUS, fall=FALL, same=SAME)
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' viewBox='0 0 {w} {h}' "
            f"role='img' aria-labelledby='title desc' {FONT}>"
            f"<title id='title'>{esc(title)}</title><desc id='desc'>{esc(desc)}</desc>"
            f"<defs>{patterns}</defs><rect width='{w}' height='{h}' fill='{BACKGROUND}'/>"
            + "".join(body) + "</svg>")


def img_html(svg: str, alt: str) -> str:
    """An ``<img>`` showing the SVG document *svg* inline (a data URI), with alt text ("" for no chart)."""
    if not svg:
        return ""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (f'<img class="techlead-chart" alt="{esc(alt)}" src="data:image/svg+xml;base64,{data}" '
            f'style="max-width:100%;height:auto">')


def _text(x, y, label, *, anchor="start", weight="normal", size=12, fill=INK) -> str:
    extra = f" font-weight='{weight}'" if weight != "normal" else ""
    extra += f" font-size='{size}'" if size != 12 else ""
    return (f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' fill='{fill}'{extra}>"
            f"{esc(label)}</text>")


def _rect(x, y, w, h, fill) -> str:
    return (f"<rect x='{x:.1f}' y='{y:.1f}' width='{max(w, 0):.1f}' height='{h:.1f}' fill='{fill}' "
            f"stroke='{INK}' stroke-width='1'/>")


# ------------------------------------------------------------------------------------------ the data
def _labels(qualities) -> dict:
    return {q["key"]: q["label"] for q in qualities}


def _session_name(n: int, session: dict) -> str:
    return f"{n}: {str(session.get('at', ''))[:16].replace('T', ' ')}"


def ratings_rows(sessions, qualities) -> list[dict]:
    """One row per quality: ``{"Quality": label, "1: 2025-01-01 10:00": rating, ...}``, a column per session."""
    rows = []
    for key, label in _labels(qualities).items():
        row = {"Quality": label}
        for n, s in enumerate(sessions, 1):
            row[_session_name(n, s)] = s["ratings"].get(key)
        rows.append(row)
    return rows


def change_rows(sessions, qualities) -> list[dict]:
    """Previous vs latest rating and the change, per quality (needs two sessions)."""
    prev, last = sessions[-2]["ratings"], sessions[-1]["ratings"]
    rows = []
    for key, label in _labels(qualities).items():
        p, l_ = prev.get(key), last.get(key)
        change = (l_ - p) if isinstance(p, int) and isinstance(l_, int) else None
        rows.append({"Quality": label, "Previous": p, "Latest": l_, "Change": change})
    return rows


def change_table_html(sessions, qualities) -> str:
    """The change table as HTML, with signed changes (+1, −2, 0); a missing rating is shown as –."""
    def cell(v):
        return "–" if v is None else esc(v)

    body = "".join(
        f"<tr><th scope='row'>{esc(r['Quality'])}</th><td>{cell(r['Previous'])}</td>"
        f"<td>{cell(r['Latest'])}</td><td>{signed(r['Change']) or '–'}</td></tr>"
        for r in change_rows(sessions, qualities))
    return ("<table class='techlead-table'><thead><tr><th scope='col'>Quality</th><th scope='col'>Previous</th>"
            f"<th scope='col'>Latest</th><th scope='col'>Change</th></tr></thead><tbody>{body}</tbody></table>")


# ------------------------------------------------------------------------------------------ the charts
def ratings_chart_svg(sessions, qualities, scale=(1, 5)) -> str:
    """Horizontal bars of the latest ratings (with the previous session beside them, if any)."""
    lo, hi = scale
    labels = _labels(qualities)
    recent = sessions[-2:]
    prev = len(recent) > 1
    latest = [recent[-1]["ratings"].get(k) for k in labels]
    before = [recent[0]["ratings"].get(k) for k in labels] if prev else []
    left = 16 + max((text_width(v) for v in labels.values()), default=40)
    plot_w, row_h, top = 360, (44 if prev else 30), 40
    width = left + plot_w + 40
    height = top + row_h * len(labels) + (70 if prev else 50)
    unit = plot_w / (hi + 0.6)

    def x(v):
        return left + unit * max(v or 0, 0)

    title = "Your self-assessment" + (" (latest vs previous)" if prev else "")
    body = [_text(width / 2, 22, title, anchor="middle", weight="bold", size=14)]
    bar_h = 16 if prev else 20
    for i, name in enumerate(labels.values()):
        y0 = top + i * row_h + 4
        body.append(_text(left - 8, y0 + (row_h - 8) / 2 + 4, name, anchor="end"))
        bars = [(latest[i], LATEST, "latest")] + ([(before[i], "url(#hatch)", "previous")] if prev else [])
        for j, (value, fill, _what) in enumerate(bars):
            y = y0 + j * (bar_h + 2)
            body.append(_rect(left, y, x(value) - left, bar_h, fill))
            body.append(_text(x(value) + 4, y + bar_h - 4, "–" if value is None else value))
    axis_y = top + row_h * len(labels) + 2
    body.append(f"<line x1='{left}' y1='{top}' x2='{left}' y2='{axis_y}' stroke='{INK}'/>")
    body.append(f"<line x1='{left}' y1='{axis_y}' x2='{left + plot_w}' y2='{axis_y}' stroke='{INK}'/>")
    for tick in range(lo, hi + 1):
        body.append(f"<line x1='{x(tick):.1f}' y1='{axis_y}' x2='{x(tick):.1f}' y2='{axis_y + 4}' stroke='{INK}'/>")
        body.append(_text(x(tick), axis_y + 16, tick, anchor="middle"))
    body.append(_text(left + plot_w / 2, axis_y + 32, f"Rating ({lo} to {hi})", anchor="middle"))
    if prev:
        ly = axis_y + 44
        body += [_rect(left, ly, 14, 12, LATEST), _text(left + 20, ly + 11, "Latest"),
                 _rect(left + 90, ly, 14, 12, "url(#hatch)"), _text(left + 110, ly + 11, "Previous (hatched)")]
    desc = "; ".join(f"{name}: latest {v if v is not None else 'not rated'}"
                     + (f", previous {before[i] if before[i] is not None else 'not rated'}" if prev else "")
                     for i, (name, v) in enumerate(zip(labels.values(), latest)))
    return svg_document(width, height, title, f"Ratings from {lo} to {hi}. {desc}.", body)


def change_chart_svg(sessions, qualities) -> str:
    """Bars of the change since the previous session, from a zero line: up is better, with signed labels."""
    rows = change_rows(sessions, qualities)
    changes = [r["Change"] or 0 for r in rows]
    left = 16 + max((text_width(r["Quality"]) for r in rows), default=40)
    plot_w, row_h, top = 360, 28, 40
    width = left + plot_w + 20
    height = top + row_h * len(rows) + 50
    lim = max(1, max((abs(c) for c in changes), default=1)) + 1
    zero = left + plot_w / 2
    unit = plot_w / (2 * lim)
    body = [_text(width / 2, 22, "What changed", anchor="middle", weight="bold", size=14)]
    for i, (row, c) in enumerate(zip(rows, changes)):
        y = top + i * row_h + 4
        body.append(_text(left - 8, y + 15, row["Quality"], anchor="end"))
        fill = RISE if c > 0 else ("url(#cross)" if c < 0 else "url(#dots)")
        x0, w = (zero, c * unit) if c >= 0 else (zero + c * unit, -c * unit)
        body.append(_rect(x0, y, max(w, 3), 20, fill))
        label = signed(row["Change"]) or "–"
        lx, anchor = (zero + c * unit + 6, "start") if c >= 0 else (zero + c * unit - 6, "end")
        body.append(_text(lx, y + 15, label, anchor=anchor))
    axis_y = top + row_h * len(rows) + 2
    body.append(f"<line x1='{zero}' y1='{top - 4}' x2='{zero}' y2='{axis_y}' stroke='{INK}' stroke-width='1.5'/>")
    body.append(f"<line x1='{left}' y1='{axis_y}' x2='{left + plot_w}' y2='{axis_y}' stroke='{INK}'/>")
    for tick in range(-lim, lim + 1):
        tx = zero + tick * unit
        body.append(f"<line x1='{tx:.1f}' y1='{axis_y}' x2='{tx:.1f}' y2='{axis_y + 4}' stroke='{INK}'/>")
        body.append(_text(tx, axis_y + 16, signed(tick), anchor="middle"))
    body.append(_text(left + plot_w / 2, axis_y + 32, "Change since your previous ratings (falls are cross-hatched)",
                      anchor="middle"))
    desc = "; ".join(f"{r['Quality']}: {signed(r['Change']) or 'no rating to compare'}" for r in rows)
    return svg_document(width, height, "What changed since your previous ratings", desc + ".", body)


def progress_chart_svg(rows: list[dict]) -> str:
    """Two panels by lesson: the share of exercises answered, and the knowledge-check score.

    *rows* are :func:`exercises.dashboard.progress_rows`; every bar carries its numbers as a label."""
    left, col_w, panel_h, top = 56, 44, 150, 40
    width = left + col_w * max(len(rows), 1) + 20
    gap = 70
    height = top + 2 * panel_h + gap + 50

    def panel(y_top, title, ylabel, values, labels, fill):
        out = [_text(left + (width - left) / 2, y_top - 12, title, anchor="middle", weight="bold", size=13)]
        base = y_top + panel_h
        out.append(f"<line x1='{left}' y1='{y_top}' x2='{left}' y2='{base}' stroke='{INK}'/>")
        out.append(f"<line x1='{left}' y1='{base}' x2='{width - 20}' y2='{base}' stroke='{INK}'/>")
        for tick in (0, 50, 100):
            ty = base - panel_h * tick / 115
            out.append(f"<line x1='{left - 4}' y1='{ty:.1f}' x2='{left}' y2='{ty:.1f}' stroke='{INK}'/>")
            out.append(_text(left - 7, ty + 4, tick, anchor="end", size=11))
        out.append(f"<text transform='translate(14 {y_top + panel_h / 2:.1f}) rotate(-90)' text-anchor='middle' "
                   f"fill='{INK}' font-size='11'>{esc(ylabel)}</text>")
        for i, (v, label) in enumerate(zip(values, labels)):
            cx = left + col_w * i + col_w / 2
            h = panel_h * (v or 0) / 115
            out.append(_rect(cx - col_w * 0.35, base - h, col_w * 0.7, h, fill))
            out.append(_text(cx, base - h - 4, label, anchor="middle", size=11))
        return out

    done = [(r["answered"] / r["exercises"] * 100) if r["exercises"] else 0 for r in rows]
    scores = [r["check_score_pct"] for r in rows]
    body = [_text(width / 2, 18, "Your progress by lesson", anchor="middle", weight="bold", size=14)]
    body += panel(top + 14, "Exercises answered per lesson", "% answered", done,
                  [f"{r['answered']}/{r['exercises']}" for r in rows], ANSWERED)
    y2 = top + 14 + panel_h + gap
    body += panel(y2, "Knowledge-check score per lesson (– = none answered yet)", "score %", scores,
                  ["–" if s is None else f"{s:.0f}%" for s in scores], SCORE)
    for i, r in enumerate(rows):
        cx = left + col_w * i + col_w / 2
        body.append(_text(cx, y2 + panel_h + 16, r["lesson"], anchor="middle", size=11))
    body.append(_text(left + (width - left) / 2, y2 + panel_h + 34, "lesson", anchor="middle"))
    desc = "; ".join(f"lesson {r['lesson']}: {r['answered']} of {r['exercises']} answered, check score "
                     + ("none yet" if r["check_score_pct"] is None else f"{r['check_score_pct']:.0f}%") for r in rows)
    return svg_document(width, height, "Your progress by lesson", desc + ".", body)
