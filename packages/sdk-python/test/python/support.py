"""Shared pieces of the Python SDK's tests: fixtures, an independent signer, loud skips, real servers.

The signer here is written from the wire spec (§3) without the SDK, so a test that signs with it and
verifies with the SDK checks one against the other.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import importlib
import json
import os
import socket
import sys
import threading
import time
import unittest
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

HERE = Path(__file__).resolve().parent
PACKAGE_DIR = HERE.parent.parent
REPO_DIR = PACKAGE_DIR.parent.parent

VECTOR_SECRET = "whsec_test_secret"
VECTOR_TIMESTAMP = 1672531200
VECTOR_BODY = (
    b'{"id":"123e4567-e89b-12d3-a456-426614174000","event":"user.new","payload":{"organization_id":"uuid",'
    b'"user_id":"uuid","email":"user@example.com","phone":"+14155552671","full_name":"John Doe"}}'
)
VECTOR_V1 = "3337234afccbe4af5a215ad21fd39ca4a8960cd8b979c5877f30bdc00677dfaf"

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo="
OTHER_SECRET = "whsec_3tUbmsx9ka6YoCHzV/XzMuSR9lSSQB/9xOYO61hkmZI="

UNDER_CI = os.environ.get("CI") == "true"


def fixed_clock(seconds: float = VECTOR_TIMESTAMP) -> Any:
    """A clock stopped at ``seconds`` (default the test vector's timestamp)."""
    return lambda: seconds


def envelope(
    event: str = "user.new", payload: Optional[Dict[str, Any]] = None, id: str = "123e4567-e89b-12d3-a456-426614174000"
) -> bytes:
    """A delivery body, valid by default (``user.new`` with the catalog example), compact as Herald writes it."""
    if payload is None:
        payload = {
            "organization_id": "uuid",
            "user_id": "uuid",
            "email": "user@example.com",
            "phone": "+14155552671",
            "full_name": "John Doe",
        }
    return json.dumps({"id": id, "event": event, "payload": payload}, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def v1(secret: str, timestamp: Union[int, str], body: bytes) -> str:
    """hex(HMAC-SHA256(UTF-8 of the secret, "<t>." + body)), from the wire spec; ``timestamp`` as written."""
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes, secrets: Sequence[str] = (SECRET,), timestamp: int = VECTOR_TIMESTAMP
) -> Dict[str, str]:
    """Headers as Herald sends them for ``body``, one ``v1`` per secret."""
    value = f"t={timestamp}" + "".join(f",v1={v1(secret, timestamp, body)}" for secret in secrets)
    return {"content-type": "application/json", "x-webhook-signature": value, "x-contactsmanager-signature": value}


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One Standard Webhooks entry, from its spec: key = base64-decoded secret after ``whsec_``."""
    key = base64.b64decode(secret[len("whsec_") :])
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode("utf-8") + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def now_seconds() -> int:
    return int(time.time())


def require_module(name: str, apt_package: str) -> ModuleType:
    """Imports ``name`` or skips the calling test module loudly; under ``CI=true`` a missing module fails instead."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        reason = f"{name} cannot be imported by {sys.executable} ({error}): apt-get install {apt_package}"
        _skip_loudly(reason)
        raise AssertionError("unreachable")


def require_fixture(variable: str) -> Any:
    """The JSON file named by environment variable ``variable`` (written by test/python-sdk.test.ts),
    or a loud skip; under ``CI=true`` a missing file fails instead."""
    path = os.environ.get(variable)
    if not path:
        _skip_loudly(
            f"${variable} is not set: these cases come from test/python-sdk.test.ts (run: node scripts/test.mjs sdk-python)"
        )
    return json.loads(Path(str(path)).read_text("utf-8"))


def _skip_loudly(reason: str) -> None:
    banner = "!" * 72
    print(f"\n{banner}\nSKIPPED: {reason}\n{banner}", file=sys.stderr)
    if UNDER_CI:
        raise RuntimeError(f"required under CI=true: {reason}")
    raise unittest.SkipTest(reason)


# Real HTTP servers on 127.0.0.1 ------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the name is the stdlib's
        pass


@contextlib.contextmanager
def serve_wsgi(app: Any) -> Iterator[str]:
    """Serves a WSGI app (Flask, Django) with the standard library's server; yields its base URL."""
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Serves an ASGI app (FastAPI, Starlette) with uvicorn in a thread; yields its base URL."""
    uvicorn = require_module("uvicorn", "python3-uvicorn")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 10 s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class Answer:
    """An HTTP response: status, content type and body."""

    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        self.status = status
        self.content_type = content_type
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.content_type!r}, {self.body[:200]!r})"


def post(url: str, body: bytes, headers: Sequence[Tuple[str, str]]) -> Answer:
    """POSTs ``body`` with ``headers`` (a list, so a header can be sent twice) over a real connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.putrequest("POST", parts.path or "/")
        for name, value in [*headers, ("Content-Length", str(len(body)))]:
            connection.putheader(name, value.encode("latin-1"))
        connection.endheaders(body)
        response = connection.getresponse()
        return Answer(response.status, response.getheader("content-type") or "", response.read())
    finally:
        connection.close()


# Set by the connection itself; a captured copy would be sent twice.
_CONNECTION_HEADERS = {"host", "content-length", "connection", "transfer-encoding"}


def header_list(headers: Dict[str, str]) -> List[Tuple[str, str]]:
    """``headers`` to send again: those of a captured delivery less the ones the new connection sets."""
    return [(name, value) for name, value in headers.items() if name.lower() not in _CONNECTION_HEADERS]
