"""Throwaway servers for the fault tests (test_faults_*.py): a Redis, a PostgreSQL cluster and an SMTP sink
that the tests may stop, restart or slow down without touching the shared servers other people use."""

from __future__ import annotations

import email
import email.policy
import glob
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import redis


def free_port() -> int:
    """A port nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


# --- Redis ----------------------------------------------------------------------------------------------


class RedisServer:
    """`redis-server --save '' --appendonly no` on a port of its own; stop() and start() again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def answers(self) -> bool:
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_until(self.answers, timeout=10):
            self.stop()
            raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- PostgreSQL -------------------------------------------------------------------------------------------


def pg_bindir() -> str:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    for directory in reversed(candidates):
        if os.access(f"{directory}/pg_ctl", os.X_OK):
            return directory
    found = shutil.which("pg_ctl")
    if found:
        return os.path.dirname(found)
    raise RuntimeError("initdb/pg_ctl not found")


class PgCluster:
    """A PostgreSQL cluster in a temp dir on a free port (as user postgres when run as root, since PostgreSQL
    refuses to run as root), the way scripts/test-services.sh starts its throwaway server."""

    def __init__(self) -> None:
        self.bindir = pg_bindir()
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="nuanxin-faults-pg.")
        self.data = f"{self.dir}/data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [f"{self.bindir}/{args[0]}", *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def init(self) -> None:
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", self.data, "-l", f"{self.dir}/server.log", "-w", "-t", "60", "-o", options, *extra, action
        )

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast")

    def destroy(self) -> None:
        if os.path.exists(f"{self.data}/postmaster.pid"):
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


# --- SMTP -------------------------------------------------------------------------------------------------


class _SinkHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib. A message counts as delivered only when its final 250 reached a client
    that is still there, the way an MTA drops a message whose sender vanished before the reply."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        server: SMTPSink = self.server  # type: ignore[assignment]
        self.reply("220 sink ESMTP")
        while line := self.rfile.readline():
            verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                server.started.append(b"".join(lines))
                time.sleep(server.delay)
                if _peer_gone(self.connection):
                    continue  # the sender died while we "wrote to disk": not delivered
                self.reply("250 queued")
                server.messages.append(b"".join(lines))
            elif verb == "QUIT":
                if server.stall_quit_after == len(server.messages) and not server.quit_stalled.is_set():
                    server.quit_stalled.set()  # the message is delivered; its sender waits here for the 221
                    time.sleep(server.stall_seconds)
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


def _peer_gone(sock: socket.socket) -> bool:
    """True when the peer closed the connection (a read would return EOF at once)."""
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


class SMTPSink(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port: int, delay: float) -> None:
        super().__init__(("127.0.0.1", port), _SinkHandler)
        self.delay = delay
        self.started: list[bytes] = []  # DATA received, before the 250
        self.messages: list[bytes] = []  # delivered
        # Stall the QUIT that follows the Nth delivered message, to hold its sender between "accepted" and
        # whatever it does next (e.g. committing that it sent it).
        self.stall_quit_after: int | None = None
        self.stall_seconds = 10.0
        self.quit_stalled = threading.Event()

    def message_ids(self) -> list[str]:
        return [email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"] for raw in self.messages]


@contextmanager
def smtp_sink(port: int | None = None, *, delay: float = 0.0) -> Iterator[SMTPSink]:
    server = SMTPSink(port or free_port(), delay)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL a process group started with start_new_session=True (a worker and its pool children)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
