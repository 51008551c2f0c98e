"""The course's LTI rules without a Hub: names, roles, courses, landing links, the LTI config file.

(The Hub test, tests/test_jupyterhub_lti.py, runs them for real; these cover the cases it does not.)
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from course_tools.lti_hub import (LTIConfigError, course_for_context, course_groups, hub_username,
                                  landing_url, load_config)
from course_tools import lti_passback

ROOT = Path(__file__).resolve().parents[1]
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"


def test_user_names_are_stable_unix_safe_and_distinct():
    """Do two people with the same e-mail name get different, valid, stable unix names?"""
    a = hub_username({"iss": "https://p", "sub": "1", "email": "Ana.Lima@uni.edu"})
    b = hub_username({"iss": "https://p", "sub": "2", "email": "ana.lima@other.edu"})
    assert a != b and a.startswith("analima-") and b.startswith("analima-")
    assert a == hub_username({"iss": "https://p", "sub": "1", "email": "Ana.Lima@uni.edu"})
    # The roster's entries (user_id, not sub) give the same name as the launch.
    assert a == hub_username({"iss": "https://p", "user_id": "1", "email": "Ana.Lima@uni.edu"})
    for claims in ({"iss": "i", "sub": "9"}, {"iss": "i", "sub": "9", "email": "007@x.org"},
                   {"iss": "i", "sub": "9", "email": "Zoë.Ünal-Ö'Brien+lti@x.org"}):
        name = hub_username(claims)
        assert re.fullmatch(r"[a-z][a-z0-9]{0,15}-[0-9a-f]{6}", name), name
    with pytest.raises(ValueError, match="no user id"):
        hub_username({"iss": "i", "email": "x@y"})


def test_roles_map_to_nbgrader_groups():
    """Instructor/TA → formgrade-<course>, Learner → nbgrader-<course>, institution roles ignored?"""
    def claims(*roles):
        return {ROLES: list(roles)}
    assert course_groups("c1", claims(ROLE + "Instructor")) == {"formgrade-c1"}
    assert course_groups("c1", claims(ROLE + "TeachingAssistant")) == {"formgrade-c1"}
    assert course_groups("c1", claims("Learner")) == {"nbgrader-c1"}
    assert course_groups("c1", claims(ROLE + "Learner", ROLE + "Instructor")) == {"formgrade-c1", "nbgrader-c1"}
    assert course_groups("c1", claims("http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor")) == set()
    assert course_groups("c1", claims(ROLE + "Mentor")) == set()


def test_the_context_decides_the_course_and_the_landing_link(tmp_path):
    """Does the platform's context pick the course, and does its link pull the learner edition?"""
    config = load_config(ROOT / "deploy" / "jupyterhub" / "lti.yaml")
    spring = course_for_context(config, {CONTEXT: {"id": "4dde05e8ca1973bcca9bffc13e1548820eee93a3"}})
    assert spring["id"] == "techlead-spring"
    assert course_for_context(config, {CONTEXT: {"id": "nope"}}) is None
    assert course_for_context(config, {}) is None
    link = urlparse(landing_url(spring))
    assert link.path == "/hub/user-redirect/git-pull"
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert query == {"repo": "https://github.com/techlead-course/technical-leadership", "branch": "learner-edition",
                     "targetpath": "techlead-spring", "urlpath": "lab/tree/techlead-spring/notebooks/index.ipynb"}


@pytest.mark.parametrize("change, message", [
    (lambda d: d["platform"].pop("jwks_url"), "platform is missing jwks_url"),
    (lambda d: d["courses"][0].update(id="Tech Lead"), "must be 2-31 lower-case"),
    (lambda d: d["courses"][1].update(id=d["courses"][0]["id"]), "appears twice"),
    (lambda d: d["courses"][1].update(lti_context_ids=d["courses"][0]["lti_context_ids"]), "is claimed by"),
    (lambda d: d["courses"][0].update(lti_context_ids=[]), "has no lti_context_ids"),
    (lambda d: d.update(courses=[]), "no courses"),
])
def test_a_wrong_lti_config_is_refused_with_a_clear_message(tmp_path, change, message):
    """Does a mistake in the LTI config stop the Hub with a message naming the mistake?"""
    data = yaml.safe_load((ROOT / "deploy" / "jupyterhub" / "lti.yaml").read_text())
    change(data)
    path = tmp_path / "lti.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(LTIConfigError, match=re.escape(message)):
        load_config(path)


def test_passback_cli_says_what_is_missing(tmp_path, capsys):
    """Does passback stop with a clear message when the config, course or gradebook is not there?"""
    assert lti_passback.main(["a1", "--config", str(tmp_path / "none.yaml")]) == 2
    assert "no LTI config at" in capsys.readouterr().err
    cfg = ROOT / "deploy" / "jupyterhub" / "lti.yaml"
    assert lti_passback.main(["a1", "--config", str(cfg)]) == 2
    assert "say which with --course" in capsys.readouterr().err
    assert lti_passback.main(["a1", "--config", str(cfg), "--course", "nope"]) == 2
    assert "no course 'nope'" in capsys.readouterr().err
    assert lti_passback.main(["a1", "--config", str(cfg), "--course", "techlead-spring",
                              "--course-dir", str(tmp_path)]) == 2
    assert "no gradebook at" in capsys.readouterr().err


def test_keygen_writes_a_private_key_once(tmp_path, capsys):
    """Does keygen write a mode-600 key, print its public half, and refuse to overwrite it?"""
    out = tmp_path / "tool-key.pem"
    assert lti_passback.main(["keygen", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert out.stat().st_mode & 0o777 == 0o600 and b"PRIVATE KEY" in out.read_bytes()
    assert "BEGIN PUBLIC KEY" in printed and '"kty": "RSA"' in printed
    assert lti_passback.main(["keygen", "--out", str(out)]) == 2
    assert "not overwriting" in capsys.readouterr().err
