"""The wire between the grader and a learner's kernel when code answers are judged (course_tools/judge.py).

Only data crosses it, as JSON: the grader sends a request (look up some names; call a function with
these arguments), the kernel answers with plain values. This one module is both ends: the grader
imports it, and sends its *source text* to the kernel, which runs it in a private namespace
(:data:`KERNEL_BOOT`). Learner code can of course replace the kernel's end; that changes only the
values the grader receives, which is no more than a learner can do by writing an answer. It can never
send an object: :func:`decode` builds only plain values (None, bool, int, float, str, list, tuple, dict,
set) and pandas DataFrames and Series made from them, and anything else the kernel holds arrives as an
:class:`Opaque` that equals nothing. So a value that is not of a plain type (a numpy number, an object
that pretends to equal everything) fails a test exactly as it failed ``type(x) is int`` in the kernel.

The encoding: JSON scalars and lists are themselves (NaN and infinities as Python's json writes them);
everything else is a one-key object: ``{"$tuple": [...]}``, ``{"$set": [...]}``, ``{"$dict": [[k, v],
...]}`` (every dict, so keys keep their types), ``{"$df": {...}}``, ``{"$series": {...}}``,
``{"$opaque": "<type>", "repr": "..."}``. Nesting deeper than :data:`MAX_DEPTH` is refused.
"""
from __future__ import annotations

import json
import sys

MAX_DEPTH = 60
MARK = "@@techlead-judge@@ "   # starts the kernel's one line of answer (plain ASCII: no line breaks)
# dtypes a DataFrame column may be given back in (anything else stays a plain object column)
DTYPES = ("int64", "int32", "float64", "float32", "bool", "object", "str", "string", "Int64", "Float64",
          "boolean", "category")
_PLAIN = (type(None), bool, int, float, str)


class WireError(ValueError):
    """A message that is not in the wire's format (from a kernel that was changed, or a bug)."""


class Opaque:
    """A value the kernel holds that is not plain data; it equals nothing but itself."""

    __slots__ = ("type_name", "text")

    def __init__(self, type_name: str, text: str = ""):
        self.type_name, self.text = str(type_name)[:200], str(text)[:200]

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>" if self.text else f"<{self.type_name}>"


def _type_name(obj) -> str:
    t = type(obj)
    return f"{getattr(t, '__module__', '?')}.{getattr(t, '__qualname__', t.__name__)}"


def _pandas():
    return sys.modules.get("pandas")


def _scalar(value):
    """A DataFrame or Series cell as a plain value (numpy numbers as Python ones, NA as None)."""
    t = type(value)
    if t in _PLAIN:
        return value
    if getattr(t, "__module__", "") == "numpy" and hasattr(value, "item"):
        value = value.item()
        if type(value) in _PLAIN:
            return value
    pd = _pandas()
    if pd is not None and value is getattr(pd, "NA", object()):
        return None
    return {"$opaque": _type_name(value), "repr": repr(value)[:200]}


def _labels(index) -> list:
    return [encode(v) if type(v) is tuple else _scalar(v) for v in index.tolist()]


def encode(obj, depth: int = 0):
    """*obj* as JSON-ready data (see the module doc); never raises for a strange object."""
    if depth > MAX_DEPTH:
        return {"$opaque": "nested too deeply", "repr": ""}
    t = type(obj)
    if t in _PLAIN:
        return obj
    if t is list:
        return [encode(v, depth + 1) for v in obj]
    if t is tuple:
        return {"$tuple": [encode(v, depth + 1) for v in obj]}
    if t is set or t is frozenset:
        return {"$set": [encode(v, depth + 1) for v in obj]}
    if t is dict:
        return {"$dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in obj.items()]}
    pd = _pandas()
    if pd is not None and t is pd.DataFrame:
        return {"$df": {
            "columns": _labels(obj.columns), "index": _labels(obj.index),
            "index_names": [_scalar(n) for n in obj.index.names],
            "dtypes": [str(d) for d in obj.dtypes],
            "data": [[_scalar(v) for v in row] for row in obj.itertuples(index=False, name=None)],
        }}
    if pd is not None and t is pd.Series:
        return {"$series": {
            "name": _scalar(obj.name), "index": _labels(obj.index),
            "index_names": [_scalar(n) for n in obj.index.names],
            "dtype": str(obj.dtype), "data": [_scalar(v) for v in obj.tolist()],
        }}
    try:
        text = repr(obj)[:200]
    except Exception:  # noqa: BLE001 - a repr that raises is still an answer we can name
        text = ""
    return {"$opaque": _type_name(obj), "repr": text}


def _index(pd, labels: list, names: list):
    if labels and all(type(v) is tuple for v in labels):
        return pd.MultiIndex.from_tuples(labels, names=names if len(names) == len(labels[0]) else None)
    return pd.Index(labels, name=names[0] if len(names) == 1 else None, dtype=None if labels else object)


def _frame(spec: dict, depth: int):
    import pandas as pd

    need = {"columns", "index", "index_names", "dtypes", "data"}
    if type(spec) is not dict or set(spec) != need:
        raise WireError("a DataFrame needs exactly: " + ", ".join(sorted(need)))
    columns = [decode(c, depth + 1) for c in spec["columns"]]
    rows = [[decode(v, depth + 1) for v in row] for row in spec["data"]]
    if any(type(r) is not list or len(r) != len(columns) for r in rows):
        raise WireError("every DataFrame row needs one value per column")
    index = _index(pd, [decode(v, depth + 1) for v in spec["index"]], list(spec["index_names"]))
    if len(index) != len(rows):
        raise WireError("a DataFrame needs one index label per row")
    frame = pd.DataFrame(rows, columns=_index(pd, columns, [None]) if columns else None, index=index)
    if len(spec["dtypes"]) != len(columns):
        raise WireError("a DataFrame needs one dtype per column")
    for i, dtype in enumerate(spec["dtypes"]):
        if dtype in DTYPES:
            try:
                frame.isetitem(i, frame.iloc[:, i].astype(dtype))
            except (TypeError, ValueError):
                pass
    return frame


def _series(spec: dict, depth: int):
    import pandas as pd

    need = {"name", "index", "index_names", "dtype", "data"}
    if type(spec) is not dict or set(spec) != need:
        raise WireError("a Series needs exactly: " + ", ".join(sorted(need)))
    data = [decode(v, depth + 1) for v in spec["data"]]
    index = _index(pd, [decode(v, depth + 1) for v in spec["index"]], list(spec["index_names"]))
    if len(index) != len(data):
        raise WireError("a Series needs one index label per value")
    series = pd.Series(data, index=index, name=decode(spec["name"], depth + 1), dtype=object)
    if spec["dtype"] in DTYPES:
        try:
            series = series.astype(spec["dtype"])
        except (TypeError, ValueError):
            pass
    return series


def decode(data, depth: int = 0):
    """Plain values (and DataFrames) from *data*; :class:`WireError` for anything not in the format."""
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    t = type(data)
    if t in _PLAIN:
        return data
    if t is list:
        return [decode(v, depth + 1) for v in data]
    if t is not dict or len(data) not in (1, 2):
        raise WireError(f"unexpected {t.__name__}")
    tag = next(iter(data))
    body = data[tag]
    if tag == "$tuple" and type(body) is list and len(data) == 1:
        return tuple(decode(v, depth + 1) for v in body)
    try:
        if tag == "$set" and type(body) is list and len(data) == 1:
            return {decode(v, depth + 1) for v in body}
        if tag == "$dict" and type(body) is list and len(data) == 1:
            out = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("a dict entry must be a [key, value] pair")
                out[decode(pair[0], depth + 1)] = decode(pair[1], depth + 1)
            return out
    except TypeError:
        raise WireError("a set member or dict key must be hashable") from None
    if tag == "$df" and len(data) == 1:
        return _frame(body, depth)
    if tag == "$series" and len(data) == 1:
        return _series(body, depth)
    if tag == "$opaque" and set(data) == {"$opaque", "repr"}:
        return Opaque(body, data["repr"])
    raise WireError(f"unexpected tag {tag!r}")


def loads(text: str):
    """Decode one message; :class:`WireError` for bad JSON, too deep, or not in the format."""
    try:
        return decode(json.loads(text))
    except RecursionError:
        raise WireError("nested too deeply") from None
    except (TypeError, ValueError) as exc:
        if isinstance(exc, WireError):
            raise
        raise WireError(f"not JSON ({exc})") from None


def dumps(obj) -> str:
    return json.dumps(encode(obj), allow_nan=True)


# ------------------------------------------------------------------------------ the kernel's end
def _describe(ns: dict, name: str) -> dict:
    if name not in ns:
        return {"absent": True}
    value = ns[name]
    if type(value) is type(sys):   # a module
        return {"module": value.__name__}
    if callable(value):
        return {"callable": _type_name(value)}
    return {"value": encode(value)}


def serve(request_text: str, ns: dict, out=None) -> None:
    """In the kernel: answer one request (JSON) with one line ``MARK + JSON`` on stdout."""
    out = out or sys.stdout
    try:
        request = json.loads(request_text)
        if request["op"] == "describe":
            reply = {"names": {name: _describe(ns, name) for name in request["names"]}}
        elif request["op"] == "call":
            func = ns[request["name"]]
            args = decode(json.loads(request["args"]))
            kwargs = decode(json.loads(request["kwargs"]))
            try:
                result = func(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the learner's function failed: that is the answer
                import traceback

                reply = {"raised": {"type": type(exc).__name__, "message": str(exc)[:2000],
                                    "traceback": traceback.format_exception_only(type(exc), exc)[-1:]}}
            else:
                reply = {"ok": encode(result)}
        else:
            reply = {"failed": f"unknown request {request['op']!r}"}
    except Exception as exc:  # noqa: BLE001 - reported to the grader, which decides
        reply = {"failed": f"{type(exc).__name__}: {exc}"[:2000]}
    try:
        text = json.dumps(reply, allow_nan=True)
    except (TypeError, ValueError) as exc:
        text = json.dumps({"failed": f"the answer cannot be sent ({exc})"[:2000]})
    print(MARK + text, file=out, flush=True)


# What the grader sends once per test cell: this module's source, run in a namespace of its own,
# kept in the learner's namespace under one name (the kernel's end of the wire).
KERNEL_NAME = "__techlead_judge__"


def kernel_boot_source() -> str:
    from pathlib import Path

    source = Path(__file__).read_text(encoding="utf-8")
    return (f"{KERNEL_NAME} = {{'__name__': 'techlead_judge_wire'}}\n"
            f"exec(compile({source!r}, 'techlead_judge_wire', 'exec'), {KERNEL_NAME})\n")


def kernel_request_source(request: dict) -> str:
    return f"{KERNEL_NAME}['serve']({json.dumps(request)!r}, globals())\n"


__all__ = ["MARK", "Opaque", "WireError", "decode", "dumps", "encode", "kernel_boot_source",
           "kernel_request_source", "loads", "serve"]
