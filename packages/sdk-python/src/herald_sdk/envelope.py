"""The delivery body: an envelope ``{"id", "event", "payload"}``, parsed as JavaScript's ``JSON.parse`` would."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, Dict, NoReturn, TypedDict, Union, cast

from .errors import WebhookVerificationError
from .events import CATALOG_EVENT_TYPES, CatalogEvent
from .raw_body import RawBody, body_text

if TYPE_CHECKING:
    if sys.version_info >= (3, 10):
        from typing import TypeGuard
    else:
        from typing_extensions import TypeGuard


class UnknownEvent(TypedDict):
    """An event whose type is not in the SDK's catalog: an operator's own type, or one added after
    this SDK was built. Receivers must accept these and ignore what they do not know (wire spec §4)."""

    id: str
    event: str
    payload: Dict[str, Any]


WebhookEvent = Union[CatalogEvent, UnknownEvent]
"""What :func:`herald_sdk.verify_webhook` returns. Narrow it with :func:`is_catalog_event` first; then
``event["event"] == "user.new"`` narrows ``event["payload"]`` to :class:`~herald_sdk.events.UserNewPayload`.
(Comparing ``event["event"]`` alone cannot narrow while :class:`UnknownEvent` allows any string.)"""

_CATALOG_TYPES = frozenset(CATALOG_EVENT_TYPES)


def is_catalog_event(event: WebhookEvent) -> TypeGuard[CatalogEvent]:
    """True when ``event`` is of a built-in catalog type; then ``event["event"]`` narrows the payload.

    Checks the type name only: Herald validated the payload against the type's schema before it
    accepted the event, not again here.

    Example::

        event = verify_webhook(body, headers, secret)
        if is_catalog_event(event):
            if event["event"] == "user.new":
                create_account(event["payload"]["user_id"], event["payload"]["email"])
            elif event["event"] == "user.deleted":
                remove_account(event["payload"]["user_id"])
    """
    return event["event"] in _CATALOG_TYPES


def parse_envelope(body: RawBody) -> WebhookEvent:
    """Parses a verified body; raises ``invalid_json`` unless it is a JSON envelope."""
    try:
        parsed: object = json.loads(body_text(body), parse_constant=_refuse_constant)
    except ValueError as error:
        raise WebhookVerificationError(
            "invalid_json", f"the signature is valid but the body is not JSON ({error})"
        ) from error
    except RecursionError as error:
        # Python's parser stops at about 1,000 levels of nesting; JavaScript's goes much deeper.
        raise WebhookVerificationError(
            "invalid_json", "the signature is valid but the body is nested too deeply to parse"
        ) from error
    if not _is_envelope(parsed):
        raise WebhookVerificationError(
            "invalid_json", 'the body is not an envelope {"id": string, "event": string, "payload": object}'
        )
    return cast(WebhookEvent, parsed)


def _is_envelope(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    return (
        isinstance(value.get("id"), str)
        and isinstance(value.get("event"), str)
        and isinstance(value.get("payload"), dict)
    )


def _refuse_constant(name: str) -> NoReturn:
    # Python accepts NaN, Infinity and -Infinity by default; JSON (and JSON.parse) does not.
    raise ValueError(f"{name} is not JSON")
