"""The request body as the bytes that were signed."""

from __future__ import annotations

from typing import Union

RawBody = Union[bytes, bytearray, memoryview, str]
"""The body exactly as received: bytes (``request.body``, ``request.get_data()``, ``await request.body()``)
or text, which is encoded as UTF-8."""


def body_bytes(body: object, argument: str) -> bytes:
    """The bytes of ``body``; raises a TypeError naming ``argument`` for anything that is not a raw body."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return utf8(body)
    if isinstance(body, (dict, list)):
        raise TypeError(
            f"{argument} must be the raw request body (bytes or str), got a parsed {type(body).__name__}: pass the bytes as "
            "received, before any JSON parsing; if you only have the parsed envelope, pass herald_sdk.wire_body(event)"
        )
    raise TypeError(f"{argument} must be the raw request body (bytes or str), got {type(body).__name__}")


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, as Node encodes a string: a lone surrogate becomes U+FFFD instead of raising."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Through UTF-16 so that a surrogate pair still becomes its one character, as in JavaScript.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


def body_text(body: RawBody) -> str:
    """The body as text. Invalid UTF-8 becomes U+FFFD, as Node's decoder does, rather than raising."""
    if isinstance(body, str):
        return body
    return bytes(body).decode("utf-8", "replace")
