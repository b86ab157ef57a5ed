"""Deliveries sent by a running Herald (captured by test/python-sdk.test.ts): every one verifies,
with either header scheme, with each secret that signed it and with all of them, and no other secret
verifies it. Non-ASCII text, emoji and awkward numbers included; a rotation sends two signatures."""

from __future__ import annotations

import base64
import json
import re
import unittest
from typing import Any, Dict, List

from support import require_fixture

from herald_sdk import WebhookVerificationError, is_catalog_event, verify_webhook, wire_body


def deliveries() -> List[Dict[str, Any]]:
    captured: List[Dict[str, Any]] = require_fixture("HERALD_SDK_DELIVERIES")
    return captured


def without(headers: Dict[str, str], prefix: str) -> Dict[str, str]:
    return {name: value for name, value in headers.items() if not name.startswith(prefix)}


class RealDeliveriesTest(unittest.TestCase):
    def test_verify_with_every_secret_that_signed_them_and_give_back_the_published_event(self) -> None:
        for delivery in deliveries():
            body = base64.b64decode(delivery["body_base64"])
            with self.subTest(delivery["name"]):
                for secret in [*delivery["secrets"], delivery["secrets"]]:
                    self.assertEqual(verify_webhook(body, delivery["headers"], secret), delivery["event"])

    def test_verify_on_the_wire_format_headers_alone_and_on_the_standard_webhooks_headers_alone(self) -> None:
        for delivery in deliveries():
            body = base64.b64decode(delivery["body_base64"])
            wire_only = without(delivery["headers"], "webhook-")
            standard_only = without(without(delivery["headers"], "x-webhook-"), "x-contactsmanager-")
            self.assertIn("webhook-signature", standard_only)
            with self.subTest(delivery["name"]):
                for secret in delivery["secrets"]:
                    self.assertEqual(verify_webhook(body, wire_only, secret)["id"], delivery["event"]["id"])
                    self.assertEqual(verify_webhook(body, standard_only, secret)["id"], delivery["event"]["id"])

    def test_refuse_every_other_secret_on_either_scheme(self) -> None:
        for delivery in deliveries():
            body = base64.b64decode(delivery["body_base64"])
            standard_only = without(without(delivery["headers"], "x-webhook-"), "x-contactsmanager-")
            with self.subTest(delivery["name"]):
                for secret in delivery["wrong_secrets"]:
                    for headers in (delivery["headers"], standard_only):
                        with self.assertRaises(WebhookVerificationError) as refused:
                            verify_webhook(body, headers, secret)
                        self.assertEqual(refused.exception.reason, "no_matching_signature")

    def test_carry_one_signature_per_valid_secret_newest_first(self) -> None:
        for delivery in deliveries():
            count = len(delivery["secrets"])
            self.assertRegex(delivery["headers"]["x-webhook-signature"], r"^t=\d+" + r",v1=[0-9a-f]{64}" * count + "$")
            self.assertEqual(len(delivery["headers"]["webhook-signature"].split(" ")), count)
        self.assertIn(
            2, [len(delivery["secrets"]) for delivery in deliveries()], "no delivery was sent during a rotation"
        )

    def test_keep_non_ascii_text_and_emoji_unescaped_in_the_body(self) -> None:
        texts = [base64.b64decode(delivery["body_base64"]).decode("utf-8") for delivery in deliveries()]
        self.assertTrue(any("Zoë Ñúñez 😀 日本" in text for text in texts))
        self.assertFalse(any(re.search(r"\\u[0-9a-fA-F]{4}", text) for text in texts), "a character was escaped")

    def test_rebuild_every_body_from_its_parsed_envelope_with_wire_body(self) -> None:
        for delivery in deliveries():
            body = base64.b64decode(delivery["body_base64"])
            with self.subTest(delivery["name"]):
                self.assertEqual(wire_body(json.loads(body)), body)
                self.assertTrue(verify_webhook(wire_body(json.loads(body)), delivery["headers"], delivery["secrets"]))

    def test_tell_catalog_events_from_an_operators_own_type(self) -> None:
        kinds = {
            delivery["event"]["event"]: is_catalog_event(
                verify_webhook(base64.b64decode(delivery["body_base64"]), delivery["headers"], delivery["secrets"])
            )
            for delivery in deliveries()
        }
        self.assertIs(kinds["order.paid"], False)
        self.assertIs(kinds["user.new"], True)


if __name__ == "__main__":
    unittest.main()
