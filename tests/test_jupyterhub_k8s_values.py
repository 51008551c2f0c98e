"""The Zero to JupyterHub values shipped in deploy/kubernetes/ against the chart's own schema.

Helm validates the chart's defaults merged with a deployment's values against ``values.schema.yaml``
before it renders anything; no cluster is reachable here, so this test does the same merge and
validation with jsonschema, on the copy of the chart's schema and defaults kept in
``deploy/kubernetes/z2jh-schema/`` (provenance in its README).
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from course_tools.lti_hub import (grader_account_roles, load_config, pod_supplemental_gids, pod_uid)

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "kubernetes"
SCHEMA_DIR = K8S / "z2jh-schema"


def merged(defaults: dict, override: dict) -> dict:
    """Helm's merge of values: mappings merge key by key, anything else is replaced."""
    out = copy.deepcopy(defaults)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def errors(values: dict) -> list[str]:
    schema = yaml.safe_load((SCHEMA_DIR / "values.schema.yaml").read_text())
    defaults = yaml.safe_load((SCHEMA_DIR / "values.yaml").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in validator.iter_errors(merged(defaults, values))]


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((K8S / "values.yaml").read_text())


def test_schema_copy_matches_the_shared_chart_files_when_present():
    """Is the repository's copy of the chart schema the pinned one (when the shared copy is at hand)?"""
    shared = ROOT.parent / "shared" / "z2jh"
    if not shared.is_dir():
        shared = Path("/work/shared/z2jh")
    if not shared.is_dir():
        pytest.skip("no shared copy of the chart files to compare with (CI uses the repository's copy)")
    for name in ("values.schema.yaml", "values.yaml"):
        assert (SCHEMA_DIR / name).read_bytes() == (shared / name).read_bytes(), name
    assert "48ea50e34daddde55d76e30df6ecd47e4abd4d8e" in (SCHEMA_DIR / "README.md").read_text()


def test_shipped_values_validate_against_the_chart_schema(values):
    """Does deploy/kubernetes/values.yaml pass the chart's schema, merged with its defaults?"""
    assert errors(values) == []


@pytest.mark.parametrize("typo", [
    ("singleuser", "memory", "guarentee"),          # misspelt key inside a closed mapping
    ("singleuser", "storage", "homeMounthPath"),
    ("hub", "extraConfigs"),
    ("singleuser", "uid"),                           # wrong type
])
def test_a_deliberate_typo_is_caught(values, typo):
    """Is a misspelt key (or a wrong type) in the values refused by the schema, as helm would?"""
    broken = copy.deepcopy(values)
    node = broken
    for key in typo[:-1]:
        node = node[key]
    if typo == ("singleuser", "uid"):
        node["uid"] = "1000"
    elif typo[-1] == "extraConfigs":
        node["extraConfigs"] = node["extraConfig"]
    else:
        real = {"guarentee": "guarantee", "homeMounthPath": "homeMountPath"}[typo[-1]]
        node[typo[-1]] = node.pop(real)
    found = errors(broken)
    assert found, f"the schema accepted {'.'.join(typo)}"
    assert any(typo[-1] in e or "is not of type" in e or "required" in e for e in found), found


def test_extra_config_compiles_and_its_lti_config_loads(values, tmp_path):
    """Is the hub's Python extraConfig valid Python, and the LTI config it mounts a valid one?"""
    for name, code in values["hub"]["extraConfig"].items():
        compile(code, f"hub.extraConfig.{name}", "exec")
    lti = tmp_path / "lti.yaml"
    lti.write_text(values["hub"]["extraFiles"]["techlead-lti-config"]["stringData"])
    config = load_config(lti)
    assert [c["id"] for c in config["courses"]] == ["techlead-spring", "techlead-autumn"]
    # The hub's LTI settings agree with the file the course rules read.
    hub_lti = values["hub"]["config"]["LTI13Authenticator"]
    assert hub_lti["issuer"] == config["platform"]["issuer"]
    assert hub_lti["client_id"] == [config["platform"]["client_id"]]
    # Each grader account may be started and opened by its course's instructors only.
    roles = {r["name"]: r for r in grader_account_roles(config)}
    assert roles["formgrade-techlead-spring"]["groups"] == ["formgrade-techlead-spring"]
    assert all("grader-techlead-autumn" not in s for s in roles["formgrade-techlead-spring"]["scopes"])


def test_every_pod_gets_its_own_uid_and_only_its_courses_groups(values, tmp_path):
    """Do two learners never share a uid, and does each pod carry only its own courses' gids?"""
    lti = tmp_path / "lti.yaml"
    lti.write_text(values["hub"]["extraFiles"]["techlead-lti-config"]["stringData"])
    config = load_config(lti)
    uids = {pod_uid(f"learner{i}", i, config) for i in range(1, 501)}
    assert len(uids) == 500 and min(uids) > 65535 + 1 - 1 and 1000 not in uids
    assert pod_uid("grader-techlead-spring", 7, config) == 60000
    assert pod_supplemental_gids("ana", {"nbgrader-techlead-spring"}, config) == [20000]
    assert pod_supplemental_gids("bo", {"nbgrader-techlead-spring", "nbgrader-techlead-autumn"}, config) == [20000, 20001]
    assert pod_supplemental_gids("ines", {"formgrade-techlead-spring"}, config) == []
    assert pod_supplemental_gids("grader-techlead-autumn", set(), config) == [20001]


def test_no_ngshare_advice_left():
    """Is the ngshare recommendation gone (ngshare-exchange 0.5.3 cannot install with nbgrader 0.9.6)?"""
    guide = (ROOT / "deploy" / "jupyterhub" / "README.md").read_text()
    assert not re.search(r"use \[?ngshare", guide, re.I)
    assert "jupyter-core<4.11.2" in guide
