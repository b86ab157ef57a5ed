"""The wire format's signature (wire spec §3).

``v1 = hex(HMAC-SHA256(key = UTF-8 bytes of the whole secret string, "<t>." + raw body))``, the
``whsec_`` prefix included in the key: no base64 decoding.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Sequence

from .raw_body import RawBody, body_bytes, utf8


def compute_signature(secret: str, timestamp: int, body: RawBody) -> str:
    """One ``v1`` signature: 64 lowercase hex characters.

    Example::

        compute_signature("whsec_test_secret", 1672531200, raw_body)  # '3337234a…' for the wire spec's test vector
    """
    return hex_signature(secret, str(_check_timestamp(timestamp)), body_bytes(body, "body"))


def signature_header(secrets: Sequence[str], timestamp: int, body: RawBody) -> str:
    """The ``X-Webhook-Signature`` value Herald sends: ``t=<t>,v1=<sig>``, one ``v1`` per secret, in
    the order given (newest first during a rotation). For testing your receiver.

    Example::

        headers = {"X-Webhook-Signature": signature_header(["whsec_test"], int(time.time()), body)}
    """
    if isinstance(secrets, str) or len(secrets) == 0:
        raise TypeError("secrets must be a non-empty list of secrets")
    text = str(_check_timestamp(timestamp))
    data = body_bytes(body, "body")
    return f"t={text}" + "".join(f",v1={hex_signature(secret, text, data)}" for secret in secrets)


def signatures_equal(expected: str, candidate: str) -> bool:
    """Compares a computed signature with one from a request in constant time (``hmac.compare_digest``).

    Compared as UTF-8 bytes: ``compare_digest`` raises on a str with non-ASCII characters, and a
    request may send anything.
    """
    return hmac.compare_digest(expected.encode("ascii"), candidate.encode("utf-8", "surrogatepass"))


def hex_signature(secret: str, timestamp_text: str, body: bytes) -> str:
    """The hex HMAC over ``"<timestamp_text>." + body``, keyed with the UTF-8 bytes of ``secret``."""
    mac = hmac.new(utf8(secret), timestamp_text.encode("ascii") + b".", hashlib.sha256)
    mac.update(body)
    return mac.hexdigest()


def _check_timestamp(timestamp: int) -> int:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise TypeError("timestamp must be whole Unix seconds (a non-negative int)")
    return timestamp
