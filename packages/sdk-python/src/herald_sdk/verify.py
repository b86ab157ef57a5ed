"""Verifying a delivery: ``verify_webhook`` and ``verify_signature``.

The semantics mirror the Node SDK's ``verifyWebhook`` (packages/sdk/src/verify.ts) check for check,
so a request one SDK accepts the other accepts too, and a refusal carries the same ``reason``.
"""

from __future__ import annotations

from collections import abc
from typing import List, Optional, Sequence, Tuple, Union

from .envelope import WebhookEvent, parse_envelope
from .errors import WebhookVerificationError
from .headers import Headers, assert_headers, js_trim, read_header
from .raw_body import RawBody, body_bytes
from .signature import hex_signature, signatures_equal
from .standard_webhooks import STANDARD_WEBHOOKS_HEADERS, verify_standard_webhooks
from .timestamps import (
    DEFAULT_FUTURE_TOLERANCE_SECONDS,
    DEFAULT_TOLERANCE_SECONDS,
    Clock,
    TimestampWindow,
    parse_timestamp,
)

SIGNATURE_HEADER = "x-webhook-signature"
CONTACTS_MANAGER_SIGNATURE_HEADER = "x-contactsmanager-signature"

Secrets = Union[str, Sequence[str]]
"""The endpoint secret, or several during a rotation."""


def verify_webhook(
    raw_body: RawBody,
    headers: Headers,
    secret: Secrets,
    *,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    future_tolerance: float = DEFAULT_FUTURE_TOLERANCE_SECONDS,
    now: Optional[Clock] = None,
) -> WebhookEvent:
    """Verifies a delivery and returns its parsed, typed event.

    Reads ``X-Webhook-Signature`` (or ``X-ContactsManager-Signature``): ``t=<t>,v1=<hex>[,v1=<hex>…]``.
    Every ``v1`` is checked against every secret, so a receiver keeps working through a rotation
    whichever secret it holds. Without those headers, the Standard Webhooks headers (``webhook-id``,
    ``webhook-timestamp``, ``webhook-signature``) are verified instead. Header names match in any case.

    :param raw_body: the body exactly as received (bytes, or str encoded as UTF-8), never a parsed dict.
    :param headers: the request headers: a dict or a framework's ``request.headers``.
    :param secret: the endpoint secret, or a list of secrets (during a rotation).
    :param tolerance: how old the timestamp may be, in seconds (default 900).
    :param future_tolerance: how far ahead of this machine's clock it may be, in seconds (default 300).
    :param now: the clock, returning Unix seconds; inject one in tests. Default ``time.time``.
    :raises WebhookVerificationError: for anything that must not be trusted; see its ``reason``.
    :raises TypeError: for an argument of the wrong type, naming it (a bug to fix, not a request to refuse).
    :raises ValueError: for an empty secret or a negative tolerance, naming it.

    Example::

        from herald_sdk import is_catalog_event, verify_webhook

        event = verify_webhook(request.body, request.headers, os.environ["HERALD_WEBHOOK_SECRET"])
        if is_catalog_event(event) and event["event"] == "user.new":
            print(event["payload"]["full_name"])
    """
    data, secrets, window = _arguments(raw_body, headers, secret, tolerance, future_tolerance, now)
    _verify(data, headers, secrets, window)
    # A str is parsed as it is, as JSON.parse takes a JavaScript string: no round trip through bytes.
    return parse_envelope(raw_body if isinstance(raw_body, str) else data)


def verify_signature(
    raw_body: RawBody,
    headers: Headers,
    secret: Secrets,
    *,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    future_tolerance: float = DEFAULT_FUTURE_TOLERANCE_SECONDS,
    now: Optional[Clock] = None,
) -> None:
    """:func:`verify_webhook` without parsing the body: checks the signature headers and timestamp,
    raises :class:`WebhookVerificationError` or returns None. For receivers that pass the verified
    bytes on as they are (to a queue, say) and parse them elsewhere.

    Example::

        verify_signature(raw_body, request.headers, os.environ["HERALD_WEBHOOK_SECRET"])
        queue.send(raw_body)
    """
    data, secrets, window = _arguments(raw_body, headers, secret, tolerance, future_tolerance, now)
    _verify(data, headers, secrets, window)


def resolve_secrets(secret: object, argument: str = "secret") -> Tuple[str, ...]:
    """Normalizes ``secret | secrets`` to a non-empty tuple of non-empty strings, naming ``argument`` when it cannot."""
    if isinstance(secret, str):
        if secret == "":
            raise ValueError(f"{argument} must not be empty")
        return (secret,)
    if isinstance(secret, (bytes, bytearray)) or not isinstance(secret, abc.Sequence):
        raise TypeError(
            f"{argument} must be the endpoint secret (a str) or a list of secrets, got {type(secret).__name__}"
        )
    if len(secret) == 0:
        raise ValueError(f"{argument} must hold at least one secret")
    for i, value in enumerate(secret):
        if not isinstance(value, str):
            raise TypeError(f"{argument}[{i}] must be a str, got {type(value).__name__}")
        if value == "":
            raise ValueError(f"{argument}[{i}] must not be empty")
    return tuple(secret)


def _arguments(
    raw_body: RawBody,
    headers: Headers,
    secret: Secrets,
    tolerance: float,
    future_tolerance: float,
    now: Optional[Clock],
) -> Tuple[bytes, Tuple[str, ...], TimestampWindow]:
    """Checks every argument, in the Node SDK's order, before anything is verified."""
    data = body_bytes(raw_body, "raw_body")
    assert_headers(headers, "headers")
    return data, resolve_secrets(secret), TimestampWindow.create(tolerance, future_tolerance, now)


def _verify(body: bytes, headers: Headers, secrets: Sequence[str], window: TimestampWindow) -> None:
    signature = read_header(headers, SIGNATURE_HEADER)
    if signature is None:
        signature = read_header(headers, CONTACTS_MANAGER_SIGNATURE_HEADER)
    if signature is not None:
        return _verify_signature_header(body, signature, secrets, window)
    standard = read_header(headers, STANDARD_WEBHOOKS_HEADERS["signature"])
    if standard is None:
        raise WebhookVerificationError(
            "missing_header", "no X-Webhook-Signature, X-ContactsManager-Signature or webhook-signature header"
        )
    verify_standard_webhooks(body, headers, standard, secrets, window)


def _verify_signature_header(body: bytes, header: str, secrets: Sequence[str], window: TimestampWindow) -> None:
    """Checks ``t=<t>,v1=<hex>…`` against the body; raises unless a ``v1`` matches."""
    timestamp_text: Optional[str] = None
    candidates: List[str] = []
    # Parts are trimmed because Node, Fetch and WSGI servers join a header sent twice with ", " or ",":
    # the second copy's " t" then counts as a second t and the request is refused as malformed.
    for part in header.split(","):
        key, equals, value = part.partition("=")
        if not equals:
            raise WebhookVerificationError("malformed_header", "signature header parts must look like key=value")
        key = js_trim(key)
        if key == "t":
            if timestamp_text is not None:
                raise WebhookVerificationError("malformed_header", "signature header has more than one t")
            timestamp_text = js_trim(value)
        elif key == "v1":
            candidates.append(js_trim(value))
    if timestamp_text is None:
        raise WebhookVerificationError("malformed_header", "signature header has no t=<timestamp>")
    timestamp = parse_timestamp(timestamp_text)
    if timestamp is None:
        raise WebhookVerificationError("malformed_header", "t must be whole Unix seconds")
    if not candidates:
        raise WebhookVerificationError("malformed_header", "signature header has no v1=<signature>")
    window.check(timestamp)

    # Signed with the header's own digits, exactly as the sender wrote them ("0123" stays "0123").
    for secret in secrets:
        expected = hex_signature(secret, timestamp_text, body)
        if any(signatures_equal(expected, candidate) for candidate in candidates):
            return
    raise WebhookVerificationError("no_matching_signature", "no v1 signature matches any of the secrets")
