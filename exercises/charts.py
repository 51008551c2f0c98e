"""Charts and tables for self-assessment ratings (pandas + matplotlib, imported lazily).

Figures are drawn with matplotlib's Agg canvas directly (``matplotlib.figure.Figure`` +
``FigureCanvasAgg``): no pyplot, no display needed, nothing shown twice in a notebook. The PNG
bytes are shown as an ``<img>`` with alt text (:func:`img_html`; ``ipywidgets.Image`` cannot carry
alt text, which screen readers need). Bars carry hatching and value labels, so the chart does not
rely on colour alone; the image background is drawn (light), so it reads in dark themes too.
"""
from __future__ import annotations

import io


def img_html(png: bytes, alt: str) -> str:
    """An ``<img>`` element holding the PNG inline, with alt text (empty string for no image)."""
    import base64
    import html

    if not png:
        return ""
    data = base64.b64encode(png).decode("ascii")
    return (f'<img class="techlead-chart" alt="{html.escape(alt, quote=True)}" '
            f'src="data:image/png;base64,{data}" style="max-width:100%">')


def _labels(qualities) -> dict:
    return {q["key"]: q["label"] for q in qualities}


def ratings_frame(sessions, qualities):
    """A DataFrame: one row per quality (label), one column per session (its time stamp)."""
    import pandas as pd

    labels = _labels(qualities)
    data = {}
    for n, s in enumerate(sessions, 1):
        col = f"{n}: {str(s.get('at', ''))[:16].replace('T', ' ')}"
        data[col] = [s["ratings"].get(k) for k in labels]
    return pd.DataFrame(data, index=pd.Index(list(labels.values()), name="Quality"))


def change_frame(sessions, qualities):
    """Previous vs latest rating and the change, per quality (needs two sessions)."""
    import pandas as pd

    labels = _labels(qualities)
    prev, last = sessions[-2]["ratings"], sessions[-1]["ratings"]
    rows = []
    for k, label in labels.items():
        p, l_ = prev.get(k), last.get(k)
        change = (l_ - p) if isinstance(p, int) and isinstance(l_, int) else None
        rows.append({"Quality": label, "Previous": p, "Latest": l_, "Change": change})
    return pd.DataFrame(rows).set_index("Quality")


def change_table_html(sessions, qualities) -> str:
    """The change table as HTML, with signed changes (+1, −2, 0)."""
    df = change_frame(sessions, qualities).astype(object)
    df["Change"] = [("" if c is None else (f"+{c}" if c > 0 else ("0" if c == 0 else f"−{-c}")))
                    for c in df["Change"]]
    return df.to_html(border=0, classes="techlead-table", na_rep="–")


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, facecolor="#fafafa")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", facecolor=fig.get_facecolor())
    return buf.getvalue()


def ratings_chart_png(sessions, qualities, scale=(1, 5)) -> bytes:
    """Horizontal bars of the latest ratings (with the previous session beside them, if any)."""
    frame = ratings_frame(sessions[-2:], qualities).fillna(0).astype(int)
    names = list(frame.index)
    prev = len(frame.columns) > 1
    fig = _figure(7, 0.55 * len(names) + 1.2)
    ax = fig.add_subplot(1, 1, 1)
    ys = list(range(len(names)))[::-1]
    h = 0.38 if prev else 0.6
    latest_vals = list(frame.iloc[:, -1])
    bars = ax.barh([y + (h / 2 if prev else 0) for y in ys], latest_vals, height=h,
                   color="#3b78c2", edgecolor="#1a1a1a", label="Latest")
    ax.bar_label(bars, labels=[str(v) for v in latest_vals], padding=3, color="#1a1a1a")
    if prev:
        prev_vals = list(frame.iloc[:, 0])
        pbars = ax.barh([y - h / 2 for y in ys], prev_vals, height=h, color="#d9d9d9",
                        edgecolor="#1a1a1a", hatch="//", label="Previous")
        ax.bar_label(pbars, labels=[str(v) for v in prev_vals], padding=3, color="#1a1a1a")
        ax.legend(loc="lower right", frameon=True)
    ax.set_yticks(ys, names)
    ax.set_xlim(0, scale[1] + 0.6)
    ax.set_xticks(range(scale[0], scale[1] + 1))
    ax.set_xlabel(f"Rating ({scale[0]} to {scale[1]})")
    ax.set_title("Your self-assessment" + (" (latest vs previous)" if prev else ""))
    ax.set_facecolor("#ffffff")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig)


def change_chart_png(sessions, qualities) -> bytes:
    """Bars of the change since the previous session: up is better, with signed labels."""
    df = change_frame(sessions, qualities)
    changes = [0 if c is None or c != c else int(c) for c in df["Change"]]
    names = list(df.index)
    fig = _figure(7, 0.5 * len(names) + 1.2)
    ax = fig.add_subplot(1, 1, 1)
    ys = list(range(len(names)))[::-1]
    colors = ["#2e7d32" if c > 0 else ("#c62828" if c < 0 else "#9e9e9e") for c in changes]
    hatches = ["" if c > 0 else ("xx" if c < 0 else "..") for c in changes]
    bars = ax.barh(ys, changes, color=colors, edgecolor="#1a1a1a")
    for bar, hatch in zip(bars, hatches):
        bar.set_hatch(hatch)
    ax.bar_label(bars, labels=[(f"+{c}" if c > 0 else str(c)) for c in changes], padding=3, color="#1a1a1a")
    ax.axvline(0, color="#1a1a1a", linewidth=1)
    lim = max(1, max((abs(c) for c in changes), default=1)) + 1
    ax.set_xlim(-lim, lim)
    ax.set_yticks(ys, names)
    ax.set_xlabel("Change since your previous ratings")
    ax.set_title("What changed")
    ax.set_facecolor("#ffffff")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig)
