"""wire_body: the signed bytes rebuilt from the parsed envelope."""

from __future__ import annotations

import json
import unittest
from collections import OrderedDict
from decimal import Decimal

from support import SECRET, VECTOR_BODY, envelope, fixed_clock, require_fixture, signed_headers

from herald_sdk import WebhookVerificationError, verify_webhook, wire_body

NOW = fixed_clock()


class WireBodyTest(unittest.TestCase):
    def test_gives_back_the_wire_spec_body_from_its_parsed_envelope(self) -> None:
        self.assertEqual(wire_body(json.loads(VECTOR_BODY)), VECTOR_BODY)

    def test_lets_a_caller_holding_only_the_parsed_dict_verify(self) -> None:
        body = envelope(
            payload={"organization_id": "o", "user_id": "u", "email": None, "phone": None, "full_name": "Zoë 😀 日本"}
        )
        event = verify_webhook(wire_body(json.loads(body)), signed_headers(body), SECRET, now=NOW)
        self.assertEqual(event["payload"]["full_name"], "Zoë 😀 日本")

    def test_writes_numbers_as_javascript_does_where_json_dumps_would_not(self) -> None:
        # Left: what JSON.stringify writes (node -e 'console.log(JSON.stringify(x))'); right: what json.dumps writes.
        cases = {
            "0.00001": 1e-05,
            "1e-7": 1e-07,
            "1.5e-7": 1.5e-07,
            "100000000000000000000": 1e20,
            "1e+21": 1e21,
            "1": 1.0,
            "0": -0.0,
            "-0.000123": -0.000123,
            "5e-324": 5e-324,
            "1.7976931348623157e+308": 1.7976931348623157e308,
            "null": float("nan"),
        }
        for expected, value in cases.items():
            self.assertEqual(wire_body({"n": value}), b'{"n":' + expected.encode() + b"}", repr(value))

    def test_rounds_ints_beyond_2_to_the_53_as_javascript_did(self) -> None:
        self.assertEqual(wire_body({"n": 2**53}), b'{"n":9007199254740992}')
        self.assertEqual(wire_body({"n": 2**53 + 1}), b'{"n":9007199254740992}')
        self.assertEqual(wire_body({"n": 12345678901234567890}), b'{"n":12345678901234567000}')

    def test_escapes_what_json_stringify_escapes_and_nothing_else(self) -> None:
        text = '\x00\x1f\x7f\b\f\n\r\t"\\/ \u2028 é 😀 \ud800 \udfff'
        self.assertEqual(
            wire_body({"s": text}),
            b'{"s":"\\u0000\\u001f\x7f\\b\\f\\n\\r\\t\\"\\\\/ \xe2\x80\xa8 \xc3\xa9 \xf0\x9f\x98\x80 \\ud800 \\udfff"}',
        )

    def test_keeps_key_order_so_a_reordered_dict_no_longer_verifies(self) -> None:
        body = envelope()
        parsed = json.loads(body)
        reordered = OrderedDict(sorted(parsed.items()))
        self.assertNotEqual(wire_body(reordered), body)
        with self.assertRaises(WebhookVerificationError) as refused:
            verify_webhook(wire_body(reordered), signed_headers(body), SECRET, now=NOW)
        self.assertEqual(refused.exception.reason, "no_matching_signature")

    def test_refuses_values_no_json_parser_makes(self) -> None:
        with self.assertRaisesRegex(TypeError, "Decimal is not a JSON type"):
            wire_body({"n": Decimal("1.5")})
        with self.assertRaisesRegex(TypeError, "keys must be str"):
            wire_body({"payload": {1: "a"}})


class WireBodyAgainstJavaScriptTest(unittest.TestCase):
    """Envelopes written by JSON.stringify in Node (test/node-verdicts.ts), thousands of numbers among them."""

    def test_gives_back_every_envelope_json_stringify_wrote(self) -> None:
        fixture = require_fixture("HERALD_SDK_NODE_VERDICTS")
        self.assertGreater(len(fixture["stringified"]), 50)
        for case in fixture["stringified"]:
            with self.subTest(case["json"][:80]):
                self.assertEqual(wire_body(json.loads(case["json"])), case["json"].encode("utf-8"))

    def test_rounds_every_big_int_as_javascript_does(self) -> None:
        fixture = require_fixture("HERALD_SDK_NODE_VERDICTS")
        for case in fixture["big_ints"]:
            with self.subTest(case["python_int"][:30]):
                self.assertEqual(wire_body({"n": int(case["python_int"])}), f'{{"n":{case["json"]}}}'.encode())


if __name__ == "__main__":
    unittest.main()
