"""Rebuilding the body from a parsed envelope, for a caller that holds only the parsed dict.

Herald's body is exactly ``JSON.stringify(envelope)`` (wire spec §1). ``json.dumps`` with
``separators=(",", ":")`` and ``ensure_ascii=False`` gets the spacing and the non-ASCII text right,
but not every number: Python writes ``1e-05``, ``1e-07`` and ``1.0`` where JavaScript writes
``0.00001``, ``1e-7`` and ``1``. So this module lays out the JSON as ``json.dumps`` does and writes
numbers (and lone surrogates) as JavaScript does.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, List, Mapping

# Integers up to 2**53 are exact in a JavaScript number; larger ones were rounded to a double.
_MAX_SAFE_INTEGER = 2**53
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def wire_body(event: Mapping[str, Any]) -> bytes:
    """The bytes Herald sent, rebuilt from the envelope ``json.loads`` parsed from them, so that a
    caller holding only the parsed dict can still verify: ``verify_webhook(wire_body(event), headers, secret)``.

    Prefer the raw body whenever you can get it. Rebuilding gives back the signed bytes only when the
    dict is exactly what ``json.loads`` returned for them:

    - **Key order** as received. ``json.loads`` keeps it; sorting keys, or building a new dict, breaks it.
    - **No changes.** Any added, removed or edited field changes the bytes (that is what the signature is for).
    - **JSON types only**: dict, list, str, int, float, bool, None. A parser that made ``Decimal``\\ s
      (``parse_float=Decimal``, some frameworks), dates or other objects out of the text cannot be
      undone: those raise TypeError.
    - **Numbers** are written as JavaScript writes them: ``0.00001``, ``1e-7``, ``1e+21``; a float with
      no fraction as an integer (``1.0`` → ``1``); an int beyond 2**53 rounded to the nearest double,
      as it was when Herald serialized it. A parser that turned ``1`` into ``1.0`` still verifies; one
      that kept more digits than a double holds (``0.1000000000000000055``) cannot.

    :raises TypeError: for a value that is not a JSON type, or a key that is not a str.

    Example::

        event = request.get_json()  # someone else's code already parsed the body
        verified = verify_webhook(wire_body(event), request.headers, secret)
    """
    # Lone surrogates are escaped by now, so the text always encodes.
    return "".join(_write(event, [])).encode("utf-8")


def _write(value: object, out: List[str]) -> List[str]:
    if isinstance(value, str):
        out.append(_string(value))
    elif value is None or value is True or value is False:
        out.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, int):
        out.append(js_integer(value))
    elif isinstance(value, float):
        out.append(js_number(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"wire_body: keys must be str, got {type(key).__name__} {key!r}")
            out.append("," if i else "")
            out.append(_string(key) + ":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            out.append("," if i else "")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(
            f"wire_body: {type(value).__name__} is not a JSON type (dict, list, str, int, float, bool, None); "
            "it cannot be turned back into the signed bytes"
        )
    return out


def _string(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    if _LONE_SURROGATE.search(quoted) is None:
        return quoted
    # JSON.stringify escapes a lone surrogate as \udxxx; a surrogate pair is one character, written as is.
    joined = quoted.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", joined)


def js_integer(value: int) -> str:
    """An int as ``JSON.stringify`` writes the JavaScript number it would have been."""
    if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
        return str(value)
    try:
        return js_number(float(value))
    except OverflowError:
        return "null"  # beyond the largest double: Infinity in JavaScript, which JSON.stringify writes as null


def js_number(value: float) -> str:
    """A float as JavaScript's ``Number.prototype.toString`` (and so ``JSON.stringify``) writes it.

    Both languages pick the shortest digits that read back as the same double (``repr``); they only
    lay them out differently: JavaScript writes plain decimals from 1e-7 up to 1e21 and drops ``.0``.
    """
    if not math.isfinite(value):
        return "null"  # JSON.stringify(NaN), JSON.stringify(Infinity)
    if value == 0:
        return "0"  # -0 too
    if value < 0:
        return "-" + js_number(-value)
    mantissa, _, exponent = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    # n: where the decimal point goes, counted in digits from the left (ECMA-262 Number::toString).
    n = len(whole) + int(exponent or "0") - (len(whole + fraction) - len(digits))
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    return (digits[0] + ("." + digits[1:] if k > 1 else "")) + "e" + sign + str(abs(e))
