"""What the framework helpers share: options checked at start-up, the verification, the 400 answer."""

from __future__ import annotations

from typing import Callable, Dict, Sequence, Union

from .envelope import WebhookEvent
from .errors import WebhookVerificationError
from .headers import Headers
from .raw_body import RawBody
from .timestamps import TimestampWindow
from .verify import resolve_secrets, verify_webhook

SecretSource = Union[str, Sequence[str], Callable[[], Union[str, Sequence[str]]]]
"""The endpoint secret, several during a rotation, or a function returning them on each request
(to read them from your framework's settings)."""

OK_TEXT = "ok"
"""The body of the ``200`` a helper answers when your handler returns None."""


class Receiver:
    """The checked options of one helper, and the verification it runs on each request."""

    def __init__(self, secret: SecretSource, tolerance: float, future_tolerance: float) -> None:
        # Checked now, so a missing secret fails at start-up rather than on the first delivery.
        if not callable(secret):
            resolve_secrets(secret)
        TimestampWindow.create(tolerance, future_tolerance, None)
        self._secret = secret
        self._tolerance = tolerance
        self._future_tolerance = future_tolerance

    def verify(self, body: RawBody, headers: Headers) -> WebhookEvent:
        """:func:`herald_sdk.verify_webhook` with this helper's options."""
        secret = self._secret() if callable(self._secret) else self._secret
        return verify_webhook(body, headers, secret, tolerance=self._tolerance, future_tolerance=self._future_tolerance)


def refusal_body(error: WebhookVerificationError) -> Dict[str, str]:
    """The JSON body of a ``400``: the reason and its detail, which never contain the secret.

    Herald keeps the answer in its delivery log, so the sender sees why it was refused.
    """
    return {"error": "webhook_refused", "reason": error.reason, "message": str(error)}
