"""A fake WeCom (企业微信) API on a real socket, for the channel tests: /cgi-bin/gettoken and /cgi-bin/message/send.

It hands out tokens with an expiry, expires them on cue (then answers 42001), answers queued errcodes (45009,
…) or HTTP errors, sleeps before answering (timeouts), knows which userids exist (81013 + invaliduser), and
records every delivered message. Like the SMTP sink of portal/tests/faults.py, a message counts as delivered
only if its sender is still connected when the fake has "processed" it (after `delay`); `stall_after` holds
the answer to the Nth delivered message, to catch a sender between "delivered" and its commit.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from portal.tests.faults import _peer_gone

CORP_ID = "ww-test-corp"
SECRET = "test-secret"
AGENT_ID = "1000002"


class _Handler(BaseHTTPRequestHandler):
    server: FakeWecom  # type: ignore[assignment]

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        fake = self.server
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path != "/cgi-bin/gettoken":
            return self._answer({"errcode": 404}, 404)
        with fake.lock:
            fake.gettoken_calls += 1
            down = fake.down
        if down:
            return self._answer({"errcode": -1, "errmsg": "down"}, 503)
        time.sleep(fake.gettoken_delay)
        if query.get("corpid") != CORP_ID:
            return self._answer({"errcode": 40013, "errmsg": "invalid corpid"})
        if query.get("corpsecret") != SECRET:
            return self._answer({"errcode": 40001, "errmsg": "invalid credential"})
        token = secrets.token_hex(16)
        with fake.lock:
            fake.tokens[token] = time.monotonic() + fake.expires_in
        self._answer({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": fake.expires_in})

    def do_POST(self) -> None:
        fake = self.server
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if parts.path != "/cgi-bin/message/send":
            return self._answer({"errcode": 404}, 404)
        with fake.lock:
            fake.requests.append(payload)
            queued = fake.errors.pop(0) if fake.errors else None
            down = fake.down
            expiry = fake.tokens.get(query.get("access_token", ""))
        if down:
            return self._answer({"errcode": -1, "errmsg": "down"}, 503)
        if queued is not None:
            return self._answer({"errcode": queued, "errmsg": "queued by the test"})
        if expiry is None:
            return self._answer({"errcode": 40014, "errmsg": "invalid access_token"})
        if expiry <= time.monotonic():
            return self._answer({"errcode": 42001, "errmsg": "access_token expired"})
        if str(payload.get("agentid")) != AGENT_ID:
            return self._answer({"errcode": 40056, "errmsg": "invalid agentid"})
        if payload.get("touser") not in fake.users:
            return self._answer(
                {"errcode": 81013, "errmsg": "user & party & tag all invalid", "invaliduser": payload.get("touser")}
            )
        fake.started.append(payload)
        time.sleep(fake.delay)
        if _peer_gone(self.connection):
            return  # the sender gave up or died before we processed it: not delivered
        with fake.lock:
            fake.messages.append(payload)
            delivered = len(fake.messages)
        if fake.stall_after == delivered and not fake.stalled.is_set():
            fake.stalled.set()
            time.sleep(fake.stall_seconds)
        self._answer({"errcode": 0, "errmsg": "ok", "msgid": f"msg-{delivered}"})


class FakeWecom(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.expires_in = 7200
        self.gettoken_calls = 0
        self.gettoken_delay = 0.0
        self.users: set[str] = set()
        self.errors: list[int] = []  # errcodes to answer to the next message/send calls
        self.down = False  # answer HTTP 503
        self.delay = 0.0  # seconds before a message is processed
        self.requests: list[dict] = []  # every message/send received
        self.started: list[dict] = []  # accepted for processing
        self.messages: list[dict] = []  # delivered
        self.stall_after: int | None = None
        self.stall_seconds = 10.0
        self.stalled = threading.Event()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)


@contextmanager
def fake_wecom() -> Iterator[FakeWecom]:
    server = FakeWecom()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def settings_for(server: FakeWecom) -> dict:
    return {
        "WECOM_API_BASE": server.base,
        "WECOM_CORP_ID": CORP_ID,
        "WECOM_AGENT_ID": AGENT_ID,
        "WECOM_SECRET": SECRET,
    }
