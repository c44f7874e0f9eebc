"""A small CAS 1.0/2.0/3.0 server for the tests: its own process, standard library only.

    python portal/tests/cas_server.py --port 8443 --users users.json

users.json maps each campus account to its password and attributes:

    {"2024000101": {"password": "pw", "attributes": {"xuehao": "2024000101", "name": "李娜"}}}

What it speaks (the parts of the CAS protocol a service uses, https://apereo.github.io/cas/ protocol spec):

- GET /login?service=URL: with a ticket-granting cookie (CASTGC) of a signed-in session, a service ticket at once
  (single sign-on); otherwise a sign-in form. POST /login checks the password from users.json. A test may skip the
  form with `as=<account>` (a query parameter or an `cas_as` cookie): signed in as that account, no password.
- GET /serviceValidate (CAS 2.0, no attributes), /p3/serviceValidate (CAS 3.0, with cas:attributes): a service
  ticket validates once, and only for the service it was issued for; anything else is an authenticationFailure.
- GET /validate (CAS 1.0): "yes\\n<user>\\n" or "no\\n".
- GET /logout?service=URL: ends the session of the cookie and sends the single-logout POST (a SAML
  LogoutRequest naming the service ticket) to the service URL of every ticket issued in that session; then
  redirects to `service` (or shows a page).
- POST /_control (JSON): {"validate_delay": seconds} makes validation slow (a hanging server); GET /_control
  answers the log of SLO POSTs sent and their HTTP statuses.

Nothing here is product code: it stands in for the school's CAS server (Apereo CAS and its Chinese vendors speak
the same protocol).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

CAS_NS = "http://www.yale.edu/tp/cas"


class State:
    def __init__(self, users: dict[str, dict]) -> None:
        self.users = users
        self.lock = threading.Lock()
        self.tickets: dict[str, tuple[str, str, str]] = {}  # ST → (user, service, TGT); removed when validated
        self.sessions: dict[str, dict] = {}  # TGT → {"user": ..., "issued": [(ST, service), ...]}
        self.validate_delay = 0.0
        self.slo_log: list[dict] = []

    def new_session(self, user: str) -> str:
        tgt = "TGT-" + secrets.token_urlsafe(24)
        with self.lock:
            self.sessions[tgt] = {"user": user, "issued": []}
        return tgt

    def issue(self, tgt: str, service: str) -> str:
        ticket = "ST-" + secrets.token_urlsafe(24)
        with self.lock:
            session = self.sessions[tgt]
            self.tickets[ticket] = (session["user"], service, tgt)
            session["issued"].append((ticket, service))
        return ticket

    def validate(self, ticket: str, service: str) -> tuple[str | None, str]:
        """(user, "") or (None, failure code). A ticket is spent by any validation attempt, as the spec says."""
        with self.lock:
            found = self.tickets.pop(ticket, None)
        if found is None:
            return None, "INVALID_TICKET"
        user, issued_for, _tgt = found
        if issued_for != service:
            return None, "INVALID_SERVICE"
        return user, ""


def success_xml(user: str, attributes: dict | None) -> str:
    parts = [f'<cas:serviceResponse xmlns:cas="{CAS_NS}">', "<cas:authenticationSuccess>"]
    parts.append(f"<cas:user>{escape(user)}</cas:user>")
    if attributes:
        parts.append("<cas:attributes>")
        for name, value in attributes.items():
            for one in value if isinstance(value, list) else [value]:
                parts.append(f"<cas:{name}>{escape(str(one))}</cas:{name}>")
        parts.append("</cas:attributes>")
    parts.append("</cas:authenticationSuccess></cas:serviceResponse>")
    return "".join(parts)


def failure_xml(code: str, ticket: str) -> str:
    return (
        f'<cas:serviceResponse xmlns:cas="{CAS_NS}"><cas:authenticationFailure code="{code}">'
        f"Ticket {escape(ticket)} not recognized</cas:authenticationFailure></cas:serviceResponse>"
    )


def logout_request_xml(ticket: str) -> str:
    instant = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="LR-{secrets.token_hex(8)}" Version="2.0" IssueInstant="{instant}">'
        "<saml:NameID>@NOT_USED@</saml:NameID>"
        f"<samlp:SessionIndex>{escape(ticket)}</samlp:SessionIndex></samlp:LogoutRequest>"
    )


def send_single_logout(state: State, ticket: str, service: str) -> None:
    body = urllib.parse.urlencode({"logoutRequest": logout_request_xml(ticket)}).encode()
    request = urllib.request.Request(service, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        status = f"error: {exc}"
    with state.lock:
        state.slo_log.append({"ticket": ticket, "service": service, "status": status})


LOGIN_FORM = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>统一身份认证</title></head>
<body><main><h1>统一身份认证 (test CAS)</h1>{error}
<form method="post" action="/login"><input type="hidden" name="service" value="{service}">
<label for="username">账号</label> <input id="username" name="username" autocomplete="username">
<label for="password">密码</label> <input id="password" name="password" type="password">
<button type="submit">登录</button></form></main></body></html>"""


class Handler(BaseHTTPRequestHandler):
    server_version = "TestCAS/1.0"
    state: State  # set on the class by make_server

    # --- helpers -------------------------------------------------------------------------------

    def _send(self, status: int, body: str, content_type: str = "text/html; charset=utf-8", headers=()) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _redirect(self, location: str, headers=()) -> None:
        self._send(302, "", headers=[("Location", location), *headers])

    def _query(self) -> dict[str, str]:
        return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).items()}

    def _cookies(self) -> SimpleCookie:
        return SimpleCookie(self.headers.get("Cookie", ""))

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        return {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}

    def _signed_in_to(self, service: str, user: str, tgt: str | None = None) -> None:
        tgt = tgt or self.state.new_session(user)
        if not service:
            self._send(200, f"<p>Signed in as {html.escape(user)}</p>", headers=[("Set-Cookie", _tgc(tgt))])
            return
        ticket = self.state.issue(tgt, service)
        separator = "&" if "?" in service else "?"
        self._redirect(f"{service}{separator}ticket={ticket}", headers=[("Set-Cookie", _tgc(tgt))])

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write("cas_server: " + (format % args) + "\n")

    # --- routes --------------------------------------------------------------------------------

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        query = self._query()
        if path == "/login":
            self.login_get(query)
        elif path in ("/serviceValidate", "/p3/serviceValidate"):
            self.service_validate(query, with_attributes=path.startswith("/p3/"))
        elif path == "/validate":
            self.validate_v1(query)
        elif path == "/logout":
            self.logout(query)
        elif path == "/_control":
            with self.state.lock:
                body = json.dumps({"slo": self.state.slo_log, "sessions": len(self.state.sessions)})
            self._send(200, body, "application/json")
        elif path == "/favicon.ico":
            self._send(204, "")
        elif path == "/":
            self._send(200, "<p>test CAS</p>")
        else:
            self._send(404, "not found", "text/plain")

    def do_POST(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == "/login":
            form = self._form()
            user, service = form.get("username", ""), form.get("service", "")
            account = self.state.users.get(user)
            if account is None or account.get("password", "") != form.get("password", ""):
                error = "<p role='alert'>账号或密码错误</p>"
                self._send(200, LOGIN_FORM.format(error=error, service=html.escape(service)))
                return
            self._signed_in_to(service, user)
        elif path == "/_control":
            length = int(self.headers.get("Content-Length") or 0)
            data = json.loads(self.rfile.read(length) or b"{}")
            if "validate_delay" in data:
                self.state.validate_delay = float(data["validate_delay"])
            self._send(200, "{}", "application/json")
        else:
            self._send(404, "not found", "text/plain")

    def login_get(self, query: dict[str, str]) -> None:
        service = query.get("service", "")
        cookies = self._cookies()
        chosen = query.get("as") or (cookies["cas_as"].value if "cas_as" in cookies else "")
        if chosen:
            self._signed_in_to(service, chosen)
            return
        tgt = cookies["CASTGC"].value if "CASTGC" in cookies else ""
        if tgt and tgt in self.state.sessions and query.get("renew") != "true":
            self._signed_in_to(service, self.state.sessions[tgt]["user"], tgt)
            return
        self._send(200, LOGIN_FORM.format(error="", service=html.escape(service)))

    def _delay(self) -> None:
        if self.state.validate_delay:
            time.sleep(self.state.validate_delay)

    def service_validate(self, query: dict[str, str], *, with_attributes: bool) -> None:
        self._delay()
        ticket, service = query.get("ticket", ""), query.get("service", "")
        if not ticket or not service:
            self._send(200, failure_xml("INVALID_REQUEST", ticket), "application/xml; charset=utf-8")
            return
        user, code = self.state.validate(ticket, service)
        if user is None:
            self._send(200, failure_xml(code, ticket), "application/xml; charset=utf-8")
            return
        attributes = self.state.users.get(user, {}).get("attributes") if with_attributes else None
        self._send(200, success_xml(user, attributes), "application/xml; charset=utf-8")

    def validate_v1(self, query: dict[str, str]) -> None:
        self._delay()
        user, _code = self.state.validate(query.get("ticket", ""), query.get("service", ""))
        self._send(200, f"yes\n{user}\n" if user else "no\n", "text/plain; charset=utf-8")

    def logout(self, query: dict[str, str]) -> None:
        cookies = self._cookies()
        tgt = cookies["CASTGC"].value if "CASTGC" in cookies else ""
        with self.state.lock:
            session = self.state.sessions.pop(tgt, None)
        for ticket, service in (session or {}).get("issued", []):
            send_single_logout(self.state, ticket, service)
        expire = "CASTGC=; Path=/; Max-Age=0"
        target = query.get("service") or query.get("url")
        if target:
            self._redirect(target, headers=[("Set-Cookie", expire)])
        else:
            self._send(200, "<p>已退出统一身份认证</p>", headers=[("Set-Cookie", expire)])


def _tgc(tgt: str) -> str:
    return f"CASTGC={tgt}; Path=/; HttpOnly"


def make_server(port: int, users: dict[str, dict], host: str = "127.0.0.1") -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"state": State(users)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--users", required=True, help="JSON file: {account: {password, attributes}}")
    args = parser.parse_args()
    with open(args.users, encoding="utf-8") as fh:
        users = json.load(fh)
    server = make_server(args.port, users, args.host)
    print(f"test CAS server on http://{args.host}:{args.port}/", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
