"""Load, validate and look up exercise banks (``exercises/banks/*.yaml``).

A bank is a YAML file validated against ``exercises/schemas/bank.schema.json`` (with the
``jsonschema`` library) plus a few checks a schema cannot express:

* the ``bank`` name equals the file name without ``.yaml``;
* exercise ids are unique in the bank, so ``<bank>/<id>`` is unique course-wide;
* option / item / category / quality / action keys are unique where they sit side by side;
* a practice-mode choice has at least one correct option;
* a classify item's ``answer`` is one of the category keys;
* a scenario's ``start`` and every ``next`` name an existing situation.

A bad bank raises :class:`BankError` naming the file, the exercise and the problem, e.g.::

    BankError: exercises/banks/x.yaml, exercise 'check-2': options[1]: 'feedback' is a required property

Banks are looked up in the package's ``banks/`` folder, in the folders named by the
``TECHLEAD_BANKS`` environment variable (``os.pathsep``-separated) and in folders added with
:func:`add_bank_folder`. Parsed banks are cached per file and re-read when the file changes.

``yaml`` and ``jsonschema`` are imported lazily: ``import exercises`` stays fast.
"""
from __future__ import annotations

import copy
import json
import os
import threading
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BANKS_DIR = PACKAGE_DIR / "banks"
SCHEMA_PATH = PACKAGE_DIR / "schemas" / "bank.schema.json"
COURSE_PATH = PACKAGE_DIR / "course.yaml"
from .kinds import KNOWLEDGE_CHECKS, NAMES as KINDS  # noqa: E402,F401  (the one registry of kinds)

_extra_folders: list[Path] = []
_file_cache: dict[Path, tuple[tuple[int, int], dict]] = {}
_lock = threading.RLock()
_validator = None


class BankError(ValueError):
    """A bank file is malformed. The message names the file, the exercise and the problem."""

    def __init__(self, file, problems, entry=None):
        self.file = str(file)
        self.entry = entry
        self.problems = list(problems) if not isinstance(problems, str) else [problems]
        where = self.file if entry is None else f"{self.file}, exercise {entry!r}"
        lines = [f"{where}: {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    def __str__(self):  # pragma: no cover - trivial
        return self.args[0]


class UnknownExercise(KeyError):
    """No bank holds an exercise with this id."""

    def __str__(self):
        return self.args[0]


# --------------------------------------------------------------------------- folders

def add_bank_folder(folder) -> None:
    """Also look for banks in *folder* (used by tests and by authors trying a draft bank)."""
    p = Path(folder).resolve()
    with _lock:
        if p not in _extra_folders:
            _extra_folders.append(p)


def remove_bank_folder(folder) -> None:
    """Stop looking for banks in *folder* (added before with :func:`add_bank_folder`)."""
    p = Path(folder).resolve()
    with _lock:
        if p in _extra_folders:
            _extra_folders.remove(p)


def bank_folders() -> list[Path]:
    """Which folders are searched for banks, in order?"""
    folders = [BANKS_DIR]
    for part in os.environ.get("TECHLEAD_BANKS", "").split(os.pathsep):
        if part.strip():
            folders.append(Path(part.strip()).resolve())
    folders.extend(_extra_folders)
    seen, out = set(), []
    for f in folders:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out


def bank_files() -> list[Path]:
    """Every ``*.yaml`` bank file in the bank folders, sorted by folder then name."""
    files = []
    for folder in bank_folders():
        if folder.is_dir():
            files.extend(sorted(folder.glob("*.yaml")))
    return files


def display_path(path) -> str:
    """The path as a reader would type it: relative to the repository when inside it."""
    p = Path(path).resolve()
    for base in (PACKAGE_DIR.parent, Path.cwd()):
        try:
            return p.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(p)


# --------------------------------------------------------------------------- validation

def _schema_validator():
    global _validator
    if _validator is None:
        import jsonschema  # slow import (~1 s here): only when a bank is first validated

        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema)
    return _validator


def _fmt_path(parts) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def _error_message(err) -> str:
    if err.validator == "not":
        return ("a graded exercise must not carry 'correct', 'answer' or 'feedback' "
                "(the key lives only in the instructor's hidden tests)")
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        return err.message + " (check the spelling of the property names)"
    return err.message


def _schema_problems(data) -> dict:
    """Schema errors grouped by exercise index (``None`` for bank-level problems)."""
    grouped: dict = {}
    errors = sorted(_schema_validator().iter_errors(data), key=lambda e: [str(x) for x in e.absolute_path])
    for err in errors:
        parts = list(err.absolute_path)
        index = None
        if len(parts) >= 2 and parts[0] == "exercises" and isinstance(parts[1], int):
            index, parts = parts[1], parts[2:]
        where = _fmt_path(parts)
        msg = _error_message(err)
        grouped.setdefault(index, [])
        line = f"{where}: {msg}" if where else msg
        if line not in grouped[index]:
            grouped[index].append(line)
    return grouped


def _dupes(keys) -> list:
    seen, dup = set(), []
    for k in keys:
        if k in seen and k not in dup:
            dup.append(k)
        seen.add(k)
    return dup


def _semantic_problems(ex: dict) -> list[str]:
    """Checks the schema cannot express, for one exercise that passed the schema."""
    problems = []
    kind = ex.get("kind")
    graded = bool(ex.get("graded"))
    if kind in ("choice", "many-choice"):
        opts = ex["options"]
        for k in _dupes(o["key"] for o in opts):
            problems.append(f"options: key {k!r} is used twice")
        if not graded and not any(o.get("correct") for o in opts):
            problems.append("options: at least one option must have 'correct: true'")
    elif kind == "classify":
        cats = [c["key"] for c in ex["categories"]]
        for k in _dupes(cats):
            problems.append(f"categories: key {k!r} is used twice")
        for k in _dupes(i["key"] for i in ex["items"]):
            problems.append(f"items: key {k!r} is used twice")
        for n, item in enumerate(ex["items"]):
            if "answer" in item and item["answer"] not in cats:
                problems.append(f"items[{n}].answer: {item['answer']!r} is not a category key "
                                f"(one of {', '.join(cats)})")
    elif kind == "scenario":
        sits = ex["situations"]
        if ex["start"] not in sits:
            problems.append(f"start: {ex['start']!r} is not a situation (have {', '.join(sits)})")
        for name, sit in sits.items():
            for k in _dupes(a["key"] for a in sit["actions"]):
                problems.append(f"situations.{name}.actions: key {k!r} is used twice")
            for n, act in enumerate(sit["actions"]):
                if "next" in act and act["next"] not in sits:
                    problems.append(f"situations.{name}.actions[{n}].next: {act['next']!r} "
                                    f"is not a situation (have {', '.join(sits)})")
    elif kind == "self-assessment":
        for k in _dupes(q["key"] for q in ex["qualities"]):
            problems.append(f"qualities: key {k!r} is used twice")
        scale = ex.get("scale") or {}
        lo, hi = scale.get("min", 1), scale.get("max", 5)
        if lo >= hi:
            problems.append(f"scale: min ({lo}) must be below max ({hi})")
    return problems


# ----------------------------------------------------------------- validation cache
# Importing jsonschema costs about a second here (its format checkers build a grammar at import).
# A bank that passed the schema once is remembered by the SHA-256 of (schema, bank text) in a small
# per-user cache file, so a lesson's first show() need not import jsonschema again. Only passes are
# cached, and any change to the bank or the schema changes the key. Set TECHLEAD_NO_SCHEMA_CACHE=1
# to always validate.

def _cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "techlead-course" / "schema-passes.json"


def _cache_enabled() -> bool:
    return os.environ.get("TECHLEAD_NO_SCHEMA_CACHE", "").strip() not in ("1", "true", "yes")


def _cache_key(text: str) -> str:
    import hashlib

    h = hashlib.sha256(SCHEMA_PATH.read_bytes())
    h.update(b"\x00")
    h.update(text.encode("utf-8"))
    return h.hexdigest()


def _cache_has(key: str) -> bool:
    if not _cache_enabled():
        return False
    try:
        return key in json.loads(_cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def _cache_add(key: str) -> None:
    if not _cache_enabled():
        return
    f = _cache_file()
    try:
        try:
            keys = json.loads(f.read_text(encoding="utf-8"))
            keys = keys if isinstance(keys, list) else []
        except (OSError, ValueError):
            keys = []
        if key in keys:
            return
        keys = (keys + [key])[-500:]
        f.parent.mkdir(parents=True, exist_ok=True)
        from .store import write_text_atomic

        write_text_atomic(f, json.dumps(keys))
    except OSError:  # a read-only home: just validate every time
        pass


def validate_bank(data, path, *, schema_passed: bool = False) -> dict:
    """Check one parsed bank; raise :class:`BankError` (file, entry, problem) or return it.

    ``schema_passed=True`` skips the JSON Schema step (the bank text is known to pass it);
    the checks the schema cannot express always run.
    """
    shown = display_path(path)
    if not isinstance(data, dict):
        raise BankError(shown, "the file must hold a mapping with 'bank', 'title' and 'exercises'")
    grouped = {} if schema_passed else _schema_problems(data)
    exercises = data.get("exercises") if isinstance(data.get("exercises"), list) else []

    def entry_name(i):
        if i is not None and i < len(exercises) and isinstance(exercises[i], dict) and exercises[i].get("id"):
            return str(exercises[i]["id"])
        return None if i is None else f"#{i + 1}"

    if None in grouped:
        raise BankError(shown, grouped[None])
    if grouped:
        first = min(grouped)
        raise BankError(shown, grouped[first], entry=entry_name(first))
    stem = Path(path).stem
    if data["bank"] != stem:
        raise BankError(shown, f"bank: {data['bank']!r} must equal the file name {stem!r}")
    for dup in _dupes(ex["id"] for ex in exercises):
        raise BankError(shown, "id is used twice in this bank", entry=dup)
    for ex in exercises:
        problems = _semantic_problems(ex)
        if problems:
            raise BankError(shown, problems, entry=ex["id"])
    return data


def _yaml_load(text: str, shown: str):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise BankError(shown, f"not valid YAML: {exc}") from None


# ----------------------------------------------------------------- banks compiled to JSON
# Where PyYAML and jsonschema cannot be installed (the JupyterLite edition runs in Pyodide, offline),
# the build compiles each YAML file to a ``.json`` file beside it (:func:`compile_json`), after
# validating it. The JSON is used only while it was compiled from exactly the YAML text next to it
# (its SHA-256 is recorded), so an edited bank is never shadowed by a stale copy.

def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _compiled(path: Path, text: str):
    """The data compiled from *text* (the YAML at *path*), or None when there is no matching JSON."""
    try:
        doc = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        return doc["data"] if doc.get("compiled_from_sha256") == _sha256(text) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def compile_json(path) -> Path:
    """Validate a bank (or course.yaml) and write its compiled ``.json`` beside it; return that path."""
    path = Path(path).resolve()
    text = path.read_text(encoding="utf-8")
    data = _yaml_load(text, display_path(path))
    if path != COURSE_PATH.resolve() and path.name != COURSE_PATH.name:
        validate_bank(data, path)
    out = path.with_suffix(".json")
    out.write_text(json.dumps({"compiled_from_sha256": _sha256(text), "data": data}, ensure_ascii=False),
                   encoding="utf-8")
    return out


def load_bank_file(path) -> dict:
    """Parse and validate one bank file (cached until the file changes)."""
    path = Path(path).resolve()
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    with _lock:
        hit = _file_cache.get(path)
        if hit and hit[0] == stamp:
            return hit[1]
    shown = display_path(path)
    text = path.read_text(encoding="utf-8")
    data = _compiled(path, text)
    if data is not None:  # validated when it was compiled; the semantic checks still run
        validate_bank(data, path, schema_passed=True)
    else:
        data = _yaml_load(text, shown)
        key = _cache_key(text)
        validate_bank(data, path, schema_passed=_cache_has(key))
        _cache_add(key)
    bank = {"bank": data["bank"], "title": data["title"], "description": data.get("description", ""),
            "path": str(path), "exercises": {}}
    for ex in data["exercises"]:
        entry = dict(ex)
        entry["full_id"] = f"{data['bank']}/{ex['id']}"
        entry["bank"] = data["bank"]
        entry["bank_title"] = data["title"]
        bank["exercises"][ex["id"]] = entry
    with _lock:
        _file_cache[path] = (stamp, bank)
    return bank


def load_all() -> dict[str, dict]:
    """Every exercise of every bank, by full id ``<bank>/<id>`` (cached; re-read on change).

    Raises :class:`BankError` for a malformed bank or a bank name found in two folders.
    """
    result: dict[str, dict] = {}
    seen_banks: dict[str, Path] = {}
    for f in bank_files():
        bank = load_bank_file(f)
        name = bank["bank"]
        if name in seen_banks:
            raise BankError(display_path(f), f"bank {name!r} is also defined in {display_path(seen_banks[name])}; "
                                             "exercise ids must be unique course-wide")
        seen_banks[name] = f
        for ex in bank["exercises"].values():
            result[ex["full_id"]] = ex
    return result


def load_banks() -> dict[str, dict]:
    """Every bank by name: ``{"bank", "title", "description", "path", "exercises": {id: entry}}``."""
    out = {}
    load_all()  # validates all and checks duplicates
    for f in bank_files():
        bank = load_bank_file(f)
        out[bank["bank"]] = bank
    return out


def clear_cache() -> None:
    """Forget parsed banks (they are re-read on next use)."""
    with _lock:
        _file_cache.clear()


def get_exercise(exercise_id: str) -> dict:
    """The bank entry for ``"<bank>/<id>"`` (a deep copy the caller may change).

    Only the named bank is read, so a broken draft elsewhere does not stop this lesson.
    """
    if not isinstance(exercise_id, str) or exercise_id.count("/") != 1:
        raise UnknownExercise(f"Exercise ids look like 'bank/exercise-id', got {exercise_id!r}.")
    bank_name, ex_id = exercise_id.split("/")
    candidates = [f / f"{bank_name}.yaml" for f in bank_folders() if (f / f"{bank_name}.yaml").is_file()]
    if len(candidates) > 1:
        raise BankError(display_path(candidates[1]), f"bank {bank_name!r} is also defined in "
                                                     f"{display_path(candidates[0])}; ids must be unique course-wide")
    if not candidates:
        known = sorted({p.stem for p in bank_files()})
        raise UnknownExercise(f"No bank named {bank_name!r} (looked for {bank_name}.yaml in "
                              f"{', '.join(display_path(f) for f in bank_folders())}). "
                              f"Known banks: {', '.join(known) or 'none'}.")
    bank = load_bank_file(candidates[0])
    if ex_id not in bank["exercises"]:
        import difflib

        close = difflib.get_close_matches(ex_id, list(bank["exercises"]), n=3)
        hint = f" Did you mean {', '.join(repr(f'{bank_name}/{c}') for c in close)}?" if close else ""
        raise UnknownExercise(f"Bank {bank_name!r} has no exercise {ex_id!r}.{hint}")
    return copy.deepcopy(bank["exercises"][ex_id])


def load_course(path=None) -> dict:
    """The course map ``exercises/course.yaml`` (title and lessons): the one loader of it."""
    path = Path(path) if path is not None else COURSE_PATH
    text = path.read_text(encoding="utf-8")
    data = _compiled(path, text)  # JupyterLite: the build compiled it to JSON (no PyYAML there)
    return (data if data is not None else _yaml_load(text, display_path(path))) or {}


def lesson_numbers(entries) -> list[str]:
    """Lesson numbers follow the article's sections: 1, 2, 3 ... A lesson that continues the one before
    it keeps that number with a letter suffix: 9, 9b, 10 (course.yaml: ``part: b``, or an explicit
    ``number: 4b``). The one numbering rule: the navigation, progress and tests all use it."""
    import re

    numbers, current = [], 0
    for entry in entries:
        if entry.get("number"):
            numbers.append(str(entry["number"]))
            current = int(re.match(r"\d+", str(entry["number"])).group(0))
        elif entry.get("part"):
            if not numbers:
                raise ValueError("the first lesson cannot be a continuation ('part')")
            numbers.append(f"{current}{entry['part']}")
        else:
            current += 1
            numbers.append(str(current))
    return numbers
