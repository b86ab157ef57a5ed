"""The typed events: generated from the server's catalog, and kept up to date."""

from __future__ import annotations

import importlib.util
import json
import unittest
from types import ModuleType

from support import PACKAGE_DIR, REPO_DIR, SECRET, envelope, fixed_clock, signed_headers

from herald_sdk import CATALOG_EVENT_TYPES, is_catalog_event, is_event_type, verify_webhook
from herald_sdk import events as installed_events

CATALOG_FILE = REPO_DIR / "packages" / "server" / "src" / "catalog" / "default-catalog.json"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_events", PACKAGE_DIR / "scripts" / "generate_events.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TypedEventsTest(unittest.TestCase):
    catalog = json.loads(CATALOG_FILE.read_text("utf-8"))

    def test_match_the_server_catalogs_json_schemas_the_generated_file_is_up_to_date(self) -> None:
        generator = load_generator()
        committed = (PACKAGE_DIR / "src" / "herald_sdk" / "events.py").read_text("utf-8")
        self.assertEqual(
            committed,
            generator.render_events(self.catalog),
            "src/herald_sdk/events.py is stale: run python3 packages/sdk-python/scripts/generate_events.py",
        )

    def test_installed_copy_is_the_committed_one(self) -> None:
        installed = installed_events.__file__
        assert installed is not None
        with open(installed, encoding="utf-8") as file:
            self.assertEqual(file.read(), (PACKAGE_DIR / "src" / "herald_sdk" / "events.py").read_text("utf-8"))

    def test_cover_the_fifteen_catalog_types_in_catalog_order(self) -> None:
        self.assertEqual(CATALOG_EVENT_TYPES, tuple(entry["name"] for entry in self.catalog["event_types"]))
        self.assertEqual(len(CATALOG_EVENT_TYPES), 15)

    def test_make_required_fields_required_and_optional_fields_optional(self) -> None:
        payload = installed_events.UserUpdateEventPayload
        self.assertEqual(payload.__required_keys__, frozenset({"organization_id", "user_id", "event_id"}))
        self.assertIn("title", payload.__optional_keys__)
        self.assertIn("start_time", payload.__optional_keys__)
        self.assertEqual(installed_events.UserNewPayload.__optional_keys__, frozenset())

    def test_give_every_event_class_its_literal_type_name(self) -> None:
        for name in CATALOG_EVENT_TYPES:
            class_name = "".join(word.capitalize() for word in name.replace(".", "_").split("_")) + "Event"
            annotation = getattr(installed_events, class_name).__annotations__["event"]
            self.assertEqual(annotation.__args__, (name,), class_name)

    def test_narrow_by_event_type_after_is_catalog_event(self) -> None:
        body = envelope(
            "user.create_reaction",
            {"organization_id": "o", "user_id": "u", "event_id": "e", "reaction_id": "r", "reaction_type": "love"},
        )
        event = verify_webhook(body, signed_headers(body), SECRET, now=fixed_clock())
        self.assertTrue(is_catalog_event(event))
        self.assertTrue(is_event_type(event, "user.create_reaction"))
        self.assertFalse(is_event_type(event, "user.update_reaction"))

    def test_the_generator_refuses_a_schema_keyword_it_does_not_understand(self) -> None:
        generator = load_generator()
        catalog = json.loads(json.dumps(self.catalog))
        catalog["event_types"][0]["schema"]["properties"]["email"]["oneOf"] = [{"type": "string"}]
        with self.assertRaisesRegex(ValueError, 'user.new schema.email: unsupported keyword "oneOf"'):
            generator.render_events(catalog)

    def test_the_generator_types_nested_objects_enums_and_all_optional_payloads(self) -> None:
        generator = load_generator()
        catalog = {
            "event_types": [
                {
                    "name": "order.paid",
                    "group": "Orders",
                    "description": "An order is paid",
                    "schema": {
                        "type": "object",
                        "properties": {
                            "status": {"enum": ["paid", "refunded"]},
                            "total": {
                                "type": "object",
                                "properties": {"amount": {"type": "integer"}},
                                "required": ["amount"],
                            },
                        },
                    },
                }
            ]
        }
        namespace: dict = {}
        # dont_inherit: not this file's `from __future__ import annotations`, which would leave strings.
        exec(compile(generator.render_events(catalog), "events.py", "exec", dont_inherit=True), namespace)
        self.assertEqual(namespace["OrderPaidPayload"].__optional_keys__, frozenset({"status", "total"}))
        self.assertEqual(namespace["OrderPaidPayloadTotal"].__required_keys__, frozenset({"amount"}))
        self.assertEqual(namespace["OrderPaidPayload"].__annotations__["status"].__args__, ("paid", "refunded"))


if __name__ == "__main__":
    unittest.main()
