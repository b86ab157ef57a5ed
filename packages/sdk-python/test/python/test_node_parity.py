"""The Node SDK's verdicts: every case of test/node-verdicts.ts, decided by Node's verifyWebhook,
must be decided the same way here: the same event, the same refusal reason, or a TypeError."""

from __future__ import annotations

import base64
import unittest
from typing import Any, Dict

from support import require_fixture

from herald_sdk import WebhookVerificationError, verify_webhook


def python_verdict(case: Dict[str, Any]) -> Dict[str, Any]:
    options: Dict[str, Any] = {"now": lambda: case["now_ms"] / 1000}
    if "tolerance" in case:
        options["tolerance"] = case["tolerance"]
    if "future_tolerance" in case:
        options["future_tolerance"] = case["future_tolerance"]
    try:
        event = verify_webhook(base64.b64decode(case["body_base64"]), case["headers"], case["secrets"], **options)
    except WebhookVerificationError as error:
        return {"ok": False, "reason": error.reason}
    except TypeError:
        return {"ok": False, "error": "TypeError"}
    return {"ok": True, "event": event}


class NodeParityTest(unittest.TestCase):
    def test_decides_every_case_as_the_node_sdk_does(self) -> None:
        cases = require_fixture("HERALD_SDK_NODE_VERDICTS")["cases"]
        self.assertGreater(len(cases), 90)
        outcomes = {"accepted": 0, "refused": 0}
        for case in cases:
            with self.subTest(case["name"]):
                self.assertEqual(python_verdict(case), case["verdict"])
            outcomes["accepted" if case["verdict"]["ok"] else "refused"] += 1
        # The cases must exercise both sides, and every refusal reason.
        self.assertGreater(outcomes["accepted"], 20)
        reasons = {case["verdict"].get("reason") for case in cases} - {None}
        self.assertEqual(
            reasons,
            {
                "missing_header",
                "malformed_header",
                "timestamp_too_old",
                "timestamp_in_future",
                "no_matching_signature",
                "invalid_json",
            },
        )


if __name__ == "__main__":
    unittest.main()
