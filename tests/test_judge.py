"""Code tests judged in the grader's process (course_tools/judge.py, judge_wire.py), against a real kernel.

The wire's encoding is checked on its own; the judge runs instructor test code here while the learner's
names live in a real IPython kernel (jupyter_client), as at autograde. What the whole pipeline does
with it (nbgrader, the sandbox, the adversarial submissions) is in test_grading_adversarial.py and
test_sandbox.py.
"""
from __future__ import annotations

import json
import math

import pytest

from course_tools import judge_wire as wire
from course_tools.judge import Judge, learner_names


# ------------------------------------------------------------------------------------ the wire
def test_plain_values_and_frames_cross_the_wire_unchanged():
    """Do plain values (tuples, sets, dicts with int keys, NaN) and DataFrames (a MultiIndex, string
    and float columns with gaps) come back equal, of the same types?"""
    import pandas as pd

    value = {"a": (1, 2.5, None), 3: [True, "x", float("nan")], "s": {1, 2}}
    back = wire.loads(wire.dumps(value))
    assert type(back) is dict and type(back["a"]) is tuple and type(back["s"]) is set
    assert back["a"] == (1, 2.5, None) and back["s"] == {1, 2} and math.isnan(back[3][2])
    frame = pd.DataFrame({"team": ["Atlas", "Beacon", None], "lead": [1.5, float("nan"), 3.0], "n": [1, 2, 3]},
                         index=pd.MultiIndex.from_tuples([("Atlas", "early"), ("Atlas", "late"), ("B", "x")],
                                                         names=["team", "half"]))
    got = wire.loads(wire.dumps(frame))
    assert type(got) is pd.DataFrame
    pd.testing.assert_frame_equal(got, frame)
    series = frame["lead"].rename("lead")
    pd.testing.assert_series_equal(wire.loads(wire.dumps(series)), series)


def test_what_is_not_plain_data_arrives_as_an_opaque_value():
    """Does a numpy number, or an object that claims to equal everything, arrive as something that
    equals nothing and is of no plain type?"""
    import numpy as np

    class Yes(dict):
        def __eq__(self, other):
            return True
        __hash__ = object.__hash__

    for value in (np.int64(3), Yes(), object()):
        got = wire.loads(wire.dumps(value))
        assert isinstance(got, wire.Opaque) and got != value and got != 3 and not isinstance(got, (int, dict))


@pytest.mark.parametrize("text", [
    '{"$eval": "1"}', '{"$tuple": [1], "extra": 2}', '{"$dict": [[1]]}', "[" * 5000 + "]" * 5000,
    '{"$df": {"columns": ["a"], "index": [0], "index_names": [null], "dtypes": ["int64"], "data": [[1, 2]]}}',
    '{"$df": {"columns": ["a"], "index": [], "index_names": [null], "dtypes": ["int64"], "data": [[1]]}}',
    '{"$series": {"name": null}}', "not json", '{"$opaque": "x"}', '{"$dict": [[[1, 2], 3]]}', '{"$set": [[1]]}',
])
def test_malformed_messages_are_refused(text):
    """Is anything not in the wire's format (unknown tags, rows of the wrong length, deep nesting,
    not JSON) refused with a WireError rather than built into an object?"""
    with pytest.raises(wire.WireError):
        wire.loads(text)


@pytest.mark.parametrize("source, names", [
    ("assert isinstance(answer, dict)\nexpected = {'a': 1}\nassert answer == expected", ["answer"]),
    ("for key, value in expected.items():\n    assert answer[key] == value", ["answer", "expected"]),
    ("f = wrap(f)\nassert f(1) == 2", ["f", "wrap"]),
    ("import math\ndef ref(x):\n    return math.sqrt(x) + offset\nassert fn(4) == ref(4)", ["fn", "offset"]),
    ("total = sum(v for v in scores.values() if v > limit)", ["limit", "scores"]),
    ("try:\n    fn(-1)\nexcept ValueError as exc:\n    assert 'negative' in str(exc)", ["fn"]),
])
def test_which_names_are_the_learners(source, names):
    """Are the names looked up in the kernel exactly those the test reads before it binds them itself
    (loop targets, imports, defs and handlers bound where the code binds them; builtins never)?"""
    assert learner_names(source) == names


# ------------------------------------------------------------------------- with a real kernel
@pytest.fixture(scope="module")
def kernel():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc, code: str) -> list:
    """Execute *code* in the kernel; its outputs as nbformat output dicts."""
    outputs = []

    def hook(msg):
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            outputs.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
        elif kind == "error":
            outputs.append({"output_type": "error", "ename": content["ename"], "evalue": content["evalue"],
                            "traceback": content["traceback"]})
        elif kind in ("execute_result", "display_data"):
            outputs.append({"output_type": kind, "data": content["data"]})

    kc.execute_interactive(code, output_hook=hook, timeout=60, store_history=False)
    return outputs


def verdict(outputs):
    errors = [o for o in outputs if o["output_type"] == "error"]
    results = [o["data"]["text/plain"] for o in outputs if o["output_type"] == "execute_result"]
    return (errors[-1]["ename"], errors[-1]["evalue"]) if errors else (results[-1] if results else "passed")


@pytest.fixture()
def judge(kernel, tmp_path):
    run(kernel, "get_ipython().input_transformers_cleanup.clear()\n"
                "for _n in [n for n in globals() if not n.startswith('_')]: del globals()[_n]")
    return Judge(lambda code: run(kernel, code), folder=str(tmp_path))


TEST = '''assert isinstance(duties, dict), "duties must be a dict"
from exercises.grading import partial_credit
expected = {"one-on-ones": "team", "broker": "technical"}
_right = sum(1 for k, v in expected.items() if type(duties.get(k)) is str and duties[k] == v)
partial_credit(_right / len(expected))'''


def test_a_value_is_judged_here_with_the_cells_result(judge, kernel):
    """Does a learner's dict reach the test as a plain copy, with the cell's partial_credit result
    (and an assertion's message when the shape is wrong)?"""
    run(kernel, 'duties = {"one-on-ones": "team", "broker": "team"}')
    assert verdict(judge.run_test(TEST, "duties-tests")) == "0.5"
    run(kernel, 'duties = ["team"]')
    assert verdict(judge.run_test(TEST, "duties-tests")) == ("AssertionError", "duties must be a dict")
    run(kernel, "del duties")
    assert verdict(judge.run_test(TEST, "duties-tests"))[0] == "NameError"


def test_a_function_runs_in_the_kernel_and_its_errors_come_back(judge, kernel):
    """Is a learner's function called in the kernel with the test's arguments (a DataFrame too), its
    result returned as data, what it prints kept, and a builtin exception it raises raised again?"""
    run(kernel, "import pandas as pd\n"
                "def busiest(df, n=1):\n"
                "    print('looking at', len(df), 'rows')\n"
                "    if n < 1: raise ValueError('n must be positive')\n"
                "    return df.sort_values('pages', ascending=False)['team'].head(n).tolist()\n")
    test = ("frame = pd.DataFrame({'team': ['A', 'B', 'C'], 'pages': [3, 9, 1]})\n"
            "assert busiest(frame, n=2) == ['B', 'A']\n"
            "try:\n    busiest(frame, n=0)\nexcept ValueError as exc:\n    assert 'positive' in str(exc)\n"
            "else:\n    raise AssertionError('n=0 must raise ValueError')")
    outputs = judge.run_test(test, "busiest-tests")
    assert verdict(outputs) == "passed", outputs
    assert "looking at 3 rows" in outputs[0]["text"]
    run(kernel, "def busiest(df, n=1):\n    return 1 / 0")
    out = judge.run_test("assert busiest(None) == ['B']", "busiest-tests")
    assert verdict(out) == ("ZeroDivisionError", "division by zero")
    assert "(raised by your function busiest)" in out[-1]["traceback"]


def test_kernel_tricks_change_values_never_verdicts(judge, kernel):
    """Do an object that equals everything, a numpy number where a plain int is asked, and an input
    transformer that rewrites what the grader sends fail the test instead of passing it?"""
    run(kernel, "class Yes(dict):\n    def __eq__(self, other): return True\n    __hash__ = object.__hash__\n"
                "duties = Yes()")
    assert verdict(judge.run_test(TEST, "duties-tests"))[0] == "AssertionError"
    run(kernel, "import numpy as np\ndef weeks(): return np.int64(11)")
    assert verdict(judge.run_test("assert type(weeks()) is int and weeks() == 11", "w"))[0] == "AssertionError"
    run(kernel, 'duties = {"one-on-ones": "team", "broker": "technical"}\n'
                "get_ipython().input_transformers_cleanup.append(\n"
                "    lambda lines: ['pass\\n'] if '__techlead' in ''.join(lines) else lines)")
    out = judge.run_test(TEST, "duties-tests")
    assert verdict(out)[0] == "KernelProblem", out


def test_names_a_test_binds_are_kept_for_later_tests(judge, kernel):
    """Can a later test cell use a helper an earlier one defined (as in one kernel), while a name the
    learner defines still comes from the learner?"""
    run(kernel, "answer = 42")
    assert verdict(judge.run_test("def _twice(x):\n    return 2 * x\nassert answer == 42", "t1")) == "passed"
    assert verdict(judge.run_test("assert _twice(answer) == 84", "t2")) == "passed"


def test_the_kernels_end_is_this_modules_source():
    """Is what the kernel runs the wire module itself (one implementation for both ends), and a
    request a single call with JSON in it?"""
    boot = wire.kernel_boot_source()
    assert "def serve(" in boot and wire.KERNEL_NAME in boot
    request = wire.kernel_request_source({"op": "describe", "names": ["x"]})
    assert request.startswith(wire.KERNEL_NAME) and json.dumps({"op": "describe", "names": ["x"]}) in eval(
        request[request.index("(") + 1:request.index(", globals()")])


def test_a_module_in_the_submission_folder_is_never_imported_by_the_grader(judge, kernel, tmp_path, monkeypatch):
    """Does a test that imports a module run with the submission's folder off sys.path, even when the
    grader's sys.path has '' in it, so a learner's own `statistics.py` there never runs in the grader?"""
    import sys

    (tmp_path / "statistics.py").write_text("raise SystemExit('learner code ran in the grader')\n")
    (tmp_path / "data.csv").write_text("a\n1\n")
    monkeypatch.setattr(sys, "path", ["", *sys.path])
    monkeypatch.delitem(sys.modules, "statistics", raising=False)
    test = "import statistics\nassert open('data.csv').read().startswith('a')\nassert statistics.mean([1, 3]) == 2"
    assert verdict(judge.run_test(test, "imports")) == "passed"
    assert "learner code" not in repr(sys.modules.get("statistics"))
