"""The one error a verification raises, and its stable reasons."""

from __future__ import annotations

from typing import Literal, Tuple

VerificationFailureReason = Literal[
    "missing_header",
    "malformed_header",
    "timestamp_too_old",
    "timestamp_in_future",
    "no_matching_signature",
    "invalid_json",
]
"""Why a webhook was refused: the same values as the Node SDK's ``VerificationFailureReason``."""

VERIFICATION_FAILURE_REASONS: Tuple[VerificationFailureReason, ...] = (
    "missing_header",
    "malformed_header",
    "timestamp_too_old",
    "timestamp_in_future",
    "no_matching_signature",
    "invalid_json",
)
"""Every reason, in the order ``docs/receiving.md`` lists them."""


class WebhookVerificationError(Exception):
    """The one error :func:`herald_sdk.verify_webhook` raises for a request that must not be trusted.

    Switch on :attr:`reason`; the message adds a human-readable detail. Neither ever contains the
    secret, so both are safe to log and to send back to the sender (the framework helpers answer
    ``400`` with them, and Herald keeps the answer in its delivery log).

    Example::

        try:
            event = verify_webhook(body, headers, secret)
        except WebhookVerificationError as error:
            log.warning("refused webhook: %s", error.reason)
            raise
    """

    reason: VerificationFailureReason

    def __init__(self, reason: VerificationFailureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> Tuple[type, Tuple[VerificationFailureReason, str]]:
        # The default pickles only the message, and __init__ needs the reason too (multiprocessing, task queues).
        return (type(self), (self.reason, str(self)))
