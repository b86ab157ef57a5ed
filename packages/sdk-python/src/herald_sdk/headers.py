"""Reading request headers the way the Node SDK does: any name case, a repeat is malformed."""

from __future__ import annotations

from typing import Mapping, Optional, Sequence, Union

from .errors import WebhookVerificationError

HeaderValue = Union[str, Sequence[str]]
"""One header's value: a string, or a list of strings for a header that may have been sent more than once."""

Headers = Mapping[str, HeaderValue]
"""Request headers with names in any case: a ``dict``, Flask's ``request.headers``, Django's
``request.headers``, Starlette's ``request.headers``, or anything else with ``get`` and ``keys``."""

# What JavaScript's String.prototype.trim removes. Python's str.strip() differs: it also strips
# U+001C-U+001F and U+0085 but keeps U+FEFF, so a header that one SDK accepts the other would refuse.
_JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_trim(text: str) -> str:
    """``text.trim()`` as JavaScript does it."""
    return text.strip(_JS_WHITESPACE)


def assert_headers(headers: object, argument: str) -> None:
    """Raises a TypeError naming ``argument`` unless ``read_header`` can read ``headers``."""
    readable = callable(getattr(headers, "get", None)) and callable(getattr(headers, "keys", None))
    if isinstance(headers, (str, bytes)) or not readable:
        raise TypeError(
            f"{argument} must be a mapping of header names to values (a dict or a framework's request.headers), "
            f"got {type(headers).__name__}"
        )


def read_header(headers: Headers, lower_name: str) -> Optional[str]:
    """The value of header ``lower_name`` (given in lower case), or None when it is absent or empty.

    Names match in any case. A header sent more than once is malformed: which copy was signed is
    anyone's guess. Werkzeug's and Starlette's headers keep repeats apart (``getlist``); a list value
    is a repeat too.
    """
    name = lower_name
    value = headers.get(lower_name)
    if value is None:
        # Most frameworks already match names in any case; this serves plain dicts such as
        # {"X-Webhook-Signature": ...}.
        for key in headers.keys():
            if isinstance(key, str) and len(key) == len(lower_name) and key.lower() == lower_name:
                name = key
                value = headers[key]
                break
    if value is None:
        return None
    getlist = getattr(headers, "getlist", None)
    if callable(getlist):
        copies = len(getlist(name))
        if copies > 1:
            raise WebhookVerificationError("malformed_header", f"header {lower_name} was sent {copies} times")
    if isinstance(value, str):
        return value or None
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"header {lower_name} must be a string or a list of strings")
    if len(value) > 1:
        raise WebhookVerificationError("malformed_header", f"header {lower_name} was sent {len(value)} times")
    if len(value) == 0:
        return None
    first = value[0]
    if not isinstance(first, str):
        raise TypeError(f"header {lower_name} must be a string or a list of strings")
    return first or None
