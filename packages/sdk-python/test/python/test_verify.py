"""verify_webhook and verify_signature on the wire format's own header (X-Webhook-Signature)."""

from __future__ import annotations

import pickle
import re
import time
import unittest
from typing import Any, Callable

from support import (
    OTHER_SECRET,
    REPO_DIR,
    SECRET,
    VECTOR_BODY,
    VECTOR_SECRET,
    VECTOR_TIMESTAMP,
    VECTOR_V1,
    envelope,
    fixed_clock,
    signed_headers,
    v1,
)

from herald_sdk import (
    VERIFICATION_FAILURE_REASONS,
    WebhookVerificationError,
    compute_signature,
    is_catalog_event,
    is_event_type,
    signature_header,
    verify_signature,
    verify_webhook,
)

T = VECTOR_TIMESTAMP
NOW = fixed_clock()


def refusal(call: Callable[[], Any]) -> str:
    """The reason ``call`` was refused with; fails the test if it was not."""
    try:
        call()
    except WebhookVerificationError as error:
        return error.reason
    raise AssertionError("expected a WebhookVerificationError")


class VerifyWebhookTest(unittest.TestCase):
    def test_returns_the_parsed_event_of_the_wire_spec_test_vector(self) -> None:
        event = verify_webhook(VECTOR_BODY, {"x-webhook-signature": f"t={T},v1={VECTOR_V1}"}, VECTOR_SECRET, now=NOW)
        self.assertEqual(event["id"], "123e4567-e89b-12d3-a456-426614174000")
        self.assertTrue(is_event_type(event, "user.new"))
        self.assertEqual(event["payload"]["full_name"], "John Doe")

    def test_signs_the_test_vector_as_the_wire_spec_says(self) -> None:
        self.assertEqual(compute_signature(VECTOR_SECRET, T, VECTOR_BODY), VECTOR_V1)
        self.assertEqual(signature_header([VECTOR_SECRET], T, VECTOR_BODY), f"t={T},v1={VECTOR_V1}")
        self.assertEqual(
            signature_header([SECRET, OTHER_SECRET], T, b"{}"),
            f"t={T},v1={v1(SECRET, T, b'{}')},v1={v1(OTHER_SECRET, T, b'{}')}",
        )

    def test_accepts_the_body_as_bytes_bytearray_memoryview_or_str(self) -> None:
        body = envelope()
        headers = signed_headers(body)
        for raw in (body, bytearray(body), memoryview(body), body.decode("utf-8")):
            self.assertEqual(verify_webhook(raw, headers, SECRET, now=NOW)["event"], "user.new", type(raw).__name__)

    def test_refuses_a_parsed_dict_with_a_type_error_that_points_to_the_raw_body_and_wire_body(self) -> None:
        with self.assertRaisesRegex(
            TypeError, r"raw_body must be the raw request body .*before any JSON parsing.*wire_body"
        ):
            verify_webhook({"id": "x"}, signed_headers(envelope()), SECRET, now=NOW)  # type: ignore[arg-type]

    def test_names_the_argument_in_every_argument_error(self) -> None:
        body = envelope()
        headers = signed_headers(body)
        bad: Any = None
        with self.assertRaisesRegex(TypeError, r"^raw_body"):
            verify_webhook(42, headers, SECRET)  # type: ignore[arg-type]
        for not_headers in (None, "x-webhook-signature: t=1", [("x-webhook-signature", "t=1")]):
            bad = not_headers
            with self.assertRaisesRegex(TypeError, r"^headers"):
                verify_webhook(body, bad, SECRET)
        with self.assertRaisesRegex(ValueError, r"^secret must not be empty"):
            verify_webhook(body, headers, "")
        with self.assertRaisesRegex(ValueError, r"^secret must hold at least one secret"):
            verify_webhook(body, headers, [])
        with self.assertRaisesRegex(TypeError, r"^secret\[1\]"):
            verify_webhook(body, headers, [SECRET, 7])  # type: ignore[list-item]
        with self.assertRaisesRegex(TypeError, r"^secret must be"):
            verify_webhook(body, headers, b"whsec_bytes")  # type: ignore[arg-type]
        with self.assertRaisesRegex(ValueError, r"^tolerance"):
            verify_webhook(body, headers, SECRET, tolerance=-1)
        with self.assertRaisesRegex(ValueError, r"^future_tolerance"):
            verify_webhook(body, headers, SECRET, future_tolerance=float("inf"))
        with self.assertRaisesRegex(TypeError, r"^tolerance"):
            verify_webhook(body, headers, SECRET, tolerance=True)
        with self.assertRaisesRegex(TypeError, r"^now"):
            verify_webhook(body, headers, SECRET, now=5)  # type: ignore[arg-type]

    def test_reads_header_names_in_any_case(self) -> None:
        body = envelope()
        signature = signed_headers(body)["x-webhook-signature"]
        for headers in (
            {"X-Webhook-Signature": signature},
            {"x-WEBHOOK-signature": [signature]},
            {"X-WEBHOOK-SIGNATURE": (signature,)},
        ):
            self.assertEqual(verify_webhook(body, headers, SECRET, now=NOW)["event"], "user.new")

    def test_falls_back_to_x_contactsmanager_signature(self) -> None:
        body = envelope()
        signature = signed_headers(body)["x-webhook-signature"]
        self.assertEqual(
            verify_webhook(body, {"X-ContactsManager-Signature": signature}, SECRET, now=NOW)["event"], "user.new"
        )

    def test_accepts_any_v1_of_the_header_and_any_of_several_secrets(self) -> None:
        body = envelope()
        rotated = signed_headers(body, [OTHER_SECRET, SECRET])
        self.assertTrue(verify_webhook(body, rotated, SECRET, now=NOW))
        self.assertTrue(verify_webhook(body, rotated, OTHER_SECRET, now=NOW))
        self.assertTrue(verify_webhook(body, signed_headers(body, [OTHER_SECRET]), [SECRET, OTHER_SECRET], now=NOW))
        self.assertTrue(verify_webhook(body, signed_headers(body, [OTHER_SECRET]), (SECRET, OTHER_SECRET), now=NOW))
        unknown_keys = f"t={T},v0=abc,v1={'0' * 64},v1={v1(SECRET, T, body)}"
        self.assertTrue(verify_webhook(body, {"x-webhook-signature": unknown_keys}, SECRET, now=NOW))

    def test_refuses_a_request_without_a_signature_header_as_missing_header(self) -> None:
        body = envelope()
        for headers in ({"content-type": "application/json"}, {"x-webhook-signature": ""}, {"x-webhook-signature": []}):
            self.assertEqual(refusal(lambda: verify_webhook(body, headers, SECRET, now=NOW)), "missing_header")

    def test_refuses_headers_that_do_not_parse_as_malformed_header(self) -> None:
        body = envelope()
        sig = v1(SECRET, T, body)
        for header in (
            f"v1={sig}",
            f"t=abc,v1={sig}",
            f"t={T}",
            f"t={T};v1={sig}",
            f"t={T},t={T},v1={sig}",
            f"t=-5,v1={sig}",
            f"t=1.5,v1={sig}",
            f"t={T},v1={sig},",
            f"t=١٢٣,v1={sig}",
            f"t={'1' * 16},v1={sig}",
        ):
            self.assertEqual(
                refusal(lambda: verify_webhook(body, {"x-webhook-signature": header}, SECRET, now=NOW)),
                "malformed_header",
                header,
            )
        twice = f"t={T},v1={sig}"
        self.assertEqual(
            refusal(lambda: verify_webhook(body, {"x-webhook-signature": [twice, twice]}, SECRET, now=NOW)),
            "malformed_header",
        )
        # Node, Fetch and WSGI servers join a header sent twice with ", " or ",".
        self.assertEqual(
            refusal(lambda: verify_webhook(body, {"x-webhook-signature": f"{twice}, {twice}"}, SECRET, now=NOW)),
            "malformed_header",
        )

    def test_trims_exactly_what_javascript_trims_around_each_part(self) -> None:
        body = envelope()
        sig = v1(SECRET, T, body)
        for header in (f" t = {T} , v1 = {sig} ", f"\ufefft={T},v1={sig}\u00a0"):
            self.assertTrue(verify_webhook(body, {"x-webhook-signature": header}, SECRET, now=NOW), repr(header))
        # str.strip() would remove these; String.prototype.trim does not.
        self.assertEqual(
            refusal(lambda: verify_webhook(body, {"x-webhook-signature": f"\x1ft={T},v1={sig}"}, SECRET, now=NOW)),
            "malformed_header",
        )
        self.assertEqual(
            refusal(lambda: verify_webhook(body, {"x-webhook-signature": f"t={T},v1={sig}\x85"}, SECRET, now=NOW)),
            "no_matching_signature",
        )

    def test_signs_over_the_timestamp_digits_as_written(self) -> None:
        body = envelope()
        padded = f"0{T}"
        self.assertTrue(
            verify_webhook(body, {"x-webhook-signature": f"t={padded},v1={v1(SECRET, padded, body)}"}, SECRET, now=NOW)
        )
        self.assertEqual(
            refusal(
                lambda: verify_webhook(
                    body, {"x-webhook-signature": f"t={padded},v1={v1(SECRET, T, body)}"}, SECRET, now=NOW
                )
            ),
            "no_matching_signature",
        )

    def test_accepts_a_timestamp_exactly_900_s_old_and_refuses_one_901_s_old(self) -> None:
        body = envelope()
        self.assertTrue(verify_webhook(body, signed_headers(body, timestamp=T - 900), SECRET, now=NOW))
        self.assertEqual(
            refusal(lambda: verify_webhook(body, signed_headers(body, timestamp=T - 901), SECRET, now=NOW)),
            "timestamp_too_old",
        )

    def test_accepts_a_timestamp_300_s_in_the_future_and_refuses_one_301_s_ahead(self) -> None:
        body = envelope()
        self.assertTrue(verify_webhook(body, signed_headers(body, timestamp=T + 300), SECRET, now=NOW))
        self.assertEqual(
            refusal(lambda: verify_webhook(body, signed_headers(body, timestamp=T + 301), SECRET, now=NOW)),
            "timestamp_in_future",
        )

    def test_uses_the_configured_tolerances(self) -> None:
        body = envelope()
        options: Any = {"now": NOW, "tolerance": 60, "future_tolerance": 0}
        self.assertTrue(verify_webhook(body, signed_headers(body, timestamp=T - 60), SECRET, **options))
        self.assertEqual(
            refusal(lambda: verify_webhook(body, signed_headers(body, timestamp=T - 61), SECRET, **options)),
            "timestamp_too_old",
        )
        self.assertEqual(
            refusal(lambda: verify_webhook(body, signed_headers(body, timestamp=T + 1), SECRET, **options)),
            "timestamp_in_future",
        )

    def test_floors_the_clock_to_whole_seconds(self) -> None:
        body = envelope()
        self.assertTrue(
            verify_webhook(body, signed_headers(body, timestamp=T - 900), SECRET, now=fixed_clock(T + 0.999))
        )

    def test_checks_the_timestamp_against_the_real_clock_by_default(self) -> None:
        body = envelope()
        self.assertEqual(
            refusal(lambda: verify_webhook(body, signed_headers(body, timestamp=T), SECRET)), "timestamp_too_old"
        )
        self.assertTrue(verify_webhook(body, signed_headers(body, timestamp=int(time.time())), SECRET))

    def test_refuses_a_wrong_secret_a_changed_body_and_a_changed_timestamp_as_no_matching_signature(self) -> None:
        body = envelope()
        headers = signed_headers(body)
        sig = v1(SECRET, T, body)
        self.assertEqual(refusal(lambda: verify_webhook(body, headers, OTHER_SECRET, now=NOW)), "no_matching_signature")
        self.assertEqual(
            refusal(lambda: verify_webhook(body.replace(b"John", b"Jane"), headers, SECRET, now=NOW)),
            "no_matching_signature",
        )
        self.assertEqual(
            refusal(lambda: verify_webhook(body, {"x-webhook-signature": f"t={T + 1},v1={sig}"}, SECRET, now=NOW)),
            "no_matching_signature",
        )
        self.assertEqual(
            refusal(lambda: verify_webhook(body, {"x-webhook-signature": f"t={T},v1={sig.upper()}"}, SECRET, now=NOW)),
            "no_matching_signature",
        )
        self.assertEqual(
            refusal(lambda: verify_webhook(body, {"x-webhook-signature": f"t={T},v1={'é' * 64}"}, SECRET, now=NOW)),
            "no_matching_signature",
        )

    def test_refuses_a_correctly_signed_body_that_is_not_a_json_envelope_as_invalid_json(self) -> None:
        bodies = [
            b"not json",
            b"[1,2]",
            b'{"id":"x","event":"user.new"}',
            b'{"id":1,"event":"user.new","payload":{}}',
            b'{"id":"x","event":"e","payload":{"n":NaN}}',
            b"\xef\xbb\xbf" + envelope(),
        ]
        for body in bodies:
            self.assertEqual(
                refusal(lambda: verify_webhook(body, signed_headers(body), SECRET, now=NOW)), "invalid_json", body[:60]
            )

    def test_refuses_a_body_nested_too_deeply_for_python_as_invalid_json_rather_than_crashing(self) -> None:
        # The one known difference from the Node SDK (docs/receiving.md): JavaScript parses this,
        # Python's json stops at its recursion limit.
        body = b'{"id":"x","event":"e","payload":{"deep":' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
        self.assertEqual(refusal(lambda: verify_webhook(body, signed_headers(body), SECRET, now=NOW)), "invalid_json")

    def test_parses_an_event_type_outside_the_catalog_as_a_generic_event(self) -> None:
        body = envelope("order.paid", {"organization_id": "o", "order_id": "x1", "total": 12.5})
        event = verify_webhook(body, signed_headers(body), SECRET, now=NOW)
        self.assertEqual(event["event"], "order.paid")
        self.assertFalse(is_catalog_event(event))
        self.assertEqual(event["payload"]["order_id"], "x1")

    def test_keeps_fields_a_producer_added_to_a_catalog_payload(self) -> None:
        body = envelope(
            "user.follow", {"organization_id": "o", "follower_id": "a", "followed_id": "b", "source": "app"}
        )
        event = verify_webhook(body, signed_headers(body), SECRET, now=NOW)
        self.assertTrue(is_event_type(event, "user.follow"))
        self.assertEqual(dict(event["payload"]).get("source"), "app")

    def test_verifies_non_ascii_text_and_emoji_given_as_bytes_or_as_str(self) -> None:
        body = envelope(
            payload={"organization_id": "o", "user_id": "u", "email": None, "phone": None, "full_name": "Zoë 😀 日本"}
        )
        headers = signed_headers(body)
        for raw in (body, body.decode("utf-8")):
            event = verify_webhook(raw, headers, SECRET, now=NOW)
            self.assertTrue(is_event_type(event, "user.new"))
            self.assertEqual(event["payload"]["full_name"], "Zoë 😀 日本")

    def test_verify_signature_checks_without_parsing(self) -> None:
        body = b"not json, but signed"
        self.assertIsNone(verify_signature(body, signed_headers(body), SECRET, now=NOW))
        self.assertEqual(
            refusal(lambda: verify_signature(body, signed_headers(body), OTHER_SECRET, now=NOW)),
            "no_matching_signature",
        )

    def test_never_puts_the_secret_in_an_error_message(self) -> None:
        body = envelope()
        for headers in (
            {},
            {"x-webhook-signature": "nope"},
            signed_headers(body, timestamp=T - 5000),
            signed_headers(body, [OTHER_SECRET]),
        ):
            try:
                verify_webhook(body, headers, SECRET, now=NOW)
            except WebhookVerificationError as error:
                self.assertNotIn(SECRET, str(error))
                self.assertNotIn(SECRET[len("whsec_") :], str(error))
            else:
                self.fail("expected a refusal")


class WebhookVerificationErrorTest(unittest.TestCase):
    def test_has_exactly_the_reasons_of_the_node_sdk(self) -> None:
        source = (REPO_DIR / "packages" / "sdk" / "src" / "errors.ts").read_text("utf-8")
        union = re.search(r"export type VerificationFailureReason =([^;]+);", source)
        assert union is not None, "packages/sdk/src/errors.ts no longer declares VerificationFailureReason"
        self.assertEqual(tuple(re.findall(r"'([a-z_]+)'", union.group(1))), VERIFICATION_FAILURE_REASONS)

    def test_survives_pickling_with_its_reason(self) -> None:
        error = pickle.loads(pickle.dumps(WebhookVerificationError("timestamp_too_old", "timestamp is 901 s old")))
        self.assertEqual((error.reason, str(error)), ("timestamp_too_old", "timestamp is 901 s old"))


if __name__ == "__main__":
    unittest.main()
