"""The OpenAPI document names each schema by its class name, so two different schemas with one
name would leave one of them described as the other."""

from collections import defaultdict
from typing import Any

from ninja import Schema

from careloop.api.api import api


def _subclasses(cls: type[Schema]) -> set[type[Schema]]:
    found: set[type[Schema]] = set()
    sub: type[Schema]
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _subclasses(sub)
    return found


def test_no_messaging_schema_shares_its_name_with_a_different_schema():
    assert api.get_openapi_schema()  # every router is imported
    shapes: dict[str, set[str]] = defaultdict(set)
    for schema in _subclasses(Schema):
        if schema.__module__.startswith("careloop.api."):
            described: dict[str, Any] = schema.model_json_schema()
            shapes[schema.__name__].add(repr(sorted(described.get("properties", {}).items())))
    messaging = {
        schema.__name__
        for schema in _subclasses(Schema)
        if schema.__module__.startswith("careloop.api.messaging.")
    }
    assert messaging
    assert {name for name in messaging if len(shapes[name]) > 1} == set()
