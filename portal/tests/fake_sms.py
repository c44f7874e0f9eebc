"""A fake Aliyun dysms API (SendSms, RPC style) on a real socket, for the channel tests.

The official SDK (alibabacloud_dysmsapi20170525) talks to it with protocol http. It checks the request is a
signed SendSms of our access key, answers "OK" with a BizId, answers queued error codes (a Code in a 200
answer, or an HTTP status), sleeps before answering (timeouts) and records every delivered message with its
phone, template code, parameters and OutId. As in portal/tests/faults.py's SMTP sink, a message is delivered
only if its sender is still connected once processed (after `delay`); `stall_after` holds the answer to the
Nth delivered message.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from portal.tests.faults import _peer_gone

ACCESS_KEY_ID = "LTAI-test-key"
ACCESS_KEY_SECRET = "test-key-secret"
SIGN_NAME = "暖心"
TEMPLATE_CODES = {
    "verification_code": "SMS_100",
    "crisis_alert": "SMS_101",
    "appointment": "SMS_102",
    "task": "SMS_103",
    "notice": "SMS_104",
}


@dataclass(frozen=True)
class Delivered:
    phone: str
    template_code: str
    params: dict
    out_id: str
    sign_name: str


class _Handler(BaseHTTPRequestHandler):
    server: FakeSms  # type: ignore[assignment]

    def log_message(self, *args) -> None:
        pass

    def _answer(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        fake = self.server
        self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        with fake.lock:
            fake.requests.append(query)
            queued = fake.errors.pop(0) if fake.errors else None
        if self.headers.get("x-acs-action") != "SendSms" or self.headers.get("x-acs-version") != "2017-05-25":
            return self._answer({"Code": "InvalidAction", "Message": "unknown action", "RequestId": "x"}, 400)
        if f"Credential={ACCESS_KEY_ID}," not in self.headers.get("Authorization", ""):
            return self._answer({"Code": "InvalidAccessKeyId.NotFound", "Message": "bad key", "RequestId": "x"}, 404)
        if queued is not None:
            status, code = queued
            return self._answer({"Code": code, "Message": "queued by the test", "RequestId": "x"}, status)
        fake.started.append(query)
        time.sleep(fake.delay)
        if _peer_gone(self.connection):
            return  # the sender died or gave up first: not delivered
        with fake.lock:
            fake.messages.append(
                Delivered(
                    phone=query.get("PhoneNumbers", ""),
                    template_code=query.get("TemplateCode", ""),
                    params=json.loads(query.get("TemplateParam") or "{}"),
                    out_id=query.get("OutId", ""),
                    sign_name=query.get("SignName", ""),
                )
            )
            delivered = len(fake.messages)
        if fake.stall_after == delivered and not fake.stalled.is_set():
            fake.stalled.set()
            time.sleep(fake.stall_seconds)
        self._answer({"Code": "OK", "Message": "OK", "BizId": f"biz-{delivered}", "RequestId": f"req-{delivered}"})


class FakeSms(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.errors: list[tuple[int, str]] = []  # (HTTP status, Code) for the next calls
        self.delay = 0.0
        self.requests: list[dict] = []
        self.started: list[dict] = []
        self.messages: list[Delivered] = []
        self.stall_after: int | None = None
        self.stall_seconds = 10.0
        self.stalled = threading.Event()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def fake_sms() -> Iterator[FakeSms]:
    server = FakeSms()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def settings_for(server: FakeSms) -> dict:
    return {
        "SMS_GATEWAY": "aliyun",
        "SMS_ALIYUN_ENDPOINT": server.endpoint,
        "SMS_ALIYUN_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "SMS_ALIYUN_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
        "SMS_SIGN_NAME": SIGN_NAME,
        "SMS_TEMPLATE_CODES": dict(TEMPLATE_CODES),
        "SMS_TIMEOUT_SECONDS": 2.0,
    }
