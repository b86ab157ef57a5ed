"""herald_sdk.django against a real Django project served over HTTP on 127.0.0.1, CSRF middleware on."""

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
    serve_wsgi,
    signed_headers,
)

django = require_module("django", "python3-django")

from django.conf import settings  # noqa: E402

settings.configure(
    DEBUG=False,
    SECRET_KEY="herald-sdk-tests",
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"],
    HERALD_WEBHOOK_SECRET=[OTHER_SECRET, SECRET],
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402

from herald_sdk import WebhookEvent  # noqa: E402
from herald_sdk.django import herald_webhook  # noqa: E402

received: List[Any] = []
replay_secrets: List[str] = []


@herald_webhook(SECRET)
def plain(request: HttpRequest, event: WebhookEvent) -> None:
    received.append(("plain", event, request.body))


@herald_webhook(lambda: settings.HERALD_WEBHOOK_SECRET)
def with_arguments(request: HttpRequest, event: WebhookEvent, tenant: str) -> HttpResponse:
    received.append(("with_arguments", event, tenant))
    return JsonResponse({"tenant": tenant, "id": event["id"]}, status=201)


@herald_webhook(SECRET)
async def asynchronous(request: HttpRequest, event: WebhookEvent) -> None:
    received.append(("async", event, None))


@herald_webhook(SECRET)
def failing(request: HttpRequest, event: WebhookEvent) -> None:
    raise RuntimeError("the handler broke")


@herald_webhook(lambda: replay_secrets)
def replay(request: HttpRequest, event: WebhookEvent) -> None:
    received.append(("replay", event, None))


def control(request: HttpRequest) -> HttpResponse:
    """Not decorated: the CSRF middleware refuses a POST to it, which shows the middleware is on."""
    return HttpResponse("reached")


urlpatterns = [
    path("webhooks", plain),
    path("webhooks/<str:tenant>", with_arguments),
    path("async", asynchronous),
    path("failing", failing),
    path("replay", replay),
    path("control", control),
]


class DjangoHelperTest(unittest.TestCase):
    def setUp(self) -> None:
        received.clear()
        server = serve_wsgi(get_wsgi_application())
        self.url = server.__enter__()
        self.addCleanup(server.__exit__, None, None, None)

    def send(self, route: str, body: bytes, headers: Dict[str, str]) -> Any:
        return post(f"{self.url}/{route}", body, header_list(headers))

    def test_runs_the_view_with_the_verified_event_and_answers_200_ok(self) -> None:
        body = envelope()
        answer = self.send("webhooks", body, signed_headers(body, timestamp=now_seconds()))
        self.assertEqual((answer.status, answer.body), (200, b"ok"))
        [(view, event, raw)] = received
        self.assertEqual((view, event["event"], event["payload"]["full_name"]), ("plain", "user.new", "John Doe"))
        self.assertEqual(raw, body)

    def test_exempts_the_view_from_csrf_which_the_middleware_otherwise_enforces(self) -> None:
        body = envelope()
        self.assertEqual(self.send("control", body, signed_headers(body, timestamp=now_seconds())).status, 403)
        self.assertEqual(self.send("webhooks", body, signed_headers(body, timestamp=now_seconds())).status, 200)

    def test_answers_400_with_the_reason_as_json_and_never_runs_the_view(self) -> None:
        body = envelope()
        fresh = now_seconds()
        cases = {
            "missing_header": {"content-type": "application/json"},
            "no_matching_signature": signed_headers(body, [OTHER_SECRET], fresh),
            "timestamp_in_future": signed_headers(body, timestamp=fresh + 301),
            "malformed_header": {"x-webhook-signature": "v1=abc"},
        }
        for reason, headers in cases.items():
            answer = self.send("webhooks", body, headers)
            self.assertEqual(answer.status, 400, reason)
            self.assertEqual(answer.content_type, "application/json")
            self.assertEqual(answer.json()["error"], "webhook_refused")
            self.assertEqual(answer.json()["reason"], reason)
        not_json = b"[]"
        self.assertEqual(
            self.send("webhooks", not_json, signed_headers(not_json, timestamp=fresh)).json()["reason"], "invalid_json"
        )
        self.assertEqual(received, [])

    def test_refuses_a_signature_header_sent_twice_as_malformed(self) -> None:
        body = envelope()
        value = signed_headers(body, timestamp=now_seconds())["x-webhook-signature"]
        answer = post(f"{self.url}/webhooks", body, [("X-Webhook-Signature", value), ("X-Webhook-Signature", value)])
        self.assertEqual((answer.status, answer.json()["reason"]), (400, "malformed_header"))

    def test_passes_url_arguments_after_the_event_keeps_the_views_response_and_reads_secrets_per_request(self) -> None:
        body = envelope()
        answer = self.send("webhooks/acme", body, signed_headers(body, [OTHER_SECRET], now_seconds()))
        self.assertEqual(
            (answer.status, answer.json()), (201, {"tenant": "acme", "id": "123e4567-e89b-12d3-a456-426614174000"})
        )

    def test_runs_an_async_view(self) -> None:
        body = envelope("user.follow", {"organization_id": "o", "follower_id": "a", "followed_id": "b"})
        answer = self.send("async", body, signed_headers(body, timestamp=now_seconds()))
        self.assertEqual((answer.status, answer.body), (200, b"ok"))
        self.assertEqual(received[0][1]["event"], "user.follow")
        self.assertEqual(
            self.send("async", body, signed_headers(body, [OTHER_SECRET], now_seconds())).json()["reason"],
            "no_matching_signature",
        )

    def test_lets_a_failing_view_answer_500_so_herald_retries(self) -> None:
        body = envelope()
        self.assertEqual(self.send("failing", body, signed_headers(body, timestamp=now_seconds())).status, 500)

    def test_accepts_real_deliveries_from_herald(self) -> None:
        for delivery in require_fixture("HERALD_SDK_DELIVERIES"):
            replay_secrets[:] = delivery["secrets"]
            received.clear()
            answer = post(
                f"{self.url}/replay", base64.b64decode(delivery["body_base64"]), header_list(delivery["headers"])
            )
            self.assertEqual(
                (answer.status, [event for _, event, _ in received]), (200, [delivery["event"]]), delivery["name"]
            )


if __name__ == "__main__":
    unittest.main()
