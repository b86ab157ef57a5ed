"""herald_sdk.flask against a real Flask app served over HTTP on 127.0.0.1."""

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

flask = require_module("flask", "python3-flask")
require_module("asgiref", "python3-asgiref")  # Flask runs async views through it

from herald_sdk import WebhookEvent  # noqa: E402
from herald_sdk.flask import herald_webhook  # noqa: E402


def build_app(received: List[Any]) -> Any:
    app = flask.Flask(__name__)
    app.logger.disabled = True  # the failing view's traceback is expected
    app.config["HERALD_WEBHOOK_SECRET"] = [OTHER_SECRET, SECRET]

    @app.post("/webhooks")
    @herald_webhook(SECRET)
    def plain(event: WebhookEvent) -> None:
        received.append(("plain", event, flask.request.get_data()))

    @app.post("/webhooks/<tenant>")
    @herald_webhook(lambda: flask.current_app.config["HERALD_WEBHOOK_SECRET"])
    def with_arguments(event: WebhookEvent, tenant: str) -> Any:
        received.append(("with_arguments", event, tenant))
        return {"tenant": tenant, "id": event["id"]}, 201

    @app.post("/async")
    @herald_webhook(SECRET)
    async def asynchronous(event: WebhookEvent) -> None:
        received.append(("async", event, None))

    @app.post("/failing")
    @herald_webhook(SECRET)
    def failing(event: WebhookEvent) -> None:
        raise RuntimeError("the handler broke")

    return app


class FlaskHelperTest(unittest.TestCase):
    def setUp(self) -> None:
        self.received: List[Any] = []
        server = serve_wsgi(build_app(self.received))
        self.url = server.__enter__()
        self.addCleanup(server.__exit__, None, None, None)

    def send(self, path: str, body: bytes, headers: Dict[str, str]) -> Any:
        return post(self.url + path, body, header_list(headers))

    def test_runs_the_view_with_the_verified_event_and_answers_200_ok(self) -> None:
        body = envelope()
        answer = self.send("/webhooks", body, signed_headers(body, timestamp=now_seconds()))
        self.assertEqual((answer.status, answer.body), (200, b"ok"))
        [(view, event, raw)] = self.received
        self.assertEqual((view, event["event"], event["payload"]["full_name"]), ("plain", "user.new", "John Doe"))
        self.assertEqual(raw, body, "the view can still read the raw body")

    def test_answers_400_with_the_reason_as_json_and_never_runs_the_view(self) -> None:
        body = envelope()
        fresh = now_seconds()
        cases = {
            "missing_header": {"content-type": "application/json"},
            "no_matching_signature": signed_headers(body, [OTHER_SECRET], fresh),
            "timestamp_too_old": signed_headers(body, timestamp=fresh - 901),
            "malformed_header": {"x-webhook-signature": "t=soon,v1=abc"},
        }
        for reason, headers in cases.items():
            answer = self.send("/webhooks", body, headers)
            self.assertEqual(answer.status, 400, reason)
            self.assertEqual(answer.content_type, "application/json")
            self.assertEqual(answer.json()["error"], "webhook_refused")
            self.assertEqual(answer.json()["reason"], reason)
            self.assertNotIn(SECRET, answer.body.decode())
        not_json = b"not json"
        self.assertEqual(
            self.send("/webhooks", not_json, signed_headers(not_json, timestamp=fresh)).json()["reason"], "invalid_json"
        )
        self.assertEqual(self.received, [])

    def test_refuses_a_signature_header_sent_twice_as_malformed(self) -> None:
        body = envelope()
        value = signed_headers(body, timestamp=now_seconds())["x-webhook-signature"]
        answer = post(self.url + "/webhooks", body, [("X-Webhook-Signature", value), ("X-Webhook-Signature", value)])
        self.assertEqual((answer.status, answer.json()["reason"]), (400, "malformed_header"))

    def test_passes_url_arguments_after_the_event_keeps_the_views_response_and_reads_secrets_per_request(self) -> None:
        body = envelope()
        answer = self.send("/webhooks/acme", body, signed_headers(body, [OTHER_SECRET], now_seconds()))
        self.assertEqual(
            (answer.status, answer.json()), (201, {"tenant": "acme", "id": "123e4567-e89b-12d3-a456-426614174000"})
        )
        self.assertEqual(self.received[0][2], "acme")

    def test_runs_an_async_view(self) -> None:
        body = envelope("user.follow", {"organization_id": "o", "follower_id": "a", "followed_id": "b"})
        answer = self.send("/async", body, signed_headers(body, timestamp=now_seconds()))
        self.assertEqual((answer.status, answer.body), (200, b"ok"))
        self.assertEqual(self.received[0][1]["event"], "user.follow")
        self.assertEqual(self.send("/async", body, signed_headers(body, [OTHER_SECRET], now_seconds())).status, 400)

    def test_lets_a_failing_view_answer_500_so_herald_retries(self) -> None:
        body = envelope()
        self.assertEqual(self.send("/failing", body, signed_headers(body, timestamp=now_seconds())).status, 500)

    def test_accepts_real_deliveries_from_herald(self) -> None:
        for delivery in require_fixture("HERALD_SDK_DELIVERIES"):
            app = flask.Flask(__name__)
            seen: List[WebhookEvent] = []
            app.add_url_rule(
                "/", "hook", herald_webhook(delivery["secrets"])(lambda event: seen.append(event)), methods=["POST"]
            )
            with serve_wsgi(app) as url:
                answer = post(url + "/", base64.b64decode(delivery["body_base64"]), header_list(delivery["headers"]))
            self.assertEqual((answer.status, seen), (200, [delivery["event"]]), delivery["name"])

    def test_checks_the_secret_when_decorating(self) -> None:
        with self.assertRaisesRegex(ValueError, "secret must not be empty"):
            herald_webhook("")
        with self.assertRaisesRegex(ValueError, "^tolerance"):
            herald_webhook(SECRET, tolerance=-1)


if __name__ == "__main__":
    unittest.main()
