"""Flask: ``@herald_webhook(secret)`` verifies the request before your view runs.

The view gets the verified event as its first argument (then the URL's own arguments). A refused
request is answered ``400`` with ``{"error": "webhook_refused", "reason": …, "message": …}`` and
the view does not run. A view that returns None is answered ``200 ok``; an exception in it becomes
Flask's ``500``, so Herald retries. Async views work too (Flask's ``async`` extra).

Example::

    import os
    from flask import Flask
    from herald_sdk import WebhookEvent, is_catalog_event
    from herald_sdk.flask import herald_webhook

    app = Flask(__name__)

    @app.post("/webhooks/herald")
    @herald_webhook(os.environ["HERALD_WEBHOOK_SECRET"])
    def herald(event: WebhookEvent) -> None:
        if is_catalog_event(event) and event["event"] == "user.new":
            jobs.enqueue(event)
"""

from __future__ import annotations

import functools
import inspect
import sys
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, Protocol, overload

try:
    from flask import Response, jsonify, request
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("herald_sdk.flask needs Flask: pip install flask") from error

from ._receive import OK_TEXT, Receiver, SecretSource, refusal_body
from .envelope import WebhookEvent
from .errors import WebhookVerificationError
from .timestamps import DEFAULT_FUTURE_TOLERANCE_SECONDS, DEFAULT_TOLERANCE_SECONDS

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

    if sys.version_info >= (3, 10):
        from typing import Concatenate, ParamSpec
    else:
        from typing_extensions import Concatenate, ParamSpec

    P = ParamSpec("P")

    class FlaskWebhookDecorator(Protocol):
        """What ``herald_webhook(...)`` returns: a decorator for a sync or an async view."""

        @overload
        def __call__(
            self, view: Callable[Concatenate[WebhookEvent, P], Awaitable[Optional[ResponseReturnValue]]]
        ) -> Callable[P, Awaitable[ResponseReturnValue]]:
            ...

        @overload
        def __call__(
            self, view: Callable[Concatenate[WebhookEvent, P], Optional[ResponseReturnValue]]
        ) -> Callable[P, ResponseReturnValue]:
            ...


def herald_webhook(
    secret: SecretSource,
    *,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    future_tolerance: float = DEFAULT_FUTURE_TOLERANCE_SECONDS,
) -> FlaskWebhookDecorator:
    """Decorates a Flask view so that it runs only for a verified delivery, with the event as its first argument.

    :param secret: the endpoint secret, a list of them during a rotation, or a function returning
        them (e.g. ``lambda: current_app.config["HERALD_WEBHOOK_SECRET"]``).
    :param tolerance: how old the timestamp may be, in seconds (default 900).
    :param future_tolerance: how far ahead it may be, in seconds (default 300).
    """
    receiver = Receiver(secret, tolerance, future_tolerance)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_view(*args: Any, **kwargs: Any) -> Any:
                try:
                    event = _verify(receiver)
                except WebhookVerificationError as error:
                    return _refused(error)
                return _answer(await view(event, *args, **kwargs))

            return async_view

        @functools.wraps(view)
        def sync_view(*args: Any, **kwargs: Any) -> Any:
            try:
                event = _verify(receiver)
            except WebhookVerificationError as error:
                return _refused(error)
            return _answer(view(event, *args, **kwargs))

        return sync_view

    return decorate


def _verify(receiver: Receiver) -> WebhookEvent:
    # get_data(cache=True): the bytes as received, still readable by the view afterwards.
    return receiver.verify(request.get_data(cache=True), request.headers)


def _refused(error: WebhookVerificationError) -> Response:
    response = jsonify(refusal_body(error))
    response.status_code = 400
    return response


def _answer(result: Optional[ResponseReturnValue]) -> ResponseReturnValue:
    return (OK_TEXT, 200) if result is None else result
