#!/usr/bin/env python3
"""Verify Herald webhook deliveries with the Python 3 standard library only.

This is the wire spec's recipe (section 3), written as a receiver would: HMAC-SHA256 keyed with the
UTF-8 bytes of the whole secret string over b"<t>." + the raw body bytes, compared in constant time
against every v1 of X-Webhook-Signature, timestamp at most 900 s old. docs/receiving.md quotes
`verify`; the test suite runs this file against real deliveries.

Usage: python3 verify.py < cases.json
  cases.json: [{"body_base64": "...", "signature": "t=...,v1=...", "secrets": ["whsec_..."], "now": 1700000000?}, ...]
  prints:     [{"ok": true, "event": {...}} | {"ok": false, "reason": "..."}, ...]
"""

import base64
import hashlib
import hmac
import json
import sys
import time

TOLERANCE_SECONDS = 900


class VerificationError(Exception):
    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


def verify(raw_body, signature_header, secrets, now=None, tolerance=TOLERANCE_SECONDS):
    """Return the parsed event if `signature_header` signs `raw_body` (bytes) with one of `secrets`."""
    if not signature_header:
        raise VerificationError("missing_header", "no X-Webhook-Signature header")
    timestamp = None
    candidates = []
    for part in signature_header.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise VerificationError("malformed_header", "parts must look like key=value")
        if key == "t":
            timestamp = value
        elif key == "v1":
            candidates.append(value)
    # isascii: isdigit() also accepts digits such as "²" that int() and encode("ascii") refuse.
    if timestamp is None or not (timestamp.isascii() and timestamp.isdigit()) or not candidates:
        raise VerificationError("malformed_header", "expected t=<digits>,v1=<hex>")
    current = int(time.time()) if now is None else now
    if current - int(timestamp) > tolerance:
        raise VerificationError("timestamp_too_old", "timestamp older than %d s" % tolerance)
    signed = timestamp.encode("ascii") + b"." + raw_body
    for secret in secrets:
        expected = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
        # Bytes, not str: compare_digest raises on a str with non-ASCII characters.
        if any(hmac.compare_digest(expected.encode("ascii"), candidate.encode("utf-8")) for candidate in candidates):
            try:
                return json.loads(raw_body.decode("utf-8"))
            except ValueError as error:
                raise VerificationError("invalid_json", str(error))
    raise VerificationError("no_matching_signature", "no v1 matches any secret")


def main():
    results = []
    for case in json.load(sys.stdin):
        try:
            event = verify(base64.b64decode(case["body_base64"]), case["signature"], case["secrets"], case.get("now"))
            results.append({"ok": True, "event": event})
        except VerificationError as error:
            results.append({"ok": False, "reason": error.reason})
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
