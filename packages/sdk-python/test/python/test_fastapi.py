"""herald_sdk.fastapi and herald_sdk.starlette against real apps served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import base64
import unittest
from typing import Any, Dict, List

from support import (
    OTHER_SECRET,
    SECRET,
    envelope,
    header_list,
    now_seconds,
    post,
    require_fixture,
    require_module,
    serve_asgi,
    signed_headers,
)

fastapi = require_module("fastapi", "python3-fastapi")
require_module("uvicorn", "python3-uvicorn")

from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from herald_sdk import WebhookEvent  # noqa: E402
from herald_sdk.fastapi import HeraldWebhook  # noqa: E402
from herald_sdk.starlette import herald_webhook  # noqa: E402

received: List[Any] = []
replay_secrets: List[str] = []


def build_fastapi() -> Any:
    app = fastapi.FastAPI()
    herald_event = HeraldWebhook(SECRET)
    rotating = HeraldWebhook(lambda: [OTHER_SECRET, SECRET])

    @app.post("/webhooks")
    async def plain(request: Request, event: WebhookEvent = fastapi.Depends(herald_event)) -> str:
        received.append(("plain", event, await request.body()))
        return "ok"

    @app.post("/webhooks/{tenant}", status_code=201)
    def with_arguments(tenant: str, event: WebhookEvent = fastapi.Depends(rotating)) -> Dict[str, str]:
        received.append(("with_arguments", event, tenant))
        return {"tenant": tenant, "id": event["id"]}

    @app.post("/replay")
    async def replay(event: WebhookEvent = fastapi.Depends(HeraldWebhook(lambda: replay_secrets))) -> str:
        received.append(("replay", event, None))
        return "ok"

    return app


def build_starlette() -> Any:
    @herald_webhook(SECRET)
    async def plain(request: Request, event: WebhookEvent) -> None:
        received.append(("plain", event, await request.body()))

    @herald_webhook(SECRET)
    async def own_response(request: Request, event: WebhookEvent) -> Response:
        return JSONResponse({"id": event["id"]}, status_code=202)

    @herald_webhook(lambda: replay_secrets)
    async def replay(request: Request, event: WebhookEvent) -> None:
        received.append(("replay", event, None))

    return Starlette(
        routes=[
            Route("/webhooks", plain, methods=["POST"]),
            Route("/own", own_response, methods=["POST"]),
            Route("/replay", replay, methods=["POST"]),
        ]
    )


class ServedTest(unittest.TestCase):
    """Serves the app ``build()`` returns for each test; its checks run in both subclasses (it has no tests itself)."""

    def setUp(self) -> None:
        received.clear()
        server = serve_asgi(type(self).build())
        self.url = server.__enter__()
        self.addCleanup(server.__exit__, None, None, None)

    @staticmethod
    def build() -> Any:
        raise NotImplementedError

    def send(self, path: str, body: bytes, headers: Dict[str, str]) -> Any:
        return post(self.url + path, body, header_list(headers))

    def refusal(self, answer: Any) -> Dict[str, str]:
        raise NotImplementedError

    def check_refusals(self) -> None:
        body = envelope()
        fresh = now_seconds()
        cases = {
            "missing_header": {"content-type": "application/json"},
            "no_matching_signature": signed_headers(body, [OTHER_SECRET], fresh),
            "timestamp_too_old": signed_headers(body, timestamp=fresh - 901),
            "malformed_header": {"x-webhook-signature": "t=1,t=2,v1=abc"},
        }
        for reason, headers in cases.items():
            answer = self.send("/webhooks", body, headers)
            self.assertEqual(answer.status, 400, reason)
            self.assertEqual(answer.content_type, "application/json")
            self.assertEqual(self.refusal(answer)["error"], "webhook_refused")
            self.assertEqual(self.refusal(answer)["reason"], reason)
        not_json = b"{}"
        self.assertEqual(
            self.refusal(self.send("/webhooks", not_json, signed_headers(not_json, timestamp=fresh)))["reason"],
            "invalid_json",
        )
        # ASGI keeps a repeated header apart, so the helper sees both copies.
        value = signed_headers(body, timestamp=fresh)["x-webhook-signature"]
        twice = post(self.url + "/webhooks", body, [("X-Webhook-Signature", value), ("X-Webhook-Signature", value)])
        self.assertEqual((twice.status, self.refusal(twice)["reason"]), (400, "malformed_header"))
        self.assertEqual(received, [])

    def check_real_deliveries(self) -> None:
        for delivery in require_fixture("HERALD_SDK_DELIVERIES"):
            replay_secrets[:] = delivery["secrets"]
            received.clear()
            answer = post(
                self.url + "/replay", base64.b64decode(delivery["body_base64"]), header_list(delivery["headers"])
            )
            self.assertEqual(
                (answer.status, [event for _, event, _ in received]), (200, [delivery["event"]]), delivery["name"]
            )


class FastAPIDependencyTest(ServedTest):
    build = staticmethod(build_fastapi)

    def refusal(self, answer: Any) -> Dict[str, str]:
        detail: Dict[str, str] = answer.json()["detail"]  # FastAPI's shape for an HTTPException
        return detail

    def test_gives_the_endpoint_the_verified_event(self) -> None:
        body = envelope()
        answer = self.send("/webhooks", body, signed_headers(body, timestamp=now_seconds()))
        self.assertEqual((answer.status, answer.json()), (200, "ok"))
        [(_, event, raw)] = received
        self.assertEqual((event["event"], event["payload"]["full_name"], raw), ("user.new", "John Doe", body))

    def test_answers_400_with_the_reason_as_json_and_never_runs_the_endpoint(self) -> None:
        self.check_refusals()

    def test_works_beside_path_parameters_and_reads_secrets_per_request(self) -> None:
        body = envelope()
        answer = self.send("/webhooks/acme", body, signed_headers(body, [OTHER_SECRET], now_seconds()))
        self.assertEqual(
            (answer.status, answer.json()), (201, {"tenant": "acme", "id": "123e4567-e89b-12d3-a456-426614174000"})
        )

    def test_accepts_real_deliveries_from_herald(self) -> None:
        self.check_real_deliveries()


class StarletteDecoratorTest(ServedTest):
    build = staticmethod(build_starlette)

    def refusal(self, answer: Any) -> Dict[str, str]:
        body: Dict[str, str] = answer.json()
        return body

    def test_runs_the_handler_with_the_verified_event_and_answers_200_ok(self) -> None:
        body = envelope()
        answer = self.send("/webhooks", body, signed_headers(body, timestamp=now_seconds()))
        self.assertEqual((answer.status, answer.body), (200, b"ok"))
        [(_, event, raw)] = received
        self.assertEqual((event["event"], raw), ("user.new", body))

    def test_answers_400_with_the_reason_as_json_and_never_runs_the_handler(self) -> None:
        self.check_refusals()

    def test_keeps_the_handlers_own_response(self) -> None:
        body = envelope()
        answer = self.send("/own", body, signed_headers(body, timestamp=now_seconds()))
        self.assertEqual((answer.status, answer.json()), (202, {"id": "123e4567-e89b-12d3-a456-426614174000"}))

    def test_accepts_real_deliveries_from_herald(self) -> None:
        self.check_real_deliveries()


if __name__ == "__main__":
    unittest.main()
