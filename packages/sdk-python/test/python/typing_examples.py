"""Code a receiver writes, checked by mypy --strict in test_typing.py (never run).

Each ``# type: ignore[code]`` marks a mistake the types must catch: mypy runs with
``warn_unused_ignores``, so if the SDK's types stopped catching one, the ignore would be unused
and the check would fail.
"""

from __future__ import annotations

import os
from typing import List, Optional

import flask
from django.http import HttpRequest, HttpResponse
from fastapi import Depends, FastAPI
from starlette.requests import Request

from herald_sdk import (
    WebhookEvent,
    WebhookVerificationError,
    is_catalog_event,
    is_event_type,
    verify_signature,
    verify_webhook,
    wire_body,
)
from herald_sdk.django import herald_webhook as django_webhook
from herald_sdk.events import UserCreateEventPayload, UserNewEvent
from herald_sdk.fastapi import HeraldWebhook
from herald_sdk.flask import herald_webhook as flask_webhook
from herald_sdk.starlette import herald_webhook as starlette_webhook

SECRET = os.environ.get("HERALD_WEBHOOK_SECRET", "whsec_x")


def core(raw_body: bytes, headers: flask.Request) -> None:
    event: WebhookEvent = verify_webhook(raw_body, headers.headers, SECRET)
    verify_webhook(raw_body.decode(), {"X-Webhook-Signature": "t=1,v1=a"}, [SECRET, "whsec_old"], tolerance=60)
    verify_signature(raw_body, {"x-webhook-signature": ["t=1,v1=a"]}, (SECRET,), now=lambda: 1672531200.0)
    verify_webhook(wire_body(event), {}, SECRET)

    verify_webhook(raw_body, {}, 42)  # type: ignore[arg-type]
    verify_webhook(raw_body, {}, SECRET, 900)  # type: ignore[misc]
    event["payload"]["full_name"]  # type: ignore[typeddict-item]  # not narrowed: not every payload has it

    if is_catalog_event(event):
        if event["event"] == "user.new":
            full_name: Optional[str] = event["payload"]["full_name"]
            event["payload"]["followed_id"]  # type: ignore[typeddict-item]
        elif event["event"] == "user.is_contact":
            matched: List[str] = event["payload"]["matched_user_ids"]
    if is_event_type(event, "user.follow"):
        follower: str = event["payload"]["follower_id"]
        source: object = dict(event["payload"]).get("source")  # a field a producer added
    is_event_type(event, "user.nope")  # type: ignore[call-overload]

    try:
        verify_webhook(raw_body, {}, SECRET)
    except WebhookVerificationError as error:
        if error.reason == "timestamp_to_old":  # type: ignore[comparison-overlap]
            pass


def payloads(event: UserNewEvent) -> None:
    minimal: UserCreateEventPayload = {
        "organization_id": "o",
        "user_id": "u",
        "event_id": "e",
        "event_type": "meeting",
        "title": "Standup",
    }
    missing: UserCreateEventPayload = {"organization_id": "o"}  # type: ignore[typeddict-item]
    name: str = event["payload"]["full_name"]  # type: ignore[assignment]  # Optional[str]


app = flask.Flask(__name__)


@app.post("/webhooks")
@flask_webhook(SECRET)
def flask_view(event: WebhookEvent) -> None:
    pass


@app.post("/webhooks/<tenant>")
@flask_webhook(lambda: [SECRET])
async def flask_async_view(event: WebhookEvent, tenant: str) -> str:
    return tenant


def calls() -> None:
    flask_view()
    flask_async_view(tenant="acme")
    flask_async_view(tenant=1)  # type: ignore[arg-type]  # the URL argument keeps its type


@flask_webhook(SECRET)  # type: ignore[arg-type]
def flask_view_without_event() -> None:
    pass


@django_webhook(SECRET)
def django_view(request: HttpRequest, event: WebhookEvent) -> None:
    pass


@django_webhook(SECRET)
async def django_async_view(request: HttpRequest, event: WebhookEvent, tenant: str) -> HttpResponse:
    return HttpResponse(tenant)


@django_webhook(SECRET)  # type: ignore[arg-type]
def django_view_without_event(request: HttpRequest) -> None:
    pass


api = FastAPI()
herald_event = HeraldWebhook(SECRET)


@api.post("/webhooks")
async def fastapi_endpoint(event: WebhookEvent = Depends(herald_event)) -> str:
    return event["id"]


HeraldWebhook(42)  # type: ignore[arg-type]


@starlette_webhook(SECRET)
async def starlette_endpoint(request: Request, event: WebhookEvent) -> None:
    pass


@starlette_webhook(SECRET)  # type: ignore[arg-type]
def starlette_sync_endpoint(request: Request, event: WebhookEvent) -> None:
    pass
