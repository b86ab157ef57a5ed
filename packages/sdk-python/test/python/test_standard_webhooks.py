"""Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature)."""

from __future__ import annotations

import unittest
from typing import Any, Callable, Dict

from support import OTHER_SECRET, SECRET, VECTOR_TIMESTAMP, envelope, fixed_clock, signed_headers, standard_signature

from herald_sdk import WebhookVerificationError, standard_webhooks_signature, verify_webhook

T = VECTOR_TIMESTAMP
NOW = fixed_clock()

# The example of the Standard Webhooks specification and of its reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def sw_headers(msg_id: str, timestamp: Any, signature: str) -> Dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def reason_of(call: Callable[[], Any]) -> str:
    try:
        call()
    except WebhookVerificationError as error:
        return error.reason
    return "accepted"


class StandardWebhooksTest(unittest.TestCase):
    def test_signs_the_specification_example_as_its_reference_libraries_do(self) -> None:
        self.assertEqual(standard_webhooks_signature([SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY), SPEC_SIGNATURE)

    def test_verifies_the_specification_example_signature_but_not_its_body_as_an_envelope(self) -> None:
        headers = sw_headers(SPEC_ID, SPEC_TIMESTAMP, SPEC_SIGNATURE)
        # The signature is right; the body is not a Herald envelope, which is the next check.
        self.assertEqual(
            reason_of(lambda: verify_webhook(SPEC_BODY, headers, SPEC_SECRET, now=fixed_clock(SPEC_TIMESTAMP))),
            "invalid_json",
        )
        self.assertEqual(
            reason_of(lambda: verify_webhook(SPEC_BODY, headers, OTHER_SECRET, now=fixed_clock(SPEC_TIMESTAMP))),
            "no_matching_signature",
        )

    def test_verifies_an_envelope_signed_from_the_specification(self) -> None:
        body = envelope()
        event = verify_webhook(
            body, sw_headers("msg_1", T, standard_signature(SECRET, "msg_1", T, body)), SECRET, now=NOW
        )
        self.assertEqual(event["event"], "user.new")

    def test_accepts_any_v1_entry_against_any_of_several_secrets(self) -> None:
        body = envelope()
        signature = standard_webhooks_signature([SECRET, OTHER_SECRET], "msg_4", T, body)
        self.assertRegex(signature, r"^v1,[A-Za-z0-9+/]+=* v1,[A-Za-z0-9+/]+=*$")
        self.assertTrue(verify_webhook(body, sw_headers("msg_4", T, signature), OTHER_SECRET, now=NOW))
        self.assertTrue(
            verify_webhook(body, sw_headers("msg_4", T, f"v1a,ignored {signature}"), ["whsec_AAAA", SECRET], now=NOW)
        )

    def test_refuses_a_changed_webhook_id_body_or_secret_as_no_matching_signature(self) -> None:
        body = envelope()
        signature = standard_signature(SECRET, "msg_5", T, body)
        self.assertEqual(
            reason_of(lambda: verify_webhook(body, sw_headers("msg_6", T, signature), SECRET, now=NOW)),
            "no_matching_signature",
        )
        self.assertEqual(
            reason_of(lambda: verify_webhook(body + b" ", sw_headers("msg_5", T, signature), SECRET, now=NOW)),
            "no_matching_signature",
        )
        self.assertEqual(
            reason_of(lambda: verify_webhook(body, sw_headers("msg_5", T, signature), OTHER_SECRET, now=NOW)),
            "no_matching_signature",
        )
        self.assertEqual(
            reason_of(lambda: verify_webhook(body, sw_headers("msg_5", T, "v1a,abc"), SECRET, now=NOW)),
            "no_matching_signature",
        )
        # Compared as text, as the standardwebhooks library does: a lenient base64 decoder would skip the "!".
        mac = signature.split(",", 1)[1]
        self.assertEqual(
            reason_of(lambda: verify_webhook(body, sw_headers("msg_5", T, f"v1,!{mac}"), SECRET, now=NOW)),
            "no_matching_signature",
        )

    def test_skips_a_secret_that_is_not_base64_after_whsec(self) -> None:
        body = envelope()
        signature = standard_signature(SECRET, "msg_1", T, body)
        self.assertEqual(standard_webhooks_signature(["whsec_test_secret", "whsec_"], "msg_1", T, body), "")
        self.assertEqual(
            reason_of(lambda: verify_webhook(body, sw_headers("msg_1", T, signature), "whsec_test_secret", now=NOW)),
            "no_matching_signature",
        )
        self.assertTrue(verify_webhook(body, sw_headers("msg_1", T, signature), ["whsec_test_secret", SECRET], now=NOW))

    def test_refuses_missing_companions_bad_timestamps_and_stale_ones_with_their_reasons(self) -> None:
        body = envelope()
        signature = standard_signature(SECRET, "msg_7", T, body)
        self.assertEqual(
            reason_of(
                lambda: verify_webhook(
                    body, {"webhook-signature": signature, "webhook-timestamp": str(T)}, SECRET, now=NOW
                )
            ),
            "missing_header",
        )
        self.assertEqual(
            reason_of(
                lambda: verify_webhook(body, {"webhook-signature": signature, "webhook-id": "msg_7"}, SECRET, now=NOW)
            ),
            "missing_header",
        )
        self.assertEqual(
            reason_of(lambda: verify_webhook(body, sw_headers("msg_7", T, "garbage"), SECRET, now=NOW)),
            "malformed_header",
        )
        self.assertEqual(
            reason_of(lambda: verify_webhook(body, sw_headers("msg_7", T, ",abc"), SECRET, now=NOW)), "malformed_header"
        )
        self.assertEqual(
            reason_of(lambda: verify_webhook(body, sw_headers("msg_7", "soon", signature), SECRET, now=NOW)),
            "malformed_header",
        )
        old = T - 901
        self.assertEqual(
            reason_of(
                lambda: verify_webhook(
                    body, sw_headers("msg_7", old, standard_signature(SECRET, "msg_7", old, body)), SECRET, now=NOW
                )
            ),
            "timestamp_too_old",
        )
        ahead = T + 301
        self.assertEqual(
            reason_of(
                lambda: verify_webhook(
                    body, sw_headers("msg_7", ahead, standard_signature(SECRET, "msg_7", ahead, body)), SECRET, now=NOW
                )
            ),
            "timestamp_in_future",
        )

    def test_signs_over_the_timestamp_as_a_number(self) -> None:
        body = envelope()
        signature = standard_signature(SECRET, "msg_8", T, body)
        self.assertTrue(verify_webhook(body, sw_headers("msg_8", f" 00{T} ", signature), SECRET, now=NOW))

    def test_prefers_x_webhook_signature_when_both_schemes_are_present(self) -> None:
        body = envelope()
        headers = {**signed_headers(body), **sw_headers("msg_9", T, "v1,AAAA")}
        self.assertEqual(verify_webhook(body, headers, SECRET, now=NOW)["event"], "user.new")
        headers = {
            **signed_headers(body, [OTHER_SECRET]),
            **sw_headers("msg_9", T, standard_signature(SECRET, "msg_9", T, body)),
        }
        self.assertEqual(reason_of(lambda: verify_webhook(body, headers, SECRET, now=NOW)), "no_matching_signature")


if __name__ == "__main__":
    unittest.main()
