"""Standard Webhooks (https://www.standardwebhooks.com) headers, sent alongside the wire format's own
for endpoints with ``signature_scheme: "both"``.

``webhook-signature`` holds space-separated ``v1,<base64>`` entries, each an HMAC-SHA256 of
``"<webhook-id>.<webhook-timestamp>.<body>"``. Unlike the wire format, the key is the base64-decoded
part of the secret after ``whsec_``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Optional, Sequence

from .errors import WebhookVerificationError
from .headers import Headers, js_trim, read_header
from .raw_body import RawBody, body_bytes, utf8
from .signature import signatures_equal
from .timestamps import TimestampWindow, parse_timestamp

STANDARD_WEBHOOKS_HEADERS = {"id": "webhook-id", "timestamp": "webhook-timestamp", "signature": "webhook-signature"}
"""The header names of Standard Webhooks."""

_PREFIX = "whsec_"
# Padded standard base64, nothing else: a lenient decoder would turn a differently written key into the same bytes.
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def standard_webhooks_signature(secrets: Sequence[str], msg_id: str, timestamp: int, body: RawBody) -> str:
    """The ``webhook-signature`` value: ``v1,<base64>`` per secret, space-separated, in the order given.

    A secret whose key part is not valid base64 cannot be a Standard Webhooks key and is skipped; when
    none is usable the result is the empty string. For testing your receiver.

    Example::

        standard_webhooks_signature(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], "msg_1", 1614265330, b'{"test":1}')
        # 'v1,…base64…='
    """
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise TypeError("timestamp must be whole Unix seconds (a non-negative int)")
    data = body_bytes(body, "body")
    entries = []
    for secret in secrets:
        key = _key(secret)
        if key is not None:
            entries.append(f"v1,{_sign(key, msg_id, timestamp, data)}")
    return " ".join(entries)


def verify_standard_webhooks(
    body: bytes, headers: Headers, signature_header: str, secrets: Sequence[str], window: TimestampWindow
) -> None:
    """Raises :class:`WebhookVerificationError` unless a ``v1`` entry matches one of ``secrets``.

    Entries are compared as base64 text, as the ``standardwebhooks`` library does, not decoded.
    """
    msg_id = read_header(headers, STANDARD_WEBHOOKS_HEADERS["id"])
    timestamp_text = read_header(headers, STANDARD_WEBHOOKS_HEADERS["timestamp"])
    if msg_id is None:
        raise WebhookVerificationError("missing_header", "webhook-signature is present but webhook-id is missing")
    if timestamp_text is None:
        raise WebhookVerificationError(
            "missing_header", "webhook-signature is present but webhook-timestamp is missing"
        )
    timestamp = parse_timestamp(js_trim(timestamp_text))
    if timestamp is None:
        raise WebhookVerificationError("malformed_header", "webhook-timestamp must be whole Unix seconds")

    candidates = []
    for entry in signature_header.split(" "):
        if entry == "":
            continue
        comma = entry.find(",")
        if comma <= 0:
            raise WebhookVerificationError("malformed_header", "webhook-signature entries must look like v1,<base64>")
        # Other versions (v1a: asymmetric) are legal but not ours to check.
        if entry[:comma] == "v1":
            candidates.append(entry[comma + 1 :])
    if not candidates:
        raise WebhookVerificationError("no_matching_signature", "webhook-signature has no v1 signature")

    window.check(timestamp)
    for secret in secrets:
        key = _key(secret)
        if key is None:
            continue
        expected = _sign(key, msg_id, timestamp, body)
        if any(signatures_equal(expected, candidate) for candidate in candidates):
            return
    raise WebhookVerificationError("no_matching_signature", "no webhook-signature entry matches any of the secrets")


def _key(secret: str) -> Optional[bytes]:
    """The HMAC key of a Standard Webhooks secret, or None when it is not ``[whsec_]<base64>``."""
    encoded = secret[len(_PREFIX) :] if secret.startswith(_PREFIX) else secret
    if encoded == "" or not _BASE64.fullmatch(encoded):
        return None
    return base64.b64decode(encoded)


def _sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    # The timestamp as a number, not the header's own digits: "01614265330" signs as "1614265330".
    mac = hmac.new(key, utf8(f"{msg_id}.{timestamp}."), hashlib.sha256)
    mac.update(body)
    return base64.b64encode(mac.digest()).decode("ascii")
