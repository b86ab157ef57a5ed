"""FastAPI: ``HeraldWebhook(secret)`` is a dependency that verifies the request and gives your
endpoint the event.

A refused request is answered ``400`` with ``{"detail": {"error": "webhook_refused", "reason": …,
"message": …}}`` (FastAPI's shape for an ``HTTPException``) and the endpoint does not run.

Example::

    import os
    from fastapi import Depends, FastAPI
    from herald_sdk import WebhookEvent
    from herald_sdk.fastapi import HeraldWebhook

    app = FastAPI()
    herald_event = HeraldWebhook(os.environ["HERALD_WEBHOOK_SECRET"])

    @app.post("/webhooks/herald")
    async def herald(event: WebhookEvent = Depends(herald_event)) -> str:
        await jobs.enqueue(event)
        return "ok"
"""

# No `from __future__ import annotations` here: FastAPI reads the annotations of __call__ at run
# time, and cannot resolve postponed ones on a callable instance.

try:
    from fastapi import HTTPException, Request
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("herald_sdk.fastapi needs FastAPI: pip install fastapi") from error

from ._receive import Receiver, SecretSource, refusal_body
from .envelope import WebhookEvent
from .errors import WebhookVerificationError
from .timestamps import DEFAULT_FUTURE_TOLERANCE_SECONDS, DEFAULT_TOLERANCE_SECONDS


class HeraldWebhook:
    """A FastAPI dependency: ``event: WebhookEvent = Depends(HeraldWebhook(secret))``.

    :param secret: the endpoint secret, a list of them during a rotation, or a function returning them.
    :param tolerance: how old the timestamp may be, in seconds (default 900).
    :param future_tolerance: how far ahead it may be, in seconds (default 300).
    """

    def __init__(
        self,
        secret: SecretSource,
        *,
        tolerance: float = DEFAULT_TOLERANCE_SECONDS,
        future_tolerance: float = DEFAULT_FUTURE_TOLERANCE_SECONDS,
    ) -> None:
        self._receiver = Receiver(secret, tolerance, future_tolerance)

    async def __call__(self, request: Request) -> WebhookEvent:
        """Reads the raw body, verifies it, and returns the event or raises ``HTTPException(400)``."""
        body = await request.body()
        try:
            return self._receiver.verify(body, request.headers)
        except WebhookVerificationError as error:
            raise HTTPException(status_code=400, detail=refusal_body(error)) from None
