"""Starlette: ``@herald_webhook(secret)`` turns ``async def handler(request, event)`` into an endpoint.

A refused request is answered ``400`` with ``{"error": "webhook_refused", "reason": …, "message": …}``
and the handler does not run. A handler that returns None is answered ``200 ok``. (On FastAPI, use
:class:`herald_sdk.fastapi.HeraldWebhook`, a dependency.)

Example::

    import os
    from starlette.applications import Starlette
    from starlette.routing import Route
    from herald_sdk import WebhookEvent
    from herald_sdk.starlette import herald_webhook

    @herald_webhook(os.environ["HERALD_WEBHOOK_SECRET"])
    async def herald(request, event: WebhookEvent):
        await jobs.enqueue(event)

    app = Starlette(routes=[Route("/webhooks/herald", herald, methods=["POST"])])
"""

from __future__ import annotations

import functools
from typing import Awaitable, Callable, Optional

try:
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("herald_sdk.starlette needs Starlette: pip install starlette") from error

from ._receive import OK_TEXT, Receiver, SecretSource, refusal_body
from .envelope import WebhookEvent
from .errors import WebhookVerificationError
from .timestamps import DEFAULT_FUTURE_TOLERANCE_SECONDS, DEFAULT_TOLERANCE_SECONDS

Handler = Callable[[Request, WebhookEvent], Awaitable[Optional[Response]]]
"""An async handler of a verified event; it may return its own response."""

Endpoint = Callable[[Request], Awaitable[Response]]


def herald_webhook(
    secret: SecretSource,
    *,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    future_tolerance: float = DEFAULT_FUTURE_TOLERANCE_SECONDS,
) -> Callable[[Handler], Endpoint]:
    """Wraps ``handler(request, event)`` into a Starlette endpoint that verifies the delivery first.

    :param secret: the endpoint secret, a list of them during a rotation, or a function returning them.
    :param tolerance: how old the timestamp may be, in seconds (default 900).
    :param future_tolerance: how far ahead it may be, in seconds (default 300).
    """
    receiver = Receiver(secret, tolerance, future_tolerance)

    def decorate(handler: Handler) -> Endpoint:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            body = await request.body()
            try:
                event = receiver.verify(body, request.headers)
            except WebhookVerificationError as error:
                return JSONResponse(refusal_body(error), status_code=400)
            response = await handler(request, event)
            return PlainTextResponse(OK_TEXT) if response is None else response

        return endpoint

    return decorate
