"""Export the learner's development plan: reflections, self-assessments, scenario paths, scores.

``export_plan()`` writes ``my_development_plan.md`` (readable Markdown) and
``my_development_plan.html`` (a standalone page) in the working folder and returns a widget with
download links — useful on Binder, where storage is temporary.
"""
from __future__ import annotations

import html
import os
from datetime import datetime
from pathlib import Path

from . import scoring
from .store import ResponseStore, write_text_atomic

PLAN_NAME = "my_development_plan"
from .kinds import KNOWLEDGE_CHECKS as KNOWLEDGE_KINDS  # noqa: E402
# The course's three linked reflections, shown first in the plan as one story: where the learner started
# (lesson 1), the learning plan they made (lesson 7) and the development plan that builds on both (lesson 12).
JOURNEY = (
    ("Where I started (lesson 1)", "intro/why-you-are-here"),
    ("My 90-day learning plan (lesson 7)", "developing-skills/my-learning-plan"),
    ("My development plan (lesson 12)", "conclusion/development-plan"),
)


def _entry(exercise_id: str):
    from .banks import BankError, UnknownExercise, get_exercise

    try:
        return get_exercise(exercise_id)
    except (BankError, UnknownExercise, OSError):
        return None


def _order(ids) -> list[str]:
    """Ids in course order (lesson by lesson), the rest alphabetically."""
    try:
        from .progress import course_lessons

        ordered = [i for lesson in course_lessons() for i in lesson["ids"]]
    except Exception:  # pragma: no cover - the course map is optional here
        ordered = []
    rank = {i: n for n, i in enumerate(ordered)}
    return sorted(ids, key=lambda i: (rank.get(i, len(rank)), i))


def plan_data(records: dict) -> dict:
    """Everything the plan shows, gathered from saved records and the banks' texts."""
    reflections, assessments, scenarios, checks = [], [], [], []
    journey_ids = {ex_id for _, ex_id in JOURNEY}
    journey = []
    for label, ex_id in JOURNEY:
        rec = records.get(ex_id) or {}
        if isinstance(rec.get("answer"), str) and rec["answer"].strip():
            entry = _entry(ex_id) or {}
            journey.append({"id": ex_id, "title": label, "prompt": entry.get("prompt", ""),
                            "text": rec["answer"], "updated": rec.get("updated", "")})
    for ex_id in _order(list(records)):
        rec = records[ex_id]
        kind = rec.get("kind")
        entry = _entry(ex_id) or {}
        title = entry.get("title") or entry.get("prompt") or ex_id
        if ex_id in journey_ids:
            continue
        if kind == "reflection" and isinstance(rec.get("answer"), str) and rec["answer"].strip():
            reflections.append({"id": ex_id, "title": title, "prompt": entry.get("prompt", ""),
                                "text": rec["answer"], "updated": rec.get("updated", "")})
        elif kind == "self-assessment" and rec.get("sessions"):
            labels = {q["key"]: q["label"] for q in entry.get("qualities", [])}
            for s in rec["sessions"]:
                for k in s.get("ratings", {}):
                    labels.setdefault(k, k)
            assessments.append({"id": ex_id, "title": title, "labels": labels, "sessions": rec["sessions"],
                                "change": scoring.ratings_change(rec["sessions"])})
        elif kind == "scenario" and rec.get("path"):
            steps = []
            sits = entry.get("situations", {})
            for s in rec["path"]:
                sit = sits.get(s.get("situation"), {})
                act = next((a for a in sit.get("actions", []) if a["key"] == s.get("action")), {})
                steps.append({"situation": sit.get("text", s.get("situation", "")),
                              "action": act.get("text", s.get("action", "")),
                              "rating": s.get("rating", ""), "consequence": act.get("consequence", "")})
            scenarios.append({"id": ex_id, "title": title, "steps": steps, "ended": rec.get("ended", False),
                              "score": rec.get("score")})
        elif kind in KNOWLEDGE_KINDS:
            checks.append({"id": ex_id, "title": title, "kind": kind, "graded": bool(rec.get("graded")),
                           "score": rec.get("score"), "attempts": rec.get("attempts", 1)})
    return {"journey": journey, "reflections": reflections, "assessments": assessments, "scenarios": scenarios,
            "checks": checks, "summary": scoring.summarize_scores(records),
            "date": datetime.now().strftime("%Y-%m-%d %H:%M")}


def _pct(score) -> str:
    return "recorded" if score is None else f"{round(float(score) * 100)}%"


def _rating(r: str) -> str:
    return scoring.RATING_LABELS.get(r, r)


def _md_quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines())


def _md_cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def plan_markdown(data: dict) -> str:
    """The plan as Markdown."""
    out = ["# My development plan", "", f"*Exported {data['date']} from the Technical Leadership course.*", ""]
    out += ["## Where I started and where I am going", ""]
    if not data.get("journey"):
        out += ["*Nothing saved yet from lessons 1, 7 and 12.*", ""]
    for r in data.get("journey", []):
        out += [f"### {r['title']}", "", _md_quote(r["text"]), ""]
    out += ["## My other reflections", ""]
    if not data["reflections"]:
        out += ["*No reflections saved yet.*", ""]
    for r in data["reflections"]:
        out += [f"### {r['title']}", ""]
        if r["prompt"] and r["prompt"] != r["title"]:
            out += [f"*{r['prompt'].strip()}*", ""]
        out += [_md_quote(r["text"]), ""]
    out += ["## My self-assessments", ""]
    if not data["assessments"]:
        out += ["*No ratings saved yet.*", ""]
    for a in data["assessments"]:
        out += [f"### {a['title']}", ""]
        heads = [f"{n}: {str(s.get('at', ''))[:16].replace('T', ' ')}" for n, s in enumerate(a["sessions"], 1)]
        cols = heads + (["Change"] if a["change"] else [])
        out.append("| Quality | " + " | ".join(cols) + " |")
        out.append("|---" * (len(cols) + 1) + "|")
        for k, label in a["labels"].items():
            vals = [str(s["ratings"].get(k, "–")) for s in a["sessions"]]
            if a["change"]:
                c = a["change"].get(k)
                vals.append("–" if c is None else (f"+{c}" if c > 0 else str(c)))
            out.append(f"| {_md_cell(label)} | " + " | ".join(vals) + " |")
        out.append("")
    out += ["## My scenario paths", ""]
    if not data["scenarios"]:
        out += ["*No scenarios played yet.*", ""]
    for s in data["scenarios"]:
        out += [f"### {s['title']}", ""]
        for n, step in enumerate(s["steps"], 1):
            out.append(f"{n}. {step['action']} — {_rating(step['rating'])}")
            if step["consequence"]:
                out.append(f"   *What happened:* {step['consequence']}")
        out.append("")
    out += ["## Knowledge checks", ""]
    summ = data["summary"]
    if not data["checks"]:
        out += ["*No knowledge checks answered yet.*", ""]
    else:
        mean = "—" if summ["mean"] is None else f"{round(summ['mean'] * 100)}%"
        out += [f"Answered: {summ['answered']}; mean practice score: {mean}.", "",
                "| Exercise | Kind | Score |", "|---|---|---|"]
        out += [f"| {_md_cell(c['title'])} | {c['kind']} | {_pct(None if c['graded'] else c['score'])} |"
                for c in data["checks"]]
        out.append("")
    return "\n".join(out)


def _h(text) -> str:
    return html.escape(str(text), quote=True)


def plan_html(data: dict) -> str:
    """The plan as a standalone HTML page (readable in light and dark colour schemes)."""
    b = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
         "<meta name='viewport' content='width=device-width, initial-scale=1'>",
         "<title>My development plan</title>",
         "<style>:root{color-scheme:light dark}body{font-family:system-ui,sans-serif;max-width:46em;"
         "margin:2em auto;padding:0 1em;line-height:1.5}blockquote{border-left:3px solid currentColor;"
         "margin:0;padding-left:1em;white-space:pre-wrap}table{border-collapse:collapse}"
         "td,th{border:1px solid currentColor;padding:2px 8px;text-align:left}</style>",
         "</head><body>", "<h1>My development plan</h1>",
         f"<p><em>Exported {_h(data['date'])} from the Technical Leadership course.</em></p>",
         "<h2>Where I started and where I am going</h2>"]
    if not data.get("journey"):
        b.append("<p><em>Nothing saved yet from lessons 1, 7 and 12.</em></p>")
    for r in data.get("journey", []):
        b.append(f"<h3>{_h(r['title'])}</h3><blockquote>{_h(r['text'])}</blockquote>")
    b.append("<h2>My other reflections</h2>")
    if not data["reflections"]:
        b.append("<p><em>No reflections saved yet.</em></p>")
    for r in data["reflections"]:
        b.append(f"<h3>{_h(r['title'])}</h3>")
        if r["prompt"] and r["prompt"] != r["title"]:
            b.append(f"<p><em>{_h(r['prompt'])}</em></p>")
        b.append(f"<blockquote>{_h(r['text'])}</blockquote>")
    b.append("<h2>My self-assessments</h2>")
    if not data["assessments"]:
        b.append("<p><em>No ratings saved yet.</em></p>")
    for a in data["assessments"]:
        heads = [f"{n}: {str(s.get('at', ''))[:16].replace('T', ' ')}" for n, s in enumerate(a["sessions"], 1)]
        cols = heads + (["Change"] if a["change"] else [])
        b.append(f"<h3>{_h(a['title'])}</h3><table><tr><th>Quality</th>"
                 + "".join(f"<th>{_h(c)}</th>" for c in cols) + "</tr>")
        for k, label in a["labels"].items():
            vals = [str(s["ratings"].get(k, "–")) for s in a["sessions"]]
            if a["change"]:
                c = a["change"].get(k)
                vals.append("–" if c is None else (f"+{c}" if c > 0 else str(c)))
            b.append(f"<tr><th>{_h(label)}</th>" + "".join(f"<td>{_h(v)}</td>" for v in vals) + "</tr>")
        b.append("</table>")
    b.append("<h2>My scenario paths</h2>")
    if not data["scenarios"]:
        b.append("<p><em>No scenarios played yet.</em></p>")
    for s in data["scenarios"]:
        b.append(f"<h3>{_h(s['title'])}</h3><ol>")
        for step in s["steps"]:
            extra = f"<br><em>What happened:</em> {_h(step['consequence'])}" if step["consequence"] else ""
            b.append(f"<li>{_h(step['action'])} — {_h(_rating(step['rating']))}{extra}</li>")
        b.append("</ol>")
    b.append("<h2>Knowledge checks</h2>")
    summ = data["summary"]
    if not data["checks"]:
        b.append("<p><em>No knowledge checks answered yet.</em></p>")
    else:
        mean = "—" if summ["mean"] is None else f"{round(summ['mean'] * 100)}%"
        b.append(f"<p>Answered: {summ['answered']}; mean practice score: {_h(mean)}.</p>")
        b.append("<table><tr><th>Exercise</th><th>Kind</th><th>Score</th></tr>")
        for c in data["checks"]:
            b.append(f"<tr><td>{_h(c['title'])}</td><td>{_h(c['kind'])}</td>"
                     f"<td>{_h(_pct(None if c['graded'] else c['score']))}</td></tr>")
        b.append("</table>")
    b.append("</body></html>")
    return "\n".join(b)


def write_plan(folder=None, *, responses=None) -> tuple[Path, Path]:
    """Write the plan files into *folder* (default: the working folder); return their paths."""
    folder = Path(folder) if folder is not None else Path.cwd()
    folder.mkdir(parents=True, exist_ok=True)
    store = ResponseStore(responses)
    data = plan_data(store.load())
    md, page = folder / f"{PLAN_NAME}.md", folder / f"{PLAN_NAME}.html"
    write_text_atomic(md, plan_markdown(data))
    write_text_atomic(page, plan_html(data))
    return md, page


def _href(p: Path) -> str:
    try:
        rel = os.path.relpath(p, Path.cwd())
    except ValueError:  # pragma: no cover - other drive on Windows
        rel = str(p)
    return Path(rel).as_posix()


def export_plan(path=None, *, responses=None):
    """Write ``my_development_plan.md`` and ``.html`` (in *path*, default the working folder).

    Returns a widget with download links (display it as the cell's last expression).
    """
    import ipywidgets as widgets

    from ._ui import STYLE

    try:
        md, page = write_plan(path, responses=responses)
    except OSError as exc:
        return widgets.HTML(STYLE + f"<div role='status' class='techlead-ex'>⚠ Could not write your plan: "
                                    f"{_h(exc.strerror or exc)}</div>")
    links = (f"<a href='{_h(_href(page))}' download='{_h(page.name)}' target='_blank'>{_h(page.name)}</a> · "
             f"<a href='{_h(_href(md))}' download='{_h(md.name)}' target='_blank'>{_h(md.name)}</a>")
    out = widgets.HTML(
        STYLE + f"<div class='techlead-ex' role='status'><strong>✔ Your development plan is ready "
                f"({datetime.now().strftime('%H:%M')}).</strong><br>Download: {links}<br>"
                "<span class='techlead-muted'>Keep a copy: on Binder, files vanish when the session ends.</span></div>")
    out.files = (md, page)
    return out


def answers_file_text(saved: dict, on_screen: dict | None = None) -> str:
    """A responses file (the same format as ``responses.json``) holding *saved* records plus the
    answers on screen that are not saved yet (``{exercise_id: (kind, answer)}``, each marked
    ``"unsaved": true``): what *Download my answers* gives a learner whose answers cannot be saved.
    Put beside a lesson as ``responses.json``, it brings every answer back."""
    import json

    from .store import SCHEMA_VERSION, now_iso

    records = {k: dict(v) for k, v in (saved or {}).items() if isinstance(v, dict)}
    stamp = now_iso()
    for exercise_id, (kind, answer) in (on_screen or {}).items():
        rec = records.get(exercise_id, {})
        rec.update(kind=kind, answer=answer, updated=stamp, unsaved=True)
        rec.setdefault("first_saved", stamp)
        records[exercise_id] = rec
    data = {"schema_version": SCHEMA_VERSION, "exported": stamp, "responses": records}
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
