"""Grade passback: nbgrader's gradebook → the learning platform's grade book (LTI Advantage AGS).

    python -m course_tools.lti_passback ASSIGNMENT [--dry-run] [--include-pending-manual]
    make passback ASSIGNMENT=a2-team-vs-tech [DRY_RUN=1]

Run it where the course's gradebook is (on the Hub: a terminal in the course's grader service,
``/services/<course>/``). For the assignment it

1. reads every learner's score from nbgrader's gradebook (nbgrader's ``Gradebook`` API);
2. asks the platform for an access token (OAuth 2 client credentials, a JWT signed with the tool's
   private key), then for the course's roster (Names and Role Provisioning Services) to find each
   learner's platform user id: the Hub's user names are :func:`course_tools.lti_hub.hub_username`
   of the platform's claims, so the roster maps back to them with no table kept anywhere;
3. finds the assignment's line item (``resourceId`` = the assignment, ``tag`` = ``nbgrader``) or
   creates it, reads its current results, and posts a score only where it differs: a second run
   sends nothing.

It refuses to send anything for an assignment that still needs manual grading (it lists the
submissions), unless ``--include-pending-manual``: then those scores go with
``gradingProgress: PendingManual``. A learner in the gradebook whom the platform does not know is
reported by name (exit status 1) and the others are still sent. Transient errors (connection
failures, 429, 502, 503, 504) are retried with exponential back-off (tenacity).

Configuration: the LTI config (``TECHLEAD_LTI_CONFIG`` or ``--config``, see
``deploy/jupyterhub/lti.yaml``): the platform's issuer, client id and token URL, the tool's private
key, and per course its ``lineitems_url`` and ``memberships_url`` (from the platform's course
settings or a launch's AGS/NRPS claims). The course is ``--course`` or ``TECHLEAD_COURSE_ID``.

``python -m course_tools.lti_passback keygen --out tool-key.pem`` makes the tool's key pair and
prints the public key to register on the platform.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from course_tools.lti_hub import LTIConfigError, course_by_id, hub_username, load_config

AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
SCOPES = [AGS + "lineitem", AGS + "result.readonly", AGS + "score",
          "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
TRANSIENT_STATUS = {429, 500, 502, 503, 504}
TAG = "nbgrader"


class PassbackError(RuntimeError):
    """Something the instructor must fix; the message says what."""


class TransientHTTPError(RuntimeError):
    def __init__(self, status: int, url: str, text: str):
        super().__init__(f"{status} from {url}: {text[:200]}")
        self.status = status


# ------------------------------------------------------------------------------------ gradebook
@dataclass
class Grade:
    student: str
    score: float | None          # None: no submission
    max_score: float
    needs_manual_grade: bool = False


def read_grades(course_dir: Path, course_id: str, assignment: str) -> tuple[float, list[Grade]]:
    """(assignment's max score, one Grade per student in the gradebook) via nbgrader's Gradebook API."""
    from nbgrader.api import Gradebook, MissingEntry

    db = course_dir / "gradebook.db"
    if not db.exists():
        raise PassbackError(f"no gradebook at {db}: run this in the course directory (or pass --course-dir)")
    with Gradebook(f"sqlite:///{db}", course_id=course_id) as gb:
        try:
            item = gb.find_assignment(assignment)
        except MissingEntry:
            names = ", ".join(a.name for a in gb.assignments) or "none"
            raise PassbackError(f"no assignment {assignment!r} in the gradebook (it has: {names})") from None
        max_score = float(item.max_score)
        grades = []
        for student in gb.students:
            try:
                sub = gb.find_submission(assignment, student.id)
            except MissingEntry:
                grades.append(Grade(student.id, None, max_score))
                continue
            grades.append(Grade(student.id, float(sub.score), max_score, bool(sub.needs_manual_grade)))
    return max_score, grades


# ---------------------------------------------------------------------------------- HTTP client
class AGSClient:
    """The platform's token, roster (NRPS) and grade (AGS) services, with retries on transient errors."""

    def __init__(self, config: dict, course: dict, *, attempts: int = 5, max_wait: float = 8.0):
        import requests

        self.platform, self.course = config["platform"], course
        tool = config.get("tool") or {}
        key_path = tool.get("private_key")
        if not key_path:
            raise PassbackError("the LTI config has no tool.private_key (the key registered on the platform)")
        try:
            self.key = Path(key_path).read_bytes()
        except OSError as err:
            raise PassbackError(f"cannot read the tool's private key {key_path}: {err.strerror}") from None
        self.key_id = tool.get("key_id")
        for needed in ("lineitems_url", "memberships_url"):
            if not course.get(needed):
                raise PassbackError(f"course {course['id']!r} has no {needed} in the LTI config")
        if not self.platform.get("token_url"):
            raise PassbackError("the LTI config's platform has no token_url")
        self.http = requests.Session()
        self.attempts, self.max_wait = attempts, max_wait
        self._token: str | None = None
        self.retries: list[str] = []

    # -- retry wrapper
    def _send(self, method: str, url: str, **kwargs):
        import requests
        from tenacity import (Retrying, retry_if_exception_type, stop_after_attempt,
                              wait_exponential)

        def before_sleep(state):
            message = f"retrying {method} {url} after: {state.outcome.exception()}"
            self.retries.append(message)
            print(f"  … {message}", file=sys.stderr)

        def once():
            resp = self.http.request(method, url, timeout=30, **kwargs)
            if resp.status_code in TRANSIENT_STATUS:
                raise TransientHTTPError(resp.status_code, url, resp.text)
            return resp

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts), reraise=True, before_sleep=before_sleep,
            wait=wait_exponential(multiplier=0.5, max=self.max_wait),
            retry=retry_if_exception_type((TransientHTTPError, requests.ConnectionError, requests.Timeout)))
        try:
            return retrying(once)
        except TransientHTTPError as err:
            raise PassbackError(f"the platform kept failing after {self.attempts} tries: {err}") from None
        except (requests.ConnectionError, requests.Timeout) as err:
            raise PassbackError(f"cannot reach the platform at {url}: {err}") from None

    def _json(self, resp, what: str):
        if resp.status_code >= 400:
            raise PassbackError(f"{what}: the platform answered {resp.status_code}: {resp.text[:300]}")
        return resp.json() if resp.content else {}

    # -- OAuth 2 client credentials
    def token(self) -> str:
        if self._token is None:
            import jwt

            now = int(time.time())
            client_id = str(self.platform["client_id"])
            assertion = jwt.encode(
                {"iss": client_id, "sub": client_id, "aud": self.platform["token_url"], "iat": now,
                 "exp": now + 300, "jti": uuid.uuid4().hex},
                self.key, algorithm="RS256", headers={"kid": self.key_id} if self.key_id else None)
            resp = self._send("POST", self.platform["token_url"], data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion, "scope": " ".join(SCOPES)})
            self._token = self._json(resp, "access token request")["access_token"]
        return self._token

    def _auth(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token()}", **(extra or {})}

    # -- NRPS
    def roster(self) -> dict[str, dict]:
        """Hub user name → platform member (only active members)."""
        url = self.course["memberships_url"]
        members = []
        while url:
            resp = self._send("GET", url, headers=self._auth(
                {"Accept": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"}))
            members += self._json(resp, "course roster (Names and Role service)").get("members", [])
            url = resp.links.get("next", {}).get("url")
        issuer = self.platform["issuer"]
        return {hub_username(dict(m, iss=issuer)): m for m in members if m.get("status", "Active") == "Active"}

    # -- AGS
    def find_lineitem(self, assignment: str) -> dict | None:
        url = self.course["lineitems_url"]
        query = urlencode({"resource_id": assignment, "tag": TAG})
        resp = self._send("GET", _with_query(url, query), headers=self._auth(
            {"Accept": "application/vnd.ims.lis.v2.lineitemcontainer+json"}))
        items = [i for i in self._json(resp, "line items") if i.get("resourceId") == assignment]
        return items[0] if items else None

    def create_lineitem(self, assignment: str, label: str, max_score: float) -> dict:
        resp = self._send("POST", self.course["lineitems_url"], headers=self._auth({"Content-Type": LINEITEM_TYPE}),
                          data=json.dumps({"label": label, "scoreMaximum": max_score, "resourceId": assignment,
                                           "tag": TAG}))
        return self._json(resp, f"creating the line item for {assignment}")

    def results(self, lineitem: dict) -> dict[str, dict]:
        resp = self._send("GET", _with_path(lineitem["id"], "/results"), headers=self._auth(
            {"Accept": "application/vnd.ims.lis.v2.resultcontainer+json"}))
        return {r["userId"]: r for r in self._json(resp, "current results")}

    def post_score(self, lineitem: dict, score: dict) -> None:
        resp = self._send("POST", _with_path(lineitem["id"], "/scores"),
                          headers=self._auth({"Content-Type": SCORE_TYPE}), data=json.dumps(score))
        self._json(resp, f"posting the score of {score['userId']}")


def _with_path(url: str, suffix: str) -> str:
    """AGS service URLs may carry a query: add the path segment before it."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def _with_query(url: str, query: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))


# ------------------------------------------------------------------------------------- the plan
@dataclass
class Line:
    student: str
    action: str                  # send / unchanged / no submission / unknown learner
    score: float | None = None
    max_score: float | None = None
    progress: str = ""
    user_id: str = ""
    detail: str = ""


@dataclass
class Report:
    assignment: str
    lineitem: str = ""
    lines: list[Line] = field(default_factory=list)
    created_lineitem: bool = False
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for ln in self.lines if ln.action == action)

    def render(self) -> str:
        verb = "would send" if self.dry_run else "sent"
        out = [f"{self.assignment} → {self.lineitem or '(new line item)'}"
               + (" [dry run: nothing is sent]" if self.dry_run else "")]
        if self.created_lineitem:
            out.append(f"  {'would create' if self.dry_run else 'created'} the line item")
        for ln in self.lines:
            shown = f"{ln.score:g}/{ln.max_score:g}" if ln.score is not None else "-"
            action = verb if ln.action == "send" else ln.action
            out.append(f"  {ln.student:<24} {shown:>10}  {ln.progress or '':<13} {action}"
                       + (f": {ln.detail}" if ln.detail else ""))
        out.append(f"{verb} {self.count('send')}, unchanged {self.count('unchanged')}, "
                   f"no submission {self.count('no submission')}, unknown to the platform "
                   f"{self.count('unknown learner')}")
        return "\n".join(out)


def passback(config: dict, course_id: str, assignment: str, *, course_dir: Path, dry_run: bool = False,
             include_pending_manual: bool = False, client: AGSClient | None = None) -> Report:
    course = course_by_id(config, course_id)
    max_score, grades = read_grades(course_dir, course_id, assignment)
    pending = sorted(g.student for g in grades if g.needs_manual_grade)
    if pending and not include_pending_manual:
        raise PassbackError(
            f"{assignment} still needs manual grading for {len(pending)} submission(s): {', '.join(pending)}. "
            "Nothing was sent. Grade them in the formgrader, or pass --include-pending-manual to send "
            "the scores so far as 'PendingManual'.")
    if max_score <= 0:
        raise PassbackError(f"{assignment} has no points in the gradebook: nothing to send")
    client = client or AGSClient(config, course)
    roster = client.roster()
    report = Report(assignment, dry_run=dry_run)
    lineitem = client.find_lineitem(assignment)
    if lineitem is None:
        report.created_lineitem = True
        current = {}
        if not dry_run:
            lineitem = client.create_lineitem(assignment, f"{assignment} ({course['title']})", max_score)
    else:
        current = client.results(lineitem)
    report.lineitem = lineitem["id"] if lineitem else ""
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    for g in sorted(grades, key=lambda g: g.student):
        member = roster.get(g.student)
        if member is None:
            report.lines.append(Line(g.student, "unknown learner", g.score, g.max_score, detail=(
                f"no member of {course['title']} on the platform has this Hub name; enrol them on the "
                "platform, or remove them from the gradebook (nbgrader db student remove)")))
            continue
        if g.score is None:
            report.lines.append(Line(g.student, "no submission", user_id=member["user_id"]))
            continue
        progress = "PendingManual" if g.needs_manual_grade else "FullyGraded"
        comment = f"nbgrader {assignment}: {'pending manual grading' if g.needs_manual_grade else 'graded'}"
        old = current.get(member["user_id"])
        if old is not None and _same(old.get("resultScore"), g.score) and \
                _same(old.get("resultMaximum", max_score), g.max_score) and old.get("comment") == comment:
            report.lines.append(Line(g.student, "unchanged", g.score, g.max_score, progress, member["user_id"]))
            continue
        report.lines.append(Line(g.student, "send", g.score, g.max_score, progress, member["user_id"]))
        if not dry_run:
            client.post_score(lineitem, {
                "userId": member["user_id"], "scoreGiven": g.score, "scoreMaximum": g.max_score,
                "comment": comment, "timestamp": now, "activityProgress": "Completed",
                "gradingProgress": progress})
    return report


def _same(a, b) -> bool:
    return a is not None and b is not None and math.isclose(float(a), float(b), abs_tol=1e-9)


# ---------------------------------------------------------------------------------------- CLI
def keygen(out: Path, key_id: str) -> str:
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if out.exists():
        raise PassbackError(f"{out} exists: not overwriting a key the platform may know")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": key_id, "alg": "RS256", "use": "sig"})
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return f"private key: {out} (mode 600)\n\npublic key (PEM), for the platform:\n{pem}\npublic JWK:\n{json.dumps(jwk, indent=1)}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["keygen"]:
        p = argparse.ArgumentParser(prog="python -m course_tools.lti_passback keygen")
        p.add_argument("--out", required=True, type=Path)
        p.add_argument("--key-id", default="techlead-tool-1")
        a = p.parse_args(argv[1:])
        try:
            print(keygen(a.out, a.key_id))
        except PassbackError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        return 0
    p = argparse.ArgumentParser(prog="python -m course_tools.lti_passback",
                                description="Send nbgrader scores to the learning platform's grade book (LTI AGS).")
    p.add_argument("assignment")
    p.add_argument("--course", default=os.environ.get("TECHLEAD_COURSE_ID") or None,
                   help="the course id on the Hub (default: $TECHLEAD_COURSE_ID)")
    p.add_argument("--config", default=os.environ.get("TECHLEAD_LTI_CONFIG") or "/etc/techlead/lti.yaml")
    p.add_argument("--course-dir", type=Path, default=None,
                   help="where gradebook.db is (default: the course's course_dir, else the current folder)")
    p.add_argument("--dry-run", action="store_true", help="show what would be sent; send nothing")
    p.add_argument("--include-pending-manual", action="store_true",
                   help="also send submissions that still need manual grading (as PendingManual)")
    a = p.parse_args(argv)
    try:
        config = load_config(a.config)
        course_id = a.course or (config["courses"][0]["id"] if len(config["courses"]) == 1 else None)
        if not course_id:
            raise PassbackError("several courses in the LTI config: say which with --course")
        course = course_by_id(config, course_id)
        course_dir = a.course_dir or (Path(course["course_dir"]) if Path(course["course_dir"]).is_dir() else Path.cwd())
        report = passback(config, course_id, a.assignment, course_dir=course_dir, dry_run=a.dry_run,
                          include_pending_manual=a.include_pending_manual)
    except (PassbackError, LTIConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(report.render())
    unknown = [ln.student for ln in report.lines if ln.action == "unknown learner"]
    if unknown:
        print(f"error: the platform does not know {len(unknown)} learner(s) of the gradebook: "
              f"{', '.join(unknown)} (see above); their scores were not sent", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
