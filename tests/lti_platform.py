"""A small LTI 1.3 learning platform on 127.0.0.1, for tests (PyJWT + cryptography, standard library HTTP).

It plays the platform's side of everything the course uses, by the IMS specifications:

* OIDC third-party login initiation (:meth:`LTIBrowser.launch` starts it like a browser would),
  the authorization endpoint answering with an auto-submitting form that posts a signed
  ``id_token`` (LtiResourceLinkRequest, with context, roles, AGS and NRPS claims) to the tool;
* its JSON Web Key Set at ``/jwks``;
* the OAuth 2 token endpoint (client credentials with a JWT assertion signed by the tool's key,
  checked against the tool's registered public key);
* Names and Role Provisioning Services (``/api/<context>/memberships``);
* Assignment and Grade Services: line items, scores, results (``/api/<context>/lineitems...``);
* fault injection (``fail_next``) to answer the next requests with 503, and a log of every request.

Launch modes for the refusals the Hub must give: ``bad-signature`` (signed by a key the JWKS does
not hold), ``expired`` (``exp`` in the past).
"""
from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
SCORE_SCOPE = AGS + "scope/score"
LINEITEM_SCOPE = AGS + "scope/lineitem"
RESULT_SCOPE = AGS + "scope/result.readonly"
NRPS_SCOPE = NRPS + "scope/contextmembership.readonly"


def new_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_jwk(key, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return jwk


class Platform:
    """The platform: one registered tool (the Hub), its users and courses (contexts)."""

    def __init__(self, client_id: str = "techlead-hub", deployment_id: str = "deployment-1"):
        self.client_id, self.deployment_id = client_id, deployment_id
        self.key, self.kid = new_rsa_key(), "platform-key-1"
        self.rogue_key = new_rsa_key()                 # signs "bad-signature" launches
        self.tool_public_key = None                     # the tool's key (for its token requests)
        self.redirect_uris: list[str] = []
        self.users: dict[str, dict] = {}                # login_hint -> claims about the person
        self.contexts: dict[str, dict] = {}             # context id -> {title, members: {hint: role}}
        self.lineitems: dict[str, dict] = {}            # id -> line item (+ "context")
        self.results: dict[str, dict[str, dict]] = {}   # line item id -> user_id -> last score
        self.score_posts: list[dict] = []               # every accepted score POST
        self.tokens: dict[str, set[str]] = {}           # access token -> scopes
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status)
        self.fail_next: dict[str, int] = {}             # "scores"/"token"/... -> answer 503 this often
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # ------------------------------------------------------------------ set-up
    def add_user(self, hint: str, *, given_name: str, family_name: str, email: str) -> dict:
        user = {"sub": f"user-{secrets.token_hex(6)}", "given_name": given_name, "family_name": family_name,
                "name": f"{given_name} {family_name}", "email": email}
        self.users[hint] = user
        return user

    def add_context(self, context_id: str, title: str, label: str) -> None:
        self.contexts[context_id] = {"id": context_id, "title": title, "label": label, "members": {}}

    def enrol(self, hint: str, context_id: str, role: str) -> None:
        self.contexts[context_id]["members"][hint] = role

    @property
    def issuer(self) -> str:
        return self.url

    def endpoints(self) -> dict:
        return {"issuer": self.issuer, "client_id": self.client_id, "deployment_id": self.deployment_id,
                "authorize_url": f"{self.url}/auth", "jwks_url": f"{self.url}/jwks",
                "token_url": f"{self.url}/token"}

    def lineitems_url(self, context_id: str) -> str:
        return f"{self.url}/api/{context_id}/lineitems"

    def memberships_url(self, context_id: str) -> str:
        return f"{self.url}/api/{context_id}/memberships"

    # ------------------------------------------------------------------ server
    def start(self) -> None:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                platform._dispatch(self, "GET")

            def do_POST(self):
                platform._dispatch(self, "POST")

            def do_PUT(self):
                platform._dispatch(self, "PUT")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ------------------------------------------------------------------ tokens
    def id_token(self, hint: str, context_id: str, *, nonce: str, mode: str = "ok",
                 target_link_uri: str = "") -> str:
        user, context = self.users[hint], self.contexts[context_id]
        role = context["members"].get(hint)
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": self.client_id, "azp": self.client_id, "sub": user["sub"],
            "iat": now, "exp": now + 300, "nonce": nonce,
            "email": user["email"], "name": user["name"], "given_name": user["given_name"],
            "family_name": user["family_name"],
            LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id, LTI + "target_link_uri": target_link_uri,
            LTI + "resource_link": {"id": f"{context_id}-jupyterhub", "title": "JupyterHub"},
            LTI + "roles": [ROLE + role] if role else [],
            LTI + "context": {"id": context_id, "label": context["label"], "title": context["title"],
                              "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            AGS + "claim/endpoint": {"scope": [LINEITEM_SCOPE, SCORE_SCOPE, RESULT_SCOPE],
                                     "lineitems": self.lineitems_url(context_id)},
            NRPS + "claim/namesroleservice": {"context_memberships_url": self.memberships_url(context_id),
                                              "service_versions": ["2.0"]},
        }
        key = self.key
        if mode == "expired":
            claims["iat"], claims["exp"] = now - 60, now - 30
        elif mode == "bad-signature":
            key = self.rogue_key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    # ------------------------------------------------------------------ HTTP
    def _dispatch(self, h: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        kind = self._kind(url.path)
        with self._lock:
            failing = self.fail_next.get(kind, 0)
            if failing:
                self.fail_next[kind] = failing - 1
        if failing:
            status, ctype, payload = 503, "application/json", json.dumps({"error": "temporarily unavailable"})
        else:
            try:
                status, ctype, payload = self._route(method, url, h.headers, body)
            except _Refuse as err:
                status, ctype, payload = err.status, "application/json", json.dumps({"error": err.message})
        with self._lock:
            self.requests.append((method, url.path, status))
        data = payload.encode() if isinstance(payload, str) else payload
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    @staticmethod
    def _kind(path: str) -> str:
        if path.endswith("/scores"):
            return "scores"
        if path.endswith("/results"):
            return "results"
        if "/lineitems" in path:
            return "lineitems"
        return path.strip("/").split("/")[0] or "root"

    def _route(self, method, url, headers, body):
        path = url.path
        if path == "/jwks" and method == "GET":
            return 200, "application/json", json.dumps({"keys": [public_jwk(self.key, self.kid)]})
        if path == "/auth" and method == "GET":
            return self._authorize(parse_qs(url.query))
        if path == "/token" and method == "POST":
            return self._token(parse_qs(body.decode()))
        m = re.fullmatch(r"/api/([^/]+)/(memberships|lineitems)(?:/(\d+))?(?:/(scores|results))?", path)
        if not m:
            raise _Refuse(404, f"no such endpoint {path}")
        context_id, service, item_id, sub = m.groups()
        if context_id not in self.contexts:
            raise _Refuse(404, f"no context {context_id}")
        if service == "memberships":
            self._need(headers, NRPS_SCOPE)
            return self._memberships(context_id)
        if item_id is None:
            if method == "GET":
                self._need(headers, LINEITEM_SCOPE, AGS + "scope/lineitem.readonly")
                items = [i for i in self.lineitems.values() if i["context"] == context_id]
                query = parse_qs(url.query)
                for field, key in (("resource_id", "resourceId"), ("tag", "tag")):
                    if field in query:
                        items = [i for i in items if i.get(key) == query[field][0]]
                return 200, "application/vnd.ims.lis.v2.lineitemcontainer+json", json.dumps(
                    [self._public_item(i) for i in items])
            self._need(headers, LINEITEM_SCOPE)
            item = json.loads(body)
            if not isinstance(item.get("scoreMaximum"), (int, float)) or item["scoreMaximum"] <= 0 or not item.get("label"):
                raise _Refuse(400, "a line item needs a label and a positive scoreMaximum")
            with self._lock:
                new_id = str(len(self.lineitems) + 1)
                item.update({"id": f"{self.lineitems_url(context_id)}/{new_id}", "context": context_id})
                self.lineitems[new_id] = item
                self.results[new_id] = {}
            return 201, "application/vnd.ims.lis.v2.lineitem+json", json.dumps(self._public_item(item))
        item = self.lineitems.get(item_id)
        if item is None or item["context"] != context_id:
            raise _Refuse(404, f"no line item {item_id}")
        if sub is None:
            self._need(headers, LINEITEM_SCOPE, AGS + "scope/lineitem.readonly")
            return 200, "application/vnd.ims.lis.v2.lineitem+json", json.dumps(self._public_item(item))
        if sub == "results":
            self._need(headers, RESULT_SCOPE)
            out = [{"id": f"{item['id']}/results/{uid}", "scoreOf": item["id"], "userId": uid,
                    "resultScore": r["scoreGiven"], "resultMaximum": r["scoreMaximum"],
                    "comment": r.get("comment")}
                   for uid, r in self.results[item_id].items() if r.get("scoreGiven") is not None]
            return 200, "application/vnd.ims.lis.v2.resultcontainer+json", json.dumps(out)
        # scores
        self._need(headers, SCORE_SCOPE)
        if headers.get("Content-Type", "").split(";")[0] != "application/vnd.ims.lis.v1.score+json":
            raise _Refuse(415, "scores must be sent as application/vnd.ims.lis.v1.score+json")
        score = json.loads(body)
        members = {self.users[h]["sub"] for h in self.contexts[context_id]["members"]}
        if score.get("userId") not in members:
            raise _Refuse(422, f"user {score.get('userId')!r} is not a member of {context_id}")
        for field in ("timestamp", "activityProgress", "gradingProgress"):
            if field not in score:
                raise _Refuse(400, f"a score needs {field}")
        with self._lock:
            self.results[item_id][score["userId"]] = score
            self.score_posts.append(dict(score, lineitem=item["id"]))
        return 200, "application/json", "{}"

    @staticmethod
    def _public_item(item: dict) -> dict:
        return {k: v for k, v in item.items() if k != "context"}

    def _need(self, headers, *scopes: str) -> None:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise _Refuse(401, "no bearer token")
        granted = self.tokens.get(auth[7:])
        if granted is None:
            raise _Refuse(401, "unknown or expired access token")
        if not granted & set(scopes):
            raise _Refuse(403, f"the token lacks the scope {scopes[0]}")

    def _memberships(self, context_id: str):
        context = self.contexts[context_id]
        members = [{"user_id": self.users[h]["sub"], "roles": [ROLE + role], "status": "Active",
                    "name": self.users[h]["name"], "given_name": self.users[h]["given_name"],
                    "family_name": self.users[h]["family_name"], "email": self.users[h]["email"]}
                   for h, role in context["members"].items()]
        return 200, "application/vnd.ims.lti-nrps.v2.membershipcontainer+json", json.dumps(
            {"id": self.memberships_url(context_id), "context": {"id": context_id, "title": context["title"]},
             "members": members})

    def _authorize(self, q: dict):
        arg = {k: v[0] for k, v in q.items()}
        if arg.get("client_id") != self.client_id:
            raise _Refuse(400, f"unknown client_id {arg.get('client_id')!r}")
        if arg.get("redirect_uri") not in self.redirect_uris:
            raise _Refuse(400, f"redirect_uri {arg.get('redirect_uri')!r} is not registered")
        if arg.get("response_type") != "id_token" or "openid" not in arg.get("scope", "").split():
            raise _Refuse(400, "expected response_type=id_token and scope openid")
        for field in ("nonce", "state", "login_hint"):
            if not arg.get(field):
                raise _Refuse(400, f"missing {field}")
        message = json.loads(arg.get("lti_message_hint") or "{}")
        hint = arg["login_hint"]
        if hint not in self.users:
            raise _Refuse(400, "unknown login_hint")
        token = self.id_token(hint, message["context"], nonce=arg["nonce"], mode=message.get("mode", "ok"),
                              target_link_uri=message.get("target_link_uri", ""))
        page = (f'<!doctype html><html><body onload="document.forms[0].submit()">'
                f'<form method="post" action="{html.escape(arg["redirect_uri"])}">'
                f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
                f'<input type="hidden" name="state" value="{html.escape(arg["state"])}">'
                f'</form></body></html>')
        return 200, "text/html", page

    def _token(self, form: dict):
        arg = {k: v[0] for k, v in form.items()}
        if arg.get("grant_type") != "client_credentials":
            raise _Refuse(400, "unsupported_grant_type")
        if arg.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            raise _Refuse(400, "invalid_client: expected a JWT client assertion")
        try:
            claims = jwt.decode(arg.get("client_assertion", ""), self.tool_public_key, algorithms=["RS256"],
                                audience=f"{self.url}/token")
        except jwt.PyJWTError as err:
            raise _Refuse(401, f"invalid_client: {err}") from None
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            raise _Refuse(401, "invalid_client: iss and sub must be the client id")
        allowed = {SCORE_SCOPE, LINEITEM_SCOPE, RESULT_SCOPE, NRPS_SCOPE, AGS + "scope/lineitem.readonly"}
        scopes = set(arg.get("scope", "").split()) & allowed
        token = secrets.token_urlsafe(24)
        self.tokens[token] = scopes
        return 200, "application/json", json.dumps({"access_token": token, "token_type": "Bearer",
                                                    "expires_in": 3600, "scope": " ".join(sorted(scopes))})


class _Refuse(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class LTIBrowser:
    """One person's browser: a cookie jar that follows a launch from the platform into the Hub."""

    def __init__(self, platform: Platform, hint: str):
        import requests

        self.platform, self.hint = platform, hint
        self.session = requests.Session()

    def launch(self, hub_url: str, context_id: str, *, mode: str = "ok", next_path: str = ""):
        """Start a launch as the platform's link would; return the Hub's answer to the id_token post.

        Steps: the platform sends the browser to the tool's OIDC login URL; the tool redirects to
        the platform's authorization endpoint; the platform answers with a form that posts the
        id_token back to the tool (a browser submits it on load; we submit it here).
        """
        target = f"{hub_url}/hub/" + (f"?next={next_path}" if next_path else "")
        message = json.dumps({"context": context_id, "mode": mode, "target_link_uri": target})
        params = {"iss": self.platform.issuer, "login_hint": self.hint, "target_link_uri": target,
                  "lti_message_hint": message, "client_id": self.platform.client_id,
                  "lti_deployment_id": self.platform.deployment_id}
        r = self.session.get(f"{hub_url}/hub/lti13/oauth_login?{urlencode(params)}", allow_redirects=False,
                             timeout=30)
        if r.status_code != 302:
            raise AssertionError(f"login initiation: {r.status_code} {r.text[:500]}")
        auth = self.session.get(r.headers["Location"], allow_redirects=False, timeout=30)
        if auth.status_code != 200:
            raise AssertionError(f"platform authorization: {auth.status_code} {auth.text[:500]}")
        action = html.unescape(re.search(r'action="([^"]+)"', auth.text).group(1))
        fields = {name: html.unescape(value) for name, value in
                  re.findall(r'name="([^"]+)" value="([^"]*)"', auth.text)}
        return self.session.post(action, data=fields, allow_redirects=False, timeout=60)

    def get(self, url: str, **kwargs):
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", False)
        return self.session.get(url, **kwargs)

    def xsrf_post(self, url: str, body=None, **kwargs):
        """POST with Jupyter Server's XSRF header (taken from the _xsrf cookie, as Lab does)."""
        # The server's own _xsrf cookie: the one whose path is the longest prefix of the URL's path
        # (the Hub sets one on /hub/, each server or service on its own prefix).
        path = urlparse(url).path
        candidates = [c for c in self.session.cookies if c.name == "_xsrf" and path.startswith(c.path or "/")]
        token = max(candidates, key=lambda c: len(c.path or ""), default=None)
        token = token.value if token is not None else ""
        kwargs.setdefault("timeout", 300)
        return self.session.post(url, json=body if body is not None else {}, headers={"X-XSRFToken": token},
                                 allow_redirects=False, **kwargs)

    def follow(self, url: str, limit: int = 12):
        """GET and follow redirects (the OAuth dance between the Hub and a server); return the last answer."""
        for _ in range(limit):
            r = self.get(url)
            if r.status_code not in (301, 302, 303, 307):
                return r
            url = r.headers["Location"]
            if url.startswith("/"):
                parsed = urlparse(r.url)
                url = f"{parsed.scheme}://{parsed.netloc}{url}"
        raise AssertionError(f"too many redirects, last {url}")
