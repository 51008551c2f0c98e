"""Bank quality: can a learner who never reads the lesson beat chance on the course's questions?

    python -m course_tools.bank_quality            # a table per bank and strategy, worst first
    python -m course_tools.bank_quality --items    # also every item where a strategy wins

A *content-blind strategy* picks an answer from the surface of the options only. If one of them wins
more often than chance, a score measures test-wiseness rather than understanding (issue 14). This
module turns every keyed question into rows (one per option) and measures each strategy's win rate
against the chance rate of the same items, per bank and over the course. It is pure: it reads banks
and keys and returns pandas tables; ``tests/test_bank_quality.py`` turns the tables into failures.

What an item is
---------------
* a ``choice`` question: its options, the key is the option(s) with ``correct: true``;
* a ``many-choice`` question: its options, the key is every option with ``correct: true``;
* every **situation of a scenario**: its actions, the key is the action(s) rated ``best``
  (``acceptable`` counts as not-the-key: the strategies hunt for the best move);
* graded questions (``graded: true``) carry no key in their bank: the key is read from the instructor's
  hidden tests in ``source/<assignment>/*.ipynb`` with :func:`course_tools.contract.notebook_keys`
  (:func:`graded_keys`); a graded question without a key found there is left out and listed by
  :func:`unkeyed`.
* ``classify`` is **exempt**: its items are sorted into shared categories rather than chosen from
  options, so length or position cues have nothing to compare, and the one content-blind move (put
  everything in one category) earns 0 under the course's informedness scoring
  (``exercises.scoring``). ``reflection`` and ``self-assessment`` have no key.

The cues, per option (``option_rows``)
--------------------------------------
``chars``      length of the text in characters;
``words``      number of words;
``position``   0-based place in the order the bank lists the options (the order a learner sees when the
               question is not shuffled, and the author's habit when it is);
``overlap``    how many distinct content words (3+ letters, not in :data:`STOPWORDS`, lower-cased, a
               trailing "s" dropped) the option shares with the question (the prompt; for a scenario
               step, the situation's text);
``hedges``     how many hedging words (:data:`HEDGES`: "often", "usually", "may", "depends", ...) it holds.

The strategies
--------------
``longest``, ``most-words``, ``most-overlap``, ``most-hedged`` pick the option with the highest cue;
``shortest`` picks the shortest (it catches banks over-corrected so that the key is never the longest);
``first`` and ``last`` pick the option at that position. Ties are shared: a strategy that cannot tell
*k* tied options apart picks each with probability 1/k, so its expected win on the item is the share of
the tied options that are right (when every option ties, that is exactly chance).

Win and chance, per item
------------------------
* single answer (``choice``, scenario step): *win* = the expected share of picks that hit the key;
  *chance* = (number of right options) / (number of options), the win rate of a blind random pick.
* ``many-choice`` ("the cue means right", option by option): a cue strategy marks as right every option
  whose cue is strictly above the item's median (``first``/``last``: the one option at that place);
  (``shortest``: strictly below); *win* = the share of marked options that are right; *chance* = the item's base rate (right options
  / options). When no option is above the median (all tie) the strategy has no signal: win = chance.

Per bank and over the course, *win_rate* and *chance* are the means over the items, and
``excess = win_rate - chance``. A strategy **fails** when ``excess > MARGIN`` (0.10, "chance + 10
points"). The course-wide row pools every item of every bank checked.

Many-choice questions should also vary how many options are right: :func:`many_choice_counts` lists,
per question, the number of right options, and :func:`many_choice_problems` names the questions with
none or all right and reports when every question of the course has the same count.
"""
from __future__ import annotations

import argparse
import re
import statistics
from pathlib import Path

import pandas as pd

from exercises import banks as _banks

MARGIN = 0.10
STRATEGIES = ("longest", "shortest", "most-words", "first", "last", "most-overlap", "most-hedged")
_CUE = {"longest": "chars", "shortest": "chars", "most-words": "words", "most-overlap": "overlap",
        "most-hedged": "hedges"}
_LOWEST = {"shortest"}

HEDGES = frozenset("""
may might could can often usually sometimes generally typically mostly mainly largely partly
likely perhaps possibly probably tend tends depend depends depending unless some most rarely
seldom somewhat fairly relatively arguably roughly ideally
""".split())

STOPWORDS = frozenset("""
the and for but not nor yet with without from into onto over under about above after before
than then that this these those there their them they what which who whom whose when where why how
all any each every both few more most other some such only own same too very can will just should
now are was were been being have has had having does did doing its it's you your yours our ours
his her hers she him one two out off via per also because while until within whether
""".split())

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
REPO = Path(__file__).resolve().parent.parent
SOURCE_DIR = REPO / "source"


# --------------------------------------------------------------------------- text cues

def words(text: str) -> list[str]:
    """The words of *text*, lower-cased."""
    return [w.lower() for w in _WORD.findall(text or "")]


def content_words(text: str) -> set[str]:
    """Distinct content words: 3+ letters, not a stop word, a plural "s" dropped."""
    out = set()
    for w in words(text):
        w = w.strip("'-")
        if len(w) < 3 or w in STOPWORDS:
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.add(w)
    return out


def hedge_count(text: str) -> int:
    """How many hedging words *text* holds (each occurrence counts)."""
    return sum(1 for w in words(text) if w in HEDGES)


# --------------------------------------------------------------------------- keys

def graded_keys(source_dir=SOURCE_DIR) -> dict[str, object]:
    """``{"<bank>/<id>": key}`` for the graded widget questions, from the instructor's notebooks.

    Read with :func:`course_tools.contract.notebook_keys` (the grading contract). Raises
    ``ImportError`` when the contract module is not there yet.
    """
    import nbformat

    from course_tools import contract  # noqa: F401  (ImportError until the contract lands)

    keys: dict[str, object] = {}
    for nb_path in sorted(Path(source_dir).glob("*/*.ipynb")):
        if ".ipynb_checkpoints" in nb_path.parts:
            continue
        nb = nbformat.read(nb_path, as_version=4)
        for call in contract.notebook_keys(nb).values():
            keys[call.exercise_id] = call.key
    return keys


def _option_key_set(entry: dict, key) -> set[str] | None:
    """The right option keys of a choice / many-choice entry (from the bank, else from *key*)."""
    if not entry.get("graded"):
        return {o["key"] for o in entry["options"] if o.get("correct")}
    if key is None:
        return None
    if isinstance(key, str):
        return {key}
    return {str(k) for k in key}


def _step_ratings(entry: dict, situation: str, actions: list[dict], key) -> dict[str, str] | None:
    if not entry.get("graded"):
        return {a["key"]: a["rating"] for a in actions}
    if not isinstance(key, dict) or situation not in key:
        return None
    return {str(k): str(v) for k, v in key[situation].items()}


# --------------------------------------------------------------------------- rows

def option_rows(bank_list, keys: dict | None = None) -> pd.DataFrame:
    """One row per option (or scenario action) of every keyed item in *bank_list*.

    *bank_list* holds banks as :func:`exercises.banks.load_bank_file` returns them; *keys* maps
    ``"<bank>/<id>"`` to the key of a graded question (see :func:`graded_keys`). Columns: ``bank``,
    ``exercise``, ``kind``, ``step`` (situation id, "" for a question), ``item`` (``bank/exercise``
    or ``bank/exercise#step``), ``graded``, ``option``, ``position``, ``n_options``, ``text``,
    ``right``, ``chars``, ``words``, ``overlap``, ``hedges``.
    """
    keys = keys or {}
    rows = []

    def add(bank, entry, kind, step, stem, opts, right_keys):
        item = f"{bank}/{entry['id']}" + (f"#{step}" if step else "")
        stem_words = content_words(stem)
        for pos, o in enumerate(opts):
            rows.append({
                "bank": bank, "exercise": entry["id"], "kind": kind, "step": step, "item": item,
                "graded": bool(entry.get("graded")), "option": o["key"], "position": pos,
                "n_options": len(opts), "text": o["text"], "right": o["key"] in right_keys,
                "chars": len(o["text"]), "words": len(words(o["text"])),
                "overlap": len(content_words(o["text"]) & stem_words), "hedges": hedge_count(o["text"]),
            })

    for bank in bank_list:
        name = bank["bank"]
        for entry in bank["exercises"].values():
            kind = entry["kind"]
            key = keys.get(f"{name}/{entry['id']}")
            if kind in ("choice", "many-choice"):
                right = _option_key_set(entry, key)
                if right is not None:
                    add(name, entry, kind, "", entry.get("prompt", ""), entry["options"], right)
            elif kind == "scenario":
                for sid, sit in entry["situations"].items():
                    ratings = _step_ratings(entry, sid, sit["actions"], key)
                    if ratings is None:
                        continue
                    right = {k for k, r in ratings.items() if r == "best"}
                    add(name, entry, "scenario", sid, sit["text"], sit["actions"], right)
    cols = ["bank", "exercise", "kind", "step", "item", "graded", "option", "position", "n_options",
            "text", "right", "chars", "words", "overlap", "hedges"]
    return pd.DataFrame(rows, columns=cols)


def unkeyed(bank_list, keys: dict | None = None) -> list[str]:
    """Graded choice / many-choice / scenario questions for which no key was found."""
    keys = keys or {}
    out = []
    for bank in bank_list:
        for entry in bank["exercises"].values():
            if entry.get("graded") and entry["kind"] in ("choice", "many-choice", "scenario"):
                if f"{bank['bank']}/{entry['id']}" not in keys:
                    out.append(f"{bank['bank']}/{entry['id']}")
    return out


# --------------------------------------------------------------------------- strategies

def _picked(group: pd.DataFrame, strategy: str, many: bool) -> pd.DataFrame:
    """The options *strategy* picks in one item (several when tied, or a many-choice upper half)."""
    if strategy == "first":
        return group[group["position"] == 0]
    if strategy == "last":
        return group[group["position"] == group["position"].max()]
    cue = group[_CUE[strategy]]
    if strategy in _LOWEST:
        cue = -cue
    if many:
        return group[cue > statistics.median(cue.tolist())]
    return group[cue == cue.max()]


def item_results(rows: pd.DataFrame) -> pd.DataFrame:
    """Per item and strategy: ``win`` (expected share of picks that are right) and ``chance``.

    Columns: ``bank``, ``item``, ``kind``, ``graded``, ``strategy``, ``win``, ``chance``, ``n_options``,
    ``n_right``.
    """
    out = []
    for item, group in rows.groupby("item", sort=False):
        n, n_right = len(group), int(group["right"].sum())
        chance = n_right / n
        many = group["kind"].iloc[0] == "many-choice"
        for strategy in STRATEGIES:
            picked = _picked(group, strategy, many)
            win = chance if picked.empty else float(picked["right"].mean())
            out.append({"bank": group["bank"].iloc[0], "item": item, "kind": group["kind"].iloc[0],
                        "graded": bool(group["graded"].iloc[0]), "strategy": strategy, "win": win,
                        "chance": chance, "n_options": n, "n_right": n_right})
    return pd.DataFrame(out, columns=["bank", "item", "kind", "graded", "strategy", "win", "chance",
                                      "n_options", "n_right"])


def summary(results: pd.DataFrame, margin: float = MARGIN) -> pd.DataFrame:
    """Per bank and strategy, plus a ``bank == "(course)"`` row per strategy over every item.

    Columns: ``bank``, ``strategy``, ``items``, ``win_rate``, ``chance``, ``excess``, ``fails``, and
    ``wins`` (the items where the strategy's pick beat the item's chance, for the failure message).
    """
    rows = []

    def one(bank, frame):
        for strategy, g in frame.groupby("strategy", sort=False):
            win, chance = float(g["win"].mean()), float(g["chance"].mean())
            rows.append({"bank": bank, "strategy": strategy, "items": len(g), "win_rate": win,
                         "chance": chance, "excess": win - chance, "fails": win - chance > margin + 1e-9,
                         "wins": sorted(g.loc[g["win"] > g["chance"] + 1e-9, "item"])})

    for bank, frame in results.groupby("bank", sort=True):
        one(bank, frame)
    if not results.empty:
        one("(course)", results)
    return pd.DataFrame(rows, columns=["bank", "strategy", "items", "win_rate", "chance", "excess",
                                       "fails", "wins"])


def failures(table: pd.DataFrame) -> pd.DataFrame:
    """The failing rows of a :func:`summary` table, worst first."""
    return table[table["fails"]].sort_values("excess", ascending=False)


def describe(row) -> str:
    """One failing summary row as a sentence naming the bank, the strategy and the items."""
    return (f"{row['bank']}: '{row['strategy']}' wins {row['win_rate']:.0%} of {row['items']} items "
            f"against chance {row['chance']:.0%} (+{row['excess'] * 100:.0f} points, limit "
            f"+{MARGIN * 100:.0f}); it beats chance on: {', '.join(row['wins'])}")


# --------------------------------------------------------------------------- many-choice counts

def many_choice_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """Per many-choice question: ``item``, ``bank``, ``n_options``, ``n_right``."""
    mc = rows[rows["kind"] == "many-choice"]
    if mc.empty:
        return pd.DataFrame(columns=["item", "bank", "n_options", "n_right"])
    g = mc.groupby("item", sort=False)
    return pd.DataFrame({"item": list(g.groups), "bank": g["bank"].first().values,
                         "n_options": g.size().values, "n_right": g["right"].sum().astype(int).values})


def many_choice_problems(rows: pd.DataFrame) -> list[str]:
    """Many-choice questions with no right option or all right, and a course with one fixed count."""
    counts = many_choice_counts(rows)
    problems = [f"{r.item}: {r.n_right} of {r.n_options} options are right (use one to all but one)"
                for r in counts.itertuples() if r.n_right < 1 or r.n_right >= r.n_options]
    if len(counts) >= 3 and counts["n_right"].nunique() == 1:
        problems.append(f"every many-choice question has exactly {counts['n_right'].iloc[0]} right options: "
                        "vary the count so that 'pick that many' is no strategy")
    return problems


# --------------------------------------------------------------------------- whole course

def course_banks() -> list[dict]:
    """Every bank file of the course, loaded and validated."""
    _banks.load_all()
    return [_banks.load_bank_file(f) for f in _banks.bank_files()]


def measure(bank_list=None, keys: dict | None = None, margin: float = MARGIN):
    """``(rows, results, table)`` for *bank_list* (default: every bank of the course)."""
    bank_list = course_banks() if bank_list is None else bank_list
    rows = option_rows(bank_list, keys)
    results = item_results(rows)
    return rows, results, summary(results, margin)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", action="store_true", help="list the items each failing strategy wins")
    parser.add_argument("--no-graded", action="store_true", help="do not read keys from source/")
    args = parser.parse_args(argv)
    keys = {}
    if not args.no_graded:
        try:
            keys = graded_keys()
        except ImportError:
            print("(course_tools.contract is not there yet: graded questions are left out)")
    rows, _results, table = measure(keys=keys)
    shown = table.copy()
    for col in ("win_rate", "chance", "excess"):
        shown[col] = (shown[col] * 100).round(0).astype(int)
    with pd.option_context("display.max_rows", None, "display.width", 160):
        print(shown.drop(columns=["wins"]).sort_values(["fails", "excess"], ascending=False).to_string(index=False))
    bad = failures(table)
    if args.items:
        for _, row in bad.iterrows():
            print("-", describe(row))
    for p in many_choice_problems(rows):
        print("-", p)
    print(f"{len(bad)} failing (bank, strategy) pairs")
    return 1 if len(bad) else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
