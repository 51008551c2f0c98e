"""The figure of an item analysis: difficulty against discrimination, and difficulty per item."""
from __future__ import annotations

import pandas as pd

from .statistics import EASY_ABOVE, HARD_BELOW, POOR_BELOW


_MARKERS = {"auto": ("o", "0.85", ""), "widget": ("s", "0.55", "///"), "manual": ("^", "white", "...")}
_KIND_NAMES = {"auto": "autograded code", "widget": "widget question", "manual": "manually graded"}


def plot(table: pd.DataFrame, path=None, title: str | None = None):
    """Difficulty against discrimination (labelled scatter) and a bar chart of difficulty.

    Kinds differ by marker shape and bar hatching, and thresholds are drawn as labelled lines, so the
    figure reads the same in greyscale. Returns the matplotlib Figure; saves it when ``path`` is given."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from matplotlib.lines import Line2D

    data = table[table["n"] > 0].copy()
    height = max(4.8, 0.38 * len(data) + 2.4)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, height), gridspec_kw={"width_ratios": [1.15, 1]})

    # -- scatter: difficulty (x) vs discrimination (y)
    ax1.axvspan(-0.02, HARD_BELOW, color="0.93", zorder=0)
    ax1.axvspan(EASY_ABOVE, 1.02, color="0.93", zorder=0)
    ax1.axvline(HARD_BELOW, ls="--", lw=1, color="0.3")
    ax1.axvline(EASY_ABOVE, ls="--", lw=1, color="0.3")
    ax1.axhline(POOR_BELOW, ls=":", lw=1.4, color="0.2")
    ax1.axhline(0, ls="-", lw=0.8, color="0.5")
    shown = data[data["upper_lower"].notna()]
    handles = []
    for kind, (marker, face, _hatch) in _MARKERS.items():
        sub = shown[shown["kind"] == kind]
        if len(sub):
            handles.append(ax1.scatter(sub["mean_fraction"], sub["upper_lower"], marker=marker, s=70,
                                       facecolor=face, edgecolor="black", linewidth=1, label=_KIND_NAMES[kind],
                                       zorder=3))
    for i, (_, row) in enumerate(shown.iterrows()):
        left = row["mean_fraction"] > 0.75  # labels of easy items go to the left of the point
        ax1.annotate(row["item"], (row["mean_fraction"], row["upper_lower"]),
                     xytext=(-7 if left else 7, 6 if i % 2 else -12), textcoords="offset points",
                     ha="right" if left else "left", fontsize=8, zorder=4)
    ax1.set_xlim(-0.02, 1.02)
    low = min(-0.1, float(shown["upper_lower"].min()) - 0.08) if len(shown) else -0.1
    ax1.set_ylim(low, 1.08)
    ax1.set_xlabel("difficulty: mean fraction of points earned (higher = easier)")
    ax1.set_ylabel("discrimination: upper − lower 27% (D)")
    ax1.text(HARD_BELOW / 2, 1.06, "hard", ha="center", va="top", fontsize=9, style="italic")
    ax1.text((EASY_ABOVE + 1.02) / 2, 1.06, "easy", ha="center", va="top", fontsize=9, style="italic")
    hidden = list(data.loc[data["upper_lower"].isna(), "item"])
    ax1.set_title("Difficulty vs discrimination"
                  + (f"\nnot shown (no D): {', '.join(hidden)}" if hidden else ""), fontsize=10)
    handles += [Line2D([], [], ls=":", lw=1.4, color="0.2", label=f"D = {POOR_BELOW}: poor below"),
                Line2D([], [], ls="--", lw=1, color="0.3", label=f"difficulty {HARD_BELOW} / {EASY_ABOVE}")]
    ax1.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8,
               frameon=False)

    # -- bars: difficulty per item, in the table's order (top to bottom)
    labels = list(data["item"])[::-1]
    values = list(data["mean_fraction"])[::-1]
    kinds = list(data["kind"])[::-1]
    for y, (value, kind) in enumerate(zip(values, kinds)):
        _m, face, hatch = _MARKERS.get(kind, _MARKERS["auto"])
        ax2.barh(y, value, color=face, edgecolor="black", hatch=hatch, linewidth=1)
        ax2.text(value + 0.01, y, f"{value:.2f}", va="center", fontsize=8,
                 bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax2.set_yticks(range(len(labels)), labels, fontsize=8)
    ax2.axvline(HARD_BELOW, ls="--", lw=1, color="0.3")
    ax2.axvline(EASY_ABOVE, ls="--", lw=1, color="0.3")
    ax2.set_xlim(0, 1.12)
    ax2.set_xlabel("mean fraction of points earned")
    ax2.set_title(f"Difficulty per item (dashed: {HARD_BELOW} hard, {EASY_ABOVE} easy)", fontsize=10)
    present = [k for k in _MARKERS if k in set(kinds)]
    ax2.legend(handles=[Patch(facecolor=_MARKERS[k][1], edgecolor="black", hatch=_MARKERS[k][2],
                              label=_KIND_NAMES[k]) for k in present],
               loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
