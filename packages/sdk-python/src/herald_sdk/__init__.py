"""Verify Herald webhook deliveries in Python: signatures, timestamps, typed events.

No runtime dependencies. The payload and event TypedDicts are in ``herald_sdk.events``
(``from herald_sdk.events import UserNewPayload``). The framework helpers live in
``herald_sdk.flask``, ``herald_sdk.django``, ``herald_sdk.fastapi`` and ``herald_sdk.starlette``,
and import their framework only when you import them.

Example::

    import os
    from herald_sdk import WebhookVerificationError, is_catalog_event, verify_webhook

    try:
        event = verify_webhook(raw_body, headers, os.environ["HERALD_WEBHOOK_SECRET"])
    except WebhookVerificationError as error:
        ...  # answer 400 with error.reason
    if is_catalog_event(event) and event["event"] == "user.new":
        print(event["payload"]["full_name"])
"""

from .envelope import UnknownEvent, WebhookEvent, is_catalog_event
from .errors import VERIFICATION_FAILURE_REASONS, VerificationFailureReason, WebhookVerificationError
from .events import CATALOG_EVENT_TYPES, CatalogEvent, CatalogEventType, is_event_type
from .headers import HeaderValue, Headers
from .raw_body import RawBody
from .signature import compute_signature, signature_header
from .standard_webhooks import STANDARD_WEBHOOKS_HEADERS, standard_webhooks_signature
from .timestamps import DEFAULT_FUTURE_TOLERANCE_SECONDS, DEFAULT_TOLERANCE_SECONDS, Clock
from .verify import Secrets, verify_signature, verify_webhook
from .wire_json import wire_body

__version__ = "0.1.0"

__all__ = [
    "CATALOG_EVENT_TYPES",
    "DEFAULT_FUTURE_TOLERANCE_SECONDS",
    "DEFAULT_TOLERANCE_SECONDS",
    "STANDARD_WEBHOOKS_HEADERS",
    "VERIFICATION_FAILURE_REASONS",
    "CatalogEvent",
    "CatalogEventType",
    "Clock",
    "HeaderValue",
    "Headers",
    "RawBody",
    "Secrets",
    "UnknownEvent",
    "VerificationFailureReason",
    "WebhookEvent",
    "WebhookVerificationError",
    "compute_signature",
    "is_catalog_event",
    "is_event_type",
    "signature_header",
    "standard_webhooks_signature",
    "verify_signature",
    "verify_webhook",
    "wire_body",
]
