"""Django: ``@herald_webhook(secret)`` verifies the request before your view runs.

The view gets ``(request, event, *args, **kwargs)``. A refused request is answered ``400`` with
``{"error": "webhook_refused", "reason": …, "message": …}`` and the view does not run. A view that
returns None is answered ``200 ok``; an exception in it becomes Django's ``500``, so Herald retries.
The view is CSRF-exempt (a webhook carries no CSRF token; its signature is the check). Async views
work too.

Example::

    # views.py
    from django.conf import settings
    from herald_sdk import WebhookEvent
    from herald_sdk.django import herald_webhook

    @herald_webhook(lambda: settings.HERALD_WEBHOOK_SECRET)
    def herald(request, event: WebhookEvent):
        jobs.enqueue(event)

    # urls.py
    urlpatterns = [path("webhooks/herald", views.herald)]
"""

from __future__ import annotations

import asyncio
import functools
import sys
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, Protocol, overload

try:
    from django.http import HttpRequest, HttpResponse, JsonResponse
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("herald_sdk.django needs Django: pip install django") from error

from ._receive import OK_TEXT, Receiver, SecretSource, refusal_body
from .envelope import WebhookEvent
from .errors import WebhookVerificationError
from .timestamps import DEFAULT_FUTURE_TOLERANCE_SECONDS, DEFAULT_TOLERANCE_SECONDS

if TYPE_CHECKING:
    if sys.version_info >= (3, 10):
        from typing import Concatenate, ParamSpec
    else:
        from typing_extensions import Concatenate, ParamSpec

    P = ParamSpec("P")

    class DjangoWebhookDecorator(Protocol):
        """What ``herald_webhook(...)`` returns: a decorator for a sync or an async view."""

        @overload
        def __call__(
            self, view: Callable[Concatenate[HttpRequest, WebhookEvent, P], Awaitable[Optional[HttpResponse]]]
        ) -> Callable[Concatenate[HttpRequest, P], Awaitable[HttpResponse]]:
            ...

        @overload
        def __call__(
            self, view: Callable[Concatenate[HttpRequest, WebhookEvent, P], Optional[HttpResponse]]
        ) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
            ...


def herald_webhook(
    secret: SecretSource,
    *,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    future_tolerance: float = DEFAULT_FUTURE_TOLERANCE_SECONDS,
) -> DjangoWebhookDecorator:
    """Decorates a Django view so that it runs only for a verified delivery, with the event after the request.

    :param secret: the endpoint secret, a list of them during a rotation, or a function returning
        them (e.g. ``lambda: settings.HERALD_WEBHOOK_SECRET``).
    :param tolerance: how old the timestamp may be, in seconds (default 900).
    :param future_tolerance: how far ahead it may be, in seconds (default 300).
    """
    receiver = Receiver(secret, tolerance, future_tolerance)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        wrapped: Callable[..., Any]
        # Django itself tells async views from sync ones with asyncio.iscoroutinefunction.
        if asyncio.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                try:
                    event = receiver.verify(request.body, request.headers)
                except WebhookVerificationError as error:
                    return _refused(error)
                return _answer(await view(request, event, *args, **kwargs))

            wrapped = async_view
        else:

            @functools.wraps(view)
            def sync_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                try:
                    event = receiver.verify(request.body, request.headers)
                except WebhookVerificationError as error:
                    return _refused(error)
                return _answer(view(request, event, *args, **kwargs))

            wrapped = sync_view
        # What django.views.decorators.csrf.csrf_exempt sets; that decorator itself hides an async
        # view behind a sync wrapper before Django 5.0.
        setattr(wrapped, "csrf_exempt", True)
        return wrapped

    return decorate


def _refused(error: WebhookVerificationError) -> HttpResponse:
    return JsonResponse(refusal_body(error), status=400)


def _answer(result: Optional[HttpResponse]) -> HttpResponse:
    return HttpResponse(OK_TEXT, content_type="text/plain") if result is None else result
